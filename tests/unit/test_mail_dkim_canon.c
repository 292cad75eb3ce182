/*
 * test_mail_dkim_canon.c - unit tests for src/mail/mail_dkim_canon.c:
 * RFC 6376 3.4.5 examples, simple/relaxed edge cases, the body
 * canonicaliser fed in every possible split, header-section splitting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail_dkim_canon.h"

struct test_sink {
	char buf[8192];
	size_t len;
};

static void
test_sink_cb(void *ctx, const void *data, size_t n)
{
	struct test_sink *s = ctx;

	assert_true(n > 0);
	assert_true(s->len + n <= sizeof(s->buf));
	memcpy(s->buf + s->len, data, n);
	s->len += n;
}

/* test_body - canonicalise body in one piece; returns a static copy (NUL-terminated). */
static const char *
test_body(enum mail_dkim_canon canon, const char *body, size_t len)
{
	static struct test_sink sink;
	struct mail_dkim_body b;
	uint64_t total;

	memset(&sink, 0, sizeof(sink));
	mail_dkim_body_init(&b, canon, test_sink_cb, &sink);
	mail_dkim_body_feed(&b, body, len);
	total = mail_dkim_body_finish(&b);
	assert_int_equal(total, sink.len);
	sink.buf[sink.len] = '\0';
	return sink.buf;
}

#define BODY(c, s) test_body((c), (s), sizeof(s) - 1)

static char *
test_header(enum mail_dkim_canon canon, const char *field)
{
	char *out = NULL;
	size_t len;

	assert_int_equal(mail_dkim_canon_header(canon, field, strlen(field), &out, &len), 0);
	assert_int_equal(strlen(out), len);
	return out;
}

/* RFC 6376 3.4.5, header part: both fields, relaxed and simple. */
static void
test_rfc6376_345_header(void **state)
{
	const char *a = "A: X\r\n";
	const char *b = "B : Y\t\r\n\tZ  \r\n";
	char *out;

	(void)state;
	out = test_header(MAIL_DKIM_CANON_RELAXED, a);
	assert_string_equal(out, "a:X\r\n");
	free(out);
	out = test_header(MAIL_DKIM_CANON_RELAXED, b);
	assert_string_equal(out, "b:Y Z\r\n");
	free(out);
	out = test_header(MAIL_DKIM_CANON_SIMPLE, a);
	assert_string_equal(out, a);
	free(out);
	out = test_header(MAIL_DKIM_CANON_SIMPLE, b);
	assert_string_equal(out, b);
	free(out);
}

/* RFC 6376 3.4.5, body part. */
static void
test_rfc6376_345_body(void **state)
{
	static const char body[] = " C \r\nD \t E\r\n\r\n\r\n";

	(void)state;
	assert_string_equal(BODY(MAIL_DKIM_CANON_RELAXED, body), " C\r\nD E\r\n");
	assert_string_equal(BODY(MAIL_DKIM_CANON_SIMPLE, body), " C \r\nD \t E\r\n");
}

static void
test_body_empty(void **state)
{
	(void)state;
	/* 3.4.3: an empty body is one CRLF for simple; 3.4.4: empty for relaxed. */
	assert_string_equal(BODY(MAIL_DKIM_CANON_SIMPLE, ""), "\r\n");
	assert_string_equal(BODY(MAIL_DKIM_CANON_RELAXED, ""), "");
	assert_string_equal(BODY(MAIL_DKIM_CANON_SIMPLE, "\r\n\r\n\r\n"), "\r\n");
	assert_string_equal(BODY(MAIL_DKIM_CANON_RELAXED, "\r\n\r\n\r\n"), "");
	/* Lines of only white space are empty for relaxed, content for simple. */
	assert_string_equal(BODY(MAIL_DKIM_CANON_RELAXED, " \t\r\n \r\n"), "");
	assert_string_equal(BODY(MAIL_DKIM_CANON_SIMPLE, " \t\r\n \r\n"), " \t\r\n \r\n");
}

