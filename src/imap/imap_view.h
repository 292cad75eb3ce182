/*
 * imap_view.h - the selected mailbox as one session sees it (RFC 3501 5.2,
 * 7.4.1; SPEC IMAP-40, IMAP-49, IMAP-50).
 *
 * The view holds the messages the client knows, in sequence order, and the
 * changes the bus reported that are not yet announced: new messages,
 * flag changes, expunges. Sequence numbers change only when an expunge is
 * announced. Loop thread only; no I/O.
 */
#ifndef CHATRELAY_IMAP_VIEW_H
#define CHATRELAY_IMAP_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bus_event;
struct store_snapshot;

struct imap_vmsg {
	uint32_t uid;
	uint32_t flags;    /* STORE_FLAG_* */
	uint64_t keywords; /* bits of the view's keyword table */
	uint64_t modseq;
	uint64_t size;
	int64_t internaldate;
	bool is_expunged; /* removed, not yet announced (IMAP-40) */
	bool is_dirty;    /* flag change to announce */
	bool is_recent;   /* \Recent in this session (IMAP-31) */
	bool is_recent_pending; /* assumed recent until this session's claim answers */
};

struct imap_view {
	struct imap_vmsg *msgs; /* owned: announced messages, seq n = msgs[n-1] */
	size_t count, alloc;
	struct imap_vmsg *news; /* owned: new messages not yet announced */
	size_t new_count, new_alloc;
	char **keywords; /* owned: keyword table (bit order) */
	size_t keyword_count;
	uint32_t uidvalidity, uidnext;
	uint64_t highestmodseq;
	size_t expunged;  /* messages with is_expunged */
	size_t dirty;     /* messages with is_dirty */
	bool is_gone;     /* mailbox deleted (IMAP-25) */
	bool is_recent_dirty; /* \Recent changed for announced messages: send RECENT */
	bool is_claiming;     /* read-write: arrivals are assumed recent (IMAP-31) */
};

/* IMAP-31: arrivals count as recent for a read-write session until its claim says otherwise. */
void imap_view_set_claiming(struct imap_view *v, bool is_claiming);

/* imap_view_new - from a snapshot; recent_uids are \Recent for this session. NULL on ENOMEM. */
struct imap_view *imap_view_new(
        const struct store_snapshot *snap, const uint32_t *recent_uids, size_t recent_count);

/* imap_view_free - accepts NULL, leaves NULL. */
void imap_view_free(struct imap_view **vp);

/* imap_view_find - index of uid among the announced messages, or -1. */
long imap_view_find(const struct imap_view *v, uint32_t uid);

/* imap_view_apply - apply a bus event; is_own marks changes reported by the command itself. */
void imap_view_apply(struct imap_view *v, const struct bus_event *ev, bool is_own);

/* imap_view_flags - `\Seen kw ...` (no parentheses) into buf (snprintf semantics). */
size_t imap_view_flags(const struct imap_view *v, uint32_t flags, uint64_t keywords, char *buf,
        size_t size);

/* imap_view_recent - messages with is_recent among the announced ones. */
size_t imap_view_recent(const struct imap_view *v);

/* imap_view_mark_recent - uids claimed by this session become \Recent (IMAP-31). */
void imap_view_mark_recent(struct imap_view *v, const uint32_t *uids, size_t n);

/* imap_view_keyword_bits - bits for names in the view's table (unknown names ignored). */
uint64_t imap_view_keyword_bits(const struct imap_view *v, const char *const *names, size_t n);

#endif
