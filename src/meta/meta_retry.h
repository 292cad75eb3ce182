/*
 * meta_retry.h - the push retry schedule (SPEC PUSH-3). PURE: no clock, no
 * I/O; times are whatever unit the caller counts in (the notifier uses
 * milliseconds, tests may shrink the "second").
 */
#ifndef CHATRELAY_META_RETRY_H
#define CHATRELAY_META_RETRY_H

#include <stdint.h>

/* PUSH-3: at most this many attempts (the first plus 4 retries). */
#define META_RETRY_ATTEMPTS_MAX 5
/* PUSH-3: a retry starting later than this after the first attempt is dropped (5 h). */
#define META_RETRY_WINDOW_S (5L * 3600)

/*
 * meta_retry_next - when to start the next attempt after attempt number
 * attempts (1 = the first) failed at failed_at, the first having started
 * at first_at; second = the length of one second in the caller's unit
 * (1000 for milliseconds). Delays are 8, 64, 512 and 4096 s measured from
 * the failed attempt. Returns the start time, or -1 when the notification
 * is dropped (attempts exhausted, or the start would be more than 5 h after
 * first_at).
 */
int64_t meta_retry_next(unsigned attempts, int64_t first_at, int64_t failed_at, int64_t second);

#endif
