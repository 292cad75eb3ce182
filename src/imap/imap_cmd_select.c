/*
 * imap_cmd_select.c - SELECT / EXAMINE, CLOSE, UNSELECT, EXPUNGE and
 * UID EXPUNGE, and the untagged updates of the selected mailbox
 * (IMAP-30, IMAP-31, IMAP-33, IMAP-34, IMAP-49, IMAP-50, IMAP-25).
 *
 * The session subscribes on the bus before the snapshot job runs; events
 * that arrive meanwhile are queued and applied after the snapshot (the view
 * drops those already contained in it by UID and modseq).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bus/bus.h"
#include "imap/imap_job.h"
#include "imap/imap_seqset.h"
#include "imap/imap_session_int.h"
#include "imap/imap_view.h"
#include "net/net_server.h"

/* A bus event kept while the snapshot is taken. */
struct imap_evcopy {
	struct bus_event ev;
	struct bus_msg *msgs;  /* owned */
	char **keywords;       /* owned */
	struct imap_evcopy *next;
};

struct imap_sel_ext {
	struct imap_evcopy *head, *tail; /* owned: events before the view exists */
};

static struct imap_sel_ext *
imap_sel_ext(struct imap_session *s);

static void
imap_evcopy_free(struct imap_evcopy *e)
{
	while (e != NULL) {
		struct imap_evcopy *n = e->next;

		for (size_t i = 0; i < e->ev.keyword_count; i++)
			free(e->keywords[i]);
		free(e->keywords);
		free(e->msgs);
		free(e);
		e = n;
	}
}

static void
imap_evcopy_add(struct imap_sel_ext *x, const struct bus_event *ev)
{
	struct imap_evcopy *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return;
	e->ev = *ev;
	e->ev.account = "";
	e->ev.mailbox = NULL;
	e->ev.new_name = NULL;
	e->msgs = calloc(ev->count + 1, sizeof(*e->msgs));
	e->keywords = calloc(ev->keyword_count + 1, sizeof(*e->keywords));
	if (e->msgs == NULL || e->keywords == NULL) {
		imap_evcopy_free(e);
		return;
	}
	if (ev->count > 0)
		memcpy(e->msgs, ev->msgs, ev->count * sizeof(*e->msgs));
	for (size_t i = 0; i < ev->keyword_count; i++)
		e->keywords[i] = strdup(ev->keywords[i] != NULL ? ev->keywords[i] : "");
	e->ev.msgs = e->msgs;
	e->ev.keywords = (const char *const *)e->keywords;
	if (x->tail != NULL)
		x->tail->next = e;
	else
		x->head = e;
	x->tail = e;
}

/* The ext struct lives right after struct imap_selected in one allocation. */
struct imap_sel_alloc {
	struct imap_selected sel;
	struct imap_sel_ext ext;
};

static struct imap_sel_ext *
imap_sel_ext(struct imap_session *s)
{
	return &((struct imap_sel_alloc *)(void *)s->sel)->ext;
}

/* ---- \Recent claims (IMAP-31) ----------------------------------------------------------- */

struct imap_claim_job {
	struct imap_job j;
	uint32_t *uids; /* owned */
	size_t n;
};

static void
imap_claim_work(struct store *st, void *arg, struct store_changes *ch)
{
	struct imap_claim_job *cj = arg;

	(void)st;
	(void)ch;
	if (imap_job_open(&cj->j) == 0 && store_mailbox_claim_recent(cj->j.mb, &cj->uids, &cj->n) < 0)
		cj->j.error = errno;
}

static void
imap_claim_release(struct imap_job *j)
{
	free(((struct imap_claim_job *)j)->uids);
}

/* imap_claim_finish - the claimed messages are recent in this session only. */
static void
imap_claim_finish(struct imap_session *s, struct imap_job *j)
{
	struct imap_claim_job *cj = (struct imap_claim_job *)j;

	if (s->sel == NULL || s->sel->view == NULL || strcmp(s->sel->name, j->mailbox) != 0)
		return;
	imap_view_mark_recent(s->sel->view, cj->uids, cj->n);
	if (s->is_idling)
		imap_send_updates(s, true);
}

