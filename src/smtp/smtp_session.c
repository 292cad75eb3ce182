/*
 * smtp_session.c - SMTP session life cycle and input loop (SMTP-1, SMTP-2,
 * SMTP-12, SMTP-13, NET-3..6, GEN-6).
 *
 * Reads command lines in order (PIPELINING: everything already buffered
 * is processed before the replies are flushed in one write), hands them
 * to the command table (smtp_cmd.c), and passes DATA input to smtp_txn.c.
 * While a worker job runs (lookup, AUTH, acceptance) input stays buffered
 * and reading pauses. Does not touch sockets directly.
 */
#include "smtp/smtp_session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "core/core_conf.h"
#include "core/core_limits.h"
#include "core/core_log.h"
#include "smtp/smtp_spool.h"
#include "core/core_str.h"
#include "net/net_server.h"
#include "smtp/smtp_int.h"

const char *
smtp_state_name(enum smtp_state state)
{
	static const char *const names[] = {
	        "greeted", "ready", "mail", "rcpt", "data", "accepting", "closing"};

	return (size_t)state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}

bool
smtp_is_submission(const struct conn *c)
{
	return c->lst->kind != LISTENER_SMTP;
}

/* smtp_reply_is_error - SMTP-13 counts 500-504 and 555. */
static bool
smtp_reply_is_error(const char *line)
{
	return strncmp(line, "555", 3) == 0 ||
	        (line[0] == '5' && line[1] == '0' && line[2] >= '0' && line[2] <= '4');
}

void
smtp_reply(struct conn *c, const char *line)
{
	struct smtp_session *s = c->session;

	conn_printf(c, "%s\r\n", line);
	if (s == NULL || !smtp_reply_is_error(line))
		return;
	if (++s->errors >= SMTP_ERRORS_MAX && s->state != SMTP_STATE_CLOSING) {
		conn_printf(c, "421 4.7.0 %s Too many errors\r\n", c->srv->conf->hostname);
		s->state = SMTP_STATE_CLOSING;
		conn_close(c);
	}
}

