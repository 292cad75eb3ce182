/*
 * smtp_session.c - SMTP session skeleton (SMTP-1..4, NET-3..5, GEN-6).
 *
 * Reads command lines through conn_read_line() and answers the commands of
 * the foundation; everything else gets 502 until the engine lands.
 * Does not touch sockets directly.
 */
#include "smtp/smtp_session.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core_conf.h"
#include "core/core_limits.h"
#include "core/core_log.h"
#include "net/net_server.h"
#include "smtp/smtp_auth.h"
#include "smtp/smtp_parse.h"

enum smtp_state { SMTP_STATE_GREETED, SMTP_STATE_HELO, SMTP_STATE_EHLO };

struct smtp_session {
	enum smtp_state state;
	bool is_quitting;
	struct smtp_auth auth; /* AUTH state (smtp_auth.c) */
};

static const char *
smtp_hostname(struct conn *c)
{
	return c->srv->conf->hostname;
}

static bool
smtp_is_submission(const struct conn *c)
{
	return c->lst->kind != LISTENER_SMTP;
}

static int
smtp_start(struct conn *c)
{
	struct smtp_session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return -1;
	c->session = s;
	conn_set_read_timeout(c, c->srv->conf->smtp_timeout);
	conn_printf(c, "220 %s ESMTP\r\n", smtp_hostname(c));
	return 0;
}

static void
smtp_ehlo(struct conn *c, struct smtp_session *s)
{
	conn_printf(c, "250-%s\r\n250-PIPELINING\r\n250-SIZE %llu\r\n", smtp_hostname(c),
		(unsigned long long)c->srv->conf->max_message_size);
	if (c->lst->offers_starttls && !c->is_tls)
		conn_printf(c, "250-STARTTLS\r\n");
	if (smtp_is_submission(c) && conn_is_auth_allowed(c))
		conn_printf(c, "250-AUTH PLAIN LOGIN\r\n");
	conn_printf(c, "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n");
	s->state = SMTP_STATE_EHLO;
}

/* smtp_starttls - SMTP-4; returns true when the connection switched to TLS. */
static bool
smtp_starttls(struct conn *c, struct smtp_session *s, const char *arg)
{
	if (*arg != '\0') {
		conn_printf(c, "501 5.5.4 Syntax error\r\n");
		return false;
	}
	if (c->is_tls) {
		conn_printf(c, "503 5.5.1 TLS already active\r\n");
		return false;
	}
	if (!c->lst->offers_starttls || c->srv->tls == NULL) {
		conn_printf(c, "502 5.5.1 Command not implemented\r\n");
		return false;
	}
	conn_printf(c, "220 2.0.0 Ready to start TLS\r\n");
	s->state = SMTP_STATE_GREETED;
	smtp_auth_reset(c, &s->auth);
	if (conn_starttls(c) < 0) {
		conn_close(c);
		return false;
	}
	return true;
}

/* smtp_command - one command line; returns false when reading must stop. */
static bool
smtp_command(struct conn *c, struct smtp_session *s, char *line)
{
	size_t vlen = strcspn(line, " ");
	char *arg = line + vlen;

	while (*arg == ' ')
		arg++;
	if (vlen == 4 && strncasecmp(line, "EHLO", 4) == 0) {
		if (*arg == '\0')
			conn_printf(c, "501 5.5.4 Syntax: EHLO hostname\r\n");
		else
			smtp_ehlo(c, s);
	} else if (vlen == 4 && strncasecmp(line, "HELO", 4) == 0) {
		if (*arg == '\0') {
			conn_printf(c, "501 5.5.4 Syntax: EHLO hostname\r\n");
		} else {
			conn_printf(c, "250 %s\r\n", smtp_hostname(c));
			s->state = SMTP_STATE_HELO;
		}
	} else if (vlen == 4 && strncasecmp(line, "AUTH", 4) == 0) {
		return smtp_auth_command(c, &s->auth, arg, s->state != SMTP_STATE_GREETED, false);
	} else if (vlen == 8 && strncasecmp(line, "STARTTLS", 8) == 0) {
		return !smtp_starttls(c, s, arg);
	} else if (vlen == 4 && (strncasecmp(line, "NOOP", 4) == 0 ||
				       strncasecmp(line, "RSET", 4) == 0)) {
		conn_printf(c, "250 2.0.0 OK\r\n");
	} else if (vlen == 4 && strncasecmp(line, "QUIT", 4) == 0) {
		conn_printf(c, "221 2.0.0 Bye\r\n");
		s->is_quitting = true;
		conn_close(c);
		return false;
	} else {
		conn_printf(c, "502 5.5.1 Command not implemented\r\n");
	}
	return true;
}

/* smtp_is_long_line - SMTP-2 for a command line (smtp_parse.c has the rule). */
static bool
smtp_is_long_line(const char *line, size_t len)
{
	struct smtp_cmd cmd;
	const char *reply;

	smtp_parse_command(line, len, &cmd);
	return smtp_parse_line_len(&cmd, len, &reply) < 0;
}

/* smtp_is_busy - an authentication is pending: its completion resumes the session. */
static bool
smtp_is_busy(struct conn *c)
{
	struct smtp_session *s = c->session;

	return smtp_auth_is_busy(&s->auth);
}

static bool
smtp_on_line(struct conn *c, char *line, size_t len, bool is_too_long)
{
	struct smtp_session *s = c->session;

	if (is_too_long || (s->auth.step == SMTP_AUTH_STEP_NONE && smtp_is_long_line(line, len))) {
		conn_printf(c, "500 5.5.2 Line too long\r\n");
		return true;
	}
	if (c->srv->is_shutting_down) {
		conn_printf(c, "421 4.3.2 %s Service shutting down\r\n", smtp_hostname(c));
		conn_close(c);
		return false;
	}
	if (s->auth.step != SMTP_AUTH_STEP_NONE)
		return smtp_auth_continue(c, &s->auth, line);
	return smtp_command(c, s, line);
}

static void
smtp_on_read(struct conn *c)
{
	char line[SMTP_AUTH_LINE_MAX];

	conn_pump_lines(c, line, sizeof(line), smtp_is_busy, smtp_on_line);
}

static void
smtp_on_drain(struct conn *c)
{
	conn_pump_drain(c, smtp_is_busy);
}

struct smtp_auth *
smtp_session_auth(struct conn *c)
{
	struct smtp_session *s = c->session;

	return s != NULL ? &s->auth : NULL;
}

void
smtp_session_resume(struct conn *c)
{
	smtp_on_drain(c);
}

static void
smtp_on_timeout(struct conn *c)
{
	conn_printf(c, "421 4.4.2 %s Timeout\r\n", smtp_hostname(c));
	conn_close(c);
}

/* smtp_on_shutdown - GEN-6: a session waiting for a command gets the 421 at once. */
static void
smtp_on_shutdown(struct conn *c)
{
	conn_printf(c, "421 4.3.2 %s Service shutting down\r\n", smtp_hostname(c));
	conn_close(c);
}

static void
smtp_on_limit(struct conn *c)
{
	conn_printf(c, "421 4.7.0 %s Too many connections\r\n", smtp_hostname(c));
}

static void
smtp_free_session(struct conn *c)
{
	struct smtp_session *s = c->session;

	if (s != NULL)
		smtp_auth_reset(c, &s->auth);
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
