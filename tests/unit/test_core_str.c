/*
 * test_core_str.c - unit tests for src/core/core_str.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_str.h"

static void
test_str_trim(void **state)
{
	char a[] = "  \t key = value \r\n";
	char b[] = "";
	char c[] = "   ";

	(void)state;
	assert_string_equal(str_trim(a), "key = value");
	assert_string_equal(str_trim(b), "");
	assert_string_equal(str_trim(c), "");
}

static void
test_str_lower(void **state)
{
	char s[] = "MiXeD@Example.ORG";

	(void)state;
	str_lower(s);
	assert_string_equal(s, "mixed@example.org");
}

static void
test_str_printf(void **state)
{
	char *s = NULL;

	(void)state;
	assert_int_equal(str_printf(&s, "%s/%d", "dir", 42), 0);
	assert_string_equal(s, "dir/42");
	free(s);
}

static void
test_str_wipe(void **state)
{
	char secret[] = "hunter22";

	(void)state;
	str_wipe(secret, sizeof(secret));
	for (size_t i = 0; i < sizeof(secret); i++)
		assert_int_equal(secret[i], 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_str_trim),
		cmocka_unit_test(test_str_lower),
		cmocka_unit_test(test_str_printf),
		cmocka_unit_test(test_str_wipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
