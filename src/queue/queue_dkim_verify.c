/*
 * queue_dkim_verify.c - DKIM verification of inbound mail (DKIM-5..7;
 * RFC 6376 6, RFC 8301, RFC 8463).
 *
 * The message streams through feed(): once the header section is complete
 * the signatures are parsed and those that could pass become candidates
 * (at most DKIM_SIGS_MAX evaluated): v=1, a=rsa-sha256 or ed25519-sha256
 * (rsa-sha1 never, RFC 8301), d= equal to the From domain (case-insensitive,
 * no subdomains, DKIM-5), h= with from, x= not in the past. Each candidate
 * hashes the body in its own canonicalisation. The caller looks up the key
 * records the candidates name and hands them in; the result is PASS as
 * soon as one candidate verifies.
 *
 * No DNS, no sockets, no logging of message content.
 */
#include "queue/queue_dkim.h"

#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core_fs.h"
#include "core/core_limits.h"
#include "mail/mail_dkim_canon.h"
#include "mail/mail_dkim_sig.h"

/* RFC 8301 3.2: RSA keys below 1024 bits MUST NOT be accepted (DKIM-6). */
#define QUEUE_DKIM_RSA_MIN_BITS 1024

struct queue_dkim_cand {
	struct mail_dkim_sig *sig; /* owned */
	struct mail_dkim_body body;
	EVP_MD_CTX *md; /* owned: the body hash */
	char *input;    /* owned: the header part of the signed data */
	size_t input_len;
	bool is_body_ok;
	bool has_answer;
	enum queue_dkim_lookup answer;
	EVP_PKEY *key; /* owned: a usable key from the record, or NULL */
};

struct queue_dkim_verify {
	char *from_domain; /* owned */
	int64_t now;
	struct mail_dkim_msg msg;
	bool has_sig;   /* the header has a DKIM-Signature field */
	bool is_failed; /* feed error: nothing can pass */
	bool is_finished;
	struct queue_dkim_cand cands[DKIM_SIGS_MAX];
	size_t cand_count;
};

const char *
queue_dkim_result_reply(enum queue_dkim_result r)
{
	switch (r) {
	case QUEUE_DKIM_PASS: return NULL;
	case QUEUE_DKIM_NONE: return "554 5.7.1 No DKIM signature found";
	case QUEUE_DKIM_FAIL: return "554 5.7.1 No valid DKIM signature found";
	case QUEUE_DKIM_TEMPFAIL: return "451 4.4.3 Temporary DNS failure during DKIM verification";
	}
	return "554 5.7.1 No valid DKIM signature found";
}

const char *
queue_dkim_result_name(enum queue_dkim_result r)
{
	switch (r) {
	case QUEUE_DKIM_PASS: return "pass";
	case QUEUE_DKIM_NONE: return "none";
	case QUEUE_DKIM_FAIL: return "fail";
	case QUEUE_DKIM_TEMPFAIL: return "tempfail";
	}
	return "unknown";
}

struct queue_dkim_verify *
queue_dkim_verify_new(const char *from_domain, int64_t now)
{
	struct queue_dkim_verify *v = calloc(1, sizeof(*v));

	if (v == NULL)
		return NULL;
	v->from_domain = strdup(from_domain);
	if (v->from_domain == NULL || mail_dkim_msg_init(&v->msg) < 0) {
		free(v->from_domain);
		free(v);
		return NULL;
	}
	v->now = now;
	return v;
}

void
queue_dkim_verify_free(struct queue_dkim_verify **vp)
{
	struct queue_dkim_verify *v = *vp;

	if (v == NULL)
		return;
	for (size_t i = 0; i < v->cand_count; i++) {
		free(v->cands[i].sig);
		EVP_MD_CTX_free(v->cands[i].md);
		free(v->cands[i].input);
		EVP_PKEY_free(v->cands[i].key);
	}
	mail_dkim_msg_reset(&v->msg);
	free(v->from_domain);
	free(v);
	*vp = NULL;
}

