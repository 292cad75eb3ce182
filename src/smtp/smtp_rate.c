/*
 * smtp_rate.c - the per-account GCRA table of SUB-6 (see smtp_rate.h).
 *
 * A fixed array of hash buckets with chained entries; a bucket is pruned
 * of idle entries whenever it is visited. Loop thread only. The maths is
 * policy_rate.c; this file only keeps state.
 */
#include "smtp/smtp_rate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core_limits.h"
#include "policy/policy_rate.h"

#define SMTP_RATE_BUCKETS 1024

struct smtp_rate_entry {
	struct smtp_rate_entry *next; /* owned chain */
	struct rate_gcra gcra;
	char account[ADDRESS_MAX];
};

static struct smtp_rate_entry *smtp_rate_table[SMTP_RATE_BUCKETS];

static int64_t
smtp_rate_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* +1 s so that a fresh state (tat 0) is always in the past */
	return ((int64_t)ts.tv_sec + 1) * 1000000 + ts.tv_nsec / 1000;
}

static size_t
smtp_rate_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % SMTP_RATE_BUCKETS;
}

/* smtp_rate_find - the entry of account, pruning idle ones of its bucket; NULL if absent. */
static struct smtp_rate_entry *
smtp_rate_find(struct smtp_rate_entry **head, const char *account, int64_t now)
{
	struct smtp_rate_entry **pp = head, *found = NULL;

	while (*pp != NULL) {
		struct smtp_rate_entry *e = *pp;

		if (strcmp(e->account, account) == 0) {
			found = e;
			pp = &e->next;
		} else if (rate_gcra_is_idle(&e->gcra, now)) {
			*pp = e->next;
			free(e);
		} else {
			pp = &e->next;
		}
	}
	return found;
}

bool
smtp_rate_allow(const char *account, long per_minute, long burst)
{
	struct smtp_rate_entry **head = &smtp_rate_table[smtp_rate_hash(account)];
	int64_t now = smtp_rate_now_us();
	struct smtp_rate_entry *e;

	if (per_minute <= 0)
		return true;
	e = smtp_rate_find(head, account, now);
	if (e == NULL) {
		e = calloc(1, sizeof(*e));
		if (e == NULL)
			return true;
		strncpy(e->account, account, sizeof(e->account) - 1);
		e->next = *head;
		*head = e;
	}
	return rate_gcra_allow(&e->gcra, now, per_minute, burst);
}

void
smtp_rate_clear(void)
{
	for (size_t i = 0; i < SMTP_RATE_BUCKETS; i++) {
		while (smtp_rate_table[i] != NULL) {
			struct smtp_rate_entry *e = smtp_rate_table[i];

			smtp_rate_table[i] = e->next;
			free(e);
		}
	}
}
