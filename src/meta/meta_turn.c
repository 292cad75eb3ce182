/*
 * meta_turn.c - TURN REST credentials (SPEC META-3).
 *
 * PURE apart from meta_turn_hmac_sha1(), the one call into OpenSSL, kept
 * tiny so the formatting can be tested against the SPEC vectors and
 * `openssl dgst -sha1 -hmac`. Does not read the configuration or talk to
 * the TURN server (which is not part of chatrelay).
 */
#include "meta/meta_turn.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/core_str.h"
#include "mail/mail_codec.h"

#define META_TURN_SHA1_LEN 20

/* meta_turn_hmac_sha1 - the only non-PURE code: HMAC-SHA1 through OpenSSL. */
static int
meta_turn_hmac_sha1(const char *key, size_t key_len, const char *msg, size_t msg_len,
        unsigned char out[META_TURN_SHA1_LEN])
{
	unsigned int n = 0;

	if (key_len > INT32_MAX)
		return -1;
	if (HMAC(EVP_sha1(), key, (int)key_len, (const unsigned char *)msg, msg_len, out, &n) ==
	                NULL ||
	        n != META_TURN_SHA1_LEN)
		return -1;
	return 0;
}

int64_t
meta_turn_expiry(time_t now, long lifetime)
{
	int64_t t = (int64_t)now + (int64_t)lifetime;

	return t < 0 ? 0 : t;
}

int
meta_turn_password(
        const char *secret, size_t secret_len, int64_t expiry, char out[META_TURN_PASSWORD_SIZE])
{
	unsigned char mac[META_TURN_SHA1_LEN];
	char user[24];
	int n = snprintf(user, sizeof(user), "%" PRId64, expiry);

	if (n < 0 || meta_turn_hmac_sha1(secret, secret_len, user, (size_t)n, mac) < 0)
		return -1;
	n = mail_base64_encode(mac, sizeof(mac), out, META_TURN_PASSWORD_SIZE);
	str_wipe(mac, sizeof(mac));
	return n;
}

int
meta_turn_format(
        char *buf, size_t size, const char *host, long port, int64_t expiry, const char *password)
{
	return snprintf(buf, size, "%s:%ld:%" PRId64 ":%s", host, port, expiry, password);
}

int
meta_turn_value(
        const char *host, long port, const char *secret, long lifetime, time_t now, char **value_r)
{
	char password[META_TURN_PASSWORD_SIZE], probe[1];
	int64_t expiry = meta_turn_expiry(now, lifetime);
	int n;

	if (meta_turn_password(secret, strlen(secret), expiry, password) < 0)
		return -1;
	n = meta_turn_format(probe, sizeof(probe), host, port, expiry, password);
	if (n < 0 || (*value_r = malloc((size_t)n + 1)) == NULL)
		return -1;
	meta_turn_format(*value_r, (size_t)n + 1, host, port, expiry, password);
	return 0;
}
