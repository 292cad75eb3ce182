/*
 * policy_rate.c - GCRA send rate limiter maths (SUB-6). PURE: libc only.
 *
 * Keeps no table and reads no clock: the session owns the per-account
 * state and the time. Integer microseconds avoid float drift.
 */
#include "policy/policy_rate.h"

bool
rate_gcra_allow(struct rate_gcra *g, int64_t now_us, long per_minute, long burst)
{
	int64_t t, tat;

	if (per_minute <= 0)
		return true;
	if (burst < 1)
		burst = 1;
	t = 60000000LL / per_minute;
	if (t < 1)
		t = 1;
	tat = g->tat_us;
	if (tat - now_us > (int64_t)(burst - 1) * t)
		return false;
	g->tat_us = (tat > now_us ? tat : now_us) + t;
	return true;
}

bool
rate_gcra_is_idle(const struct rate_gcra *g, int64_t now_us)
{
	return g->tat_us <= now_us;
}
