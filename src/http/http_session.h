/*
 * http_session.h - the HTTP service as seen by net/ (HTTP-1, HTTP-2).
 *
 * Foundation stage: request heads with the HTTP-1 limits, keep-alive, the
 * landing page (HTTP-3), 404/405/411/431/503. The accounts and federation
 * issues add routes to the table in http_session.c.
 */
#ifndef CHATRELAY_HTTP_SESSION_H
#define CHATRELAY_HTTP_SESSION_H

#include <stddef.h>

#include "net/net_conn.h"

extern const struct proto_ops http_proto_ops;

/* http_respond - queue one complete response (Content-Type and Content-Length always set). */
void http_respond(struct conn *c, int status, const char *content_type, const char *body,
	size_t body_len, const char *extra_headers);

#endif
