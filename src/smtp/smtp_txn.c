/*
 * smtp_txn.c - the DATA transfer of one transaction (SMTP-8..10) and its
 * hand over to the acceptance pipeline (smtp_accept.c) on a worker.
 *
 * Input after the 354 streams through the PURE reader (smtp_data.c) into an
 * anonymous spool file: never the whole message in memory, nothing left
 * behind on disconnect. The reply comes only from the job's completion,
 * after the store reported the copies durable (SMTP-10). With remote
 * recipients (SUB-10, SUB-11) the same worker job first writes the queue
 * entry durably as a queue hold (a state that a restart removes, never
 * delivers), then stores the local copies, then commits the hold (rename,
 * directory flushed: the final visibility step); the loop schedules the
 * entry and answers 250. If the entry cannot be written no local copy is
 * stored; if the local copies fail the hold is removed again; if the
 * commit fails the local copies are removed again; each time the reply is
 * 451. Loop thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "core/core_conf.h"
#include "core/core_log.h"
#include "core/core_metrics.h"
#include "meta/meta.h"
#include "net/net_server.h"
#include "queue/queue.h"
#include "smtp/smtp_accept.h"
#include "smtp/smtp_int.h"
#include "smtp/smtp_spool.h"
#include "store/store.h"

#define SMTP_TXN_IOVECS 8

/* One acceptance job as the session submits it. */
struct smtp_txn_job {
	struct server *srv;      /* borrowed */
	struct smtp_accept *acc; /* owned */
	struct queue_hold *hold; /* owned: the remote part (SUB-11), NULL without one */
	bool is_accepted;        /* written by the worker, read in the completion */
};

static int
smtp_txn_out(void *ctx, const char *data, size_t len)
{
	struct smtp_tx *tx = ctx;

	return smtp_spool_write(tx->fd, data, len);
}

/* smtp_txn_count - HTTP-6: the message of a transaction that reached DATA got its answer. */
static void
smtp_txn_count(struct server *srv, bool is_submission, const char *reply)
{
	core_metrics_message(&srv->metrics,
	        is_submission ? CORE_METRICS_PATH_SUBMISSION : CORE_METRICS_PATH_INBOUND,
	        core_metrics_result_of(reply));
}

bool
smtp_txn_begin(struct conn *c, struct smtp_session *s)
{
	struct smtp_tx *tx = s->tx;

	tx->fd = smtp_spool_open(c->srv->conf);
	if (tx->fd < 0) {
		log_write(LOG_LEVEL_ERROR, c->id, NULL, "spool open failed");
		smtp_session_reset_tx(s);
		smtp_txn_count(c->srv, smtp_is_submission(c), SMTP_ACCEPT_REPLY_TEMP);
		smtp_reply(c, SMTP_ACCEPT_REPLY_TEMP);
		return true;
	}
	smtp_data_init(&tx->data, c->srv->conf->max_message_size, smtp_txn_out, tx);
	s->state = SMTP_STATE_DATA;
	smtp_reply(c, "354 End data with <CR><LF>.<CR><LF>");
	return true;
}

/* smtp_txn_after_reply - GEN-6: a transfer that finished during shutdown says goodbye. */
static void
smtp_txn_after_reply(struct conn *c, struct smtp_session *s)
{
	if (!s->is_draining)
		return;
	conn_printf(c, "421 4.3.2 %s Service shutting down\r\n", c->srv->conf->hostname);
	s->state = SMTP_STATE_CLOSING;
	conn_close(c);
}

/* smtp_txn_hold_write - SUB-11 step 1, from smtp_accept_run: the queue entry, durable. Worker. */
static int
smtp_txn_hold_write(struct smtp_accept *a, void *arg)
{
	struct smtp_txn_job *job = arg;
	off_t size;
	bool has_local = false;

	if (job->hold == NULL)
		return -1; /* queue_hold_new failed on the loop (logged there) */
	for (size_t i = 0; i < a->nrcpts && !has_local; i++)
		has_local = !a->rcpts[i].is_remote && !a->rcpts[i].is_discard;
	size = lseek(a->queue_fd, 0, SEEK_END);
	/* without a local copy the entry is the whole message: visible at once, no commit step */
	return size < 0 ? -1 : queue_hold_write(job->hold, a->queue_fd, (uint64_t)size, !has_local);
}

