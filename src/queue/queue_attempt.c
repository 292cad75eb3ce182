/*
 * queue_attempt.c - one delivery attempt (QUEUE-2, FED-1, FED-7), applying
 * its results to the entry (QUEUE-3, QUEUE-5), and the disk jobs that
 * follow: state file, DSN (DSN-1..3), removal (QUEUE-1).
 *
 * Loop thread; file reads and writes run as worker jobs that find their
 * entry again by id. An entry is never freed while an attempt or a job of
 * it is in flight (running, is_writing).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core_conf.h"
#include "core/core_log.h"
#include "core/core_metrics.h"
#include "net/net_server.h"
#include "net/net_worker.h"
#include "queue/queue_dsn.h"
#include "queue/queue_int.h"
#include "queue/queue_smtp.h"
#include "store/store.h"

#define QUEUE_ATTEMPT_DENIED "550 5.7.1 Domain not allowed"

void
queue_attempt_free(struct queue_attempt **ap)
{
	struct queue_attempt *a = *ap;

	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->rcpts[i]);
		free(a->results[i].reply);
	}
	free(a->rcpts);
	free(a->results);
	free(a->idx);
	free(a->domain);
	free(a->sender);
	free(a->msg);
	free(a);
	*ap = NULL;
}

void
queue_attempt_set_transport(struct queue_attempt *a, enum core_metrics_transport transport)
{
	a->transport = transport;
	a->has_transport = true;
}

/* queue_attempt_count - HTTP-6: one delivery per recipient of a transport's try. */
static void
queue_attempt_count(struct queue_attempt *a, bool is_fallback)
{
	struct core_metrics *m = a->q->srv != NULL ? &a->q->srv->metrics : NULL;

	if (!a->has_transport)
		return; /* no transport ran (FED-7 denial, unreadable file, no route) */
	for (size_t i = 0; i < a->n; i++)
		core_metrics_delivery(m, a->transport, is_fallback ? 4 : a->results[i].cls);
	a->has_transport = false;
}

void
queue_attempt_set_all(struct queue_attempt *a, int cls, const char *reply)
{
	for (size_t i = 0; i < a->n; i++) {
		a->results[i].cls = cls;
		free(a->results[i].reply);
		a->results[i].reply = reply != NULL ? strdup(reply) : NULL;
	}
}

/* queue_attempt_read_work - worker: the message into memory (bounded by the file's size). */
static void
queue_attempt_read_work(void *arg)
{
	struct queue_attempt *a = arg;
	char path[4200];
	struct stat st;
	int fd;

	queue_entry_path(a->q->dir, a->id, "msg", path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && (a->msg = malloc((size_t)st.st_size + 1)) != NULL) {
		while (a->msg_len < (size_t)st.st_size) {
			ssize_t n = read(fd, a->msg + a->msg_len, (size_t)st.st_size - a->msg_len);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			a->msg_len += (size_t)n;
		}
		a->is_read_ok = a->msg_len == (size_t)st.st_size;
	}
	close(fd);
}

/* queue_attempt_fallback - FED-1/FED-3: SMTP after HTTPS (or instead of it). */
static void
queue_attempt_fallback(struct queue_attempt *a, const char *why)
{
	/* the HTTPS try failed temporarily for every recipient; the SMTP try counts on its own */
	queue_attempt_count(a, true);
	queue_smtp_start(a->q->smtp, a, true, why);
}

/* queue_attempt_transport - FED-1: the route, else HTTPS /mxdeliv, else SMTP. */
static void
queue_attempt_transport(struct queue_attempt *a)
{
	const struct conf *conf = a->q->conf;
	const struct conf_route *route = conf_route_find(conf, a->domain);
	bool is_ip = a->domain[0] == '[';
	bool is_verified = !(conf->federation_insecure_tls || is_ip || a->domain[0] == '_');
	char url[600];

	if (route != NULL) {
		if (route->mxdeliv_url == NULL) {
			queue_smtp_start(a->q->smtp, a, false, "no HTTP route");
			return;
		}
		snprintf(url, sizeof(url), "%s", route->mxdeliv_url);
	} else if (queue_http_is_skipped(a->q, a->domain, queue_now())) {
		queue_smtp_start(a->q->smtp, a, false, "HTTPS skipped after a recent failure");
		return;
	} else if (conf->federation_http) {
		/* an IP-literal domain is contacted at the address (FED-2) */
		snprintf(url, sizeof(url), "https://%.*s/mxdeliv",
		        is_ip ? (int)strlen(a->domain) - 2 : (int)strlen(a->domain),
		        is_ip ? a->domain + 1 : a->domain);
	} else {
		queue_smtp_start(a->q->smtp, a, false, "HTTPS federation disabled");
		return;
	}
	if (queue_http_start(a->q->http, a, url, is_verified, queue_attempt_fallback) < 0)
		queue_attempt_fallback(a, "HTTPS request could not start");
}

