/*
 * meta.h - METADATA device tokens and the push notifier (SPEC 13: META-5..7,
 * PUSH-1..5; LOG-5, LOG-6; ACC-7).
 *
 * struct meta owns the account -> device-token state used by SETMETADATA /
 * GETMETADATA of /private/devicetoken and posts push notifications to
 * conf->push_url when a message is delivered to an account with tokens.
 *
 * Threads: every function here runs on the loop thread and never blocks.
 * Token reads and writes go to SQLite on the worker pool (db_token_*);
 * results come back through a meta_done_fn on the loop thread carrying the
 * requester id given (IMAP session id), so the caller looks its session up
 * by id and drops the answer if the session is gone.
 *
 * Privacy: tokens are data, never logged (LOG-1). Pending notifications
 * live in memory only and are lost on restart (PUSH-5, LOG-6).
 *
 * With conf->push == false (META-5) meta_token_set/del answer success and
 * store nothing, meta_token_get answers an empty set, and meta_notify does
 * nothing.
 *
 * Start-up (cli_serve.c): meta_new() after the store and the bus;
 * meta_stop() in the shutdown hook (no new requests, timers stopped,
 * in-flight HTTP requests abandoned); meta_free() after server_run()
 * returns and before the event base is freed.
 */
#ifndef CHATRELAY_META_META_H
#define CHATRELAY_META_META_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct bus;
struct conf;
struct db;
struct event_base;
struct meta;
struct worker_pool;

/* META-5 / Appendix C: at most this many tokens per account (oldest evicted). */
#define META_TOKENS_MAX 32
/* META-5 / META-6: a token is 1..8192 octets of '!'..'~'. */
#define META_TOKEN_MAX 8192
/* META-7: tokens not set again for this long are discarded (90 days). */
#define META_TOKEN_LIFETIME (90L * 24 * 3600)
/* META-7: a last-set time further ahead of the clock than this is discarded. */
#define META_TOKEN_FUTURE_SKEW 60L
/* PUSH-5: requests in flight at most. */
#define META_PUSH_INFLIGHT_MAX 8

/* Result of an asynchronous token operation. */
enum meta_status {
	META_OK = 0,      /* done (SETMETADATA: "OK Setmetadata completed.") */
	META_INVALID = 1, /* token outside the rules: "NO [CANNOT] Invalid device token." */
	META_TOOBIG = 2,  /* over 8192 octets: "NO [METADATA MAXSIZE 8192]" */
	META_ERROR = -1,  /* storage error / out of memory (IMAP: NO [SERVERBUG]) */
};

/*
 * meta_done_fn - completion on the loop thread. requester_id as given;
 * tokens (only for meta_token_get, else NULL): the account's current token
 * set joined by one space, NUL-terminated, borrowed for the call only
 * (the META-2 value of /private/devicetoken; "" = no tokens -> the entry
 * does not exist). Called exactly once per accepted request, also when
 * status != META_OK; never called synchronously from inside the request
 * function. arg is the caller's.
 */
typedef void meta_done_fn(
        enum meta_status status, const char *tokens, uint64_t requester_id, void *arg);

/*
 * meta_new - the token store and notifier. conf, db, workers, bus and base
 * are borrowed; bus may be NULL (no ACCOUNT_DELETED handling). Free it
 * before the bus and the event base; worker jobs still running then are
 * completed harmlessly (they find meta gone by id; db must outlive the pool). Loads the set of
 * accounts holding tokens (worker job) to follow their ACCOUNT_DELETED events. NULL with errno on
 * failure.
 */
struct meta *meta_new(const struct conf *conf, struct db *db, struct worker_pool *workers,
        struct bus *bus, struct event_base *base);

/*
 * meta_stop - the drain begins (GEN-6): drop pending notifications, abort
 * push requests, stop the expiry timer; meta_notify and meta_expire do
 * nothing afterwards. Token requests of draining sessions still work.
 */
void meta_stop(struct meta *m);

/* meta_free - meta_stop + release everything. Accepts NULL; leaves NULL. */
void meta_free(struct meta **mp);

/*
 * meta_token_check - META-5/6 validation of a SETMETADATA value (PURE):
 * META_OK, META_TOOBIG (len > 8192) or META_INVALID (empty, or an octet
 * outside '!'..'~'). The IMAP side may call it first to answer at once.
 */
enum meta_status meta_token_check(const char *token, size_t len);

/*
 * meta_token_set - SETMETADATA INBOX (/private/devicetoken <token>): add or
 * refresh (last-set = now), evicting the least recently set beyond
 * META_TOKENS_MAX. token[0..len) is copied (no NUL terminator needed).
 * Returns 0 when accepted (done will be called), -1 when not (out of
 * memory or the worker pool is shutting down: done is not called).
 * Validation failures are reported through done (META_INVALID /
 * META_TOOBIG); with push = no done gets META_OK and nothing is stored.
 */
int meta_token_set(struct meta *m, uint64_t requester_id, const char *account, const char *token,
        size_t len, meta_done_fn *done, void *arg);

/* meta_token_del - SETMETADATA ... NIL: remove every token of account. As meta_token_set. */
int meta_token_del(
        struct meta *m, uint64_t requester_id, const char *account, meta_done_fn *done, void *arg);

/* meta_token_get - GETMETADATA INBOX /private/devicetoken: done gets the joined set. */
int meta_token_get(
        struct meta *m, uint64_t requester_id, const char *account, meta_done_fn *done, void *arg);

/*
 * meta_account_deleted - ACC-7: forget pending notifications of account and
 * remove its tokens (worker job, fire and forget). Also done automatically
 * on the bus's ACCOUNT_DELETED event for accounts holding tokens.
 */
void meta_account_deleted(struct meta *m, const char *account);

/*
 * meta_notify - PUSH-1: a message was durably delivered to account's INBOX
 * by SMTP (inbound or submission), /mxdeliv or a DSN. sender is the
 * envelope sender ("" or NULL for the null sender); when it equals account
 * (self-sent copy) nothing happens. Schedules one notification per token
 * (PUSH-4 coalescing). Never blocks, never fails the delivery. Call it from
 * the delivery's completion on the loop thread, once per local recipient.
 * APPEND, COPY and MOVE must not call it. (Not driven by the bus: its NEW
 * events carry neither the envelope sender nor the path of the change.)
 */
void meta_notify(struct meta *m, const char *account, const char *sender);

/*
 * meta_expire - META-7: discard tokens last set before now - 90 days or
 * more than 60 s after now (worker job; fire and forget). meta_new
 * schedules it daily on its own; exposed for the expiry job and tests.
 */
void meta_expire(struct meta *m, time_t now);

/* Counters for metrics (HTTP-6 chatrelay_push_total{result}); memory only. */
struct meta_stats {
	unsigned long push_ok;      /* 2xx answers */
	unsigned long push_gone;    /* 410 answers (token removed) */
	unsigned long push_failed;  /* failed attempts (other status, network error, timeout) */
	unsigned long push_dropped; /* notifications given up */
	size_t push_pending;        /* notifications waiting or in flight now */
};

/* meta_stats - current counters (all 0 with push = no). */
void meta_stats(const struct meta *m, struct meta_stats *s);

#endif
