/*
 * test_imap_view.c - the per-session mailbox view (IMAP-40, IMAP-49,
 * IMAP-50): events older than the snapshot are dropped, new messages wait
 * for their EXISTS, expunges keep sequence numbers until announced, own
 * flag changes are not reported again; SEARCH evaluation on index data.
 * Memory (issue 9): no array for an empty mailbox, equal views of one
 * mailbox share one array, and a change copies it first (copy on write).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bus/bus.h"
#include "imap/imap_view.h"
#include "store/store.h"

static struct imap_view *
view_of(uint32_t n)
{
	struct store_msg msgs[8];
	char *kw[] = { (char *)(uintptr_t)"$Label1" };
	struct store_snapshot snap = { .uidvalidity = 7, .uidnext = n + 1, .highestmodseq = 10,
		.count = n, .msgs = msgs, .keyword_count = 1, .keywords = kw };
	uint32_t recent[] = { 2 };

	memset(msgs, 0, sizeof(msgs));
	for (uint32_t i = 0; i < n; i++) {
		msgs[i].uid = i + 1;
		msgs[i].modseq = 5 + i;
		msgs[i].size = 100;
	}
	return imap_view_new(&snap, recent, 1);
}

static void
test_new_and_stale_events(void **state)
{
	struct imap_view *v = view_of(3);
	struct bus_msg m[2] = { { .uid = 3, .modseq = 7 }, { .uid = 4, .modseq = 11 } };
	struct bus_event ev = { .kind = BUS_EVENT_NEW, .account = "a", .uidnext = 5,
		.highestmodseq = 11, .count = 2, .msgs = m };

	(void)state;
	assert_int_equal(imap_view_recent(v), 1);
	imap_view_apply(v, &ev, false);
	assert_int_equal(v->count, 3);
	assert_int_equal(v->new_count, 1); /* uid 3 was in the snapshot already */
	assert_int_equal(v->uidnext, 5);
	/* A flag event older than the snapshot's modseq changes nothing. */
	m[0] = (struct bus_msg){ .uid = 2, .flags = STORE_FLAG_SEEN, .modseq = 6 };
	ev.kind = BUS_EVENT_FLAGS;
	ev.count = 1;
	imap_view_apply(v, &ev, false);
	assert_int_equal(v->msgs[1].flags, 0);
	assert_int_equal(v->dirty, 0);
	m[0].modseq = 12;
	imap_view_apply(v, &ev, false);
	assert_int_equal(v->msgs[1].flags, STORE_FLAG_SEEN);
	assert_int_equal(v->dirty, 1);
	imap_view_free(&v);
	assert_null(v);
}

static void
test_expunge_keeps_sequence_numbers(void **state)
{
	struct imap_view *v = view_of(3);
	struct bus_msg m[2] = { { .uid = 2, .modseq = 20 }, { .uid = 9, .modseq = 20 } };
	struct bus_event ev = { .kind = BUS_EVENT_EXPUNGE, .account = "a", .count = 2, .msgs = m };

	(void)state;
	imap_view_apply(v, &ev, false);
	assert_int_equal(v->count, 3);
	assert_true(v->msgs[1].is_expunged);
	assert_int_equal(v->expunged, 1);
	assert_int_equal(imap_view_find(v, 3), 2);
	assert_int_equal(imap_view_find(v, 9), -1);
	imap_view_free(&v);
}

static void
test_own_flag_changes_not_dirty(void **state)
{
	struct imap_view *v = view_of(2);
	struct bus_msg m = { .uid = 1, .flags = STORE_FLAG_DELETED, .keywords = 1, .modseq = 30 };
	struct bus_event ev = { .kind = BUS_EVENT_FLAGS, .account = "a", .count = 1, .msgs = &m };
	char buf[128];

	(void)state;
	imap_view_apply(v, &ev, true);
	assert_int_equal(v->dirty, 0);
	imap_view_flags(v, v->msgs[0].flags, v->msgs[0].keywords, buf, sizeof(buf));
	assert_string_equal(buf, "\\Deleted $Label1");
	imap_view_free(&v);
}

/* view_plain - n messages, none recent for this session (as most IDLE sessions see them). */
static struct imap_view *
view_plain(uint32_t n)
{
	struct store_msg msgs[8];
	struct store_snapshot snap = { .uidvalidity = 7, .uidnext = n + 1, .highestmodseq = 10,
		.count = n, .msgs = msgs };

	memset(msgs, 0, sizeof(msgs));
	for (uint32_t i = 0; i < n; i++) {
		msgs[i].uid = i + 1;
		msgs[i].modseq = 5 + i;
		msgs[i].size = 100 + i;
	}
	return imap_view_new(&snap, NULL, 0);
}

static void
count_seq(void *arg, size_t seq)
{
	(void)seq;
	(*(size_t *)arg)++;
}

static void
count_dirty(void *arg, size_t seq, const struct imap_vmsg *m)
{
	(void)seq;
	(void)m;
	(*(size_t *)arg)++;
}

static void
test_empty_view_holds_no_array(void **state)
{
	struct imap_view *v = view_plain(0);
	static const int key;

	(void)state;
	assert_null(v->msgs);
	assert_null(v->keywords);
	imap_view_share(v, &key);
	assert_null(v->share);
	imap_view_free(&v);
}

