/*
 * auth_throttle.h - failed-authentication counters over a sliding window
 * (AUTH-9 per client key, AUTH-10 per account). Memory only (LOG-6).
 * Time is passed in by the caller (milliseconds of any monotonic clock),
 * so tests drive it without sleeping. Loop thread only.
 */
#ifndef CHATRELAY_AUTH_THROTTLE_H
#define CHATRELAY_AUTH_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

struct auth_throttle;

/*
 * Keys remembered at most. Beyond it idle keys are swept at once; if all
 * are active the new key is not recorded, so memory stays bounded (about
 * limit * 8 bytes per key) even when an attacker spreads over many /64s.
 */
#define AUTH_THROTTLE_KEYS_MAX 200000

/* auth_throttle_new - limit failures per window_ms; limit < 1 disables. NULL on ENOMEM. */
struct auth_throttle *auth_throttle_new(long limit, int64_t window_ms);
/* auth_throttle_free - accepts NULL; leaves NULL. */
void auth_throttle_free(struct auth_throttle **tp);
/* auth_throttle_is_limited - key has at least limit failures in (now - window, now]. */
bool auth_throttle_is_limited(struct auth_throttle *t, const char *key, int64_t now_ms);
/* auth_throttle_fail - record one failure of key at now_ms (best effort on ENOMEM). */
void auth_throttle_fail(struct auth_throttle *t, const char *key, int64_t now_ms);
/* auth_throttle_sweep - forget keys without failures in the window (bounds memory). */
void auth_throttle_sweep(struct auth_throttle *t, int64_t now_ms);
/* auth_throttle_count - keys currently remembered (tests). */
unsigned long auth_throttle_count(const struct auth_throttle *t);

#endif
