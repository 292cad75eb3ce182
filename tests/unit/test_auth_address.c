/*
 * test_auth_address.c - ACC-1 logins, ACC-2..4 name rules, block entries
 * (CLI-6). Normalisation itself: test_policy_address.c; SASL:
 * test_auth_sasl.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "auth/auth_address.h"
#include "core/core_conf.h"

static void
expect_local(const char *name, const char *domain, const char *want)
{
	char out[ADDRESS_MAX];
	int r = auth_address_normalise_local(name, domain, out, sizeof(out));

	if (want == NULL) {
		if (r == 0)
			fail_msg("'%s' was accepted as '%s'", name, out);
		return;
	}
	if (r != 0)
		fail_msg("'%s' was refused", name);
	assert_string_equal(out, want);
}

static void
test_normalise_case(void **state)
{
	(void)state;
	expect_local("abc@example.org", "example.org", "abc@example.org");
	expect_local("ABC@Example.ORG", "example.org", "abc@example.org");
	expect_local("AbC.d_e-f@EXAMPLE.org", "example.org", "abc.d_e-f@example.org");
}

static void
test_normalise_at_signs(void **state)
{
	(void)state;
	expect_local("abc", "example.org", NULL);
	expect_local("abc@", "example.org", NULL);
	expect_local("@example.org", "example.org", NULL);
	expect_local("a@b@example.org", "example.org", NULL);
	expect_local("abc@@example.org", "example.org", NULL);
	expect_local("", "example.org", NULL);
}

static void
test_normalise_domain(void **state)
{
	(void)state;
	expect_local("abc@other.org", "example.org", NULL);
	expect_local("abc@example.org.", "example.org", NULL);
	expect_local("abc@sub.example.org", "example.org", NULL);
	expect_local("abc%40example.org@example.org", "example.org", NULL);
	expect_local("abc@exam%70le.org", "example.org", NULL);
	expect_local("a bc@example.org", "example.org", NULL);
	expect_local("abc@example.org ", "example.org", NULL);
	expect_local("\"abc\"@example.org", "example.org", NULL);
}

static void
test_normalise_ip_literal(void **state)
{
	(void)state;
	expect_local("abc@[127.0.0.1]", "[127.0.0.1]", "abc@[127.0.0.1]");
	expect_local("abc@127.0.0.1", "[127.0.0.1]", "abc@[127.0.0.1]");
	expect_local("ABC@127.0.0.1", "[127.0.0.1]", "abc@[127.0.0.1]");
	expect_local("abc@[127.0.0.2]", "[127.0.0.1]", NULL);
	expect_local("abc@[127.0.0.1", "[127.0.0.1]", NULL);
	expect_local("abc@127.0.0.1]", "[127.0.0.1]", NULL);
	expect_local("abc@[127.000.0.1]", "[127.0.0.1]", NULL);
	expect_local("abc@[256.0.0.1]", "[256.0.0.1]", NULL);
	expect_local("abc@[IPv6:::1]", "[127.0.0.1]", NULL);
	expect_local("abc@[]", "[127.0.0.1]", NULL);
}

static void
test_local_part_rules(void **state)
{
	(void)state;
	assert_true(auth_local_part_is_valid("abc"));
	assert_true(auth_local_part_is_valid("a.b_c-d9"));
	assert_true(auth_local_part_is_valid("0"));
	assert_false(auth_local_part_is_valid(""));
	assert_false(auth_local_part_is_valid(".abc"));
	assert_false(auth_local_part_is_valid("abc."));
	assert_false(auth_local_part_is_valid("a..b"));
	assert_false(auth_local_part_is_valid("ABC"));
	assert_false(auth_local_part_is_valid("a+b"));
	assert_false(auth_local_part_is_valid("a/b"));
	assert_false(auth_local_part_is_valid("a b"));
}

static void
test_reserved(void **state)
{
	char *words[] = {(char[]){"Support"}, (char[]){"info"}};
	struct conf_list extra = {words, 2};
	static const char *const fixed[] = {
	        "admin", "root", "postmaster", "mailer-daemon", "abuse", "hostmaster", "webmaster"};

	(void)state;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		assert_true(auth_local_part_is_reserved(fixed[i], NULL));
	assert_false(auth_local_part_is_reserved("admins", NULL));
	assert_false(auth_local_part_is_reserved("support", NULL));
	assert_true(auth_local_part_is_reserved("support", &extra));
	assert_true(auth_local_part_is_reserved("info", &extra));
	assert_false(auth_local_part_is_reserved("infos", &extra));
}

static void
test_lengths(void **state)
{
	char pw[1100];

	(void)state;
	assert_true(auth_local_part_fits("abcdefghi", 9, 9));
	assert_false(auth_local_part_fits("abcdefgh", 9, 9));
	assert_false(auth_local_part_fits("abcdefghij", 9, 9));
	assert_true(auth_local_part_fits("abc", 1, 64));
	memset(pw, 'x', sizeof(pw));
	assert_true(auth_password_is_acceptable(pw, AUTH_PASSWORD_MAX));
	assert_false(auth_password_is_acceptable(pw, AUTH_PASSWORD_MAX + 1));
	assert_false(auth_password_is_acceptable(pw, 1025));
	assert_false(auth_password_is_acceptable("ab\0cd", 5));
	assert_true(auth_password_is_acceptable("", 0));
}

static void
test_block_entries(void **state)
{
	char out[ADDRESS_MAX];
	char *words[] = {(char[]){"@Spam.Example"}, (char[]){"bad@example.org"}};
	struct conf_list list = {words, 2};

	(void)state;
	assert_int_equal(auth_block_entry_normalise("@Example.COM", out, sizeof(out)), 0);
	assert_string_equal(out, "example.com");
	assert_int_equal(auth_block_entry_normalise("example.com", out, sizeof(out)), 0);
	assert_string_equal(out, "example.com");
	assert_int_equal(auth_block_entry_normalise("Bad@Example.ORG", out, sizeof(out)), 0);
	assert_string_equal(out, "bad@example.org");
	assert_int_equal(auth_block_entry_normalise("1.2.3.4", out, sizeof(out)), 0);
	assert_string_equal(out, "[1.2.3.4]");
	assert_int_equal(auth_block_entry_normalise("@", out, sizeof(out)), -1);
	assert_int_equal(auth_block_entry_normalise("a@b@c", out, sizeof(out)), -1);
	assert_true(auth_is_blocklisted(&list, "x@spam.example"));
	assert_true(auth_is_blocklisted(&list, "bad@example.org"));
	assert_false(auth_is_blocklisted(&list, "good@example.org"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_normalise_case),
	        cmocka_unit_test(test_normalise_at_signs),
	        cmocka_unit_test(test_normalise_domain),
	        cmocka_unit_test(test_normalise_ip_literal),
	        cmocka_unit_test(test_local_part_rules),
	        cmocka_unit_test(test_reserved),
	        cmocka_unit_test(test_lengths),
	        cmocka_unit_test(test_block_entries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