static void
test_body_edges(void **state)
{
	(void)state;
	/* A missing final line end is added. */
	assert_string_equal(BODY(MAIL_DKIM_CANON_SIMPLE, "abc"), "abc\r\n");
	assert_string_equal(BODY(MAIL_DKIM_CANON_RELAXED, "abc  "), "abc\r\n");
	/* Empty lines in the middle stay. */
	assert_string_equal(
	        BODY(MAIL_DKIM_CANON_RELAXED, "a\r\n\r\n\r\nb\r\n\r\n"), "a\r\n\r\n\r\nb\r\n");
	/* Leading white space becomes one SP (relaxed). */
	assert_string_equal(BODY(MAIL_DKIM_CANON_RELAXED, "\t\t x\t y \r\n"), " x y\r\n");
	/* Bare LF ends a line like CRLF; a lone CR is an ordinary octet. */
	assert_string_equal(BODY(MAIL_DKIM_CANON_SIMPLE, "a\nb\n\n"), "a\r\nb\r\n");
	assert_string_equal(BODY(MAIL_DKIM_CANON_SIMPLE, "a\rb\r\n"), "a\rb\r\n");
	assert_string_equal(BODY(MAIL_DKIM_CANON_RELAXED, "a \r b\r\n"), "a \r b\r\n");
	assert_string_equal(BODY(MAIL_DKIM_CANON_SIMPLE, "a\r"), "a\r\r\n");
	/* NUL and 8-bit octets are content. */
	assert_int_equal(test_body(MAIL_DKIM_CANON_RELAXED, "\0\xff\r\n", 4)[1], '\xff');
}

/* Every split of the body into two chunks, and byte by byte, equals one piece. */
static void
test_body_every_split(void **state)
{
	static const char body[] =
	        "  Hi. \r\n\r\nWe  lost\tthe game.\r\n \r\n\rx\n.\r\n\r\n \t \r\n";
	const size_t len = sizeof(body) - 1;

	(void)state;
	for (int c = 0; c < 2; c++) {
		enum mail_dkim_canon canon = c ? MAIL_DKIM_CANON_RELAXED : MAIL_DKIM_CANON_SIMPLE;
		char whole[512];
		struct test_sink sink;
		struct mail_dkim_body b;

		strcpy(whole, test_body(canon, body, len));
		for (size_t cut = 0; cut <= len; cut++) {
			memset(&sink, 0, sizeof(sink));
			mail_dkim_body_init(&b, canon, test_sink_cb, &sink);
			mail_dkim_body_feed(&b, body, cut);
			mail_dkim_body_feed(&b, body + cut, len - cut);
			mail_dkim_body_finish(&b);
			sink.buf[sink.len] = '\0';
			assert_string_equal(sink.buf, whole);
		}
		memset(&sink, 0, sizeof(sink));
		mail_dkim_body_init(&b, canon, test_sink_cb, &sink);
		for (size_t i = 0; i < len; i++)
			mail_dkim_body_feed(&b, body + i, 1);
		mail_dkim_body_finish(&b);
		sink.buf[sink.len] = '\0';
		assert_string_equal(sink.buf, whole);
	}
}

/* Long runs without white space (passed through without copying) and their splits. */
static void
test_body_long_runs(void **state)
{
	static char body[3600];
	static char want[3600];
	struct test_sink *sink = calloc(1, sizeof(*sink));
	struct mail_dkim_body b;

	(void)state;
	assert_non_null(sink);
	memset(body, 'x', 2000);
	memcpy(body + 2000, "  \r\n", 4);
	memset(body + 2004, 'y', 1500);
	memcpy(body + 3504, "\r\n", 2);
	memcpy(want, body, 2000);
	memcpy(want + 2000, "\r\n", 2);
	memcpy(want + 2002, body + 2004, 1502);
	for (size_t cut = 0; cut <= 3506; cut += 7) {
		memset(sink, 0, sizeof(*sink));
		mail_dkim_body_init(&b, MAIL_DKIM_CANON_RELAXED, test_sink_cb, sink);
		mail_dkim_body_feed(&b, body, cut);
		mail_dkim_body_feed(&b, body + cut, 3506 - cut);
		assert_int_equal(mail_dkim_body_finish(&b), 3504);
		assert_memory_equal(sink->buf, want, 3504);
	}
	free(sink);
}

