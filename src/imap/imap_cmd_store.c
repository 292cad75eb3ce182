/*
 * imap_cmd_store.c - STORE / UID STORE with .SILENT and UNCHANGEDSINCE
 * (IMAP-41, IMAP-48; RFC 7162 3.1.3).
 *
 * The flag change runs on a worker against the flags as they are then
 * (store_mailbox_store_flags); the bus event of the change updates this
 * session's view before the completion answers with FETCH responses.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "imap/imap_job.h"
#include "imap/imap_seqset.h"
#include "imap/imap_session_int.h"
#include "imap/imap_store_parse.h"
#include "imap/imap_view.h"
#include "net/net_server.h"

struct imap_store_job {
	struct imap_job j;
	struct imap_store_request req; /* keywords borrowed from the parser arena */
	bool is_uid;
	uint32_t *uids;                 /* owned */
	size_t n;
	struct store_flag_result *res; /* owned, n entries */
};

static void
imap_store_work(struct store *st, void *arg, struct store_changes *ch)
{
	static const enum store_flag_op ops[] = { STORE_FLAGS_REPLACE, STORE_FLAGS_ADD,
		STORE_FLAGS_REMOVE };
	struct imap_store_job *sj = arg;

	(void)st;
	if (sj->n == 0 || imap_job_open(&sj->j) < 0)
		return;
	/* IMAP_FLAG_* and STORE_FLAG_* share the bit values of the five system flags. */
	if (store_mailbox_store_flags(sj->j.mb, sj->uids, sj->n, ops[sj->req.op],
	            sj->req.flags.system, sj->req.flags.keywords, sj->req.flags.keyword_count,
	            sj->req.has_unchangedsince ? sj->req.unchangedsince : 0, ch, sj->res) < 0)
		sj->j.error = errno != 0 ? errno : EIO;
}

static void
imap_store_release(struct imap_job *j)
{
	struct imap_store_job *sj = (struct imap_store_job *)j;

	free(sj->uids);
	free(sj->res);
}

/* imap_store_fetch - the untagged FETCH for one changed message (IMAP-41). */
static void
imap_store_fetch(struct imap_session *s, struct imap_store_job *sj, long at,
        const struct store_flag_result *r)
{
	char flags[4096];

	uint32_t shown = r->flags & STORE_FLAGS_SYSTEM;

	if (s->sel->view->msgs[at].is_recent)
		shown |= STORE_FLAG_RECENT;
	imap_view_flags(s->sel->view, shown, r->keywords, flags, sizeof(flags));
	conn_printf(s->c, "* %ld FETCH (", at + 1);
	if (sj->is_uid)
		conn_printf(s->c, "UID %u ", r->uid);
	conn_printf(s->c, "FLAGS (%s)", flags);
	if (s->is_condstore)
		conn_printf(s->c, " MODSEQ (%llu)", (unsigned long long)r->modseq);
	conn_printf(s->c, ")\r\n");
}

static void
imap_store_finish(struct imap_session *s, struct imap_job *j)
{
	struct imap_store_job *sj = (struct imap_store_job *)j;
	struct imap_seqset modified;
	char *text = NULL;

	imap_seqset_init(&modified);
	for (size_t i = 0; j->error == 0 && i < sj->n; i++) {
		const struct store_flag_result *r = &sj->res[i];
		long at = imap_view_find(s->sel->view, r->uid);

		if (r->is_missing || at < 0)
			continue;
		if (r->is_modified)
			imap_seqset_add(&modified, sj->is_uid ? r->uid : (uint32_t)(at + 1),
			        sj->is_uid ? r->uid : (uint32_t)(at + 1));
		else if (r->is_changed && !sj->req.is_silent)
			imap_store_fetch(s, sj, at, r);
	}
	imap_send_updates(s, false);
	if (j->error == EINVAL)
		imap_reply(s, s->tag, "NO [LIMIT] Too many keywords.");
	else if (j->error != 0)
		imap_reply(s, s->tag, "NO [SERVERBUG] Internal error.");
	else if (modified.count > 0 && imap_seqset_format(&modified, &text) == 0)
		imap_reply(s, s->tag, "OK [MODIFIED %s] Conditional STORE failed.", text);
	else
		imap_reply(s, s->tag, "OK Store completed.");
	free(text);
	imap_seqset_reset(&modified);
	imap_cmd_finish(s);
}

/* imap_store_collect - UIDs of the set's messages (unannounced expunges skipped, IMAP-40). */
static int
imap_store_collect(struct imap_session *s, struct imap_store_job *sj, const char *text,
        const char **error_r)
{
	struct imap_view *v = s->sel->view;
	struct imap_seqset set;
	int rc = -1;

	imap_seqset_init(&set);
	if (imap_cmd_seqset(v, text, sj->is_uid, &set, error_r) < 0)
		goto out;
	sj->uids = calloc(v->count + 1, sizeof(*sj->uids));
	sj->res = calloc(v->count + 1, sizeof(*sj->res));
	if (sj->uids == NULL || sj->res == NULL) {
		*error_r = "Internal error.";
		goto out;
	}
	for (size_t i = 0; i < v->count; i++)
		if (!v->msgs[i].is_expunged &&
		        imap_seqset_contains(&set, sj->is_uid ? v->msgs[i].uid : (uint32_t)(i + 1)))
			sj->uids[sj->n++] = v->msgs[i].uid;
	rc = 0;
out:
	imap_seqset_reset(&set);
	return rc;
}

enum imap_cmd_result
imap_cmd_store(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	struct imap_store_job *sj;
	const char *text, *error = NULL;

	if (cmd->count < 3 || !imap_arg_get_atom(&cmd->args[0], &text)) {
		imap_reply(s, cmd->tag, "BAD Invalid arguments.");
		return IMAP_CMD_DONE;
	}
	sj = calloc(1, sizeof(*sj));
	if (sj == NULL) {
		imap_reply(s, cmd->tag, "NO [SERVERBUG] Internal error.");
		return IMAP_CMD_DONE;
	}
	sj->is_uid = is_uid;
	imap_job_init(&sj->j, s, NULL, imap_store_finish, imap_store_release);
	if (imap_store_parse(imap_parser_arena(s->parser), cmd->args + 1, cmd->count - 1, &sj->req,
	            &error) < 0 ||
	        imap_store_collect(s, sj, text, &error) < 0) {
		imap_reply(s, cmd->tag, "BAD %s", error != NULL ? error : "Invalid arguments.");
		imap_job_free(&sj->j);
		return IMAP_CMD_DONE;
	}
	if (s->sel->is_readonly) {
		imap_reply(s, cmd->tag, "NO [READ-ONLY] Mailbox is read-only.");
		imap_job_free(&sj->j);
		return IMAP_CMD_DONE;
	}
	if (sj->req.has_unchangedsince)
		s->is_condstore = true;
	return imap_job_submit(s, &sj->j, imap_store_work);
}
