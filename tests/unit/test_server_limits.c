/*
 * test_server_limits.c - NET-4 admission: class totals, per-client limit,
 * loopback exemption, IPv6 /64 keys, release on unregister.
 *
 * Non-loopback clients cannot be made on the test machine's loopback, so
 * the admission code is driven here with connections built by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_conf.h"
#include "net/net_server.h"

struct limits_fixture {
	struct conf conf;
	struct server *srv;
	struct listener smtp, imap;
};

static int
limits_setup(void **state)
{
	struct limits_fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(conf_init(&f->conf), 0);
	f->conf.max_smtp_connections = 3;
	f->conf.max_imap_connections = 5;
	f->conf.max_connections_per_ip = 2;
	f->conf.threads = 1;
	f->srv = server_new(&f->conf);
	assert_non_null(f->srv);
	f->smtp.cls = CONN_CLASS_SMTP;
	f->smtp.name = "smtp";
	f->imap.cls = CONN_CLASS_IMAP;
	f->imap.name = "imap";
	*state = f;
	return 0;
}

static int
limits_teardown(void **state)
{
	struct limits_fixture *f = *state;

	server_free(&f->srv);
	conf_free(&f->conf);
	free(f);
	return 0;
}

/* limits_conn - a registered connection as the accept path makes it. */
static struct conn *
limits_conn(struct limits_fixture *f, const struct listener *l, const char *key, bool is_loopback)
{
	struct conn *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->srv = f->srv;
	c->lst = l;
	c->is_loopback = is_loopback;
	snprintf(c->ip_key, sizeof(c->ip_key), "%s", key);
	server_conn_register(f->srv, c);
	return c;
}

static void
limits_drop(struct limits_fixture *f, struct conn *c)
{
	server_conn_unregister(f->srv, c);
	free(c);
}

static void
test_per_ip_limit_and_release(void **state)
{
	struct limits_fixture *f = *state;
	struct conn *a = limits_conn(f, &f->imap, "192.0.2.1", false);
	struct conn *b = limits_conn(f, &f->imap, "192.0.2.1", false);
	struct conn *c = limits_conn(f, &f->smtp, "192.0.2.1", false);
	struct conn *other = limits_conn(f, &f->imap, "192.0.2.2", false);

	assert_true(server_conn_admit(f->srv, a));
	assert_true(server_conn_admit(f->srv, b));
	/* the per-client limit spans all listeners */
	assert_false(server_conn_admit(f->srv, c));
	assert_true(server_conn_admit(f->srv, other));
	limits_drop(f, a);
	limits_drop(f, c);
	c = limits_conn(f, &f->smtp, "192.0.2.1", false);
	assert_true(server_conn_admit(f->srv, c));
	limits_drop(f, b);
	limits_drop(f, c);
	limits_drop(f, other);
	assert_int_equal(f->srv->class_count[CONN_CLASS_IMAP], 0);
	assert_int_equal(f->srv->class_count[CONN_CLASS_SMTP], 0);
}

static void
test_loopback_exempt_from_per_ip_only(void **state)
{
	struct limits_fixture *f = *state;
	struct conn *conns[4];

	for (int i = 0; i < 4; i++)
		conns[i] = limits_conn(f, &f->smtp, "127.0.0.1", true);
	for (int i = 0; i < 3; i++)
		assert_true(server_conn_admit(f->srv, conns[i]));
	/* max_smtp_connections still applies to loopback clients */
	assert_false(server_conn_admit(f->srv, conns[3]));
	for (int i = 0; i < 4; i++)
		limits_drop(f, conns[i]);
}

static void
test_class_totals_are_separate(void **state)
{
	struct limits_fixture *f = *state;
	struct conn *smtp[3], *imap;

	for (int i = 0; i < 3; i++) {
		char key[32];

		snprintf(key, sizeof(key), "198.51.100.%d", i);
		smtp[i] = limits_conn(f, &f->smtp, key, false);
		assert_true(server_conn_admit(f->srv, smtp[i]));
	}
	imap = limits_conn(f, &f->imap, "198.51.100.9", false);
	assert_true(server_conn_admit(f->srv, imap));
	for (int i = 0; i < 3; i++)
		limits_drop(f, smtp[i]);
	limits_drop(f, imap);
}

static void
test_lookup_by_id(void **state)
{
	struct limits_fixture *f = *state;
	struct conn *c[2000];

	/* more than the initial table size: the id table grows */
	for (int i = 0; i < 2000; i++)
		c[i] = limits_conn(f, &f->imap, "203.0.113.1", false);
	for (int i = 0; i < 2000; i++)
		assert_ptr_equal(conn_lookup(f->srv, c[i]->id), c[i]);
	c[7]->is_closing = true;
	assert_null(conn_lookup(f->srv, c[7]->id));
	for (int i = 0; i < 2000; i++) {
		uint64_t id = c[i]->id;

		limits_drop(f, c[i]);
		assert_null(conn_lookup(f->srv, id));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_per_ip_limit_and_release, limits_setup,
			limits_teardown),
		cmocka_unit_test_setup_teardown(test_loopback_exempt_from_per_ip_only, limits_setup,
			limits_teardown),
		cmocka_unit_test_setup_teardown(test_class_totals_are_separate, limits_setup,
			limits_teardown),
		cmocka_unit_test_setup_teardown(test_lookup_by_id, limits_setup, limits_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
