/*
 * test_queue_dkim.c - unit tests for src/queue/queue_dkim_{sign,verify,key}.c:
 * the RFC 8463 appendix A ed25519-sha256 example, sign-then-verify round
 * trips (RSA and Ed25519), streaming verification, and every DKIM-6 reason
 * for a signature to be refused.
 *
 * Signatures with unusual tags (rsa-sha1, l=, x=, h= without from, foreign
 * d=) are built by test_forge(): it canonicalises with the PURE functions
 * and signs with OpenSSL directly, so the verifier is tested against input
 * it never produced itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core_conf.h"
#include "core/core_str.h"
#include "mail/mail_dkim_canon.h"
#include "mail/mail_codec.h"
#include "mail/mail_dkim_sig.h"
#include "queue/queue_dkim.h"

/*
 * RFC 8463 A.2: the signed example message (both signatures, as published).
 * Written down from the RFC and cross-checked with an independent
 * implementation (Python `cryptography`): the A.1 seed derives the A.3
 * public key, SHA-256 of the relaxed body gives this bh=, and Ed25519 over
 * SHA-256 of the relaxed header input reproduces this b= octet for octet.
 */
static const char rfc8463_msg[] = "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
                                  " d=football.example.com; i=@football.example.com;\r\n"
                                  " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
                                  " subject : date : message-id : from : subject : date;\r\n"
                                  " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
                                  " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
                                  " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n"
                                  "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n"
                                  " d=football.example.com; i=@football.example.com;\r\n"
                                  " q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n"
                                  " date : message-id : from : subject : date;\r\n"
                                  " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
                                  " b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r\n"
                                  " DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r\n"
                                  " dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\r\n"
                                  "From: Joe SixPack <joe@football.example.com>\r\n"
                                  "To: Suzie Q <suzie@shopping.example.net>\r\n"
                                  "Subject: Is dinner ready?\r\n"
                                  "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
                                  "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
                                  "\r\n"
                                  "Hi.\r\n"
                                  "\r\n"
                                  "We lost the game.  Are you hungry yet?\r\n"
                                  "\r\n"
                                  "Joe.\r\n";

/* RFC 8463 A.3: brisbane._domainkey.football.example.com TXT. */
static const char rfc8463_record[] =
        "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
/* RFC 8463 A.1: the Ed25519 private key (seed). */
static const char rfc8463_seed_b64[] = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";

static const char plain_msg[] = "From: Alice <alice@example.org>\r\n"
                                "To: bob@remote.test\r\n"
                                "Subject: hello\r\n"
                                "Date: Sat, 28 Nov 2026 12:00:00 +0000\r\n"
                                "Message-ID: <1@example.org>\r\n"
                                "MIME-Version: 1.0\r\n"
                                "Content-Type: text/plain; charset=utf-8\r\n"
                                "Received: from somewhere\r\n"
                                "\r\n"
                                "Hello  Bob,\r\n"
                                "\r\n"
                                ".a line with a dot \r\n"
                                "\r\n\r\n";

#define NOW 1800000000

/* Keys shared by the tests (RSA generation is slow under ASan). */
static EVP_PKEY *test_rsa;
static EVP_PKEY *test_ed;
static char *test_rsa_record;
static char *test_ed_record;

struct test_dns {
	const char *selector;
	const char *record;
	enum queue_dkim_lookup answer;
	int calls;
};

static enum queue_dkim_lookup
test_lookup(void *ctx, const char *selector, const char *domain, char **record_r)
{
	struct test_dns *dns = ctx;

	(void)domain;
	dns->calls++;
	for (; dns->selector != NULL; dns++) {
		if (strcmp(dns->selector, selector) != 0)
			continue;
		if (dns->answer == QUEUE_DKIM_LOOKUP_FOUND)
			*record_r = strdup(dns->record);
		return dns->answer;
	}
	return QUEUE_DKIM_LOOKUP_NONE;
}

static int
test_setup(void **state)
{
	(void)state;
	test_rsa = EVP_RSA_gen(2048);
	test_ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (test_rsa == NULL || test_ed == NULL)
		return -1;
	if (queue_dkim_key_record(test_rsa, &test_rsa_record) < 0 ||
	        queue_dkim_key_record(test_ed, &test_ed_record) < 0)
		return -1;
	return 0;
}

