/*
 * net_tls.c - OpenSSL server contexts, certificate generation, reload.
 *
 * TLS-1: minimum version from tls_min_version (never below 1.2), no
 * compression, no renegotiation, OpenSSL default suites at security level 2.
 * TLS-3: ECDSA P-256 self-signed certificate, 128-bit random serial, SANs.
 * TLS-5: SNI ignored; ALPN answered per listener, never a reason to fail.
 */
#include "net/net_tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core_conf.h"
#include "core/core_fs.h"
#include "core/core_log.h"
#include "core/core_str.h"

#define TLS_ALPN_COUNT (TLS_ALPN_HTTP + 1)

/*
 * One context per ALPN preference, all with the same pair and settings: the
 * preference is the ALPN callback's argument, so an SSL object needs no
 * ex_data of its own (issue 9: every idle session pays for what it holds).
 */
struct tls {
	SSL_CTX *ctx[TLS_ALPN_COUNT]; /* owned (one reference each) */
	char *cert_path; /* owned */
	char *key_path;  /* owned */
	int min_version;
};

/* The ALPN callback's argument per preference (never written). */
static enum tls_alpn tls_alpn_prefs[TLS_ALPN_COUNT] = { TLS_ALPN_NONE, TLS_ALPN_IMAP,
	TLS_ALPN_SMTP, TLS_ALPN_HTTP };

/* tls_paths - the certificate source of TLS-2, first match. */
static int
tls_paths(const struct conf *conf, char **cert_r, char **key_r)
{
	if (conf->tls_cert[0] != '\0') {
		*cert_r = strdup(conf->tls_cert);
		*key_r = strdup(conf->tls_key);
	} else if (conf->tls_external_cert != NULL) {
		*cert_r = strdup(conf->tls_external_cert);
		*key_r = strdup(conf->tls_external_key);
	} else {
		if (str_printf(cert_r, "%s/tls/cert.pem", conf->data_dir) < 0)
			return -1;
		if (str_printf(key_r, "%s/tls/key.pem", conf->data_dir) < 0) {
			free(*cert_r);
			return -1;
		}
	}
	if (*cert_r == NULL || *key_r == NULL) {
		free(*cert_r);
		free(*key_r);
		return -1;
	}
	return 0;
}

const char *
tls_describe_error(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return reason != NULL ? reason : "unknown error";
}

/* tls_add_san - subjectAltName: DNS host, DNS domain if different, IP for IP literals. */
static int
tls_add_san(X509 *x, const struct conf *conf)
{
	char san[600];
	X509_EXTENSION *ext;
	X509V3_CTX v3;
	int n;

	n = snprintf(san, sizeof(san), "DNS:%s", conf->hostname);
	if (conf->mail_domain_is_ip)
		n += snprintf(san + n, sizeof(san) - (size_t)n, ",IP:%s", conf->mail_domain_bare);
	else if (strcmp(conf->mail_domain_bare, conf->hostname) != 0)
		n += snprintf(san + n, sizeof(san) - (size_t)n, ",DNS:%s", conf->mail_domain_bare);
	if (n <= 0 || (size_t)n >= sizeof(san))
		return -1;
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
	if (ext == NULL)
		return -1;
	n = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return n == 1 ? 0 : -1;
}

/* tls_make_cert - build the self-signed certificate of TLS-3 for key. */
static X509 *
tls_make_cert(EVP_PKEY *key, const struct conf *conf)
{
	unsigned char serial_bytes[16];
	BIGNUM *serial = NULL;
	X509_NAME *name;
	X509 *x = X509_new();

	if (x == NULL || RAND_bytes(serial_bytes, sizeof(serial_bytes)) != 1)
		goto fail;
	serial_bytes[0] &= 0x7f; /* a positive INTEGER */
	serial = BN_bin2bn(serial_bytes, sizeof(serial_bytes), NULL);
	if (serial == NULL || BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) == NULL)
		goto fail;
	if (X509_set_version(x, 2) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -86400L) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 3649L * 86400L) == NULL ||
	    X509_set_pubkey(x, key) != 1)
		goto fail;
	name = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
		(const unsigned char *)conf->hostname, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 || tls_add_san(x, conf) < 0 ||
	    X509_sign(x, key, EVP_sha256()) == 0)
		goto fail;
	BN_free(serial);
	return x;
fail:
	BN_free(serial);
	X509_free(x);
	return NULL;
}

/*
 * tls_write_pem - the key (PKCS#8) or the certificate as PEM to path, mode
 * 0600, atomically and durably (fs_write_durable). The PEM text is built
 * in a secure-heap BIO, which clears the key text when freed.
 */
static int
tls_write_pem(const char *path, EVP_PKEY *key, X509 *cert)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	char *data = NULL;
	long len = 0;
	int ok, rc = -1;

	if (bio == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (key != NULL)
		ok = PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
	else
		ok = PEM_write_bio_X509(bio, cert);
	if (ok == 1 && (len = BIO_get_mem_data(bio, &data)) > 0)
		rc = fs_write_durable(path, data, (size_t)len, 0600, true);
	else
		errno = EIO;
	BIO_free(bio);
	return rc;
}

