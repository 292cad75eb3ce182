/*
 * test_conn_dormant.c - connection dormancy (net_conn.h, issue 9): a conn
 * whose protocol allows it gives up its bufferevent once the output is
 * flushed, and input, writes and the read timeout bring it back without the
 * protocol noticing. With a real libevent loop over a socketpair; every
 * loop is bounded in turns and time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/core_conf.h"
#include "net/net_server.h"

struct dormant_fixture {
	struct conf conf;
	struct server *srv;
	struct listener lst;
	struct conn *c;
	int peer;      /* the client's end of the socketpair */
	int session;   /* stands in for a protocol session */
	char last[64]; /* the last line the protocol read */
	int lines;
	int timeouts;
	int frees;
};

static struct dormant_fixture *dormant_current;

static int
dormant_start(struct conn *c)
{
	c->session = &dormant_current->session;
	conn_printf(c, "hello\r\n");
	return 0;
}

static void
dormant_on_read(struct conn *c)
{
	char line[64];
	size_t len;

	while (conn_read_line(c, line, sizeof(line), &len) == CONN_LINE_OK) {
		snprintf(dormant_current->last, sizeof(dormant_current->last), "%s", line);
		dormant_current->lines++;
		conn_printf(c, "echo %s\r\n", line);
	}
}

static void
dormant_on_timeout(struct conn *c)
{
	dormant_current->timeouts++;
	conn_printf(c, "still here\r\n");
	conn_resume_reading(c);
}

static void
dormant_free_session(struct conn *c)
{
	dormant_current->frees++;
	c->session = NULL;
}

static const struct proto_ops dormant_ops = {
        .name = "dormant-test",
        .start = dormant_start,
        .on_read = dormant_on_read,
        .on_timeout = dormant_on_timeout,
        .free_session = dormant_free_session,
};

static int
dormant_setup(void **state)
{
	struct dormant_fixture *f = calloc(1, sizeof(*f));
	struct sockaddr_storage ss;
	int sv[2];

	assert_non_null(f);
	dormant_current = f;
	assert_int_equal(conf_init(&f->conf), 0);
	f->conf.threads = 1;
	f->srv = server_new(&f->conf);
	assert_non_null(f->srv);
	f->lst.kind = LISTENER_IMAP;
	f->lst.cls = CONN_CLASS_IMAP;
	f->lst.name = "imap";
	server_set_proto(f->srv, LISTENER_IMAP, &dormant_ops);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	f->peer = sv[1];
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	f->c = conn_new(f->srv, &f->lst, sv[0], (struct sockaddr *)&ss, sizeof(ss));
	assert_non_null(f->c);
	conn_begin(f->c);
	*state = f;
	return 0;
}

static int
dormant_teardown(void **state)
{
	struct dormant_fixture *f = *state;

	server_free(&f->srv); /* frees a conn still open */
	close(f->peer);
	conf_free(&f->conf);
	free(f);
	dormant_current = NULL;
	return 0;
}

/* dormant_turns - run the loop without blocking, at most n turns. */
static void
dormant_turns(struct dormant_fixture *f, int n)
{
	for (int i = 0; i < n; i++)
		event_base_loop(f->srv->base, EVLOOP_NONBLOCK);
}

/* dormant_until - run the loop until the conn's dormancy is want, at most turns x 10 ms. */
static bool
dormant_until(struct dormant_fixture *f, bool want, int turns)
{
	struct timespec nap = {0, 10 * 1000 * 1000};

	for (int i = 0; i < turns; i++) {
		event_base_loop(f->srv->base, EVLOOP_NONBLOCK);
		if (conn_is_dormant(f->c) == want)
			return true;
		nanosleep(&nap, NULL);
	}
	return false;
}

/* dormant_read - what the peer has received so far (NUL-terminated), at most ~4 s for want. */
static void
dormant_read(struct dormant_fixture *f, const char *want, char *buf, size_t size)
{
	struct timespec nap = {0, 10 * 1000 * 1000};
	size_t got = 0;

	buf[0] = '\0';
	for (int i = 0; i < 400 && strstr(buf, want) == NULL; i++) {
		ssize_t n;

		event_base_loop(f->srv->base, EVLOOP_NONBLOCK);
		n = recv(f->peer, buf + got, size - 1 - got, MSG_DONTWAIT);
		if (n > 0) {
			got += (size_t)n;
			buf[got] = '\0';
		} else {
			nanosleep(&nap, NULL);
		}
	}
	assert_non_null(strstr(buf, want));
}

