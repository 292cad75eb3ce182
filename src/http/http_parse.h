/*
 * http_parse.h - HTTP/1.x request head parser (RFC 9112 section 2-3, 5). PURE.
 *
 * Parses a complete request head (request line and header fields up to the
 * empty line) held in one buffer. Results point into that buffer, which
 * the caller keeps alive. No I/O, no allocation.
 */
#ifndef CHATRELAY_HTTP_PARSE_H
#define CHATRELAY_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_HEADERS_COUNT_MAX 64

struct http_span {
	const char *p;
	size_t len;
};

struct http_request {
	struct http_span method;
	struct http_span path;  /* target without the query */
	struct http_span query; /* after '?', may be empty */
	int version_minor;      /* HTTP/1.<n>: 0 or 1 */
	struct http_span header_names[HTTP_HEADERS_COUNT_MAX];
	struct http_span header_values[HTTP_HEADERS_COUNT_MAX];
	size_t header_count;
	int64_t content_length; /* -1 when absent */
	bool has_transfer_encoding;
	bool is_keep_alive;     /* after HTTP version defaults and Connection */
};

enum http_parse_result { HTTP_PARSE_OK, HTTP_PARSE_NEED_MORE, HTTP_PARSE_ERROR };

/*
 * http_head_length - length of the head (through the empty line: CRLFCRLF or
 * LFLF) in buf, or 0 if not complete yet.
 */
size_t http_head_length(const char *buf, size_t len);

/*
 * http_parse_head - parse buf[0..len) (the whole head from http_head_length).
 * On HTTP_PARSE_ERROR *status_r is the status to answer (400, 505, ...).
 */
enum http_parse_result http_parse_head(const char *buf, size_t len, struct http_request *req,
	int *status_r);

/* http_header_get - first value of a header (case-insensitive name), or NULL span. */
struct http_span http_header_get(const struct http_request *req, const char *name);

/* http_span_eq - case-sensitive compare with a C string. */
bool http_span_eq(struct http_span s, const char *str);

#endif