static int
tls_generate(const struct conf *conf, const char *cert_path, const char *key_path, char *err,
	size_t errlen)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert = NULL;
	char dir[4096];
	int rc = -1;

	snprintf(dir, sizeof(dir), "%s/tls", conf->data_dir);
	if (fs_mkdir_p(dir, 0700) < 0) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	if (key == NULL || (cert = tls_make_cert(key, conf)) == NULL) {
		snprintf(err, errlen, "cannot generate certificate: %s", tls_describe_error());
		goto out;
	}
	if (tls_write_pem(key_path, key, NULL) < 0 || tls_write_pem(cert_path, NULL, cert) < 0) {
		snprintf(err, errlen, "cannot write %s: %s", dir, strerror(errno));
		goto out;
	}
	log_info("generated self-signed TLS certificate (ECDSA P-256) in %s", dir);
	rc = 0;
out:
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}

int
tls_prepare(const struct conf *conf, bool *is_generated_r, char *err, size_t errlen)
{
	char *cert = NULL, *key = NULL;
	int rc = 0;

	*is_generated_r = conf->tls_cert[0] == '\0' && conf->tls_external_cert == NULL;
	if (!*is_generated_r)
		return 0;
	if (tls_paths(conf, &cert, &key) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (access(cert, F_OK) != 0 || access(key, F_OK) != 0)
		rc = tls_generate(conf, cert, key, err, errlen);
	free(cert);
	free(key);
	return rc;
}

/* tls_alpn_select_cb - TLS-5: pick the listener's protocol if offered, else no ALPN. */
static int
tls_alpn_select_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
	const unsigned char *in, unsigned int inlen, void *arg)
{
	static const char *const names[] = { NULL, "imap", "smtp", "http/1.1" };
	const enum tls_alpn *want = arg;
	const char *name;
	size_t nlen;

	(void)ssl;
	if (want == NULL || *want <= TLS_ALPN_NONE || *want > TLS_ALPN_HTTP)
		return SSL_TLSEXT_ERR_NOACK;
	name = names[*want];
	nlen = strlen(name);
	for (unsigned int i = 0; i < inlen;) {
		unsigned int len = in[i];

		if (i + 1 + len > inlen)
			break;
		if (len == nlen && memcmp(in + i + 1, name, nlen) == 0) {
			*out = in + i + 1;
			*outlen = (unsigned char)len;
			return SSL_TLSEXT_ERR_OK;
		}
		i += 1 + len;
	}
	return SSL_TLSEXT_ERR_NOACK;
}

/* tls_ctx_build - a fresh context with the pair from disk, answering ALPN with alpn. */
static SSL_CTX *
tls_ctx_build(const struct tls *t, enum tls_alpn alpn, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL) {
		snprintf(err, errlen, "TLS context: %s", tls_describe_error());
		return NULL;
	}
	SSL_CTX_set_security_level(ctx, 2);
	SSL_CTX_set_min_proto_version(ctx, t->min_version);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
		SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (alpn != TLS_ALPN_NONE)
		SSL_CTX_set_alpn_select_cb(ctx, tls_alpn_select_cb, &tls_alpn_prefs[alpn]);
	if (SSL_CTX_use_certificate_chain_file(ctx, t->cert_path) != 1) {
		snprintf(err, errlen, "%s: cannot load certificate: %s", t->cert_path,
			tls_describe_error());
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, t->key_path, SSL_FILETYPE_PEM) != 1) {
		snprintf(err, errlen, "%s: cannot load key: %s", t->key_path, tls_describe_error());
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "%s: key does not match certificate %s", t->key_path,
			t->cert_path);
		ERR_clear_error();
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* tls_ctx_build_all - every preference's context into ctx[], or -1 (nothing left allocated). */
static int
tls_ctx_build_all(const struct tls *t, SSL_CTX *ctx[TLS_ALPN_COUNT], char *err, size_t errlen)
{
	for (int i = 0; i < TLS_ALPN_COUNT; i++) {
		ctx[i] = tls_ctx_build(t, (enum tls_alpn)i, err, errlen);
		if (ctx[i] == NULL) {
			while (i-- > 0) {
				SSL_CTX_free(ctx[i]);
				ctx[i] = NULL;
			}
			return -1;
		}
	}
	return 0;
}

struct tls *
tls_new(const struct conf *conf, char *err, size_t errlen)
{
	struct tls *t = calloc(1, sizeof(*t));

	if (t == NULL || tls_paths(conf, &t->cert_path, &t->key_path) < 0) {
		free(t);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->min_version = conf->tls_min_version == CONF_TLS_1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;
	if (tls_ctx_build_all(t, t->ctx, err, errlen) < 0) {
		tls_free(&t);
		return NULL;
	}
	return t;
}

void
tls_free(struct tls **tp)
{
	struct tls *t = *tp;

	if (t == NULL)
		return;
	for (int i = 0; i < TLS_ALPN_COUNT; i++)
		SSL_CTX_free(t->ctx[i]);
	free(t->cert_path);
	free(t->key_path);
	free(t);
	*tp = NULL;
}

int
tls_reload(struct tls *t, char *err, size_t errlen)
{
	SSL_CTX *ctx[TLS_ALPN_COUNT];

	if (tls_ctx_build_all(t, ctx, err, errlen) < 0)
		return -1;
	/* Live SSL objects hold their own reference to the old contexts (TLS-4). */
	for (int i = 0; i < TLS_ALPN_COUNT; i++) {
		SSL_CTX_free(t->ctx[i]);
		t->ctx[i] = ctx[i];
	}
	return 0;
}

SSL *
tls_new_ssl(struct tls *t, enum tls_alpn alpn)
{
	if ((int)alpn < 0 || (int)alpn >= TLS_ALPN_COUNT)
		alpn = TLS_ALPN_NONE;
	return SSL_new(t->ctx[alpn]);
}
