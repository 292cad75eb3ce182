/*
 * test_smtp_data.c - the DATA reader (SMTP-8, SMTP-9), every input fed
 * whole, byte by byte and cut in two at every position.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/core_limits.h"
#include "smtp/smtp_data.h"

struct sink {
	char *buf;
	size_t len;
	size_t cap;
	int fail_after; /* callback fails after this many calls; -1 never */
	int calls;
};

static int
sink_cb(void *ctx, const char *data, size_t len)
{
	struct sink *s = ctx;

	if (s->fail_after >= 0 && s->calls++ >= s->fail_after)
		return -1;
	if (s->len + len > s->cap) {
		s->cap = (s->len + len) * 2;
		s->buf = realloc(s->buf, s->cap);
		assert_non_null(s->buf);
	}
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	return 0;
}

struct run {
	enum smtp_data_status status;
	enum smtp_data_error result;
	size_t used;
	struct sink out;
};

/* run_cut - feed in[0..len) in pieces: at cut (0: whole), or one octet at a time (step 1). */
static void
run_feed(const char *in, size_t len, uint64_t max, size_t cut, bool bytewise, struct run *r)
{
	struct smtp_data *d = malloc(sizeof(*d));
	size_t pos = 0;

	assert_non_null(d);
	memset(r, 0, sizeof(*r));
	r->out.fail_after = -1;
	smtp_data_init(d, max, sink_cb, &r->out);
	r->status = SMTP_DATA_NEED_MORE;
	while (pos < len && r->status == SMTP_DATA_NEED_MORE) {
		size_t n = bytewise ? 1 : (cut > pos ? cut - pos : len - pos), used;

		r->status = smtp_data_feed(d, in + pos, n, &used);
		assert_true(used <= n);
		if (r->status == SMTP_DATA_NEED_MORE)
			assert_int_equal(used, n);
		pos += used;
	}
	r->used = pos;
	r->result = r->status == SMTP_DATA_COMPLETE ? smtp_data_result(d) : SMTP_DATA_OK;
	free(d);
}

/* check - feed every way and compare with the expectation. */
static void
check(const char *in, size_t len, uint64_t max, enum smtp_data_status status,
        enum smtp_data_error result, const char *want, size_t want_len, size_t used)
{
	struct run r;

	for (size_t cut = 0; cut <= len + 1; cut++) {
		run_feed(in, len, max, cut, cut == len + 1, &r);
		assert_int_equal(r.status, status);
		assert_int_equal(r.used, used);
		if (status == SMTP_DATA_COMPLETE)
			assert_int_equal(r.result, result);
		if (want != NULL) {
			assert_int_equal(r.out.len, want_len);
			assert_memory_equal(r.out.buf == NULL ? "" : r.out.buf, want, want_len);
		}
		free(r.out.buf);
	}
}

/* CHECK_OK - in is one whole message including its end: all of it is consumed */
#define CHECK_OK(in, want)                                                                         \
	check(in, sizeof(in) - 1, 0, SMTP_DATA_COMPLETE, SMTP_DATA_OK, want, sizeof(want) - 1,     \
	        sizeof(in) - 1)

static void
test_data_simple(void **state)
{
	(void)state;
	CHECK_OK("Hello\r\n.\r\n", "Hello\r\n");
	CHECK_OK(".\r\n", "");
	CHECK_OK("a\r\n\r\nb\r\n.\r\n", "a\r\n\r\nb\r\n");
}

static void
test_data_dot_unstuffing(void **state)
{
	(void)state;
	CHECK_OK("..x\r\n.\r\n", ".x\r\n");
	CHECK_OK("...\r\n.\r\n", "..\r\n");
	CHECK_OK(".a\r\n.\r\n", "a\r\n");
	CHECK_OK("..\r\n.\r\n", ".\r\n");
	CHECK_OK("a.\r\n.b\r\n.\r\n", "a.\r\nb\r\n");
	/* ".\r" followed by something else is an ordinary (stuffed) line */
	CHECK_OK(".\rx\r\n.\r\n", "\rx\r\n");
	CHECK_OK(".\r\r\n.\r\n", "\r\r\n");
}

