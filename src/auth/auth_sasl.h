/*
 * auth_sasl.h - SASL responses for the IMAP and SMTP authentication
 * commands: strict base64 (via mail_codec.h) and PLAIN (RFC 4616) with
 * the authorization-identity rule of AUTH-1 (IMAP-16, SUB-2).
 * PURE: no I/O, no allocation. The one SASL PLAIN implementation.
 */
#ifndef CHATRELAY_AUTH_SASL_H
#define CHATRELAY_AUTH_SASL_H

#include <stddef.h>

/*
 * auth_sasl_decode - one SASL response (b64 NUL-terminated, line end
 * removed; the session answers "*" itself) as strict base64
 * (MAIL_B64_STRICT) into out, NUL-terminated (outsize counts the NUL);
 * *len_r gets the decoded length. Returns 0, or -1 (invalid, too long)
 * with out wiped. The caller wipes out[0..*len_r) after use.
 */
int auth_sasl_decode(const char *b64, unsigned char *out, size_t outsize, size_t *len_r);

/*
 * auth_sasl_plain_split - split a decoded PLAIN message "authzid NUL authcid
 * NUL passwd" in place (msg must have room for a terminating NUL at
 * msg[len]). Pointers go into msg. 0, or -1 when the layout is not
 * RFC 4616 2: not exactly two NULs, an empty authcid or an empty passwd.
 */
int auth_sasl_plain_split(char *msg, size_t len, const char **authz_r, const char **authc_r,
        const char **password_r, size_t *password_len_r);

/*
 * auth_sasl_authz_ok - AUTH-1: the authorization identity is empty or
 * equal (ACC-1, login form) to the authentication identity.
 */
int auth_sasl_authz_ok(const char *authz, const char *authc);

/* Credentials of one PLAIN response; the pointers borrow from the caller's buffer. */
struct auth_sasl_plain {
	const char *user;     /* borrowed: authcid, or "" when AUTH-1's rule failed */
	const char *password; /* borrowed */
	size_t password_len;
};

/*
 * auth_sasl_plain - a whole PLAIN response, initial (SASL-IR, RFC 4954 4)
 * or continued: "=" is the empty response, then auth_sasl_decode() into
 * buf and auth_sasl_plain_split(). A failed AUTH-1 rule is not an error:
 * the user is "", so the attempt still fails through auth_request() and is
 * counted and delayed like a wrong password. Returns 0, or -1 for bad
 * base64 or layout (IMAP "BAD Invalid SASL response.", SMTP "501 5.5.2
 * Cannot decode response"). The caller wipes buf[0..*len_r) either way.
 */
int auth_sasl_plain(const char *b64, unsigned char *buf, size_t bufsize, size_t *len_r,
        struct auth_sasl_plain *creds_r);

#endif