static int
test_teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(test_rsa);
	EVP_PKEY_free(test_ed);
	free(test_rsa_record);
	free(test_ed_record);
	return 0;
}

/* test_signed - field + message, malloc'ed. */
static char *
test_signed(EVP_PKEY *key, const char *domain, const char *msg)
{
	struct queue_dkim_signer *s = queue_dkim_signer_new(key, domain, "sel");
	const char *error = NULL;
	char *field = NULL, *out = NULL;

	assert_non_null(s);
	assert_int_equal(queue_dkim_sign_buf(s, msg, strlen(msg), NOW, &field, &error), 0);
	assert_int_equal(str_printf(&out, "%s%s", field, msg), 0);
	free(field);
	queue_dkim_signer_free(&s);
	assert_null(s);
	return out;
}

static enum queue_dkim_result
test_verify(const char *msg, const char *from_domain, const char *record)
{
	struct test_dns dns[] = {
	        {"sel", record, QUEUE_DKIM_LOOKUP_FOUND, 0},
	        {NULL, NULL, QUEUE_DKIM_LOOKUP_NONE, 0},
	};

	return queue_dkim_verify_buf(msg, strlen(msg), from_domain, NOW, test_lookup, dns);
}

/* test_body_hash - bh over the canonical body with md (for forged signatures). */
static void
test_md_cb(void *ctx, const void *data, size_t n)
{
	EVP_DigestUpdate(ctx, data, n);
}

static char *
test_b64(const unsigned char *data, size_t n)
{
	char *b64 = malloc(4 * ((n + 2) / 3) + 1);

	assert_non_null(b64);
	EVP_EncodeBlock((unsigned char *)b64, data, (int)n);
	return b64;
}

static char *
test_body_hash(const char *msg, enum mail_dkim_canon canon, const EVP_MD *type, size_t cut)
{
	const char *body = strstr(msg, "\r\n\r\n") + 4;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	struct mail_dkim_body b;
	unsigned char hash[64];
	unsigned len;
	char *b64;

	(void)cut;
	assert_int_equal(EVP_DigestInit_ex(md, type, NULL), 1);
	mail_dkim_body_init(&b, canon, test_md_cb, md);
	mail_dkim_body_feed(&b, body, strlen(body));
	mail_dkim_body_finish(&b);
	assert_int_equal(EVP_DigestFinal_ex(md, hash, &len), 1);
	EVP_MD_CTX_free(md);
	b64 = test_b64(hash, len);
	return b64;
}

/*
 * test_forge - sign msg with a signature whose tags (without bh= and b=)
 * are given; bh is computed over the body in its c= with type. Returns the
 * signed message, malloc'ed.
 */
static char *
test_forge(EVP_PKEY *key, const EVP_MD *type, const char *tags, const char *msg)
{
	struct mail_dkim_header *h = calloc(1, sizeof(*h));
	struct mail_dkim_sig *sig = calloc(1, sizeof(*sig));
	char *bh = NULL, *field = NULL, *input = NULL, *b64, *out = NULL;
	const char *error = NULL;
	unsigned char sigbuf[1024];
	size_t input_len, sig_len = sizeof(sigbuf);
	long idx[DKIM_H_NAMES_MAX];
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	assert_non_null(h);
	assert_non_null(sig);
	/* Parse our own tags (with dummy bh= and b=) for the h= names and c=. */
	{
		char *tmp = NULL;

		assert_int_equal(str_printf(&tmp, "%s; bh=AA==; b=AA==", tags), 0);
		assert_int_equal(mail_dkim_sig_parse(tmp, strlen(tmp), sig, &error), 0);
		free(tmp);
	}
	bh = test_body_hash(msg, sig->body_canon, type, 0);
	assert_int_equal(str_printf(&field, "DKIM-Signature: %s; bh=%s; b=", tags, bh), 0);
	assert_int_equal(
	        mail_dkim_header_split(msg, strlen(msg), false, h), MAIL_DKIM_PARSE_COMPLETE);
	mail_dkim_select(
	        msg, h, (const char(*)[DKIM_FIELD_NAME_MAX + 1]) sig->h, sig->h_count, -1, idx);
	assert_int_equal(mail_dkim_header_input(msg, h, idx, sig->h_count, sig->header_canon, field,
	                         strlen(field), &input, &input_len),
	        0);
	assert_int_equal(EVP_DigestSignInit(md, NULL, type, NULL, key), 1);
	assert_int_equal(
	        EVP_DigestSign(md, sigbuf, &sig_len, (unsigned char *)input, input_len), 1);
	b64 = test_b64(sigbuf, sig_len);
	assert_int_equal(str_printf(&out, "%s%s\r\n%s", field, b64, msg), 0);
	EVP_MD_CTX_free(md);
	free(b64);
	free(input);
	free(field);
	free(bh);
	free(sig);
	free(h);
	return out;
}

