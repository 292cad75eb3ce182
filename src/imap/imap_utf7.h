/*
 * imap_utf7.h - modified UTF-7 mailbox names (RFC 3501 5.1.3, SPEC
 * IMAP-14). PURE.
 *
 * Strict in both directions: decoding rejects every form the encoder would
 * not produce (printable ASCII inside a base64 run, `&` not written `&-`,
 * non-zero or excess padding bits, adjacent runs, unpaired surrogates,
 * octets outside 0x20..0x7e, an unterminated run), so each name has exactly
 * one wire form and two spellings can never reach the same mailbox.
 */
#ifndef CHATRELAY_IMAP_UTF7_H
#define CHATRELAY_IMAP_UTF7_H

#include <stdbool.h>
#include <stddef.h>

/*
 * imap_utf7_to_utf8 - decode modified UTF-7 in[0..len) into a new
 * NUL-terminated UTF-8 string *out_r (caller frees; its length in
 * *out_len_r if not NULL). Returns 0, or -1 with errno EINVAL (not
 * canonical modified UTF-7) or ENOMEM.
 */
int imap_utf7_to_utf8(const char *in, size_t len, char **out_r, size_t *out_len_r);

/*
 * imap_utf8_to_utf7 - encode UTF-8 in[0..len) as modified UTF-7 into a new
 * NUL-terminated string. Returns 0, or -1 with errno EINVAL (invalid UTF-8:
 * overlong, surrogate, above U+10FFFF, truncated, NUL) or ENOMEM.
 */
int imap_utf8_to_utf7(const char *in, size_t len, char **out_r, size_t *out_len_r);

/* imap_utf7_is_valid - whether in[0..len) is canonical modified UTF-7. */
bool imap_utf7_is_valid(const char *in, size_t len);

#endif
