/*
 * test_http_parse.c - unit tests of http/http_parse.c (RFC 9112 2-3, 5; HTTP-1).
 *
 * Every valid request is also fed cut at every byte, each prefix in its own
 * exactly sized heap buffer so that AddressSanitizer catches a read past
 * the end: the parser must answer "need more" until the empty line is in,
 * then the same result as for the whole input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_parse.h"

/* test_http_span_is - span content equals str (a NULL span equals nothing). */
static void
test_http_span_is(struct http_span s, const char *str)
{
	if (s.p == NULL || s.len != strlen(str) || memcmp(s.p, str, s.len) != 0)
		fail_msg("span '%.*s' != '%s'", s.p != NULL ? (int)s.len : 6,
		        s.p != NULL ? s.p : "(null)", str);
}

static void
test_http_spans_same(struct http_span a, struct http_span b)
{
	assert_int_equal(a.len, b.len);
	if (a.len > 0)
		assert_memory_equal(a.p, b.p, a.len);
}

/* test_http_same - two parse results agree field by field (they live in different buffers). */
static void
test_http_same(const struct http_request *a, const struct http_request *b)
{
	test_http_spans_same(a->method, b->method);
	test_http_spans_same(a->path, b->path);
	test_http_spans_same(a->query, b->query);
	assert_int_equal(a->version_minor, b->version_minor);
	assert_int_equal(a->header_count, b->header_count);
	for (size_t i = 0; i < a->header_count; i++) {
		test_http_spans_same(a->header_names[i], b->header_names[i]);
		test_http_spans_same(a->header_values[i], b->header_values[i]);
	}
	assert_true(a->content_length == b->content_length);
	assert_int_equal(a->has_transfer_encoding, b->has_transfer_encoding);
	assert_int_equal(a->is_keep_alive, b->is_keep_alive);
}

/*
 * test_http_ok - text (head, maybe followed by a body) parses; every prefix
 * shorter than the head needs more, every longer one gives the same result.
 * req gets the result of the whole text, which must stay alive meanwhile.
 */
static void
test_http_ok(const char *text, struct http_request *req)
{
	size_t len = strlen(text), head = http_head_length(text, len);
	struct http_request part;
	int status = 0;

	assert_true(head > 0);
	assert_int_equal(http_parse_head(text, len, req, &status), HTTP_PARSE_OK);
	for (size_t cut = 0; cut <= len; cut++) {
		char *buf = malloc(cut > 0 ? cut : 1);

		assert_non_null(buf);
		memcpy(buf, text, cut);
		if (cut < head) {
			assert_int_equal(http_head_length(buf, cut), 0);
			if (http_parse_head(buf, cut, &part, &status) != HTTP_PARSE_NEED_MORE)
				fail_msg("prefix of %zu octets did not need more", cut);
		} else {
			assert_int_equal(http_head_length(buf, cut), head);
			if (http_parse_head(buf, cut, &part, &status) != HTTP_PARSE_OK)
				fail_msg("prefix of %zu octets: status %d", cut, status);
			test_http_same(req, &part);
		}
		free(buf);
	}
}

/* test_http_err - the complete head text is refused with want_status. */
static void
test_http_err(const char *text, size_t len, int want_status)
{
	struct http_request req;
	int status = 0;

	assert_true(http_head_length(text, len) > 0);
	if (http_parse_head(text, len, &req, &status) != HTTP_PARSE_ERROR)
		fail_msg("accepted: %.*s", (int)len, text);
	if (status != want_status)
		fail_msg("status %d, expected %d for: %.*s", status, want_status, (int)len, text);
}

static void
test_http_err_str(const char *text, int want_status)
{
	test_http_err(text, strlen(text), want_status);
}

