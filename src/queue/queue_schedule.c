/*
 * queue_schedule.c - retry delays and the give-up time of outbound mail
 * (QUEUE-3, QUEUE-4). PURE: libc and core/ only.
 *
 * Exponential backoff per destination domain: retry_initial after the first
 * temporary failure, doubling, capped at retry_max; recipients still
 * pending lifetime seconds after queueing fail with 4.4.7. The clock is
 * always passed in; nothing here reads it.
 */
#include "queue/queue_schedule.h"

#include "core/core_conf.h"

void
queue_schedule_init(struct queue_schedule *s, const struct conf *conf)
{
	s->retry_initial = conf->queue_retry_initial;
	s->retry_max = conf->queue_retry_max;
	s->lifetime = conf->queue_lifetime;
	s->concurrency = conf->queue_concurrency;
}

int64_t
queue_schedule_delay(const struct queue_schedule *s, unsigned k)
{
	int64_t delay = s->retry_initial;

	if (k == 0)
		return 0;
	/* Double k-1 times; stop at the cap before the product can overflow. */
	for (unsigned i = 1; i < k && delay < s->retry_max; i++)
		delay = delay > s->retry_max / 2 ? s->retry_max : delay * 2;
	return delay < s->retry_max ? delay : s->retry_max;
}

int64_t
queue_schedule_deadline(const struct queue_schedule *s, int64_t queued_at)
{
	return queued_at + s->lifetime;
}

bool
queue_schedule_is_expired(const struct queue_schedule *s, int64_t queued_at, int64_t now)
{
	return now >= queue_schedule_deadline(s, queued_at);
}

enum queue_schedule_verdict
queue_schedule_after_failure(
        const struct queue_schedule *s, int64_t queued_at, unsigned k, int64_t now, int64_t *next_r)
{
	int64_t deadline = queue_schedule_deadline(s, queued_at);
	int64_t next = now + queue_schedule_delay(s, k);

	if (now >= deadline) {
		*next_r = now;
		return QUEUE_SCHEDULE_EXPIRE;
	}
	/* Wake at the deadline at the latest, so expiry is not late by a whole delay. */
	*next_r = next < deadline ? next : deadline;
	return QUEUE_SCHEDULE_RETRY;
}

enum queue_schedule_verdict
queue_schedule_due(const struct queue_schedule *s, int64_t queued_at, int64_t next_at, int64_t now,
        int64_t *wait_r)
{
	int64_t deadline = queue_schedule_deadline(s, queued_at);
	int64_t at = next_at < deadline ? next_at : deadline;

	if (now >= deadline) {
		*wait_r = 0;
		return QUEUE_SCHEDULE_EXPIRE;
	}
	*wait_r = at > now ? at - now : 0;
	return QUEUE_SCHEDULE_RETRY;
}

int64_t
queue_schedule_on_load(int64_t stored_next, int64_t started_at)
{
	int64_t earliest = started_at + QUEUE_SCHEDULE_START_DELAY;

	return stored_next > earliest ? stored_next : earliest;
}

bool
queue_schedule_may_start(
        const struct queue_schedule *s, unsigned running, unsigned running_for_domain)
{
	return (long)running < s->concurrency && running_for_domain < QUEUE_SCHEDULE_PER_DOMAIN;
}
