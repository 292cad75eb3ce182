/*
 * queue_submit.c - enqueue (QUEUE-1, DKIM-1) and the CLI verbs of a running
 * server (CLI-7).
 *
 * A hold (SUB-11) is an entry whose files a worker writes and flushes
 * (DKIM signature of the spool file, <id>.msg, then <id>.hold) and, once
 * the SMTP engine has stored the local copies, commits (<id>.hold renamed
 * to <id>.env, directory flushed) before it enters the scheduler on the
 * loop; if the local copies fail the hold's files are removed again.
 * queue_submit is the same without a local part: nothing to wait for, so
 * the state is written as <id>.env at once.
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
#include "queue/queue_int.h"

/* Where the files of a hold are. */
enum queue_hold_state {
	QUEUE_HOLD_NONE,      /* nothing on disk (not written, or removed) */
	QUEUE_HOLD_HELD,      /* <id>.msg and <id>.hold written: no entry yet */
	QUEUE_HOLD_COMMITTED, /* <id>.msg and <id>.env durable: an entry */
};

/* An entry written (or about to be) but not scheduled (SUB-11). */
struct queue_hold {
	struct queue *q;                        /* borrowed */
	const struct queue_dkim_signer *signer; /* borrowed, NULL: unsigned */
	struct queue_entry *e;                  /* owned until scheduled */
	enum queue_hold_state state;
};

/* The job of queue_submit: a hold written by a worker, scheduled on the loop. */
struct queue_submit_job {
	struct queue_hold *hold; /* owned */
	int spool_fd;            /* borrowed */
	uint64_t size;
	queue_done_fn *done;
	void *arg;
};

/* queue_submit_copy - field, then size octets of fd from offset 0, into out. */
static int
queue_submit_copy(int out, const char *field, int fd, uint64_t size)
{
	char buf[65536];
	uint64_t off = 0;

	if (field != NULL && write(out, field, strlen(field)) != (ssize_t)strlen(field))
		return -1;
	while (off < size) {
		size_t want = size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);
		ssize_t n = pread(fd, buf, want, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || write(out, buf, (size_t)n) != n)
			return -1;
		off += (uint64_t)n;
	}
	return 0;
}

/* queue_submit_msg - <id>.msg: signed copy of the spool, fsynced, renamed (worker). */
static int
queue_submit_msg(struct queue_hold *h, int spool_fd, uint64_t size)
{
	char tmp[4200], path[4200], *field = NULL;
	const char *error = "cannot read the spooled message";
	int fd, rc = -1;

	if (h->signer != NULL) {
		if (lseek(spool_fd, 0, SEEK_SET) < 0 ||
		        queue_dkim_sign_fd(h->signer, spool_fd, queue_now(), &field, &error) < 0) {
			log_error("queue: DKIM signing failed: %s", error);
			return -1;
		}
	}
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%s.msg", h->q->dir, h->e->id);
	queue_entry_path(h->q->dir, h->e->id, "msg", path, sizeof(path));
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (queue_submit_copy(fd, field, spool_fd, size) == 0 && fsync(fd) == 0)
			rc = 0;
		if (close(fd) < 0 || (rc == 0 && rename(tmp, path) < 0))
			rc = -1;
		if (rc < 0)
			unlink(tmp);
	}
	h->e->size = size + (field != NULL ? strlen(field) : 0);
	free(field);
	return rc;
}

