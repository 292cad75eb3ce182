/*
 * test_meta_retry.c - the PUSH-3 retry schedule: 8, 64, 512, 4096 s after
 * each failure, at most 5 attempts, nothing starting beyond 5 h after the
 * first attempt; the clock is the caller's (plain numbers here).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "meta/meta_retry.h"

static void
test_schedule_seconds(void **state)
{
	(void)state;
	/* failures at once: each delay measured from the failed attempt */
	assert_int_equal(meta_retry_next(1, 1000, 1000, 1), 1008);
	assert_int_equal(meta_retry_next(2, 1000, 1008, 1), 1072);
	assert_int_equal(meta_retry_next(3, 1000, 1072, 1), 1584);
	assert_int_equal(meta_retry_next(4, 1000, 1584, 1), 5680);
	/* the fifth attempt was the last */
	assert_int_equal(meta_retry_next(5, 1000, 5680, 1), -1);
	assert_int_equal(meta_retry_next(0, 1000, 1000, 1), -1);
}

static void
test_timeouts_stretch_the_schedule(void **state)
{
	(void)state;
	/* attempts that time out after 60 s each shift the retries */
	assert_int_equal(meta_retry_next(1, 0, 60, 1), 68);
	assert_int_equal(meta_retry_next(2, 0, 128, 1), 192);
	/* a retry starting exactly 5 h after the first is still made ... */
	assert_int_equal(meta_retry_next(4, 0, 18000 - 4096, 1), 18000);
	/* ... one second later it is dropped */
	assert_int_equal(meta_retry_next(4, 0, 18001 - 4096, 1), -1);
	assert_int_equal(meta_retry_next(3, 0, 17600, 1), -1);
}

static void
test_milliseconds_and_scaled_second(void **state)
{
	(void)state;
	assert_int_equal(meta_retry_next(1, 5000, 6000, 1000), 14000);
	assert_int_equal(meta_retry_next(4, 0, 1000, 1000), 4097000);
	/* tests shrink the second to 5 ms */
	assert_int_equal(meta_retry_next(1, 0, 3, 5), 43);
	assert_int_equal(meta_retry_next(1, 0, 0, 0), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_schedule_seconds),
	        cmocka_unit_test(test_timeouts_stretch_the_schedule),
	        cmocka_unit_test(test_milliseconds_and_scaled_second),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
