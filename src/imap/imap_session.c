/*
 * imap_session.c - the IMAP session: states, the parser-driven read loop,
 * literal policy, command dispatch, timeouts, shutdown (IMAP-1..12, IMAP-7,
 * NET-3..6, GEN-6, ACC-7).
 *
 * Reads octets from the connection into the incremental parser
 * (imap_parse.h), decides on every announced literal (IMAP-11), runs one
 * complete command at a time from the table (imap_cmd.c) and stops reading
 * while a command is in progress or the output is over NET-6's bound.
 * Does not touch sockets directly; no blocking work.
 */
#include "imap/imap_session.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bus/bus.h"
#include "core/core_conf.h"
#include "core/core_limits.h"
#include "core/core_log.h"
#include "core/core_str.h"
#include "imap/imap_args_parse.h"
#include "imap/imap_job.h"
#include "imap/imap_mbname.h"
#include "imap/imap_session_int.h"
#include "net/net_server.h"
#include "store/store.h"

/* imap_capabilities - IMAP-3; XDELTAPUSH with push = yes and the meta module running. */
const char *
imap_session_capabilities(const struct conn *c)
{
	static char buf[512];
	const struct imap_session *s = c->session;
	bool is_authed = s != NULL && s->auth.is_authenticated;
	const char *tail;

	if (is_authed)
		tail = "";
	else if (c->is_tls)
		tail = " AUTH=PLAIN";
	else
		tail = conn_is_auth_allowed(c) ? " STARTTLS AUTH=PLAIN" : " STARTTLS LOGINDISABLED";
	snprintf(buf, sizeof(buf),
	        "IMAP4rev1 LITERAL+%s ID ENABLE IDLE NAMESPACE UNSELECT UIDPLUS MOVE CONDSTORE "
	        "QUOTA METADATA SPECIAL-USE%s XCHATMAIL%s%s",
	        is_authed ? "" : " SASL-IR", c->srv->conf->imap_compress ? " COMPRESS=DEFLATE" : "",
	        c->srv->conf->push && c->srv->meta != NULL ? " XDELTAPUSH" : "", tail);
	return buf;
}

struct imap_auth *
imap_session_auth(struct conn *c)
{
	struct imap_session *s = c->session;

	return s != NULL ? &s->auth : NULL;
}

struct imap_session *
imap_session_get(struct server *srv, uint64_t id)
{
	struct conn *c = conn_lookup(srv, id);

	return c != NULL && c->ops == &imap_proto_ops ? c->session : NULL;
}

const char *
imap_account(const struct imap_session *s)
{
	return s->auth.address != NULL ? s->auth.address : "";
}

void
imap_reply(struct imap_session *s, const char *tag, const char *fmt, ...)
{
	struct evbuffer *out = evbuffer_new();
	va_list ap;

	if (out == NULL) {
		conn_close(s->c);
		return;
	}
	evbuffer_add_printf(out, "%s ", tag);
	va_start(ap, fmt);
	evbuffer_add_vprintf(out, fmt, ap);
	va_end(ap);
	evbuffer_add(out, "\r\n", 2);
	conn_write_buffer(s->c, out);
	evbuffer_free(out);
	if (strncmp(fmt, "BAD", 3) == 0) {
		if (++s->bad_count >= IMAP_BAD_MAX) {
			conn_printf(s->c, "* BYE Too many invalid commands.\r\n");
			conn_close(s->c);
		}
	} else {
		s->bad_count = 0;
	}
}

void
imap_reply_errno(struct imap_session *s, const char *tag, int err)
{
	switch (err) {
	case ENOENT:
		imap_reply(s, tag, "NO [NONEXISTENT] Mailbox doesn't exist.");
		break;
	case EDQUOT:
		imap_reply(s, tag, "NO [OVERQUOTA] Quota exceeded.");
		break;
	case EEXIST:
		imap_reply(s, tag, "NO [ALREADYEXISTS] Mailbox already exists.");
		break;
	default:
		imap_reply(s, tag, "NO [SERVERBUG] Internal error.");
		break;
	}
}

bool
imap_mailbox_arg(const struct imap_arg *a, char out[256])
{
	const char *name;
	size_t len;

	if (!imap_arg_get_astring(a, &name, &len))
		return false;
	return imap_mbname_normalize(name, len, IMAP_MBNAME_LOOKUP, out) == 0;
}

