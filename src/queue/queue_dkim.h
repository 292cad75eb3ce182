/*
 * queue_dkim.h - DKIM signing, verification and the signing key (SPEC
 * section 11: DKIM-1..7; RFC 6376, RFC 8463 for ed25519-sha256).
 *
 * The crypto half of DKIM; canonicalisation and tag parsing are PURE in
 * mail/mail_dkim_canon.h and mail/mail_dkim_sig.h. Lives in queue/ because
 * signing happens at enqueue time (DKIM-1) and OpenSSL may not be used in
 * a PURE module; inbound SMTP and /mxdeliv (above queue/) use the verifier.
 *
 * Nothing here does DNS: the verifier names the key records it needs and
 * the caller (c-ares on the loop, DKIM-7) hands the TXT text back. Signing
 * and verification are CPU work on the whole message and key generation
 * writes a file: run them on a worker thread or at start-up, never on the
 * loop thread.
 */
#ifndef CHATRELAY_QUEUE_DKIM_H
#define CHATRELAY_QUEUE_DKIM_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf;

/* ---- the key (DKIM-3) ---- */

/* queue_dkim_is_signing - DKIM-1: a name mail domain and dkim_sign = yes. */
bool queue_dkim_is_signing(const struct conf *conf);

/*
 * queue_dkim_key_prepare - GEN-5/DKIM-3: when signing is active and the
 * file conf->dkim_key is missing, generate a 2048-bit RSA key there (PEM,
 * mode 0600, parent directories 0700, written to a temporary file, fsynced,
 * linked into place, directory fsynced). *is_generated_r says whether it
 * did. Returns 0, or -1 with a message in err. Blocks on disk I/O.
 */
int queue_dkim_key_prepare(const struct conf *conf, bool *is_generated_r, char *err, size_t errlen);

/*
 * queue_dkim_key_load - read a PEM private key (PKCS#1 "RSA PRIVATE KEY",
 * as opendkim-genkey writes, or PKCS#8) of type RSA (>= 1024 bits) or
 * Ed25519. *key_r is owned by the caller (EVP_PKEY_free). Returns 0 or -1
 * with a message in err.
 */
int queue_dkim_key_load(const char *path, EVP_PKEY **key_r, char *err, size_t errlen);

/*
 * queue_dkim_key_record - the TXT record text of CLI-8 for key:
 * `v=DKIM1; k=rsa; s=email; t=s; p=<base64 SubjectPublicKeyInfo>` (k=ed25519
 * and the raw 32-octet key for Ed25519, RFC 8463 4.2). *record_r is
 * malloc'ed. Returns 0 or -1.
 */
int queue_dkim_key_record(EVP_PKEY *key, char **record_r);

/* ---- signing (DKIM-1, DKIM-2) ---- */

struct queue_dkim_signer;

/*
 * queue_dkim_signer_new - a signer for d=domain, s=selector with key (one
 * reference is taken; the caller keeps its own). a= is rsa-sha256 for an RSA
 * key, ed25519-sha256 for an Ed25519 key. NULL on ENOMEM or a bad argument
 * (domain and selector must be DNS names of at most DKIM_DOMAIN_MAX octets).
 */
struct queue_dkim_signer *queue_dkim_signer_new(
        EVP_PKEY *key, const char *domain, const char *selector);

/*
 * queue_dkim_signer_load - GEN-5 in one call: when signing is active
 * (queue_dkim_is_signing), generate the key if missing
 * (queue_dkim_key_prepare), load it and make the signer for the mail
 * domain and dkim_selector; otherwise *signer_r is NULL. Returns 0, or -1
 * with a message in err. Blocks on disk I/O (start-up only). Run it before
 * privileges are dropped if the key file is root-only.
 */
int queue_dkim_signer_load(
        const struct conf *conf, struct queue_dkim_signer **signer_r, char *err, size_t errlen);

/* queue_dkim_signer_free - release; accepts NULL, leaves NULL. */
void queue_dkim_signer_free(struct queue_dkim_signer **sp);

/*
 * queue_dkim_sign_buf / queue_dkim_sign_fd - sign a message (CRLF lines)
 * given whole, or read from fd until end of file (from its current
 * offset; the body is streamed, only the header section is held). now is
 * t=. *field_r receives the malloc'ed `DKIM-Signature: ...` field, folded
 * at about 76 columns, ending with CRLF, to put on top of the message
 * unchanged. c=relaxed/relaxed, no l=, no x= (DKIM-1). Returns 0 or -1 with
 * *error_r (static text: header too large, read error, crypto failure).
 */