/* imap_claim_start - a read-write session claims new arrivals in the background. */
static void
imap_claim_start(struct imap_session *s)
{
	struct imap_claim_job *cj;

	if (s->sel == NULL || s->sel->is_readonly || (cj = calloc(1, sizeof(*cj))) == NULL)
		return;
	imap_job_init(&cj->j, s, NULL, imap_claim_finish, imap_claim_release);
	if (cj->j.st == NULL ||
	        store_submit(cj->j.st, cj->j.conn_id, imap_claim_work, imap_job_done_cb, cj) < 0)
		free(cj);
}

/* imap_bus_cb - changes of the selected mailbox (IMAP-49); IDLE gets them at once (IMAP-51). */
static void
imap_bus_cb(const struct bus_event *ev, void *ctx)
{
	struct imap_session *s = ctx;

	if (s->sel == NULL)
		return;
	if (ev->kind == BUS_EVENT_MAILBOX_DELETED && ev->origin_id != s->c->id) {
		conn_printf(s->c, "* BYE Selected mailbox was deleted.\r\n");
		conn_close(s->c);
		return;
	}
	if (ev->kind == BUS_EVENT_MAILBOX_RENAMED && ev->new_name != NULL) {
		char *name = strdup(ev->new_name);

		if (name != NULL) {
			free(s->sel->name);
			s->sel->name = name;
		}
	}
	if (s->sel->view == NULL) {
		imap_evcopy_add(imap_sel_ext(s), ev);
		return;
	}
	imap_view_apply(s->sel->view, ev, ev->origin_id == s->c->id);
	if (ev->kind == BUS_EVENT_NEW)
		for (size_t i = 0; i < ev->count; i++)
			if (ev->msgs[i].flags & STORE_FLAG_RECENT) {
				imap_claim_start(s);
				break;
			}
	if (s->is_idling)
		imap_send_updates(s, true);
}

void
imap_selected_close(struct imap_session *s)
{
	struct imap_selected *sel = s->sel;

	if (sel == NULL)
		return;
	bus_unsubscribe(s->c->srv->bus, &sel->sub);
	imap_evcopy_free(imap_sel_ext(s)->head);
	imap_view_free(&sel->view);
	store_mailbox_close(&sel->mb);
	free(sel->name);
	free(s->sel);
	s->sel = NULL;
	if (s->state == IMAP_STATE_SELECTED)
		s->state = IMAP_STATE_AUTH;
}

/* imap_send_expunge - `* n EXPUNGE` (imap_view_take_expunged callback). */
static void
imap_send_expunge(void *arg, size_t seq)
{
	struct imap_session *s = arg;

	conn_printf(s->c, "* %zu EXPUNGE\r\n", seq);
}

/* imap_send_fetch_flags - `* n FETCH (UID u FLAGS (...) [MODSEQ (m)])`. */
static void
imap_send_fetch_flags(void *arg, size_t seq, const struct imap_vmsg *m)
{
	struct imap_session *s = arg;
	char flags[4096];

	imap_view_flags(s->sel->view, imap_view_msg_flags(m), m->keywords, flags, sizeof(flags));
	if (s->is_condstore)
		conn_printf(s->c, "* %zu FETCH (UID %u FLAGS (%s) MODSEQ (%llu))\r\n", seq, m->uid,
		        flags, (unsigned long long)m->modseq);
	else
		conn_printf(s->c, "* %zu FETCH (UID %u FLAGS (%s))\r\n", seq, m->uid, flags);
}

void
imap_send_updates(struct imap_session *s, bool may_expunge)
{
	struct imap_view *v = s->sel != NULL ? s->sel->view : NULL;
	int r;

	if (v == NULL)
		return;
	/* Each EXPUNGE carries the number as it is when sent (IMAP-34). */
	if (may_expunge)
		imap_view_take_expunged(v, imap_send_expunge, s);
	r = imap_view_take_news(v);
	if (r < 0)
		return;
	if (r > 0) {
		conn_printf(s->c, "* %zu EXISTS\r\n* %zu RECENT\r\n", v->count, imap_view_recent(v));
		v->is_recent_dirty = false;
	} else if (v->is_recent_dirty) {
		conn_printf(s->c, "* %zu RECENT\r\n", imap_view_recent(v));
		v->is_recent_dirty = false;
	}
	imap_view_take_dirty(v, imap_send_fetch_flags, s);
	/* Announced: the messages may be shared with other sessions of the mailbox (issue 9). */
	imap_view_share(v, s->sel->mb);
}

/* ---- SELECT / EXAMINE ------------------------------------------------------------------- */

