/*
 * policy_gate_pgp.c - OpenPGP armor and packet framing for the gate.
 * PURE: libc and mail/ codec only.
 *
 * GATE-5 (ASCII armor, RFC 4880 6.2 / RFC 9580 6.2) and GATE-6 (packet
 * framing, RFC 4880 4.2 / RFC 9580 4.2). Responsible only for the shape
 * of the data: nothing is decrypted and no key is looked at. The point is
 * that a message passing the gate carries nothing readable but
 * session keys and one encrypted, integrity-protected packet.
 */
#include "policy/policy_gate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail_codec.h"

#define GATE_ARMOR_BEGIN "-----BEGIN PGP MESSAGE-----"
#define GATE_ARMOR_END "-----END PGP MESSAGE-----"

/* OpenPGP packet tags (RFC 9580 5). */
#define GATE_TAG_PKESK 1
#define GATE_TAG_SKESK 3
#define GATE_TAG_SEIPD 18

/* gate_line - the line at s[*pos..len) without its CR/LF; advances *pos. */
static void
gate_line(const char *s, size_t len, size_t *pos, const char **line_r, size_t *n_r)
{
	const char *lf = memchr(s + *pos, '\n', len - *pos);
	size_t end = lf == NULL ? len : (size_t)(lf - s);
	size_t n = end - *pos;

	*line_r = s + *pos;
	if (n > 0 && s[end - 1] == '\r')
		n--;
	*n_r = n;
	*pos = lf == NULL ? len : end + 1;
}

/* gate_is_b64 - standard base64 alphabet octet. */
static bool
gate_is_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	        c == '+' || c == '/';
}

/* gate_is_checksum - "=" followed by exactly four base64 characters (GATE-5.5). */
static bool
gate_is_checksum(const char *l, size_t n)
{
	return n == 5 && l[0] == '=' && gate_is_b64(l[1]) && gate_is_b64(l[2]) &&
	        gate_is_b64(l[3]) && gate_is_b64(l[4]);
}

/*
 * gate_armor_headers - GATE-5.3 and 5.4: armor header lines after BEGIN,
 * then blank lines. Returns false with *why_r on a forbidden header.
 */
static bool
gate_armor_headers(
        const char *s, size_t end, size_t *pos, enum gate_direction dir, const char **why_r)
{
	const char *l;
	size_t n, save;

	for (;;) {
		save = *pos;
		gate_line(s, end, pos, &l, &n);
		if (save >= end || n == 0 || memchr(l, ':', n) == NULL) {
			*pos = save;
			break;
		}
		if (n >= 9 && memcmp(l, "Version: ", 9) == 0) {
			if (dir == GATE_OUTGOING) {
				*why_r = "armor Version header on submission";
				return false;
			}
			continue; /* removed in the incoming direction */
		}
		*why_r = "armor header line";
		return false;
	}
	while (*pos < end) {
		save = *pos;
		gate_line(s, end, pos, &l, &n);
		if (n != 0) {
			*pos = save;
			break;
		}
	}
	return true;
}

/* gate_armor_payload - GATE-5.5 and 5.6: collect, drop checksum, base64-decode. */
static bool
gate_armor_payload(const char *s, size_t pos, size_t end, const char **why_r)
{
	char *data = malloc(end - pos + 1);
	unsigned char *bin;
	size_t n = 0, last_off = 0, last_len = 0, bin_len;
	bool is_ok;

	if (data == NULL) {
		*why_r = GATE_WHY_OOM;
		return false;
	}
	while (pos < end) {
		const char *l;
		size_t ln;

		gate_line(s, end, &pos, &l, &ln);
		if (ln == 0)
			continue;
		last_off = n;
		last_len = ln;
		memcpy(data + n, l, ln);
		n += ln;
	}
	if (last_len > 0 && gate_is_checksum(data + last_off, last_len))
		n = last_off;
	/* decoded in place: the output never overtakes the input (mail_codec.h) */
	bin = (unsigned char *)data;
	is_ok = n > 0 && mail_base64_decode(data, n, MAIL_B64_STRICT, bin, n, &bin_len) == 0;
	if (!is_ok)
		*why_r = "armor base64";
	else
		is_ok = gate_packets_check(bin, bin_len, why_r);
	free(data);
	return is_ok;
}

