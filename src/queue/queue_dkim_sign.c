/*
 * queue_dkim_sign.c - DKIM signing of outgoing mail (DKIM-1, DKIM-2).
 *
 * v=1; a=rsa-sha256 (ed25519-sha256 for an Ed25519 key, RFC 8463);
 * c=relaxed/relaxed; d; s; t; h (over-signed, DKIM-2); bh; b. No l= (a
 * signature must cover the whole body) and no x=. The body is streamed
 * through the relaxed canonicaliser into SHA-256; only the header section
 * is held in memory.
 *
 * Signs what it is given; does not decide whether mail is signed (the
 * queue asks queue_dkim_is_signing()). Never logs message content.
 */
#include "queue/queue_dkim.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_conf.h"
#include "core/core_fs.h"
#include "core/core_str.h"
#include "mail/mail_codec.h"
#include "mail/mail_dkim_canon.h"
#include "mail/mail_dkim_sig.h"

/* Fold the generated field at about this many columns (RFC 5322 2.1.1: SHOULD 78). */
#define QUEUE_DKIM_FOLD 76
/* Octets of b= per folded line. */
#define QUEUE_DKIM_B_LINE 72

struct queue_dkim_signer {
	EVP_PKEY *key;  /* owned (one reference) */
	char *domain;   /* owned */
	char *selector; /* owned */
	bool is_ed25519;
};

/* State of one signing run. */
struct queue_dkim_sign {
	struct mail_dkim_msg msg;
	struct mail_dkim_body body;
	EVP_MD_CTX *md; /* owned */
};

/* queue_dkim_is_dns_name - d= and s= syntax (RFC 6376 3.5: sub-domains); no folding needed. */
static bool
queue_dkim_is_dns_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > DKIM_DOMAIN_MAX)
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		            (*s >= '0' && *s <= '9') || *s == '-' || *s == '.' || *s == '_'))
			return false;
	return true;
}

struct queue_dkim_signer *
queue_dkim_signer_new(EVP_PKEY *key, const char *domain, const char *selector)
{
	struct queue_dkim_signer *s;

	if (key == NULL || domain == NULL || selector == NULL || !queue_dkim_is_dns_name(domain) ||
	        !queue_dkim_is_dns_name(selector))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->domain = strdup(domain);
	s->selector = strdup(selector);
	if (s->domain == NULL || s->selector == NULL || EVP_PKEY_up_ref(key) != 1) {
		free(s->domain);
		free(s->selector);
		free(s);
		return NULL;
	}
	s->key = key;
	s->is_ed25519 = EVP_PKEY_is_a(key, "ED25519");
	return s;
}

int
queue_dkim_signer_load(
        const struct conf *conf, struct queue_dkim_signer **signer_r, char *err, size_t errlen)
{
	EVP_PKEY *key = NULL;
	bool is_generated;

	*signer_r = NULL;
	if (!queue_dkim_is_signing(conf))
		return 0;
	if (queue_dkim_key_prepare(conf, &is_generated, err, errlen) < 0 ||
	        queue_dkim_key_load(conf->dkim_key, &key, err, errlen) < 0)
		return -1;
	*signer_r = queue_dkim_signer_new(key, conf->mail_domain, conf->dkim_selector);
	EVP_PKEY_free(key);
	if (*signer_r == NULL) {
		snprintf(err, errlen, "cannot set up DKIM signing: invalid dkim_selector '%s'",
		        conf->dkim_selector);
		return -1;
	}
	return 0;
}

void
queue_dkim_signer_free(struct queue_dkim_signer **sp)
{
	struct queue_dkim_signer *s = *sp;

	if (s == NULL)
		return;
	EVP_PKEY_free(s->key);
	free(s->domain);
	free(s->selector);
	free(s);
	*sp = NULL;
}

static void
queue_dkim_sign_body_cb(void *ctx, const void *data, size_t n)
{
	EVP_DigestUpdate(ctx, data, n);
}

/* queue_dkim_b64 - base64 of n octets, malloc'ed. */
static char *
queue_dkim_b64(const unsigned char *data, size_t n)
{
	size_t size = 4 * ((n + 2) / 3) + 1;
	char *b64 = malloc(size);

	if (b64 != NULL && mail_base64_encode(data, n, b64, size) < 0) {
		free(b64);
		b64 = NULL;
	}
	return b64;
}

/* queue_dkim_field_add - append text, folding first when the line would grow too long. */
static int
queue_dkim_field_add(char **f, size_t *col, const char *text)
{
	size_t n = strlen(text);
	char *g;

	if (*col + n > QUEUE_DKIM_FOLD && *col > 1) {
		/* The fold is the white space: a leading SP would only add a column. */
		if (*text == ' ')
			text++, n--;
		if (str_printf(&g, "%s\r\n\t%s", *f, text) < 0)
			return -1;
		*col = 8 + n;
	} else {
		if (str_printf(&g, "%s%s", *f, text) < 0)
			return -1;
		*col += n;
	}
	free(*f);
	*f = g;
	return 0;
}