struct imap_select_job {
	struct imap_job j;
	bool is_readonly;
	struct store_snapshot snap;
	bool has_snap;
	uint32_t *recent; /* owned */
	size_t recent_count;
	uint64_t limit;
};

static void
imap_select_work(struct store *st, void *arg, struct store_changes *ch)
{
	struct imap_select_job *sj = arg;

	(void)st;
	sj->limit = imap_quota_limit(sj->j.srv, sj->j.account);
	if (imap_job_open(&sj->j) < 0)
		return;
	if (!sj->is_readonly &&
	        store_mailbox_claim_recent(sj->j.mb, &sj->recent, &sj->recent_count) < 0) {
		sj->j.error = errno;
		return;
	}
	if (store_mailbox_snapshot(sj->j.mb, ch, &sj->snap) < 0) {
		sj->j.error = errno;
		return;
	}
	sj->has_snap = true;
}

static void
imap_select_release(struct imap_job *j)
{
	struct imap_select_job *sj = (struct imap_select_job *)j;

	if (sj->has_snap)
		store_snapshot_free(&sj->snap);
	free(sj->recent);
}

/* imap_select_reply - the IMAP-30 response block. */
static void
imap_select_reply(struct imap_session *s, bool is_readonly)
{
	struct imap_view *v = s->sel->view;
	char kw[4096];
	size_t unseen = 0;

	imap_view_flags(v, 0, v->keyword_count >= 64 ? ~0ULL : (1ULL << v->keyword_count) - 1,
	        kw, sizeof(kw));
	conn_printf(s->c, "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft%s%s)\r\n",
	        kw[0] ? " " : "", kw);
	if (is_readonly)
		conn_printf(s->c, "* OK [PERMANENTFLAGS ()] Read-only mailbox.\r\n");
	else
		conn_printf(s->c,
		        "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft%s%s "
		        "\\*)] Flags permitted.\r\n",
		        kw[0] ? " " : "", kw);
	conn_printf(s->c, "* %zu EXISTS\r\n* %zu RECENT\r\n", v->count, imap_view_recent(v));
	for (size_t i = 0; i < v->count; i++) {
		if (!(v->msgs[i].flags & STORE_FLAG_SEEN)) {
			unseen = i + 1;
			break;
		}
	}
	if (unseen > 0)
		conn_printf(s->c, "* OK [UNSEEN %zu] First unseen.\r\n", unseen);
	conn_printf(s->c, "* OK [UIDVALIDITY %u] UIDs valid.\r\n", v->uidvalidity);
	conn_printf(s->c, "* OK [UIDNEXT %u] Predicted next UID.\r\n", v->uidnext);
	conn_printf(s->c, "* OK [HIGHESTMODSEQ %llu] Highest.\r\n",
	        (unsigned long long)v->highestmodseq);
	if (is_readonly)
		imap_reply(s, s->tag, "OK [READ-ONLY] Examine completed.");
	else
		imap_reply(s, s->tag, "OK [READ-WRITE] Select completed.");
}

static void
imap_select_finish(struct imap_session *s, struct imap_job *j)
{
	struct imap_select_job *sj = (struct imap_select_job *)j;
	struct imap_evcopy *e;

	s->quota_limit = sj->limit;
	s->has_quota_limit = true;
	if (s->sel == NULL) {
		imap_cmd_finish(s);
		return;
	}
	if (j->error != 0 || !sj->has_snap ||
	        (s->sel->view = imap_view_new(&sj->snap, sj->recent, sj->recent_count)) == NULL) {
		int err = j->error != 0 ? j->error : ENOMEM;

		imap_selected_close(s); /* IMAP-30: a failed SELECT leaves nothing selected */
		imap_reply_errno(s, s->tag, err);
		imap_cmd_finish(s);
		return;
	}
	imap_view_set_claiming(s->sel->view, !s->sel->is_readonly);
	s->sel->mb = j->mb; /* keeps the mailbox loaded while selected */
	j->mb = NULL;
	for (e = imap_sel_ext(s)->head; e != NULL; e = e->next)
		imap_view_apply(s->sel->view, &e->ev, e->ev.origin_id == s->c->id);
	imap_evcopy_free(imap_sel_ext(s)->head);
	imap_sel_ext(s)->head = imap_sel_ext(s)->tail = NULL;
	if (s->sel->view->new_count > 0)
		imap_claim_start(s); /* arrivals after the snapshot's claim */
	/* Changes queued before the snapshot are inside it: start clean. */
	imap_send_updates(s, true);
	s->state = IMAP_STATE_SELECTED;
	imap_select_reply(s, s->sel->is_readonly);
	imap_cmd_finish(s);
}

