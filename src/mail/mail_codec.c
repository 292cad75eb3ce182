/*
 * mail_codec.c - base64 and quoted-printable decoders. PURE: libc only.
 *
 * RFC 4648 section 4, RFC 2045 sections 6.7 and 6.8. No allocation, no
 * state between calls: each function decodes one complete buffer.
 */
#include "mail/mail_codec.h"

#include <string.h>

/* mail_b64_value - value of a base64 alphabet octet, or -1. */
static int
mail_b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* mail_b64_pad_count - '=' count at the end of a quantum (0..2), -1 if misplaced. */
static int
mail_b64_pad_count(const unsigned char q[4])
{
	if (q[0] == '=' || q[1] == '=')
		return -1;
	if (q[2] == '=')
		return q[3] == '=' ? 2 : -1;
	return q[3] == '=' ? 1 : 0;
}

/*
 * mail_b64_quantum - decode one 4-character group q (alphabet or '=',
 * checked by the caller) into out[*o..], within outsize. Returns the
 * number of '=' (0..2), or -1.
 */
static int
mail_b64_quantum(const unsigned char q[4], enum mail_b64_mode mode, unsigned char *out,
        size_t outsize, size_t *o)
{
	int pad = mail_b64_pad_count(q), v[4];

	if (pad < 0 || (size_t)(3 - pad) > outsize - *o)
		return -1;
	for (int i = 0; i < 4; i++)
		v[i] = i < 4 - pad ? mail_b64_value(q[i]) : 0;
	/* RFC 4648 3.5: a canonical encoding leaves the bits before the padding zero */
	if (mode == MAIL_B64_STRICT &&
	        ((pad == 1 && (v[2] & 0x3) != 0) || (pad == 2 && (v[1] & 0xF) != 0)))
		return -1;
	out[(*o)++] = (unsigned char)((v[0] << 2) | (v[1] >> 4));
	if (pad < 2)
		out[(*o)++] = (unsigned char)(((v[1] & 0xF) << 4) | (v[2] >> 2));
	if (pad < 1)
		out[(*o)++] = (unsigned char)(((v[2] & 0x3) << 6) | v[3]);
	return pad;
}

/* mail_b64_is_space - white space skipped outside the strict mode (CR LF SP HTAB, FWS). */
static bool
mail_b64_is_space(unsigned char c)
{
	return c == '\r' || c == '\n' || c == ' ' || c == '\t';
}

/* mail_b64_tail - an unpadded last quantum of 2 or 3 characters (MAIL_B64_DKIM only). */
static int
mail_b64_tail(unsigned char q[4], int nq, enum mail_b64_mode mode, unsigned char *out,
        size_t outsize, size_t *o)
{
	if (nq == 0)
		return 0;
	if (mode != MAIL_B64_DKIM || nq == 1 || memchr(q, '=', (size_t)nq) != NULL)
		return -1;
	for (int i = nq; i < 4; i++)
		q[i] = '=';
	return mail_b64_quantum(q, mode, out, outsize, o) < 0 ? -1 : 0;
}

int
mail_base64_decode(const char *in, size_t len, enum mail_b64_mode mode, unsigned char *out,
        size_t outsize, size_t *out_len_r)
{
	unsigned char q[4];
	size_t o = 0;
	int nq = 0, pad = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (mode != MAIL_B64_STRICT && mail_b64_is_space(c))
			continue;
		/* data after the padded final quantum, or not the alphabet */
		if (pad > 0 || (c != '=' && mail_b64_value(c) < 0))
			return -1;
		q[nq++] = c;
		if (nq == 4) {
			pad = mail_b64_quantum(q, mode, out, outsize, &o);
			if (pad < 0)
				return -1;
			nq = 0;
		}
	}
	if (mail_b64_tail(q, nq, mode, out, outsize, &o) < 0)
		return -1;
	*out_len_r = o;
	return 0;
}

int
mail_base64_encode(const unsigned char *in, size_t len, char *out, size_t outsize)
{
	static const char mail_b64_alphabet[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	if (outsize == 0 || (len + 2) / 3 > (outsize - 1) / 4)
		return -1;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16;

		if (i + 1 < len)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[o++] = mail_b64_alphabet[v >> 18 & 63];
		out[o++] = mail_b64_alphabet[v >> 12 & 63];
		out[o++] = i + 1 < len ? mail_b64_alphabet[v >> 6 & 63] : '=';
		out[o++] = i + 2 < len ? mail_b64_alphabet[v & 63] : '=';
	}
	out[o] = '\0';
	return 0;
}

/* mail_hex_value - value of a hex digit, or -1. */
static int
mail_hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* mail_qp_trim_ws - drop trailing spaces and tabs already written to out. */
static size_t
mail_qp_trim_ws(const unsigned char *out, size_t o, size_t line_start)
{
	while (o > line_start && (out[o - 1] == ' ' || out[o - 1] == '\t'))
		o--;
	return o;
}

size_t
mail_qp_decode(const char *in, size_t len, unsigned char *out)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, o = 0, line_start = 0;

	while (i < len) {
		if (p[i] == '=') {
			if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n') {
				i += 3; /* soft line break */
				continue;
			}
			if (i + 1 < len && p[i + 1] == '\n') {
				i += 2;
				continue;
			}
			if (i + 2 < len && mail_hex_value(p[i + 1]) >= 0 &&
			        mail_hex_value(p[i + 2]) >= 0) {
				out[o++] = (unsigned char)(mail_hex_value(p[i + 1]) * 16 +
				        mail_hex_value(p[i + 2]));
				i += 3;
				continue;
			}
			out[o++] = p[i++];
			continue;
		}
		if (p[i] == '\n' || (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n')) {
			o = mail_qp_trim_ws(out, o, line_start);
			if (p[i] == '\r')
				out[o++] = p[i++];
			out[o++] = p[i++];
			line_start = o;
			continue;
		}
		out[o++] = p[i++];
	}
	return o;
}
