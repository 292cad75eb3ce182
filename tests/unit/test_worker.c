/*
 * test_worker.c - unit tests of net/net_worker.c (GEN-4, ARCHITECTURE "Threads").
 *
 * With a real libevent loop: work runs on a pool thread, its completion on
 * the loop thread with the requester id it was submitted with, the pending
 * count returns to zero, and worker_pool_free() finishes queued jobs and
 * runs their completions. Worker threads never call cmocka (an assertion
 * there would longjmp across threads): they record, the loop thread checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <event2/event.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "core/core_limits.h"
#include "net/net_worker.h"

#define TEST_WORKER_JOBS 500
#define TEST_WORKER_ID_BASE (UINT64_C(1) << 40)

struct test_worker_job {
	uint64_t id;
	pthread_t work_thread; /* written by the worker */
	atomic_int work_runs;  /* written by the worker */
	int done_runs;         /* loop thread only */
	bool was_done_on_loop; /* loop thread only */
	bool had_work_before_done;
};

struct test_worker_run {
	struct event_base *base;
	struct worker_pool *pool;
	pthread_t loop_thread;
	struct test_worker_job jobs[TEST_WORKER_JOBS];
	int done_count;
	int wrong_id;
	int target; /* loopbreak once done_count reaches it */
};

static struct test_worker_run *test_worker_current;

static void
test_worker_nap(long usec)
{
	struct timespec ts = {0, usec * 1000};

	nanosleep(&ts, NULL);
}

static void
test_worker_work(void *arg)
{
	struct test_worker_job *j = arg;

	j->work_thread = pthread_self();
	/* A little real blocking, so that jobs overlap and queue up. */
	if (j->id % 7 == 0)
		test_worker_nap(200);
	atomic_fetch_add(&j->work_runs, 1);
}

static void
test_worker_done(void *arg, uint64_t requester_id)
{
	struct test_worker_job *j = arg;
	struct test_worker_run *r = test_worker_current;

	j->done_runs++;
	j->was_done_on_loop = pthread_equal(pthread_self(), r->loop_thread) != 0;
	j->had_work_before_done = atomic_load(&j->work_runs) == 1;
	if (requester_id != j->id)
		r->wrong_id++;
	if (++r->done_count == r->target)
		event_base_loopbreak(r->base);
}

static struct test_worker_run *
test_worker_setup(int threads)
{
	struct test_worker_run *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->base = event_base_new();
	assert_non_null(r->base);
	r->pool = worker_pool_new(r->base, threads);
	assert_non_null(r->pool);
	r->loop_thread = pthread_self();
	for (int i = 0; i < TEST_WORKER_JOBS; i++)
		r->jobs[i].id = TEST_WORKER_ID_BASE + (uint64_t)i * 3;
	test_worker_current = r;
	return r;
}

static void
test_worker_teardown(struct test_worker_run *r)
{
	worker_pool_free(&r->pool);
	assert_null(r->pool);
	event_base_free(r->base);
	test_worker_current = NULL;
	free(r);
}

/* test_worker_dispatch - run the loop until the target is reached, at most 20 s. */
static void
test_worker_dispatch(struct test_worker_run *r)
{
	struct timeval limit = {20, 0};

	assert_int_equal(event_base_loopexit(r->base, &limit), 0);
	assert_true(event_base_dispatch(r->base) >= 0);
	assert_int_equal(r->done_count, r->target);
}

/* test_worker_check_all - every job worked once off the loop and completed once on it. */
static void
test_worker_check_all(const struct test_worker_run *r)
{
	assert_int_equal(r->wrong_id, 0);
	for (int i = 0; i < TEST_WORKER_JOBS; i++) {
		const struct test_worker_job *j = &r->jobs[i];

		assert_int_equal(atomic_load(&j->work_runs), 1);
		assert_int_equal(j->done_runs, 1);
		assert_true(j->was_done_on_loop);
		assert_true(j->had_work_before_done);
		assert_false(pthread_equal(j->work_thread, r->loop_thread));
	}
}

static void
test_worker_many_jobs(void **state)
{
	struct test_worker_run *r = test_worker_setup(4);

	(void)state;
	assert_int_equal(worker_pool_pending(r->pool), 0);
	for (int i = 0; i < TEST_WORKER_JOBS; i++)
		assert_int_equal(worker_submit(r->pool, r->jobs[i].id, test_worker_work,
		                         test_worker_done, &r->jobs[i]),
		        0);
	/* Nothing completes before the loop runs: completions belong to the loop. */
	assert_int_equal(worker_pool_pending(r->pool), TEST_WORKER_JOBS);
	assert_int_equal(r->done_count, 0);
	r->target = TEST_WORKER_JOBS;
	test_worker_dispatch(r);
	test_worker_check_all(r);
	assert_int_equal(worker_pool_pending(r->pool), 0);
	test_worker_teardown(r);
}

static void
test_worker_several_threads_used(void **state)
{
	struct test_worker_run *r = test_worker_setup(3);
	bool saw_other = false;

	(void)state;
	/* Every job naps, so one thread cannot take them all while the others sleep. */
	for (int i = 0; i < 30; i++) {
		r->jobs[i].id = (uint64_t)i * 7;
		assert_int_equal(worker_submit(r->pool, r->jobs[i].id, test_worker_work,
		                         test_worker_done, &r->jobs[i]),
		        0);
	}
	r->target = 30;
	test_worker_dispatch(r);
	for (int i = 1; i < 30; i++)
		if (!pthread_equal(r->jobs[i].work_thread, r->jobs[0].work_thread))
			saw_other = true;
	assert_true(saw_other);
	assert_int_equal(worker_pool_pending(r->pool), 0);
	test_worker_teardown(r);
}

