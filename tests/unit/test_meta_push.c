/*
 * test_meta_push.c - the push notifier against a real HTTP responder on
 * 127.0.0.1 with a real libevent loop (PUSH-2..5): the POST carries exactly
 * the token, 2xx done, 410 reports the token gone, 500 and refused
 * connections are retried on the (shrunk) PUSH-3 schedule, waiting
 * notifications coalesce, at most 8 requests are in flight.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <time.h>

#include "meta/meta_push.h"
#include "meta_test_http.h"

struct push_fixture {
	struct event_base *base;
	struct meta_push *p;
	struct mth http;
	char url[128];
	int gone_count;
	char gone_account[64];
	char gone_token[64];
	int want_ok, want_requests;
};

static void
fixture_gone(const char *account, const char *token, void *ctx)
{
	struct push_fixture *f = ctx;

	f->gone_count++;
	snprintf(f->gone_account, sizeof(f->gone_account), "%s", account);
	snprintf(f->gone_token, sizeof(f->gone_token), "%s", token);
}

static void
fixture_start(struct push_fixture *f, const int *statuses, int n, int hold_ms)
{
	memset(f, 0, sizeof(*f));
	f->base = event_base_new();
	assert_non_null(f->base);
	assert_int_equal(mth_start(&f->http, statuses, n, hold_ms), 0);
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d/notify", f->http.port);
	f->p = meta_push_new(f->base, f->url, fixture_gone, f);
	assert_non_null(f->p);
	meta_push_set_second(f->p, 5); /* 8 s -> 40 ms, 64 s -> 320 ms */
}

static void
fixture_stop(struct push_fixture *f)
{
	meta_push_free(&f->p);
	assert_null(f->p);
	mth_stop(&f->http);
	event_base_free(f->base);
}

/* settled - nothing pending and the responder saw want_requests requests. */
static bool
settled(void *ctx)
{
	struct push_fixture *f = ctx;
	struct meta_push_stats s;

	meta_push_get_stats(f->p, &s);
	return s.pending == 0 && mth_requests(&f->http) >= f->want_requests;
}

static void
test_post_body_is_the_token(void **state)
{
	struct push_fixture f;
	const int st[] = {200};
	struct meta_push_stats s;

	(void)state;
	fixture_start(&f, st, 1, 1);
	assert_int_equal(meta_push_enqueue(f.p, "a@x", "openpgp:AbC/+=", 14), 0);
	/* never inside the caller: nothing has been sent yet */
	meta_push_get_stats(f.p, &s);
	assert_int_equal(s.inflight, 0);
	f.want_requests = 1;
	assert_true(mth_loop_until(f.base, settled, &f, 3000));
	meta_push_get_stats(f.p, &s);
	assert_int_equal(s.ok, 1);
	assert_int_equal(s.failed, 0);
	assert_int_equal(mth_requests(&f.http), 1);
	assert_string_equal(f.http.lines[0], "POST /notify HTTP/1.1");
	assert_string_equal(f.http.bodies[0], "openpgp:AbC/+=");
	fixture_stop(&f);
}

static void
test_coalescing_while_waiting(void **state)
{
	struct push_fixture f;
	const int st[] = {200};
	struct meta_push_stats s;

	(void)state;
	fixture_start(&f, st, 1, 1);
	/* three deliveries before the loop runs: one notification per pair (PUSH-4) */
	assert_int_equal(meta_push_enqueue(f.p, "a@x", "tok", 3), 0);
	assert_int_equal(meta_push_enqueue(f.p, "a@x", "tok", 3), 0);
	assert_int_equal(meta_push_enqueue(f.p, "a@x", "tok", 3), 0);
	assert_int_equal(meta_push_enqueue(f.p, "b@x", "tok", 3), 0);
	assert_int_equal(meta_push_enqueue(f.p, "a@x", "tok2", 4), 0);
	meta_push_get_stats(f.p, &s);
	assert_int_equal(s.coalesced, 2);
	assert_int_equal(s.pending, 3);
	f.want_requests = 3;
	assert_true(mth_loop_until(f.base, settled, &f, 3000));
	meta_push_get_stats(f.p, &s);
	assert_int_equal(s.ok, 3);
	assert_int_equal(mth_requests(&f.http), 3);
	fixture_stop(&f);
}