void
smtp_replyf(struct conn *c, const char *fmt, ...)
{
	char line[SMTP_LINE_MAX + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	smtp_reply(c, line);
}

struct smtp_tx *
smtp_tx_new(void)
{
	struct smtp_tx *tx = calloc(1, sizeof(*tx));

	if (tx != NULL)
		tx->fd = -1;
	return tx;
}

void
smtp_tx_free(struct smtp_tx **txp)
{
	struct smtp_tx *tx = *txp;

	if (tx == NULL)
		return;
	smtp_spool_release(tx->fd);
	free(tx->rcpts);
	free(tx);
	*txp = NULL;
}

int
smtp_tx_add_rcpt(struct smtp_tx *tx, const char *addr, bool is_local, bool is_discard)
{
	struct smtp_tx_rcpt *r;

	if (tx->nrcpts == tx->cap) {
		size_t cap = tx->cap ? tx->cap * 2 : 4;
		struct smtp_tx_rcpt *n = realloc(tx->rcpts, cap * sizeof(*n));

		if (n == NULL)
			return -1;
		tx->rcpts = n;
		tx->cap = cap;
	}
	r = &tx->rcpts[tx->nrcpts++];
	snprintf(r->addr, sizeof(r->addr), "%s", addr);
	r->is_local = is_local;
	r->is_discard = is_discard;
	return 0;
}

void
smtp_session_reset_tx(struct smtp_session *s)
{
	smtp_tx_free(&s->tx);
	if (s->state != SMTP_STATE_CLOSING && s->state != SMTP_STATE_GREETED)
		s->state = SMTP_STATE_READY;
}

static int
smtp_start(struct conn *c)
{
	struct smtp_session *s = calloc(1, sizeof(*s));
	struct log_personal lp;

	if (s == NULL)
		return -1;
	c->session = s;
	log_write(LOG_LEVEL_DEBUG, c->id, log_personal(&lp, "peer=%s", c->peer_ip),
	        "smtp session listener=%s", c->lst->name);
	conn_set_read_timeout(c, c->srv->conf->smtp_timeout);
	conn_printf(c, "220 %s ESMTP\r\n", c->srv->conf->hostname);
	return 0;
}

static bool
smtp_is_waiting(const struct smtp_session *s)
{
	return s->is_busy || smtp_auth_is_busy(&s->auth) || s->state == SMTP_STATE_ACCEPTING;
}

/* smtp_read_command - one command or SASL line; false when reading must stop. */
static bool
smtp_read_command(struct conn *c, struct smtp_session *s)
{
	char line[SMTP_AUTH_LINE_MAX];
	size_t len;
	bool is_more;
	enum conn_line r = conn_read_line(c, line, sizeof(line), &len);

	if (r == CONN_LINE_NEED_MORE)
		return false;
	if (r == CONN_LINE_TOO_LONG) {
		smtp_reply(c, SMTP_REPLY_LINE_TOO_LONG);
		return true;
	}
	if (c->srv->is_shutting_down) {
		conn_printf(c, "421 4.3.2 %s Service shutting down\r\n", c->srv->conf->hostname);
		s->state = SMTP_STATE_CLOSING;
		conn_close(c);
		return false;
	}
	if (s->auth.step != SMTP_AUTH_STEP_NONE)
		is_more = smtp_auth_continue(c, &s->auth, line);
	else
		is_more = smtp_cmd_dispatch(c, s, line, len);
	str_wipe(line, len);
	return is_more;
}

static void
smtp_on_read(struct conn *c)
{
	struct smtp_session *s = c->session;

	while (!c->is_closing && !c->is_handshaking && !smtp_is_waiting(s) &&
	        s->state != SMTP_STATE_CLOSING) {
		bool is_more =
		        s->state == SMTP_STATE_DATA ? smtp_txn_feed(c, s) : smtp_read_command(c, s);

		if (!is_more)
			break;
		if (conn_output_len(c) > NET_OUTPUT_HIGH_WATER) {
			conn_pause_reading(c);
			break;
		}
	}
}

static void
smtp_on_drain(struct conn *c)
{
	struct smtp_session *s = c->session;

	if (smtp_is_waiting(s) || c->is_closing)
		return;
	if (evbuffer_get_length(conn_input(c)) > 0 && !c->is_handshaking)
		smtp_on_read(c);
	if (!smtp_is_waiting(s) && !c->is_closing)
		conn_resume_reading(c);
}

struct smtp_auth *
smtp_session_auth(struct conn *c)
{
	struct smtp_session *s = c->session;

	return s != NULL ? &s->auth : NULL;
}

/* smtp_session_resume - an AUTH request completed (smtp_auth.c). */
void
smtp_session_resume(struct conn *c)
{
	smtp_session_unbusy(c);
}

void
smtp_session_unbusy(struct conn *c)
{
	struct smtp_session *s = c->session;

	s->is_busy = false;
	if (s->is_draining && !smtp_auth_is_busy(&s->auth) && s->state != SMTP_STATE_DATA &&
	        s->state != SMTP_STATE_ACCEPTING) {
		conn_printf(c, "421 4.3.2 %s Service shutting down\r\n", c->srv->conf->hostname);
		s->state = SMTP_STATE_CLOSING;
		conn_close(c);
		return;
	}
	smtp_on_drain(c);
}

static void
smtp_on_timeout(struct conn *c)
{
	struct smtp_session *s = c->session;

	conn_printf(c, "421 4.4.2 %s Timeout\r\n", c->srv->conf->hostname);
	s->state = SMTP_STATE_CLOSING;
	conn_close(c);
}

/*
 * smtp_on_shutdown - GEN-6: a session waiting for a command gets the 421 at
 * once; a DATA transfer or an acceptance job in progress finishes first
 * (the server's drain timer bounds how long).
 */
static void
smtp_on_shutdown(struct conn *c)
{
	struct smtp_session *s = c->session;

	if (s->state == SMTP_STATE_DATA || smtp_is_waiting(s)) {
		s->is_draining = true;
		return;
	}
	conn_printf(c, "421 4.3.2 %s Service shutting down\r\n", c->srv->conf->hostname);
	s->state = SMTP_STATE_CLOSING;
	conn_close(c);
}

static void
smtp_on_limit(struct conn *c)
{
	conn_printf(c, "421 4.7.0 %s Too many connections\r\n", c->srv->conf->hostname);
}

static void
smtp_free_session(struct conn *c)
{
	struct smtp_session *s = c->session;

	if (s != NULL) {
		smtp_auth_reset(c, &s->auth);
		smtp_tx_free(&s->tx);
	}
	free(c->session);
	c->session = NULL;
}

const struct proto_ops smtp_proto_ops = {
        .name = "smtp",
        .start = smtp_start,
        .on_read = smtp_on_read,
        .on_drain = smtp_on_drain,
        .on_tls_ready = NULL,
        .on_timeout = smtp_on_timeout,
        .on_shutdown = smtp_on_shutdown,
        .on_limit = smtp_on_limit,
        .free_session = smtp_free_session,
};