static void
test_http_get(void **state)
{
	const char *text = "GET / HTTP/1.1\r\nHost: example.org\r\nUser-Agent: test/1.0\r\n\r\n";
	struct http_request req;

	(void)state;
	test_http_ok(text, &req);
	test_http_span_is(req.method, "GET");
	test_http_span_is(req.path, "/");
	assert_int_equal(req.query.len, 0);
	assert_int_equal(req.version_minor, 1);
	assert_int_equal(req.header_count, 2);
	test_http_span_is(req.header_names[0], "Host");
	test_http_span_is(req.header_values[0], "example.org");
	test_http_span_is(req.header_names[1], "User-Agent");
	test_http_span_is(req.header_values[1], "test/1.0");
	assert_true(req.content_length == -1);
	assert_false(req.has_transfer_encoding);
	assert_true(req.is_keep_alive);
	assert_true(http_span_eq(req.method, "GET"));
	assert_false(http_span_eq(req.method, "get"));
	assert_false(http_span_eq(req.method, "GE"));
	test_http_span_is(http_header_get(&req, "host"), "example.org");
	test_http_span_is(http_header_get(&req, "USER-AGENT"), "test/1.0");
	assert_null(http_header_get(&req, "Accept").p);
	assert_null(http_header_get(&req, "Hos").p);
}

static void
test_http_query(void **state)
{
	struct http_request req;

	(void)state;
	test_http_ok("GET /new?a=1&b=%20x HTTP/1.1\r\nHost: a\r\n\r\n", &req);
	test_http_span_is(req.path, "/new");
	test_http_span_is(req.query, "a=1&b=%20x");
	test_http_ok("GET /x? HTTP/1.1\r\n\r\n", &req);
	test_http_span_is(req.path, "/x");
	assert_int_equal(req.query.len, 0);
	assert_int_equal(req.header_count, 0);
	test_http_ok(
	        "GET /.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=a@b HTTP/1.0\n\n",
	        &req);
	test_http_span_is(req.path, "/.well-known/autoconfig/mail/config-v1.1.xml");
	test_http_span_is(req.query, "emailaddress=a@b");
	assert_int_equal(req.version_minor, 0);
	/* Only the first '?' separates. */
	test_http_ok("GET /a?b?c HTTP/1.1\r\n\r\n", &req);
	test_http_span_is(req.path, "/a");
	test_http_span_is(req.query, "b?c");
}

static void
test_http_line_endings(void **state)
{
	struct http_request req;

	(void)state;
	/* RFC 9112 2.2: a bare LF may end a line; the empty line may be either. */
	test_http_ok("GET / HTTP/1.1\nHost: a\n\n", &req);
	test_http_span_is(http_header_get(&req, "Host"), "a");
	test_http_ok("GET / HTTP/1.1\r\nHost: a\n\r\n", &req);
	test_http_span_is(http_header_get(&req, "Host"), "a");
	test_http_ok("GET / HTTP/1.1\nHost: a\r\n\n", &req);
	test_http_span_is(http_header_get(&req, "Host"), "a");
	assert_int_equal(http_head_length("GET / HTTP/1.1\r\n\r", 17), 0);
	assert_int_equal(http_head_length("", 0), 0);
	assert_int_equal(http_head_length("\n", 1), 0);
}

static void
test_http_keep_alive(void **state)
{
	static const struct {
		const char *text;
		bool is_keep_alive;
	} cases[] = {
	        {"GET / HTTP/1.1\r\n\r\n", true},
	        {"GET / HTTP/1.0\r\n\r\n", false},
	        {"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", false},
	        {"GET / HTTP/1.1\r\nconnection: CLOSE\r\n\r\n", false},
	        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
	        {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
	        {"GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n", true},
	        {"GET / HTTP/1.0\r\nConnection: close\r\n\r\n", false},
	        {"GET / HTTP/1.1\r\nConnection: Upgrade\r\n\r\n", true},
	        {"GET / HTTP/1.0\r\nConnection: Upgrade\r\n\r\n", false},
	        /* Connection is a comma-separated list of options (RFC 9110 7.6.1). */
	        {"GET / HTTP/1.1\r\nConnection: Upgrade, close\r\n\r\n", false},
	        {"GET / HTTP/1.1\r\nConnection: close,TE\r\n\r\n", false},
	        {"GET / HTTP/1.0\r\nConnection: TE , keep-alive\r\n\r\n", true},
	        {"GET / HTTP/1.1\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", false},
	        {"GET / HTTP/1.1\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n", false},
	        {"GET / HTTP/1.1\r\nConnection: closed\r\n\r\n", true},
	};
	struct http_request req;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		test_http_ok(cases[i].text, &req);
		if (req.is_keep_alive != cases[i].is_keep_alive)
			fail_msg("keep-alive %d for: %s", req.is_keep_alive, cases[i].text);
	}
}

