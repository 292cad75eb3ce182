/*
 * test_mail_dkim_sig.c - unit tests for src/mail/mail_dkim_sig.c: tag-list
 * grammar, DKIM-Signature and key-record parsing, b= stripping (RFC 6376
 * 3.7), DKIM-2 name lists and bottom-up field selection (5.4.2).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail_dkim_sig.h"

static struct mail_dkim_sig test_sig;

static int
test_parse(const char *value)
{
	const char *error = NULL;
	int rc = mail_dkim_sig_parse(value, strlen(value), &test_sig, &error);

	if (rc < 0)
		assert_non_null(error);
	return rc;
}

static void
test_sig_good(void **state)
{
	(void)state;
	assert_int_equal(
	        test_parse(" v=1; a=rsa-sha256;\r\n\tc=relaxed/simple; d=Example.org;"
	                   " s=sel.2026; t=100; x=200; l=42; i=joe@sub.example.ORG; q=dns/txt;\r\n"
	                   " h=From : TO:\r\n subject; bh=AAEC; b=AA EC\r\n\tAw==; z=unknown;"),
	        0);
	assert_int_equal(test_sig.alg, MAIL_DKIM_ALG_RSA_SHA256);
	assert_int_equal(test_sig.header_canon, MAIL_DKIM_CANON_RELAXED);
	assert_int_equal(test_sig.body_canon, MAIL_DKIM_CANON_SIMPLE);
	assert_string_equal(test_sig.d, "Example.org");
	assert_string_equal(test_sig.s, "sel.2026");
	assert_string_equal(test_sig.i_domain, "sub.example.ORG");
	assert_true(test_sig.has_t && test_sig.t == 100);
	assert_true(test_sig.has_x && test_sig.x == 200);
	assert_true(test_sig.has_l && test_sig.l == 42);
	assert_int_equal(test_sig.h_count, 3);
	assert_string_equal(test_sig.h[0], "from");
	assert_string_equal(test_sig.h[1], "to");
	assert_string_equal(test_sig.h[2], "subject");
	assert_int_equal(test_sig.bh_len, 3);
	assert_int_equal(test_sig.b_len, 4);
	assert_memory_equal(test_sig.b, "\x00\x01\x02\x03", 4);
	/* Defaults: c=simple/simple; c=relaxed alone means relaxed/simple. */
	assert_int_equal(test_parse("v=1;a=ed25519-sha256;d=a.b;s=s;h=from;bh=AA==;b=AA=="), 0);
	assert_int_equal(test_sig.alg, MAIL_DKIM_ALG_ED25519_SHA256);
	assert_int_equal(test_sig.header_canon, MAIL_DKIM_CANON_SIMPLE);
	assert_int_equal(test_sig.body_canon, MAIL_DKIM_CANON_SIMPLE);
	assert_false(test_sig.has_t || test_sig.has_x || test_sig.has_l);
	assert_int_equal(
	        test_parse("v=1;a=rsa-sha1;c=relaxed;d=a.b;s=s;h=from;bh=AA==;b=AA==;"), 0);
	assert_int_equal(test_sig.alg, MAIL_DKIM_ALG_RSA_SHA1);
	assert_int_equal(test_sig.header_canon, MAIL_DKIM_CANON_RELAXED);
	assert_int_equal(test_sig.body_canon, MAIL_DKIM_CANON_SIMPLE);
	assert_int_equal(test_parse("v=1;a=foo-sha3;d=a.b;s=s;h=from;bh=AA==;b=AA=="), 0);
	assert_int_equal(test_sig.alg, MAIL_DKIM_ALG_UNKNOWN);
	/* i= equal to d=, and with an empty local part. */
	assert_int_equal(test_parse("v=1;a=rsa-sha256;d=a.b;s=s;h=from;bh=AA==;b=AA==;i=@a.b"), 0);
}