enum imap_cmd_result
imap_cmd_select(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	bool is_readonly = strcasecmp(cmd->name, "EXAMINE") == 0;
	struct imap_select_job *sj;
	struct imap_sel_alloc *sa;
	char name[256];

	(void)is_uid;
	if (cmd->count < 1 || cmd->count > 2 ||
	        (cmd->count == 2 && (cmd->args[1].type != IMAP_ARG_LIST ||
	                                    cmd->args[1].count != 1 ||
	                                    !imap_arg_is_atom(&cmd->args[1].list[0], "CONDSTORE")))) {
		imap_reply(s, cmd->tag, "BAD Invalid arguments.");
		return IMAP_CMD_DONE;
	}
	imap_selected_close(s);
	if (!imap_mailbox_arg(&cmd->args[0], name)) {
		imap_reply(s, cmd->tag, "NO [NONEXISTENT] Mailbox doesn't exist.");
		return IMAP_CMD_DONE;
	}
	if (cmd->count == 2)
		s->is_condstore = true;
	sa = calloc(1, sizeof(*sa));
	sj = calloc(1, sizeof(*sj));
	if (sa == NULL || sj == NULL) {
		free(sa);
		free(sj);
		imap_reply(s, cmd->tag, "NO [SERVERBUG] Internal error.");
		return IMAP_CMD_DONE;
	}
	sa->sel.name = strdup(name);
	if (sa->sel.name == NULL) {
		free(sa);
		free(sj);
		imap_reply(s, cmd->tag, "NO [SERVERBUG] Internal error.");
		return IMAP_CMD_DONE;
	}
	s->sel = &sa->sel;
	sa->sel.is_readonly = is_readonly;
	sa->sel.sub = bus_subscribe(s->c->srv->bus, imap_account(s), name, imap_bus_cb, s);
	sj->is_readonly = is_readonly;
	imap_job_init(&sj->j, s, name, imap_select_finish, imap_select_release);
	return imap_job_submit(s, &sj->j, imap_select_work);
}

/* ---- CLOSE / UNSELECT / EXPUNGE ------------------------------------------------------------ */

struct imap_expunge_job {
	struct imap_job j;
	uint32_t *uids; /* owned: UID EXPUNGE set, NULL = all */
	size_t n;
	bool is_close;
};

static void
imap_expunge_work(struct store *st, void *arg, struct store_changes *ch)
{
	struct imap_expunge_job *ej = arg;
	size_t count = 0;

	(void)st;
	if (imap_job_open(&ej->j) < 0)
		return;
	if (store_mailbox_expunge(ej->j.mb, ej->uids, ej->n, true, ch, NULL, &count) < 0)
		ej->j.error = errno;
}

static void
imap_expunge_release(struct imap_job *j)
{
	free(((struct imap_expunge_job *)j)->uids);
}

static void
imap_expunge_finish(struct imap_session *s, struct imap_job *j)
{
	struct imap_expunge_job *ej = (struct imap_expunge_job *)j;

	if (ej->is_close) {
		/* IMAP-33: silent; the session leaves the mailbox either way. */
		imap_selected_close(s);
		imap_reply(s, s->tag, "OK Close completed.");
	} else if (j->error != 0) {
		imap_send_updates(s, true);
		imap_reply(s, s->tag, "NO [SERVERBUG] Internal error.");
	} else {
		imap_send_updates(s, true);
		imap_reply(s, s->tag, "OK Expunge completed.");
	}
	imap_cmd_finish(s);
}

enum imap_cmd_result
imap_cmd_close(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	struct imap_expunge_job *ej;

	(void)is_uid;
	if (s->sel->is_readonly) {
		imap_selected_close(s);
		imap_reply(s, cmd->tag, "OK Close completed.");
		return IMAP_CMD_DONE;
	}
	ej = calloc(1, sizeof(*ej));
	if (ej == NULL) {
		imap_selected_close(s);
		imap_reply(s, cmd->tag, "NO [SERVERBUG] Internal error.");
		return IMAP_CMD_DONE;
	}
	ej->is_close = true;
	imap_job_init(&ej->j, s, NULL, imap_expunge_finish, imap_expunge_release);
	return imap_job_submit(s, &ej->j, imap_expunge_work);
}

