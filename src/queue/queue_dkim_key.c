/*
 * queue_dkim_key.c - the DKIM signing key: generation at start (DKIM-3,
 * GEN-5), loading, and the public TXT record text (CLI-8).
 *
 * The key file is an opendkim-compatible PEM private key, so a chatmail
 * relay's /etc/dkimkeys/opendkim.private works unchanged. A new key is
 * written to a temporary file, fsynced, then linked into place so a crash
 * or a second process (`chatrelay dns` while the server starts) never sees
 * a partial file, and a key that appeared meanwhile is never replaced.
 *
 * Never logs key material (LOG-1).
 */
#include "queue/queue_dkim.h"

#include <errno.h>
#include <libgen.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/core_conf.h"
#include "core/core_fs.h"
#include "core/core_log.h"
#include "core/core_str.h"

/* RSA key size of a generated key (DKIM-3). */
#define QUEUE_DKIM_RSA_BITS 2048
/* RFC 8301 3.2: verifiers refuse smaller RSA keys; so does the loader. */
#define QUEUE_DKIM_RSA_MIN_BITS 1024

bool
queue_dkim_is_signing(const struct conf *conf)
{
	return conf->dkim_sign && !conf->mail_domain_is_ip;
}

/* queue_dkim_key_dir - the directory holding path (into dir). */
static void
queue_dkim_key_dir(const char *path, char *dir, size_t dirlen)
{
	char copy[4096];

	snprintf(copy, sizeof(copy), "%s", path);
	snprintf(dir, dirlen, "%s", dirname(copy));
}

/*
 * queue_dkim_key_write - the key as PKCS#1 PEM ("RSA PRIVATE KEY", the form
 * opendkim-genkey writes) to path, mode 0600, atomically and durably; an
 * existing file wins (EEXIST). The PEM text lives in a secure-heap BIO,
 * cleared when freed.
 */
static int
queue_dkim_key_write(const char *path, EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	char *data = NULL;
	long len = 0;
	int rc = -1;

	if (bio == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (PEM_write_bio_PrivateKey_traditional(bio, key, NULL, NULL, 0, NULL, NULL) == 1 &&
	        (len = BIO_get_mem_data(bio, &data)) > 0)
		rc = fs_write_durable(path, data, (size_t)len, 0600, false);
	else
		errno = EIO;
	BIO_free(bio);
	return rc;
}

/* queue_dkim_key_generate - new RSA key at path, atomically; EEXIST is success. */
static int
queue_dkim_key_generate(const char *path, char *err, size_t errlen)
{
	char dir[4096];
	EVP_PKEY *key;
	int rc = 0;

	queue_dkim_key_dir(path, dir, sizeof(dir));
	if (fs_mkdir_p(dir, 0700) < 0) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	key = EVP_RSA_gen(QUEUE_DKIM_RSA_BITS);
	if (key == NULL) {
		snprintf(err, errlen, "cannot generate DKIM key: %s",
		        ERR_reason_error_string(ERR_get_error()));
		return -1;
	}
	/* linked, not renamed, into place: a key another process created meanwhile wins */
	if (queue_dkim_key_write(path, key) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		rc = -1;
	}
	EVP_PKEY_free(key);
	return rc;
}

int
queue_dkim_key_prepare(const struct conf *conf, bool *is_generated_r, char *err, size_t errlen)
{
	struct stat st;

	*is_generated_r = false;
	if (!queue_dkim_is_signing(conf))
		return 0;
	if (stat(conf->dkim_key, &st) == 0)
		return 0;
	if (errno != ENOENT) {
		snprintf(err, errlen, "cannot read DKIM key %s: %s", conf->dkim_key,
		        strerror(errno));
		return -1;
	}
	if (queue_dkim_key_generate(conf->dkim_key, err, errlen) < 0)
		return -1;
	*is_generated_r = true;
	log_info("generated DKIM key (RSA %d bits) in %s", QUEUE_DKIM_RSA_BITS, conf->dkim_key);
	return 0;
}

int
queue_dkim_key_load(const char *path, EVP_PKEY **key_r, char *err, size_t errlen)
{
	EVP_PKEY *key;
	FILE *f;

	*key_r = NULL;
	f = fopen(path, "re");
	if (f == NULL) {
		snprintf(err, errlen, "cannot open DKIM key %s: %s", path, strerror(errno));
		return -1;
	}
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	ERR_clear_error(); /* nothing of the key text may reach a log */
	if (key == NULL) {
		snprintf(err, errlen, "DKIM key %s is not a PEM private key", path);
		return -1;
	}
	if (!(EVP_PKEY_is_a(key, "RSA") && EVP_PKEY_get_bits(key) >= QUEUE_DKIM_RSA_MIN_BITS) &&
	        !EVP_PKEY_is_a(key, "ED25519")) {
		snprintf(err, errlen, "DKIM key %s is not an RSA key of at least %d bits", path,
		        QUEUE_DKIM_RSA_MIN_BITS);
		EVP_PKEY_free(key);
		return -1;
	}
	*key_r = key;
	return 0;
}

/* queue_dkim_key_public - the p= octets: DER SubjectPublicKeyInfo, or raw Ed25519. */
static int
queue_dkim_key_public(EVP_PKEY *key, unsigned char **der_r, size_t *len_r)
{
	unsigned char *der = NULL;
	int n;

	if (EVP_PKEY_is_a(key, "ED25519")) {
		/* RFC 8463 4.2: p= is the bare 32-octet public key. */
		*der_r = malloc(32);
		*len_r = 32;
		if (*der_r == NULL || EVP_PKEY_get_raw_public_key(key, *der_r, len_r) != 1) {
			free(*der_r);
			return -1;
		}
		return 0;
	}
	n = i2d_PUBKEY(key, &der);
	if (n <= 0)
		return -1;
	*der_r = der;
	*len_r = (size_t)n;
	return 0;
}

int
queue_dkim_key_record(EVP_PKEY *key, char **record_r)
{
	unsigned char *der = NULL;
	char *b64 = NULL;
	size_t len;
	int rc = -1;

	*record_r = NULL;
	if (queue_dkim_key_public(key, &der, &len) < 0)
		return -1;
	b64 = malloc(4 * ((len + 2) / 3) + 1);
	if (b64 == NULL)
		goto out;
	EVP_EncodeBlock((unsigned char *)b64, der, (int)len);
	rc = str_printf(record_r, "v=DKIM1; k=%s; s=email; t=s; p=%s",
	        EVP_PKEY_is_a(key, "ED25519") ? "ed25519" : "rsa", b64);
out:
	if (EVP_PKEY_is_a(key, "ED25519"))
		free(der);
	else
		OPENSSL_free(der);
	free(b64);
	return rc;
}