static void
test_sig_bad(void **state)
{
	static const char *const bad[] = {
	        "v=1;a=rsa-sha256;d=a.b;s=s;h=from;bh=AA==",                 /* no b= */
	        "a=rsa-sha256;d=a.b;s=s;h=from;bh=AA==;b=AA==",              /* no v= */
	        "v=2;a=rsa-sha256;d=a.b;s=s;h=from;bh=AA==;b=AA==",          /* version */
	        "v=1;v=1;a=rsa-sha256;d=a.b;s=s;h=from;bh=AA==;b=AA==",      /* duplicate */
	        "v=1;a=rsa-sha256;d=a.b;s=s;h=from;bh=A;b=AA==",             /* bad base64 */
	        "v=1;a=rsa-sha256;d=a.b;s=s;h=from;bh=AA==;b=A=A=",          /* data after = */
	        "v=1;a=rsa-sha256;d=a.b;s=s;h=from;bh=AA==;b=",              /* empty b= */
	        "v=1;a=rsa-sha256;d=a.b;s=s;h=from;bh=AA==;b=AA==;i=x@c.d",  /* i= outside d= */
	        "v=1;a=rsa-sha256;d=a.b;s=s;h=from;bh=AA==;b=AA==;i=x@xa.b", /* not a subdomain */
	        "v=1;a=rsa-sha256;d=a.b;s=s;h=from;bh=AA==;b=AA==;q=dns",    /* q= */
	        "v=1;a=rsa-sha256;d=a.b;s=s;h=from;bh=AA==;b=AA==;c=odd",    /* c= */
	        "v=1;a=rsa-sha256;d=a.b;s=s;h=from;bh=AA==;b=AA==;t=5;x=5",  /* x not after t */
	        "v=1;a=rsa-sha256;d=a.b;s=s;h=from;bh=AA==;b=AA==;l=-1",     /* l= */
	        "v=1;a=rsa-sha256;d=a.b;s=s;h=from;bh=AA==;b=AA==;t=1234567890123", /* 13 digits */
	        "v=1;a=rsa-sha256;d=a.b;s=s;h=from:;bh=AA==;b=AA==",                /* empty name */
	        "v=1;a=rsa-sha256;d=a b;s=s;h=from;bh=AA==;b=AA==",                 /* d= syntax */
	        "v=1;a=rsa-sha256;d=;s=s;h=from;bh=AA==;b=AA==",                    /* empty d= */
	        "v=1;;a=rsa-sha256;d=a.b;s=s;h=from;bh=AA==;b=AA==",        /* empty tag-spec */
	        "v=1;a=rsa-sha256;d=a.b;s=s;h=from;bh=AA==;b=AA==;1x=2",    /* tag name */
	        "v=1;a=rsa-sha256;d=a.b;s=s;h=from;bh=AA==;b=AA==;novalue", /* no = */
	        "",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (test_parse(bad[i]) == 0)
			fail_msg("accepted: %s", bad[i]);
	}
}

static void
test_key_parse(void **state)
{
	struct mail_dkim_key key;
	const char *error;
	const char *rec;

	(void)state;
	rec = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
	assert_int_equal(mail_dkim_key_parse(rec, strlen(rec), &key, &error), 0);
	assert_int_equal(key.k, MAIL_DKIM_KEY_ED25519);
	assert_int_equal(key.p_len, 32);
	assert_false(key.is_revoked);
	assert_true(key.allows_sha256 && key.allows_email);
	assert_false(key.is_testing || key.is_strict);
	/* k= defaults to rsa; flags, hash and service lists with white space. */
	rec = "p=AAEC ; t = y : s ; h= sha1 : sha256 ; s = email";
	assert_int_equal(mail_dkim_key_parse(rec, strlen(rec), &key, &error), 0);
	assert_int_equal(key.k, MAIL_DKIM_KEY_RSA);
	assert_true(key.is_testing && key.is_strict && key.allows_sha256 && key.allows_email);
	rec = "v=DKIM1; h=sha1; s=tlsrpt; p=AAEC";
	assert_int_equal(mail_dkim_key_parse(rec, strlen(rec), &key, &error), 0);
	assert_false(key.allows_sha256);
	assert_false(key.allows_email);
	rec = "v=DKIM1; s=*; k=dsa; p=";
	assert_int_equal(mail_dkim_key_parse(rec, strlen(rec), &key, &error), 0);
	assert_true(key.is_revoked);
	assert_true(key.allows_email);
	assert_int_equal(key.k, MAIL_DKIM_KEY_UNKNOWN);
	rec = "v=DKIM2; p=AAEC";
	assert_int_equal(mail_dkim_key_parse(rec, strlen(rec), &key, &error), -1);
	rec = "v=DKIM1; k=rsa";
	assert_int_equal(mail_dkim_key_parse(rec, strlen(rec), &key, &error), -1);
	rec = "v=DKIM1; p=*bad*";
	assert_int_equal(mail_dkim_key_parse(rec, strlen(rec), &key, &error), -1);
	rec = "p=AAEC; p=AAEC";
	assert_int_equal(mail_dkim_key_parse(rec, strlen(rec), &key, &error), -1);
}

