/*
 * net_conn.c - client connections over libevent bufferevents.
 *
 * Plain connections use a socket bufferevent that does not own the fd;
 * TLS connections (implicit, or after STARTTLS) use an OpenSSL socket
 * bufferevent that owns fd and SSL. STARTTLS flushes the permission reply,
 * discards unprocessed input (NET-5), frees the plain bufferevent and
 * starts the handshake on the same fd. Does not parse any protocol.
 */
#include "net/net_conn.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core_conf.h"
#include "core/core_limits.h"
#include "core/core_log.h"
#include "core/core_str.h"
#include "net/net_server.h"

static void conn_read_cb(struct bufferevent *bev, void *arg);
static void conn_write_cb(struct bufferevent *bev, void *arg);
static void conn_event_cb(struct bufferevent *bev, short what, void *arg);

/* conn_peer_info - text address, per-client key (IPv4 or IPv6 /64), loopback flag. */
static void
conn_peer_info(struct conn *c, const struct sockaddr *sa, size_t salen)
{
	if (sa->sa_family == AF_INET && salen >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &in->sin_addr, c->peer_ip, sizeof(c->peer_ip));
		snprintf(c->ip_key, sizeof(c->ip_key), "%s", c->peer_ip);
		c->is_loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
		return;
	}
	if (sa->sa_family == AF_INET6 && salen >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		const uint8_t *b = in6->sin6_addr.s6_addr;

		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			inet_ntop(AF_INET, b + 12, c->peer_ip, sizeof(c->peer_ip));
			snprintf(c->ip_key, sizeof(c->ip_key), "%s", c->peer_ip);
			c->is_loopback = b[12] == 127;
			return;
		}
		inet_ntop(AF_INET6, &in6->sin6_addr, c->peer_ip, sizeof(c->peer_ip));
		snprintf(c->ip_key, sizeof(c->ip_key), "%02x%02x:%02x%02x:%02x%02x:%02x%02x::/64", b[0],
			b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
		c->is_loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
		return;
	}
	snprintf(c->peer_ip, sizeof(c->peer_ip), "unknown");
	snprintf(c->ip_key, sizeof(c->ip_key), "unknown");
}

static void
conn_handshake_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	log_write(LOG_LEVEL_INFO, c->id, NULL, "TLS handshake timeout listener=%s", c->lst->name);
	conn_abort(c);
}

/* conn_setup_bev - callbacks, read timeout (if any), write-stall timeout, reading on. */
static void
conn_setup_bev(struct conn *c)
{
	struct timeval rtv = { c->read_timeout, 0 };
	struct timeval wtv = { NET_WRITE_STALL_SECS, 0 };

	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_set_timeouts(c->bev, c->read_timeout > 0 ? &rtv : NULL, &wtv);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/*
 * conn_new_bev - a bufferevent on c->fd: plain, or OpenSSL on c->ssl in
 * state. Neither owns the socket or the SSL (dormancy frees bufferevents).
 */
static int
conn_new_bev(struct conn *c, enum bufferevent_ssl_state state)
{
	if (c->ssl != NULL)
		c->bev = bufferevent_openssl_socket_new(c->srv->base, c->fd, c->ssl, state, 0);
	else
		c->bev = bufferevent_socket_new(c->srv->base, c->fd, 0);
	return c->bev != NULL ? 0 : -1;
}

/* conn_start_tls_bev - an OpenSSL bufferevent on c->fd in accepting state, handshake timer on. */
static int
conn_start_tls_bev(struct conn *c)
{
	struct timeval tv = { NET_TLS_HANDSHAKE_SECS, 0 };

	c->ssl = c->srv->tls != NULL ? tls_new_ssl(c->srv->tls, c->lst->alpn) : NULL;
	if (c->ssl == NULL || conn_new_bev(c, BUFFEREVENT_SSL_ACCEPTING) < 0)
		return -1;
	c->is_tls = true;
	c->is_handshaking = true;
	c->handshake_timer = evtimer_new(c->srv->base, conn_handshake_timeout_cb, c);
	if (c->handshake_timer == NULL)
		return -1;
	evtimer_add(c->handshake_timer, &tv);
	conn_setup_bev(c);
	return 0;
}

struct conn *
conn_new(struct server *srv, const struct listener *lst, int fd, const struct sockaddr *sa,
	int salen)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->srv = srv;
	c->lst = lst;
	c->ops = srv->protos[lst->kind];
	c->fd = fd;
	conn_peer_info(c, sa, salen > 0 ? (size_t)salen : 0);
	server_conn_register(srv, c);
	if (lst->is_implicit_tls) {
		if (conn_start_tls_bev(c) < 0)
			goto fail;
	} else {
		if (conn_new_bev(c, BUFFEREVENT_SSL_OPEN) < 0)
			goto fail;
		conn_setup_bev(c);
	}
	return c;
fail:
	conn_free(c);
	return NULL;
}