static void
test_data_line_ends(void **state)
{
	(void)state;
	/* a bare LF ends a line and is stored as CRLF (SMTP-8) */
	CHECK_OK("a\nb\r\n.\r\n", "a\r\nb\r\n");
	CHECK_OK("\n\r\n.\r\n", "\r\n\r\n");
	/* a bare CR is an ordinary octet */
	CHECK_OK("a\rb\r\n.\r\n", "a\rb\r\n");
	CHECK_OK("a\r\r\n.\r\n", "a\r\r\n");
	CHECK_OK("\r.\r\n.\r\n", "\r.\r\n");
	CHECK_OK("x\r\r\r\n.\r\n", "x\r\r\r\n");
}

static void
test_data_octets(void **state)
{
	static const char in[] = "a\0b\xff\x80\r\n.\r\n";
	static const char want[] = "a\0b\xff\x80\r\n";

	(void)state;
	check(in, sizeof(in) - 1, 0, SMTP_DATA_COMPLETE, SMTP_DATA_OK, want, sizeof(want) - 1,
	        sizeof(in) - 1);
}

static void
test_data_pipelined_rest(void **state)
{
	static const char in[] = "x\r\n.\r\nQUIT\r\n";

	(void)state;
	check(in, sizeof(in) - 1, 0, SMTP_DATA_COMPLETE, SMTP_DATA_OK, "x\r\n", 3, 6);
}

static void
test_data_unfinished(void **state)
{
	(void)state;
	check("abc\r\n", 5, 0, SMTP_DATA_NEED_MORE, SMTP_DATA_OK, "abc\r\n", 5, 5);
	check("abc\r\n.", 6, 0, SMTP_DATA_NEED_MORE, SMTP_DATA_OK, "abc\r\n", 5, 6);
	check("abc\r\n.\r", 7, 0, SMTP_DATA_NEED_MORE, SMTP_DATA_OK, "abc\r\n", 5, 7);
	/* a "." line ended by a bare LF is not the end (SMTP-8) */
	check("abc\r\n.\n", 7, 0, SMTP_DATA_NEED_MORE, SMTP_DATA_OK, NULL, 0, 7);
}

static void
test_data_smuggling(void **state)
{
	static const char a[] = "a\r\n.\nMAIL FROM:<x@y>\r\n.\r\n";
	static const char b[] = "a\n.\r\nMAIL FROM:<x@y>\r\n.\r\nNOOP\r\n";
	static const char c[] = ".\nb\r\n.\r\n";
	static const char d[] = "a\r\n\n.\r\n.\r\n";

	(void)state;
	/* "." with a bare LF: not the end, rejected after the real end */
	check(a, sizeof(a) - 1, 0, SMTP_DATA_COMPLETE, SMTP_DATA_ERR_BARE_LF, NULL, 0,
	        sizeof(a) - 1);
	/* "." after a line ended by a bare LF */
	check(b, sizeof(b) - 1, 0, SMTP_DATA_COMPLETE, SMTP_DATA_ERR_BARE_LF, NULL, 0,
	        sizeof(b) - 1 - 6);
	check(c, sizeof(c) - 1, 0, SMTP_DATA_COMPLETE, SMTP_DATA_ERR_BARE_LF, NULL, 0,
	        sizeof(c) - 1);
	check(d, sizeof(d) - 1, 0, SMTP_DATA_COMPLETE, SMTP_DATA_ERR_BARE_LF, NULL, 0,
	        sizeof(d) - 1);
	assert_string_equal(smtp_data_reply(SMTP_DATA_ERR_BARE_LF),
	        "554 5.5.2 Bare LF in message terminator not allowed");
}

static void
test_data_size_limit(void **state)
{
	static const char in[] = "0123456789\r\n0123456789\r\n.\r\nRSET\r\n";

	(void)state;
	/* 24 stored octets: exactly at the limit is fine */
	check(in, sizeof(in) - 1, 24, SMTP_DATA_COMPLETE, SMTP_DATA_OK, NULL, 0,
	        sizeof(in) - 1 - 6);
	/* over it: read to the end, nothing more stored, then 552 (SMTP-9) */
	check(in, sizeof(in) - 1, 23, SMTP_DATA_COMPLETE, SMTP_DATA_ERR_TOO_BIG, NULL, 0,
	        sizeof(in) - 1 - 6);
	assert_string_equal(smtp_data_reply(SMTP_DATA_ERR_TOO_BIG),
	        "552 5.3.4 Message size exceeds fixed maximum message size");
}