/* queue_dkim_sig_could_pass - DKIM-5/DKIM-6 checks that need no key and no body. */
static bool
queue_dkim_sig_could_pass(const struct queue_dkim_verify *v, const struct mail_dkim_sig *sig)
{
	bool has_from = false;

	if (sig->alg != MAIL_DKIM_ALG_RSA_SHA256 && sig->alg != MAIL_DKIM_ALG_ED25519_SHA256)
		return false;
	if (strcasecmp(sig->d, v->from_domain) != 0)
		return false;
	for (size_t i = 0; i < sig->h_count && !has_from; i++)
		has_from = strcmp(sig->h[i], "from") == 0;
	if (!has_from)
		return false;
	return !(sig->has_x && sig->x < v->now);
}

static void
queue_dkim_verify_body_cb(void *ctx, const void *data, size_t n)
{
	EVP_DigestUpdate(ctx, data, n);
}

/* queue_dkim_cand_prepare - header input and body hash of the signature in field k. */
static int
queue_dkim_cand_prepare(struct queue_dkim_verify *v, struct queue_dkim_cand *c, long k)
{
	const struct mail_dkim_field *f = &v->msg.h->fields[k];
	long idx[DKIM_H_NAMES_MAX];
	char *stripped = NULL;
	size_t stripped_len;
	int rc;

	if (mail_dkim_strip_b(v->msg.buf + f->off, f->len, &stripped, &stripped_len) < 0)
		return -1;
	mail_dkim_select(v->msg.buf, v->msg.h, (const char(*)[DKIM_FIELD_NAME_MAX + 1]) c->sig->h,
	        c->sig->h_count, k, idx);
	rc = mail_dkim_header_input(v->msg.buf, v->msg.h, idx, c->sig->h_count,
	        c->sig->header_canon, stripped, stripped_len, &c->input, &c->input_len);
	free(stripped);
	if (rc < 0)
		return -1;
	c->md = EVP_MD_CTX_new();
	if (c->md == NULL || EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1)
		return -1;
	mail_dkim_body_init(&c->body, c->sig->body_canon, queue_dkim_verify_body_cb, c->md);
	return 0;
}

/* queue_dkim_verify_header - the header section is complete: find the candidates. */
static int
queue_dkim_verify_header(struct queue_dkim_verify *v)
{
	const struct mail_dkim_header *h = v->msg.h;
	size_t evaluated = 0;
	const char *error;

	for (size_t k = 0; k < h->count && evaluated < DKIM_SIGS_MAX; k++) {
		const struct mail_dkim_field *f = &h->fields[k];
		struct queue_dkim_cand *c = &v->cands[v->cand_count];
		const char *value;

		if (!mail_dkim_field_is(v->msg.buf, f, "dkim-signature", 14))
			continue;
		v->has_sig = true;
		evaluated++;
		c->sig = malloc(sizeof(*c->sig));
		if (c->sig == NULL)
			return -1;
		value = (const char *)memchr(v->msg.buf + f->off, ':', f->len) + 1;
		if (mail_dkim_sig_parse(value, f->len - (size_t)(value - (v->msg.buf + f->off)),
		            c->sig, &error) < 0 ||
		        !queue_dkim_sig_could_pass(v, c->sig)) {
			free(c->sig);
			c->sig = NULL;
			continue;
		}
		v->cand_count++; /* counted now so that free() releases a half-prepared one */
		if (queue_dkim_cand_prepare(v, c, (long)k) < 0)
			return -1;
	}
	return 0;
}

int
queue_dkim_verify_feed(struct queue_dkim_verify *v, const void *data, size_t len)
{
	bool was_done = v->msg.is_done;
	const char *body;
	size_t body_len;

	if (v->is_failed || v->is_finished)
		return v->is_failed ? -1 : 0;
	switch (mail_dkim_msg_feed(&v->msg, data, len, &body, &body_len)) {
	case MAIL_DKIM_PARSE_MORE: return 0;
	case MAIL_DKIM_PARSE_ERROR: v->is_failed = true; return -1;
	case MAIL_DKIM_PARSE_COMPLETE: break;
	}
	if (!was_done && queue_dkim_verify_header(v) < 0) {
		v->is_failed = true;
		return -1;
	}
	for (size_t i = 0; i < v->cand_count; i++)
		mail_dkim_body_feed(&v->cands[i].body, body, body_len);
	return 0;
}