/* conn_begin - the transport is ready: refuse over limit (NET-4) or start the protocol. */
void
conn_begin(struct conn *c)
{
	if (c->is_over_limit) {
		if (c->ops->on_limit != NULL)
			c->ops->on_limit(c);
		conn_close(c);
		return;
	}
	if (c->ops->start(c) < 0)
		conn_close(c);
}

void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->session != NULL && c->ops->free_session != NULL)
		c->ops->free_session(c);
	if (c->handshake_timer != NULL)
		event_free(c->handshake_timer);
	if (c->filter != NULL && c->filter->free_ctx != NULL)
		c->filter->free_ctx(c->filter_ctx);
	if (c->filter_in != NULL)
		evbuffer_free(c->filter_in);
	if (c->dormant_ev != NULL)
		event_free(c->dormant_ev);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	/* After the bufferevent: it neither owns nor, once freed, touches them. */
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	close(c->fd);
	server_conn_unregister(c->srv, c);
	free(c);
}

/* ---- dormancy (see net_conn.h) -------------------------------------------------------- */

/* conn_can_sleep - nothing buffered on either side, nothing half done in TLS. */
static bool
conn_can_sleep(struct conn *c)
{
	return c->may_sleep && !c->is_closing && !c->is_handshaking && c->bev != NULL &&
	        c->filter == NULL && (bufferevent_get_enabled(c->bev) & EV_READ) &&
	        evbuffer_get_length(bufferevent_get_output(c->bev)) == 0 &&
	        evbuffer_get_length(bufferevent_get_input(c->bev)) == 0 &&
	        (c->ssl == NULL || (!SSL_has_pending(c->ssl) && !SSL_want_write(c->ssl)));
}

/* conn_wake - give a dormant conn its bufferevent back; -1 (conn aborted) on failure. */
static int
conn_wake(struct conn *c)
{
	if (c->dormant_ev == NULL)
		return c->bev != NULL ? 0 : -1;
	event_free(c->dormant_ev);
	c->dormant_ev = NULL;
	if (conn_new_bev(c, BUFFEREVENT_SSL_OPEN) < 0) {
		log_write(LOG_LEVEL_WARN, c->id, NULL, "cannot wake connection listener=%s",
			c->lst->name);
		conn_abort(c);
		return -1;
	}
	conn_setup_bev(c);
	return 0;
}

/* conn_dormant_cb - input or the read timeout: wake; the input is read on the next turn. */
static void
conn_dormant_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	if (c->is_closing || conn_wake(c) < 0)
		return;
	/* As a bufferevent read timeout would (its event is level-triggered for input). */
	if ((what & EV_TIMEOUT) && c->ops->on_timeout != NULL)
		c->ops->on_timeout(c);
}

