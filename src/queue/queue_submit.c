/*
 * queue_submit.c - enqueue (QUEUE-1, DKIM-1) and the CLI verbs of a running
 * server (CLI-7).
 *
 * queue_submit runs the disk work on a worker: DKIM signature of the spool
 * file, <id>.msg and <id>.env written and flushed; the entry enters the
 * scheduler on the loop only once it is durable.
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

struct queue_submit_job {
	struct queue *q;                        /* borrowed */
	const struct queue_dkim_signer *signer; /* borrowed, NULL: unsigned */
	int spool_fd;                           /* borrowed */
	uint64_t size;
	struct queue_entry *e; /* owned until handed to the queue */
	bool is_ok;
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
queue_submit_msg(struct queue_submit_job *j)
{
	char tmp[4200], path[4200], *field = NULL;
	const char *error = "cannot read the spooled message";
	int fd, rc = -1;

	if (j->signer != NULL) {
		if (lseek(j->spool_fd, 0, SEEK_SET) < 0 ||
		        queue_dkim_sign_fd(j->signer, j->spool_fd, queue_now(), &field, &error) <
		                0) {
			log_error("queue: DKIM signing failed: %s", error);
			return -1;
		}
	}
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%s.msg", j->q->dir, j->e->id);
	queue_entry_path(j->q->dir, j->e->id, "msg", path, sizeof(path));
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (queue_submit_copy(fd, field, j->spool_fd, j->size) == 0 && fsync(fd) == 0)
			rc = 0;
		if (close(fd) < 0 || (rc == 0 && rename(tmp, path) < 0))
			rc = -1;
		if (rc < 0)
			unlink(tmp);
	}
	j->e->size = j->size + (field != NULL ? strlen(field) : 0);
	free(field);
	return rc;
}

static void
queue_submit_work(void *arg)
{
	struct queue_submit_job *j = arg;

	/* .msg first: an .env always names a complete message (queue_entry.h) */
	j->is_ok = queue_submit_msg(j) == 0 && queue_entry_save(j->q->dir, j->e) == 0;
	if (!j->is_ok) {
		log_error("queue: cannot store a message: %s", strerror(errno));
		queue_entry_remove(j->q->dir, j->e->id);
	}
}

static void
queue_submit_done(void *arg, uint64_t requester_id)
{
	struct queue_submit_job *j = arg;
	struct queue *q = j->q;

	if (j->is_ok) {
		j->e->next = q->entries;
		q->entries = j->e;
		q->n_entries++;
		j->e = NULL;
		queue_kick(q);
	}
	j->done(j->arg, requester_id, j->is_ok);
	queue_entry_free(&j->e);
	free(j);
}

int
queue_submit(struct queue *q, uint64_t requester_id, int spool_fd, uint64_t size,
        const char *sender, char *const *rcpts, size_t n, queue_done_fn *done, void *arg)
{
	struct queue_submit_job *j;
	char id[QUEUE_ENTRY_ID_LEN + 1];
	int64_t now = queue_now();

	if (q->is_stopped) {
		errno = ESHUTDOWN;
		return -1;
	}
	if (n == 0 || !queue_entry_address_ok(sender, true)) {
		errno = EINVAL;
		return -1;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return -1;
	do
		queue_entry_new_id(id);
	while (queue_find(q, id) != NULL);
	j->q = q;
	j->signer = q->srv->dkim_signer;
	j->spool_fd = spool_fd;
	j->size = size;
	j->done = done;
	j->arg = arg;
	j->e = queue_entry_new(id, now, sender);
	for (size_t i = 0; j->e != NULL && i < n; i++) {
		const char *at = strrchr(rcpts[i], '@');

		/* FED-1: the local domain is never routed out */
		if ((at != NULL && strcasecmp(at + 1, q->conf->mail_domain) == 0) ||
		        queue_entry_add_rcpt(j->e, rcpts[i], now) < 0) {
			queue_entry_free(&j->e);
			errno = EINVAL;
		}
	}
	if (j->e == NULL ||
	        worker_submit(q->workers, requester_id, queue_submit_work, queue_submit_done, j) <
	                0) {
		int saved = errno;

		queue_entry_free(&j->e);
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