static void
test_rfc8463_vector(void **state)
{
	struct test_dns dns[] = {
	        {"brisbane", rfc8463_record, QUEUE_DKIM_LOOKUP_FOUND, 0},
	        {NULL, NULL, QUEUE_DKIM_LOOKUP_NONE, 0},
	};
	const size_t len = sizeof(rfc8463_msg) - 1;

	(void)state;
	/* t=1528637909 has no x=, so any clock works; the RSA key of A.3 is not given here. */
	assert_int_equal(queue_dkim_verify_buf(
	                         rfc8463_msg, len, "football.example.com", NOW, test_lookup, dns),
	        QUEUE_DKIM_PASS);
	assert_int_equal(dns[0].calls, 2); /* both signatures were candidates */
	assert_int_equal(queue_dkim_verify_buf(
	                         rfc8463_msg, len, "FOOTBALL.example.COM", NOW, test_lookup, dns),
	        QUEUE_DKIM_PASS);
	/* Another key for brisbane: the Ed25519 signature no longer verifies. */
	dns[0].record = test_ed_record;
	assert_int_equal(queue_dkim_verify_buf(
	                         rfc8463_msg, len, "football.example.com", NOW, test_lookup, dns),
	        QUEUE_DKIM_FAIL);
}

/* Our signer with the RFC's key over the RFC's message gives the RFC's bh= and verifies. */
static void
test_rfc8463_sign(void **state)
{
	const char *body_start = strstr(rfc8463_msg, "From: Joe");
	unsigned char seed[32];
	size_t seed_len;
	EVP_PKEY *key;
	struct queue_dkim_signer *s;
	char *field = NULL, *msg = NULL;
	const char *error;
	struct test_dns dns[] = {
	        {"brisbane", rfc8463_record, QUEUE_DKIM_LOOKUP_FOUND, 0},
	        {NULL, NULL, QUEUE_DKIM_LOOKUP_NONE, 0},
	};

	(void)state;
	assert_int_equal(mail_base64_decode(rfc8463_seed_b64, strlen(rfc8463_seed_b64),
	                         MAIL_B64_DKIM, seed, sizeof(seed), &seed_len),
	        0);
	key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, seed_len);
	assert_non_null(key);
	s = queue_dkim_signer_new(key, "football.example.com", "brisbane");
	assert_non_null(s);
	assert_int_equal(
	        queue_dkim_sign_buf(s, body_start, strlen(body_start), 1528637909, &field, &error),
	        0);
	assert_non_null(strstr(field, "bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;"));
	assert_non_null(strstr(field, "a=ed25519-sha256;"));
	assert_int_equal(str_printf(&msg, "%s%s", field, body_start), 0);
	assert_int_equal(queue_dkim_verify_buf(
	                         msg, strlen(msg), "football.example.com", NOW, test_lookup, dns),
	        QUEUE_DKIM_PASS);
	free(msg);
	free(field);
	queue_dkim_signer_free(&s);
	EVP_PKEY_free(key);
}

