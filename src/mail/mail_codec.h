/*
 * mail_codec.h - base64 and quoted-printable decoders. PURE.
 *
 * RFC 4648 section 4 (base64), RFC 2045 section 6.7 (quoted-printable),
 * RFC 2045 section 6.8 (base64 in MIME bodies). Used by SASL (RFC 4954),
 * the encryption gate (GATE-3, GATE-5) and later by IMAP BINARY.
 * Does not allocate: callers pass an output buffer of at least the input
 * length (decoding never grows data). Every decoder may run in place
 * (out == in): it never writes ahead of what it has read.
 */
#ifndef CHATRELAY_MAIL_CODEC_H
#define CHATRELAY_MAIL_CODEC_H

#include <stdbool.h>
#include <stddef.h>

/*
 * mail_base64_decode_strict - decode standard base64 (RFC 4648 4): length a
 * multiple of 4, '=' only as final padding, no white space, no other octets.
 * out must hold len octets. Returns 0 and *out_len_r, or -1 on any error.
 */
int mail_base64_decode_strict(const char *in, size_t len, unsigned char *out, size_t *out_len_r);

/*
 * mail_base64_decode_mime - decode a base64 MIME body: CR, LF, space and tab
 * are skipped; any other non-alphabet octet, bad padding or a dangling
 * quantum is an error (the gate treats such parts as undecodable).
 * out must hold len octets. Returns 0 and *out_len_r, or -1.
 */
int mail_base64_decode_mime(const char *in, size_t len, unsigned char *out, size_t *out_len_r);

/*
 * mail_qp_decode - decode quoted-printable: "=XX" (hex, either case),
 * soft line breaks "=" CRLF / "=" LF, trailing white space before a line
 * end removed (RFC 2045 6.7 rule 3). A malformed "=" sequence is kept
 * literally, as RFC 2045 6.7 note (2) recommends. out must hold len octets.
 * Never fails; returns the decoded length.
 */
size_t mail_qp_decode(const char *in, size_t len, unsigned char *out);

#endif
