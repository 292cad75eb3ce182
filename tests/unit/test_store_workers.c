/*
 * test_store_workers.c - the store on a real worker pool and event loop:
 * many concurrent deliveries to one mailbox (group commit, per-mailbox
 * locking) and the bus seeing NEW events in UID order, each before the
 * done callback of the job that caused it (IMAP-44/49/54).
 */
#include <errno.h>
#include <event2/event.h>
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_concurrent_deliveries_in_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
