/*
 * imap_session.c - IMAP session skeleton (IMAP-1, IMAP-4, NET-3..5, GEN-6).
 *
 * Reads tagged command lines and answers the commands of the foundation;
 * others get BAD until the engine lands. Does not touch sockets directly.
 */
#include "imap/imap_session.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core_conf.h"
#include "core/core_limits.h"
#include "core/core_log.h"
#include "imap/imap_auth.h"
#include "net/net_server.h"

struct imap_session {
	bool is_logging_out;
	struct imap_auth auth; /* LOGIN / AUTHENTICATE state (imap_auth.c) */
};

/* imap_capabilities - the IMAP-3 lists, restricted to what exists so far. */
static const char *
imap_capabilities(const struct conn *c)
{
	const struct imap_session *s = c->session;

	if (s != NULL && s->auth.is_authenticated)
		return "IMAP4rev1";
	if (c->is_tls)
		return "IMAP4rev1 SASL-IR AUTH=PLAIN";
	return conn_is_auth_allowed(c) ? "IMAP4rev1 SASL-IR STARTTLS AUTH=PLAIN" :
		"IMAP4rev1 SASL-IR STARTTLS LOGINDISABLED";
}

const char *
imap_session_capabilities(const struct conn *c)
{
	return imap_capabilities(c);
}

struct imap_auth *
imap_session_auth(struct conn *c)
{
	struct imap_session *s = c->session;

	return s != NULL ? &s->auth : NULL;
}

static int
imap_start(struct conn *c)
{
	struct imap_session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return -1;
	c->session = s;
	conn_set_read_timeout(c, c->srv->conf->imap_login_timeout);
	conn_printf(c, "* OK [CAPABILITY %s] %s ready.\r\n", imap_capabilities(c),
		c->srv->conf->hostname);
	return 0;
}

/* imap_command - one tagged line; returns false when reading must stop. */
static bool
imap_command(struct conn *c, struct imap_session *s, char *line)
{
	size_t tlen = strcspn(line, " ");
	char *cmd = line + tlen;
	size_t clen;

	if (tlen == 0 || *cmd != ' ') {
		conn_printf(c, "* BAD Missing tag or command.\r\n");
		return true;
	}
	*cmd++ = '\0';
	clen = strcspn(cmd, " ");
	if (clen == 10 && strncasecmp(cmd, "CAPABILITY", 10) == 0) {
		conn_printf(c, "* CAPABILITY %s\r\n%s OK Capability completed.\r\n",
			imap_capabilities(c), line);
	} else if (clen == 4 && strncasecmp(cmd, "NOOP", 4) == 0) {
		conn_printf(c, "%s OK NOOP completed.\r\n", line);
	} else if (clen == 6 && strncasecmp(cmd, "LOGOUT", 6) == 0) {
		conn_printf(c, "* BYE Logging out.\r\n%s OK Logout completed.\r\n", line);
		s->is_logging_out = true;
		conn_close(c);
		return false;
	} else if (clen == 8 && strncasecmp(cmd, "STARTTLS", 8) == 0) {
		if (c->is_tls || !c->lst->offers_starttls) {
			conn_printf(c, "%s BAD TLS is already active.\r\n", line);
			return true;
		}
		conn_printf(c, "%s OK Begin TLS negotiation now.\r\n", line);
		if (conn_starttls(c) < 0)
			conn_close(c);
		return false;
	} else if (clen == 5 && strncasecmp(cmd, "LOGIN", 5) == 0) {
		return imap_auth_login(c, &s->auth, line, cmd[clen] == ' ' ? cmd + clen + 1 : "");
	} else if (clen == 12 && strncasecmp(cmd, "AUTHENTICATE", 12) == 0) {
		return imap_auth_authenticate(c, &s->auth, line,
			cmd[clen] == ' ' ? cmd + clen + 1 : "");
	} else {
		conn_printf(c, "%s BAD Unknown command.\r\n", line);
	}
	return true;
}

/* imap_is_busy - an authentication is pending: its completion resumes the session. */
static bool
imap_is_busy(struct conn *c)
{
	struct imap_session *s = c->session;

	return imap_auth_is_busy(&s->auth);
}

static bool
imap_on_line(struct conn *c, char *line, size_t len, bool is_too_long)
{
	struct imap_session *s = c->session;

	(void)len;
	if (is_too_long) {
		conn_printf(c, "* BAD Command line too long.\r\n");
		return true;
	}
	if (s->auth.is_sasl_waiting)
		return imap_auth_continue(c, &s->auth, line);
	return imap_command(c, s, line);
}

static void
imap_on_read(struct conn *c)
{
	char line[IMAP_LINE_MAX];

	conn_pump_lines(c, line, sizeof(line), imap_is_busy, imap_on_line);
}

static void
imap_on_drain(struct conn *c)
{
	conn_pump_drain(c, imap_is_busy);
}

void
imap_session_resume(struct conn *c)
{
	imap_on_drain(c);
}

static void
imap_on_timeout(struct conn *c)
{
	struct imap_session *s = c->session;

	if (s->auth.is_authenticated)
		conn_printf(c, "* BYE Autologout; idle for too long.\r\n");
	else
		conn_printf(c, "* BYE Login timeout.\r\n"); /* IMAP-7 */
	conn_close(c);
}

static void
imap_on_shutdown(struct conn *c)
{
	conn_printf(c, "* BYE Server shutting down.\r\n");
	conn_close(c);
}

static void
imap_on_limit(struct conn *c)
{
	conn_printf(c, "* BYE Too many connections.\r\n");
}

static void
imap_free_session(struct conn *c)
{
	struct imap_session *s = c->session;

	if (s != NULL)
		imap_auth_end(c, &s->auth);
	free(c->session);
	c->session = NULL;
}

const struct proto_ops imap_proto_ops = {
	.name = "imap",
	.start = imap_start,
	.on_read = imap_on_read,
	.on_drain = imap_on_drain,
	.on_tls_ready = NULL,
	.on_timeout = imap_on_timeout,
	.on_shutdown = imap_on_shutdown,
	.on_limit = imap_on_limit,
	.free_session = imap_free_session,
};
