/*
 * test_store_workers.c - the store on a real worker pool and event loop:
 * many concurrent deliveries to one mailbox (group commit, per-mailbox
 * locking) and the bus seeing NEW events in UID order, each before the
 * done callback of the job that caused it (IMAP-44/49/54).
 */
#include <errno.h>
#include <event2/event.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "bus/bus.h"
#include "net/net_worker.h"
#include "store_test_util.h"

#define A "dave@example.org"
#define JOBS 120

struct state {
	struct event_base *base;
	uint32_t next_uid; /* next UID the bus must announce */
	bool is_seen[JOBS + 2];
	int done;
	int errors;
};

struct job {
	struct state *s;
	struct store_rcpt r;
	int rc;
};

static void
event_cb(const struct bus_event *ev, void *ctx)
{
	struct state *s = ctx;

	if (ev->kind != BUS_EVENT_NEW)
		return;
	for (size_t i = 0; i < ev->count; i++) {
		if (ev->msgs[i].uid != s->next_uid)
			s->errors++;
		if (ev->msgs[i].uid <= JOBS)
			s->is_seen[ev->msgs[i].uid] = true;
		s->next_uid = ev->msgs[i].uid + 1;
	}
}

static void
job_work(struct store *st, void *arg, struct store_changes *ch)
{
	struct job *j = arg;
	uint64_t size;
	int fd = store_test_spool("Subject: w\r\n\r\nbody\r\n", &size);

	j->r.account = A;
	j->rc = store_deliver(st, fd, size, 1700000000, &j->r, 1, ch);
	close(fd);
}

static void
job_done(void *arg, uint64_t requester_id)
{
	struct job *j = arg;
	struct state *s = j->s;

	(void)requester_id;
	/* The job's own event was published before its completion. */
	if (j->rc != 0 || j->r.uid > JOBS || !s->is_seen[j->r.uid])
		s->errors++;
	if (++s->done == JOBS)
		event_base_loopbreak(s->base);
	free(j);
}

static void
test_concurrent_deliveries_in_order(void **state_)
{
	struct store_test_env env;
	struct state s = {.next_uid = 1};
	struct worker_pool *pool;
	struct bus *bus = bus_new();
	struct bus_sub *sub;
	struct store *st;
	struct store_mailbox *mb;
	struct store_status status;

	(void)state_;
	assert_int_equal(store_test_env_init(&env, NULL), 0);
	s.base = event_base_new();
	pool = worker_pool_new(s.base, 8);
	st = store_new(&env.conf, pool, bus);
	sub = bus_subscribe(bus, A, "INBOX", event_cb, &s);
	for (int i = 0; i < JOBS; i++) {
		struct job *j = calloc(1, sizeof(*j));

		j->s = &s;
		assert_int_equal(store_submit(st, (uint64_t)i + 1, job_work, job_done, j), 0);
	}
	event_base_dispatch(s.base);
	assert_int_equal(s.done, JOBS);
	assert_int_equal(s.errors, 0);
	assert_int_equal(s.next_uid, JOBS + 1);
	assert_int_equal(store_mailbox_open(st, A, "INBOX", &mb), 0);
	assert_int_equal(store_mailbox_status(mb, NULL, &status), 0);
	assert_int_equal(status.messages, JOBS);
	assert_int_equal(status.uidnext, JOBS + 1);
	store_mailbox_close(&mb);
	worker_pool_free(&pool);
	bus_unsubscribe(bus, &sub);
	store_free(&st);
	bus_free(&bus);
	event_base_free(s.base);
	store_test_env_free(&env);
}

/*
 * Held-back publication: job 1 commits first but finishes last (it sleeps
 * after committing); job 2's event and done must wait for job 1's event.
 */
struct order_state {
	struct event_base *base;
	sem_t committed;
	char log[64];
	size_t len;
};

struct order_job {
	struct order_state *s;
	int id;
};

static void
order_event_cb(const struct bus_event *ev, void *ctx)
{
	struct order_state *s = ctx;

	if (ev->kind == BUS_EVENT_NEW && s->len + 2 < sizeof(s->log))
		s->log[s->len++] = (char)('0' + ev->msgs[0].uid); /* "1", "2": UIDs */
}