static void
test_worker_free_drains(void **state)
{
	struct test_worker_run *r = test_worker_setup(2);

	(void)state;
	for (int i = 0; i < TEST_WORKER_JOBS; i++)
		assert_int_equal(worker_submit(r->pool, r->jobs[i].id, test_worker_work,
		                         test_worker_done, &r->jobs[i]),
		        0);
	r->target = -1;
	/* The loop never runs: worker_pool_free itself must finish the queue and
	 * deliver every completion, on the calling (loop) thread. */
	worker_pool_free(&r->pool);
	assert_null(r->pool);
	assert_int_equal(r->done_count, TEST_WORKER_JOBS);
	test_worker_check_all(r);
	test_worker_teardown(r);
}

static atomic_int test_worker_plain_runs;

static void
test_worker_plain_work(void *arg)
{
	(void)arg;
	atomic_fetch_add(&test_worker_plain_runs, 1);
}

static void
test_worker_null_done(void **state)
{
	struct test_worker_run *r = test_worker_setup(1);
	struct timeval limit = {0, 10000};
	int spins = 0;

	(void)state;
	atomic_store(&test_worker_plain_runs, 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(
		        worker_submit(r->pool, (uint64_t)i, test_worker_plain_work, NULL, NULL), 0);
	/* Without completions there is nothing to break the loop: poll it. */
	while (worker_pool_pending(r->pool) > 0 && spins++ < 2000) {
		assert_int_equal(event_base_loopexit(r->base, &limit), 0);
		assert_true(event_base_dispatch(r->base) >= 0);
	}
	assert_int_equal(worker_pool_pending(r->pool), 0);
	assert_int_equal(atomic_load(&test_worker_plain_runs), 10);
	test_worker_teardown(r);
}

/* test_worker_chain_done - a completion that submits the next job (the usual session pattern). */
static void
test_worker_chain_done(void *arg, uint64_t requester_id)
{
	struct test_worker_job *j = arg;
	struct test_worker_run *r = test_worker_current;
	int next = (int)(j - r->jobs) + 1;

	test_worker_done(arg, requester_id);
	if (next < r->target)
		assert_int_equal(worker_submit(r->pool, r->jobs[next].id, test_worker_work,
		                         test_worker_chain_done, &r->jobs[next]),
		        0);
}

static void
test_worker_submit_from_completion(void **state)
{
	struct test_worker_run *r = test_worker_setup(2);

	(void)state;
	r->target = 50;
	assert_int_equal(worker_submit(r->pool, r->jobs[0].id, test_worker_work,
	                         test_worker_chain_done, &r->jobs[0]),
	        0);
	test_worker_dispatch(r);
	assert_int_equal(r->wrong_id, 0);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(r->jobs[i].done_runs, 1);
		assert_true(r->jobs[i].was_done_on_loop);
	}
	assert_int_equal(r->jobs[50].done_runs, 0);
	assert_int_equal(worker_pool_pending(r->pool), 0);
	test_worker_teardown(r);
}

/* test_worker_loop_for - run the loop for usec microseconds. */
static void
test_worker_loop_for(struct test_worker_run *r, long usec)
{
	struct timeval limit = {usec / 1000000, usec % 1000000};

	assert_int_equal(event_base_loopexit(r->base, &limit), 0);
	assert_true(event_base_dispatch(r->base) >= 0);
}

/* Memory goes back to the OS once the pool is idle, and not after every burst (issue 9). */
static void
test_worker_trims_when_idle(void **state)
{
	struct test_worker_run *r = test_worker_setup(2);

	(void)state;
	r->target = 1;
	assert_int_equal(worker_submit(r->pool, r->jobs[0].id, test_worker_work, test_worker_done,
	                         &r->jobs[0]),
	        0);
	test_worker_dispatch(r);
	assert_int_equal(worker_pool_trims(r->pool), 0); /* not while it may go on */
	test_worker_loop_for(r, (WORKER_TRIM_QUIET_SECS * 1000 + 500) * 1000L);
	assert_int_equal(worker_pool_trims(r->pool), 1);
	/* Another burst right away: the next trim waits for the interval, then comes. */
	r->target = 2;
	assert_int_equal(worker_submit(r->pool, r->jobs[1].id, test_worker_work, test_worker_done,
	                         &r->jobs[1]),
	        0);
	test_worker_dispatch(r);
	test_worker_loop_for(r, (WORKER_TRIM_INTERVAL_SECS * 1000 - 1000) * 1000L);
	assert_int_equal(worker_pool_trims(r->pool), 1);
	test_worker_loop_for(r, 1500 * 1000L);
	assert_int_equal(worker_pool_trims(r->pool), 2);
	test_worker_teardown(r);
}

static void
test_worker_thread_count_clamped(void **state)
{
	struct event_base *base = event_base_new();
	struct worker_pool *p;

	(void)state;
	assert_non_null(base);
	/* 0 and negative mean "at least one"; above the maximum is clamped. */
	p = worker_pool_new(base, 0);
	assert_non_null(p);
	worker_pool_free(&p);
	assert_null(p);
	p = worker_pool_new(base, -5);
	assert_non_null(p);
	worker_pool_free(&p);
	p = worker_pool_new(base, 1000);
	assert_non_null(p);
	worker_pool_free(&p);
	/* Freeing NULL is fine. */
	worker_pool_free(&p);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_worker_many_jobs),
	        cmocka_unit_test(test_worker_several_threads_used),
	        cmocka_unit_test(test_worker_free_drains),
	        cmocka_unit_test(test_worker_null_done),
	        cmocka_unit_test(test_worker_submit_from_completion),
	        cmocka_unit_test(test_worker_thread_count_clamped),
	        cmocka_unit_test(test_worker_trims_when_idle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
