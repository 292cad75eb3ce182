/*
 * imap_cmd_idle.c - IDLE (RFC 2177; SPEC IMAP-51, IMAP-52, DC-2 step 13).
 *
 * While idling the session reads raw lines (DONE) instead of commands; bus
 * events of the selected mailbox are announced at once from the bus
 * callback (imap_cmd_select.c). The keepalive `* OK Still here` every
 * imap_idle_keepalive rides on the connection's read timeout: during IDLE
 * the client sends nothing but DONE, so "no input for that long" is the
 * keepalive period, and no timer of its own is needed. Idle sessions hold
 * no big buffers (issue 9: tens of thousands sit here): the parser is
 * released when IDLE starts waiting, only the tag is kept, and the
 * connection may go dormant (net_conn.h) between updates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core_conf.h"
#include "imap/imap_session_int.h"
#include "net/net_server.h"

/* imap_idle_period - the keepalive period in seconds (IMAP-52). */
static long
imap_idle_period(const struct imap_session *s)
{
	long secs = s->c->srv->conf->imap_idle_keepalive;

	return secs > 0 ? secs : 120;
}

void
imap_idle_keepalive(struct imap_session *s)
{
	conn_printf(s->c, "* OK Still here\r\n");
	conn_resume_reading(s->c); /* the timeout paused reading; this re-arms it */
}

void
imap_idle_stop(struct imap_session *s)
{
	s->is_idling = false;
	conn_set_may_sleep(s->c, false);
}

/* imap_idle_reply - the tagged reply that ends IDLE; the tag is not needed afterwards. */
static void
imap_idle_reply(struct imap_session *s, const char *text)
{
	imap_reply(s, s->idle_tag != NULL ? s->idle_tag : "*", "%s", text);
	free(s->idle_tag);
	s->idle_tag = NULL;
}

enum imap_cmd_result
imap_cmd_idle(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	(void)is_uid;
	if (cmd->count != 0) {
		imap_reply(s, cmd->tag, "BAD Unexpected arguments.");
		return IMAP_CMD_DONE;
	}
	if (strlen(cmd->tag) >= IMAP_AUTH_TAG_MAX) {
		imap_reply(s, cmd->tag, "BAD Tag too long.");
		return IMAP_CMD_DONE;
	}
	free(s->idle_tag);
	s->idle_tag = strdup(cmd->tag); /* the parser and its arena go away while idling */
	if (s->idle_tag == NULL) {
		imap_reply(s, cmd->tag, "NO [SERVERBUG] Internal error.");
		return IMAP_CMD_DONE;
	}
	s->is_idling = true;
	/* IMAP-7: no server limit while idling; the timeout is the keepalive (IMAP-52). */
	conn_set_read_timeout(s->c, imap_idle_period(s));
	conn_printf(s->c, "+ idling\r\n");
	imap_send_updates(s, true);
	/* Nothing in flight until DONE: the connection may go dormant once flushed. */
	conn_set_may_sleep(s->c, true);
	return IMAP_CMD_DONE; /* the parser is reset; DONE arrives as a raw line */
}

/* imap_idle_synced - the wake-up sync is done: updates, then the tagged OK. */
static void
imap_idle_synced(struct imap_session *s, struct imap_job *j)
{
	(void)j;
	imap_send_updates(s, true);
	imap_idle_reply(s, "OK Idle completed.");
	imap_cmd_finish(s);
}

void
imap_idle_line(struct imap_session *s, const char *line)
{
	imap_idle_stop(s);
	conn_set_read_timeout(s->c, s->c->srv->conf->imap_timeout);
	if (strcasecmp(line, "DONE") != 0) {
		imap_send_updates(s, true);
		imap_idle_reply(s, "BAD Expected DONE.");
		return;
	}
	/* STORE-5: changes by other programs are noticed at the IDLE wake-up. */
	if (imap_selected_sync(s, imap_idle_synced)) {
		s->is_busy = true;
		conn_pause_reading(s->c);
		return;
	}
	imap_send_updates(s, true);
	imap_idle_reply(s, "OK Idle completed.");
}