static void
test_roundtrip(void **state)
{
	char *rsa = test_signed(test_rsa, "example.org", plain_msg);
	char *ed = test_signed(test_ed, "example.org", plain_msg);

	(void)state;
	assert_non_null(strstr(rsa, "a=rsa-sha256; c=relaxed/relaxed; d=example.org;"));
	assert_null(strstr(rsa, " l="));
	assert_null(strstr(rsa, " x="));
	assert_int_equal(test_verify(rsa, "example.org", test_rsa_record), QUEUE_DKIM_PASS);
	assert_int_equal(test_verify(ed, "example.org", test_ed_record), QUEUE_DKIM_PASS);
	/* Names that cannot be written into the field unquoted are refused. */
	assert_null(queue_dkim_signer_new(test_rsa, "example.org", "a;b"));
	assert_null(queue_dkim_signer_new(test_rsa, "", "sel"));
	assert_null(queue_dkim_signer_new(NULL, "example.org", "sel"));
	/* The wrong key type for the algorithm. */
	assert_int_equal(test_verify(rsa, "example.org", test_ed_record), QUEUE_DKIM_FAIL);
	assert_int_equal(test_verify(ed, "example.org", test_rsa_record), QUEUE_DKIM_FAIL);
	free(rsa);
	free(ed);
}

/* The field: DKIM-2 names with over-signing, folded lines, CRLF at the end. */
static void
test_sign_field_shape(void **state)
{
	char *msg = test_signed(test_rsa, "example.org", plain_msg);
	char *end = strstr(msg, "From: Alice");
	const char *line = msg;

	char unfolded[2048];
	size_t n = 0;

	(void)state;
	*end = '\0';
	for (const char *p = msg; *p != '\0' && n + 1 < sizeof(unfolded); p++)
		if (*p != '\r' && *p != '\n' && *p != '\t')
			unfolded[n++] = *p;
	unfolded[n] = '\0';
	assert_non_null(strstr(unfolded,
	        "h=from:from:to:to:cc:reply-to:subject:subject:date:date:"
	        "message-id:message-id:in-reply-to:references:mime-version:mime-version:"
	        "content-type:content-type:content-transfer-encoding:autocrypt:chat-version:"
	        "secure-join;"));
	assert_null(strstr(unfolded, "received"));
	assert_int_equal(strncmp(msg, "DKIM-Signature: v=1; ", 21), 0);
	assert_int_equal(strcmp(end - 2, "\r\n"), 0);
	while (*line != '\0') {
		const char *eol = strstr(line, "\r\n");

		assert_non_null(eol);
		assert_true(eol - line <= 78);
		if (line != msg)
			assert_true(*line == '\t');
		line = eol + 2;
	}
	free(msg);
}

static void
test_tampered(void **state)
{
	char *msg = test_signed(test_rsa, "example.org", plain_msg);
	char *copy, *p, *added = NULL;

	(void)state;
	/* Body. */
	copy = strdup(msg);
	p = strstr(copy, "Hello  Bob");
	p[0] = 'J';
	assert_int_equal(test_verify(copy, "example.org", test_rsa_record), QUEUE_DKIM_FAIL);
	free(copy);
	/* Relaxed body: white space changes inside a line do not matter. */
	copy = strdup(msg);
	p = strstr(copy, "Hello  Bob");
	p[5] = '\t';
	assert_int_equal(test_verify(copy, "example.org", test_rsa_record), QUEUE_DKIM_PASS);
	free(copy);
	/* A signed header. */
	copy = strdup(msg);
	p = strstr(copy, "Subject: hello");
	p[9] = 'j';
	assert_int_equal(test_verify(copy, "example.org", test_rsa_record), QUEUE_DKIM_FAIL);
	free(copy);
	/* An unsigned header may change. */
	copy = strdup(msg);
	p = strstr(copy, "Received: from");
	p[10] = 'F';
	assert_int_equal(test_verify(copy, "example.org", test_rsa_record), QUEUE_DKIM_PASS);
	free(copy);
	/* Over-signing: a second From (or a new Cc) anywhere breaks the signature. */
	p = strstr(msg, "From: Alice");
	assert_int_equal(str_printf(&added, "%.*sFrom: Mallory <m@example.org>\r\n%s",
	                         (int)(p - msg), msg, p),
	        0);
	assert_int_equal(test_verify(added, "example.org", test_rsa_record), QUEUE_DKIM_FAIL);
	free(added);
	assert_int_equal(
	        str_printf(&added, "%.*sCc: eve@example.org\r\n%s", (int)(p - msg), msg, p), 0);
	assert_int_equal(test_verify(added, "example.org", test_rsa_record), QUEUE_DKIM_FAIL);
	free(added);
	free(msg);
}

