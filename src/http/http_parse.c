/*
 * http_parse.c - HTTP/1.x request head parser. PURE: libc only.
 *
 * Strict where it matters for smuggling: one Content-Length value of
 * digits only, conflicting duplicates refused, Transfer-Encoding flagged
 * (the service answers 411, HTTP-1), no obs-fold, no whitespace before the
 * colon (RFC 9112 5.1).
 */
#include "http/http_parse.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

size_t
http_head_length(const char *buf, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

bool
http_span_eq(struct http_span s, const char *str)
{
	return s.len == strlen(str) && memcmp(s.p, str, s.len) == 0;
}

static bool
http_span_ieq(struct http_span s, const char *str)
{
	return s.len == strlen(str) && strncasecmp(s.p, str, s.len) == 0;
}

/* http_is_tchar - RFC 9110 5.6.2 token characters. */
static bool
http_is_tchar(unsigned char ch)
{
	return isalnum(ch) || (ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* http_next_line - [p, end) line without its CRLF/LF; advances *pos. */
static struct http_span
http_next_line(const char *buf, size_t len, size_t *pos)
{
	struct http_span s = { buf + *pos, 0 };
	const char *nl = memchr(buf + *pos, '\n', len - *pos);
	size_t end = nl != NULL ? (size_t)(nl - buf) : len;

	s.len = end - *pos;
	if (s.len > 0 && s.p[s.len - 1] == '\r')
		s.len--;
	*pos = nl != NULL ? end + 1 : len;
	return s;
}

static enum http_parse_result
http_parse_request_line(struct http_span line, struct http_request *req, int *status_r)
{
	const char *p = line.p, *end = line.p + line.len, *sp1, *sp2, *q;

	sp1 = memchr(p, ' ', line.len);
	if (sp1 == NULL || sp1 == p)
		goto bad;
	for (const char *m = p; m < sp1; m++)
		if (!http_is_tchar((unsigned char)*m))
			goto bad;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1));
	if (sp2 == NULL || sp2 == sp1 + 1 || sp1[1] != '/')
		goto bad;
	for (const char *t = sp1 + 1; t < sp2; t++)
		if ((unsigned char)*t <= 0x20 || (unsigned char)*t >= 0x7f)
			goto bad;
	req->method = (struct http_span){ p, (size_t)(sp1 - p) };
	q = memchr(sp1 + 1, '?', (size_t)(sp2 - sp1 - 1));
	req->path = (struct http_span){ sp1 + 1, (size_t)((q != NULL ? q : sp2) - sp1 - 1) };
	req->query = q != NULL ? (struct http_span){ q + 1, (size_t)(sp2 - q - 1) } :
				 (struct http_span){ sp2, 0 };
	/*
	 * HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 2.3): anything else is
	 * a malformed request line (400); a well-formed version other than 1.0
	 * or 1.1 is not supported (505).
	 */
	if (end - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/", 5) != 0 || !isdigit((unsigned char)sp2[6]) ||
	    sp2[7] != '.' || !isdigit((unsigned char)sp2[8]))
		goto bad;
	if (sp2[6] != '1' || (sp2[8] != '0' && sp2[8] != '1')) {
		*status_r = 505;
		return HTTP_PARSE_ERROR;
	}
	req->version_minor = sp2[8] - '0';
	return HTTP_PARSE_OK;
bad:
	*status_r = 400;
	return HTTP_PARSE_ERROR;
}

/* http_parse_content_length - digits only; duplicates must agree (RFC 9112 6.3). */
static int
http_parse_content_length(struct http_span v, struct http_request *req)
{
	int64_t n = 0;

	if (v.len == 0 || v.len > 15)
		return -1;
	for (size_t i = 0; i < v.len; i++) {
		if (!isdigit((unsigned char)v.p[i]))
			return -1;
		n = n * 10 + (v.p[i] - '0');
	}
	if (req->content_length >= 0 && req->content_length != n)
		return -1;
	req->content_length = n;
	return 0;
}

static int
http_parse_header(struct http_span line, struct http_request *req)
{
	const char *colon = memchr(line.p, ':', line.len);
	struct http_span name, value;

	if (colon == NULL || colon == line.p)
		return -1;
	name = (struct http_span){ line.p, (size_t)(colon - line.p) };
	for (size_t i = 0; i < name.len; i++)
		if (!http_is_tchar((unsigned char)name.p[i]))
			return -1;
	value.p = colon + 1;
	value.len = line.len - name.len - 1;
	while (value.len > 0 && (*value.p == ' ' || *value.p == '\t')) {
		value.p++;
		value.len--;
	}
	while (value.len > 0 && (value.p[value.len - 1] == ' ' || value.p[value.len - 1] == '\t'))
		value.len--;
	for (size_t i = 0; i < value.len; i++)
		if ((unsigned char)value.p[i] < 0x20 && value.p[i] != '\t')
			return -1;
	req->header_names[req->header_count] = name;
	req->header_values[req->header_count] = value;
	req->header_count++;
	if (http_span_ieq(name, "content-length"))
		return http_parse_content_length(value, req);
	if (http_span_ieq(name, "transfer-encoding"))
		req->has_transfer_encoding = true;
	return 0;
}

/*
 * http_keep_alive - persistence after the version default and every
 * Connection field, each a comma-separated list of options (RFC 9110 7.6.1,
 * RFC 9112 9.3): "close" anywhere wins, else "keep-alive" keeps an
 * HTTP/1.0 connection open.
 */
static bool
http_keep_alive(const struct http_request *req)
{
	bool has_close = false, has_keep_alive = false;

	for (size_t i = 0; i < req->header_count; i++) {
		struct http_span v = req->header_values[i];
		size_t pos = 0;

		if (!http_span_ieq(req->header_names[i], "connection"))
			continue;
		while (pos < v.len) {
			struct http_span opt = { v.p + pos, 0 };
			const char *comma = memchr(opt.p, ',', v.len - pos);

			opt.len = comma != NULL ? (size_t)(comma - opt.p) : v.len - pos;
			pos += opt.len + 1;
			while (opt.len > 0 && (*opt.p == ' ' || *opt.p == '\t')) {
				opt.p++;
				opt.len--;
			}
			while (opt.len > 0 && (opt.p[opt.len - 1] == ' ' || opt.p[opt.len - 1] == '\t'))
				opt.len--;
			has_close |= http_span_ieq(opt, "close");
			has_keep_alive |= http_span_ieq(opt, "keep-alive");
		}
	}
	if (has_close)
		return false;
	return has_keep_alive || req->version_minor == 1;
}

enum http_parse_result
http_parse_head(const char *buf, size_t len, struct http_request *req, int *status_r)
{
	struct http_span line;
	size_t pos = 0;

	memset(req, 0, sizeof(*req));
	req->content_length = -1;
	if (http_head_length(buf, len) == 0)
		return HTTP_PARSE_NEED_MORE;
	line = http_next_line(buf, len, &pos);
	if (http_parse_request_line(line, req, status_r) != HTTP_PARSE_OK)
		return HTTP_PARSE_ERROR;
	for (;;) {
		line = http_next_line(buf, len, &pos);
		if (line.len == 0)
			break;
		if (req->header_count >= HTTP_HEADERS_COUNT_MAX) {
			*status_r = 431; /* like the size limit of HTTP-1 */
			return HTTP_PARSE_ERROR;
		}
		if (line.p[0] == ' ' || line.p[0] == '\t' || http_parse_header(line, req) < 0) {
			*status_r = 400;
			return HTTP_PARSE_ERROR;
		}
	}
	req->is_keep_alive = http_keep_alive(req);
	return HTTP_PARSE_OK;
}

struct http_span
http_header_get(const struct http_request *req, const char *name)
{
	for (size_t i = 0; i < req->header_count; i++)
		if (http_span_ieq(req->header_names[i], name))
			return req->header_values[i];
	return (struct http_span){ NULL, 0 };
}
