/*
 * meta_turn.h - TURN REST credentials for the METADATA entry
 * /shared/vendor/deltachat/turn (SPEC META-2, META-3).
 *
 * The credential scheme of coturn's use-auth-secret (draft-uberti-behave-
 * turn-rest-00) as chatmail-turn uses it: the username is the expiry time
 * as decimal Unix seconds, the password is base64(HMAC-SHA1(secret,
 * username)). Only meta_turn_password() touches OpenSSL; the rest is PURE
 * formatting. Nothing here blocks or logs; the secret is never copied.
 */
#ifndef CHATRELAY_META_TURN_H
#define CHATRELAY_META_TURN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Octets of the base64 of a 20-octet HMAC-SHA1 (28) plus the NUL. */
#define META_TURN_PASSWORD_SIZE 29

/* meta_turn_expiry - the username: now + lifetime seconds (META-3), never negative. */
int64_t meta_turn_expiry(time_t now, long lifetime);

/*
 * meta_turn_password - base64(HMAC-SHA1(key = secret[0..secret_len),
 * message = decimal expiry)) into out. Returns 0, or -1 if OpenSSL fails.
 */
int meta_turn_password(
        const char *secret, size_t secret_len, int64_t expiry, char out[META_TURN_PASSWORD_SIZE]);

/*
 * meta_turn_format - the METADATA value `<host>:<port>:<expiry>:<password>`
 * into buf, snprintf semantics (returns the needed length, or -1 on an
 * encoding error).
 */
int meta_turn_format(
        char *buf, size_t size, const char *host, long port, int64_t expiry, const char *password);

/*
 * meta_turn_value - the whole entry value for now into a new string (caller
 * frees). Returns 0, or -1 (ENOMEM, OpenSSL failure).
 */
int meta_turn_value(
        const char *host, long port, const char *secret, long lifetime, time_t now, char **value_r);

#endif