int queue_dkim_sign_buf(const struct queue_dkim_signer *s, const char *msg, size_t len, int64_t now,
        char **field_r, const char **error_r);
int queue_dkim_sign_fd(const struct queue_dkim_signer *s, int fd, int64_t now, char **field_r,
        const char **error_r);

/* ---- verification (DKIM-5..7) ---- */

/* What the SMTP layer answers (DKIM-5, DKIM-7). */
enum queue_dkim_result {
	QUEUE_DKIM_PASS,     /* a valid signature aligned with the From domain */
	QUEUE_DKIM_NONE,     /* no DKIM-Signature field at all */
	QUEUE_DKIM_FAIL,     /* signatures, none valid and aligned */
	QUEUE_DKIM_TEMPFAIL, /* none passed and at least one key lookup failed temporarily */
};

/* queue_dkim_result_reply - the exact SMTP reply line of a result (no CRLF); NULL for PASS. */
const char *queue_dkim_result_reply(enum queue_dkim_result r);

/* queue_dkim_result_name - for logs. */
const char *queue_dkim_result_name(enum queue_dkim_result r);

/* The answer to one key lookup (TXT at <s>._domainkey.<d>). */
enum queue_dkim_lookup {
	QUEUE_DKIM_LOOKUP_FOUND,    /* record given (TXT strings concatenated) */
	QUEUE_DKIM_LOOKUP_NONE,     /* NXDOMAIN or no TXT: the signature fails */
	QUEUE_DKIM_LOOKUP_TEMPFAIL, /* timeout or SERVFAIL (DKIM-7) */
};

struct queue_dkim_verify;

/*
 * queue_dkim_verify_new - a verifier of one message whose From domain is
 * from_domain (a name; IP literals are DKIM-8's, not DKIM's). now is the
 * clock for x= (injectable for tests). NULL on ENOMEM.
 */
struct queue_dkim_verify *queue_dkim_verify_new(const char *from_domain, int64_t now);

/* queue_dkim_verify_free - release; accepts NULL, leaves NULL. */
void queue_dkim_verify_free(struct queue_dkim_verify **vp);

/*
 * queue_dkim_verify_feed - the next octets of the message (any split).
 * Returns 0, or -1 when the message cannot be verified (header section
 * over DKIM_HEADER_MAX, ENOMEM): the result is then FAIL, or NONE when no
 * signature was seen. Further feeds are ignored after -1.
 */
int queue_dkim_verify_feed(struct queue_dkim_verify *v, const void *data, size_t len);

/*
 * queue_dkim_verify_feed_fd - feed everything from fd (its current offset)
 * to end of file, then finish. Blocks on disk: worker threads only.
 * Returns 0, or -1 on a read error (errno) or a feed error.
 */
int queue_dkim_verify_feed_fd(struct queue_dkim_verify *v, int fd);

/* queue_dkim_verify_finish - end of message: body hashes are computed. */
void queue_dkim_verify_finish(struct queue_dkim_verify *v);

/*
 * queue_dkim_verify_lookup_count / queue_dkim_verify_lookup - the key
 * records needed: one per signature that could pass (at most
 * DKIM_SIGS_MAX evaluated, DKIM-6; aligned, acceptable algorithm, h= with
 * from, not expired). Known once the header section is complete (the count
 * is 0 before). Strings are borrowed from v.
 */
size_t queue_dkim_verify_lookup_count(const struct queue_dkim_verify *v);
void queue_dkim_verify_lookup(const struct queue_dkim_verify *v, size_t i, const char **selector_r,
        const char **domain_r);

/* queue_dkim_verify_set_key - answer lookup i; record/len only for FOUND. */
void queue_dkim_verify_set_key(struct queue_dkim_verify *v, size_t i, enum queue_dkim_lookup answer,
        const char *record, size_t len);

/*
 * queue_dkim_verify_result - after finish and every set_key: PASS if one
 * signature verifies; else TEMPFAIL if a lookup failed temporarily; else
 * FAIL; NONE when the message has no DKIM-Signature field. A lookup not
 * answered counts as TEMPFAIL.
 */
enum queue_dkim_result queue_dkim_verify_result(struct queue_dkim_verify *v);

/* Synchronous lookup for queue_dkim_verify_buf; *record_r malloc'ed on FOUND. */
typedef enum queue_dkim_lookup queue_dkim_lookup_fn(
        void *ctx, const char *selector, const char *domain, char **record_r);

/* queue_dkim_verify_buf - the whole verification of a message in memory (tests, tools). */
enum queue_dkim_result queue_dkim_verify_buf(const char *msg, size_t len, const char *from_domain,
        int64_t now, queue_dkim_lookup_fn *lookup, void *ctx);

#endif