void
queue_dkim_verify_finish(struct queue_dkim_verify *v)
{
	unsigned char hash[32];

	if (v->is_failed || v->is_finished)
		return;
	if (!v->msg.is_done) {
		if (mail_dkim_msg_finish(&v->msg) != MAIL_DKIM_PARSE_COMPLETE ||
		        queue_dkim_verify_header(v) < 0) {
			v->is_failed = true;
			return;
		}
	}
	v->is_finished = true;
	for (size_t i = 0; i < v->cand_count; i++) {
		struct queue_dkim_cand *c = &v->cands[i];
		uint64_t total = mail_dkim_body_finish(&c->body);

		if (EVP_DigestFinal_ex(c->md, hash, NULL) != 1)
			continue;
		/* DKIM-6: l= must cover the whole canonical body. */
		c->is_body_ok = c->sig->bh_len == sizeof(hash) &&
		        memcmp(c->sig->bh, hash, sizeof(hash)) == 0 &&
		        (!c->sig->has_l || c->sig->l == total);
	}
}

/* queue_dkim_verify_feed_cb - queue_dkim_verify_feed as an fs_feed_fn. */
static int
queue_dkim_verify_feed_cb(void *arg, const char *data, size_t len)
{
	return queue_dkim_verify_feed(arg, data, len);
}

int
queue_dkim_verify_feed_fd(struct queue_dkim_verify *v, int fd)
{
	/* a stopped feed has marked v failed already */
	if (fs_read_feed(fd, queue_dkim_verify_feed_cb, v) != FS_FEED_EOF) {
		v->is_failed = true;
		return -1;
	}
	queue_dkim_verify_finish(v);
	return v->is_failed ? -1 : 0;
}

size_t
queue_dkim_verify_lookup_count(const struct queue_dkim_verify *v)
{
	return v->cand_count;
}

void
queue_dkim_verify_lookup(
        const struct queue_dkim_verify *v, size_t i, const char **selector_r, const char **domain_r)
{
	*selector_r = v->cands[i].sig->s;
	*domain_r = v->cands[i].sig->d;
}

/* queue_dkim_key_usable - RFC 6376 6.1.2 checks of a record against the signature. */
static bool
queue_dkim_key_usable(const struct mail_dkim_key *key, const struct mail_dkim_sig *sig)
{
	enum mail_dkim_key_type want = sig->alg == MAIL_DKIM_ALG_ED25519_SHA256
	        ? MAIL_DKIM_KEY_ED25519
	        : MAIL_DKIM_KEY_RSA;

	if (key->is_revoked || key->k != want || !key->allows_sha256 || !key->allows_email)
		return false;
	/* t=s: the i= domain must be d= itself, not a subdomain. */
	return !key->is_strict || sig->i_domain[0] == '\0' ||
	        strcasecmp(sig->i_domain, sig->d) == 0;
}

/* queue_dkim_key_from_record - the public key of a usable record, or NULL. */
static EVP_PKEY *
queue_dkim_key_from_record(const struct mail_dkim_key *key)
{
	const unsigned char *p = key->p;
	EVP_PKEY *pk;

	if (key->k == MAIL_DKIM_KEY_ED25519)
		return key->p_len == 32
		        ? EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, key->p, 32)
		        : NULL;
	pk = d2i_PUBKEY(NULL, &p, (long)key->p_len);
	if (pk == NULL) {
		/* Some publish the bare RSAPublicKey (PKCS#1) instead of SPKI. */
		p = key->p;
		pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)key->p_len);
	}
	if (pk != NULL &&
	        (!EVP_PKEY_is_a(pk, "RSA") || EVP_PKEY_get_bits(pk) < QUEUE_DKIM_RSA_MIN_BITS)) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	return pk;
}

