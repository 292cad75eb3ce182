/*
 * auth_sasl.c - SASL response decoding and the PLAIN message layout
 * (RFC 4616 section 2, AUTH-1, IMAP-16, SUB-2). PURE.
 *
 * Base64 itself is mail_codec.c's strict decoder; this file adds what
 * SASL needs around it: NUL termination, wiping on failure, the PLAIN
 * split and the authorization-identity rule. Does not log anything: every
 * buffer here holds a password.
 */
#include "auth/auth_sasl.h"

#include <string.h>

#include "core/core_limits.h"
#include "core/core_str.h"
#include "mail/mail_codec.h"
#include "policy/policy_address.h"

int
auth_sasl_decode(const char *b64, unsigned char *out, size_t outsize, size_t *len_r)
{
	size_t len = strlen(b64);

	*len_r = 0;
	if (outsize == 0)
		return -1;
	if (mail_base64_decode(b64, len, MAIL_B64_STRICT, out, outsize - 1, len_r) < 0) {
		/* a decoder error may leave part of a password behind */
		str_wipe(out, outsize < len ? outsize : len);
		*len_r = 0;
		return -1;
	}
	out[*len_r] = '\0';
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
	/* RFC 4616 2: authcid and passwd are 1*SAFE, so neither may be empty */
	if (nul2 == NULL || memchr(nul2 + 1, '\0', len - (size_t)(nul2 + 1 - msg)) != NULL ||
	        nul2 == nul1 + 1 || nul2 + 1 == msg + len)
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

int
auth_sasl_plain(const char *b64, unsigned char *buf, size_t bufsize, size_t *len_r,
        struct auth_sasl_plain *creds_r)
{
	const char *authz, *authc;

	/* RFC 4954 4 and IMAP SASL-IR: "=" is an empty response */
	if (strcmp(b64, "=") == 0)
		b64 = "";
	if (auth_sasl_decode(b64, buf, bufsize, len_r) < 0 ||
	        auth_sasl_plain_split((char *)buf, *len_r, &authz, &authc, &creds_r->password,
	                &creds_r->password_len) < 0)
		return -1;
	creds_r->user = auth_sasl_authz_ok(authz, authc) ? authc : "";
	return 0;
}
