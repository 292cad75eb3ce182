/*
 * test_store_expire.c - quota accounting and the expiry job with an
 * injected clock (QUOTA-1..5, EXP-2..4, EXP-6): old messages go, large
 * seen ones go, tmp/ leftovers go, the quota trim removes the oldest first
 * down to the target and never touches the last 24 hours; removals are
 * announced on the bus and reduce usage.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include <cmocka.h>

#include "bus/bus.h"
#include "store_test_util.h"

#define A "carol@example.org"
#define DAY 86400L
#define NOW 1800000000L

static time_t test_now = NOW;

static time_t
test_clock(void *ctx)
{
	(void)ctx;
	return test_now;
}

static uint64_t test_limit_value;

static uint64_t
test_limit(void *ctx, const char *account)
{
	(void)ctx;
	(void)account;
	return test_limit_value;
}

static int expunged;

static void
count_cb(const struct bus_event *ev, void *ctx)
{
	(void)ctx;
	if (ev->kind == BUS_EVENT_EXPUNGE)
		expunged += (int)ev->count;
}

static char *
body_of(size_t n)
{
	char *b = malloc(n + 1);

	memset(b, 'x', n);
	memcpy(b, "Subject: s\r\n\r\n", 14);
	b[n - 2] = '\r';
	b[n - 1] = '\n';
	b[n] = '\0';
	return b;
}

static void
expire_work(struct store *st, void *arg, struct store_changes *ch)
{
	store_expire_run(st, ch, arg);
}

static void
test_expiry_rules(void **state)
{
	struct store_test_env env;
	struct store_expire_stats stats;
	struct store_mailbox *mb;
	struct store_snapshot snap;
	struct bus *bus = bus_new();
	struct bus_sub *sub;
	struct store *st;
	char *big = body_of(300000), tmpf[700];
	uint32_t *recent;
	size_t n;

	(void)state;
	assert_int_equal(
	        store_test_env_init(&env, "delete_mails_after = 20\ndelete_large_after = 7\n"), 0);
	st = store_new(&env.conf, NULL, bus);
	store_set_clock(st, test_clock, NULL);
	sub = bus_subscribe(bus, A, NULL, count_cb, NULL);
	expunged = 0;
	/* uid 1: 21 days old (EXP-2); uid 2: 19 days; uid 3: large, 8 days, seen (EXP-3);
	 * uid 4: large, 8 days, never claimed (stays in new/); uid 5: large, 6 days. */
	assert_int_equal(store_test_deliver(st, A, "a\r\n", NOW - 21 * DAY), 1);
	assert_int_equal(store_test_deliver(st, A, "b\r\n", NOW - 19 * DAY), 2);
	assert_int_equal(store_test_deliver(st, A, big, NOW - 8 * DAY), 3);
	assert_int_equal(store_mailbox_open(st, A, "INBOX", &mb), 0);
	assert_int_equal(store_mailbox_claim_recent(mb, &recent, &n), 0);
	free(recent);
	assert_int_equal(store_test_deliver(st, A, big, NOW - 8 * DAY), 4);
	assert_int_equal(store_test_deliver(st, A, big, NOW - 6 * DAY), 5);
	/* A tmp/ leftover 37 h old (EXP-4) and a fresh one. */
	snprintf(tmpf, sizeof(tmpf), "%s/%s/tmp/old", env.root, A);
	close(open(tmpf, O_CREAT | O_WRONLY, 0600));
	struct timeval tv[2] = {{NOW - 37 * 3600, 0}, {NOW - 37 * 3600, 0}};

	assert_int_equal(utimes(tmpf, tv), 0);
	snprintf(tmpf, sizeof(tmpf), "%s/%s/tmp/new", env.root, A);
	close(open(tmpf, O_CREAT | O_WRONLY, 0600));
	tv[0].tv_sec = tv[1].tv_sec = NOW - 3600;
	assert_int_equal(utimes(tmpf, tv), 0);

	/* Leftovers of a removal interrupted by a crash. */
	snprintf(tmpf, sizeof(tmpf), "%s/.chatrelay-deleted-x", env.root);
	assert_int_equal(mkdir(tmpf, 0700), 0);
	snprintf(tmpf, sizeof(tmpf), "%s/.chatrelay-deleted-x/file", env.root);
	close(open(tmpf, O_CREAT | O_WRONLY, 0600));
	snprintf(tmpf, sizeof(tmpf), "%s/.chatrelay-deleted-x", env.root);
	assert_int_equal(store_submit(st, 0, expire_work, NULL, &stats), 0);
	assert_int_equal(access(tmpf, F_OK), -1);
	assert_int_equal(stats.old, 1);
	assert_int_equal(stats.large, 1);
	assert_int_equal(stats.tmp, 1);
	assert_int_equal(expunged, 2);
	assert_int_equal(store_mailbox_snapshot(mb, NULL, &snap), 0);
	assert_int_equal(snap.count, 3);
	assert_int_equal(snap.msgs[0].uid, 2);
	assert_int_equal(snap.msgs[1].uid, 4);
	assert_int_equal(snap.msgs[2].uid, 5);
	store_snapshot_free(&snap);
	assert_int_equal(store_quota_usage(st, A), 3 + 2 * 300000);
	store_mailbox_close(&mb);
	bus_unsubscribe(bus, &sub);
	store_free(&st);
	bus_free(&bus);
	free(big);
	store_test_env_free(&env);
}

