/*
 * test_smtp_parse.c - command parser: verbs, paths (SMTP-5), parameters
 * (SMTP-6) and the AUTH arguments (SUB-2), with the exact reply texts.
 * SASL responses are tested in test_auth_sasl.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smtp/smtp_parse.h"

static const struct smtp_parse_ctx ctx_ehlo = {.is_ehlo = true, .max_message_size = 1000};
static const struct smtp_parse_ctx ctx_sub = {
        .is_ehlo = true,
        .is_submission = true,
        .max_message_size = 1000,
};
static const struct smtp_parse_ctx ctx_helo = {.is_ehlo = false, .max_message_size = 1000};

static void
cmd(const char *line, struct smtp_cmd *c)
{
	smtp_parse_command(line, strlen(line), c);
}

static void
test_parse_verbs(void **state)
{
	struct smtp_cmd c;

	(void)state;
	cmd("ehlo example.org", &c);
	assert_int_equal(c.verb, SMTP_VERB_EHLO);
	assert_int_equal(c.arg_len, 11);
	assert_memory_equal(c.arg, "example.org", 11);
	cmd("MaIl FROM:<a@b.c>", &c);
	assert_int_equal(c.verb, SMTP_VERB_MAIL);
	cmd("StartTLS", &c);
	assert_int_equal(c.verb, SMTP_VERB_STARTTLS);
	assert_int_equal(c.arg_len, 0);
	cmd("QUIT   ", &c);
	assert_int_equal(c.verb, SMTP_VERB_QUIT);
	assert_int_equal(c.arg_len, 0);
	cmd("MAILX FROM:<a@b>", &c);
	assert_int_equal(c.verb, SMTP_VERB_UNKNOWN);
	cmd("", &c);
	assert_int_equal(c.verb, SMTP_VERB_UNKNOWN);
	cmd("BDAT 10 LAST", &c);
	assert_int_equal(c.verb, SMTP_VERB_BDAT);
	assert_string_equal(smtp_verb_name(SMTP_VERB_RCPT), "RCPT");
	assert_string_equal(smtp_verb_name(SMTP_VERB_UNKNOWN), "UNKNOWN");
	assert_string_equal(SMTP_REPLY_UNKNOWN, "500 5.5.2 Command not recognized");
}

static void
test_parse_line_len(void **state)
{
	char line[SMTP_AUTH_LINE_MAX];
	struct smtp_cmd c;
	const char *reply = NULL;

	(void)state;
	memset(line, 'A', sizeof(line));
	memcpy(line, "NOOP ", 5);
	smtp_parse_command(line, 998, &c);
	assert_int_equal(smtp_parse_line_len(&c, 998, &reply), 0);
	smtp_parse_command(line, 999, &c);
	assert_int_equal(smtp_parse_line_len(&c, 999, &reply), -1);
	assert_string_equal(reply, "500 5.5.2 Line too long");
	memcpy(line, "AUTH PLAIN ", 11);
	smtp_parse_command(line, SMTP_AUTH_LINE_MAX - 2, &c);
	assert_int_equal(smtp_parse_line_len(&c, SMTP_AUTH_LINE_MAX - 2, &reply), 0);
	smtp_parse_command(line, SMTP_AUTH_LINE_MAX - 1, &c);
	assert_int_equal(smtp_parse_line_len(&c, SMTP_AUTH_LINE_MAX - 1, &reply), -1);
}

static void
test_parse_helo_noarg(void **state)
{
	struct smtp_cmd c;
	const char *reply = NULL;

	(void)state;
	cmd("EHLO", &c);
	assert_int_equal(smtp_parse_helo(&c, &reply), -1);
	assert_string_equal(reply, "501 5.5.4 Syntax: EHLO hostname");
	cmd("HELO  ", &c);
	assert_int_equal(smtp_parse_helo(&c, &reply), -1);
	cmd("HELO [1.2.3.4]", &c);
	assert_int_equal(smtp_parse_helo(&c, &reply), 0);
	cmd("EHLO anything goes here", &c);
	assert_int_equal(smtp_parse_helo(&c, &reply), 0);
	cmd("STARTTLS x", &c);
	assert_int_equal(smtp_parse_noarg(&c, &reply), -1);
	assert_string_equal(reply, "501 5.5.4 Syntax error");
	cmd("STARTTLS", &c);
	assert_int_equal(smtp_parse_noarg(&c, &reply), 0);
}

/* mail - parse "MAIL <arg>" in ctx; returns the reply or NULL on success. */
static const char *
mail(const char *arg, const struct smtp_parse_ctx *ctx, struct smtp_mail *m)
{
	char line[2048];
	struct smtp_cmd c;
	const char *reply = NULL;

	snprintf(line, sizeof(line), "MAIL %s", arg);
	cmd(line, &c);
	return smtp_parse_mail(&c, ctx, m, &reply) == 0 ? NULL : reply;
}

