/*
 * auth_cache.c - verified-credential cache (AUTH-8) with HMAC-SHA256 under
 * a key drawn at start from the OpenSSL CSPRNG. Loop thread only.
 */
#include "auth/auth_cache.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_map.h"
#include "core/core_str.h"

struct auth_cache_entry {
	unsigned char mac[AUTH_CACHE_MAC_LEN];
	unsigned char hash_id[AUTH_CACHE_MAC_LEN];
	int64_t expires_ms;
};

struct auth_cache {
	unsigned char key[32];
	struct auth_map *entries; /* owned: address -> struct auth_cache_entry */
	int64_t ttl_ms;
};

static void
auth_cache_entry_free(void *p)
{
	if (p != NULL)
		str_wipe(p, sizeof(struct auth_cache_entry));
	free(p);
}

struct auth_cache *
auth_cache_new(int64_t ttl_ms)
{
	struct auth_cache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->entries = auth_map_new(auth_cache_entry_free);
	if (c->entries == NULL || RAND_bytes(c->key, sizeof(c->key)) != 1) {
		auth_map_free(&c->entries);
		free(c);
		return NULL;
	}
	c->ttl_ms = ttl_ms;
	return c;
}

void
auth_cache_free(struct auth_cache **cp)
{
	struct auth_cache *c = *cp;

	if (c == NULL)
		return;
	auth_map_free(&c->entries);
	str_wipe(c->key, sizeof(c->key));
	free(c);
	*cp = NULL;
}

int
auth_cache_mac(const struct auth_cache *c, const char *password, size_t len,
        unsigned char mac[AUTH_CACHE_MAC_LEN])
{
	unsigned int n = 0;

	if (HMAC(EVP_sha256(), c->key, (int)sizeof(c->key), (const unsigned char *)password, len,
	            mac, &n) == NULL ||
	        n != AUTH_CACHE_MAC_LEN)
		return -1;
	return 0;
}

void
auth_cache_hash_id(const char *stored, unsigned char id[AUTH_CACHE_MAC_LEN])
{
	SHA256((const unsigned char *)stored, strlen(stored), id);
}

bool
auth_cache_check(struct auth_cache *c, const char *address,
        const unsigned char mac[AUTH_CACHE_MAC_LEN], const unsigned char *hash_id, int64_t now_ms)
{
	struct auth_cache_entry *e = auth_map_get(c->entries, address);

	if (e == NULL || c->ttl_ms <= 0)
		return false;
	if (e->expires_ms <= now_ms) {
		auth_map_del(c->entries, address);
		return false;
	}
	if (CRYPTO_memcmp(e->mac, mac, AUTH_CACHE_MAC_LEN) != 0)
		return false;
	return hash_id == NULL || memcmp(e->hash_id, hash_id, AUTH_CACHE_MAC_LEN) == 0;
}

void
auth_cache_put(struct auth_cache *c, const char *address,
        const unsigned char mac[AUTH_CACHE_MAC_LEN],
        const unsigned char hash_id[AUTH_CACHE_MAC_LEN], int64_t now_ms)
{
	struct auth_cache_entry *e;

	if (c->ttl_ms <= 0)
		return;
	e = malloc(sizeof(*e));
	if (e == NULL)
		return;
	memcpy(e->mac, mac, AUTH_CACHE_MAC_LEN);
	memcpy(e->hash_id, hash_id, AUTH_CACHE_MAC_LEN);
	e->expires_ms = now_ms + c->ttl_ms;
	if (auth_map_put(c->entries, address, e) < 0)
		auth_cache_entry_free(e);
}

void
auth_cache_remove(struct auth_cache *c, const char *address)
{
	auth_map_del(c->entries, address);
}

void
auth_cache_clear(struct auth_cache *c)
{
	auth_map_each(c->entries, NULL, NULL);
}

static bool
auth_cache_sweep_cb(const char *key, void *value, void *ctx)
{
	const struct auth_cache_entry *e = value;

	(void)key;
	return e->expires_ms <= *(const int64_t *)ctx;
}

void
auth_cache_sweep(struct auth_cache *c, int64_t now_ms)
{
	auth_map_each(c->entries, auth_cache_sweep_cb, &now_ms);
}

size_t
auth_cache_count(const struct auth_cache *c)
{
	return auth_map_count(c->entries);
}