static void
test_refused_signatures(void **state)
{
	EVP_PKEY *small = EVP_RSA_gen(768);
	char *small_record = NULL, *msg;

	(void)state;
	assert_non_null(small);
	assert_int_equal(queue_dkim_key_record(small, &small_record), 0);
	/* The forger itself is right: a plain forged signature passes. */
	msg = test_forge(test_rsa, EVP_sha256(),
	        "v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=sel; h=from:subject",
	        plain_msg);
	assert_int_equal(test_verify(msg, "example.org", test_rsa_record), QUEUE_DKIM_PASS);
	free(msg);
	/* h= without from. */
	msg = test_forge(test_rsa, EVP_sha256(),
	        "v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=sel; h=to:subject",
	        plain_msg);
	assert_int_equal(test_verify(msg, "example.org", test_rsa_record), QUEUE_DKIM_FAIL);
	free(msg);
	/* rsa-sha1, correctly made, is never valid (DKIM-6, RFC 8301). */
	msg = test_forge(test_rsa, EVP_sha1(),
	        "v=1; a=rsa-sha1; c=relaxed/relaxed; d=example.org; s=sel; h=from", plain_msg);
	assert_int_equal(test_verify(msg, "example.org", test_rsa_record), QUEUE_DKIM_FAIL);
	free(msg);
	/* An RSA key below 1024 bits. */
	msg = test_forge(small, EVP_sha256(),
	        "v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=sel; h=from", plain_msg);
	assert_int_equal(test_verify(msg, "example.org", small_record), QUEUE_DKIM_FAIL);
	free(msg);
	/* Misaligned d= (DKIM-5: no subdomain relaxation either way). */
	msg = test_forge(test_rsa, EVP_sha256(),
	        "v=1; a=rsa-sha256; c=relaxed/relaxed; d=other.org; s=sel; h=from", plain_msg);
	assert_int_equal(test_verify(msg, "example.org", test_rsa_record), QUEUE_DKIM_FAIL);
	free(msg);
	msg = test_forge(test_rsa, EVP_sha256(),
	        "v=1; a=rsa-sha256; c=relaxed/relaxed; d=mail.example.org; s=sel; h=from",
	        plain_msg);
	assert_int_equal(test_verify(msg, "example.org", test_rsa_record), QUEUE_DKIM_FAIL);
	free(msg);
	msg = test_forge(test_rsa, EVP_sha256(),
	        "v=1; a=rsa-sha256; c=relaxed/relaxed; d=EXAMPLE.org; s=sel; h=from", plain_msg);
	assert_int_equal(test_verify(msg, "example.org", test_rsa_record), QUEUE_DKIM_PASS);
	free(msg);
	EVP_PKEY_free(small);
	free(small_record);
}

/* c=simple/simple: exact octets count, in the header and the body. */
static void
test_simple_canon(void **state)
{
	const char *tags = "v=1; a=rsa-sha256; c=simple/simple; d=example.org; s=sel; "
	                   "h=from:subject:from";
	char *msg = test_forge(test_rsa, EVP_sha256(), tags, plain_msg);
	char *copy, *p;

	(void)state;
	assert_int_equal(test_verify(msg, "example.org", test_rsa_record), QUEUE_DKIM_PASS);
	/* White space inside a body line matters for simple. */
	copy = strdup(msg);
	p = strstr(copy, "Hello  Bob");
	p[5] = '\t';
	assert_int_equal(test_verify(copy, "example.org", test_rsa_record), QUEUE_DKIM_FAIL);
	free(copy);
	/* So does the case of a signed field's name. */
	copy = strdup(msg);
	p = strstr(copy, "Subject: hello");
	p[0] = 's';
	assert_int_equal(test_verify(copy, "example.org", test_rsa_record), QUEUE_DKIM_FAIL);
	free(copy);
	/* Trailing empty lines are ignored by simple too. */
	assert_int_equal(str_printf(&copy, "%s\r\n\r\n", msg), 0);
	assert_int_equal(test_verify(copy, "example.org", test_rsa_record), QUEUE_DKIM_PASS);
	free(copy);
	free(msg);
	/* relaxed header, simple body. */
	msg = test_forge(test_rsa, EVP_sha256(),
	        "v=1; a=rsa-sha256; c=relaxed/simple; d=example.org; s=sel; h=from", plain_msg);
	assert_int_equal(test_verify(msg, "example.org", test_rsa_record), QUEUE_DKIM_PASS);
	free(msg);
}