/* queue_attempt_read_done - loop: the message is in memory; choose the transport. */
static void
queue_attempt_read_done(void *arg, uint64_t requester_id)
{
	struct queue_attempt *a = arg;

	(void)requester_id;
	if (a->q->is_stopped) {
		queue_attempt_set_all(a, 4, "451 4.3.0 Shutting down");
		queue_attempt_finish(a);
	} else if (!a->is_read_ok) {
		log_error("queue: cannot read a queued message");
		queue_attempt_set_all(a, 4, "451 4.3.0 Queue file unreadable");
		queue_attempt_finish(a);
	} else
		queue_attempt_transport(a);
}

/* queue_attempt_deny - FED-7: a refused domain fails at once, permanently. */
static void
queue_attempt_deny(struct queue *q, struct queue_entry *e, const char *domain)
{
	for (size_t i = 0; i < e->n_rcpts; i++) {
		struct queue_rcpt *r = &e->rcpts[i];

		if (r->state == QUEUE_RCPT_PENDING && !r->is_running &&
		        strcmp(r->domain, domain) == 0) {
			r->state = QUEUE_RCPT_FAILED;
			r->is_new_failure = true;
			queue_entry_set_error(r, QUEUE_ATTEMPT_DENIED);
		}
	}
	queue_after_change(q, e);
}

/* queue_attempt_new - an attempt with every idle pending recipient of domain. */
static struct queue_attempt *
queue_attempt_new(struct queue *q, struct queue_entry *e, const char *domain)
{
	struct queue_attempt *a = calloc(1, sizeof(*a));
	size_t n = 0;

	if (a == NULL)
		return NULL;
	a->q = q;
	memcpy(a->id, e->id, sizeof(a->id));
	a->domain = strdup(domain);
	a->sender = strdup(e->sender);
	a->rcpts = calloc(e->n_rcpts, sizeof(*a->rcpts));
	a->idx = calloc(e->n_rcpts, sizeof(*a->idx));
	a->results = calloc(e->n_rcpts, sizeof(*a->results));
	if (a->domain == NULL || a->sender == NULL || a->rcpts == NULL || a->idx == NULL ||
	        a->results == NULL) {
		queue_attempt_free(&a);
		return NULL;
	}
	for (size_t i = 0; i < e->n_rcpts; i++) {
		const struct queue_rcpt *r = &e->rcpts[i];

		if (r->state != QUEUE_RCPT_PENDING || r->is_running ||
		        strcmp(r->domain, domain) != 0)
			continue;
		a->idx[n] = i;
		a->results[n].cls = 4;
		a->rcpts[n] = strdup(r->addr);
		a->n = ++n;
		if (a->rcpts[n - 1] == NULL) {
			queue_attempt_free(&a);
			return NULL;
		}
	}
	return a;
}

int
queue_attempt_start(struct queue *q, struct queue_entry *e, const char *domain)
{
	struct queue_attempt *a;

	if (!queue_domain_allowed(q->conf, domain)) {
		queue_attempt_deny(q, e, domain);
		return 0;
	}
	a = queue_attempt_new(q, e, domain);
	if (a == NULL)
		return -1;
	if (worker_submit(q->workers, 0, queue_attempt_read_work, queue_attempt_read_done, a) < 0) {
		queue_attempt_free(&a);
		return -1;
	}
	for (size_t i = 0; i < a->n; i++)
		e->rcpts[a->idx[i]].is_running = true;
	e->running++;
	q->running++;
	a->next = q->attempts;
	q->attempts = a;
	return 0;
}

void
queue_attempt_finish(struct queue_attempt *a)
{
	struct queue *q = a->q;
	struct queue_entry *e = queue_find(q, a->id);
	struct queue_attempt **pp;
	int64_t now = queue_now();
	size_t delivered = 0;

	for (pp = &q->attempts; *pp != NULL && *pp != a; pp = &(*pp)->next)
		;
	if (*pp == a)
		*pp = a->next;
	q->running--;
	queue_attempt_count(a, false);
	if (e != NULL) {
		for (size_t i = 0; i < a->n; i++) {
			queue_entry_result(&q->sched, e, a->idx[i], a->results[i].cls,
			        a->results[i].reply, now);
			delivered += a->results[i].cls == 2;
		}
		e->running--;
		log_info("queue: attempt done: %zu of %zu recipients delivered", delivered, a->n);
		queue_after_change(q, e);
	}
	queue_attempt_free(&a);
	queue_kick(q);
}

void
queue_expire(struct queue *q, struct queue_entry *e)
{
	bool is_changed = false;

	for (size_t i = 0; i < e->n_rcpts; i++) {
		struct queue_rcpt *r = &e->rcpts[i];

		if (r->state == QUEUE_RCPT_PENDING && !r->is_running) {
			r->state = QUEUE_RCPT_FAILED;
			r->is_new_failure = true;
			queue_entry_set_error(r, QUEUE_SCHEDULE_EXPIRED_REASON);
			is_changed = true;
		}
	}
	if (is_changed)
		queue_after_change(q, e);
}
