/*
 * imap_view.h - the selected mailbox as one session sees it (RFC 3501 5.2,
 * 7.4.1; SPEC IMAP-40, IMAP-49, IMAP-50).
 *
 * The view holds the messages the client knows, in sequence order, and the
 * changes the bus reported that are not yet announced: new messages,
 * flag changes, expunges. Sequence numbers change only when an expunge is
 * announced. Loop thread only; no I/O.
 *
 * Memory (issue 9: tens of thousands of sessions sit in IDLE, many on the
 * same INBOX): the announced messages live in an exactly sized array, none
 * for an empty mailbox, and views of the same mailbox whose arrays are equal
 * share one read-only copy (imap_view_share). Every change goes through this
 * module, which takes a private copy first (copy on write), so callers only
 * read msgs[].
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

struct imap_vshare;

struct imap_view {
	/* announced messages, seq n = msgs[n-1]: read-only for callers; owned, or
	 * shared through share (then never written in place) */
	struct imap_vmsg *msgs;
	size_t count, alloc;
	struct imap_vshare *share; /* one reference while msgs is shared, else NULL */
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

/* imap_view_msg_flags - m's system flags as a FLAGS response shows them: STORE_FLAG_RECENT = \Recent here. */
uint32_t imap_view_msg_flags(const struct imap_vmsg *m);

/* imap_view_flags - `\Seen kw ...` (no parentheses) into buf (snprintf semantics); STORE_FLAG_RECENT
 * prints \Recent. */
size_t imap_view_flags(const struct imap_view *v, uint32_t flags, uint64_t keywords, char *buf,
        size_t size);

/* imap_view_recent - messages with is_recent among the announced ones. */
size_t imap_view_recent(const struct imap_view *v);

/* imap_view_mark_recent - uids claimed by this session become \Recent (IMAP-31). */
void imap_view_mark_recent(struct imap_view *v, const uint32_t *uids, size_t n);

/* imap_view_keyword_bits - bits for names in the view's table (unknown names ignored). */
uint64_t imap_view_keyword_bits(const struct imap_view *v, const char *const *names, size_t n);

/*
 * Announcing pending changes (IMAP-49, IMAP-50); each returns what the
 * caller must send, in order.
 *
 * imap_view_take_expunged - drop the expunged messages; cb gets the
 * sequence number of each as it is when its EXPUNGE is sent (IMAP-34).
 */
void imap_view_take_expunged(struct imap_view *v, void (*cb)(void *arg, size_t seq), void *arg);

/* imap_view_take_news - announce the new messages: 1 (send EXISTS/RECENT), 0 none, -1 ENOMEM. */
int imap_view_take_news(struct imap_view *v);

/* imap_view_take_dirty - clear each pending flag change; cb gets its sequence number and message. */
void imap_view_take_dirty(struct imap_view *v,
        void (*cb)(void *arg, size_t seq, const struct imap_vmsg *m), void *arg);

/*
 * imap_view_share - share the announced messages with other views of key
 * (the selected mailbox; only compared, never dereferenced): adopt an equal
 * array offered before, or offer this one. Costs one comparison per offered
 * array of key; call it when the view has just announced its changes.
 */
void imap_view_share(struct imap_view *v, const void *key);

#endif
