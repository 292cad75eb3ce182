/*
 * imap_job.h - one store job of an IMAP command (store.h "IMAP usage").
 *
 * A command embeds struct imap_job first in its own job struct, fills it
 * with imap_job_init() on the loop, and submits it: the work function runs
 * on a worker (it may call the blocking store functions, usually after
 * imap_job_open()), then finish() runs on the loop only if the session is
 * still alive, then release() and the job are freed either way. Never
 * touches session state from the worker.
 */
#ifndef CHATRELAY_IMAP_JOB_H
#define CHATRELAY_IMAP_JOB_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core_limits.h"
#include "store/store.h"

struct imap_session;
struct imap_job;

typedef void imap_job_finish_fn(struct imap_session *s, struct imap_job *j);
typedef void imap_job_release_fn(struct imap_job *j);

struct imap_job {
	struct server *srv;           /* borrowed */
	struct store *st;             /* borrowed */
	uint64_t conn_id;
	char account[ADDRESS_MAX];
	char mailbox[256];            /* canonical IMAP name, or "" */
	struct store_mailbox *mb;     /* owned: opened by imap_job_open() on the worker */
	int error;                    /* errno of the failed step, 0 on success */
	imap_job_finish_fn *finish;   /* loop: the session is alive */
	imap_job_release_fn *release; /* frees what the command added (NULL: nothing) */
	bool is_kept;                 /* finish() resubmitted or parked it: do not free */
};

/* imap_job_free - release() + close the mailbox + free (for parked jobs). Accepts NULL. */
void imap_job_free(struct imap_job *j);

/* imap_job_init - account and mailbox of s; mailbox may be NULL (the selected one). */
void imap_job_init(struct imap_job *j, struct imap_session *s, const char *mailbox,
        imap_job_finish_fn *finish, imap_job_release_fn *release);

/*
 * imap_job_submit - run work on a worker. Returns IMAP_CMD_ASYNC; if the
 * job cannot be queued it answers NO [SERVERBUG], frees the job and
 * returns IMAP_CMD_DONE.
 */
int imap_job_submit(struct imap_session *s, struct imap_job *j, store_work_fn *work);

/* imap_job_done_cb - the completion imap_job_submit() uses (for direct store_submit calls). */
void imap_job_done_cb(void *arg, uint64_t requester_id);

/* imap_job_open - worker: open j->mailbox into j->mb; -1 with j->error set. */
int imap_job_open(struct imap_job *j);

#endif
