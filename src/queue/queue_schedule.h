/*
 * queue_schedule.h - when the outbound queue tries again and when it gives
 * up (QUEUE-3, QUEUE-4, FED-3). PURE: libc and core/ only.
 *
 * Every function takes the time as an argument (seconds since the epoch),
 * so the schedule is tested with an injected clock and the queue decides
 * with one clock reading per event. Times are int64_t seconds.
 */
#ifndef CHATRELAY_QUEUE_SCHEDULE_H
#define CHATRELAY_QUEUE_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

struct conf;

/* QUEUE-4: loaded entries wait at least this long after start. */
#define QUEUE_SCHEDULE_START_DELAY 10
/* QUEUE-3: attempts in parallel to one destination domain. */
#define QUEUE_SCHEDULE_PER_DOMAIN 2
/* FED-3: after HTTPS failed and SMTP worked, HTTPS is skipped this long. */
#define QUEUE_SCHEDULE_HTTP_SKIP 1800
/* QUEUE-3, DSN-2: the reason of a recipient that expired. */
#define QUEUE_SCHEDULE_EXPIRED_STATUS "4.4.7"
#define QUEUE_SCHEDULE_EXPIRED_REASON "4.4.7 Delivery time expired"

struct queue_schedule {
	int64_t retry_initial; /* queue_retry_initial, > 0 */
	int64_t retry_max;     /* queue_retry_max, >= retry_initial */
	int64_t lifetime;      /* queue_lifetime, > 0 */
	long concurrency;      /* queue_concurrency, > 0 */
};

enum queue_schedule_verdict {
	QUEUE_SCHEDULE_RETRY,  /* try again at the returned time */
	QUEUE_SCHEDULE_EXPIRE, /* fail the pending recipients with the 4.4.7 reason */
};

/* queue_schedule_init - the schedule of the configuration (values validated by conf). */
void queue_schedule_init(struct queue_schedule *s, const struct conf *conf);

/*
 * queue_schedule_delay - the wait after the k-th temporary failure (k >= 1):
 * retry_initial * 2^(k-1), capped at retry_max (QUEUE-3). k = 0 gives 0
 * (the first attempt runs at once). Never overflows.
 */
int64_t queue_schedule_delay(const struct queue_schedule *s, unsigned k);

/* queue_schedule_deadline - the give-up time of an entry queued at queued_at. */
int64_t queue_schedule_deadline(const struct queue_schedule *s, int64_t queued_at);

/* queue_schedule_is_expired - recipients still pending at now fail (QUEUE-3). */
bool queue_schedule_is_expired(const struct queue_schedule *s, int64_t queued_at, int64_t now);

/*
 * queue_schedule_after_failure - the k-th temporary failure (k >= 1) of a
 * domain of an entry queued at queued_at happened at now. RETRY with
 * *next_r = now + delay, but never later than the deadline (so expiry is
 * noticed on time); EXPIRE when the deadline has passed.
 */
enum queue_schedule_verdict queue_schedule_after_failure(const struct queue_schedule *s,
        int64_t queued_at, unsigned k, int64_t now, int64_t *next_r);

/*
 * queue_schedule_due - what to do with a domain whose next attempt is
 * next_at: EXPIRE when past the deadline, else RETRY when next_at <= now
 * (*wait_r = 0) or not yet (*wait_r = seconds to wait, capped at the
 * deadline).
 */
enum queue_schedule_verdict queue_schedule_due(const struct queue_schedule *s, int64_t queued_at,
        int64_t next_at, int64_t now, int64_t *wait_r);

/* queue_schedule_on_load - QUEUE-4: the stored next attempt, but not before start + 10 s. */
int64_t queue_schedule_on_load(int64_t stored_next, int64_t started_at);

/* queue_schedule_may_start - QUEUE-3: room for one more attempt to this domain? */
bool queue_schedule_may_start(
        const struct queue_schedule *s, unsigned running, unsigned running_for_domain);

#endif
