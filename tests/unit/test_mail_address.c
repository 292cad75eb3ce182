/*
 * test_mail_address.c - RFC 5322 address lists (display names, quoted
 * strings, comments, groups, obsolete forms) and the SUB-9 single-mailbox
 * rule. ACC-1 normalisation is tested in test_policy_address.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mail/mail_address.h"

/* fmt - render a list as "name|mailbox|host;..." with "-" for NULL, for compact checks. */
static char *
fmt(const char *value, int *ret_r)
{
	struct mail_addr *list, *a;
	size_t count, n = 0;
	char *out = malloc(4096);

	assert_non_null(out);
	*ret_r = mail_addr_parse(value, &list, &count);
	out[0] = '\0';
	for (a = list; a != NULL; a = a->next) {
		n += (size_t)snprintf(out + n, 4096 - n, "%s|%s|%s|%s;", a->name ? a->name : "-",
		        a->route ? a->route : "-", a->mailbox ? a->mailbox : "-",
		        a->host ? a->host : "-");
		count--;
	}
	assert_int_equal(count, 0);
	mail_addr_free(&list);
	return out;
}

static void
check(const char *value, int ret, const char *want)
{
	int r;
	char *got = fmt(value, &r);

	if (r != ret || strcmp(got, want) != 0)
		fail_msg("%s: got %d %s want %d %s", value, r, got, ret, want);
	free(got);
}

static void
test_addr_forms(void **state)
{
	(void)state;
	check("alice@example.org", 0, "-|-|alice|example.org;");
	check("  <alice@example.org> ", 0, "-|-|alice|example.org;");
	check("Alice Liddell <alice@example.org>", 0, "Alice Liddell|-|alice|example.org;");
	check("\"Liddell, Alice\" <alice@example.org>", 0, "Liddell, Alice|-|alice|example.org;");
	check("\"A \\\"q\\\" B\" <a@b.c>", 0, "A \"q\" B|-|a|b.c;");
	check("alice@example.org (Alice)", 0, "-|-|alice|example.org;");
	check("(c1) Alice (c2 (nested)) <alice (c3) @ (c4) example.org>", 0,
	        "Alice|-|alice|example.org;");
	check("John Q. Public <jqp@x.y>", 0, "John Q. Public|-|jqp|x.y;");
	check("=?utf-8?q?J=C3=B6rg?= <j@x.y>", 0, "=?utf-8?q?J=C3=B6rg?=|-|j|x.y;");
	check("\"a b\"@x.y", 0, "-|-|a b|x.y;");
	check("a@[192.0.2.1]", 0, "-|-|a|[192.0.2.1];");
	check("a@x.y, B <b@z.w>,c@v.u", 0, "-|-|a|x.y;B|-|b|z.w;-|-|c|v.u;");
	check("<@r1.x,@r2.y:a@b.c>", 0, "-|@r1.x,@r2.y|a|b.c;");
	check("a@x.y,,b@z.w,", 0, "-|-|a|x.y;-|-|b|z.w;");
	check("", 0, "");
}

static void
test_addr_groups(void **state)
{
	(void)state;
	check("undisclosed-recipients:;", 0, "-|-|undisclosed-recipients|-;-|-|-|-;");
	check("Friends: a@x.y, B <b@z.w>;, c@v.u", 0,
	        "-|-|Friends|-;-|-|a|x.y;B|-|b|z.w;-|-|-|-;-|-|c|v.u;");
	check("G: a@x.y", 1, "-|-|G|-;-|-|a|x.y;-|-|-|-;");
}

static void
test_addr_bad(void **state)
{
	(void)state;
	check("alice", 1, "-|-|alice|;");
	check("@x.y", 1, "-|-||x.y;");
	check("<a@b.c", 1, "-|-|a|b.c;");
	check("<>", 1, "-|-||;");
	check("a@b.c junk <d@e.f>", 0, "a@b.c junk|-|d|e.f;");
	check("a@b.c;", 1, "-|-|a|b.c;");
	check("\"unterminated <a@b.c>", 1, "-|-|unterminated <a@b.c>|;");
	check("(unterminated a@b.c", 0, "");
}

static void
test_addr_single_mailbox(void **state)
{
	char out[300];

	(void)state;
	assert_true(mail_addr_single_mailbox("Alice <Alice@Example.org>", out, sizeof(out)));
	assert_string_equal(out, "Alice@Example.org");
	assert_true(mail_addr_single_mailbox("=?utf-8?b?QWxpY2U=?= <a@b.c>", out, sizeof(out)));
	assert_false(mail_addr_single_mailbox("a@b.c, d@e.f", out, sizeof(out)));
	assert_false(mail_addr_single_mailbox("G: a@b.c;", out, sizeof(out)));
	assert_false(mail_addr_single_mailbox("", out, sizeof(out)));
	assert_false(mail_addr_single_mailbox("alice", out, sizeof(out)));
	assert_false(mail_addr_single_mailbox("<>", out, sizeof(out)));
	assert_false(mail_addr_single_mailbox("a@b.c", out, 5));
}

static void
test_addr_limit(void **state)
{
	size_t n = 2000, len = 0;
	char *v = malloc(n * 8 + 1);
	struct mail_addr *list;
	size_t count;

	(void)state;
	assert_non_null(v);
	for (size_t i = 0; i < n; i++) {
		memcpy(v + len, "a@b.c, ", 7);
		len += 7;
	}
	v[len] = '\0';
	assert_int_equal(mail_addr_parse(v, &list, &count), 1);
	assert_int_equal(count, 1000);
	mail_addr_free(&list);
	/* inside a group too */
	memcpy(v, "G:", 2);
	assert_int_equal(mail_addr_parse(v, &list, &count), 1);
	assert_int_equal(count, 1000);
	mail_addr_free(&list);
	free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_addr_forms),
	        cmocka_unit_test(test_addr_groups),
	        cmocka_unit_test(test_addr_bad),
	        cmocka_unit_test(test_addr_single_mailbox),
	        cmocka_unit_test(test_addr_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
