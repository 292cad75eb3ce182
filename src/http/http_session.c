/*
 * http_session.c - HTTP/1.1 connections: head limits, body framing, routing.
 *
 * HTTP-1: head (request line + fields) at most 16 KiB (431 and close), 30 s
 * to receive it, 60 s keep-alive idle, bodies need Content-Length (411 for
 * Transfer-Encoding), no Server header. Does not touch sockets directly.
 */
#include "http/http_session.h"

#include <event2/buffer.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_conf.h"
#include "core/core_limits.h"
#include "core/core_log.h"
#include "http/http_landing.h"
#include "http/http_parse.h"
#include "http/http_routes.h"
#include "net/net_server.h"

#define HTTP_HEAD_TIMEOUT 30
#define HTTP_IDLE_TIMEOUT 60
#define HTTP_BODY_TIMEOUT 60

struct http_session {
	bool is_in_body;      /* discarding or collecting a request body */
	int64_t body_left;
	bool close_after;     /* answer, then close */
	bool is_waiting;      /* a handler answers later (worker job): read nothing */
	const struct http_route *route;
};

typedef void http_handler_fn(struct conn *c, const struct http_request *req);

struct http_route {
	const char *path;
	const char *method; /* "GET" or "POST" */
	http_handler_fn *handler;
	const char *allow;  /* Allow header for 405 */
	int64_t max_body;   /* larger Content-Length: 413 and close (0: no limit here) */
};

static void http_landing_cb(struct conn *c, const struct http_request *req);

/* HTTP-2. A path may appear once per method; 405 lists every method of the path. */
static const struct http_route http_routes[] = {
	{ "/", "GET", http_landing_cb, "GET", 0 },
	{ "/index.html", "GET", http_landing_cb, "GET", 0 },
	{ "/new", "POST", http_new_post_cb, "GET, POST", HTTP_NEW_BODY_MAX },
	{ "/new", "GET", http_new_get_cb, "GET, POST", 0 },
	{ "/cgi-bin/newemail.py", "POST", http_new_post_cb, "POST", HTTP_NEW_BODY_MAX },
	{ "/.well-known/autoconfig/mail/config-v1.1.xml", "GET", http_autoconfig_cb, "GET", 0 },
	{ "/mail/config-v1.1.xml", "GET", http_autoconfig_cb, "GET", 0 },
	{ "/.well-known/mta-sts.txt", "GET", http_mta_sts_cb, "GET", 0 },
	{ "/metrics", "GET", http_metrics_cb, "GET", 0 },
};

static const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 301: return "Moved Permanently";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

void
http_respond(struct conn *c, int status, const char *content_type, const char *body,
	size_t body_len, const char *extra_headers)
{
	struct http_session *s = c->session;
	bool is_close = s == NULL || s->close_after;

	conn_printf(c, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s%s\r\n",
		status, http_reason(status), content_type, body_len,
		extra_headers != NULL ? extra_headers : "", is_close ? "Connection: close\r\n" : "");
	if (body_len > 0)
		conn_write(c, body, body_len);
}

static void
http_respond_text(struct conn *c, int status, const char *text)
{
	http_respond(c, status, "text/plain; charset=utf-8", text, strlen(text), NULL);
}

static void
http_landing_cb(struct conn *c, const struct http_request *req)
{
	char *page = NULL;
	size_t len = 0;

	(void)req;
	if (http_landing_render(c->srv->conf, &page, &len) < 0) {
		http_respond_text(c, 500, "Internal Server Error\n");
		return;
	}
	http_respond(c, 200, "text/html; charset=utf-8", page, len, NULL);
	free(page);
}

/* http_dispatch - route a parsed head (HTTP-2: exact path match; 405 with Allow). */
static void
http_dispatch(struct conn *c, const struct http_request *req)
{
	bool is_head = http_span_eq(req->method, "HEAD");
	const struct http_route *other = NULL;
	char allow[64];

	for (size_t i = 0; i < sizeof(http_routes) / sizeof(http_routes[0]); i++) {
		const struct http_route *r = &http_routes[i];

		if (!http_span_eq(req->path, r->path))
			continue;
		if (http_span_eq(req->method, r->method) || (is_head && strcmp(r->method, "GET") == 0)) {
			if (r->max_body > 0 && req->content_length > r->max_body) {
				struct http_session *s = c->session;

				s->close_after = true; /* REG-1: JSON, and the body is not read */
				http_respond(c, 413, "application/json",
					"{\"reason\":\"Request too large\"}", 30, NULL);
				conn_close(c);
				return;
			}
			r->handler(c, req);
			return;
		}
		other = r;
	}
	if (other != NULL) {
		snprintf(allow, sizeof(allow), "Allow: %s\r\n", other->allow);
		http_respond(c, 405, "text/plain; charset=utf-8", "Method Not Allowed\n", 19, allow);
		return;
	}
	http_respond_text(c, 404, "Not Found\n");
}