static void
test_data_size_drain_large(void **state)
{
	size_t n = 1000000, i = 0;
	char *in = malloc(n + 16);
	struct run r;

	(void)state;
	assert_non_null(in);
	while (i < n) {
		memcpy(in + i, "0123456789abcd\r\n", 16);
		i += 16;
	}
	memcpy(in + i, ".\r\n", 3);
	run_feed(in, i + 3, 1000, 4096, false, &r);
	assert_int_equal(r.status, SMTP_DATA_COMPLETE);
	assert_int_equal(r.result, SMTP_DATA_ERR_TOO_BIG);
	assert_int_equal(r.used, i + 3);
	assert_true(r.out.len <= 1000 + SMTP_DATA_OUT_BUF);
	free(r.out.buf);
	free(in);
}

static void
test_data_line_limit(void **state)
{
	size_t n = SMTP_DATA_LINE_MAX + 1;
	char *in = malloc(n + 8);
	struct run r;

	(void)state;
	assert_non_null(in);
	memset(in, 'a', n);
	memcpy(in + n, "\r\n.\r\n", 5);
	run_feed(in, n + 5, 0, 0, false, &r);
	assert_int_equal(r.result, SMTP_DATA_ERR_LINE);
	assert_int_equal(r.used, n + 5);
	free(r.out.buf);
	/* exactly the limit is fine */
	memcpy(in + n - 1, "\r\n.\r\n", 5);
	run_feed(in, n + 4, 0, 7, false, &r);
	assert_int_equal(r.result, SMTP_DATA_OK);
	assert_int_equal(r.out.len, n - 1 + 2);
	free(r.out.buf);
	free(in);
	assert_string_equal(smtp_data_reply(SMTP_DATA_ERR_LINE), "554 5.6.0 Message line too long");
}

static void
test_data_output_error(void **state)
{
	static const char in[] = "abc\r\ndef\r\n.\r\n";
	struct smtp_data *d = malloc(sizeof(*d));
	struct sink s = {.fail_after = 0};
	size_t used;

	(void)state;
	assert_non_null(d);
	smtp_data_init(d, 0, sink_cb, &s);
	assert_int_equal(smtp_data_feed(d, in, 5, &used), SMTP_DATA_NEED_MORE);
	assert_int_equal(smtp_data_feed(d, in + 5, sizeof(in) - 6, &used), SMTP_DATA_COMPLETE);
	assert_int_equal(used, sizeof(in) - 6);
	assert_int_equal(smtp_data_result(d), SMTP_DATA_ERR_OUTPUT);
	assert_null(smtp_data_reply(SMTP_DATA_ERR_OUTPUT));
	free(d);
}

static void
test_data_done_consumes_nothing(void **state)
{
	struct smtp_data *d = malloc(sizeof(*d));
	size_t used;

	(void)state;
	assert_non_null(d);
	smtp_data_init(d, 0, NULL, NULL);
	assert_int_equal(smtp_data_feed(d, ".\r\nX", 4, &used), SMTP_DATA_COMPLETE);
	assert_int_equal(used, 3);
	assert_int_equal(smtp_data_feed(d, "X", 1, &used), SMTP_DATA_COMPLETE);
	assert_int_equal(used, 0);
	assert_int_equal(smtp_data_result(d), SMTP_DATA_OK);
	free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_data_simple),
	        cmocka_unit_test(test_data_dot_unstuffing),
	        cmocka_unit_test(test_data_line_ends),
	        cmocka_unit_test(test_data_octets),
	        cmocka_unit_test(test_data_pipelined_rest),
	        cmocka_unit_test(test_data_unfinished),
	        cmocka_unit_test(test_data_smuggling),
	        cmocka_unit_test(test_data_size_limit),
	        cmocka_unit_test(test_data_size_drain_large),
	        cmocka_unit_test(test_data_line_limit),
	        cmocka_unit_test(test_data_output_error),
	        cmocka_unit_test(test_data_done_consumes_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
