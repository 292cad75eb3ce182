/*
 * test_queue_dsn.c - unit tests for src/queue/queue_dsn.c (DSN-2: golden
 * file tests/unit/data/queue_dsn.golden) and for the FED-3 reading of a
 * /mxdeliv answer (queue_http_apply).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue/queue_dsn.h"
#include "queue/queue_int.h"

static char *
test_read(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(65536);

	assert_non_null(f);
	assert_non_null(buf);
	*len_r = fread(buf, 1, 65536, f);
	fclose(f);
	return buf;
}

static void
test_golden(void **state)
{
	static const char header[] = "From: alice@example.org\r\nTo: bob@peer.test\r\n"
	                             "Message-ID: <m1@example.org>\r\nSubject: hi\r\n\r\n";
	static const char msg[] = "From: alice@example.org\r\nTo: bob@peer.test\r\n"
	                          "Message-ID: <m1@example.org>\r\nSubject: hi\r\n\r\nbody\r\n";
	const struct queue_dsn_rcpt rcpts[] = {
	        {"bob@peer.test", "550 5.1.1 <bob@peer.test> User unknown"},
	        {"carol@peer.test", QUEUE_SCHEDULE_EXPIRED_REASON},
	        {"dave@other.test", "550 5.7.1 Domain not allowed"},
	};
	struct queue_dsn d = {"example.org", "mail.example.org", "alice@example.org", 1700000000,
	        1700003600, "dsn-0123456789abcdef@example.org", "=_report_0123456789abcdef", rcpts,
	        3, header, sizeof(header) - 1};
	char *out, *golden;
	size_t len, glen;

	(void)state;
	assert_int_equal(queue_dsn_header_len(msg, sizeof(msg) - 1), sizeof(header) - 1);
	assert_int_equal(queue_dsn_render(&d, &out, &len), 0);
	if (getenv("QUEUE_DSN_WRITE_GOLDEN") != NULL) {
		FILE *f = fopen("tests/unit/data/queue_dsn.golden", "wb");
		fwrite(out, 1, len, f);
		fclose(f);
	}
	golden = test_read("tests/unit/data/queue_dsn.golden", &glen);
	assert_int_equal(len, glen);
	assert_memory_equal(out, golden, len);
	free(out);
	free(golden);
}

static void
test_status(void **state)
{
	char buf[16];

	(void)state;
	queue_dsn_status("550 5.1.1 unknown", buf, sizeof(buf));
	assert_string_equal(buf, "5.1.1");
	queue_dsn_status("4.4.7 Delivery time expired", buf, sizeof(buf));
	assert_string_equal(buf, "4.4.7");
	queue_dsn_status("554 no enhanced code", buf, sizeof(buf));
	assert_string_equal(buf, "5.0.0");
	queue_dsn_status("451 later", buf, sizeof(buf));
	assert_string_equal(buf, "4.0.0");
	queue_dsn_status(NULL, buf, sizeof(buf));
	assert_string_equal(buf, "5.0.0");
	queue_dsn_status("550 5.1.1234 bad", buf, sizeof(buf));
	assert_string_equal(buf, "5.0.0");
}

static void
test_header_len(void **state)
{
	(void)state;
	assert_int_equal(queue_dsn_header_len("A: b\nC: d\n\nbody", 15), 11);
	assert_int_equal(queue_dsn_header_len("A: b\r\nC: d", 10), 6); /* cut at a line end */
}

/* test_attempt - an attempt with two recipients, results preset to 4. */
static struct queue_attempt *
test_attempt(void)
{
	static char *rcpts[2];
	static struct queue_result results[2];
	static struct queue_attempt a;

	for (size_t i = 0; i < 2; i++) {
		free(results[i].reply);
		results[i].reply = NULL;
		results[i].cls = 4;
	}
	rcpts[0] = (char *)(uintptr_t) "bob@peer.test";
	rcpts[1] = (char *)(uintptr_t) "carol@peer.test";
	a.rcpts = rcpts;
	a.results = results;
	a.n = 2;
	return &a;
}

static void
test_http_answers(void **state)
{
	struct queue_attempt *a;
	static const char b507[] = "452 4.2.2 <carol@peer.test> Mailbox full\r\n";

	(void)state;
	a = test_attempt();
	assert_int_equal(queue_http_apply(a, 200, "250 2.0.0 OK", 12), 1);
	assert_int_equal(a->results[0].cls, 2);
	assert_int_equal(a->results[1].cls, 2);

	a = test_attempt();
	assert_int_equal(queue_http_apply(a, 507, b507, sizeof(b507) - 1), 1);
	assert_int_equal(a->results[0].cls, 2);
	assert_int_equal(a->results[1].cls, 4);
	assert_string_equal(a->results[1].reply, "452 4.2.2 <carol@peer.test> Mailbox full");

	a = test_attempt();
	assert_int_equal(queue_http_apply(a, 403, "550 5.7.1 no", 12), 1);
	assert_int_equal(a->results[0].cls, 5);
	assert_int_equal(a->results[1].cls, 5);
	assert_string_equal(a->results[0].reply, "550 5.7.1 no");

	a = test_attempt();
	assert_int_equal(queue_http_apply(a, 413, "552 5.3.4 too big\r\n", 19), 1);
	assert_int_equal(a->results[0].cls, 5);

	a = test_attempt();
	assert_int_equal(queue_http_apply(a, 400, "451 4.3.0 later", 15), 1);
	assert_int_equal(a->results[0].cls, 4);

	/* FED-3: anything else goes on with SMTP */
	a = test_attempt();
	assert_int_equal(queue_http_apply(a, 403, "forbidden", 9), 0);
	assert_int_equal(queue_http_apply(a, 404, "550 5.1.1 x", 11), 0);
	assert_int_equal(queue_http_apply(a, 500, "451 4.3.0 x", 11), 0);
	assert_int_equal(queue_http_apply(a, 403, "5500 x", 6), 0);
	test_attempt();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_golden),
	        cmocka_unit_test(test_status),
	        cmocka_unit_test(test_header_len),
	        cmocka_unit_test(test_http_answers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
