/*
 * bus.c - subscriptions in per-account chains of a small hash table.
 *
 * Responsible for matching events to subscriptions and calling them. Does
 * not queue, copy or reorder events (the store sequences them) and does not
 * touch threads: loop thread only. Unsubscribing while an event is being
 * delivered only marks the subscription dead; dead ones are unlinked once
 * the outermost bus_publish() returns.
 */
#include "bus/bus.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define BUS_BUCKETS 1024

/* One allocation with its names: every idle IMAP session holds one (issue 9). */
struct bus_sub {
	const char *mailbox; /* into account[] after its NUL, or NULL */
	bus_event_cb *cb;
	void *ctx; /* borrowed */
	bool is_dead;
	struct bus_sub *next; /* owned chain of one bucket */
	char account[];       /* the account, NUL, then the mailbox if any */
};

struct bus {
	struct bus_sub *buckets[BUS_BUCKETS]; /* owned chains */
	unsigned depth;                       /* nesting of bus_publish */
	bool has_dead;
};

static const char *const bus_kind_names[] = {
        "new", "flags", "expunge", "mailbox-deleted", "mailbox-renamed", "account-deleted"};

const char *
bus_event_kind_name(enum bus_event_kind kind)
{
	if ((size_t)kind >= sizeof(bus_kind_names) / sizeof(bus_kind_names[0]))
		return "?";
	return bus_kind_names[kind];
}

/* bus_hash - FNV-1a of the account: subscriptions are looked up by account. */
static size_t
bus_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % BUS_BUCKETS;
}

struct bus *
bus_new(void)
{
	return calloc(1, sizeof(struct bus));
}

static void
bus_sub_free(struct bus_sub *s)
{
	free(s);
}

void
bus_free(struct bus **bp)
{
	struct bus *b = *bp;

	if (b == NULL)
		return;
	for (size_t i = 0; i < BUS_BUCKETS; i++) {
		while (b->buckets[i] != NULL) {
			struct bus_sub *s = b->buckets[i];

			b->buckets[i] = s->next;
			bus_sub_free(s);
		}
	}
	free(b);
	*bp = NULL;
}

struct bus_sub *
bus_subscribe(struct bus *b, const char *account, const char *mailbox, bus_event_cb *cb, void *ctx)
{
	size_t alen = strlen(account) + 1, mlen = mailbox != NULL ? strlen(mailbox) + 1 : 0;
	struct bus_sub *s = calloc(1, sizeof(*s) + alen + mlen);
	size_t h = bus_hash(account);

	if (s == NULL)
		return NULL;
	memcpy(s->account, account, alen);
	if (mailbox != NULL) {
		memcpy(s->account + alen, mailbox, mlen);
		s->mailbox = s->account + alen;
	}
	s->cb = cb;
	s->ctx = ctx;
	/* Append: subscribers are called in subscription order. */
	struct bus_sub **pp = &b->buckets[h];

	while (*pp != NULL)
		pp = &(*pp)->next;
	*pp = s;
	return s;
}

/* bus_sweep - unlink dead subscriptions once no delivery is in progress. */
static void
bus_sweep(struct bus *b)
{
	for (size_t i = 0; i < BUS_BUCKETS && b->has_dead; i++) {
		struct bus_sub **pp = &b->buckets[i];

		while (*pp != NULL) {
			struct bus_sub *s = *pp;

			if (s->is_dead) {
				*pp = s->next;
				bus_sub_free(s);
			} else {
				pp = &s->next;
			}
		}
	}
	b->has_dead = false;
}

void
bus_unsubscribe(struct bus *b, struct bus_sub **subp)
{
	struct bus_sub *s = *subp;

	if (s == NULL)
		return;
	*subp = NULL;
	s->is_dead = true;
	if (b->depth > 0) {
		b->has_dead = true;
		return;
	}
	struct bus_sub **pp = &b->buckets[bus_hash(s->account)];

	while (*pp != NULL && *pp != s)
		pp = &(*pp)->next;
	if (*pp == s)
		*pp = s->next;
	bus_sub_free(s);
}

/* bus_matches - account equal, and mailbox equal unless either side is account-wide. */
static bool
bus_matches(const struct bus_sub *s, const struct bus_event *ev)
{
	if (s->is_dead || strcmp(s->account, ev->account) != 0)
		return false;
	if (s->mailbox == NULL || ev->mailbox == NULL)
		return true;
	if (strcmp(s->mailbox, ev->mailbox) == 0)
		return true;
	return ev->kind == BUS_EVENT_MAILBOX_RENAMED && ev->new_name != NULL &&
	        strcmp(s->mailbox, ev->new_name) == 0;
}

void
bus_publish(struct bus *b, const struct bus_event *ev)
{
	struct bus_sub *s;

	b->depth++;
	/* New subscriptions appended during delivery are reached too; that is harmless. */
	for (s = b->buckets[bus_hash(ev->account)]; s != NULL; s = s->next)
		if (bus_matches(s, ev))
			s->cb(ev, s->ctx);
	b->depth--;
	if (b->depth == 0 && b->has_dead)
		bus_sweep(b);
}

size_t
bus_subscriber_count(const struct bus *b, const char *account)
{
	size_t n = 0;

	for (const struct bus_sub *s = b->buckets[bus_hash(account)]; s != NULL; s = s->next)
		if (!s->is_dead && strcmp(s->account, account) == 0)
			n++;
	return n;
}