static void
test_awake_without_permission(void **state)
{
	struct dormant_fixture *f = *state;
	char buf[256];

	dormant_read(f, "hello\r\n", buf, sizeof(buf));
	assert_false(dormant_until(f, true, 30)); /* a few turns suffice when allowed */
	assert_non_null(f->c->bev);
}

static void
test_sleeps_once_flushed_and_wakes_for_input(void **state)
{
	struct dormant_fixture *f = *state;
	char buf[256];

	conn_set_may_sleep(f->c, true); /* the greeting may still be queued */
	dormant_read(f, "hello\r\n", buf, sizeof(buf));
	assert_true(dormant_until(f, true, 400));
	assert_null(f->c->bev);
	assert_int_equal(conn_output_len(f->c), 0);
	/* Input wakes it; the protocol reads the line as usual, then it sleeps again. */
	assert_int_equal(send(f->peer, "ping\r\n", 6, 0), 6);
	dormant_read(f, "echo ping\r\n", buf, sizeof(buf));
	assert_string_equal(f->last, "ping");
	assert_true(dormant_until(f, true, 400));
	/* A write from elsewhere (a bus update) wakes it too. */
	conn_printf(f->c, "update\r\n");
	assert_false(conn_is_dormant(f->c));
	dormant_read(f, "update\r\n", buf, sizeof(buf));
	assert_true(dormant_until(f, true, 400));
	/* Not allowed any more: it stays awake after the next wake-up. */
	conn_set_may_sleep(f->c, false);
	assert_int_equal(send(f->peer, "x\r\n", 3, 0), 3);
	dormant_read(f, "echo x\r\n", buf, sizeof(buf));
	assert_false(dormant_until(f, true, 30)); /* a few turns suffice when allowed */
}

static void
test_read_timeout_while_dormant(void **state)
{
	struct dormant_fixture *f = *state;
	char buf[256];

	conn_set_read_timeout(f->c, 1);
	conn_set_may_sleep(f->c, true);
	dormant_read(f, "hello\r\n", buf, sizeof(buf));
	assert_true(dormant_until(f, true, 400));
	/* The protocol's on_timeout runs as with a bufferevent timeout, then it sleeps again. */
	dormant_read(f, "still here\r\n", buf, sizeof(buf));
	assert_int_equal(f->timeouts, 1);
	assert_true(dormant_until(f, true, 400));
	dormant_read(f, "still here\r\n", buf, sizeof(buf));
	assert_int_equal(f->timeouts, 2);
}

static void
test_peer_gone_while_dormant(void **state)
{
	struct dormant_fixture *f = *state;
	char buf[256];
	struct timespec nap = {0, 10 * 1000 * 1000};
	uint64_t id = f->c->id;

	conn_set_may_sleep(f->c, true);
	dormant_read(f, "hello\r\n", buf, sizeof(buf));
	assert_true(dormant_until(f, true, 400));
	close(f->peer);
	f->peer = -1;
	for (int i = 0; i < 400 && f->frees == 0; i++) {
		dormant_turns(f, 1);
		nanosleep(&nap, NULL);
	}
	assert_int_equal(f->frees, 1);
	assert_null(conn_lookup(f->srv, id));
	assert_int_equal(f->srv->conn_count, 0);
}

static void
test_close_while_dormant(void **state)
{
	struct dormant_fixture *f = *state;
	char buf[256];

	conn_set_may_sleep(f->c, true);
	dormant_read(f, "hello\r\n", buf, sizeof(buf));
	assert_true(dormant_until(f, true, 400));
	/* A goodbye written while dormant is flushed before the close (GEN-6). */
	conn_printf(f->c, "bye\r\n");
	conn_close(f->c);
	dormant_read(f, "bye\r\n", buf, sizeof(buf));
	dormant_turns(f, 5);
	assert_int_equal(f->frees, 1);
	assert_int_equal(f->srv->conn_count, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(
	                test_awake_without_permission, dormant_setup, dormant_teardown),
	        cmocka_unit_test_setup_teardown(test_sleeps_once_flushed_and_wakes_for_input,
	                dormant_setup, dormant_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_read_timeout_while_dormant, dormant_setup, dormant_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_peer_gone_while_dormant, dormant_setup, dormant_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_close_while_dormant, dormant_setup, dormant_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
