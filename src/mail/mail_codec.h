/*
 * mail_codec.h - base64 and quoted-printable decoders. PURE.
 *
 * RFC 4648 section 4 (base64), RFC 2045 section 6.7 (quoted-printable),
 * RFC 2045 section 6.8 (base64 in MIME bodies), RFC 6376 2.4 (DKIM). Used
 * by SASL (RFC 4954, IMAP-16, via auth_sasl.c), the encryption gate
 * (GATE-3, GATE-5), DKIM signatures and keys, and later by IMAP BINARY.
 * Does not allocate: callers pass the output buffer (decoding never grows
 * data). Every decoder may run in place (out == in): it never writes
 * ahead of what it has read.
 */
#ifndef CHATRELAY_MAIL_CODEC_H
#define CHATRELAY_MAIL_CODEC_H

#include <stdbool.h>
#include <stddef.h>

/* How much a base64 text may deviate from the plain RFC 4648 4 form. */
enum mail_b64_mode {
	/*
	 * SASL (RFC 4422 / 4954) and PGP armor data (GATE-5.6): length a
	 * multiple of 4, '=' only as final padding, no white space, and the
	 * unused bits before the padding are zero (RFC 4648 3.5), so every
	 * accepted text is the one canonical encoding of its octets.
	 */
	MAIL_B64_STRICT,
	/* MIME bodies (RFC 2045 6.8, GATE-3): CR, LF, SP, HTAB skipped; padding required. */
	MAIL_B64_MIME,
	/*
	 * DKIM tag values (RFC 6376 2.4 base64string): FWS skipped and the
	 * padding optional, as the grammar allows; a dangling single
	 * character or a partial padding is still an error.
	 */
	MAIL_B64_DKIM,
};

/*
 * mail_base64_decode - the one base64 decoder: in[0..len) in the given
 * mode into out (at most outsize octets). Returns 0 and *out_len_r, or -1
 * on any error (bad octet, misplaced '=', data after the padding, a
 * dangling quantum, or more than outsize octets); after an error out holds
 * garbage the caller must not use (wipe it when it may hold a secret).
 * outsize >= len is always enough, and out == in is allowed.
 */
int mail_base64_decode(const char *in, size_t len, enum mail_b64_mode mode, unsigned char *out,
        size_t outsize, size_t *out_len_r);

/*
 * mail_base64_encode - standard base64 with padding of in[0..len) into out
 * (NUL-terminated). Returns 0, or -1 when outsize < 4 * ((len + 2) / 3) + 1.
 */
int mail_base64_encode(const unsigned char *in, size_t len, char *out, size_t outsize);

/*
 * mail_qp_decode - decode quoted-printable: "=XX" (hex, either case),
 * soft line breaks "=" CRLF / "=" LF, trailing white space before a line
 * end removed (RFC 2045 6.7 rule 3). A malformed "=" sequence is kept
 * literally, as RFC 2045 6.7 note (2) recommends. out must hold len octets.
 * Never fails; returns the decoded length.
 */
size_t mail_qp_decode(const char *in, size_t len, unsigned char *out);

#endif
