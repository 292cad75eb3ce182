/*
 * test_policy_rate.c - GCRA send limiter maths (SUB-6).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "policy/policy_rate.h"

#define SEC 1000000LL

static void
test_rate_burst_then_refuse(void **state)
{
	struct rate_gcra g = {0};
	int64_t t = 1000 * SEC;

	(void)state;
	/* 60 per minute (T = 1 s), burst 10: the first 10 at once pass */
	for (int i = 0; i < 10; i++)
		assert_true(rate_gcra_allow(&g, t, 60, 10));
	assert_false(rate_gcra_allow(&g, t, 60, 10));
	assert_false(rate_gcra_allow(&g, t + SEC - 1, 60, 10));
	/* one emission interval later, exactly one more */
	assert_true(rate_gcra_allow(&g, t + SEC, 60, 10));
	assert_false(rate_gcra_allow(&g, t + SEC, 60, 10));
	/* a refusal does not consume anything */
	assert_true(rate_gcra_allow(&g, t + 2 * SEC, 60, 10));
}

static void
test_rate_idle_recovers(void **state)
{
	struct rate_gcra g = {0};
	int64_t t = 5 * SEC;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_true(rate_gcra_allow(&g, t, 30, 3));
	assert_false(rate_gcra_allow(&g, t, 30, 3));
	assert_false(rate_gcra_is_idle(&g, t));
	/* T = 2 s; after 6 s the account is idle and gets its full burst again */
	assert_true(rate_gcra_is_idle(&g, t + 6 * SEC));
	for (int i = 0; i < 3; i++)
		assert_true(rate_gcra_allow(&g, t + 6 * SEC, 30, 3));
	assert_false(rate_gcra_allow(&g, t + 6 * SEC, 30, 3));
}

static void
test_rate_steady(void **state)
{
	struct rate_gcra g = {0};
	int64_t t = 0;
	int passed = 0;

	(void)state;
	/* over 10 minutes at 100 attempts per second: 10 * per_minute + burst pass */
	for (int i = 0; i < 60000; i++, t += SEC / 100)
		passed += rate_gcra_allow(&g, t, 60, 5);
	assert_true(passed >= 600 && passed <= 600 + 5);
}

static void
test_rate_edges(void **state)
{
	struct rate_gcra g = {0};

	(void)state;
	for (int i = 0; i < 1000; i++)
		assert_true(rate_gcra_allow(&g, 0, 0, 1)); /* disabled */
	g.tat_us = 0;
	assert_true(rate_gcra_allow(&g, 0, 1, 0)); /* burst 0 counts as 1 */
	assert_false(rate_gcra_allow(&g, 0, 1, 0));
	assert_true(rate_gcra_allow(&g, 60 * SEC, 1, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rate_burst_then_refuse),
	        cmocka_unit_test(test_rate_idle_recovers),
	        cmocka_unit_test(test_rate_steady),
	        cmocka_unit_test(test_rate_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
