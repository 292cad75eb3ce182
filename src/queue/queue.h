/*
 * queue.h - the outbound queue (SPEC section 15: QUEUE-1..5, FED-1..3,
 * FED-7, FED-9, DSN-1..3).
 *
 * One entry per accepted message with remote recipients, on disk under
 * <data_dir>/queue/ as two files (queue_entry.h): <id>.msg, the message
 * (DKIM-signed at enqueue time, DKIM-1) and <id>.env, the envelope and the
 * per-recipient state. Both are fsynced and the directory flushed before
 * queue_submit reports success, and the state file is rewritten
 * (atomically: temporary file, fsync, rename) after every attempt
 * (QUEUE-5).
 *
 * Scheduling runs on the loop thread: one attempt carries every pending
 * recipient of one domain of one entry (QUEUE-2) over HTTPS /mxdeliv
 * (queue_http.c; curl multi on the libevent loop). Disk work runs on the
 * worker pool. Recipients that fail for good produce one DSN per attempt,
 * delivered to the local sender's INBOX (queue_dsn.c).
 *
 * Does not: parse SMTP, verify inbound DKIM, talk to sessions by pointer.
 */
#ifndef CHATRELAY_QUEUE_H
#define CHATRELAY_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf;
struct server;
struct queue;

/*
 * queue_done_fn - completion of queue_submit, on the loop thread. ok says
 * whether the entry is durable; on false the client gets a 451. The
 * requester (SMTP session) is looked up by requester_id: it may be gone.
 */
typedef void queue_done_fn(void *arg, uint64_t requester_id, bool ok);

/*
 * queue_new - the queue of srv (srv->conf, srv->workers, srv->base,
 * srv->dkim_signer, srv->store are borrowed and must outlive it). Loads every
 * entry of <data_dir>/queue/ (QUEUE-4: unreadable entries are moved to
 * <data_dir>/queue/corrupt/ and logged) and schedules them no earlier than
 * 10 s after now. Start-up only: blocks on disk. NULL with errno.
 */
struct queue *queue_new(struct server *srv);

/*
 * queue_stop - GEN-6: no new attempt starts; running HTTP transfers are
 * abandoned (their recipients stay pending on disk). Loop thread.
 */
void queue_stop(struct queue *q);

/* queue_free - after server_run (the pool has drained), before the event base. NULL ok. */
void queue_free(struct queue **qp);

/*
 * queue_submit - enqueue a message for remote recipients (loop thread).
 * spool_fd is borrowed: the caller keeps it open until done runs; the
 * message is read from offset 0, size octets, CRLF lines. sender is the
 * envelope sender ("" for the null sender), rcpts the n remote recipients
 * (copied). The work (DKIM signature, write, fsync) runs on a worker; done
 * runs on the loop after the entry is durable (ok) or failed. Returns 0,
 * or -1 (EINVAL: no recipient, a bad address or one of the local domain,
 * FED-1; ENOMEM; ESHUTDOWN):
 * done will not run.
 */
int queue_submit(struct queue *q, uint64_t requester_id, int spool_fd, uint64_t size,
        const char *sender, char *const *rcpts, size_t n, queue_done_fn *done, void *arg);

/*
 * A hold: SUB-11 for a message with local and remote recipients. The
 * entry is written first as held (<id>.msg and <id>.hold, queue_entry.h;
 * queue_hold_write on the worker that then stores the local copies), a
 * state that no start-up scan delivers: a crash before the commit leaves
 * a hold, removed at the next start (the message was not acknowledged).
 * Once the local copies are durable, queue_hold_commit renames the hold
 * into an entry and flushes the directory (still on that worker): this
 * and the store's renames are the final visibility step, after which the
 * 250 may go out and queue_hold_schedule hands the entry to the scheduler
 * (loop). If anything fails, queue_hold_remove takes the files away again.
 */
struct queue_hold;

/*
 * queue_hold_new - an entry for sender and the n remote rcpts (copied),
 * nothing written. Loop thread. NULL with errno as queue_submit's -1
 * (EINVAL, ENOMEM, ESHUTDOWN).
 */
struct queue_hold *queue_hold_new(struct queue *q, const char *sender, char *const *rcpts,
        size_t n);

/*
 * queue_hold_write - the message (spool_fd from offset 0, size octets,
 * CRLF lines) DKIM-signed into <id>.msg, then the state: as <id>.hold
 * (committed later), or with is_visible, when nothing else belongs to the
 * message, at once as the entry (<id>.env, durable; the commit is then a
 * no-op). Blocks (worker; touches only h). 0, or -1 with nothing on disk.
 */
int queue_hold_write(struct queue_hold *h, int spool_fd, uint64_t size, bool is_visible);

/*
 * queue_hold_commit - a written hold becomes an entry: <id>.hold renamed to
 * <id>.env, the directory flushed. Blocks (worker). 0 when the entry is
 * durable; -1 with errno (the files stay for queue_hold_remove).
 */
int queue_hold_commit(struct queue_hold *h);

/* queue_hold_remove - undo write and commit (no-op if nothing written or NULL). Blocks. 0/-1. */
int queue_hold_remove(struct queue_hold *h);

/* queue_hold_is_committed - the entry is durable and visible on disk (committed, not removed). */
bool queue_hold_is_committed(const struct queue_hold *h);

/* queue_hold_schedule - a committed hold enters the scheduler; frees it, *hp NULL. Loop. */
void queue_hold_schedule(struct queue_hold **hp);

/* queue_hold_free - drop an unscheduled hold (its files stay as they are). NULL ok. Loop. */
void queue_hold_free(struct queue_hold **hp);

/*
 * queue_domain_allowed - FED-9: the federation policy for a remote domain
 * (lowercase compare; IP literals with brackets). PURE: for the SMTP engine
 * at RCPT (SUB-7) and for each attempt (FED-7).
 */
bool queue_domain_allowed(const struct conf *conf, const char *domain);

/* queue_flush - schedule every entry (id NULL) or one entry now (CLI-7). -1 ENOENT. Loop. */
int queue_flush(struct queue *q, const char *id);

/* queue_delete - remove an entry without a DSN (CLI-7). -1 ENOENT or EBUSY (attempt running). */
int queue_delete(struct queue *q, const char *id);

/*
 * queue_list - CLI-7 lines, one per entry and domain with pending
 * recipients: `<id> <age s> <sender> <domain> <pending> <attempts>
 * <next attempt s> <last error>`. *text_r is malloc'ed. Loop.
 */
int queue_list(struct queue *q, char **text_r);

/* queue_count - entries in memory (for logs and metrics). */
size_t queue_count(const struct queue *q);

/* What became of a DSN that was due (DSN-1, DSN-3). */
enum queue_dsn_outcome {
	QUEUE_DSN_DELIVERED,  /* stored in the sender's INBOX */
	QUEUE_DSN_OVER_QUOTA, /* dropped: it would take the sender over quota (DSN-3) */
	QUEUE_DSN_NO_ACCOUNT, /* dropped: the sender's account is gone */
	QUEUE_DSN_OUTCOMES
};

/* queue_dsn_outcome_name - the metrics label of an outcome. PURE. */
const char *queue_dsn_outcome_name(enum queue_dsn_outcome o);

/* queue_dsn_count - DSNs with outcome o since start (HTTP-6 counters). NULL q: 0. Loop. */
uint64_t queue_dsn_count(const struct queue *q, enum queue_dsn_outcome o);

#endif