bool
imap_mailbox_only_arg(struct imap_session *s, const struct imap_command *cmd, char out[256])
{
	if (cmd->count != 1) {
		imap_reply(s, cmd->tag, "BAD Invalid arguments.");
		return false;
	}
	if (!imap_mailbox_arg(&cmd->args[0], out)) {
		imap_reply(s, cmd->tag, "NO [NONEXISTENT] Mailbox doesn't exist.");
		return false;
	}
	return true;
}

static int
imap_start(struct conn *c)
{
	struct imap_session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return -1;
	s->c = c;
	s->state = IMAP_STATE_NOT_AUTH;
	c->session = s; /* the parser comes with the first command octet (imap_feed) */
	conn_set_read_timeout(c, c->srv->conf->imap_login_timeout);
	conn_printf(c, "* OK [CAPABILITY %s] %s ready.\r\n", imap_session_capabilities(c),
	        c->srv->conf->hostname);
	return 0;
}

/* imap_dispatch - run one complete command (IMAP-2 state check, UID forms). */
static enum imap_cmd_result
imap_dispatch(struct imap_session *s, const struct imap_command *cmd)
{
	const struct imap_cmd *row;
	bool is_uid = false;
	const char *name = cmd->name;

	s->tag = cmd->tag;
	if (strcasecmp(name, "UID") == 0) {
		const char *sub;

		if (cmd->count < 1 || !imap_arg_get_atom(&cmd->args[0], &sub)) {
			imap_reply(s, cmd->tag, "BAD Missing UID command.");
			return IMAP_CMD_DONE;
		}
		row = imap_cmd_lookup(sub);
		if (row == NULL || !row->has_uid_form) {
			imap_reply(s, cmd->tag, "BAD Unknown command.");
			return IMAP_CMD_DONE;
		}
		is_uid = true;
	} else {
		row = imap_cmd_lookup(name);
	}
	if (row == NULL) {
		imap_reply(s, cmd->tag, "BAD Unknown command.");
		return IMAP_CMD_DONE;
	}
	if (!(row->states & s->state)) {
		imap_reply(s, cmd->tag, "BAD Command not valid in this state.");
		return IMAP_CMD_DONE;
	}
	s->cmd = row;
	if (is_uid) {
		struct imap_command sub = *cmd;

		sub.name = row->name;
		sub.args = cmd->args + 1;
		sub.count = cmd->count - 1;
		return row->run(s, &sub, true);
	}
	return row->run(s, cmd, false);
}

/* imap_literal_decide - IMAP-11 policy for an announced literal. */
static void
imap_literal_decide(struct imap_session *s)
{
	struct imap_parser *p = s->parser;
	const struct imap_literal_info *li = imap_parser_literal(p);
	bool is_second = false;
	const char *reply = NULL;

	if (li->name != NULL && strcasecmp(li->name, "APPEND") == 0 &&
	        s->state != IMAP_STATE_NOT_AUTH && imap_append_literal_is_message(p, &is_second)) {
		if (is_second) {
			reply = "BAD MULTIAPPEND is not supported.";
		} else if (imap_append_literal_begin(s, li->size, li->is_sync, &reply) == 0) {
			imap_parser_literal_stream(p);
			if (li->is_sync)
				conn_printf(s->c, "+ Ready for literal data.\r\n");
			return;
		}
	} else if (li->size <= IMAP_LITERAL_MAX && imap_parser_literal_accept(p) == 0) {
		if (li->is_sync)
			conn_printf(s->c, "+ Ready for literal data.\r\n");
		return;
	} else {
		reply = "BAD Literal too large.";
	}
	/* The tag is known: remember the reply for the ERROR the parser gives after draining. */
	s->refuse_reply = reply;
	imap_parser_literal_refuse(p);
}