bool
gate_armor_check(const char *body, size_t len, enum gate_direction dir, const char **why_r)
{
	size_t blen = strlen(GATE_ARMOR_BEGIN), elen = strlen(GATE_ARMOR_END);
	size_t pos = blen, end = len;

	/* 1: BEGIN line (CRLF; a bare LF is tolerated, the data is the same) */
	if (len < blen || memcmp(body, GATE_ARMOR_BEGIN, blen) != 0) {
		*why_r = "armor BEGIN missing";
		return false;
	}
	if (pos < len && body[pos] == '\r')
		pos++;
	if (pos >= len || body[pos] != '\n') {
		*why_r = "armor BEGIN line";
		return false;
	}
	pos++;
	/* 2: END line after trailing CR/LF are removed */
	while (end > pos && (body[end - 1] == '\r' || body[end - 1] == '\n'))
		end--;
	if (end - pos < elen || memcmp(body + end - elen, GATE_ARMOR_END, elen) != 0 ||
	        (end - elen > pos && body[end - elen - 1] != '\n')) {
		*why_r = "armor END missing";
		return false;
	}
	end -= elen;
	/* 3, 4 */
	if (!gate_armor_headers(body, end, &pos, dir, why_r))
		return false;
	return gate_armor_payload(body, pos, end, why_r);
}

/* gate_be - big-endian number of n octets at p. */
static uint64_t
gate_be(const unsigned char *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/*
 * gate_new_length - one new-format length at p[*pos]: sets *len_r and
 * *is_partial_r. Returns false when truncated.
 */
static bool
gate_new_length(const unsigned char *p, size_t n, size_t *pos, uint64_t *len_r, bool *is_partial_r)
{
	unsigned o;

	if (*pos >= n)
		return false;
	o = p[(*pos)++];
	*is_partial_r = false;
	if (o < 192) {
		*len_r = o;
	} else if (o < 224) {
		if (*pos >= n)
			return false;
		*len_r = ((uint64_t)(o - 192) << 8) + p[(*pos)++] + 192;
	} else if (o == 255) {
		if (n - *pos < 4)
			return false;
		*len_r = gate_be(p + *pos, 4);
		*pos += 4;
	} else {
		*len_r = (uint64_t)1 << (o & 0x1F);
		*is_partial_r = true;
	}
	return true;
}

/*
 * gate_packet - frame one packet at p[*pos]: tag, body start and end
 * (*pos is moved past it). has_partial_r says partial lengths were used.
 * Returns false with *why_r when the framing is invalid or truncated.
 */
static bool
gate_packet(const unsigned char *p, size_t n, size_t *pos, unsigned *tag_r, size_t *body_r,
        bool *has_partial_r, const char **why_r)
{
	unsigned h = p[(*pos)++];
	uint64_t blen;
	bool is_partial;

	*has_partial_r = false;
	*why_r = "packet truncated";
	if ((h & 0x80) == 0) {
		*why_r = "packet header bit 7 clear";
		return false;
	}
	if ((h & 0x40) == 0) {
		static const size_t lsize[3] = {1, 2, 4};

		*tag_r = (h >> 2) & 0x0F;
		if ((h & 3) == 3) {
			*why_r = "old-format indeterminate length";
			return false;
		}
		if (n - *pos < lsize[h & 3])
			return false;
		blen = gate_be(p + *pos, lsize[h & 3]);
		*pos += lsize[h & 3];
		*body_r = *pos;
		if (blen > n - *pos)
			return false;
		*pos += (size_t)blen;
		return true;
	}
	*tag_r = h & 0x3F;
	*body_r = SIZE_MAX;
	do {
		if (!gate_new_length(p, n, pos, &blen, &is_partial))
			return false;
		if (*body_r == SIZE_MAX)
			*body_r = *pos;
		if (blen > n - *pos)
			return false;
		*pos += (size_t)blen;
		*has_partial_r |= is_partial;
	} while (is_partial);
	return true;
}

bool
gate_packets_check(const unsigned char *p, size_t n, const char **why_r)
{
	size_t pos = 0, nkeys = 0;

	while (pos < n) {
		unsigned tag;
		size_t body;
		bool has_partial;

		if (!gate_packet(p, n, &pos, &tag, &body, &has_partial, why_r))
			return false;
		if (tag == GATE_TAG_PKESK || tag == GATE_TAG_SKESK) {
			if (has_partial) {
				*why_r = "partial length outside the last packet";
				return false;
			}
			nkeys++;
			continue;
		}
		if (tag != GATE_TAG_SEIPD) {
			*why_r = "packet tag not PKESK/SKESK/SEIPD";
			return false;
		}
		if (nkeys == 0) {
			*why_r = "SEIPD without PKESK/SKESK";
			return false;
		}
		/* the version octet must be inside the first chunk of the body */
		if (body >= pos || (p[body] != 1 && p[body] != 2)) {
			*why_r = "SEIPD version";
			return false;
		}
		if (pos != n) {
			*why_r = "octets after SEIPD";
			return false;
		}
		return true;
	}
	*why_r = nkeys == 0 ? "no packets" : "no SEIPD";
	return false;
}
