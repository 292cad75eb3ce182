/*
 * imap_utf7.c - modified UTF-7 <-> UTF-8 (RFC 3501 5.1.3, RFC 2152 for the
 * base64 run rules). PURE: libc only.
 *
 * Printable US-ASCII (0x20..0x7e) stands for itself except `&`, written
 * `&-`; everything else is UTF-16 in a base64 run (`,` instead of `/`, no
 * padding) between `&` and `-`. Does not judge mailbox names beyond their
 * encoding (hierarchy, control characters and length are IMAP-14's rules,
 * checked by the mailbox code).
 */
#include "imap/imap_utf7.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

static const char imap_utf7_b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* imap_utf7_b64_value - 0..63 or -1. */
static int
imap_utf7_b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == ',')
		return 63;
	return -1;
}

/* imap_utf7_put_utf8 - append code point cp as UTF-8. */
static size_t
imap_utf7_put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * imap_utf7_run - decode the base64 run starting at in[*pos] (after `&`)
 * through its `-`; appends UTF-8 to out (may be NULL to only validate).
 */
static int
imap_utf7_run(const char *in, size_t len, size_t *pos, char *out, size_t *out_len)
{
	uint32_t bits = 0, high = 0;
	unsigned nbits = 0;
	size_t chars = 0;

	for (; *pos < len && in[*pos] != '-'; (*pos)++) {
		int v = imap_utf7_b64_value((unsigned char)in[*pos]);
		uint32_t u, cp;

		if (v < 0)
			return -1;
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		u = (bits >> nbits) & 0xffff;
		bits &= (1u << nbits) - 1;
		if (high != 0) {
			if (u < 0xdc00 || u > 0xdfff)
				return -1;
			cp = 0x10000 + ((high - 0xd800) << 10) + (u - 0xdc00);
			high = 0;
		} else if (u >= 0xd800 && u <= 0xdbff) {
			high = u;
			continue;
		} else if (u >= 0xdc00 && u <= 0xdfff) {
			return -1;
		} else {
			cp = u;
		}
		/* printable ASCII must be written directly; NUL never names anything */
		if ((cp >= 0x20 && cp <= 0x7e) || cp == 0)
			return -1;
		if (out != NULL)
			*out_len += imap_utf7_put_utf8(out + *out_len, cp);
		chars++;
	}
	/* unterminated, dangling surrogate, a full extra sextet, non-zero padding, empty */
	if (*pos >= len || high != 0 || nbits >= 6 || bits != 0 || chars == 0)
		return -1;
	(*pos)++;
	return 0;
}

/* imap_utf7_decode - validate, and write UTF-8 to out when not NULL. */
static int
imap_utf7_decode(const char *in, size_t len, char *out, size_t *out_len)
{
	bool after_run = false;
	size_t pos = 0;

	*out_len = 0;
	while (pos < len) {
		unsigned char c = (unsigned char)in[pos];

		if (c < 0x20 || c > 0x7e)
			return -1;
		if (c != '&') {
			if (out != NULL)
				out[*out_len] = (char)c;
			(*out_len)++;
			pos++;
			after_run = false;
			continue;
		}
		pos++;
		if (pos < len && in[pos] == '-') {
			if (out != NULL)
				out[*out_len] = '&';
			(*out_len)++;
			pos++;
			after_run = false;
			continue;
		}
		/* two runs in a row: the encoder would have made one */
		if (after_run || imap_utf7_run(in, len, &pos, out, out_len) < 0)
			return -1;
		after_run = true;
	}
	return 0;
}

bool
imap_utf7_is_valid(const char *in, size_t len)
{
	size_t n;

	return imap_utf7_decode(in, len, NULL, &n) == 0;
}

int
imap_utf7_to_utf8(const char *in, size_t len, char **out_r, size_t *out_len_r)
{
	size_t n;
	char *out;

	/* each 8 base64 characters give at most 6 UTF-16 units' worth of UTF-8 */
	if (len > (SIZE_MAX - 1) / 2) {
		errno = EINVAL;
		return -1;
	}
	out = malloc(len * 2 + 1);
	if (out == NULL)
		return -1;
	if (imap_utf7_decode(in, len, out, &n) < 0) {
		free(out);
		errno = EINVAL;
		return -1;
	}
	out[n] = '\0';
	*out_r = out;
	if (out_len_r != NULL)
		*out_len_r = n;
	return 0;
}

/* imap_utf8_next - decode one strict UTF-8 sequence; returns its length or 0. */
static size_t
imap_utf8_next(const unsigned char *s, size_t len, uint32_t *cp_r)
{
	uint32_t cp;
	size_t n;

	if (s[0] < 0x80) {
		*cp_r = s[0];
		return s[0] != 0;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond Unicode */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	        (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*cp_r = cp;
	return n;
}

struct imap_utf7_enc {
	char *out;
	size_t len;
	uint32_t bits;
	unsigned nbits;
	bool in_run;
};

static void
imap_utf7_enc_unit(struct imap_utf7_enc *e, uint32_t u)
{
	e->bits = (e->bits << 16) | u;
	e->nbits += 16;
	while (e->nbits >= 6) {
		e->nbits -= 6;
		e->out[e->len++] = imap_utf7_b64[(e->bits >> e->nbits) & 0x3f];
	}
	e->bits &= (1u << e->nbits) - 1;
}

static void
imap_utf7_enc_close(struct imap_utf7_enc *e)
{
	if (!e->in_run)
		return;
	if (e->nbits > 0)
		e->out[e->len++] = imap_utf7_b64[(e->bits << (6 - e->nbits)) & 0x3f];
	e->out[e->len++] = '-';
	e->bits = 0;
	e->nbits = 0;
	e->in_run = false;
}

int
imap_utf8_to_utf7(const char *in, size_t len, char **out_r, size_t *out_len_r)
{
	const unsigned char *s = (const unsigned char *)in;
	struct imap_utf7_enc e = {0};
	size_t pos = 0;

	/* worst case: one control octet between printable ones, `&AAE-x` */
	if (len > (SIZE_MAX - 2) / 5) {
		errno = EINVAL;
		return -1;
	}
	e.out = malloc(len * 5 + 2);
	if (e.out == NULL)
		return -1;
	while (pos < len) {
		uint32_t cp;
		size_t n = imap_utf8_next(s + pos, len - pos, &cp);

		if (n == 0) {
			free(e.out);
			errno = EINVAL;
			return -1;
		}
		pos += n;
		if (cp >= 0x20 && cp <= 0x7e) {
			imap_utf7_enc_close(&e);
			e.out[e.len++] = (char)cp;
			if (cp == '&')
				e.out[e.len++] = '-';
			continue;
		}
		if (!e.in_run) {
			e.out[e.len++] = '&';
			e.in_run = true;
		}
		if (cp >= 0x10000) {
			imap_utf7_enc_unit(&e, 0xd800 + ((cp - 0x10000) >> 10));
			imap_utf7_enc_unit(&e, 0xdc00 + ((cp - 0x10000) & 0x3ff));
		} else {
			imap_utf7_enc_unit(&e, cp);
		}
	}
	imap_utf7_enc_close(&e);
	e.out[e.len] = '\0';
	*out_r = e.out;
	if (out_len_r != NULL)
		*out_len_r = e.len;
	return 0;
}
