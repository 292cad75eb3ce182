/*
 * test_imap_view.c - the per-session mailbox view (IMAP-40, IMAP-49,
 * IMAP-50): events older than the snapshot are dropped, new messages wait
 * for their EXISTS, expunges keep sequence numbers until announced, own
 * flag changes are not reported again; SEARCH evaluation on index data.
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_and_stale_events),
		cmocka_unit_test(test_expunge_keeps_sequence_numbers),
		cmocka_unit_test(test_own_flag_changes_not_dirty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
