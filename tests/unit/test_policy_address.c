/*
 * test_policy_address.c - ACC-1 normalisation in the mail and the login
 * form, comparison, list entries and the one list match (GATE-9, FED-10).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "policy/policy_address.h"

/* norm - mail form of a NUL-terminated text, or NULL when refused. */
static const char *
norm_mail(const char *addr)
{
	static char out[ADDRESS_MAX + 2];

	return policy_address_normalise(addr, strlen(addr), out, sizeof(out)) == 0 ? out : NULL;
}

/* login - login form, or NULL when refused. */
static const char *
norm_login(const char *name)
{
	static char out[ADDRESS_MAX];

	return policy_address_normalise_login(name, out, sizeof(out)) == 0 ? out : NULL;
}

static void
test_normalise(void **state)
{
	char out[300];

	(void)state;
	assert_int_equal(policy_address_normalise("Alice@Example.ORG", 17, out, sizeof(out)), 0);
	assert_string_equal(out, "alice@example.org");
	assert_int_equal(policy_address_normalise("a@192.0.2.1", 11, out, sizeof(out)), 0);
	assert_string_equal(out, "a@[192.0.2.1]");
	assert_int_equal(policy_address_normalise("a@[192.0.2.1]", 13, out, sizeof(out)), 0);
	assert_string_equal(out, "a@[192.0.2.1]");
	assert_int_equal(policy_address_normalise("a", 1, out, sizeof(out)), -1);
	assert_int_equal(policy_address_normalise("a@b@c", 5, out, sizeof(out)), -1);
	assert_int_equal(policy_address_normalise("@b", 2, out, sizeof(out)), -1);
	assert_int_equal(policy_address_normalise("a@", 2, out, sizeof(out)), -1);
	assert_int_equal(policy_address_normalise("a\0@b", 4, out, sizeof(out)), -1);
	assert_int_equal(policy_address_normalise("abc@def", 7, out, 7), -1);
	assert_int_equal(policy_address_normalise("abc@def", 7, out, 8), 0);
	/* only the first len octets count */
	assert_int_equal(policy_address_normalise("a@b.cXYZ", 5, out, sizeof(out)), 0);
	assert_string_equal(out, "a@b.c");
}

static void
test_normalise_mail_form(void **state)
{
	char longname[400];

	(void)state;
	/* SMTP-5 / RFC 5322: quoted local parts, '%', SMTPUTF8 octets, other literals */
	assert_string_equal(norm_mail("\"John Smith\"@Example.ORG"), "\"john smith\"@example.org");
	assert_string_equal(norm_mail("John Smith@example.org"), "john smith@example.org");
	assert_string_equal(norm_mail("a%b@Remote.Example"), "a%b@remote.example");
	assert_string_equal(norm_mail("\xc3\x84@example.org"), "\xc3\x84@example.org");
	assert_string_equal(norm_mail("x@[IPv6:::1]"), "x@[ipv6:::1]");
	/* stricter than before: controls, space in the domain, stray brackets, bad literals */
	assert_null(norm_mail("a\x01@example.org"));
	assert_null(norm_mail("a\x7f@example.org"));
	assert_null(norm_mail("a@exa mple.org"));
	assert_null(norm_mail("a@b[c.org"));
	assert_null(norm_mail("a@[1.2.3.4"));
	assert_null(norm_mail("a@[]"));
	assert_string_equal(norm_mail("a@127.000.0.1"), "a@127.000.0.1"); /* a name, not an IPv4 */
	assert_string_equal(norm_mail("a@[256.0.0.1]"), "a@[256.0.0.1]"); /* a general literal */
	assert_null(norm_login("a@[256.0.0.1]"));
	memset(longname, 'a', sizeof(longname));
	memcpy(longname + 243, "@example.org", 13); /* 255 octets */
	assert_non_null(norm_mail(longname));
	memset(longname, 'a', sizeof(longname));
	memcpy(longname + 244, "@example.org", 13); /* 256 octets */
	assert_null(norm_mail(longname));
}