/* queue_dkim_field_start - the field up to "b=" (the b= value still empty, RFC 6376 3.7). */
static char *
queue_dkim_field_start(const struct queue_dkim_signer *s, int64_t now,
        char names[][DKIM_FIELD_NAME_MAX + 1], size_t count, const char *bh)
{
	char *f = NULL, *g = NULL, part[DKIM_DOMAIN_MAX + 8];
	size_t col;
	int rc = 0;

	if (str_printf(&f, "DKIM-Signature: v=1; a=%s; c=relaxed/relaxed; d=%s;",
	            s->is_ed25519 ? "ed25519-sha256" : "rsa-sha256", s->domain) < 0)
		return NULL;
	col = strlen(f);
	snprintf(part, sizeof(part), " s=%s;", s->selector);
	rc |= queue_dkim_field_add(&f, &col, part);
	snprintf(part, sizeof(part), " t=%" PRId64 ";", now);
	rc |= queue_dkim_field_add(&f, &col, part);
	for (size_t i = 0; i < count && rc == 0; i++) {
		/* FWS is allowed around the colons of h= (3.5), so it folds there. */
		snprintf(part, sizeof(part), "%s%s%s", i == 0 ? " h=" : "", names[i],
		        i + 1 < count ? ":" : ";");
		rc |= queue_dkim_field_add(&f, &col, part);
	}
	if (rc != 0) {
		free(f);
		return NULL;
	}
	rc = str_printf(&g, "%s\r\n\tbh=%s;\r\n\tb=", f, bh);
	free(f);
	return rc == 0 ? g : NULL;
}

/* queue_dkim_sign_data - b= octets over the header input (RFC 8463 3: Ed25519 signs SHA-256). */
static int
queue_dkim_sign_data(const struct queue_dkim_signer *s, const char *input, size_t len,
        unsigned char **sig_r, size_t *sig_len_r)
{
	unsigned char hash[32];
	const unsigned char *data = (const unsigned char *)input;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = 0;

	*sig_r = NULL;
	if (md == NULL)
		return -1;
	if (s->is_ed25519) {
		if (EVP_Digest(input, len, hash, NULL, EVP_sha256(), NULL) != 1)
			goto out;
		data = hash;
		len = sizeof(hash);
	}
	if (EVP_DigestSignInit(md, NULL, s->is_ed25519 ? NULL : EVP_sha256(), NULL, s->key) != 1 ||
	        EVP_DigestSign(md, NULL, sig_len_r, data, len) != 1)
		goto out;
	*sig_r = malloc(*sig_len_r);
	if (*sig_r != NULL && EVP_DigestSign(md, *sig_r, sig_len_r, data, len) == 1)
		ok = 1;
out:
	EVP_MD_CTX_free(md);
	if (!ok) {
		free(*sig_r);
		*sig_r = NULL;
	}
	return ok ? 0 : -1;
}

/* queue_dkim_field_finish - append b= folded into lines, and the final CRLF. */
static char *
queue_dkim_field_finish(char *f, const char *b64)
{
	size_t n = strlen(b64), len = strlen(f);
	char *g = malloc(len + n + 3 * (n / QUEUE_DKIM_B_LINE + 1) + 3);
	size_t o = len;

	if (g == NULL) {
		free(f);
		return NULL;
	}
	memcpy(g, f, len + 1);
	free(f);
	for (size_t i = 0; i < n; i += QUEUE_DKIM_B_LINE) {
		size_t k = n - i < QUEUE_DKIM_B_LINE ? n - i : QUEUE_DKIM_B_LINE;

		if (i > 0) {
			g[o++] = '\r';
			g[o++] = '\n';
			g[o++] = '\t';
		}
		memcpy(g + o, b64 + i, k);
		o += k;
	}
	memcpy(g + o, "\r\n", 3);
	return g;
}

