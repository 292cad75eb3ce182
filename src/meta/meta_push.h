/*
 * meta_push.h - the push notifier (SPEC PUSH-2..5, TLS-7, LOG-6): pending
 * notifications in memory, POSTed with libcurl's multi interface driven by
 * the libevent loop, retried per PUSH-3, coalesced per PUSH-4, at most
 * META_PUSH_INFLIGHT_MAX in flight.
 *
 * Internal to meta/ (meta.c feeds it tokens read from the database). Loop
 * thread only; nothing here blocks (name resolution uses libcurl's own
 * asynchronous resolver) or touches disk. Tokens are never logged.
 */
#ifndef CHATRELAY_META_PUSH_H
#define CHATRELAY_META_PUSH_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct meta_push;

/* Bound on notifications kept pending (memory); further ones are dropped and counted. */
#define META_PUSH_PENDING_MAX 65536
/* PUSH-2: whole-request timeout in seconds. */
#define META_PUSH_TIMEOUT_S 60

/* meta_push_gone_fn - the push service answered 410 for token of account (PUSH-3). */
typedef void meta_push_gone_fn(const char *account, const char *token, void *ctx);

/* Counters for metrics (HTTP-6 chatrelay_push_total{result}) and tests. */
struct meta_push_stats {
	unsigned long ok;        /* 2xx */
	unsigned long gone;      /* 410 */
	unsigned long failed;    /* attempts answered otherwise or failing on the network */
	unsigned long dropped;   /* notifications given up (PUSH-3) or over the pending bound */
	unsigned long coalesced; /* deliveries absorbed by a waiting notification (PUSH-4) */
	size_t pending;          /* notifications alive (waiting or in flight) */
	unsigned inflight;       /* requests in flight */
	unsigned inflight_peak;  /* highest inflight seen */
};

/*
 * meta_push_new - a notifier posting to url (copied) on base (borrowed).
 * gone(account, token, ctx) is called on a 410. NULL with errno on failure.
 */
struct meta_push *meta_push_new(
        struct event_base *base, const char *url, meta_push_gone_fn *gone, void *ctx);

/* meta_push_free - abort requests, drop everything pending. Accepts NULL; leaves NULL. */
void meta_push_free(struct meta_push **pp);

/*
 * meta_push_enqueue - schedule one notification of token (len octets) for
 * account unless one for the same pair is already waiting (PUSH-4). The
 * request starts from the loop shortly after (never inside this call).
 * Returns 0 (scheduled or coalesced) or -1 (out of memory / over the bound).
 */
int meta_push_enqueue(struct meta_push *p, const char *account, const char *token, size_t len);

/* meta_push_forget_account - drop every notification of account, in flight too (ACC-7). */
void meta_push_forget_account(struct meta_push *p, const char *account);

/* meta_push_stats - current counters. */
void meta_push_get_stats(const struct meta_push *p, struct meta_push_stats *s);

/*
 * meta_push_set_second - tests: the length of one schedule second in
 * milliseconds (default 1000), so PUSH-3 retries can be observed quickly.
 */
void meta_push_set_second(struct meta_push *p, int64_t ms);

#endif
