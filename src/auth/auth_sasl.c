/*
 * auth_sasl.c - base64 and SASL PLAIN message layout (RFC 4648 section 4,
 * RFC 4616 section 2, AUTH-1). PURE.
 */
#include "auth/auth_sasl.h"

#include <string.h>

#include "policy/policy_address.h"

static int
auth_b64_value(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

int
auth_base64_decode(const char *in, unsigned char *out, size_t outlen, size_t *len_r)
{
	size_t n = strlen(in), o = 0;

	if (n % 4 != 0)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;

		for (int k = 0; k < 4; k++) {
			if (in[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad > 0 || (v[k] = auth_b64_value(in[i + k])) < 0)
				return -1;
		}
		/* Canonical encodings only: the bits beyond the last octet are zero. */
		if ((pad == 1 && (v[2] & 3) != 0) || (pad == 2 && (v[1] & 15) != 0))
			return -1;
		if (o + 3 - (size_t)pad >= outlen)
			return -1;
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[o++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		if (pad < 1)
			out[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	out[o] = '\0';
	*len_r = o;
	return 0;
}

int
auth_base64_encode(const unsigned char *in, size_t len, char *out, size_t outlen)
{
	static const char tab[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	if ((len + 2) / 3 * 4 >= outlen)
		return -1;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16;

		if (i + 1 < len)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < len ? tab[v >> 6 & 63] : '=';
		out[o++] = i + 2 < len ? tab[v & 63] : '=';
	}
	out[o] = '\0';
	return 0;
}

int
auth_sasl_plain_split(char *msg, size_t len, const char **authz_r, const char **authc_r,
        const char **password_r, size_t *password_len_r)
{
	char *nul1 = memchr(msg, '\0', len), *nul2;

	if (nul1 == NULL)
		return -1;
	nul2 = memchr(nul1 + 1, '\0', len - (size_t)(nul1 + 1 - msg));
	if (nul2 == NULL || memchr(nul2 + 1, '\0', len - (size_t)(nul2 + 1 - msg)) != NULL ||
	        nul2 == nul1 + 1)
		return -1;
	msg[len] = '\0';
	*authz_r = msg;
	*authc_r = nul1 + 1;
	*password_r = nul2 + 1;
	*password_len_r = len - (size_t)(nul2 + 1 - msg);
	return 0;
}

int
auth_sasl_authz_ok(const char *authz, const char *authc)
{
	char a[ADDRESS_MAX], b[ADDRESS_MAX];

	if (authz[0] == '\0')
		return 1;
	if (policy_address_normalise_login(authz, a, sizeof(a)) < 0 ||
	        policy_address_normalise_login(authc, b, sizeof(b)) < 0)
		return 0;
	return strcmp(a, b) == 0;
}
