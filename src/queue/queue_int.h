/*
 * queue_int.h - internals shared by queue.c, queue_attempt.c and
 * queue_http.c. Loop thread only unless a function says otherwise.
 */
#ifndef CHATRELAY_QUEUE_INT_H
#define CHATRELAY_QUEUE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core_metrics.h"
#include "queue/queue.h"
#include "queue/queue_entry.h"
#include "queue/queue_schedule.h"

struct event;
struct event_base;
struct queue_dns;
struct queue_http;
struct store;
struct worker_pool;

/* One recipient's result of an attempt. */
struct queue_result {
	int cls;     /* 2 delivered, 4 temporary, 5 permanent */
	char *reply; /* owned or NULL */
};

struct queue_attempt {
	struct queue *q;                 /* borrowed */
	char id[QUEUE_ENTRY_ID_LEN + 1]; /* the entry, looked up by id */
	char *domain;                    /* owned */
	char *sender;                    /* owned copy */
	char **rcpts;                    /* owned copies */
	size_t *idx;                     /* owned: recipient indexes in the entry */
	struct queue_result *results;    /* owned, one per recipient */
	size_t n;
	char *msg; /* owned: the message, read by a worker */
	size_t msg_len;
	bool is_read_ok;
	bool is_http_failed;        /* FED-3: HTTPS was tried and failed */
	bool has_transport;         /* a transport took the attempt: its results count (HTTP-6) */
	enum core_metrics_transport transport; /* which one, when has_transport */
	struct queue_attempt *next; /* owned list of running attempts */
};

struct queue {
	uint64_t dsn_counts[QUEUE_DSN_OUTCOMES]; /* by enum queue_dsn_outcome (metrics) */
	struct server *srv;          /* borrowed */
	const struct conf *conf;     /* borrowed */
	struct event_base *base;     /* borrowed */
	struct worker_pool *workers; /* borrowed */
	struct store *store;         /* borrowed, may be NULL (no DSN) */
	struct queue_schedule sched;
	char dir[4096];
	struct queue_entry *entries; /* owned list */
	size_t n_entries;
	struct queue_attempt *attempts; /* owned list */
	unsigned running;
	struct event *timer; /* owned */
	bool is_stopped;
	int64_t started_at;
	struct queue_dns *dns;              /* owned: one resolver for HTTPS and SMTP (CONF-10) */
	struct queue_http *http;            /* owned */
	struct queue_smtp *smtp;            /* owned */
	char source_ip[64];                 /* FED-8: "" when not binding */
	struct queue_http_skip *http_skips; /* owned list (FED-3) */
};

/* FED-3: a domain whose HTTPS failed while SMTP worked, skipped until a time. */
struct queue_http_skip {
	char *domain; /* owned */
	int64_t until;
	struct queue_http_skip *next; /* owned */
};

/* queue_http_skip_set / queue_http_is_skipped - FED-3 bookkeeping (expired rows dropped). */
void queue_http_skip_set(struct queue *q, const char *domain, int64_t until);
bool queue_http_is_skipped(struct queue *q, const char *domain, int64_t now);

/* queue_now - the clock of the queue (seconds). */
int64_t queue_now(void);
/* queue_find - an entry by id, or NULL. */
struct queue_entry *queue_find(struct queue *q, const char *id);
/* queue_kick - re-run the scheduler soon (after state changed). */
void queue_kick(struct queue *q);

/* queue_attempt_start - run one attempt for (e, domain); recipients marked running. */
int queue_attempt_start(struct queue *q, struct queue_entry *e, const char *domain);
/* queue_attempt_finish - results are in: update the entry, persist, DSN, schedule. Frees a. */
void queue_attempt_finish(struct queue_attempt *a);
/* queue_attempt_free - free an attempt with its recipients and results; *ap = NULL. */
void queue_attempt_free(struct queue_attempt **ap);
/* queue_attempt_set_transport - HTTP-6: results from here on are transport's. */
void queue_attempt_set_transport(struct queue_attempt *a, enum core_metrics_transport transport);
/* queue_attempt_set_all - every recipient of a gets cls and reply. */
void queue_attempt_set_all(struct queue_attempt *a, int cls, const char *reply);
/* queue_expire - fail every pending, idle recipient of e with the 4.4.7 reason (QUEUE-3). */
void queue_expire(struct queue *q, struct queue_entry *e);
/* queue_after_change - persist e, then DSN and removal as needed. */
void queue_after_change(struct queue *q, struct queue_entry *e);

/* HTTP transport (queue_http.c). */
struct queue_http *queue_http_new(struct queue *q);
void queue_http_free(struct queue_http **hp);
/* queue_http_stop - abandon transfers: their attempts finish as temporary failures. */
void queue_http_stop(struct queue_http *h);
/*
 * queue_http_start - POST the attempt's message to url (FED-2). On a
 * decisive answer (FED-3) the results are set and queue_attempt_finish
 * runs; otherwise fallback(a) runs (SMTP). -1 when the request cannot
 * start (the caller falls back).
 */
typedef void queue_http_fallback_fn(struct queue_attempt *a, const char *why);
int queue_http_start(struct queue_http *h, struct queue_attempt *a, const char *url,
        bool is_verified, queue_http_fallback_fn *fallback);
/* queue_http_apply - FED-3 on a status and body: 1 decided (results set), 0 fall back. PURE. */
int queue_http_apply(struct queue_attempt *a, long status, const char *body, size_t len);

#endif
