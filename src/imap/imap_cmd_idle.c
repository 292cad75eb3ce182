/*
 * imap_cmd_idle.c - IDLE (RFC 2177; SPEC IMAP-51, IMAP-52, DC-2 step 13).
 *
 * While idling the session reads raw lines (DONE) instead of commands; bus
 * events of the selected mailbox are announced at once from the bus
 * callback (imap_cmd_select.c). A keepalive timer sends `* OK Still here`
 * every imap_idle_keepalive. Idle sessions hold no big buffers: the parser
 * arena is reset when IDLE starts waiting.
 */
#include <event2/event.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/core_conf.h"
#include "imap/imap_session_int.h"
#include "net/net_server.h"

static void
imap_idle_keepalive_cb(evutil_socket_t fd, short what, void *arg)
{
	struct imap_session *s = arg;

	(void)fd;
	(void)what;
	conn_printf(s->c, "* OK Still here\r\n");
}

void
imap_idle_stop(struct imap_session *s)
{
	if (s->idle_timer != NULL) {
		event_free(s->idle_timer);
		s->idle_timer = NULL;
	}
	s->is_idling = false;
}

enum imap_cmd_result
imap_cmd_idle(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	long secs = s->c->srv->conf->imap_idle_keepalive;
	struct timeval tv = { secs > 0 ? secs : 120, 0 };

	(void)is_uid;
	if (cmd->count != 0) {
		imap_reply(s, cmd->tag, "BAD Unexpected arguments.");
		return IMAP_CMD_DONE;
	}
	if (strlen(cmd->tag) >= sizeof(s->idle_tag)) {
		imap_reply(s, cmd->tag, "BAD Tag too long.");
		return IMAP_CMD_DONE;
	}
	snprintf(s->idle_tag, sizeof(s->idle_tag), "%s", cmd->tag);
	s->idle_timer = event_new(s->c->srv->base, -1, EV_PERSIST, imap_idle_keepalive_cb, s);
	if (s->idle_timer == NULL || event_add(s->idle_timer, &tv) < 0) {
		imap_idle_stop(s);
		imap_reply(s, cmd->tag, "NO [SERVERBUG] Internal error.");
		return IMAP_CMD_DONE;
	}
	s->is_idling = true;
	conn_set_read_timeout(s->c, 0); /* IMAP-7: no server limit while idling */
	conn_printf(s->c, "+ idling\r\n");
	imap_send_updates(s, true);
	return IMAP_CMD_DONE; /* the parser is reset; DONE arrives as a raw line */
}

/* imap_idle_synced - the wake-up sync is done: updates, then the tagged OK. */
static void
imap_idle_synced(struct imap_session *s, struct imap_job *j)
{
	(void)j;
	imap_send_updates(s, true);
	imap_reply(s, s->idle_tag, "OK Idle completed.");
	imap_cmd_finish(s);
}

void
imap_idle_line(struct imap_session *s, const char *line)
{
	imap_idle_stop(s);
	conn_set_read_timeout(s->c, s->c->srv->conf->imap_timeout);
	if (strcasecmp(line, "DONE") != 0) {
		imap_send_updates(s, true);
		imap_reply(s, s->idle_tag, "BAD Expected DONE.");
		return;
	}
	/* STORE-5: changes by other programs are noticed at the IDLE wake-up. */
	if (imap_selected_sync(s, imap_idle_synced)) {
		s->is_busy = true;
		conn_pause_reading(s->c);
		return;
	}
	imap_send_updates(s, true);
	imap_reply(s, s->idle_tag, "OK Idle completed.");
}