void
queue_dkim_verify_set_key(struct queue_dkim_verify *v, size_t i, enum queue_dkim_lookup answer,
        const char *record, size_t len)
{
	struct queue_dkim_cand *c;
	struct mail_dkim_key *key;
	const char *error;

	if (i >= v->cand_count)
		return;
	c = &v->cands[i];
	c->has_answer = true;
	c->answer = answer;
	EVP_PKEY_free(c->key);
	c->key = NULL;
	if (answer != QUEUE_DKIM_LOOKUP_FOUND || record == NULL)
		return;
	key = malloc(sizeof(*key));
	if (key == NULL)
		return;
	if (mail_dkim_key_parse(record, len, key, &error) == 0 &&
	        queue_dkim_key_usable(key, c->sig))
		c->key = queue_dkim_key_from_record(key);
	free(key);
}

/* queue_dkim_cand_verify - the signature itself (RFC 8463 3: Ed25519 signs the SHA-256). */
static bool
queue_dkim_cand_verify(const struct queue_dkim_cand *c)
{
	const unsigned char *data = (const unsigned char *)c->input;
	size_t len = c->input_len;
	bool is_ed = c->sig->alg == MAIL_DKIM_ALG_ED25519_SHA256;
	unsigned char hash[32];
	EVP_MD_CTX *md;
	int ok = 0;

	if (is_ed) {
		if (EVP_Digest(data, len, hash, NULL, EVP_sha256(), NULL) != 1)
			return false;
		data = hash;
		len = sizeof(hash);
	}
	md = EVP_MD_CTX_new();
	if (md != NULL &&
	        EVP_DigestVerifyInit(md, NULL, is_ed ? NULL : EVP_sha256(), NULL, c->key) == 1)
		ok = EVP_DigestVerify(md, c->sig->b, c->sig->b_len, data, len);
	EVP_MD_CTX_free(md);
	return ok == 1;
}

enum queue_dkim_result
queue_dkim_verify_result(struct queue_dkim_verify *v)
{
	bool is_temp = false;

	if (!v->has_sig)
		return v->is_failed ? QUEUE_DKIM_FAIL : QUEUE_DKIM_NONE;
	if (v->is_failed || !v->is_finished)
		return QUEUE_DKIM_FAIL;
	for (size_t i = 0; i < v->cand_count; i++) {
		const struct queue_dkim_cand *c = &v->cands[i];

		if (!c->is_body_ok)
			continue;
		if (!c->has_answer || c->answer == QUEUE_DKIM_LOOKUP_TEMPFAIL) {
			is_temp = true;
			continue;
		}
		if (c->key != NULL && queue_dkim_cand_verify(c))
			return QUEUE_DKIM_PASS;
	}
	return is_temp ? QUEUE_DKIM_TEMPFAIL : QUEUE_DKIM_FAIL;
}

enum queue_dkim_result
queue_dkim_verify_buf(const char *msg, size_t len, const char *from_domain, int64_t now,
        queue_dkim_lookup_fn *lookup, void *ctx)
{
	struct queue_dkim_verify *v = queue_dkim_verify_new(from_domain, now);
	enum queue_dkim_result r;

	if (v == NULL)
		return QUEUE_DKIM_TEMPFAIL; /* out of memory: let the peer retry */
	queue_dkim_verify_feed(v, msg, len);
	queue_dkim_verify_finish(v);
	for (size_t i = 0; i < queue_dkim_verify_lookup_count(v); i++) {
		const char *s, *d;
		char *record = NULL;
		enum queue_dkim_lookup answer;

		queue_dkim_verify_lookup(v, i, &s, &d);
		answer = lookup(ctx, s, d, &record);
		queue_dkim_verify_set_key(
		        v, i, answer, record, record != NULL ? strlen(record) : 0);
		free(record);
	}
	r = queue_dkim_verify_result(v);
	queue_dkim_verify_free(&v);
	return r;
}
