/*
 * imap_cmd_copy.c - COPY / MOVE and their UID forms with UIDPLUS COPYUID
 * (IMAP-42, IMAP-43; RFC 4315, RFC 6851).
 *
 * The copy is all-or-nothing and durable in store_mailbox_copy(); a move
 * then expunges the sources, which reach this session as bus events and
 * are announced as EXPUNGE before the tagged OK.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap/imap_buf.h"
#include "imap/imap_job.h"
#include "imap/imap_seqset.h"
#include "imap/imap_session_int.h"
#include "imap/imap_view.h"
#include "net/net_server.h"

struct imap_copy_job {
	struct imap_job j;
	char dest[256];
	bool is_move;
	uint32_t *uids, *src_uids, *dst_uids; /* owned */
	size_t n, copied;
	uint32_t dst_uidvalidity;
	bool is_dest_missing;
};

static void
imap_copy_work(struct store *st, void *arg, struct store_changes *ch)
{
	struct imap_copy_job *cj = arg;
	struct store_mailbox *dst = NULL;
	struct store_status status;

	if (imap_job_open(&cj->j) < 0)
		return;
	if (store_mailbox_open(st, cj->j.account, cj->dest, &dst) < 0) {
		cj->is_dest_missing = errno == ENOENT;
		cj->j.error = errno;
		return;
	}
	if (cj->n > 0 && store_mailbox_copy(cj->j.mb, dst, cj->uids, cj->n, cj->is_move,
	                         imap_quota_limit(cj->j.srv, cj->j.account), ch, cj->src_uids,
	                         cj->dst_uids, &cj->copied) < 0)
		cj->j.error = errno != 0 ? errno : EIO;
	else if (store_mailbox_status(dst, ch, &status) == 0)
		cj->dst_uidvalidity = status.uidvalidity;
	store_mailbox_close(&dst);
}

static void
imap_copy_release(struct imap_job *j)
{
	struct imap_copy_job *cj = (struct imap_copy_job *)j;

	free(cj->uids);
	free(cj->src_uids);
	free(cj->dst_uids);
}

/* imap_copy_uidset - COPYUID source or destination set in pair order (RFC 4315). */
static char *
imap_copy_uidset(const uint32_t *uids, size_t n)
{
	struct imap_buf b;

	imap_buf_init(&b);
	for (size_t i = 0; i < n; i++) {
		size_t k = i;

		while (k + 1 < n && uids[k + 1] == uids[k] + 1)
			k++;
		if (k > i)
			imap_buf_printf(&b, "%s%u:%u", i ? "," : "", uids[i], uids[k]);
		else
			imap_buf_printf(&b, "%s%u", i ? "," : "", uids[i]);
		i = k;
	}
	if (b.is_oom || b.data == NULL) {
		imap_buf_reset(&b);
		return NULL;
	}
	return b.data;
}

static void
imap_copy_finish(struct imap_session *s, struct imap_job *j)
{
	struct imap_copy_job *cj = (struct imap_copy_job *)j;
	char *src = NULL, *dst = NULL;
	bool is_partial = cj->copied < cj->n;

	if (cj->copied > 0) {
		src = imap_copy_uidset(cj->src_uids, cj->copied);
		dst = imap_copy_uidset(cj->dst_uids, cj->copied);
	}
	if (cj->is_dest_missing) {
		imap_send_updates(s, cj->is_move);
		imap_reply(s, s->tag, "NO [TRYCREATE] Mailbox doesn't exist.");
	} else if (j->error != 0) {
		imap_send_updates(s, cj->is_move);
		imap_reply_errno(s, s->tag, j->error == ENOENT ? EIO : j->error);
	} else if (cj->is_move) {
		if (src != NULL && dst != NULL)
			conn_printf(s->c, "* OK [COPYUID %u %s %s] Moved.\r\n", cj->dst_uidvalidity, src,
			        dst);
		imap_send_updates(s, true);
		if (is_partial)
			imap_reply(s, s->tag, "NO [EXPUNGEISSUED] Some messages were expunged.");
		else
			imap_reply(s, s->tag, "OK Move completed.");
	} else {
		imap_send_updates(s, false);
		if (is_partial)
			imap_reply(s, s->tag, "NO [EXPUNGEISSUED] Some messages were expunged.");
		else if (src != NULL && dst != NULL)
			imap_reply(s, s->tag, "OK [COPYUID %u %s %s] Copy completed.",
			        cj->dst_uidvalidity, src, dst);
		else
			imap_reply(s, s->tag, "OK Copy completed.");
	}
	free(src);
	free(dst);
	imap_cmd_finish(s);
}

static int
imap_copy_collect(struct imap_session *s, struct imap_copy_job *cj, const char *text, bool is_uid,
        const char **error_r)
{
	struct imap_view *v = s->sel->view;
	struct imap_seqset set;
	int rc = -1;

	imap_seqset_init(&set);
	if (imap_cmd_seqset(v, text, is_uid, &set, error_r) < 0)
		goto out;
	cj->uids = calloc(v->count + 1, sizeof(uint32_t));
	cj->src_uids = calloc(v->count + 1, sizeof(uint32_t));
	cj->dst_uids = calloc(v->count + 1, sizeof(uint32_t));
	if (cj->uids == NULL || cj->src_uids == NULL || cj->dst_uids == NULL) {
		*error_r = "Internal error.";
		goto out;
	}
	for (size_t i = 0; i < v->count; i++)
		if (imap_seqset_contains(&set, is_uid ? v->msgs[i].uid : (uint32_t)(i + 1)))
			cj->uids[cj->n++] = v->msgs[i].uid;
	rc = 0;
out:
	imap_seqset_reset(&set);
	return rc;
}

enum imap_cmd_result
imap_cmd_copy(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	struct imap_copy_job *cj;
	const char *text, *error = NULL;
	char dest[256];

	if (cmd->count != 2 || !imap_arg_get_atom(&cmd->args[0], &text)) {
		imap_reply(s, cmd->tag, "BAD Invalid arguments.");
		return IMAP_CMD_DONE;
	}
	cj = calloc(1, sizeof(*cj));
	if (cj == NULL) {
		imap_reply(s, cmd->tag, "NO [SERVERBUG] Internal error.");
		return IMAP_CMD_DONE;
	}
	cj->is_move = strcasecmp(cmd->name, "MOVE") == 0;
	imap_job_init(&cj->j, s, NULL, imap_copy_finish, imap_copy_release);
	if (imap_copy_collect(s, cj, text, is_uid, &error) < 0) {
		imap_reply(s, cmd->tag, "BAD %s", error);
		imap_job_free(&cj->j);
		return IMAP_CMD_DONE;
	}
	if (!imap_mailbox_arg(&cmd->args[1], dest)) {
		imap_reply(s, cmd->tag, "NO [TRYCREATE] Mailbox doesn't exist.");
		imap_job_free(&cj->j);
		return IMAP_CMD_DONE;
	}
	if (cj->is_move && s->sel->is_readonly) {
		imap_reply(s, cmd->tag, "NO [READ-ONLY] Mailbox is read-only.");
		imap_job_free(&cj->j);
		return IMAP_CMD_DONE;
	}
	snprintf(cj->dest, sizeof(cj->dest), "%s", dest);
	return imap_job_submit(s, &cj->j, imap_copy_work);
}
