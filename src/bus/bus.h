/*
 * bus.h - the in-process change bus (ARCHITECTURE "Threads", IMAP-49..51).
 *
 * The store publishes every committed mailbox change here (new messages,
 * flag changes, expunges, mailbox and account removal); IMAP sessions
 * subscribe per account, optionally per mailbox, and turn the events into
 * EXISTS / FETCH / EXPUNGE / BYE. The bus is owned by the loop thread:
 * every function here must be called on the loop thread. It never blocks,
 * never touches disk and knows nothing about Maildir.
 *
 * Events are delivered synchronously from bus_publish() in subscription
 * order. A callback may subscribe or unsubscribe (itself or others) while an
 * event is being delivered; removed subscriptions receive nothing further.
 * Per mailbox, events arrive in commit order (the store guarantees that by
 * sequencing its publications), so a subscriber can apply them in order.
 */
#ifndef CHATRELAY_BUS_BUS_H
#define CHATRELAY_BUS_BUS_H

#include <stddef.h>
#include <stdint.h>

struct bus;
struct bus_sub;

enum bus_event_kind {
	BUS_EVENT_NEW,             /* msgs: the new messages, ascending UIDs */
	BUS_EVENT_FLAGS,           /* msgs: new flags/keywords/modseq of changed messages */
	BUS_EVENT_EXPUNGE,         /* msgs: uid (and modseq of the expunge) of removed messages */
	BUS_EVENT_MAILBOX_DELETED, /* the mailbox is gone (IMAP-25: BYE for selecting sessions) */
	BUS_EVENT_MAILBOX_RENAMED, /* mailbox -> new_name, UIDVALIDITY kept (IMAP-26) */
	BUS_EVENT_ACCOUNT_DELETED, /* the whole account is gone (ACC-7); mailbox is NULL */
};

/* One message as carried by an event (flags use STORE_FLAG_* bit values). */
struct bus_msg {
	uint32_t uid;
	uint32_t flags;
	uint64_t keywords; /* bit i = keywords[i] of the event */
	uint64_t modseq;
	uint64_t size;
	int64_t internaldate;
};

struct bus_event {
	enum bus_event_kind kind;
	const char *account; /* borrowed, never NULL */
	const char *
	        mailbox; /* borrowed; IMAP name ("INBOX", "Sent", "a.b"); NULL for account events */
	const char *new_name; /* borrowed; RENAMED only */
	uint32_t uidvalidity;
	uint32_t uidnext;       /* after the change */
	uint64_t highestmodseq; /* after the change */
	uint64_t origin_id; /* requester that caused it (session id); 0 = delivery/job/external */
	size_t count;
	const struct bus_msg *msgs; /* borrowed, count entries */
	size_t keyword_count;
	const char *const *keywords; /* borrowed: the mailbox keyword table at that time */
};

typedef void bus_event_cb(const struct bus_event *ev, void *ctx);

/* bus_new - an empty bus. NULL on out of memory. */
struct bus *bus_new(void);

/* bus_free - drop every subscription (callbacks are not called) and the bus. */
void bus_free(struct bus **bp);

/*
 * bus_subscribe - call cb(ev, ctx) for events of account (exact, case-
 * sensitive address as the store uses it) and, if mailbox is not NULL, only
 * for that mailbox (plus the account's ACCOUNT_DELETED events). The strings
 * are copied. Returns the subscription handle, or NULL on out of memory.
 */
struct bus_sub *bus_subscribe(
        struct bus *b, const char *account, const char *mailbox, bus_event_cb *cb, void *ctx);

/* bus_unsubscribe - stop and release a subscription (NULL is fine; leaves NULL behind). */
void bus_unsubscribe(struct bus *b, struct bus_sub **subp);

/* bus_publish - deliver ev now to every matching subscription. */
void bus_publish(struct bus *b, const struct bus_event *ev);

/* bus_subscriber_count - live subscriptions of account (tests, metrics). */
size_t bus_subscriber_count(const struct bus *b, const char *account);

/* bus_event_kind_name - static name for logs and tests. */
const char *bus_event_kind_name(enum bus_event_kind kind);

#endif