static void
smtp_txn_work(struct store *st, void *arg, struct store_changes *ch)
{
	struct smtp_txn_job *job = arg;
	struct smtp_accept *a = job->acc;

	job->is_accepted = smtp_accept_run(st, a, ch) == 0;
	/* SUB-11: the local copies are durable; the commit makes the entry deliverable */
	if (job->is_accepted && job->hold != NULL && queue_hold_commit(job->hold) < 0) {
		log_write(LOG_LEVEL_ERROR, a->session_id, NULL,
		        "queue entry not committed errno=%d reply=451", errno);
		job->is_accepted = false;
		a->reply = SMTP_ACCEPT_REPLY_TEMP;
		if (smtp_accept_undo(st, a, ch) < 0)
			log_write(LOG_LEVEL_ERROR, a->session_id, NULL,
			        "local copies of a refused message not removed errno=%d", errno);
	}
	/* SUB-11: the local copies failed: the written entry must not be delivered either */
	if (!job->is_accepted && queue_hold_remove(job->hold) < 0)
		log_write(LOG_LEVEL_ERROR, a->session_id, NULL,
		        "queue entry of a refused message not removed errno=%d", errno);
}

/* smtp_txn_notify - PUSH-1: every local copy that is now durable may wake a device. */
static void
smtp_txn_notify(struct server *srv, const struct smtp_accept *a)
{
	if (srv->meta == NULL)
		return;
	for (size_t i = 0; i < a->nrcpts; i++)
		if (a->rcpts[i].error == 0 && !a->rcpts[i].is_discard && !a->rcpts[i].is_remote)
			meta_notify(srv->meta, a->rcpts[i].addr, a->sender);
}

/* smtp_txn_reply - the final DATA reply (if the client is still there), then free the job. */
static void
smtp_txn_reply(struct smtp_txn_job *job, uint64_t conn_id)
{
	struct conn *c = conn_lookup(job->srv, conn_id);
	struct smtp_session *s = c != NULL ? c->session : NULL;

	if (s != NULL) {
		struct log_personal lp;

		log_write(LOG_LEVEL_DEBUG, c->id,
		        log_personal(&lp, "from=<%s> rcpt=<%s>", job->acc->sender,
		                job->acc->nrcpts > 0 ? job->acc->rcpts[0].addr : ""),
		        "smtp data reply=%.3s rcpts=%zu", job->acc->reply, job->acc->nrcpts);
		smtp_reply(c, job->acc->reply);
		smtp_session_reset_tx(s);
		smtp_session_unbusy(c);
	}
	queue_hold_free(&job->hold);
	smtp_accept_free(&job->acc);
	free(job);
}

static void
smtp_txn_done(void *arg, uint64_t conn_id)
{
	struct smtp_txn_job *job = arg;

	if (job->is_accepted && queue_hold_is_committed(job->hold)) {
		/* SUB-11: the entry and the local copies are durable and visible: it may go out */
		queue_hold_schedule(&job->hold);
		log_write(LOG_LEVEL_INFO, conn_id, NULL, "message queued for remote recipients");
	}
	/* Durable (or refused) whether or not the client is still there to hear the reply. */
	smtp_txn_count(job->srv, job->acc->path == SMTP_ACCEPT_SUBMISSION, job->acc->reply);
	if (job->is_accepted)
		smtp_txn_notify(job->srv, job->acc);
	smtp_txn_reply(job, conn_id);
}

/* smtp_txn_hold_new - SUB-10: the queue entry of the remote recipients, if any. Loop. */
static void
smtp_txn_hold_new(struct smtp_txn_job *job, struct conn *c)
{
	struct smtp_accept *a = job->acc;
	char **rcpts = calloc(a->nrcpts ? a->nrcpts : 1, sizeof(*rcpts));
	size_t n = 0;

	for (size_t i = 0; rcpts != NULL && i < a->nrcpts; i++)
		if (a->rcpts[i].is_remote)
			rcpts[n++] = a->rcpts[i].addr;
	if (rcpts != NULL && n == 0) {
		free(rcpts);
		return;
	}
	a->hold = smtp_txn_hold_write;
	a->hold_arg = job;
	/* a failure answers 451 after the checks (SUB-8 order), from smtp_txn_hold_write */
	if (rcpts == NULL || (job->hold = queue_hold_new(c->srv->queue, a->sender, rcpts, n)) == NULL)
		log_write(LOG_LEVEL_ERROR, c->id, NULL, "queue entry not prepared errno=%d", errno);
	free(rcpts);
}

