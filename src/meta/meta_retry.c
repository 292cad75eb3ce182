/*
 * meta_retry.c - the push retry schedule (SPEC PUSH-3). PURE: libc only.
 */
#include "meta/meta_retry.h"

/* Delay after the failure of attempt i + 1, in seconds (PUSH-3: powers of 8). */
static const int64_t meta_retry_delays[META_RETRY_ATTEMPTS_MAX - 1] = {8, 64, 512, 4096};

int64_t
meta_retry_next(unsigned attempts, int64_t first_at, int64_t failed_at, int64_t second)
{
	int64_t next;

	if (attempts < 1 || attempts >= META_RETRY_ATTEMPTS_MAX || second <= 0)
		return -1;
	next = failed_at + meta_retry_delays[attempts - 1] * second;
	if (next - first_at > META_RETRY_WINDOW_S * second)
		return -1;
	return next;
}