static void
test_expiry_and_length(void **state)
{
	char *msg, tags[200];
	/* The canonical relaxed body of plain_msg. */
	const size_t body_len = strlen("Hello Bob,\r\n\r\n.a line with a dot\r\n");

	(void)state;
	snprintf(tags, sizeof(tags),
	        "v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; "
	        "s=sel; h=from; t=%d; x=%d",
	        NOW - 100, NOW - 1);
	msg = test_forge(test_rsa, EVP_sha256(), tags, plain_msg);
	assert_int_equal(test_verify(msg, "example.org", test_rsa_record), QUEUE_DKIM_FAIL);
	free(msg);
	snprintf(tags, sizeof(tags),
	        "v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; "
	        "s=sel; h=from; t=%d; x=%d",
	        NOW - 100, NOW);
	msg = test_forge(test_rsa, EVP_sha256(), tags, plain_msg);
	assert_int_equal(test_verify(msg, "example.org", test_rsa_record), QUEUE_DKIM_PASS);
	free(msg);
	/* l= exactly the canonical body passes; shorter does not (DKIM-6). */
	snprintf(tags, sizeof(tags),
	        "v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; "
	        "s=sel; h=from; l=%zu",
	        body_len);
	msg = test_forge(test_rsa, EVP_sha256(), tags, plain_msg);
	assert_int_equal(test_verify(msg, "example.org", test_rsa_record), QUEUE_DKIM_PASS);
	free(msg);
	snprintf(tags, sizeof(tags),
	        "v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; "
	        "s=sel; h=from; l=%zu",
	        body_len - 5);
	msg = test_forge(test_rsa, EVP_sha256(), tags, plain_msg);
	assert_int_equal(test_verify(msg, "example.org", test_rsa_record), QUEUE_DKIM_FAIL);
	free(msg);
}

static void
test_outcomes(void **state)
{
	char *msg = test_signed(test_rsa, "example.org", plain_msg);
	char *revoked = NULL;
	struct test_dns temp[] = {
	        {"sel", NULL, QUEUE_DKIM_LOOKUP_TEMPFAIL, 0},
	        {NULL, NULL, QUEUE_DKIM_LOOKUP_NONE, 0},
	};
	struct test_dns none[] = {{NULL, NULL, QUEUE_DKIM_LOOKUP_NONE, 0}};

	(void)state;
	assert_int_equal(test_verify(plain_msg, "example.org", test_rsa_record), QUEUE_DKIM_NONE);
	assert_int_equal(
	        queue_dkim_verify_buf(msg, strlen(msg), "example.org", NOW, test_lookup, temp),
	        QUEUE_DKIM_TEMPFAIL);
	assert_int_equal(
	        queue_dkim_verify_buf(msg, strlen(msg), "example.org", NOW, test_lookup, none),
	        QUEUE_DKIM_FAIL);
	assert_int_equal(str_printf(&revoked, "v=DKIM1; k=rsa; p="), 0);
	assert_int_equal(test_verify(msg, "example.org", revoked), QUEUE_DKIM_FAIL);
	free(revoked);
	/* A key record restricted to another hash or service. */
	assert_int_equal(str_printf(&revoked, "%s; h=sha1", test_rsa_record), 0);
	assert_int_equal(test_verify(msg, "example.org", revoked), QUEUE_DKIM_FAIL);
	free(revoked);
	/* Garbage signature fields count as present, not valid. */
	assert_int_equal(test_verify("DKIM-Signature: nonsense\r\nFrom: a@example.org\r\n\r\nx\r\n",
	                         "example.org", test_rsa_record),
	        QUEUE_DKIM_FAIL);
	assert_string_equal(
	        queue_dkim_result_reply(QUEUE_DKIM_NONE), "554 5.7.1 No DKIM signature found");
	assert_string_equal(queue_dkim_result_reply(QUEUE_DKIM_FAIL),
	        "554 5.7.1 No valid DKIM signature found");
	assert_string_equal(queue_dkim_result_reply(QUEUE_DKIM_TEMPFAIL),
	        "451 4.4.3 Temporary DNS failure during DKIM verification");
	assert_null(queue_dkim_result_reply(QUEUE_DKIM_PASS));
	free(msg);
}