/* smtp_txn_job_new - the acceptance job for the finished transaction (takes the fd). */
static struct smtp_txn_job *
smtp_txn_job_new(struct conn *c, struct smtp_session *s)
{
	struct smtp_tx *tx = s->tx;
	struct smtp_txn_job *job = calloc(1, sizeof(*job));
	struct smtp_accept *a = smtp_accept_new(tx->nrcpts);

	if (job == NULL || a == NULL) {
		free(job);
		smtp_accept_free(&a);
		return NULL;
	}
	a->path = smtp_is_submission(c) ? SMTP_ACCEPT_SUBMISSION : SMTP_ACCEPT_INBOUND;
	a->conf = c->srv->conf;
	a->db = c->srv->db;
	a->fd = tx->fd;
	tx->fd = -1;
	a->size = tx->data.size;
	a->session_id = c->id;
	snprintf(a->sender, sizeof(a->sender), "%s", tx->sender);
	snprintf(a->auth_addr, sizeof(a->auth_addr), "%s", s->auth.address);
	snprintf(a->peer_ip, sizeof(a->peer_ip), "%s", c->peer_ip);
	for (size_t i = 0; i < tx->nrcpts; i++) {
		snprintf(a->rcpts[i].addr, sizeof(a->rcpts[i].addr), "%s", tx->rcpts[i].addr);
		a->rcpts[i].is_discard = tx->rcpts[i].is_discard;
		a->rcpts[i].is_remote = !tx->rcpts[i].is_local;
	}
	job->srv = c->srv;
	job->acc = a;
	if (a->path == SMTP_ACCEPT_SUBMISSION)
		smtp_txn_hold_new(job, c);
	return job;
}

/* smtp_txn_finish - the end of data was read: refuse, or start the acceptance job. */
static bool
smtp_txn_finish(struct conn *c, struct smtp_session *s)
{
	enum smtp_data_error err = smtp_data_result(&s->tx->data);
	struct smtp_txn_job *job;

	if (err != SMTP_DATA_OK) {
		const char *reply = smtp_data_reply(err);

		if (reply == NULL)
			reply = SMTP_ACCEPT_REPLY_TEMP;
		smtp_session_reset_tx(s);
		smtp_txn_count(c->srv, smtp_is_submission(c), reply);
		smtp_reply(c, reply);
		smtp_txn_after_reply(c, s);
		return s->state != SMTP_STATE_CLOSING;
	}
	job = smtp_txn_job_new(c, s);
	if (job == NULL || c->srv->store == NULL ||
	        store_submit(c->srv->store, c->id, smtp_txn_work, smtp_txn_done, job) < 0) {
		if (job != NULL) {
			queue_hold_free(&job->hold);
			smtp_accept_free(&job->acc);
		}
		free(job);
		smtp_session_reset_tx(s);
		smtp_txn_count(c->srv, smtp_is_submission(c), SMTP_ACCEPT_REPLY_TEMP);
		smtp_reply(c, SMTP_ACCEPT_REPLY_TEMP);
		smtp_txn_after_reply(c, s);
		return s->state != SMTP_STATE_CLOSING;
	}
	s->state = SMTP_STATE_ACCEPTING;
	conn_pause_reading(c);
	return false;
}

bool
smtp_txn_feed(struct conn *c, struct smtp_session *s)
{
	struct evbuffer *in = conn_input(c);
	struct evbuffer_iovec v[SMTP_TXN_IOVECS];
	enum smtp_data_status st = SMTP_DATA_NEED_MORE;
	size_t total = 0;
	int n = evbuffer_peek(in, -1, NULL, v, SMTP_TXN_IOVECS);

	if (n <= 0)
		return false;
	if (n > SMTP_TXN_IOVECS)
		n = SMTP_TXN_IOVECS;
	for (int i = 0; i < n && st == SMTP_DATA_NEED_MORE; i++) {
		size_t used = 0;

		st = smtp_data_feed(&s->tx->data, v[i].iov_base, v[i].iov_len, &used);
		total += used;
	}
	evbuffer_drain(in, total);
	if (st == SMTP_DATA_COMPLETE)
		return smtp_txn_finish(c, s);
	return evbuffer_get_length(in) > 0;
}
