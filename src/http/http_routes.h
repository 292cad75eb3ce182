/*
 * http_routes.h - route handlers outside http_session.c (HTTP-4..6, REG-*),
 * and what the session offers them for answers that complete later.
 */
#ifndef CHATRELAY_HTTP_ROUTES_H
#define CHATRELAY_HTTP_ROUTES_H

#include <stdbool.h>
#include <stddef.h>

#include "http/http_parse.h"
#include "net/net_conn.h"

struct conf;

/* REG-1..8 (http_register.c). */
void http_new_post_cb(struct conn *c, const struct http_request *req);
void http_new_get_cb(struct conn *c, const struct http_request *req);

/* HTTP-4, HTTP-5 (http_autoconfig.c), HTTP-6 (http_metrics.c). */
void http_autoconfig_cb(struct conn *c, const struct http_request *req);
void http_mta_sts_cb(struct conn *c, const struct http_request *req);

/* http_mta_sts_policy - the HTTP-5 policy text (CRLF lines) into buf; its length, 0 if too small. */
size_t http_mta_sts_policy(const struct conf *conf, char *buf, size_t size);
void http_metrics_cb(struct conn *c, const struct http_request *req);

/*
 * http_dclogin_url - REG-6 into out. PURE. 0 or -1 (does not fit).
 * is_self_signed: SPEC section 0 self-signed mode (adds ic=3).
 */
int http_dclogin_url(const struct conf *conf, bool is_self_signed, const char *address,
        const char *password, char *out, size_t outlen);

/* http_autoconfig_render - the HTTP-4 document into out. PURE. Length or -1. */
int http_autoconfig_render(const struct conf *conf, char *out, size_t outlen);

/* http_json_escape - JSON string escaping of s into out (no quotes added). PURE. 0 or -1. */
int http_json_escape(const char *s, char *out, size_t outlen);

/*
 * http_session_wait - the response will come later: stop reading requests.
 * http_session_resume - the response was queued: continue with the next.
 * Both from http_session.c.
 */
void http_session_wait(struct conn *c);
void http_session_resume(struct conn *c);

/*
 * Streaming request bodies (MXD-1). A handler that wants the body calls
 * http_session_take_body() before it returns: every body chunk goes to
 * chunk (returns -1 to stop: the connection is then closed without an
 * answer, the caller's state freed with free_fn); once Content-Length
 * octets arrived, end runs and takes arg over (it usually calls
 * http_session_wait and answers later). If the connection goes away
 * first, free_fn(arg) runs.
 */
typedef int http_body_chunk_fn(void *arg, const char *data, size_t len);
typedef void http_body_end_fn(struct conn *c, void *arg);
typedef void http_body_free_fn(void *arg);
void http_session_take_body(struct conn *c, http_body_chunk_fn *chunk, http_body_end_fn *end,
        http_body_free_fn *free_fn, void *arg);

/* http_respond_status - an answer with a text/plain body (MXD-2); extra headers may be NULL. */
void http_respond_status(struct conn *c, int status, const char *body, const char *extra);
/* http_session_close_after - answer, then close (MXD-2 413). */
void http_session_close_after(struct conn *c);

/* MXD-1..4 (http_mxdeliv.c). */
void http_mxdeliv_cb(struct conn *c, const struct http_request *req);

#endif