void
http_session_wait(struct conn *c)
{
	struct http_session *s = c->session;

	s->is_waiting = true;
	conn_pause_reading(c);
}

/* http_take_head - parse the next request head; false when more input is needed or closed. */
static bool
http_take_head(struct conn *c, struct http_session *s)
{
	struct evbuffer *in = conn_input(c);
	size_t avail = evbuffer_get_length(in), take = avail < HTTP_HEADERS_MAX ? avail : HTTP_HEADERS_MAX;
	const char *buf = (const char *)evbuffer_pullup(in, (ev_ssize_t)take);
	size_t head_len = buf != NULL ? http_head_length(buf, take) : 0;
	struct http_request req;
	int status = 400;

	if (head_len == 0) {
		if (avail >= HTTP_HEADERS_MAX) {
			s->close_after = true;
			http_respond_text(c, 431, "Request Header Fields Too Large\n");
			conn_close(c);
		}
		return false;
	}
	conn_set_read_timeout(c, HTTP_BODY_TIMEOUT);
	if (http_parse_head(buf, head_len, &req, &status) != HTTP_PARSE_OK) {
		s->close_after = true;
		http_respond_text(c, status, "Bad Request\n");
		conn_close(c);
		return false;
	}
	s->close_after = !req.is_keep_alive || c->srv->is_shutting_down;
	if (req.has_transfer_encoding) {
		s->close_after = true;
		http_respond_text(c, 411, "Length Required\n");
		conn_close(c);
		return false;
	}
	/* Routes ignore request bodies: answer (now or later), discard a body if one is sent. */
	http_dispatch(c, &req);
	if (c->is_closing)
		return false;
	evbuffer_drain(in, head_len);
	s->body_left = req.content_length > 0 ? req.content_length : 0;
	s->is_in_body = s->body_left > 0;
	return true;
}

/* http_is_busy - a worker job (registration) is answering the request. */
static bool
http_is_busy(struct conn *c)
{
	struct http_session *s = c->session;

	return s->is_waiting;
}

static void
http_on_read(struct conn *c)
{
	struct http_session *s = c->session;
	struct evbuffer *in = conn_input(c);

	while (!c->is_closing && !s->is_waiting) {
		if (s->is_in_body) {
			size_t avail = evbuffer_get_length(in);
			size_t n = (int64_t)avail < s->body_left ? avail : (size_t)s->body_left;

			evbuffer_drain(in, n);
			s->body_left -= (int64_t)n;
			if (s->body_left > 0)
				return;
			s->is_in_body = false;
		}
		if (s->close_after) {
			conn_close(c);
			return;
		}
		conn_set_read_timeout(c, evbuffer_get_length(in) > 0 ? HTTP_HEAD_TIMEOUT :
			HTTP_IDLE_TIMEOUT);
		if (evbuffer_get_length(in) == 0 || !http_take_head(c, s))
			return;
		if (s->is_waiting)
			return;
		if (conn_output_len(c) > NET_OUTPUT_HIGH_WATER) {
			conn_pause_reading(c);
			return;
		}
	}
}

static int
http_start(struct conn *c)
{
	struct http_session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return -1;
	c->session = s;
	conn_set_read_timeout(c, HTTP_HEAD_TIMEOUT);
	return 0;
}

static void
http_on_drain(struct conn *c)
{
	conn_pump_drain(c, http_is_busy);
}

void
http_session_resume(struct conn *c)
{
	struct http_session *s = c->session;

	s->is_waiting = false;
	http_on_read(c); /* also closes when the answered request asked for it */
	conn_resume_reading(c);
}

static void
http_on_timeout(struct conn *c)
{
	conn_abort(c);
}

/* http_on_shutdown - GEN-6: requests in progress complete; idle keep-alive connections close. */
static void
http_on_shutdown(struct conn *c)
{
	struct http_session *s = c->session;

	s->close_after = true;
	if (!s->is_in_body && !s->is_waiting && evbuffer_get_length(conn_input(c)) == 0)
		conn_close(c);
}

static void
http_on_limit(struct conn *c)
{
	static const char body[] = "Service Unavailable\n";

	conn_printf(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; "
		"charset=utf-8\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
		sizeof(body) - 1, body);
}

static void
http_free_session(struct conn *c)
{
	free(c->session);
	c->session = NULL;
}

const struct proto_ops http_proto_ops = {
	.name = "http",
	.start = http_start,
	.on_read = http_on_read,
	.on_drain = http_on_drain,
	.on_tls_ready = NULL,
	.on_timeout = http_on_timeout,
	.on_shutdown = http_on_shutdown,
	.on_limit = http_on_limit,
	.free_session = http_free_session,
};
