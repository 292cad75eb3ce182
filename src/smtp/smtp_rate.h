/*
 * smtp_rate.h - the per-account send rate table of submission (SUB-6).
 *
 * Memory only, loop thread only: one GCRA state (policy_rate.h) per
 * account that sent recently; idle entries are dropped as the table is
 * walked, so memory stays bounded by the accounts active within a burst
 * window.
 */
#ifndef CHATRELAY_SMTP_RATE_H
#define CHATRELAY_SMTP_RATE_H

#include <stdbool.h>

/*
 * smtp_rate_allow - one MAIL by the (normalised) account now: true when it
 * may proceed. per_minute <= 0 disables the limit. Out of memory lets the
 * message pass (the limit is a courtesy, not a security boundary).
 */
bool smtp_rate_allow(const char *account, long per_minute, long burst);

/* smtp_rate_clear - forget every entry (tests, shutdown). */
void smtp_rate_clear(void);

#endif
