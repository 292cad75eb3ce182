/*
 * auth_hash.h - password hashes with libxcrypt (AUTH-5, AUTH-6, AUTH-7).
 *
 * Every function here runs crypt(3) and is CPU-heavy: call it from worker
 * threads only (AUTH-11), or from the CLI. Thread-safe (crypt_rn with a
 * per-call buffer). Passwords are never logged.
 */
#ifndef CHATRELAY_AUTH_HASH_H
#define CHATRELAY_AUTH_HASH_H

#include <stddef.h>

/* Room for any crypt string we make or store. */
#define AUTH_HASH_MAX 512

/*
 * auth_hash_make - a new yescrypt ($y$, libxcrypt's default cost) hash of
 * password with a CSPRNG salt into out. Returns 0 or -1 (errno).
 */
int auth_hash_make(const char *password, char *out, size_t outlen);

/*
 * auth_hash_verify - compare password with a stored crypt string; a
 * Dovecot scheme tag ({SHA512-CRYPT}, {SHA256-CRYPT}, {BLF-CRYPT},
 * {CRYPT}) is removed first. The comparison runs in constant time over the
 * whole string (AUTH-7). Returns 1 match, 0 mismatch, -1 the stored string
 * cannot be verified (unknown scheme, malformed).
 */
int auth_hash_verify(const char *password, const char *stored);

/* auth_hash_strip_tag - stored without a known Dovecot tag; NULL for an unknown {tag}. */
const char *auth_hash_strip_tag(const char *stored);

/* auth_hash_dummy - verify against a fixed yescrypt hash, for timing only (AUTH-7). */
void auth_hash_dummy(const char *password);

#endif