/* The streaming verifier gives the same answer for every split of the message. */
static void
test_verify_streaming(void **state)
{
	char *msg = test_signed(test_ed, "example.org", plain_msg);
	size_t len = strlen(msg);

	(void)state;
	for (size_t cut = 0; cut <= len; cut += 1) {
		struct queue_dkim_verify *v = queue_dkim_verify_new("example.org", NOW);
		const char *s, *d;

		assert_non_null(v);
		assert_int_equal(queue_dkim_verify_feed(v, msg, cut), 0);
		assert_int_equal(queue_dkim_verify_feed(v, msg + cut, len - cut), 0);
		queue_dkim_verify_finish(v);
		assert_int_equal(queue_dkim_verify_lookup_count(v), 1);
		queue_dkim_verify_lookup(v, 0, &s, &d);
		assert_string_equal(s, "sel");
		assert_string_equal(d, "example.org");
		/* Not answered yet: undecided counts as a temporary failure. */
		assert_int_equal(queue_dkim_verify_result(v), QUEUE_DKIM_TEMPFAIL);
		queue_dkim_verify_set_key(
		        v, 0, QUEUE_DKIM_LOOKUP_FOUND, test_ed_record, strlen(test_ed_record));
		assert_int_equal(queue_dkim_verify_result(v), QUEUE_DKIM_PASS);
		queue_dkim_verify_free(&v);
		assert_null(v);
	}
	free(msg);
}

/* Signing from a file descriptor equals signing the buffer (RSA PKCS#1 v1.5 is deterministic). */
static void
test_sign_fd(void **state)
{
	struct queue_dkim_signer *s = queue_dkim_signer_new(test_rsa, "example.org", "sel");
	char path[] = "/tmp/test_queue_dkim_XXXXXX";
	char *a = NULL, *b = NULL;
	const char *error;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, plain_msg, strlen(plain_msg)), (ssize_t)strlen(plain_msg));
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(queue_dkim_sign_fd(s, fd, NOW, &a, &error), 0);
	assert_int_equal(queue_dkim_sign_buf(s, plain_msg, strlen(plain_msg), NOW, &b, &error), 0);
	assert_string_equal(a, b);
	close(fd);
	free(a);
	free(b);
	queue_dkim_signer_free(&s);
}

/* Verification from a file descriptor (what a worker does with the DATA file). */
static void
test_verify_fd(void **state)
{
	char *msg = test_signed(test_rsa, "example.org", plain_msg);
	char path[] = "/tmp/test_queue_dkim_XXXXXX";
	struct queue_dkim_verify *v = queue_dkim_verify_new("example.org", NOW);
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, msg, strlen(msg)), (ssize_t)strlen(msg));
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(queue_dkim_verify_feed_fd(v, fd), 0);
	assert_int_equal(queue_dkim_verify_lookup_count(v), 1);
	queue_dkim_verify_set_key(
	        v, 0, QUEUE_DKIM_LOOKUP_FOUND, test_rsa_record, strlen(test_rsa_record));
	assert_int_equal(queue_dkim_verify_result(v), QUEUE_DKIM_PASS);
	queue_dkim_verify_free(&v);
	/* A read error. */
	v = queue_dkim_verify_new("example.org", NOW);
	assert_int_equal(queue_dkim_verify_feed_fd(v, -1), -1);
	assert_int_equal(queue_dkim_verify_result(v), QUEUE_DKIM_FAIL);
	queue_dkim_verify_free(&v);
	close(fd);
	free(msg);
}

