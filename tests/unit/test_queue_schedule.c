/*
 * test_queue_schedule.c - unit tests for src/queue/queue_schedule.c: the
 * QUEUE-3 backoff and give-up time and the QUEUE-4 start delay, driven by
 * an injected clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/core_conf.h"
#include "queue/queue_schedule.h"

/* The defaults of CONF-9: 1m initial, 1h max, 5d lifetime, 16 parallel. */
static const struct queue_schedule defaults = {60, 3600, 5 * 86400, 16};

static void
test_delay_doubles_and_caps(void **state)
{
	static const int64_t want[] = {0, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600};

	(void)state;
	for (unsigned k = 0; k < sizeof(want) / sizeof(want[0]); k++)
		assert_int_equal(queue_schedule_delay(&defaults, k), want[k]);
	/* Huge failure counts do not overflow. */
	assert_int_equal(queue_schedule_delay(&defaults, 70), 3600);
	assert_int_equal(queue_schedule_delay(&defaults, UINT32_MAX), 3600);
}

static void
test_delay_odd_values(void **state)
{
	const struct queue_schedule s = {7, 50, 1000, 1};
	const struct queue_schedule same = {30, 30, 1000, 1};
	const struct queue_schedule big = {INT64_MAX / 4, INT64_MAX / 2 + 5, INT64_MAX / 2, 1};

	(void)state;
	assert_int_equal(queue_schedule_delay(&s, 1), 7);
	assert_int_equal(queue_schedule_delay(&s, 3), 28);
	assert_int_equal(queue_schedule_delay(&s, 4), 50); /* 56 capped */
	assert_int_equal(queue_schedule_delay(&same, 1), 30);
	assert_int_equal(queue_schedule_delay(&same, 9), 30);
	assert_int_equal(queue_schedule_delay(&big, 3), INT64_MAX / 2 + 5);
}

/* A whole life of a domain that keeps failing, with a simulated clock. */
static void
test_retry_until_expiry(void **state)
{
	const int64_t queued = 1700000000;
	int64_t now = queued, next;
	unsigned k = 0, attempts = 1;

	(void)state;
	for (;;) {
		enum queue_schedule_verdict v;

		k++; /* the attempt at now failed temporarily */
		v = queue_schedule_after_failure(&defaults, queued, k, now, &next);
		if (v == QUEUE_SCHEDULE_EXPIRE)
			break;
		assert_true(next > now);
		assert_true(next - now <= 3600);
		assert_true(next <= queued + 5 * 86400);
		now = next;
		if (queue_schedule_is_expired(&defaults, queued, now))
			break;
		attempts++;
		assert_true(attempts < 1000);
	}
	/* Expiry happens exactly at the deadline, not a retry interval later. */
	assert_int_equal(now, queued + 5 * 86400);
	/*
	 * Attempts at 0, 1, 3, 7, 15, 31, 63 min (7), then hourly while before
	 * the deadline: 63 min + 118 h < 5 d < 63 min + 119 h, so 7 + 118.
	 */
	assert_int_equal(attempts, 125);
}

static void
test_after_failure_near_deadline(void **state)
{
	int64_t next;

	(void)state;
	assert_int_equal(
	        queue_schedule_after_failure(&defaults, 0, 1, 0, &next), QUEUE_SCHEDULE_RETRY);
	assert_int_equal(next, 60);
	assert_int_equal(queue_schedule_after_failure(&defaults, 0, 10, 5 * 86400 - 100, &next),
	        QUEUE_SCHEDULE_RETRY);
	assert_int_equal(next, 5 * 86400);
	assert_int_equal(queue_schedule_after_failure(&defaults, 0, 10, 5 * 86400, &next),
	        QUEUE_SCHEDULE_EXPIRE);
	assert_false(queue_schedule_is_expired(&defaults, 0, 5 * 86400 - 1));
	assert_true(queue_schedule_is_expired(&defaults, 0, 5 * 86400));
	assert_string_equal(QUEUE_SCHEDULE_EXPIRED_REASON, "4.4.7 Delivery time expired");
}

static void
test_due(void **state)
{
	int64_t wait;

	(void)state;
	assert_int_equal(queue_schedule_due(&defaults, 0, 100, 40, &wait), QUEUE_SCHEDULE_RETRY);
	assert_int_equal(wait, 60);
	assert_int_equal(queue_schedule_due(&defaults, 0, 100, 100, &wait), QUEUE_SCHEDULE_RETRY);
	assert_int_equal(wait, 0);
	assert_int_equal(queue_schedule_due(&defaults, 0, 100, 500, &wait), QUEUE_SCHEDULE_RETRY);
	assert_int_equal(wait, 0);
	/* A stored next attempt beyond the deadline waits only until the deadline. */
	assert_int_equal(queue_schedule_due(&defaults, 0, 9 * 86400, 5 * 86400 - 10, &wait),
	        QUEUE_SCHEDULE_RETRY);
	assert_int_equal(wait, 10);
	assert_int_equal(
	        queue_schedule_due(&defaults, 0, 100, 5 * 86400, &wait), QUEUE_SCHEDULE_EXPIRE);
}

static void
test_on_load_and_concurrency(void **state)
{
	(void)state;
	/* QUEUE-4: at the stored time, but not before start + 10 s. */
	assert_int_equal(queue_schedule_on_load(0, 1000), 1010);
	assert_int_equal(queue_schedule_on_load(1005, 1000), 1010);
	assert_int_equal(queue_schedule_on_load(5000, 1000), 5000);
	/* QUEUE-3: queue_concurrency in total, 2 per domain. */
	assert_true(queue_schedule_may_start(&defaults, 0, 0));
	assert_true(queue_schedule_may_start(&defaults, 15, 1));
	assert_false(queue_schedule_may_start(&defaults, 15, 2));
	assert_false(queue_schedule_may_start(&defaults, 16, 0));
}

static void
test_init_from_conf(void **state)
{
	struct conf conf;
	struct queue_schedule s;
	char err[256];
	const char *text = "[params]\nmail_domain = example.org\nqueue_retry_initial = 30s\n"
	                   "queue_retry_max = 10m\nqueue_lifetime = 2d\nqueue_concurrency = 4\n";

	(void)state;
	assert_int_equal(conf_init(&conf), 0);
	assert_int_equal(
	        conf_parse(&conf, text, strlen(text), "t.ini", "/tmp", err, sizeof(err)), 0);
	queue_schedule_init(&s, &conf);
	assert_int_equal(s.retry_initial, 30);
	assert_int_equal(s.retry_max, 600);
	assert_int_equal(s.lifetime, 2 * 86400);
	assert_int_equal(s.concurrency, 4);
	assert_int_equal(queue_schedule_delay(&s, 5), 480);
	assert_int_equal(queue_schedule_delay(&s, 6), 600);
	conf_free(&conf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_delay_doubles_and_caps),
	        cmocka_unit_test(test_delay_odd_values),
	        cmocka_unit_test(test_retry_until_expiry),
	        cmocka_unit_test(test_after_failure_near_deadline),
	        cmocka_unit_test(test_due),
	        cmocka_unit_test(test_on_load_and_concurrency),
	        cmocka_unit_test(test_init_from_conf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