/* imap_parse_error - reply to a rejected command (IMAP-8, IMAP-11). */
static void
imap_parse_error(struct imap_session *s)
{
	enum imap_parse_error kind;
	const char *text = imap_parser_error(s->parser, &kind);
	const char *tag = imap_parser_tag(s->parser);

	imap_append_free(&s->append);
	switch (kind) {
	case IMAP_PARSE_ERR_TAG:
		conn_printf(s->c, "* BAD Invalid tag.\r\n");
		s->bad_count++;
		break;
	case IMAP_PARSE_ERR_FATAL:
		conn_printf(s->c, "* BYE Literal too large.\r\n");
		conn_close(s->c);
		break;
	case IMAP_PARSE_ERR_REFUSED:
		imap_reply(s, tag != NULL ? tag : "*", "%s",
		        s->refuse_reply != NULL ? s->refuse_reply : "BAD Literal refused.");
		break;
	case IMAP_PARSE_ERR_INTERNAL:
		imap_reply(s, tag != NULL ? tag : "*", "NO [SERVERBUG] Internal error.");
		break;
	default:
		imap_reply(s, tag != NULL ? tag : "*", "BAD %s", text);
		break;
	}
	imap_parser_reset(s->parser);
}

/* imap_raw_line - a line outside the command grammar (SASL response, IDLE's DONE). */
static bool
imap_raw_line(struct imap_session *s)
{
	char line[IMAP_LINE_MAX];
	size_t len = 0;
	enum conn_line r = conn_read_line(s->c, line, sizeof(line), &len);

	if (r == CONN_LINE_NEED_MORE)
		return false;
	if (r == CONN_LINE_TOO_LONG)
		line[0] = '\0';
	if (s->is_idling) {
		imap_idle_line(s, line);
	} else {
		imap_auth_continue(s->c, &s->auth, line);
		if (imap_auth_is_busy(&s->auth))
			s->is_busy = true;
	}
	str_wipe(line, len);
	return true;
}

/* imap_feed - give the parser the first input chunk; false when nothing more can be done now. */
static bool
imap_feed(struct imap_session *s)
{
	struct evbuffer *in = conn_input(s->c);
	struct evbuffer_iovec v;
	enum imap_parse_result r;
	size_t used = 0;

	if (evbuffer_peek(in, -1, NULL, &v, 1) < 1 || v.iov_len == 0)
		return false;
	if (s->parser == NULL && (s->parser = imap_parser_new()) == NULL) {
		conn_printf(s->c, "* BYE Internal error.\r\n");
		conn_close(s->c);
		return false;
	}
	r = imap_parser_feed(s->parser, v.iov_base, v.iov_len, &used);
	if (r == IMAP_PARSE_LITERAL_DATA) {
		const unsigned char *d;
		size_t n;

		imap_parser_chunk(s->parser, &d, &n);
		if (imap_append_literal_data(s, d, n) < 0)
			imap_append_free(&s->append); /* the command ends with NO at the end */
	}
	evbuffer_drain(in, used);
	switch (r) {
	case IMAP_PARSE_NEED_MORE:
	case IMAP_PARSE_LITERAL_DATA:
		return true;
	case IMAP_PARSE_LITERAL:
		imap_literal_decide(s);
		/* A refused synchronising literal ends the command without more input. */
		if (imap_parser_feed(s->parser, "", 0, &used) == IMAP_PARSE_ERROR)
			imap_parse_error(s);
		return true;
	case IMAP_PARSE_ERROR:
		imap_parse_error(s);
		return true;
	case IMAP_PARSE_COMPLETE:
		if (imap_dispatch(s, imap_parser_command(s->parser)) == IMAP_CMD_ASYNC) {
			s->is_busy = true;
			return false;
		}
		if (!s->is_busy)
			imap_parser_reset(s->parser);
		return true;
	}
	return false;
}

/*
 * imap_parser_release - between commands with no input waiting the parser
 * holds nothing: free it, so that a session sitting in IDLE or waiting for
 * its next command carries no parser state (issue 9).
 */
static void
imap_parser_release(struct imap_session *s)
{
	if (s->parser != NULL && !s->is_busy && s->append == NULL &&
	        imap_parser_is_idle(s->parser) && evbuffer_get_length(conn_input(s->c)) == 0)
		imap_parser_free(&s->parser);
}