struct queue_hold *
queue_hold_new(struct queue *q, const char *sender, char *const *rcpts, size_t n)
{
	struct queue_hold *h;
	char id[QUEUE_ENTRY_ID_LEN + 1];
	int64_t now = queue_now();

	if (q == NULL || q->is_stopped) {
		errno = ESHUTDOWN;
		return NULL;
	}
	if (n == 0 || !queue_entry_address_ok(sender, true)) {
		errno = EINVAL;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	do
		queue_entry_new_id(id);
	while (queue_find(q, id) != NULL);
	h->q = q;
	h->signer = q->srv->dkim_signer;
	h->e = queue_entry_new(id, now, sender);
	for (size_t i = 0; h->e != NULL && i < n; i++) {
		const char *at = strrchr(rcpts[i], '@');

		/* FED-1: the local domain is never routed out */
		if ((at != NULL && strcasecmp(at + 1, q->conf->mail_domain) == 0) ||
		        queue_entry_add_rcpt(h->e, rcpts[i], now) < 0) {
			queue_entry_free(&h->e);
			errno = EINVAL;
		}
	}
	if (h->e == NULL) {
		free(h);
		return NULL;
	}
	return h;
}

int
queue_hold_write(struct queue_hold *h, int spool_fd, uint64_t size, bool is_visible)
{
	/* .msg first: an .env (or .hold) always names a complete message (queue_entry.h) */
	if (queue_submit_msg(h, spool_fd, size) == 0 &&
	        (is_visible ? queue_entry_save(h->q->dir, h->e)
	                    : queue_entry_hold(h->q->dir, h->e)) == 0) {
		h->state = is_visible ? QUEUE_HOLD_COMMITTED : QUEUE_HOLD_HELD;
		return 0;
	}
	log_error("queue: cannot store a message: %s", strerror(errno));
	queue_entry_remove(h->q->dir, h->e->id);
	return -1;
}

int
queue_hold_commit(struct queue_hold *h)
{
	if (h->state == QUEUE_HOLD_COMMITTED)
		return 0;
	if (h->state != QUEUE_HOLD_HELD) {
		errno = EINVAL;
		return -1;
	}
	if (queue_entry_commit(h->q->dir, h->e->id) < 0) {
		log_error("queue: cannot commit a held entry: %s", strerror(errno));
		return -1;
	}
	h->state = QUEUE_HOLD_COMMITTED;
	return 0;
}

int
queue_hold_remove(struct queue_hold *h)
{
	if (h == NULL || h->state == QUEUE_HOLD_NONE)
		return 0;
	/* removes <id>.env too: a failed commit may have renamed without a durable directory */
	if (queue_entry_remove(h->q->dir, h->e->id) < 0) {
		log_error("queue: cannot remove a held entry: %s", strerror(errno));
		return -1;
	}
	h->state = QUEUE_HOLD_NONE;
	return 0;
}

bool
queue_hold_is_committed(const struct queue_hold *h)
{
	return h != NULL && h->state == QUEUE_HOLD_COMMITTED;
}

void
queue_hold_schedule(struct queue_hold **hp)
{
	struct queue_hold *h = *hp;
	struct queue *q = h->q;

	if (h->state != QUEUE_HOLD_COMMITTED) {
		/* a caller's bug; an entry that a restart would not know must not go out */
		log_error("queue: a hold that is not committed was not scheduled");
		queue_hold_free(hp);
		return;
	}

	h->e->next = q->entries;
	q->entries = h->e;
	q->n_entries++;
	h->e = NULL;
	queue_kick(q);
	free(h);
	*hp = NULL;
}

void
queue_hold_free(struct queue_hold **hp)
{
	struct queue_hold *h = *hp;

	if (h == NULL)
		return;
	queue_entry_free(&h->e);
	free(h);
	*hp = NULL;
}

static void
queue_submit_work(void *arg)
{
	struct queue_submit_job *j = arg;

	queue_hold_write(j->hold, j->spool_fd, j->size, true);
}

static void
queue_submit_done(void *arg, uint64_t requester_id)
{
	struct queue_submit_job *j = arg;
	bool is_ok = queue_hold_is_committed(j->hold);

	if (is_ok)
		queue_hold_schedule(&j->hold);
	queue_hold_free(&j->hold);
	j->done(j->arg, requester_id, is_ok);
	free(j);
}

int
queue_submit(struct queue *q, uint64_t requester_id, int spool_fd, uint64_t size,
        const char *sender, char *const *rcpts, size_t n, queue_done_fn *done, void *arg)
{
	struct queue_submit_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return -1;
	j->hold = queue_hold_new(q, sender, rcpts, n);
	j->spool_fd = spool_fd;
	j->size = size;
	j->done = done;
	j->arg = arg;
	if (j->hold == NULL ||
	        worker_submit(q->workers, requester_id, queue_submit_work, queue_submit_done, j) <
	                0) {
		int saved = errno;

		queue_hold_free(&j->hold);
		free(j);
		errno = saved;
		return -1;
	}
	return 0;
}

/* ---- CLI-7 on a running server ---- */

struct queue_delete_job {
	struct queue *q;
	char id[QUEUE_ENTRY_ID_LEN + 1];
};

static void
queue_delete_work(void *arg)
{
	struct queue_delete_job *j = arg;

	if (queue_entry_remove(j->q->dir, j->id) < 0)
		log_error("queue: cannot remove an entry: %s", strerror(errno));
}

static void
queue_delete_done(void *arg, uint64_t requester_id)
{
	struct queue_delete_job *j = arg;
	struct queue *q = j->q;

	(void)requester_id;
	for (struct queue_entry **pp = &q->entries; *pp != NULL; pp = &(*pp)->next) {
		if (strcmp((*pp)->id, j->id) == 0) {
			struct queue_entry *e = *pp;

			*pp = e->next;
			q->n_entries--;
			queue_entry_free(&e);
			break;
		}
	}
	free(j);
}

int
queue_delete(struct queue *q, const char *id)
{
	struct queue_entry *e = queue_find(q, id);
	struct queue_delete_job *j;

	if (e == NULL || e->is_removing) {
		errno = ENOENT;
		return -1;
	}
	if (e->running > 0 || e->is_writing) {
		errno = EBUSY;
		return -1;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return -1;
	j->q = q;
	memcpy(j->id, id, sizeof(j->id));
	if (worker_submit(q->workers, 0, queue_delete_work, queue_delete_done, j) < 0) {
		free(j);
		return -1;
	}
	e->is_removing = true;
	return 0;
}

int
queue_list(struct queue *q, char **text_r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int64_t now = queue_now();

	if (f == NULL)
		return -1;
	for (const struct queue_entry *e = q->entries; e != NULL; e = e->next)
		if (!e->is_removing)
			queue_entry_list(f, e, now);
	if (fclose(f) != 0) {
		free(buf);
		return -1;
	}
	*text_r = buf;
	return 0;
}
