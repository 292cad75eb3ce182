/*
 * imap_job.c - submitting IMAP command jobs to the store and finding the
 * session again by id when they complete (STYLE "by id", IMAP-8).
 */
#include "imap/imap_job.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imap/imap_session_int.h"
#include "net/net_server.h"

void
imap_job_init(struct imap_job *j, struct imap_session *s, const char *mailbox,
        imap_job_finish_fn *finish, imap_job_release_fn *release)
{
	j->srv = s->c->srv;
	j->st = s->c->srv->store;
	j->conn_id = s->c->id;
	snprintf(j->account, sizeof(j->account), "%s", imap_account(s));
	if (mailbox == NULL && s->sel != NULL)
		mailbox = s->sel->name;
	snprintf(j->mailbox, sizeof(j->mailbox), "%s", mailbox != NULL ? mailbox : "");
	j->finish = finish;
	j->release = release;
}

void
imap_job_free(struct imap_job *j)
{
	if (j == NULL)
		return;
	if (j->release != NULL)
		j->release(j);
	store_mailbox_close(&j->mb);
	free(j);
}

/* imap_job_done_cb - loop: finish only for a live session; free the job either way. */
void
imap_job_done_cb(void *arg, uint64_t requester_id)
{
	struct imap_job *j = arg;
	struct imap_session *s = imap_session_get(j->srv, requester_id);

	j->is_kept = false;
	if (s != NULL)
		j->finish(s, j);
	if (!j->is_kept)
		imap_job_free(j);
}

int
imap_job_submit(struct imap_session *s, struct imap_job *j, store_work_fn *work)
{
	if (j->st == NULL || store_submit(j->st, j->conn_id, work, imap_job_done_cb, j) < 0) {
		imap_reply(s, s->tag, "NO [SERVERBUG] Internal error.");
		imap_job_free(j);
		return IMAP_CMD_DONE;
	}
	return IMAP_CMD_ASYNC;
}

int
imap_job_open(struct imap_job *j)
{
	if (store_mailbox_open(j->st, j->account, j->mailbox, &j->mb) < 0) {
		j->error = errno != 0 ? errno : EIO;
		return -1;
	}
	return 0;
}