static void
test_http_content_length(void **state)
{
	struct http_request req;

	(void)state;
	/* The body after the head is not part of the head. */
	test_http_ok("POST /new HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", &req);
	test_http_span_is(req.method, "POST");
	assert_true(req.content_length == 5);
	assert_int_equal(
	        http_head_length("POST /new HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 46), 41);
	test_http_ok("POST / HTTP/1.1\r\ncontent-length: 0\r\n\r\n", &req);
	assert_true(req.content_length == 0);
	test_http_ok("POST / HTTP/1.1\r\nContent-Length: 007\r\nContent-Length:7\r\n\r\n", &req);
	assert_true(req.content_length == 7);
	test_http_ok("POST / HTTP/1.1\r\nContent-Length: 999999999999999\r\n\r\n", &req);
	assert_true(req.content_length == 999999999999999LL);
	test_http_err_str("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400);
	test_http_err_str("POST / HTTP/1.1\r\nContent-Length: 5a\r\n\r\n", 400);
	test_http_err_str("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400);
	test_http_err_str("POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n", 400);
	test_http_err_str("POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n", 400);
	test_http_err_str("POST / HTTP/1.1\r\nContent-Length: 5 5\r\n\r\n", 400);
	test_http_err_str("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", 400);
	test_http_err_str("POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", 400);
	test_http_err_str("POST / HTTP/1.1\r\nContent-Length: 1000000000000000\r\n\r\n", 400);
	test_http_err_str(
	        "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400);
}

static void
test_http_transfer_encoding(void **state)
{
	struct http_request req;

	(void)state;
	test_http_ok("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", &req);
	assert_true(req.has_transfer_encoding);
	test_http_ok(
	        "POST / HTTP/1.1\r\ntransfer-encoding: gzip, chunked\r\nContent-Length: 3\r\n\r\n",
	        &req);
	assert_true(req.has_transfer_encoding);
	test_http_ok("POST / HTTP/1.1\r\nTransfer-Encodings: x\r\n\r\n", &req);
	assert_false(req.has_transfer_encoding);
}

static void
test_http_header_syntax(void **state)
{
	static const char nul_value[] = "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n";
	static const char nul_name[] = "GET / HTTP/1.1\r\nX\0: a\r\n\r\n";
	struct http_request req;

	(void)state;
	/* OWS around the value is not part of it; a tab inside is fine. */
	test_http_ok("GET / HTTP/1.1\r\nX-A:   a\tb  \t\r\nX-B:\r\nX-C:c\r\n\r\n", &req);
	test_http_span_is(http_header_get(&req, "x-a"), "a\tb");
	assert_non_null(http_header_get(&req, "x-b").p);
	assert_int_equal(http_header_get(&req, "x-b").len, 0);
	test_http_span_is(http_header_get(&req, "x-c"), "c");
	/* The first of repeated fields is returned. */
	test_http_ok("GET / HTTP/1.1\r\nAccept: a\r\naccept: b\r\n\r\n", &req);
	test_http_span_is(http_header_get(&req, "Accept"), "a");
	assert_int_equal(req.header_count, 2);
	/* Octets above 0x7f in a value are obs-text, allowed. */
	test_http_ok("GET / HTTP/1.1\r\nX: \xc3\xa4\r\n\r\n", &req);
	test_http_span_is(http_header_get(&req, "X"), "\xc3\xa4");

	/* obs-fold is refused (RFC 9112 5.2), also before the first field. */
	test_http_err_str("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", 400);
	test_http_err_str("GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n", 400);
	test_http_err_str("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400);
	/* No white space between name and colon (RFC 9112 5.1). */
	test_http_err_str("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400);
	test_http_err_str("GET / HTTP/1.1\r\nHo st: a\r\n\r\n", 400);
	test_http_err_str("GET / HTTP/1.1\r\n: a\r\n\r\n", 400);
	test_http_err_str("GET / HTTP/1.1\r\nno colon\r\n\r\n", 400);
	test_http_err_str("GET / HTTP/1.1\r\nX(y): a\r\n\r\n", 400);
	test_http_err_str("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", 400);
	test_http_err_str("GET / HTTP/1.1\r\nX: a\x01\r\n\r\n", 400);
	test_http_err(nul_value, sizeof(nul_value) - 1, 400);
	test_http_err(nul_name, sizeof(nul_name) - 1, 400);
}

static void
test_http_header_count(void **state)
{
	char text[HTTP_HEADERS_COUNT_MAX * 16 + 64];
	struct http_request req;
	size_t len;

	(void)state;
	len = (size_t)snprintf(text, sizeof(text), "GET / HTTP/1.1\r\n");
	for (int i = 0; i < HTTP_HEADERS_COUNT_MAX; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "X-%d: %d\r\n", i, i);
	snprintf(text + len, sizeof(text) - len, "\r\n");
	test_http_ok(text, &req);
	assert_int_equal(req.header_count, HTTP_HEADERS_COUNT_MAX);
	test_http_span_is(http_header_get(&req, "x-63"), "63");
	snprintf(text + len, sizeof(text) - len, "X-%d: x\r\n\r\n", HTTP_HEADERS_COUNT_MAX);
	test_http_err_str(text, 431); /* too many fields: the same answer as too many octets */
}

static void
test_http_request_line(void **state)
{
	static const char *const bad[] = {
	        "\r\n\r\n",
	        "GET\r\n\r\n",
	        "GET /\r\n\r\n",
	        "GET / \r\n\r\n",
	        " / HTTP/1.1\r\n\r\n",
	        "GET  / HTTP/1.1\r\n\r\n",
	        "GET /  HTTP/1.1\r\n\r\n",
	        "GET / HTTP/1.1 \r\n\r\n",
	        "GET / HTTP/1.1 x\r\n\r\n",
	        "GET /a b HTTP/1.1\r\n\r\n",
	        "GET * HTTP/1.1\r\n\r\n",
	        "GET x HTTP/1.1\r\n\r\n",
	        "G(T / HTTP/1.1\r\n\r\n",
	        "GET /\x7f HTTP/1.1\r\n\r\n",
	        "GET /\t HTTP/1.1\r\n\r\n",
	        "GET / http/1.1\r\n\r\n",
	        "GET / HTTP/1\r\n\r\n",
	        "GET / HTTP/1.\r\n\r\n",
	        "GET / HTTP/1.x\r\n\r\n",
	        "GET / HTTP/1.10\r\n\r\n",
	        "GET / HTTP/11.1\r\n\r\n",
	        "GET / HTTP/\r\n\r\n",
	        "GET / HTTPS/1.1\r\n\r\n",
	        "GET / HTTP/1.1\rX\r\n\r\n",
	};
	static const char *const unsupported[] = {
	        "GET / HTTP/2.0\r\n\r\n",
	        "GET / HTTP/1.2\r\n\r\n",
	        "GET / HTTP/1.9\r\n\r\n",
	        "GET / HTTP/0.9\r\n\r\n",
	        "GET / HTTP/3.0\r\nHost: a\r\n\r\n",
	};
	static const char nul_target[] = "GET /\0 HTTP/1.1\r\n\r\n";
	struct http_request req;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		test_http_err_str(bad[i], 400);
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		test_http_err_str(unsupported[i], 505);
	test_http_err(nul_target, sizeof(nul_target) - 1, 400);
	/* Any token is a method; the service decides which it implements. */
	test_http_ok("M-SEARCH /%7e HTTP/1.1\r\n\r\n", &req);
	test_http_span_is(req.method, "M-SEARCH");
	test_http_span_is(req.path, "/%7e");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_http_get),
	        cmocka_unit_test(test_http_query),
	        cmocka_unit_test(test_http_line_endings),
	        cmocka_unit_test(test_http_keep_alive),
	        cmocka_unit_test(test_http_content_length),
	        cmocka_unit_test(test_http_transfer_encoding),
	        cmocka_unit_test(test_http_header_syntax),
	        cmocka_unit_test(test_http_header_count),
	        cmocka_unit_test(test_http_request_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