enum imap_cmd_result
imap_cmd_unselect(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	(void)is_uid;
	imap_selected_close(s);
	imap_reply(s, cmd->tag, "OK Unselect completed.");
	return IMAP_CMD_DONE;
}

/* imap_uids_in_set - UIDs of announced messages inside a UID set (IMAP-13). */
static int
imap_uids_in_set(struct imap_session *s, const struct imap_arg *a, uint32_t **uids_r, size_t *n_r)
{
	struct imap_view *v = s->sel->view;
	struct imap_seqset set;
	const char *err, *text;
	uint32_t *uids;
	size_t n = 0;

	if (!imap_arg_get_atom(a, &text))
		return -1;
	imap_seqset_init(&set);
	if (imap_cmd_seqset(v, text, true, &set, &err) < 0) {
		imap_seqset_reset(&set);
		return -1;
	}
	uids = calloc(v->count + 1, sizeof(*uids));
	for (size_t i = 0; uids != NULL && i < v->count; i++)
		if (imap_seqset_contains(&set, v->msgs[i].uid))
			uids[n++] = v->msgs[i].uid;
	imap_seqset_reset(&set);
	if (uids == NULL)
		return -1;
	*uids_r = uids;
	*n_r = n;
	return 0;
}

enum imap_cmd_result
imap_cmd_expunge(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	struct imap_expunge_job *ej;

	if (cmd->count != (is_uid ? 1u : 0u)) {
		imap_reply(s, cmd->tag, "BAD Invalid arguments.");
		return IMAP_CMD_DONE;
	}
	if (s->sel->is_readonly) {
		imap_reply(s, cmd->tag, "NO [READ-ONLY] Mailbox is read-only.");
		return IMAP_CMD_DONE;
	}
	ej = calloc(1, sizeof(*ej));
	if (ej == NULL) {
		imap_reply(s, cmd->tag, "NO [SERVERBUG] Internal error.");
		return IMAP_CMD_DONE;
	}
	if (is_uid && imap_uids_in_set(s, &cmd->args[0], &ej->uids, &ej->n) < 0) {
		free(ej);
		imap_reply(s, cmd->tag, "BAD Invalid UID set.");
		return IMAP_CMD_DONE;
	}
	imap_job_init(&ej->j, s, NULL, imap_expunge_finish, imap_expunge_release);
	return imap_job_submit(s, &ej->j, imap_expunge_work);
}

/* ---- NOOP / CHECK ------------------------------------------------------------------------ */

static void
imap_sync_work(struct store *st, void *arg, struct store_changes *ch)
{
	struct imap_job *j = arg;

	(void)st;
	/* STORE-5: external changes are noticed here; they come back as bus events. */
	if (imap_job_open(j) == 0 && store_mailbox_sync(j->mb, ch) < 0)
		j->error = errno;
}

static void
imap_sync_finish(struct imap_session *s, struct imap_job *j)
{
	(void)j;
	imap_send_updates(s, true);
	imap_reply(s, s->tag, "OK %s completed.", s->cmd != NULL && strcasecmp(s->cmd->name,
	                                                   "CHECK") == 0 ? "Check" : "NOOP");
	imap_cmd_finish(s);
}

/* imap_cmd_noop - NOOP and CHECK (IMAP-18): sync the selected mailbox, send updates. */
enum imap_cmd_result
imap_cmd_noop(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	struct imap_job *j;

	(void)is_uid;
	if (s->sel == NULL || s->sel->view == NULL) {
		imap_reply(s, cmd->tag, "OK NOOP completed.");
		return IMAP_CMD_DONE;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		imap_send_updates(s, true);
		imap_reply(s, cmd->tag, "OK NOOP completed.");
		return IMAP_CMD_DONE;
	}
	imap_job_init(j, s, NULL, imap_sync_finish, NULL);
	return imap_job_submit(s, j, imap_sync_work);
}

/* imap_selected_sync - submit a sync of the selected mailbox finished by finish (IDLE's DONE). */
bool
imap_selected_sync(struct imap_session *s, imap_job_finish_fn *finish)
{
	struct imap_job *j;

	if (s->sel == NULL || s->sel->view == NULL || (j = calloc(1, sizeof(*j))) == NULL)
		return false;
	imap_job_init(j, s, NULL, finish, NULL);
	if (j->st == NULL || store_submit(j->st, j->conn_id, imap_sync_work, imap_job_done_cb, j) < 0) {
		free(j);
		return false;
	}
	return true;
}