static void
test_key_prepare(void **state)
{
	char dir[] = "/tmp/test_queue_dkim_key_XXXXXX";
	char text[512], err[256];
	struct conf conf;
	struct stat st;
	EVP_PKEY *key = NULL;
	bool is_generated;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(text, sizeof(text), "[params]\nmail_domain = example.org\ndata_dir = %s/data\n",
	        dir);
	assert_int_equal(conf_init(&conf), 0);
	assert_int_equal(conf_parse(&conf, text, strlen(text), "t.ini", dir, err, sizeof(err)), 0);
	assert_true(queue_dkim_is_signing(&conf));
	assert_int_equal(queue_dkim_key_prepare(&conf, &is_generated, err, sizeof(err)), 0);
	assert_true(is_generated);
	assert_int_equal(stat(conf.dkim_key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(queue_dkim_key_load(conf.dkim_key, &key, err, sizeof(err)), 0);
	assert_int_equal(EVP_PKEY_get_bits(key), 2048);
	EVP_PKEY_free(key);
	/* Present: kept as it is. */
	assert_int_equal(queue_dkim_key_prepare(&conf, &is_generated, err, sizeof(err)), 0);
	assert_false(is_generated);
	/* The start-up helper signs for the mail domain with the selector. */
	{
		struct queue_dkim_signer *signer = NULL;
		char *field = NULL, *msg = NULL, *record = NULL;
		const char *error;

		assert_int_equal(queue_dkim_signer_load(&conf, &signer, err, sizeof(err)), 0);
		assert_non_null(signer);
		assert_int_equal(queue_dkim_sign_buf(
		                         signer, plain_msg, strlen(plain_msg), NOW, &field, &error),
		        0);
		assert_non_null(strstr(field, "d=example.org;"));
		assert_non_null(strstr(field, "s=opendkim;"));
		assert_int_equal(queue_dkim_key_load(conf.dkim_key, &key, err, sizeof(err)), 0);
		assert_int_equal(queue_dkim_key_record(key, &record), 0);
		EVP_PKEY_free(key);
		assert_int_equal(str_printf(&msg, "%s%s", field, plain_msg), 0);
		{
			struct test_dns dns[] = {
			        {"opendkim", record, QUEUE_DKIM_LOOKUP_FOUND, 0},
			        {NULL, NULL, QUEUE_DKIM_LOOKUP_NONE, 0},
			};

			assert_int_equal(queue_dkim_verify_buf(msg, strlen(msg), "example.org", NOW,
			                         test_lookup, dns),
			        QUEUE_DKIM_PASS);
		}
		free(record);
		free(msg);
		free(field);
		queue_dkim_signer_free(&signer);
	}
	unlink(conf.dkim_key);
	snprintf(text, sizeof(text), "%s/data/dkim", dir);
	rmdir(text);
	snprintf(text, sizeof(text), "%s/data", dir);
	rmdir(text);
	rmdir(dir);
	conf_free(&conf);
	/* IP-literal domains are never signed (DKIM-1): no signer, no key file. */
	{
		struct queue_dkim_signer *signer = NULL;

		snprintf(text, sizeof(text),
		        "[params]\nmail_domain = 127.0.0.2\ndata_dir = %s/ip\n", dir);
		assert_int_equal(conf_init(&conf), 0);
		assert_int_equal(
		        conf_parse(&conf, text, strlen(text), "t.ini", dir, err, sizeof(err)), 0);
		assert_false(queue_dkim_is_signing(&conf));
		assert_int_equal(queue_dkim_signer_load(&conf, &signer, err, sizeof(err)), 0);
		assert_null(signer);
		assert_int_equal(stat(conf.dkim_key, &st), -1);
		conf_free(&conf);
	}
	/* Not a PEM key. */
	assert_int_equal(queue_dkim_key_load("/dev/null", &key, err, sizeof(err)), -1);
	assert_null(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rfc8463_vector),
	        cmocka_unit_test(test_rfc8463_sign),
	        cmocka_unit_test(test_roundtrip),
	        cmocka_unit_test(test_sign_field_shape),
	        cmocka_unit_test(test_tampered),
	        cmocka_unit_test(test_refused_signatures),
	        cmocka_unit_test(test_simple_canon),
	        cmocka_unit_test(test_expiry_and_length),
	        cmocka_unit_test(test_outcomes),
	        cmocka_unit_test(test_verify_streaming),
	        cmocka_unit_test(test_sign_fd),
	        cmocka_unit_test(test_verify_fd),
	        cmocka_unit_test(test_key_prepare),
	};

	return cmocka_run_group_tests(tests, test_setup, test_teardown);
}