/* conn_add_dormant - (re)arm the dormant event with the read timeout. */
static int
conn_add_dormant(struct conn *c)
{
	struct timeval tv = { c->read_timeout, 0 };

	return event_add(c->dormant_ev, c->read_timeout > 0 ? &tv : NULL);
}

/* conn_sleep - from the loop (server_sleep_cb), never inside a bufferevent callback. */
void
conn_sleep(struct conn *c)
{
	if (!conn_can_sleep(c))
		return;
	c->dormant_ev = event_new(c->srv->base, c->fd, EV_READ, conn_dormant_cb, c);
	if (c->dormant_ev == NULL)
		return;
	if (conn_add_dormant(c) < 0) {
		event_free(c->dormant_ev);
		c->dormant_ev = NULL;
		return;
	}
	bufferevent_free(c->bev);
	c->bev = NULL;
}

void
conn_set_may_sleep(struct conn *c, bool may_sleep)
{
	c->may_sleep = may_sleep;
	if (may_sleep)
		server_conn_schedule_sleep(c->srv, c);
}

bool
conn_is_dormant(const struct conn *c)
{
	return c->dormant_ev != NULL;
}

struct evbuffer *
conn_input(struct conn *c)
{
	if (c->filter_in != NULL)
		return c->filter_in;
	if (conn_wake(c) < 0)
		return c->srv->no_input; /* aborted: nothing to read */
	return bufferevent_get_input(c->bev);
}

enum conn_line
conn_read_line(struct conn *c, char *buf, size_t max, size_t *len_r)
{
	struct evbuffer *in = conn_input(c);
	struct evbuffer_ptr eol;
	size_t avail = evbuffer_get_length(in), n;

	eol = evbuffer_search(in, "\n", 1, NULL);
	if (c->is_discarding_line) {
		if (eol.pos < 0) {
			evbuffer_drain(in, avail);
			return CONN_LINE_NEED_MORE;
		}
		evbuffer_drain(in, (size_t)eol.pos + 1);
		c->is_discarding_line = false;
		eol = evbuffer_search(in, "\n", 1, NULL);
		avail = evbuffer_get_length(in);
	}
	if (eol.pos < 0) {
		if (avail < max)
			return CONN_LINE_NEED_MORE;
		evbuffer_drain(in, avail);
		c->is_discarding_line = true;
		return CONN_LINE_TOO_LONG;
	}
	n = (size_t)eol.pos + 1; /* with the LF */
	if (n > max) {
		evbuffer_drain(in, n);
		return CONN_LINE_TOO_LONG;
	}
	evbuffer_remove(in, buf, n);
	n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*len_r = n;
	return CONN_LINE_OK;
}

bool
conn_is_auth_allowed(const struct conn *c)
{
	return c->is_tls || c->is_loopback || c->srv->conf->allow_plaintext_auth;
}

void
conn_pump_lines(
        struct conn *c, char *buf, size_t max, conn_busy_fn *is_busy, conn_line_fn *on_line)
{
	while (!c->is_closing && !c->is_handshaking && !is_busy(c)) {
		size_t len = 0;
		enum conn_line r = conn_read_line(c, buf, max, &len);
		bool is_more;

		if (r == CONN_LINE_NEED_MORE)
			break;
		if (r == CONN_LINE_TOO_LONG)
			buf[0] = '\0';
		is_more = on_line(c, buf, len, r == CONN_LINE_TOO_LONG);
		str_wipe(buf, len);
		if (!is_more)
			break;
		if (conn_output_len(c) > NET_OUTPUT_HIGH_WATER) {
			conn_pause_reading(c);
			break;
		}
	}
}

void
conn_pump_drain(struct conn *c, conn_busy_fn *is_busy)
{
	if (is_busy(c))
		return;
	if (evbuffer_get_length(conn_input(c)) > 0 && !c->is_handshaking)
		c->ops->on_read(c);
	conn_resume_reading(c);
}