static void
test_equal_views_share_one_array(void **state)
{
	static const int key, other_key;
	struct imap_view *a = view_plain(3), *b = view_plain(3), *c = view_plain(3);
	struct imap_view *d = view_plain(2);

	(void)state;
	imap_view_share(a, &key);
	imap_view_share(b, &key);
	imap_view_share(c, &other_key);
	imap_view_share(d, &key);
	assert_non_null(a->share);
	assert_ptr_equal(a->msgs, b->msgs);
	assert_ptr_not_equal(a->msgs, c->msgs); /* another mailbox */
	assert_ptr_not_equal(a->msgs, d->msgs); /* other content */
	imap_view_free(&a);
	/* b still reads the array a offered. */
	assert_int_equal(b->msgs[2].uid, 3);
	assert_int_equal(b->msgs[2].size, 102);
	imap_view_free(&b);
	imap_view_free(&c);
	imap_view_free(&d);
}

static void
test_change_copies_shared_array(void **state)
{
	static const int key;
	struct imap_view *a = view_plain(3), *b = view_plain(3);
	struct bus_msg m = { .uid = 2, .flags = STORE_FLAG_SEEN, .modseq = 40 };
	struct bus_event flags = { .kind = BUS_EVENT_FLAGS, .account = "a", .count = 1, .msgs = &m };
	struct bus_event expunge = { .kind = BUS_EVENT_EXPUNGE, .account = "a", .count = 1,
		.msgs = &m };
	size_t n = 0;

	(void)state;
	imap_view_share(a, &key);
	imap_view_share(b, &key);
	imap_view_apply(a, &flags, false);
	assert_null(a->share);
	assert_ptr_not_equal(a->msgs, b->msgs);
	assert_int_equal(a->msgs[1].flags, STORE_FLAG_SEEN);
	assert_int_equal(a->dirty, 1);
	assert_int_equal(b->msgs[1].flags, 0); /* b has not seen the event yet */
	assert_int_equal(b->dirty, 0);
	/* A stale event changes nothing and keeps b shared. */
	m.modseq = 1;
	imap_view_apply(b, &flags, false);
	assert_non_null(b->share);
	m.modseq = 40;
	imap_view_apply(b, &flags, false);
	imap_view_take_dirty(a, count_dirty, &n);
	imap_view_take_dirty(b, count_dirty, &n);
	assert_int_equal(n, 2);
	/* Both announced the same change: equal again, one array again. */
	imap_view_share(a, &key);
	imap_view_share(b, &key);
	assert_ptr_equal(a->msgs, b->msgs);
	/* An expunge seen by one view keeps the other's sequence numbers. */
	imap_view_apply(a, &expunge, false);
	n = 0;
	imap_view_take_expunged(a, count_seq, &n);
	assert_int_equal(n, 1);
	assert_int_equal(a->count, 2);
	assert_int_equal(b->count, 3);
	assert_int_equal(b->msgs[1].uid, 2);
	imap_view_free(&a);
	imap_view_free(&b);
}

static void
test_sole_holder_changes_in_place(void **state)
{
	static const int key;
	struct imap_view *a = view_plain(2);
	struct bus_msg m[2] = { { .uid = 3, .modseq = 50 }, { .uid = 4, .modseq = 51 } };
	struct bus_event ev = { .kind = BUS_EVENT_NEW, .account = "a", .uidnext = 5, .count = 2,
		.msgs = m };
	struct imap_vmsg *before;

	(void)state;
	imap_view_share(a, &key);
	assert_non_null(a->share);
	before = a->msgs;
	m[0].flags = STORE_FLAG_DELETED;
	ev.kind = BUS_EVENT_FLAGS;
	m[0].uid = 1;
	ev.count = 1;
	imap_view_apply(a, &ev, true);
	assert_null(a->share);
	assert_ptr_equal(a->msgs, before); /* taken back, not copied */
	/* Arrivals wait in news; announcing them frees that room. */
	m[0] = (struct bus_msg){ .uid = 3, .modseq = 50 };
	ev.kind = BUS_EVENT_NEW;
	ev.count = 2;
	imap_view_apply(a, &ev, false);
	assert_int_equal(a->new_count, 2);
	assert_int_equal(imap_view_take_news(a), 1);
	assert_int_equal(a->count, 4);
	assert_null(a->news);
	assert_int_equal(imap_view_take_news(a), 0);
	assert_int_equal(a->msgs[3].uid, 4);
	imap_view_free(&a);
}

static void
test_recent_view_not_offered(void **state)
{
	static const int key;
	struct imap_view *a = view_of(3), *b = view_of(3);

	(void)state;
	imap_view_share(a, &key); /* uid 2 is \Recent in this session only */
	imap_view_share(b, &key);
	assert_null(a->share);
	assert_null(b->share);
	assert_ptr_not_equal(a->msgs, b->msgs);
	imap_view_free(&a);
	imap_view_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_and_stale_events),
		cmocka_unit_test(test_expunge_keeps_sequence_numbers),
		cmocka_unit_test(test_own_flag_changes_not_dirty),
		cmocka_unit_test(test_empty_view_holds_no_array),
		cmocka_unit_test(test_equal_views_share_one_array),
		cmocka_unit_test(test_change_copies_shared_array),
		cmocka_unit_test(test_sole_holder_changes_in_place),
		cmocka_unit_test(test_recent_view_not_offered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