/* A body larger than the staging buffer comes out whole. */
static void
test_body_large(void **state)
{
	static char body[6000];
	const char *out;

	(void)state;
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (i % 60 == 59) ? '\n' : (char)('a' + i % 26);
	out = test_body(MAIL_DKIM_CANON_SIMPLE, body, sizeof(body));
	assert_int_equal(strlen(out), sizeof(body) + sizeof(body) / 60);
}

static void
test_header_relaxed_edges(void **state)
{
	char *out;

	(void)state;
	/* Folding, runs of WSP, WSP around the colon, trailing WSP. */
	out = test_header(MAIL_DKIM_CANON_RELAXED, "SUBJect \t:  hello \t world\r\n  again \r\n");
	assert_string_equal(out, "subject:hello world again\r\n");
	free(out);
	/* An empty value. */
	out = test_header(MAIL_DKIM_CANON_RELAXED, "X-Empty:  \r\n");
	assert_string_equal(out, "x-empty:\r\n");
	free(out);
	/* Bare LF folding and no final line end. */
	out = test_header(MAIL_DKIM_CANON_RELAXED, "To: a,\n b");
	assert_string_equal(out, "to:a, b\r\n");
	free(out);
	out = test_header(MAIL_DKIM_CANON_SIMPLE, "To: a,\n b");
	assert_string_equal(out, "To: a,\r\n b\r\n");
	free(out);
	/* Only the name is lowercased. */
	out = test_header(MAIL_DKIM_CANON_RELAXED, "From: Joe <JOE@EXAMPLE.COM>\r\n");
	assert_string_equal(out, "from:Joe <JOE@EXAMPLE.COM>\r\n");
	free(out);
	assert_int_equal(
	        mail_dkim_canon_header(MAIL_DKIM_CANON_RELAXED, "nocolon", 7, &out, &(size_t){0}),
	        -1);
	assert_null(out);
}

static void
test_header_split(void **state)
{
	static const char msg[] = "From: a@b\r\nTo: c@d,\r\n e@f\r\nbogus line\r\n"
	                          "Subject : x\r\n\r\nbody\r\n";
	struct mail_dkim_header *h = calloc(1, sizeof(*h));
	const size_t len = sizeof(msg) - 1;

	(void)state;
	assert_non_null(h);
	assert_int_equal(mail_dkim_header_split(msg, len, false, h), MAIL_DKIM_PARSE_COMPLETE);
	assert_int_equal(h->count, 3);
	assert_int_equal(h->fields[1].len, strlen("To: c@d,\r\n e@f\r\n"));
	assert_true(mail_dkim_field_is(msg, &h->fields[2], "subject", 7));
	assert_false(mail_dkim_field_is(msg, &h->fields[2], "subjec", 6));
	assert_string_equal(msg + h->body_off, "body\r\n");
	/* Cut anywhere before the empty line: need more; at_eof: the header is all there is. */
	for (size_t cut = 0; cut < (size_t)(strstr(msg, "\r\n\r\n") - msg) + 4; cut++)
		assert_int_equal(mail_dkim_header_split(msg, cut, false, h), MAIL_DKIM_PARSE_MORE);
	assert_int_equal(
	        mail_dkim_header_split("A: b\r\nC: d", 10, true, h), MAIL_DKIM_PARSE_COMPLETE);
	assert_int_equal(h->count, 2);
	assert_int_equal(h->body_off, 10);
	/* No header at all. */
	assert_int_equal(mail_dkim_header_split("\r\nbody", 6, false, h), MAIL_DKIM_PARSE_COMPLETE);
	assert_int_equal(h->count, 0);
	assert_int_equal(h->body_off, 2);
	free(h);
}

static void
test_header_split_limits(void **state)
{
	struct mail_dkim_header *h = calloc(1, sizeof(*h));
	size_t n = (DKIM_FIELDS_MAX + 1) * 6 + 2;
	char *msg = malloc(n);

	(void)state;
	assert_non_null(h);
	assert_non_null(msg);
	for (size_t i = 0; i <= DKIM_FIELDS_MAX; i++)
		memcpy(msg + i * 6, "A: b\r\n", 6);
	memcpy(msg + n - 2, "\r\n", 2);
	assert_int_equal(mail_dkim_header_split(msg, n, false, h), MAIL_DKIM_PARSE_ERROR);
	free(msg);
	msg = malloc(DKIM_HEADER_MAX + 10);
	assert_non_null(msg);
	memset(msg, 'x', DKIM_HEADER_MAX + 10);
	assert_int_equal(
	        mail_dkim_header_split(msg, DKIM_HEADER_MAX + 10, false, h), MAIL_DKIM_PARSE_ERROR);
	free(msg);
	free(h);
}