static void
order_work(struct store *st, void *arg, struct store_changes *ch)
{
	struct order_job *j = arg;
	struct store_rcpt r = {.account = A};
	uint64_t size;
	int fd = store_test_spool("x\r\n", &size);

	if (j->id == 2)
		sem_wait(&j->s->committed); /* commit after job 1 */
	assert_int_equal(store_deliver(st, fd, size, 1700000000, &r, 1, ch), 0);
	close(fd);
	if (j->id == 1) {
		sem_post(&j->s->committed);
		usleep(300 * 1000); /* finish after job 2 */
	}
}

static void
order_done(void *arg, uint64_t requester_id)
{
	struct order_job *j = arg;
	struct order_state *s = j->s;

	(void)requester_id;
	s->log[s->len++] = (char)('a' + j->id - 1); /* "a", "b": done callbacks */
	if (j->id == 1)
		event_base_loopbreak(s->base);
	free(j);
}

static void
test_publication_waits_for_earlier_commit(void **state_)
{
	struct store_test_env env;
	struct order_state s = {0};
	struct worker_pool *pool;
	struct bus *bus = bus_new();
	struct bus_sub *sub;
	struct store *st;

	(void)state_;
	assert_int_equal(store_test_env_init(&env, NULL), 0);
	assert_int_equal(sem_init(&s.committed, 0, 0), 0);
	s.base = event_base_new();
	pool = worker_pool_new(s.base, 2);
	st = store_new(&env.conf, pool, bus);
	assert_int_equal(store_account_create(st, A), 0);
	sub = bus_subscribe(bus, A, NULL, order_event_cb, &s);
	for (int i = 1; i <= 2; i++) {
		struct order_job *j = calloc(1, sizeof(*j));

		j->s = &s;
		j->id = i;
		assert_int_equal(store_submit(st, (uint64_t)i, order_work, order_done, j), 0);
	}
	event_base_dispatch(s.base);
	s.log[s.len] = '\0';
	/* Job 2 finished first, but its event and done waited for job 1's event. */
	assert_string_equal(s.log, "1a2b");
	worker_pool_free(&pool);
	bus_unsubscribe(bus, &sub);
	store_free(&st);
	bus_free(&bus);
	event_base_free(s.base);
	sem_destroy(&s.committed);
	store_test_env_free(&env);
}

/* EXP-1: the scheduled expiry runs on the workers and announces its removals. */
static time_t
fixed_clock(void *ctx)
{
	(void)ctx;
	return 1800000000;
}

static void
expire_event_cb(const struct bus_event *ev, void *ctx)
{
	struct event_base *base = ctx;

	if (ev->kind == BUS_EVENT_EXPUNGE && ev->count == 1 && ev->msgs[0].uid == 1)
		event_base_loopbreak(base);
}

static void
test_scheduled_expiry(void **state_)
{
	struct store_test_env env;
	struct event_base *base = event_base_new();
	struct worker_pool *pool = worker_pool_new(base, 2);
	struct bus *bus = bus_new();
	struct bus_sub *sub;
	struct store *st;
	struct timeval limit = {10, 0};

	(void)state_;
	assert_int_equal(store_test_env_init(&env, NULL), 0);
	st = store_new(&env.conf, pool, bus);
	store_set_clock(st, fixed_clock, NULL);
	assert_int_equal(store_test_deliver(st, A, "old\r\n", 1800000000 - 30 * 86400), 1);
	assert_int_equal(store_test_deliver(st, A, "new\r\n", 1800000000 - 3600), 2);
	sub = bus_subscribe(bus, A, "INBOX", expire_event_cb, base);
	assert_int_equal(store_expire_schedule(st, base, 0), 0);
	event_base_loopexit(base, &limit);
	event_base_dispatch(base);
	assert_int_equal(store_quota_usage(st, A), 5);
	store_expire_stop(st);
	worker_pool_free(&pool);
	bus_unsubscribe(bus, &sub);
	store_free(&st);
	bus_free(&bus);
	event_base_free(base);
	store_test_env_free(&env);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_concurrent_deliveries_in_order),
	        cmocka_unit_test(test_publication_waits_for_earlier_commit),
	        cmocka_unit_test(test_scheduled_expiry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