static const char *
rcpt(const char *arg, bool utf8, struct smtp_path *p)
{
	char line[2048];
	struct smtp_cmd c;
	const char *reply = NULL;

	snprintf(line, sizeof(line), "RCPT %s", arg);
	cmd(line, &c);
	return smtp_parse_rcpt(&c, utf8, p, &reply) == 0 ? NULL : reply;
}

static void
test_parse_mail_paths(void **state)
{
	static const struct {
		const char *arg, *addr;
	} good[] = {
	        {"FROM:<a@b.c>", "a@b.c"},
	        {"from:<a@b.c>", "a@b.c"},
	        {"From:   <A.B@Example.ORG>", "A.B@Example.ORG"},
	        {"FROM:a@b.c", "a@b.c"},
	        {"FROM:<@x.y,@z.w:a@b.c>", "a@b.c"},
	        {"FROM:<\"a b\"@c.d>", "\"a b\"@c.d"},
	        {"FROM:<\"a\\\"b\"@c.d>", "\"a\\\"b\"@c.d"},
	        {"FROM:<a@[192.0.2.1]>", "a@[192.0.2.1]"},
	        {"FROM:<a@[IPv6:2001:db8::1]>", "a@[IPv6:2001:db8::1]"},
	        {"FROM:<x-y+z!#$%&'*/=?^_`{|}~@b-c.d1>", "x-y+z!#$%&'*/=?^_`{|}~@b-c.d1"},
	        {"FROM:<a@localhost>", "a@localhost"},
	};
	static const char *const bad[] = {
	        "<a@b.c>",
	        "FROM<a@b.c>",
	        "FROM:",
	        "FROM:<a@b.c",
	        "FROM:<a..b@c.d>",
	        "FROM:<.a@c.d>",
	        "FROM:<a.@c.d>",
	        "FROM:<a@-b.c>",
	        "FROM:<a@b-.c>",
	        "FROM:<a@b..c>",
	        "FROM:<a@b.c.>",
	        "FROM:<a@[1.2.3]>",
	        "FROM:<a@[IPv6:zz]>",
	        "FROM:<a@[1.2.3.4>",
	        "FROM:<a b@c.d>",
	        "FROM:<a@b.c>x",
	        "FROM:<@x:>",
	        "FROM:<a>",
	        "FROM:<@b.c>",
	        "FROM:<a@>",
	        "FROM:<\"a@b.c>",
	        "FROM:<a@b_c.d>",
	        "FROM:<a(b)@c.d>",
	        "FROM:<<a@b.c>>",
	        "FROM:<a@[tag:stuff]>",
	        "FROM:<\"a\x01\"@b.c>",
	};
	struct smtp_mail m;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const char *r = mail(good[i].arg, &ctx_ehlo, &m);

		if (r != NULL)
			fail_msg("%s: %s", good[i].arg, r);
		assert_string_equal(m.path.addr, good[i].addr);
		assert_false(m.path.is_null);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *r = mail(bad[i], &ctx_ehlo, &m);

		if (r == NULL || strcmp(r, "501 5.1.7 Bad sender address syntax") != 0)
			fail_msg("%s: %s", bad[i], r == NULL ? "accepted" : r);
	}
	/* a second path is an unknown parameter */
	assert_string_equal(
	        mail("FROM:<a@b.c> <x@y.z>", &ctx_ehlo, &m), "555 5.5.4 Unsupported parameter");
	assert_null(mail("FROM:<>", &ctx_ehlo, &m));
	assert_true(m.path.is_null);
	assert_null(mail("FROM: <>", &ctx_helo, &m));
	assert_true(m.path.is_null);
}