static void
test_410_reports_gone(void **state)
{
	struct push_fixture f;
	const int st[] = {410};
	struct meta_push_stats s;

	(void)state;
	fixture_start(&f, st, 1, 1);
	assert_int_equal(meta_push_enqueue(f.p, "a@x", "deadtoken", 9), 0);
	f.want_requests = 1;
	assert_true(mth_loop_until(f.base, settled, &f, 3000));
	meta_push_get_stats(f.p, &s);
	assert_int_equal(s.gone, 1);
	assert_int_equal(f.gone_count, 1);
	assert_string_equal(f.gone_account, "a@x");
	assert_string_equal(f.gone_token, "deadtoken");
	/* done: no retry follows */
	mth_loop_until(f.base, settled, &f, 100);
	assert_int_equal(mth_requests(&f.http), 1);
	fixture_stop(&f);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
test_500_retried_on_schedule(void **state)
{
	struct push_fixture f;
	const int st[] = {500, 503, 200};
	struct meta_push_stats s;
	int64_t t0 = now_ms(), dt;

	(void)state;
	fixture_start(&f, st, 3, 1);
	assert_int_equal(meta_push_enqueue(f.p, "a@x", "tok", 3), 0);
	f.want_requests = 3;
	assert_true(mth_loop_until(f.base, settled, &f, 5000));
	dt = now_ms() - t0;
	meta_push_get_stats(f.p, &s);
	assert_int_equal(s.failed, 2);
	assert_int_equal(s.ok, 1);
	assert_int_equal(mth_requests(&f.http), 3);
	/* 8 + 64 "seconds" of 5 ms = 360 ms at least between first and third attempt */
	assert_true(dt >= 360);
	assert_string_equal(f.http.bodies[2], "tok");
	fixture_stop(&f);
}

static bool
failed_once(void *ctx)
{
	struct push_fixture *f = ctx;
	struct meta_push_stats s;

	meta_push_get_stats(f->p, &s);
	return s.failed >= 1;
}

static void
test_retry_waiting_coalesces(void **state)
{
	struct push_fixture f;
	const int st[] = {500, 200};
	struct meta_push_stats s;

	(void)state;
	fixture_start(&f, st, 2, 1);
	meta_push_set_second(f.p, 20); /* retry after 160 ms */
	assert_int_equal(meta_push_enqueue(f.p, "a@x", "tok", 3), 0);
	assert_true(mth_loop_until(f.base, failed_once, &f, 3000));
	/* the notification waits for its retry: a new delivery adds nothing */
	assert_int_equal(meta_push_enqueue(f.p, "a@x", "tok", 3), 0);
	meta_push_get_stats(f.p, &s);
	assert_int_equal(s.pending, 1);
	assert_int_equal(s.coalesced, 1);
	f.want_requests = 2;
	assert_true(mth_loop_until(f.base, settled, &f, 3000));
	assert_int_equal(mth_requests(&f.http), 2);
	fixture_stop(&f);
}

static void
test_at_most_8_in_flight(void **state)
{
	struct push_fixture f;
	const int st[] = {200};
	struct meta_push_stats s;
	char tok[16];

	(void)state;
	fixture_start(&f, st, 1, 150);
	for (int i = 0; i < 20; i++) {
		int n = snprintf(tok, sizeof(tok), "t%d", i);

		assert_int_equal(meta_push_enqueue(f.p, "a@x", tok, (size_t)n), 0);
	}
	f.want_requests = 20;
	assert_true(mth_loop_until(f.base, settled, &f, 8000));
	meta_push_get_stats(f.p, &s);
	assert_int_equal(s.ok, 20);
	assert_int_equal(s.inflight_peak, 8);
	assert_true(f.http.max_open <= 8);
	assert_true(f.http.max_open >= 2);
	fixture_stop(&f);
}

static bool
failed_twice(void *ctx)
{
	struct push_fixture *f = ctx;
	struct meta_push_stats s;

	meta_push_get_stats(f->p, &s);
	return s.failed >= 2;
}

static void
test_refused_retried_then_freed_pending(void **state)
{
	struct push_fixture f;
	const int st[] = {200};
	struct meta_push_stats s;

	(void)state;
	fixture_start(&f, st, 1, 1);
	/* a closed port: network errors are retried like 5xx */
	meta_push_free(&f.p);
	snprintf(f.url, sizeof(f.url), "http://127.0.0.1:1/notify");
	f.p = meta_push_new(f.base, f.url, fixture_gone, &f);
	assert_non_null(f.p);
	meta_push_set_second(f.p, 1);
	assert_int_equal(meta_push_enqueue(f.p, "a@x", "tok", 3), 0);
	assert_true(mth_loop_until(f.base, failed_twice, &f, 3000));
	meta_push_get_stats(f.p, &s);
	assert_int_equal(s.pending, 1); /* waiting for the 3rd attempt */
	assert_int_equal(s.ok, 0);
	/* forgetting the account drops it (ACC-7); freeing with work pending is clean */
	assert_int_equal(meta_push_enqueue(f.p, "b@x", "tok", 3), 0);
	meta_push_forget_account(f.p, "a@x");
	meta_push_get_stats(f.p, &s);
	assert_int_equal(s.pending, 1);
	fixture_stop(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_post_body_is_the_token),
	        cmocka_unit_test(test_coalescing_while_waiting),
	        cmocka_unit_test(test_410_reports_gone),
	        cmocka_unit_test(test_500_retried_on_schedule),
	        cmocka_unit_test(test_retry_waiting_coalesces),
	        cmocka_unit_test(test_at_most_8_in_flight),
	        cmocka_unit_test(test_refused_retried_then_freed_pending),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