static void
test_strip_b(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	        {"DKIM-Signature: v=1; b=abc; bh=xyz\r\n", "DKIM-Signature: v=1; b=; bh=xyz\r\n"},
	        {"DKIM-Signature: v=1; bh=xyz;\r\n b=ab\r\n cd\r\n",
	                "DKIM-Signature: v=1; bh=xyz;\r\n b=\r\n"},
	        {"DKIM-Signature: v=1; b = ab cd ;x=1", "DKIM-Signature: v=1; b =;x=1"},
	        {"DKIM-Signature:b=;v=1\r\n", "DKIM-Signature:b=;v=1\r\n"},
	};
	char *out;
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
		        mail_dkim_strip_b(cases[i].in, strlen(cases[i].in), &out, &len), 0);
		assert_string_equal(out, cases[i].out);
		assert_int_equal(len, strlen(cases[i].out));
		free(out);
	}
	assert_int_equal(mail_dkim_strip_b("DKIM-Signature: bh=1", 20, &out, &len), -1);
	assert_null(out);
	assert_int_equal(mail_dkim_strip_b("no colon", 8, &out, &len), -1);
}

static const char test_hdr[] = "Received: x\r\n"
                               "From: first\r\n"
                               "To: a\r\n"
                               "Subject: s1\r\n"
                               "from: second\r\n"
                               "Subject: s2\r\n"
                               "X-Other: o\r\n"
                               "\r\n";

static void
test_sign_names_and_select(void **state)
{
	struct mail_dkim_header *h = calloc(1, sizeof(*h));
	char(*names)[DKIM_FIELD_NAME_MAX + 1] = calloc(DKIM_H_NAMES_MAX, sizeof(*names));
	long idx[DKIM_H_NAMES_MAX];
	size_t count;

	(void)state;
	assert_non_null(h);
	assert_non_null(names);
	assert_int_equal(mail_dkim_header_split(test_hdr, strlen(test_hdr), false, h),
	        MAIL_DKIM_PARSE_COMPLETE);
	assert_int_equal(mail_dkim_sign_names(test_hdr, h, names, DKIM_H_NAMES_MAX, &count), 0);
	/* 15 names, +2 from, +1 to, +2 subject (DKIM-2). */
	assert_int_equal(count, 20);
	assert_string_equal(names[0], "from");
	assert_string_equal(names[1], "from");
	assert_string_equal(names[2], "from");
	assert_string_equal(names[3], "to");
	assert_string_equal(names[4], "to");
	assert_string_equal(names[5], "cc");
	assert_string_equal(names[19], "secure-join");
	assert_int_equal(mail_dkim_sign_names(test_hdr, h, names, 19, &count), -1);
	/* 5.4.2: from, from, from -> bottom "from: second" (4), then "From: first" (1), then none.
	 */
	mail_dkim_sign_names(test_hdr, h, names, DKIM_H_NAMES_MAX, &count);
	mail_dkim_select(
	        test_hdr, h, (const char(*)[DKIM_FIELD_NAME_MAX + 1]) names, count, -1, idx);
	assert_int_equal(idx[0], 4);
	assert_int_equal(idx[1], 1);
	assert_int_equal(idx[2], -1);
	assert_int_equal(idx[3], 2);
	assert_int_equal(idx[4], -1);
	assert_int_equal(idx[5], -1);
	/* skip: that field is never selected (the signature's own). */
	mail_dkim_select(test_hdr, h, (const char(*)[DKIM_FIELD_NAME_MAX + 1]) names, 3, 4, idx);
	assert_int_equal(idx[0], 1);
	assert_int_equal(idx[1], -1);
	free(names);
	free(h);
}

static void
test_header_input(void **state)
{
	struct mail_dkim_header *h = calloc(1, sizeof(*h));
	const char sig[] = "DKIM-Signature: a=1;\r\n b=\r\n";
	long idx[] = {4, -1, 3};
	char *out;
	size_t len;

	(void)state;
	assert_non_null(h);
	mail_dkim_header_split(test_hdr, strlen(test_hdr), false, h);
	assert_int_equal(mail_dkim_header_input(test_hdr, h, idx, 3, MAIL_DKIM_CANON_RELAXED, sig,
	                         strlen(sig), &out, &len),
	        0);
	assert_string_equal(out, "from:second\r\nsubject:s1\r\ndkim-signature:a=1; b=");
	assert_int_equal(len, strlen(out));
	free(out);
	assert_int_equal(mail_dkim_header_input(test_hdr, h, idx, 3, MAIL_DKIM_CANON_SIMPLE, sig,
	                         strlen(sig), &out, &len),
	        0);
	assert_string_equal(out, "from: second\r\nSubject: s1\r\nDKIM-Signature: a=1;\r\n b=");
	free(out);
	free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sig_good),
	        cmocka_unit_test(test_sig_bad),
	        cmocka_unit_test(test_key_parse),
	        cmocka_unit_test(test_strip_b),
	        cmocka_unit_test(test_sign_names_and_select),
	        cmocka_unit_test(test_header_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
