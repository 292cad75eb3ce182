/*
 * test_meta.c - struct meta with a real database, worker pool, bus, event
 * loop and a loopback HTTP responder: SETMETADATA/GETMETADATA semantics of
 * META-5..7 (validation, refresh, NIL, push = no), PUSH-1 (self-sent
 * copies do not notify, accounts without tokens cost nothing), the 410
 * removal of PUSH-3, ACC-7 through the bus, META-7 expiry, and answers of
 * jobs that finish after meta_free.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "bus/bus.h"
#include "core/core_conf.h"
#include "db/db.h"
#include "meta/meta.h"
#include "net/net_worker.h"
#include "meta_test_http.h"

static char mt_dir[] = "/tmp/chatrelay-test-meta-XXXXXX";

struct mt {
	struct conf conf;
	struct event_base *base;
	struct worker_pool *workers;
	struct bus *bus;
	struct db *db;
	struct meta *meta;
	struct mth http;
	/* last answer */
	int answers;
	enum meta_status status;
	char tokens[META_TOKEN_MAX * 2 + 64];
	uint64_t requester;
};

static void
mt_done(enum meta_status status, const char *tokens, uint64_t requester_id, void *arg)
{
	struct mt *t = arg;

	t->answers++;
	t->status = status;
	t->requester = requester_id;
	snprintf(t->tokens, sizeof(t->tokens), "%s", tokens != NULL ? tokens : "(null)");
}

static bool
mt_answered(void *ctx)
{
	struct mt *t = ctx;

	return t->answers > 0;
}

static bool
mt_idle(void *ctx)
{
	struct mt *t = ctx;
	struct meta_stats s;

	meta_stats(t->meta, &s);
	return worker_pool_pending(t->workers) == 0 && s.push_pending == 0;
}

static void
mt_start(struct mt *t, bool push, const int *statuses, int n)
{
	char path[300], url[128];
	const char *error = NULL;

	memset(t, 0, sizeof(*t));
	assert_int_equal(mth_start(&t->http, statuses, n, 1), 0);
	assert_int_equal(conf_init(&t->conf), 0);
	t->conf.push = push;
	free(t->conf.push_url);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/notify", t->http.port);
	t->conf.push_url = strdup(url);
	snprintf(path, sizeof(path), "%s/chatrelay.db", mt_dir);
	t->db = db_open(path, &error);
	assert_non_null(t->db);
	t->base = event_base_new();
	t->workers = worker_pool_new(t->base, 2);
	t->bus = bus_new();
	assert_non_null(t->workers);
	t->meta = meta_new(&t->conf, t->db, t->workers, t->bus, t->base);
	assert_non_null(t->meta);
	assert_true(mth_loop_until(t->base, mt_idle, t, 3000));
}

static void
mt_stop(struct mt *t)
{
	meta_free(&t->meta);
	assert_null(t->meta);
	worker_pool_free(&t->workers);
	bus_free(&t->bus);
	event_base_free(t->base);
	db_free(&t->db);
	conf_free(&t->conf);
	mth_stop(&t->http);
}

/* mt_wait - run until the pending request answers; returns its status. */
static enum meta_status
mt_wait(struct mt *t)
{
	assert_true(mth_loop_until(t->base, mt_answered, t, 3000));
	assert_int_equal(t->answers, 1);
	t->answers = 0;
	return t->status;
}

static enum meta_status
mt_set(struct mt *t, const char *account, const char *token)
{
	assert_int_equal(meta_token_set(t->meta, 7, account, token, strlen(token), mt_done, t), 0);
	/* never answered synchronously */
	assert_int_equal(t->answers, 0);
	return mt_wait(t);
}

static const char *
mt_get(struct mt *t, const char *account)
{
	assert_int_equal(meta_token_get(t->meta, 9, account, mt_done, t), 0);
	assert_int_equal(mt_wait(t), META_OK);
	assert_int_equal(t->requester, 9);
	return t->tokens;
}

static int
mt_setup(void **state)
{
	(void)state;
	return mkdtemp(mt_dir) == NULL ? -1 : 0;
}

