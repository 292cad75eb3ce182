/* fuzz-sources: src/http/http_parse.c */
/*
 * fuzz_http_parse.c - libFuzzer target for the HTTP request head parser.
 *
 * Checks what the parser promises besides not crashing: results point into
 * the input, errors carry 400, 431 or 505, the head alone parses like the head
 * followed by more bytes (a body), and a head cut short needs more.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_http_span_inside(struct http_span s, const char *buf, size_t len)
{
	if (s.len == 0)
		return;
	if (s.p < buf || s.p + s.len > buf + len)
		__builtin_trap();
}

static void
fuzz_http_check(const struct http_request *req, const char *buf, size_t len)
{
	fuzz_http_span_inside(req->method, buf, len);
	fuzz_http_span_inside(req->path, buf, len);
	fuzz_http_span_inside(req->query, buf, len);
	if (req->header_count > HTTP_HEADERS_COUNT_MAX)
		__builtin_trap();
	for (size_t i = 0; i < req->header_count; i++) {
		fuzz_http_span_inside(req->header_names[i], buf, len);
		fuzz_http_span_inside(req->header_values[i], buf, len);
		if (req->header_names[i].len == 0)
			__builtin_trap();
	}
	if (req->version_minor != 0 && req->version_minor != 1)
		__builtin_trap();
	if (req->method.len == 0 || req->path.len == 0 || req->path.p[0] != '/')
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct http_request req, whole;
	enum http_parse_result rc, rc_whole;
	size_t head = http_head_length(buf, size);
	int status = 0, status_whole = 0;

	if (head == 0) {
		if (http_parse_head(buf, size, &req, &status) != HTTP_PARSE_NEED_MORE)
			__builtin_trap();
		return 0;
	}
	if (head > size)
		__builtin_trap();
	if (http_parse_head(buf, head - 1, &req, &status) != HTTP_PARSE_NEED_MORE)
		__builtin_trap();
	rc = http_parse_head(buf, head, &req, &status);
	rc_whole = http_parse_head(buf, size, &whole, &status_whole);
	if (rc != rc_whole)
		__builtin_trap();
	if (rc == HTTP_PARSE_ERROR) {
		if ((status != 400 && status != 431 && status != 505) || status != status_whole)
			__builtin_trap();
		return 0;
	}
	if (rc != HTTP_PARSE_OK)
		__builtin_trap();
	fuzz_http_check(&req, buf, head);
	if (memcmp(&req, &whole, sizeof(req)) != 0)
		__builtin_trap();
	(void)http_header_get(&req, "host");
	return 0;
}
