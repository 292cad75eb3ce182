/*
 * queue.c - the outbound queue: start-up load, enqueue (QUEUE-1), the
 * scheduler on the loop (QUEUE-2..4), CLI verbs (CLI-7) and the federation
 * policy (FED-9).
 *
 * Loop thread only; disk work goes to the worker pool. Attempts and their
 * results live in queue_attempt.c, the HTTPS transport in queue_http.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/core_conf.h"
#include "core/core_log.h"
#include "net/net_server.h"
#include "net/net_worker.h"
#include "queue/queue_dkim.h"
#include "queue/queue_dns.h"
#include "queue/queue_int.h"
#include "queue/queue_smtp.h"

int64_t
queue_now(void)
{
	return (int64_t)time(NULL);
}

struct queue_entry *
queue_find(struct queue *q, const char *id)
{
	for (struct queue_entry *e = q->entries; e != NULL; e = e->next)
		if (strcmp(e->id, id) == 0)
			return e;
	return NULL;
}

bool
queue_domain_allowed(const struct conf *conf, const char *domain)
{
	const struct conf_list *l = conf->federation_policy == CONF_FEDERATION_ALLOWLIST
	        ? &conf->federation_allowlist
	        : &conf->federation_blocklist;
	bool is_listed = false;

	for (size_t i = 0; i < l->count && !is_listed; i++)
		is_listed = strcasecmp(l->words[i], domain) == 0;
	return conf->federation_policy == CONF_FEDERATION_ALLOWLIST ? is_listed : !is_listed;
}

/* queue_source_ip - FED-8: bind the IP-literal mail domain when it is an address of this host. */
static void
queue_source_ip(struct queue *q)
{
	struct sockaddr_in sin;
	int fd;

	if (!q->conf->mail_domain_is_ip)
		return;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	if (inet_pton(AF_INET, q->conf->mail_domain_bare, &sin.sin_addr) != 1)
		return;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
		snprintf(q->source_ip, sizeof(q->source_ip), "%s", q->conf->mail_domain_bare);
	close(fd);
}

/* queue_domain_next - the earliest next attempt of e's idle pending recipients of domain. */
static int64_t
queue_domain_next(const struct queue_entry *e, const char *domain, bool *is_busy_r)
{
	int64_t next = INT64_MAX;

	*is_busy_r = false;
	for (size_t i = 0; i < e->n_rcpts; i++) {
		const struct queue_rcpt *r = &e->rcpts[i];

		if (r->state != QUEUE_RCPT_PENDING || strcmp(r->domain, domain) != 0)
			continue;
		if (r->is_running)
			*is_busy_r = true;
		else if (r->next_at < next)
			next = r->next_at;
	}
	return next;
}

/* queue_domain_running - attempts in flight to domain (QUEUE-3: at most 2). */
static unsigned
queue_domain_running(const struct queue *q, const char *domain)
{
	unsigned n = 0;

	for (const struct queue_attempt *a = q->attempts; a != NULL; a = a->next)
		n += strcmp(a->domain, domain) == 0;
	return n;
}

/* queue_schedule_entry - start due domains of e; lowers *wake_r to e's next event. */
static void
queue_schedule_entry(struct queue *q, struct queue_entry *e, int64_t now, int64_t *wake_r)
{
	if (e->is_removing)
		return;
	if (queue_schedule_is_expired(&q->sched, e->queued_at, now)) {
		queue_expire(q, e);
		return;
	}
	for (size_t i = 0; i < e->n_rcpts; i++) {
		const char *domain = e->rcpts[i].domain;
		bool is_busy, is_first = true;
		int64_t next;

		for (size_t j = 0; j < i && is_first; j++)
			is_first = strcmp(e->rcpts[j].domain, domain) != 0;
		if (!is_first)
			continue;
		next = queue_domain_next(e, domain, &is_busy);
		if (next == INT64_MAX || is_busy)
			continue;
		if (next <= now &&
		        queue_schedule_may_start(
		                &q->sched, q->running, queue_domain_running(q, domain))) {
			if (queue_attempt_start(q, e, domain) == 0)
				continue;
			next = now + 1;
		}
		if (next <= now)
			next = now + 1; /* no room now: look again when an attempt ends */
		if (next < *wake_r)
			*wake_r = next;
	}
	int64_t deadline = queue_schedule_deadline(&q->sched, e->queued_at);
	if (queue_entry_pending(e) > 0 && deadline < *wake_r)
		*wake_r = deadline;
}

/* queue_timer_cb - the scheduler: one pass over every entry. */
static void
queue_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct queue *q = arg;
	int64_t now = queue_now(), wake = INT64_MAX;
	struct queue_entry *e, *next;

	(void)fd;
	(void)what;
	if (q->is_stopped)
		return;
	for (e = q->entries; e != NULL; e = next) {
		next = e->next; /* an expired entry may be unlinked */
		queue_schedule_entry(q, e, now, &wake);
	}
	if (wake != INT64_MAX) {
		struct timeval tv = {.tv_sec = wake > now ? (time_t)(wake - now) : 1, .tv_usec = 0};
		evtimer_add(q->timer, &tv);
	}
}