static int
mt_teardown(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", mt_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_set_get_nil(void **state)
{
	struct mt t;
	const int st[] = {200};
	char big[META_TOKEN_MAX + 2];

	(void)state;
	mt_start(&t, true, st, 1);
	assert_string_equal(mt_get(&t, "a@x"), "");
	assert_int_equal(mt_set(&t, "a@x", "tok1"), META_OK);
	assert_int_equal(t.requester, 7);
	assert_string_equal(t.tokens, "(null)");
	assert_int_equal(mt_set(&t, "a@x", "openpgp:QUJD"), META_OK);
	assert_string_equal(mt_get(&t, "a@x"), "tok1 openpgp:QUJD");
	/* refresh: tok1 becomes the most recently set (same second: order kept by insertion) */
	assert_int_equal(mt_set(&t, "a@x", "tok1"), META_OK);
	assert_int_equal(mt_set(&t, "a@x", "has space"), META_INVALID);
	assert_int_equal(mt_set(&t, "a@x", "tab\there"), META_INVALID);
	assert_int_equal(meta_token_set(t.meta, 7, "a@x", "", 0, mt_done, &t), 0);
	assert_int_equal(mt_wait(&t), META_INVALID);
	memset(big, 'b', sizeof(big));
	assert_int_equal(meta_token_set(t.meta, 7, "a@x", big, META_TOKEN_MAX + 1, mt_done, &t), 0);
	assert_int_equal(mt_wait(&t), META_TOOBIG);
	/* exactly 8192 octets are fine */
	assert_int_equal(meta_token_set(t.meta, 7, "b@x", big, META_TOKEN_MAX, mt_done, &t), 0);
	assert_int_equal(mt_wait(&t), META_OK);
	assert_int_equal(strlen(mt_get(&t, "b@x")), META_TOKEN_MAX);
	assert_int_equal(strlen(mt_get(&t, "a@x")), strlen("tok1 openpgp:QUJD"));
	/* NIL removes all */
	assert_int_equal(meta_token_del(t.meta, 7, "a@x", mt_done, &t), 0);
	assert_int_equal(mt_wait(&t), META_OK);
	assert_string_equal(mt_get(&t, "a@x"), "");
	assert_int_equal(meta_token_del(t.meta, 7, "b@x", mt_done, &t), 0);
	assert_int_equal(mt_wait(&t), META_OK);
	mt_stop(&t);
}

static void
test_32_tokens(void **state)
{
	struct mt t;
	const int st[] = {200};
	char tok[16];

	(void)state;
	mt_start(&t, true, st, 1);
	for (int i = 0; i < META_TOKENS_MAX + 3; i++) {
		snprintf(tok, sizeof(tok), "k%02d", i);
		assert_int_equal(mt_set(&t, "c@x", tok), META_OK);
	}
	mt_get(&t, "c@x");
	/* the three least recently set are evicted */
	assert_null(strstr(t.tokens, "k00"));
	assert_null(strstr(t.tokens, "k02"));
	assert_non_null(strstr(t.tokens, "k03 "));
	assert_non_null(strstr(t.tokens, "k34"));
	assert_int_equal(strlen(t.tokens), (size_t)META_TOKENS_MAX * 4 - 1);
	meta_account_deleted(t.meta, "c@x");
	assert_true(mth_loop_until(t.base, mt_idle, &t, 3000));
	assert_string_equal(mt_get(&t, "c@x"), "");
	mt_stop(&t);
}

static bool
mt_two_requests(void *ctx)
{
	struct mt *t = ctx;

	return mth_requests(&t->http) >= 2 && mt_idle(t);
}

static void
test_notify_and_410(void **state)
{
	struct mt t;
	const int st[] = {200, 410};
	struct meta_stats s;

	(void)state;
	mt_start(&t, true, st, 2);
	assert_int_equal(mt_set(&t, "a@x", "first"), META_OK);
	/* self-sent copies and accounts without tokens: nothing */
	meta_notify(t.meta, "a@x", "A@x");
	meta_notify(t.meta, "nobody@x", "a@x");
	assert_true(mth_loop_until(t.base, mt_idle, &t, 300));
	assert_int_equal(mth_requests(&t.http), 0);
	/* a delivery from someone else (or the null sender) notifies */
	meta_notify(t.meta, "a@x", "");
	assert_true(mth_loop_until(t.base, mt_idle, &t, 3000));
	assert_int_equal(mth_requests(&t.http), 1);
	assert_string_equal(t.http.bodies[0], "first");
	/* the second answer is 410: the token is removed */
	meta_notify(t.meta, "a@x", "b@y");
	assert_true(mth_loop_until(t.base, mt_two_requests, &t, 3000));
	assert_string_equal(mt_get(&t, "a@x"), "");
	meta_stats(t.meta, &s);
	assert_int_equal(s.push_ok, 1);
	assert_int_equal(s.push_gone, 1);
	mt_stop(&t);
}

static void
test_bus_account_deleted(void **state)
{
	struct mt t;
	const int st[] = {200};
	struct bus_event ev = {.kind = BUS_EVENT_ACCOUNT_DELETED, .account = "d@x"};

	(void)state;
	mt_start(&t, true, st, 1);
	assert_int_equal(mt_set(&t, "d@x", "dtok"), META_OK);
	assert_int_equal(mt_set(&t, "e@x", "etok"), META_OK);
	assert_int_equal(bus_subscriber_count(t.bus, "d@x"), 1);
	bus_publish(t.bus, &ev);
	assert_int_equal(bus_subscriber_count(t.bus, "d@x"), 0);
	assert_true(mth_loop_until(t.base, mt_idle, &t, 3000));
	assert_string_equal(mt_get(&t, "d@x"), "");
	assert_string_equal(mt_get(&t, "e@x"), "etok");
	mt_stop(&t);
	/* after a restart the account set comes from the database */
	mt_start(&t, true, st, 1);
	assert_int_equal(bus_subscriber_count(t.bus, "e@x"), 1);
	assert_int_equal(bus_subscriber_count(t.bus, "d@x"), 0);
	mt_stop(&t);
}

static void
test_expiry(void **state)
{
	struct mt t;
	const int st[] = {200};

	(void)state;
	mt_start(&t, true, st, 1);
	assert_string_equal(mt_get(&t, "e@x"), "etok");
	/* 90 days later: still there; a second more: gone */
	meta_expire(t.meta, time(NULL) + META_TOKEN_LIFETIME - 5);
	assert_true(mth_loop_until(t.base, mt_idle, &t, 3000));
	assert_string_equal(mt_get(&t, "e@x"), "etok");
	meta_expire(t.meta, time(NULL) + META_TOKEN_LIFETIME + 5);
	assert_true(mth_loop_until(t.base, mt_idle, &t, 3000));
	assert_string_equal(mt_get(&t, "e@x"), "");
	/* a last-set time over 60 s ahead of the clock is discarded too */
	assert_int_equal(mt_set(&t, "f@x", "ftok"), META_OK);
	meta_expire(t.meta, time(NULL) - 120);
	assert_true(mth_loop_until(t.base, mt_idle, &t, 3000));
	assert_string_equal(mt_get(&t, "f@x"), "");
	mt_stop(&t);
}

static void
test_push_off(void **state)
{
	struct mt t;
	const int st[] = {200};

	(void)state;
	mt_start(&t, false, st, 1);
	/* META-5: OK, nothing stored; the entry does not exist; no notification */
	assert_int_equal(mt_set(&t, "g@x", "gtok"), META_OK);
	assert_string_equal(mt_get(&t, "g@x"), "");
	assert_int_equal(mt_set(&t, "g@x", "bad token"), META_INVALID);
	meta_notify(t.meta, "g@x", "h@x");
	assert_true(mth_loop_until(t.base, mt_idle, &t, 200));
	assert_int_equal(mth_requests(&t.http), 0);
	mt_stop(&t);
	mt_start(&t, true, st, 1);
	assert_string_equal(mt_get(&t, "g@x"), "");
	mt_stop(&t);
}

static void
test_answer_after_free(void **state)
{
	struct mt t;
	const int st[] = {200};

	(void)state;
	mt_start(&t, true, st, 1);
	/* the pool completes the job after meta is gone: the caller still hears back */
	assert_int_equal(meta_token_set(t.meta, 7, "h@x", "htok", 4, mt_done, &t), 0);
	meta_notify(t.meta, "h@x", "x@y");
	meta_free(&t.meta);
	worker_pool_free(&t.workers);
	assert_int_equal(t.answers, 1);
	assert_int_equal(t.status, META_OK);
	bus_free(&t.bus);
	event_base_free(t.base);
	db_free(&t.db);
	conf_free(&t.conf);
	mth_stop(&t.http);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_set_get_nil),
	        cmocka_unit_test(test_32_tokens),
	        cmocka_unit_test(test_notify_and_410),
	        cmocka_unit_test(test_bus_account_deleted),
	        cmocka_unit_test(test_expiry),
	        cmocka_unit_test(test_push_off),
	        cmocka_unit_test(test_answer_after_free),
	};

	return cmocka_run_group_tests(tests, mt_setup, mt_teardown);
}