static void
test_parse_path_length(void **state)
{
	char arg[600], local[300];
	struct smtp_mail m;

	(void)state;
	/* 64 + 1 + 189 = 254 octets: accepted; one more: refused (SMTP-5) */
	memset(local, 'a', 64);
	local[64] = '\0';
	snprintf(arg, sizeof(arg), "FROM:<%s@%.63s.%.63s.%.61s>", local,
	        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
	        "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
	        "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd");
	assert_null(mail(arg, &ctx_ehlo, &m));
	assert_int_equal(m.path.len, 254);
	snprintf(arg, sizeof(arg), "FROM:<%s@%.63s.%.63s.%.62s>", local,
	        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
	        "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
	        "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd");
	assert_string_equal(mail(arg, &ctx_ehlo, &m), "501 5.1.7 Bad sender address syntax");
	/* a label of 64 octets is too long */
	snprintf(arg, sizeof(arg), "FROM:<a@%.64s.org>",
	        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	assert_string_equal(mail(arg, &ctx_ehlo, &m), "501 5.1.7 Bad sender address syntax");
}

static void
test_parse_mail_params(void **state)
{
	struct smtp_mail m;

	(void)state;
	assert_null(mail("FROM:<a@b.c> SIZE=1000 BODY=8BITMIME SMTPUTF8", &ctx_ehlo, &m));
	assert_true(m.has_size);
	assert_int_equal(m.size, 1000);
	assert_int_equal(m.body, SMTP_BODY_8BITMIME);
	assert_true(m.is_smtputf8);
	assert_null(mail("FROM:<a@b.c>  size=0  body=7bit", &ctx_ehlo, &m));
	assert_int_equal(m.body, SMTP_BODY_7BIT);
	assert_string_equal(mail("FROM:<a@b.c> SIZE=1001", &ctx_ehlo, &m),
	        "552 5.3.4 Message size exceeds fixed maximum message size");
	assert_string_equal(mail("FROM:<a@b.c> SIZE=99999999999999999999999999", &ctx_ehlo, &m),
	        "552 5.3.4 Message size exceeds fixed maximum message size");
	assert_string_equal(
	        mail("FROM:<a@b.c> SIZE=12a", &ctx_ehlo, &m), "501 5.5.4 Invalid SIZE parameter");
	assert_string_equal(
	        mail("FROM:<a@b.c> SIZE=", &ctx_ehlo, &m), "501 5.5.4 Invalid SIZE parameter");
	assert_string_equal(
	        mail("FROM:<a@b.c> SIZE", &ctx_ehlo, &m), "501 5.5.4 Invalid SIZE parameter");
	assert_string_equal(
	        mail("FROM:<a@b.c> SIZE=-1", &ctx_ehlo, &m), "501 5.5.4 Invalid SIZE parameter");
	assert_string_equal(mail("FROM:<a@b.c> BODY=BINARYMIME", &ctx_ehlo, &m),
	        "555 5.5.4 Unsupported parameter");
	assert_string_equal(mail("FROM:<a@b.c> SMTPUTF8=yes", &ctx_ehlo, &m),
	        "555 5.5.4 Unsupported parameter");
	assert_string_equal(
	        mail("FROM:<a@b.c> RET=FULL", &ctx_ehlo, &m), "555 5.5.4 Unsupported parameter");
	assert_string_equal(
	        mail("FROM:<a@b.c> =x", &ctx_ehlo, &m), "555 5.5.4 Unsupported parameter");
	/* AUTH= only on submission (SMTP-6) */
	assert_string_equal(
	        mail("FROM:<a@b.c> AUTH=<>", &ctx_ehlo, &m), "555 5.5.4 Unsupported parameter");
	assert_null(mail("FROM:<a@b.c> AUTH=<>", &ctx_sub, &m));
	assert_true(m.has_auth);
	/* after HELO no parameter at all (SMTP-3) */
	assert_string_equal(
	        mail("FROM:<a@b.c> SIZE=10", &ctx_helo, &m), "555 5.5.4 Unsupported parameter");
	assert_null(mail("FROM:<a@b.c>", &ctx_helo, &m));
}

static void
test_parse_utf8(void **state)
{
	struct smtp_mail m;
	struct smtp_path p;

	(void)state;
	assert_string_equal(mail("FROM:<j\xc3\xb6rg@b\xc3\xa4r.de>", &ctx_ehlo, &m),
	        "553 5.6.7 Non-ASCII address requires SMTPUTF8");
	assert_null(mail("FROM:<j\xc3\xb6rg@b\xc3\xa4r.de> SMTPUTF8", &ctx_ehlo, &m));
	assert_false(m.path.is_ascii);
	assert_string_equal(rcpt("TO:<\xc3\xa4@b.de>", false, &p),
	        "553 5.6.7 Non-ASCII address requires SMTPUTF8");
	assert_null(rcpt("TO:<\xc3\xa4@b.de>", true, &p));
	/* syntax is checked before the SMTPUTF8 rule */
	assert_string_equal(mail("FROM:<\xc3\xa4..x@b.de>", &ctx_ehlo, &m),
	        "501 5.1.7 Bad sender address syntax");
}

static void
test_parse_rcpt(void **state)
{
	struct smtp_path p;

	(void)state;
	assert_null(rcpt("TO:<bob@example.org>", false, &p));
	assert_string_equal(p.addr, "bob@example.org");
	assert_null(rcpt("to: bob@example.org", false, &p));
	assert_null(rcpt("To:<@relay.example:bob@example.org>", false, &p));
	assert_string_equal(p.addr, "bob@example.org");
	assert_string_equal(rcpt("TO:<>", false, &p), "501 5.1.3 Bad recipient address syntax");
	assert_string_equal(
	        rcpt("FROM:<a@b.c>", false, &p), "501 5.1.3 Bad recipient address syntax");
	assert_string_equal(rcpt("TO:<a@b.c", false, &p), "501 5.1.3 Bad recipient address syntax");
	assert_string_equal(
	        rcpt("TO:<a@b.c> NOTIFY=NEVER", false, &p), "555 5.5.4 Unsupported parameter");
}

static const char *
auth(const char *arg, struct smtp_auth_arg *a)
{
	char line[256];
	struct smtp_cmd c;
	const char *reply = NULL;

	snprintf(line, sizeof(line), "AUTH %s", arg);
	cmd(line, &c);
	return smtp_parse_auth(&c, a, &reply) == 0 ? NULL : reply;
}

static void
test_parse_auth(void **state)
{
	struct smtp_auth_arg a;

	(void)state;
	assert_null(auth("PLAIN", &a));
	assert_int_equal(a.mech, SMTP_AUTH_PLAIN);
	assert_false(a.has_initial);
	assert_null(auth("plain AGFsaWNlAHNlY3JldA==", &a));
	assert_true(a.has_initial);
	assert_int_equal(a.initial_len, 20);
	assert_null(auth("LOGIN =", &a));
	assert_int_equal(a.mech, SMTP_AUTH_LOGIN);
	assert_true(a.has_initial);
	assert_int_equal(a.initial_len, 0);
	assert_string_equal(auth("CRAM-MD5", &a), "504 5.5.4 Unrecognized authentication type");
	assert_string_equal(auth("", &a), SMTP_REPLY_AUTH_SYNTAX);
	assert_string_equal(auth("PLAIN a b", &a), SMTP_REPLY_AUTH_SYNTAX);
}

/* every prefix of some hostile lines: no crash, no read past the end (ASan) */
static void
test_parse_every_prefix(void **state)
{
	static const char *const lines[] = {
	        "MAIL FROM:<@a.b,@c.d:\"x\\\"y\"@[IPv6:::1]> SIZE=10 BODY=8BITMIME SMTPUTF8 "
	        "AUTH=<>",
	        "RCPT TO:<a.b.c@d-e.f> X=Y",
	        "AUTH PLAIN AGFsaWNlQHgub3JnAHNlY3JldA==",
	};
	struct smtp_mail m;
	struct smtp_path p;
	struct smtp_auth_arg a;
	const char *reply;

	(void)state;
	for (size_t k = 0; k < sizeof(lines) / sizeof(lines[0]); k++) {
		size_t n = strlen(lines[k]);

		for (size_t len = 0; len <= n; len++) {
			char *buf = malloc(len ? len : 1);
			struct smtp_cmd c;

			assert_non_null(buf);
			memcpy(buf, lines[k], len);
			smtp_parse_command(buf, len, &c);
			(void)smtp_parse_mail(&c, &ctx_sub, &m, &reply);
			(void)smtp_parse_rcpt(&c, true, &p, &reply);
			(void)smtp_parse_auth(&c, &a, &reply);
			free(buf);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_verbs),
	        cmocka_unit_test(test_parse_line_len),
	        cmocka_unit_test(test_parse_helo_noarg),
	        cmocka_unit_test(test_parse_mail_paths),
	        cmocka_unit_test(test_parse_path_length),
	        cmocka_unit_test(test_parse_mail_params),
	        cmocka_unit_test(test_parse_utf8),
	        cmocka_unit_test(test_parse_rcpt),
	        cmocka_unit_test(test_parse_auth),
	        cmocka_unit_test(test_parse_every_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
