/*
 * policy_rate.h - per-account send rate maths (SUB-6). PURE.
 *
 * GCRA (generic cell rate algorithm) with emission interval
 * T = 60 s / max_user_send_per_minute and burst B = max_user_send_burst_size.
 * The caller keeps one struct rate_gcra per account (memory only) and
 * passes the time in, so the maths is testable without clocks.
 */
#ifndef CHATRELAY_POLICY_RATE_H
#define CHATRELAY_POLICY_RATE_H

#include <stdbool.h>
#include <stdint.h>

#define RATE_REPLY_FMT "450 4.7.1 Too much mail from %s, try again later"

struct rate_gcra {
	int64_t tat_us; /* theoretical arrival time, microseconds; 0 for an idle account */
};

/*
 * rate_gcra_allow - SUB-6: a MAIL at now_us (monotonic microseconds) is
 * refused when TAT - now > (B - 1) * T; otherwise TAT := max(TAT, now) + T
 * and it proceeds. per_minute <= 0 disables the limit; burst < 1 counts
 * as 1. Returns true when the message may proceed.
 */
bool rate_gcra_allow(struct rate_gcra *g, int64_t now_us, long per_minute, long burst);

/*
 * rate_gcra_is_idle - true when the state carries no information any more
 * (TAT in the past), so the caller may drop it to bound memory.
 */
bool rate_gcra_is_idle(const struct rate_gcra *g, int64_t now_us);

#endif
