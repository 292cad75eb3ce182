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

/*
 * mail_b64_quantum - decode one 4-character group q[0..3] into out; pad is
 * the number of trailing '=' (0..2). Returns octets written or -1.
 */
static int
mail_b64_quantum(const unsigned char q[4], int pad, unsigned char *out)
{
	int v[4];
	int i;

	for (i = 0; i < 4 - pad; i++) {
		v[i] = mail_b64_value(q[i]);
		if (v[i] < 0)
			return -1;
	}
	for (; i < 4; i++)
		v[i] = 0;
	out[0] = (unsigned char)((v[0] << 2) | (v[1] >> 4));
	if (pad == 2)
		return 1;
	out[1] = (unsigned char)(((v[1] & 0xF) << 4) | (v[2] >> 2));
	if (pad == 1)
		return 2;
	out[2] = (unsigned char)(((v[2] & 0x3) << 6) | v[3]);
	return 3;
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

int
mail_base64_decode_strict(const char *in, size_t len, unsigned char *out, size_t *out_len_r)
{
	size_t i, o = 0;

	if (len % 4 != 0)
		return -1;
	for (i = 0; i < len; i += 4) {
		const unsigned char *q = (const unsigned char *)in + i;
		int pad = mail_b64_pad_count(q);
		int n;

		/* padding only in the very last quantum */
		if (pad < 0 || (pad > 0 && i + 4 != len))
			return -1;
		n = mail_b64_quantum(q, pad, out + o);
		if (n < 0)
			return -1;
		o += (size_t)n;
	}
	*out_len_r = o;
	return 0;
}

int
mail_base64_decode_mime(const char *in, size_t len, unsigned char *out, size_t *out_len_r)
{
	unsigned char q[4];
	size_t i, o = 0;
	int nq = 0;
	bool is_done = false;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '\r' || c == '\n' || c == ' ' || c == '\t')
			continue;
		if (is_done)
			return -1; /* data after the padded final quantum */
		if (c != '=' && mail_b64_value(c) < 0)
			return -1;
		q[nq++] = c;
		if (nq == 4) {
			int pad = mail_b64_pad_count(q);
			int n;

			if (pad < 0)
				return -1;
			n = mail_b64_quantum(q, pad, out + o);
			if (n < 0)
				return -1;
			o += (size_t)n;
			nq = 0;
			is_done = pad > 0;
		}
	}
	if (nq != 0)
		return -1;
	*out_len_r = o;
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