static void
test_quota_trim_keeps_last_day(void **state)
{
	struct store_test_env env;
	struct store *st;
	struct store_mailbox *mb;
	struct store_snapshot snap;
	char *msg = body_of(10000);

	(void)state;
	assert_int_equal(store_test_env_init(&env,
	                         "max_mailbox_size = 100K\n"
	                         "delete_mails_after = 0\ndelete_large_after = 0\n"),
	        0);
	st = store_new(&env.conf, NULL, NULL);
	store_set_clock(st, test_clock, NULL);
	test_limit_value = 100000;
	store_set_limit(st, test_limit, NULL);
	/* 6 messages from 10..5 days ago in INBOX, 2 older ones in Archive, 2 from the last hours.
	 */
	for (int i = 0; i < 6; i++)
		assert_true(store_test_deliver(st, A, msg, NOW - (10 - i) * DAY) > 0);
	assert_int_equal(store_mailbox_create(st, A, "Archive"), 0);
	assert_int_equal(store_mailbox_open(st, A, "Archive", &mb), 0);
	for (int i = 0; i < 2; i++) {
		uint64_t size;
		uint32_t uid;
		int fd = store_test_spool(msg, &size);

		assert_int_equal(store_mailbox_append(mb, fd, size, NOW - (20 + i) * DAY, 0, NULL,
		                         0, 0, NULL, &uid),
		        0);
		close(fd);
	}
	store_mailbox_close(&mb);
	assert_true(store_test_deliver(st, A, msg, NOW - 3600) > 0);
	assert_true(store_test_deliver(st, A, msg, NOW - 60) > 0);
	assert_int_equal(store_quota_usage(st, A), 100000);
	assert_true(store_quota_would_exceed(st, A, 1, true, 100000));
	assert_true(store_quota_would_exceed(st, A, 0, false, 100000));
	assert_false(store_quota_would_exceed(st, A, 1, true, 0));

	/* 100 % > 75 %: trim to 70 %, oldest first (both Archive ones, then INBOX). */
	assert_int_equal(store_quota_trim(st, A, 100000, NULL), 3);
	assert_int_equal(store_quota_usage(st, A), 70000);
	assert_int_equal(store_mailbox_open(st, A, "Archive", &mb), 0);
	assert_int_equal(store_mailbox_snapshot(mb, NULL, &snap), 0);
	assert_int_equal(snap.count, 0);
	store_snapshot_free(&snap);
	store_mailbox_close(&mb);
	assert_int_equal(store_mailbox_open(st, A, "INBOX", &mb), 0);
	assert_int_equal(store_mailbox_snapshot(mb, NULL, &snap), 0);
	assert_int_equal(snap.count, 7);
	assert_int_equal(snap.msgs[0].internaldate, NOW - 9 * DAY);
	store_snapshot_free(&snap);
	/* Below the threshold: nothing happens. */
	assert_int_equal(store_quota_trim(st, A, 100000, NULL), 0);
	/* A tiny limit: everything older than 24 h goes, the last day stays (QUOTA-5). */
	assert_true(store_quota_trim(st, A, 20000, NULL) == 5);
	assert_int_equal(store_mailbox_snapshot(mb, NULL, &snap), 0);
	assert_int_equal(snap.count, 2);
	assert_true(snap.msgs[0].internaldate >= NOW - DAY);
	store_snapshot_free(&snap);
	store_mailbox_close(&mb);
	/* QUOTA-4: the rebuild from disk agrees with the running count. */
	uint64_t usage = store_quota_usage(st, A);

	store_free(&st);
	st = store_new(&env.conf, NULL, NULL);
	assert_int_equal(store_quota_usage(st, A), 0);
	assert_int_equal(store_quota_rebuild(st), 0);
	assert_int_equal(store_quota_usage(st, A), usage);
	store_free(&st);
	free(msg);
	store_test_env_free(&env);
}

/* A delivery that crosses the threshold schedules a background trim by itself. */
struct deliver_arg {
	const char *text;
	time_t when;
};

static void
deliver_work(struct store *st, void *arg, struct store_changes *ch)
{
	struct deliver_arg *d = arg;
	struct store_rcpt r = {.account = A};
	uint64_t size;
	int fd = store_test_spool(d->text, &size);

	store_deliver(st, fd, size, d->when, &r, 1, ch);
	close(fd);
}

static void
test_delivery_triggers_trim(void **state)
{
	struct store_test_env env;
	struct store *st;
	struct bus *bus = bus_new();
	char *msg = body_of(10000);

	(void)state;
	assert_int_equal(store_test_env_init(&env, "max_mailbox_size = 40000\n"), 0);
	st = store_new(&env.conf, NULL, bus);
	store_set_clock(st, test_clock, NULL);
	for (int i = 0; i < 4; i++) {
		struct deliver_arg d = {msg, NOW - (5 - i) * DAY};

		assert_int_equal(store_submit(st, 1, deliver_work, NULL, &d), 0);
	}
	/* 30000 <= 75 % of 40000 after three; the fourth (40000) trims down to 28000. */
	assert_int_equal(store_quota_usage(st, A), 20000);
	store_free(&st);
	bus_free(&bus);
	free(msg);
	store_test_env_free(&env);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_expiry_rules),
	        cmocka_unit_test(test_quota_trim_keeps_last_day),
	        cmocka_unit_test(test_delivery_triggers_trim),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