static void
test_normalise_login(void **state)
{
	char longname[400];

	(void)state;
	assert_string_equal(norm_login("X@Remote.Example"), "x@remote.example");
	assert_string_equal(norm_login("x@10.1.2.3"), "x@[10.1.2.3]");
	memset(longname, 'a', sizeof(longname));
	memcpy(longname + 300, "@example.org", 13);
	assert_null(norm_login(longname));
	assert_null(norm_login("a\x01@example.org"));
	assert_null(norm_login("\xc3\xa4@example.org"));
	assert_null(norm_login("a%b@example.org"));
	assert_null(norm_login("\"ab\"@example.org"));
	assert_null(norm_login("a b@example.org"));
	assert_null(norm_login("x@[IPv6:::1]"));
	assert_null(norm_login("abc@[127.000.0.1]"));
	/* a login-form address normalises to the same text in the mail form */
	assert_string_equal(norm_mail("ABC@127.0.0.1"), "abc@[127.0.0.1]");
	assert_string_equal(norm_login("ABC@127.0.0.1"), "abc@[127.0.0.1]");
	assert_string_equal(policy_address_domain("abc@[127.0.0.1]"), "[127.0.0.1]");
	assert_string_equal(policy_address_domain("abc"), "");
}

static void
test_equal(void **state)
{
	(void)state;
	assert_true(policy_address_equal("A@B.c", "a@b.C"));
	assert_false(policy_address_equal("a@b.c", "a@b.d"));
	assert_false(policy_address_equal("a", "a"));
	assert_true(policy_address_equal("a@1.2.3.4", "A@[1.2.3.4]"));
	assert_true(policy_address_equal("\"x y\"@b.c", "\"X Y\"@B.C"));
	assert_false(policy_address_equal("\"x\"@b.c", "x@b.c")); /* ACC-1 does not unquote */
	assert_false(policy_address_equal("a\x01@b.c", "a\x01@b.c"));
}

static void
test_entries(void **state)
{
	char out[ADDRESS_MAX];

	(void)state;
	assert_int_equal(policy_address_entry_normalise("@Example.COM", 0, out, sizeof(out)), 0);
	assert_string_equal(out, "example.com");
	assert_int_equal(policy_address_entry_normalise("example.com", 0, out, sizeof(out)), -1);
	assert_int_equal(policy_address_entry_normalise(
	                         "example.com", POLICY_LIST_BARE_DOMAIN, out, sizeof(out)),
	        0);
	assert_string_equal(out, "example.com");
	assert_int_equal(policy_address_entry_normalise("@1.2.3.4", 0, out, sizeof(out)), 0);
	assert_string_equal(out, "[1.2.3.4]");
	assert_int_equal(policy_address_entry_normalise("Bad@Example.ORG", 0, out, sizeof(out)), 0);
	assert_string_equal(out, "bad@example.org");
	assert_int_equal(
	        policy_address_entry_normalise("a%b@example.org", 0, out, sizeof(out)), -1);
	assert_int_equal(policy_address_entry_normalise("@", 0, out, sizeof(out)), -1);
	assert_int_equal(policy_address_entry_normalise("@a@b", 0, out, sizeof(out)), -1);
	assert_int_equal(policy_address_entry_normalise("a@b@c", 0, out, sizeof(out)), -1);
	assert_int_equal(policy_address_entry_normalise("@[IPv6:::1]", 0, out, sizeof(out)), -1);
}

static void
test_list_match(void **state)
{
	char w1[] = "x@Y.org", w2[] = "@Relay.Example", w3[] = "spam.example";
	char *words[] = {w1, w2, w3};

	(void)state;
	/* GATE-9: exact address or "@domain" */
	assert_true(policy_address_list_match("X@y.ORG", words, 2, 0));
	assert_true(policy_address_list_match("anyone@relay.example", words, 2, 0));
	assert_true(policy_address_list_match("\"a@b\"@relay.example", words, 2, 0));
	assert_false(policy_address_list_match("anyone@sub.relay.example", words, 2, 0));
	assert_false(policy_address_list_match("z@y.org", words, 2, 0));
	assert_false(policy_address_list_match("z@y.org", words, 0, 0));
	/* a bare domain is a domain only with POLICY_LIST_BARE_DOMAIN (FED-10) */
	assert_false(policy_address_list_match("x@spam.example", words, 3, 0));
	assert_true(policy_address_list_match("x@spam.example", words, 3, POLICY_LIST_BARE_DOMAIN));
	assert_true(policy_address_list_match(
	        "\"John Smith\"@Spam.Example", words, 3, POLICY_LIST_BARE_DOMAIN));
	assert_false(
	        policy_address_list_match("x@spam.example.org", words, 3, POLICY_LIST_BARE_DOMAIN));
	assert_false(policy_address_list_match("nodomain", words, 3, POLICY_LIST_BARE_DOMAIN));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_normalise),
	        cmocka_unit_test(test_normalise_mail_form),
	        cmocka_unit_test(test_normalise_login),
	        cmocka_unit_test(test_equal),
	        cmocka_unit_test(test_entries),
	        cmocka_unit_test(test_list_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