size_t
conn_output_len(struct conn *c)
{
	return c->bev != NULL ? evbuffer_get_length(bufferevent_get_output(c->bev)) : 0;
}

int
conn_set_filter(struct conn *c, const struct conn_filter_ops *ops, void *ctx)
{
	if (conn_wake(c) < 0)
		return -1;
	struct evbuffer *raw = bufferevent_get_input(c->bev);

	c->filter_in = evbuffer_new();
	if (c->filter_in == NULL)
		return -1;
	c->filter = ops;
	c->filter_ctx = ctx;
	/* Whatever the client pipelined after the command is already encoded. */
	if (evbuffer_get_length(raw) > 0 && ops->in(ctx, raw, c->filter_in) < 0)
		conn_abort(c);
	return 0;
}

void
conn_write_buffer(struct conn *c, struct evbuffer *buf)
{
	size_t len = evbuffer_get_length(buf);

	if (len == 0)
		return;
	if (conn_wake(c) < 0) {
		evbuffer_drain(buf, len);
		return;
	}
	if (c->filter != NULL) {
		struct evbuffer_iovec v[16];
		int n;

		while (evbuffer_get_length(buf) > 0) {
			n = evbuffer_peek(buf, -1, NULL, v, 16);
			if (n > 16)
				n = 16;
			for (int i = 0; i < n; i++) {
				if (c->filter->out(c->filter_ctx, v[i].iov_base, v[i].iov_len,
				            bufferevent_get_output(c->bev)) < 0)
					conn_abort(c);
				evbuffer_drain(buf, v[i].iov_len);
			}
		}
		return;
	}
	evbuffer_add_buffer(bufferevent_get_output(c->bev), buf);
}

void
conn_write(struct conn *c, const void *data, size_t len)
{
	if (conn_wake(c) < 0)
		return;
	if (c->filter != NULL) {
		if (c->filter->out(c->filter_ctx, data, len, bufferevent_get_output(c->bev)) < 0)
			conn_abort(c);
		return;
	}
	bufferevent_write(c->bev, data, len);
}

void
conn_printf(struct conn *c, const char *fmt, ...)
{
	va_list ap;

	if (conn_wake(c) < 0)
		return;
	va_start(ap, fmt);
	if (c->filter != NULL) {
		struct evbuffer *tmp = evbuffer_new();

		if (tmp != NULL) {
			evbuffer_add_vprintf(tmp, fmt, ap);
			conn_write_buffer(c, tmp);
			evbuffer_free(tmp);
		}
	} else {
		evbuffer_add_vprintf(bufferevent_get_output(c->bev), fmt, ap);
	}
	va_end(ap);
}

void
conn_set_read_timeout(struct conn *c, long secs)
{
	struct timeval rtv = { secs, 0 };
	struct timeval wtv = { NET_WRITE_STALL_SECS, 0 };

	c->read_timeout = secs > 0 && secs < INT_MAX ? (int)secs : 0;
	if (c->dormant_ev != NULL) {
		if (conn_add_dormant(c) < 0)
			(void)conn_wake(c);
		return;
	}
	if (c->bev != NULL)
		bufferevent_set_timeouts(c->bev, secs > 0 ? &rtv : NULL, &wtv);
}

void
conn_pause_reading(struct conn *c)
{
	if (conn_wake(c) == 0)
		bufferevent_disable(c->bev, EV_READ);
}

void
conn_resume_reading(struct conn *c)
{
	/* A dormant conn is waiting for input already. */
	if (!c->is_closing && c->bev != NULL)
		bufferevent_enable(c->bev, EV_READ);
}