void
queue_kick(struct queue *q)
{
	struct timeval tv = {0, 0};

	if (!q->is_stopped)
		evtimer_add(q->timer, &tv);
}

struct queue *
queue_new(struct server *srv)
{
	struct queue *q = calloc(1, sizeof(*q));
	size_t loaded = 0, bad = 0, held = 0;

	if (q == NULL)
		return NULL;
	q->srv = srv;
	q->conf = srv->conf;
	q->base = srv->base;
	q->workers = srv->io_workers; /* spool copies, fsyncs, state files */
	q->store = srv->store;
	queue_schedule_init(&q->sched, q->conf);
	snprintf(q->dir, sizeof(q->dir), "%s/queue", q->conf->data_dir);
	q->started_at = queue_now();
	queue_source_ip(q);
	q->timer = evtimer_new(q->base, queue_timer_cb, q);
	q->dns = queue_dns_new(q->base, q->conf->dns_server);
	q->http = queue_http_new(q);
	q->smtp = queue_smtp_new(q);
	if (q->timer == NULL || q->dns == NULL || q->http == NULL || q->smtp == NULL ||
	        queue_entry_load_all(q->dir, &q->entries, &loaded, &bad, &held) < 0) {
		int saved = errno;
		queue_free(&q);
		errno = saved;
		return NULL;
	}
	q->n_entries = loaded;
	for (struct queue_entry *e = q->entries; e != NULL; e = e->next) {
		size_t owed = 0;

		for (size_t i = 0; i < e->n_rcpts; i++) {
			e->rcpts[i].next_at =
			        queue_schedule_on_load(e->rcpts[i].next_at, q->started_at);
			owed += e->rcpts[i].is_dsn_owed;
		}
		/* DSN-1: a DSN owed when the process stopped is made now (queue_job.c) */
		if (owed > 0)
			queue_after_change(q, e);
	}
	if (bad > 0)
		log_warn("queue: %zu unreadable entries moved to queue/corrupt", bad);
	/* SUB-11: a crash before the commit: never acknowledged, the client retries */
	if (held > 0)
		log_info("queue: %zu held entries of unacknowledged messages removed", held);
	log_info("queue: %zu entries", loaded);
	queue_kick(q);
	return q;
}

void
queue_stop(struct queue *q)
{
	if (q == NULL || q->is_stopped)
		return;
	q->is_stopped = true;
	evtimer_del(q->timer);
	queue_http_stop(q->http);
	queue_smtp_stop(q->smtp);
}

void
queue_free(struct queue **qp)
{
	struct queue *q = *qp;

	if (q == NULL)
		return;
	q->is_stopped = true;
	queue_http_free(&q->http);
	queue_smtp_free(&q->smtp);
	queue_dns_free(&q->dns); /* pending lookups end without their callbacks */
	while (q->attempts != NULL) {
		struct queue_attempt *a = q->attempts;

		q->attempts = a->next;
		queue_attempt_free(&a);
	}
	while (q->entries != NULL) {
		struct queue_entry *e = q->entries;

		q->entries = e->next;
		queue_entry_free(&e);
	}
	while (q->http_skips != NULL) {
		struct queue_http_skip *k = q->http_skips;

		q->http_skips = k->next;
		free(k->domain);
		free(k);
	}
	if (q->timer != NULL)
		event_free(q->timer);
	free(q);
	*qp = NULL;
}

size_t
queue_count(const struct queue *q)
{
	return q->n_entries;
}

const char *
queue_dsn_outcome_name(enum queue_dsn_outcome o)
{
	switch (o) {
	case QUEUE_DSN_DELIVERED: return "delivered";
	case QUEUE_DSN_OVER_QUOTA: return "over_quota";
	case QUEUE_DSN_NO_ACCOUNT: return "no_account";
	case QUEUE_DSN_OUTCOMES: break;
	}
	return "unknown";
}

uint64_t
queue_dsn_count(const struct queue *q, enum queue_dsn_outcome o)
{
	return q != NULL && o < QUEUE_DSN_OUTCOMES ? q->dsn_counts[o] : 0;
}

int
queue_flush(struct queue *q, const char *id)
{
	bool is_found = false;
	int64_t now = queue_now();

	for (struct queue_entry *e = q->entries; e != NULL; e = e->next) {
		if (id != NULL && strcmp(e->id, id) != 0)
			continue;
		is_found = true;
		for (size_t i = 0; i < e->n_rcpts; i++)
			if (e->rcpts[i].state == QUEUE_RCPT_PENDING)
				e->rcpts[i].next_at = now;
	}
	if (id != NULL && !is_found) {
		errno = ENOENT;
		return -1;
	}
	queue_kick(q);
	return 0;
}