static void
imap_on_read(struct conn *c)
{
	struct imap_session *s = c->session;

	while (!c->is_closing && !c->is_handshaking && !s->is_busy && !imap_auth_is_busy(&s->auth)) {
		if (s->is_bye_pending && s->append == NULL) {
			conn_printf(c, "* BYE Server shutting down.\r\n"); /* GEN-6, deferred */
			conn_close(c);
			return;
		}
		if (conn_output_len(c) > NET_OUTPUT_HIGH_WATER) {
			conn_pause_reading(c); /* NET-6: resumed by on_drain */
			return;
		}
		if (evbuffer_get_length(conn_input(c)) == 0)
			break;
		if (s->is_idling || s->auth.is_sasl_waiting) {
			if (!imap_raw_line(s))
				break;
			continue;
		}
		if (!imap_feed(s))
			break;
	}
	if (s->is_busy || imap_auth_is_busy(&s->auth))
		conn_pause_reading(c);
	else
		imap_parser_release(s);
}

void
imap_cmd_finish(struct imap_session *s)
{
	s->is_busy = false;
	s->cmd = NULL;
	s->tag = NULL;
	if (s->parser != NULL)
		imap_parser_reset(s->parser);
	if (s->c->is_closing)
		return;
	if (s->is_bye_pending) {
		conn_printf(s->c, "* BYE Server shutting down.\r\n");
		conn_close(s->c);
		return;
	}
	conn_resume_reading(s->c);
	imap_on_read(s->c);
}

static void
imap_on_drain(struct conn *c)
{
	struct imap_session *s = c->session;

	if (s->parked != NULL && s->on_drain != NULL) {
		s->on_drain(s); /* a FETCH continues with its next batch */
		return;
	}
	if (s->is_busy || imap_auth_is_busy(&s->auth))
		return;
	conn_resume_reading(c);
	if (evbuffer_get_length(conn_input(c)) > 0 && !c->is_handshaking)
		imap_on_read(c);
}

/* imap_session_resume - the auth completion answered LOGIN/AUTHENTICATE. */
void
imap_session_resume(struct conn *c)
{
	struct imap_session *s = c->session;

	if (s->auth.is_authenticated && s->state == IMAP_STATE_NOT_AUTH) {
		s->state = IMAP_STATE_AUTH;
		if (imap_quota_prefetch(s) == 0)
			return; /* the next command waits for the limit */
	}
	imap_cmd_finish(s);
}

static void
imap_on_timeout(struct conn *c)
{
	struct imap_session *s = c->session;

	if (s->is_idling) {
		imap_idle_keepalive(s); /* IMAP-7: IDLE has no server limit; IMAP-52 */
		return;
	}
	if (s->auth.is_authenticated)
		conn_printf(c, "* BYE Autologout; idle for too long.\r\n");
	else
		conn_printf(c, "* BYE Login timeout.\r\n"); /* IMAP-7 */
	conn_close(c);
}

static void
imap_on_shutdown(struct conn *c)
{
	struct imap_session *s = c->session;

	if (s != NULL && (s->append != NULL || s->is_busy)) {
		/* GEN-6: an APPEND transfer or a running command may finish (the drain
		 * timer ends it); the goodbye follows its tagged reply. */
		s->is_bye_pending = true;
		return;
	}
	conn_printf(c, "* BYE Server shutting down.\r\n");
	conn_close(c);
}

static void
imap_on_limit(struct conn *c)
{
	conn_printf(c, "* BYE Too many connections.\r\n");
}

static void
imap_on_tls_ready(struct conn *c)
{
	struct imap_session *s = c->session;

	if (s->parser != NULL)
		imap_parser_reset(s->parser); /* NET-5 */
	imap_cmd_finish(s);
}

static void
imap_free_session(struct conn *c)
{
	struct imap_session *s = c->session;

	if (s == NULL)
		return;
	imap_idle_stop(s);
	free(s->idle_tag);
	imap_job_free(s->parked);
	imap_selected_close(s);
	imap_append_free(&s->append);
	imap_auth_end(c, &s->auth);
	imap_parser_free(&s->parser);
	free(s);
	c->session = NULL;
}

const struct proto_ops imap_proto_ops = {
	.name = "imap",
	.start = imap_start,
	.on_read = imap_on_read,
	.on_drain = imap_on_drain,
	.on_tls_ready = imap_on_tls_ready,
	.on_timeout = imap_on_timeout,
	.on_shutdown = imap_on_shutdown,
	.on_limit = imap_on_limit,
	.free_session = imap_free_session,
};
