/*
 * queue_job.c - the disk jobs of the queue: enqueue (QUEUE-1, DKIM-1),
 * the state write after each change (QUEUE-5), the DSN (DSN-1..3) and the
 * removal of finished entries, and the CLI verbs list/delete (CLI-7).
 *
 * The *_work functions run on worker threads and touch only their job;
 * the *_done functions run on the loop and find the entry by id.
 *
 * DSN crash safety (DSN-1): a recipient that failed for good while the
 * sender is local is first written as failed with its DSN owed ('b' in
 * the .env), then the DSN is stored, and only then a second write turns
 * 'b' into 'f' (or removes the entry). A crash before the DSN is stored
 * leaves 'b' on disk, and queue_new makes the DSN again at start; a crash
 * after it may repeat the DSN, never lose it.
 *
 * DSN-3: a DSN that would take the sender over quota is dropped (done, not
 * owed) and counted (queue_stats, /metrics).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/core_conf.h"
#include "core/core_log.h"
#include "net/net_server.h"
#include "net/net_worker.h"
#include "queue/queue_dkim.h"
#include "queue/queue_dsn.h"
#include "queue/queue_int.h"
#include "store/store.h"

/* ---- state write, DSN, removal ---- */

struct queue_job {
	struct queue *q; /* borrowed */
	char id[QUEUE_ENTRY_ID_LEN + 1];
	char *env; /* owned: .env text, NULL when removing */
	size_t env_len;
	bool is_remove;
	/* DSN (NULL sender when none) */
	char *dsn_sender; /* owned */
	int64_t queued_at;
	struct queue_dsn_rcpt *dsn_rcpts; /* owned; its strings point into dsn_strings */
	char **dsn_strings;               /* owned, each owned: 2 per DSN recipient */
	size_t *dsn_idx;                  /* owned: the entry's recipient index of each */
	size_t n_dsn;
	bool is_dsn_done; /* worker: stored, or not to be stored (no such account, over quota) */
	enum queue_dsn_outcome dsn_outcome; /* worker: what became of it; OUTCOMES: nothing */
};

static void
queue_job_free(struct queue_job *j)
{
	for (size_t i = 0; i < 2 * j->n_dsn; i++)
		free(j->dsn_strings[i]);
	free(j->dsn_strings);
	free(j->dsn_rcpts);
	free(j->dsn_idx);
	free(j->dsn_sender);
	free(j->env);
	free(j);
}

/* queue_job_header - the original header section from <id>.msg (worker). */
static char *
queue_job_header(const struct queue_job *j, size_t *len_r)
{
	char path[4200], *buf = malloc(QUEUE_DSN_HEADER_MAX);
	ssize_t n;
	int fd;

	*len_r = 0;
	if (buf == NULL)
		return NULL;
	queue_entry_path(j->q->dir, j->id, "msg", path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = pread(fd, buf, QUEUE_DSN_HEADER_MAX, 0);
		*len_r = queue_dsn_header_len(buf, n > 0 ? (size_t)n : 0);
		close(fd);
	}
	return buf;
}

/* queue_job_store - the rendered DSN into the sender's INBOX, from memory (worker). 0 or -1. */
static int
queue_job_store(struct store *st, struct queue_job *j, const char *msg, size_t len, time_t now,
        struct store_changes *ch)
{
	struct store_rcpt rcpt = {.account = j->dsn_sender};
	struct store_piece piece = {msg, len};
	struct store_body body = {.fd = -1, .piece = &piece, .npieces = 1, .size = len};

	return store_deliver_body(st, &body, now, &rcpt, 1, ch);
}

/*
 * queue_job_dsn - DSN-1..3: render and store into the sender's INBOX
 * (worker). 0 when stored, when the account is gone or when it is over
 * quota (dropped, DSN-3; j->dsn_outcome says which); -1 when it must be
 * tried again (the owed state stays on disk).
 */
static int
queue_job_dsn(struct store *st, struct queue_job *j, struct store_changes *ch)
{
	const struct conf *conf = j->q->conf;
	char msgid[64], boundary[64], rnd[QUEUE_ENTRY_ID_LEN + 1], *msg, *header;
	struct queue_dsn d;
	size_t len, hlen;
	int rc = -1;

	if (!store_account_exists(st, j->dsn_sender)) {
		j->dsn_outcome = QUEUE_DSN_NO_ACCOUNT;
		return 0;
	}
	queue_entry_new_id(rnd);
	snprintf(msgid, sizeof(msgid), "dsn-%s@%s", rnd, conf->mail_domain_bare);
	snprintf(boundary, sizeof(boundary), "=_report_%s", rnd);
	header = queue_job_header(j, &hlen);
	d = (struct queue_dsn){conf->mail_domain, conf->hostname, j->dsn_sender, j->queued_at,
	        queue_now(), msgid, boundary, j->dsn_rcpts, j->n_dsn, header != NULL ? header : "",
	        hlen};
	if (queue_dsn_render(&d, &msg, &len) == 0) {
		/* DSN-3: the sender's quota as for any delivery of a known size (QUOTA-2) */
		if (store_quota_would_exceed(
		            st, j->dsn_sender, len, true, store_limit_of(st, j->dsn_sender))) {
			log_info("queue: DSN for %zu recipients dropped: over quota", j->n_dsn);
			j->dsn_outcome = QUEUE_DSN_OVER_QUOTA;
			rc = 0;
		} else if (queue_job_store(st, j, msg, len, (time_t)d.now, ch) == 0) {
			log_info("queue: DSN delivered for %zu recipients", j->n_dsn);
			j->dsn_outcome = QUEUE_DSN_DELIVERED;
			rc = 0;
		} else
			log_warn("queue: DSN not delivered (storage error), kept owed");
		free(msg);
	}
	free(header);
	return rc;
}