/* queue_dkim_sign_header - everything after the body hash is known. */
static int
queue_dkim_sign_header(const struct queue_dkim_signer *s, const struct mail_dkim_msg *m,
        int64_t now, const char *bh, char **field_r, const char **error_r)
{
	char(*names)[DKIM_FIELD_NAME_MAX + 1] = calloc(DKIM_H_NAMES_MAX, sizeof(*names));
	long idx[DKIM_H_NAMES_MAX];
	char *field = NULL, *input = NULL, *b64 = NULL;
	unsigned char *sig = NULL;
	size_t count, input_len, sig_len;
	int rc = -1;

	*error_r = "out of memory";
	if (names == NULL)
		return -1;
	if (mail_dkim_sign_names(m->buf, m->h, names, DKIM_H_NAMES_MAX, &count) < 0) {
		*error_r = "too many header fields to sign";
		goto out;
	}
	mail_dkim_select(
	        m->buf, m->h, (const char(*)[DKIM_FIELD_NAME_MAX + 1]) names, count, -1, idx);
	field = queue_dkim_field_start(s, now, names, count, bh);
	if (field == NULL ||
	        mail_dkim_header_input(m->buf, m->h, idx, count, MAIL_DKIM_CANON_RELAXED, field,
	                strlen(field), &input, &input_len) < 0)
		goto out;
	if (queue_dkim_sign_data(s, input, input_len, &sig, &sig_len) < 0) {
		*error_r = "signing failed";
		goto out;
	}
	b64 = queue_dkim_b64(sig, sig_len);
	if (b64 == NULL)
		goto out;
	*field_r = queue_dkim_field_finish(field, b64);
	field = NULL;
	rc = *field_r != NULL ? 0 : -1;
out:
	free(names);
	free(field);
	free(input);
	free(sig);
	free(b64);
	return rc;
}

static int
queue_dkim_sign_init(struct queue_dkim_sign *st)
{
	memset(st, 0, sizeof(*st));
	st->md = EVP_MD_CTX_new();
	if (st->md == NULL || EVP_DigestInit_ex(st->md, EVP_sha256(), NULL) != 1 ||
	        mail_dkim_msg_init(&st->msg) < 0) {
		EVP_MD_CTX_free(st->md);
		return -1;
	}
	mail_dkim_body_init(&st->body, MAIL_DKIM_CANON_RELAXED, queue_dkim_sign_body_cb, st->md);
	return 0;
}

static void
queue_dkim_sign_reset(struct queue_dkim_sign *st)
{
	mail_dkim_msg_reset(&st->msg);
	EVP_MD_CTX_free(st->md);
	st->md = NULL;
}

/* queue_dkim_sign_feed - the next octets of the message. */
static int
queue_dkim_sign_feed(struct queue_dkim_sign *st, const char *data, size_t len)
{
	const char *body;
	size_t body_len;

	switch (mail_dkim_msg_feed(&st->msg, data, len, &body, &body_len)) {
	case MAIL_DKIM_PARSE_MORE: return 0;
	case MAIL_DKIM_PARSE_COMPLETE: mail_dkim_body_feed(&st->body, body, body_len); return 0;
	case MAIL_DKIM_PARSE_ERROR: break;
	}
	return -1;
}

/* queue_dkim_sign_end - end of message: the field. */
static int
queue_dkim_sign_end(const struct queue_dkim_signer *s, struct queue_dkim_sign *st, int64_t now,
        char **field_r, const char **error_r)
{
	unsigned char hash[32];
	char *bh;
	int rc;

	if (mail_dkim_msg_finish(&st->msg) != MAIL_DKIM_PARSE_COMPLETE) {
		*error_r = "header section too large";
		return -1;
	}
	mail_dkim_body_finish(&st->body);
	if (EVP_DigestFinal_ex(st->md, hash, NULL) != 1 ||
	        (bh = queue_dkim_b64(hash, sizeof(hash))) == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	rc = queue_dkim_sign_header(s, &st->msg, now, bh, field_r, error_r);
	free(bh);
	return rc;
}

int
queue_dkim_sign_buf(const struct queue_dkim_signer *s, const char *msg, size_t len, int64_t now,
        char **field_r, const char **error_r)
{
	struct queue_dkim_sign st;
	int rc = -1;

	*field_r = NULL;
	if (queue_dkim_sign_init(&st) < 0) {
		*error_r = "out of memory";
		return -1;
	}
	if (queue_dkim_sign_feed(&st, msg, len) < 0)
		*error_r = "header section too large";
	else
		rc = queue_dkim_sign_end(s, &st, now, field_r, error_r);
	queue_dkim_sign_reset(&st);
	return rc;
}

/* queue_dkim_sign_feed_cb - queue_dkim_sign_feed as an fs_feed_fn. */
static int
queue_dkim_sign_feed_cb(void *arg, const char *data, size_t len)
{
	return queue_dkim_sign_feed(arg, data, len);
}

int
queue_dkim_sign_fd(const struct queue_dkim_signer *s, int fd, int64_t now, char **field_r,
        const char **error_r)
{
	struct queue_dkim_sign st;
	int rc = -1;

	*field_r = NULL;
	if (queue_dkim_sign_init(&st) < 0) {
		*error_r = "out of memory";
		return -1;
	}
	switch (fs_read_feed(fd, queue_dkim_sign_feed_cb, &st)) {
	case FS_FEED_EOF: rc = queue_dkim_sign_end(s, &st, now, field_r, error_r); break;
	case FS_FEED_READ_ERROR: *error_r = "cannot read the message"; break;
	case FS_FEED_STOPPED: *error_r = "header section too large"; break;
	}
	queue_dkim_sign_reset(&st);
	return rc;
}
