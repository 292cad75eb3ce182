/*
 * auth_hash.c - yescrypt hashing and verification of imported crypt
 * strings (AUTH-5..7). Runs crypt(3): worker threads and CLI only.
 * Does not log passwords or hashes (LOG-1).
 */
#include "auth/auth_hash.h"

#include <crypt.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_address.h"
#include "core/core_log.h"
#include "core/core_str.h"

_Static_assert(AUTH_PASSWORD_MAX < CRYPT_MAX_PASSPHRASE_SIZE,
        "libxcrypt must accept every password we accept");

/* A yescrypt hash of a password nobody uses: verified when no account will match (AUTH-7). */
static const char auth_hash_dummy_str[] =
        "$y$j9T$sw0fXMSigR1aGxwV8mOTW1$MIBMBxvDsAi4lIErzjvFaj/C7ltZ8KqACNHMnIMqa5.";

/* Dovecot passdb scheme tags whose payload is a crypt(3) string (AUTH-6). */
static const char *const auth_hash_tags[] = {
        "{SHA512-CRYPT}",
        "{SHA256-CRYPT}",
        "{BLF-CRYPT}",
        "{CRYPT}",
};

const char *
auth_hash_strip_tag(const char *stored)
{
	if (stored[0] != '{')
		return stored;
	for (size_t i = 0; i < sizeof(auth_hash_tags) / sizeof(auth_hash_tags[0]); i++) {
		size_t n = strlen(auth_hash_tags[i]);

		if (strncmp(stored, auth_hash_tags[i], n) == 0)
			return stored + n;
	}
	return NULL;
}

int
auth_hash_make(const char *password, char *out, size_t outlen)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	const char *h;
	int rc = -1;

	/* NULL random bytes: libxcrypt reads the OS CSPRNG (getrandom). */
	if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)) == NULL)
		return -1;
	cd = calloc(1, sizeof(*cd));
	if (cd == NULL)
		return -1;
	h = crypt_rn(password, salt, cd, sizeof(*cd));
	if (h != NULL && h[0] != '*' && strlen(h) < outlen) {
		memcpy(out, h, strlen(h) + 1);
		rc = 0;
	} else {
		errno = EINVAL;
	}
	str_wipe(cd, sizeof(*cd));
	free(cd);
	return rc;
}

int
auth_hash_verify(const char *password, const char *stored)
{
	const char *setting = auth_hash_strip_tag(stored);
	struct crypt_data *cd;
	const char *h;
	int rc = -1;

	if (setting == NULL || setting[0] == '\0')
		return -1;
	cd = calloc(1, sizeof(*cd));
	if (cd == NULL)
		return -1;
	h = crypt_rn(password, setting, cd, sizeof(*cd));
	if (h != NULL && h[0] != '*') {
		size_t n = strlen(setting);

		/* Constant time over the whole stored string; length is not secret. */
		rc = strlen(h) == n && CRYPTO_memcmp(h, setting, n) == 0 ? 1 : 0;
	}
	str_wipe(cd, sizeof(*cd));
	free(cd);
	return rc;
}

void
auth_hash_dummy(const char *password)
{
	(void)auth_hash_verify(password, auth_hash_dummy_str);
}