static void
queue_job_work(struct store *st, void *arg, struct store_changes *ch)
{
	struct queue_job *j = arg;

	if (j->env != NULL) {
		char name[64];

		snprintf(name, sizeof(name), "%s.env", j->id);
		if (queue_entry_write_file(j->q->dir, name, j->env, j->env_len) < 0)
			log_error("queue: cannot write a state file: %s", strerror(errno));
	}
	/* after the state write: 'b' is durable before the DSN exists (see the top) */
	if (j->dsn_sender != NULL)
		j->is_dsn_done = st == NULL || queue_job_dsn(st, j, ch) == 0;
	if (j->is_remove && queue_entry_remove(j->q->dir, j->id) < 0)
		log_error("queue: cannot remove an entry: %s", strerror(errno));
}

/* queue_unlink - take e out of the list and free it. */
static void
queue_unlink(struct queue *q, struct queue_entry *e)
{
	for (struct queue_entry **pp = &q->entries; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			q->n_entries--;
			queue_entry_free(&e);
			return;
		}
	}
}

static void
queue_job_done(void *arg, uint64_t requester_id)
{
	struct queue_job *j = arg;
	struct queue *q = j->q;
	struct queue_entry *e = queue_find(q, j->id);

	(void)requester_id;
	if (j->is_dsn_done && j->dsn_outcome < QUEUE_DSN_OUTCOMES)
		q->dsn_counts[j->dsn_outcome]++;
	if (e != NULL) {
		e->is_writing = false;
		if (j->is_dsn_done) {
			/* the DSN is stored: 'b' becomes 'f' on disk (or the entry goes) */
			for (size_t i = 0; i < j->n_dsn; i++)
				e->rcpts[j->dsn_idx[i]].is_dsn_owed = false;
			e->is_dirty = true;
		}
		if (j->is_remove)
			queue_unlink(q, e);
		else if (e->is_dirty) {
			e->is_dirty = false;
			queue_after_change(q, e);
		}
	}
	queue_job_free(j);
}

/*
 * queue_job_collect_dsn - DSN-1: new permanent failures become owed DSNs
 * when the sender is local; every owed DSN of e goes into j (one DSN).
 */
static int
queue_job_collect_dsn(struct queue *q, struct queue_entry *e, struct queue_job *j)
{
	const char *at = strrchr(e->sender, '@');
	bool is_local = at != NULL && strcasecmp(at + 1, q->conf->mail_domain) == 0;
	size_t n = 0;

	for (size_t i = 0; i < e->n_rcpts; i++) {
		struct queue_rcpt *r = &e->rcpts[i];

		if (r->is_new_failure)
			r->is_dsn_owed = is_local; /* DSN-1: none for a remote or null sender */
		r->is_new_failure = false;
		n += r->is_dsn_owed;
	}
	if (n == 0)
		return 0;
	j->dsn_rcpts = calloc(n, sizeof(*j->dsn_rcpts));
	j->dsn_strings = calloc(2 * n, sizeof(char *));
	j->dsn_idx = calloc(n, sizeof(*j->dsn_idx));
	j->dsn_sender = strdup(e->sender);
	if (j->dsn_rcpts == NULL || j->dsn_strings == NULL || j->dsn_idx == NULL ||
	        j->dsn_sender == NULL)
		return -1;
	for (size_t i = 0; i < e->n_rcpts; i++) {
		struct queue_rcpt *r = &e->rcpts[i];

		if (!r->is_dsn_owed)
			continue;
		j->dsn_strings[2 * j->n_dsn] = strdup(r->addr);
		j->dsn_strings[2 * j->n_dsn + 1] = r->error != NULL ? strdup(r->error) : NULL;
		j->dsn_rcpts[j->n_dsn].addr = j->dsn_strings[2 * j->n_dsn];
		j->dsn_rcpts[j->n_dsn].error = j->dsn_strings[2 * j->n_dsn + 1];
		j->dsn_idx[j->n_dsn] = i;
		j->n_dsn++;
	}
	j->queued_at = e->queued_at;
	return 0;
}

void
queue_after_change(struct queue *q, struct queue_entry *e)
{
	struct queue_job *j;
	bool is_ok;

	if (e->is_writing) {
		e->is_dirty = true;
		return;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return; /* the next change writes the state again */
	j->q = q;
	j->dsn_outcome = QUEUE_DSN_OUTCOMES; /* none until the worker says */
	memcpy(j->id, e->id, sizeof(j->id));
	is_ok = queue_job_collect_dsn(q, e, j) == 0;
	/* an owed DSN keeps the entry until it is stored (the second write) */
	j->is_remove = queue_entry_pending(e) == 0 && e->running == 0 && j->n_dsn == 0;
	if (!is_ok || (!j->is_remove && queue_entry_render(e, &j->env, &j->env_len) < 0) ||
	        store_submit(q->store, 0, queue_job_work, queue_job_done, j) < 0) {
		queue_job_free(j);
		e->is_dirty = true;
		return;
	}
	e->is_writing = true;
	e->is_removing = j->is_remove;
}