/* conn_starttls_switch - the permission reply is flushed: swap to TLS on the same fd. */
static void
conn_starttls_switch(struct conn *c)
{
	struct bufferevent *plain = c->bev;

	/* NET-5: whatever the client sent before the handshake is discarded. */
	evbuffer_drain(bufferevent_get_input(plain), evbuffer_get_length(bufferevent_get_input(plain)));
	bufferevent_free(plain);
	c->bev = NULL;
	if (conn_start_tls_bev(c) < 0) {
		log_write(LOG_LEVEL_WARN, c->id, NULL, "STARTTLS setup failed: %s", tls_describe_error());
		conn_abort(c);
	}
}

int
conn_starttls(struct conn *c)
{
	if (c->is_tls || c->srv->tls == NULL || conn_wake(c) < 0)
		return -1;
	c->is_handshaking = true; /* set before the reply flushes: no more commands */
	bufferevent_disable(c->bev, EV_READ);
	if (conn_output_len(c) == 0)
		conn_starttls_switch(c);
	return 0;
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (c->is_closing || c->is_handshaking)
		return;
	if (c->filter != NULL &&
	        c->filter->in(c->filter_ctx, bufferevent_get_input(c->bev), c->filter_in) < 0) {
		conn_abort(c);
		return;
	}
	c->ops->on_read(c);
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (c->is_closing) {
		if (conn_output_len(c) == 0)
			server_conn_schedule_reap(c->srv, c);
		return;
	}
	if (c->is_handshaking && !c->is_tls) {
		if (conn_output_len(c) == 0)
			conn_starttls_switch(c);
		return;
	}
	if (c->ops->on_drain != NULL)
		c->ops->on_drain(c);
	if (c->may_sleep && conn_output_len(c) == 0)
		server_conn_schedule_sleep(c->srv, c);
}

/* conn_handshake_done - TLS is up: implicit TLS starts the protocol, STARTTLS resumes it. */
static void
conn_handshake_done(struct conn *c)
{
	bool is_implicit = c->lst->is_implicit_tls;

	c->is_handshaking = false;
	if (c->handshake_timer != NULL) {
		event_free(c->handshake_timer);
		c->handshake_timer = NULL;
	}
	if (is_implicit) {
		conn_begin(c);
		return;
	}
	if (c->ops->on_tls_ready != NULL)
		c->ops->on_tls_ready(c);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		conn_handshake_done(c);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		if ((what & BEV_EVENT_READING) && !c->is_closing && c->ops->on_timeout != NULL) {
			c->ops->on_timeout(c);
			return;
		}
		conn_abort(c); /* NET-6: a client that accepts no data */
		return;
	}
	if (c->is_handshaking && c->is_tls && (what & BEV_EVENT_ERROR)) {
		unsigned long e = bufferevent_get_openssl_error(bev);
		const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;

		/* TLS-6: no protocol reply; the category only, no peer data (LOG-3). */
		log_write(LOG_LEVEL_INFO, c->id, NULL, "TLS handshake failed: %s listener=%s",
			reason != NULL ? reason : "connection closed", c->lst->name);
	}
	conn_abort(c);
}

void
conn_close(struct conn *c)
{
	if (c->is_closing)
		return;
	c->is_closing = true;
	if (c->dormant_ev != NULL)
		event_del(c->dormant_ev); /* nothing to flush: freed by the reaper */
	if (c->bev == NULL || c->is_handshaking || conn_output_len(c) == 0) {
		server_conn_schedule_reap(c->srv, c);
		return;
	}
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_enable(c->bev, EV_WRITE);
}

void
conn_abort(struct conn *c)
{
	c->is_closing = true;
	if (c->dormant_ev != NULL)
		event_del(c->dormant_ev);
	if (c->bev != NULL)
		bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	server_conn_schedule_reap(c->srv, c);
}

struct conn *
conn_lookup(struct server *srv, uint64_t id)
{
	struct conn *c;

	if (srv->conn_hash == NULL)
		return NULL;
	for (c = srv->conn_hash[id & (srv->conn_hash_size - 1)]; c != NULL; c = c->hnext)
		if (c->id == id)
			return c->is_closing ? NULL : c;
	return NULL;
}
