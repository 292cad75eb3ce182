/*
 * auth_sasl.h - SASL PLAIN (RFC 4616) and base64 (RFC 4648) decoding for
 * the IMAP and SMTP authentication commands (AUTH-1, IMAP-16, SUB-2).
 * PURE: no I/O, no allocation.
 */
#ifndef CHATRELAY_AUTH_SASL_H
#define CHATRELAY_AUTH_SASL_H

#include <stddef.h>

/*
 * auth_base64_decode - strict base64 (padding required, no white space)
 * of in (NUL-terminated) into out; *len_r gets the decoded length, and
 * out is NUL-terminated (outlen must leave room). 0 or -1 (invalid, too long).
 */
int auth_base64_decode(const char *in, unsigned char *out, size_t outlen, size_t *len_r);

/* auth_base64_encode - base64 of in into out (NUL-terminated). 0 or -1 (too long). */
int auth_base64_encode(const unsigned char *in, size_t len, char *out, size_t outlen);

/*
 * auth_sasl_plain_split - split a decoded PLAIN message "authzid NUL authcid
 * NUL password" in place (msg must have room for a terminating NUL at
 * msg[len]). Pointers go into msg. 0 or -1 (not exactly two NULs, empty authcid).
 */
int auth_sasl_plain_split(char *msg, size_t len, const char **authz_r, const char **authc_r,
        const char **password_r, size_t *password_len_r);

/*
 * auth_sasl_authz_ok - AUTH-1: the authorization identity is empty or
 * equal (after ACC-1) to the authentication identity.
 */
int auth_sasl_authz_ok(const char *authz, const char *authc);

#endif