/* The message reader: the same header and body for every split into two chunks. */
static void
test_msg_every_split(void **state)
{
	static const char msg[] = "From: a\r\nTo: b,\r\n c\r\n\r\nbody\r\n\r\nmore\r\n";
	const size_t len = sizeof(msg) - 1;

	(void)state;
	for (size_t cut = 0; cut <= len; cut++) {
		struct mail_dkim_msg m;
		char body[64];
		size_t body_len = 0;
		const char *part[2] = {msg, msg + cut};
		size_t part_len[2] = {cut, len - cut};

		assert_int_equal(mail_dkim_msg_init(&m), 0);
		for (int i = 0; i < 2; i++) {
			const char *b;
			size_t n;
			enum mail_dkim_parse rc =
			        mail_dkim_msg_feed(&m, part[i], part_len[i], &b, &n);

			assert_int_not_equal(rc, MAIL_DKIM_PARSE_ERROR);
			if (rc == MAIL_DKIM_PARSE_MORE)
				assert_int_equal(n, 0);
			memcpy(body + body_len, b, n);
			body_len += n;
		}
		assert_int_equal(mail_dkim_msg_finish(&m), MAIL_DKIM_PARSE_COMPLETE);
		assert_int_equal(m.h->count, 2);
		assert_int_equal(m.h->fields[1].len, strlen("To: b,\r\n c\r\n"));
		assert_memory_equal(m.buf, msg, m.h->body_off);
		assert_int_equal(body_len, strlen("body\r\n\r\nmore\r\n"));
		assert_memory_equal(body, "body\r\n\r\nmore\r\n", body_len);
		mail_dkim_msg_reset(&m);
	}
}

/* A header without an empty line ends at the end of the message; bare LF works too. */
static void
test_msg_edges(void **state)
{
	struct mail_dkim_msg m;
	const char *b;
	size_t n;

	(void)state;
	assert_int_equal(mail_dkim_msg_init(&m), 0);
	assert_int_equal(mail_dkim_msg_feed(&m, "A: 1\r\nB: 2", 10, &b, &n), MAIL_DKIM_PARSE_MORE);
	assert_int_equal(mail_dkim_msg_finish(&m), MAIL_DKIM_PARSE_COMPLETE);
	assert_int_equal(m.h->count, 2);
	mail_dkim_msg_reset(&m);
	assert_int_equal(mail_dkim_msg_init(&m), 0);
	assert_int_equal(mail_dkim_msg_feed(&m, "A: 1\n\nxy", 8, &b, &n), MAIL_DKIM_PARSE_COMPLETE);
	assert_int_equal(n, 2);
	assert_memory_equal(b, "xy", 2);
	assert_int_equal(mail_dkim_msg_feed(&m, "z", 1, &b, &n), MAIL_DKIM_PARSE_COMPLETE);
	assert_int_equal(n, 1);
	mail_dkim_msg_reset(&m);
	/* Empty message. */
	assert_int_equal(mail_dkim_msg_init(&m), 0);
	assert_int_equal(mail_dkim_msg_finish(&m), MAIL_DKIM_PARSE_COMPLETE);
	assert_int_equal(m.h->count, 0);
	mail_dkim_msg_reset(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rfc6376_345_header),
	        cmocka_unit_test(test_rfc6376_345_body),
	        cmocka_unit_test(test_body_empty),
	        cmocka_unit_test(test_body_edges),
	        cmocka_unit_test(test_body_every_split),
	        cmocka_unit_test(test_body_large),
	        cmocka_unit_test(test_body_long_runs),
	        cmocka_unit_test(test_header_relaxed_edges),
	        cmocka_unit_test(test_header_split),
	        cmocka_unit_test(test_header_split_limits),
	        cmocka_unit_test(test_msg_every_split),
	        cmocka_unit_test(test_msg_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
