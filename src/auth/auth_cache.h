/*
 * auth_cache.h - the verified-credential cache (AUTH-8).
 *
 * Per account: HMAC-SHA256 of the password under a random per-process key,
 * a SHA-256 identity of the stored hash it was verified against, and an
 * expiry. The clear-text password is never stored; failures are never
 * cached. Memory only (LOG-6). Loop thread only; the MAC itself is cheap.
 */
#ifndef CHATRELAY_AUTH_CACHE_H
#define CHATRELAY_AUTH_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_CACHE_MAC_LEN 32

struct auth_cache;

/* auth_cache_new - fresh random key (OpenSSL RAND). NULL on failure. */
struct auth_cache *auth_cache_new(int64_t ttl_ms);
/* auth_cache_free - wipes the key. Accepts NULL; leaves NULL. */
void auth_cache_free(struct auth_cache **cp);
/* auth_cache_mac - HMAC-SHA256(key, password) into mac. 0 or -1. */
int auth_cache_mac(const struct auth_cache *c, const char *password, size_t len,
        unsigned char mac[AUTH_CACHE_MAC_LEN]);
/* auth_hash_identity - SHA-256 of a stored hash string into id. */
void auth_cache_hash_id(const char *stored, unsigned char id[AUTH_CACHE_MAC_LEN]);
/*
 * auth_cache_check - true when address has a live entry whose MAC matches
 * (constant-time) and, when hash_id is not NULL, whose hash identity
 * matches too. An expired entry is removed.
 */
bool auth_cache_check(struct auth_cache *c, const char *address,
        const unsigned char mac[AUTH_CACHE_MAC_LEN], const unsigned char *hash_id, int64_t now_ms);
/* auth_cache_put - remember a successful verification. */
void auth_cache_put(struct auth_cache *c, const char *address,
        const unsigned char mac[AUTH_CACHE_MAC_LEN],
        const unsigned char hash_id[AUTH_CACHE_MAC_LEN], int64_t now_ms);
/* auth_cache_remove - forget an account (password change, delete, block). */
void auth_cache_remove(struct auth_cache *c, const char *address);
/* auth_cache_clear - forget everything (a domain was blocked). */
void auth_cache_clear(struct auth_cache *c);
/* auth_cache_sweep - drop expired entries. */
void auth_cache_sweep(struct auth_cache *c, int64_t now_ms);
/* auth_cache_count - live entries (tests). */
size_t auth_cache_count(const struct auth_cache *c);

#endif
