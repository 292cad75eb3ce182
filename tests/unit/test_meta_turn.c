/*
 * test_meta_turn.c - TURN REST credentials (meta_turn.c, SPEC META-3).
 *
 * Vectors: the two of META-3 and one computed once with
 *   printf %s 1800000000 | openssl dgst -sha1 -hmac 'chatrelay turn key' -binary | base64
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "meta/meta_turn.h"

static void
expect_pw(const char *secret, int64_t expiry, const char *want)
{
	char pw[META_TURN_PASSWORD_SIZE];

	assert_int_equal(meta_turn_password(secret, strlen(secret), expiry, pw), 0);
	assert_string_equal(pw, want);
}

static void
test_vectors(void **state)
{
	(void)state;
	expect_pw("test-secret", 1767225600, "BIAx387bWgZ7Eu6QU7W3QZjVKsk=");
	expect_pw("north", 1758650868, "8Dqkyyu11MVESBqjbIylmB06rv8=");
	expect_pw("chatrelay turn key", 1800000000, "ExCYGii0ewDcjnnzl4x4XbkvwLc=");
}

static void
test_value(void **state)
{
	char *v = NULL;
	char buf[16];

	(void)state;
	/* META-3: expiry = now + turn_lifetime, also the username */
	assert_int_equal(meta_turn_value("turn.example.org", 3478, "test-secret", 86400,
	                         1767225600 - 86400, &v),
	        0);
	assert_string_equal(v, "turn.example.org:3478:1767225600:BIAx387bWgZ7Eu6QU7W3QZjVKsk=");
	free(v);
	assert_int_equal(meta_turn_format(buf, sizeof(buf), "h", 1, 2, "pw"), 8);
	assert_string_equal(buf, "h:1:2:pw");
	assert_int_equal(meta_turn_expiry(100, 50), 150);
	assert_int_equal(meta_turn_expiry(0, -50), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_vectors),
	        cmocka_unit_test(test_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
