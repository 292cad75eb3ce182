/*
 * test_queue_dotstuff.c - unit tests for src/queue/queue_dotstuff.c:
 * FED-5 dot-stuffing and CRLF normalisation, fed whole, in every two-piece
 * split and byte by byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "queue/queue_dotstuff.h"

/* test_stuff - run in chunks of size step (0: whole); returns a static NUL-terminated copy. */
static const char *
test_stuff(const char *in, size_t len, size_t step)
{
	static char out[4096];
	struct queue_dotstuff d;
	size_t n = 0;

	queue_dotstuff_init(&d);
	if (step == 0)
		step = len > 0 ? len : 1;
	for (size_t i = 0; i < len; i += step) {
		size_t k = len - i < step ? len - i : step;
		size_t w = queue_dotstuff_feed(&d, in + i, k, out + n);

		assert_true(w <= QUEUE_DOTSTUFF_OUT_MAX(k));
		n += w;
	}
	n += queue_dotstuff_finish(&d, out + n);
	out[n] = '\0';
	return out;
}

#define STUFF(s) test_stuff((s), sizeof(s) - 1, 0)

static void
test_cases(void **state)
{
	(void)state;
	assert_string_equal(STUFF(""), ".\r\n");
	assert_string_equal(STUFF("a\r\n"), "a\r\n.\r\n");
	assert_string_equal(STUFF("a"), "a\r\n.\r\n");
	assert_string_equal(STUFF(".\r\n"), "..\r\n.\r\n");
	assert_string_equal(STUFF(".a\r\n..b\r\nc.\r\n"), "..a\r\n...b\r\nc.\r\n.\r\n");
	/* Bare LF becomes CRLF and starts a line (so the dot after it is stuffed). */
	assert_string_equal(STUFF("a\n.\nb"), "a\r\n..\r\nb\r\n.\r\n");
	/* A lone CR is content and does not start a line. */
	assert_string_equal(STUFF("a\r.b\r\n"), "a\r.b\r\n.\r\n");
	assert_string_equal(STUFF("a\r\r\n"), "a\r\r\n.\r\n");
	/* A final CR ends the last line. */
	assert_string_equal(STUFF("a\r"), "a\r\n.\r\n");
	/* Empty lines and NUL/8-bit octets pass. */
	assert_string_equal(STUFF("\r\n\r\n"), "\r\n\r\n.\r\n");
	assert_int_equal(test_stuff("\0\xff", 2, 0)[1], '\xff');
}

static void
test_every_split(void **state)
{
	static const char in[] = ".x\r\n\n.\r\r\n..\rz\n\r\n.\r";
	const size_t len = sizeof(in) - 1;
	char whole[256];

	(void)state;
	strcpy(whole, test_stuff(in, len, 0));
	assert_string_equal(whole, "..x\r\n\r\n..\r\r\n...\rz\r\n\r\n..\r\n.\r\n");
	for (size_t step = 1; step <= len; step++)
		assert_string_equal(test_stuff(in, len, step), whole);
	for (size_t cut = 0; cut <= len; cut++) {
		struct queue_dotstuff d;
		char out[256];
		size_t n;

		queue_dotstuff_init(&d);
		n = queue_dotstuff_feed(&d, in, cut, out);
		n += queue_dotstuff_feed(&d, in + cut, len - cut, out + n);
		n += queue_dotstuff_finish(&d, out + n);
		out[n] = '\0';
		assert_string_equal(out, whole);
	}
}

/* Worst-case growth stays within the documented bounds. */
static void
test_bounds(void **state)
{
	static const char dots[] = "\n.\n.\n.\n.";
	struct queue_dotstuff d;
	char out[64];
	size_t n;

	(void)state;
	queue_dotstuff_init(&d);
	n = queue_dotstuff_feed(&d, dots, sizeof(dots) - 1, out);
	assert_true(n <= QUEUE_DOTSTUFF_OUT_MAX(sizeof(dots) - 1));
	assert_true(queue_dotstuff_finish(&d, out + n) <= QUEUE_DOTSTUFF_FINISH_MAX);
	/* A held CR from the last chunk plus a stuffed dot. */
	queue_dotstuff_init(&d);
	n = queue_dotstuff_feed(&d, "\r", 1, out);
	assert_int_equal(n, 0);
	n = queue_dotstuff_feed(&d, "\n", 1, out);
	assert_int_equal(n, 2);
	n = queue_dotstuff_feed(&d, ".", 1, out);
	assert_int_equal(n, 2);
	/* init resets for the next message. */
	queue_dotstuff_init(&d);
	assert_int_equal(queue_dotstuff_feed(&d, ".", 1, out), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_cases),
	        cmocka_unit_test(test_every_split),
	        cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
