/*
 * test_bus.c - the change bus: matching by account and mailbox,
 * subscribing and unsubscribing from inside a callback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "bus/bus.h"

struct counter {
	int calls;
	struct bus *bus;
	struct bus_sub **self; /* unsubscribe this one when called */
	struct bus_sub **other;
};

static void
counter_cb(const struct bus_event *ev, void *ctx)
{
	struct counter *c = ctx;

	(void)ev;
	c->calls++;
	if (c->self != NULL)
		bus_unsubscribe(c->bus, c->self);
	if (c->other != NULL)
		bus_unsubscribe(c->bus, c->other);
}

static void
test_matching(void **state)
{
	struct bus *b = bus_new();
	struct counter all = {0}, inbox = {0}, sent = {0}, bob = {0};
	struct bus_sub *s1 = bus_subscribe(b, "a@x", NULL, counter_cb, &all);
	struct bus_sub *s2 = bus_subscribe(b, "a@x", "INBOX", counter_cb, &inbox);
	struct bus_sub *s3 = bus_subscribe(b, "a@x", "Sent", counter_cb, &sent);
	struct bus_sub *s4 = bus_subscribe(b, "b@x", NULL, counter_cb, &bob);
	struct bus_event ev = {.kind = BUS_EVENT_NEW, .account = "a@x", .mailbox = "INBOX"};

	(void)state;
	bus_publish(b, &ev);
	assert_int_equal(all.calls, 1);
	assert_int_equal(inbox.calls, 1);
	assert_int_equal(sent.calls, 0);
	assert_int_equal(bob.calls, 0);
	ev.kind = BUS_EVENT_ACCOUNT_DELETED;
	ev.mailbox = NULL;
	bus_publish(b, &ev);
	assert_int_equal(sent.calls, 1); /* account events reach mailbox subscribers */
	ev.kind = BUS_EVENT_MAILBOX_RENAMED;
	ev.mailbox = "Old";
	ev.new_name = "Sent";
	bus_publish(b, &ev);
	assert_int_equal(sent.calls, 2);
	assert_int_equal(bus_subscriber_count(b, "a@x"), 3);
	assert_string_equal(bus_event_kind_name(BUS_EVENT_EXPUNGE), "expunge");
	bus_unsubscribe(b, &s1);
	assert_null(s1);
	bus_unsubscribe(b, &s2);
	bus_unsubscribe(b, &s3);
	bus_unsubscribe(b, &s4);
	bus_unsubscribe(b, &s4); /* NULL is fine */
	assert_int_equal(bus_subscriber_count(b, "a@x"), 0);
	bus_free(&b);
	assert_null(b);
}

static void
test_unsubscribe_inside_callback(void **state)
{
	struct bus *b = bus_new();
	struct counter c1 = {0}, c2 = {0};
	struct bus_sub *s1, *s2;
	struct bus_event ev = {.kind = BUS_EVENT_FLAGS, .account = "a@x", .mailbox = "INBOX"};

	(void)state;
	s1 = bus_subscribe(b, "a@x", NULL, counter_cb, &c1);
	s2 = bus_subscribe(b, "a@x", NULL, counter_cb, &c2);
	/* The first callback removes itself and the second: the second is not called. */
	c1.bus = b;
	c1.self = &s1;
	c1.other = &s2;
	bus_publish(b, &ev);
	assert_int_equal(c1.calls, 1);
	assert_int_equal(c2.calls, 0);
	assert_null(s1);
	assert_null(s2);
	bus_publish(b, &ev);
	assert_int_equal(c1.calls, 1);
	assert_int_equal(bus_subscriber_count(b, "a@x"), 0);
	bus_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_matching),
	        cmocka_unit_test(test_unsubscribe_inside_callback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
