/*
 * store.h - mail storage: Maildir per account, per-mailbox UID/modseq index,
 * quota and expiry (SPEC 14: STORE-1..7, QUOTA-1..5, EXP-1..6; IMAP-31..34,
 * IMAP-41..44, IMAP-47, IMAP-53..56).
 *
 * Layout (STORE-1): <data_dir>/mail/<mail domain>/<address>/ is the account's
 * maildir; INBOX at its root, every other mailbox a Maildir++ folder
 * ".<name>" (IMAP name, modified UTF-7, '.' separator). Per mailbox:
 * chatrelay-index (store_index.c). Per account: chatrelay-subscriptions.
 *
 * Threads. Every function documented "blocks" does disk I/O and must run
 * on a worker thread (or at start-up / in tools before the loop runs); they
 * are thread-safe: per-mailbox locks serialise index changes, concurrent
 * deliveries to one mailbox share one index flush (group commit).
 * Functions documented "loop" run on the loop thread and never block.
 *
 * Change events. Every mutating function takes a struct store_changes *ch
 * collected by store_submit(): after the work function returns, the
 * completion on the loop thread publishes the collected events on the bus
 * in per-mailbox commit order, then calls the caller's done callback. A
 * store created without a bus takes ch = NULL everywhere; with a bus, events
 * collected under ch = NULL (tools, start-up) are published with the next
 * job's completion.
 *
 * Start-up (cli_serve.c, GEN-5): st = store_new(conf, srv->workers, bus);
 * store_set_limit(st, <account quota callback>, ctx); store_quota_rebuild(st)
 * before the listeners open (QUOTA-4); store_expire_schedule(st, base, 600)
 * (EXP-1); EXP-5 stays with the owner of the account list, which calls
 * store_account_delete() for each inactive account. Shutdown:
 * store_expire_stop() when the drain begins, store_free() after server_run()
 * returns and before server_free().
 *
 * IMAP usage: every command that touches a mailbox submits one job with
 * store_submit(st, session_id, work, done, arg); the work function calls
 * the blocking functions below with the ch it receives, the done callback
 * (loop) looks the session up by id. Typical jobs: SELECT = open +
 * claim_recent + snapshot (subscribe on the bus before submitting and drop
 * events whose highestmodseq <= the snapshot's); NOOP/IDLE wake-up = sync;
 * FETCH body = open_msg (ENOENT: EXPUNGEISSUED, IMAP-40); STORE =
 * store_flags; EXPUNGE/CLOSE = expunge(only_deleted); COPY/MOVE = copy;
 * APPEND = append. Events carry origin_id = the session id that caused
 * them, so a session recognises its own changes (.SILENT, IMAP-41).
 * SMTP/mxdeliv: store_quota_would_exceed() at RCPT (loop-safe), then one
 * store_deliver() job per message after DATA.
 *
 * Errors: -1 with errno. ENOENT: no such mailbox/message; EEXIST: mailbox
 * exists; EINVAL: bad name/argument; EPERM: INBOX cannot be deleted;
 * EDQUOT: over quota; ENOSPC/EIO: storage error (IMAP: SERVERBUG).
 */
#ifndef CHATRELAY_STORE_STORE_H
#define CHATRELAY_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "net/net_worker.h"

struct bus;
struct conf;
struct event_base;
struct store;
struct store_mailbox;
struct store_changes;

/* System flags (STORE-2 letters in brackets) and index-only state bits. */
enum store_flag {
	STORE_FLAG_ANSWERED = 1u << 0, /* R */
	STORE_FLAG_FLAGGED = 1u << 1,  /* F */
	STORE_FLAG_DELETED = 1u << 2,  /* T */
	STORE_FLAG_SEEN = 1u << 3,     /* S */
	STORE_FLAG_DRAFT = 1u << 4,    /* D */
	STORE_FLAG_RECENT = 1u << 5,   /* \Recent, unclaimed (IMAP-31); not storable */
	STORE_FLAG_IN_NEW = 1u << 6,   /* file lives in new/ (internal, never stored by clients) */
};
#define STORE_FLAGS_SYSTEM 0x1fu

enum store_flag_op { STORE_FLAGS_REPLACE, STORE_FLAGS_ADD, STORE_FLAGS_REMOVE };

/* One message of a snapshot (IMAP sequence number n = index n-1). */
struct store_msg {
	uint32_t uid;
	uint32_t flags;    /* STORE_FLAG_*; RECENT = recent in this mailbox, not claimed */
	uint64_t keywords; /* bit i = snapshot keywords[i] */
	uint64_t modseq;
	uint64_t size; /* RFC822.SIZE = file size */
	int64_t internaldate;
	char *path; /* owned: absolute file path at snapshot time (may move/vanish) */
};

struct store_snapshot {
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t highestmodseq;
	size_t count;
	struct store_msg *msgs; /* owned, ascending UIDs */
	size_t keyword_count;
	char **keywords; /* owned: the mailbox keyword table (bit order) */
};

struct store_status {
	uint32_t messages, recent, unseen;
	uint32_t uidvalidity, uidnext;
	uint64_t highestmodseq;
	uint64_t bytes;
};

/* Result of one message of a flag change (IMAP-41). */
struct store_flag_result {
	uint32_t uid;
	bool is_changed;  /* flags or keywords changed; modseq is new */
	bool is_modified; /* UNCHANGEDSINCE failed: listed in [MODIFIED] */
	bool is_missing;  /* no longer in the mailbox: silently skipped */
	uint32_t flags;
	uint64_t keywords;
	uint64_t modseq;
};

/* One local recipient of a delivery and its result. */
struct store_rcpt {
	const char *account;  /* borrowed: full address, as the account's directory name */
	int error;            /* out: 0 = durable, else errno */
	uint32_t uid;         /* out: INBOX UID */
	uint32_t uidvalidity; /* out */
};

struct store_expire_stats {
	unsigned long old, large, tmp, trimmed, accounts_seen;
};

typedef time_t store_clock_fn(void *ctx);
/* store_limit_fn - quota limit of account in bytes (0 = unlimited); called on workers. */
typedef uint64_t store_limit_fn(void *ctx, const char *account);
typedef void store_work_fn(struct store *st, void *arg, struct store_changes *ch);

/* ---- lifecycle (loop / start-up) ---------------------------------------------------- */

/*
 * store_new - a store under conf->data_dir/mail/<mail_domain>. workers and
 * bus are borrowed and may be NULL (tools, tests: synchronous use only;
 * store_submit then runs the job inline). Creates the mail directory.
 * NULL with errno on failure.
 */
struct store *store_new(const struct conf *conf, struct worker_pool *workers, struct bus *bus);

/*
 * store_free - release caches. No job may be in flight: call it after the
 * worker pool has drained (server_run() returned) and before the event base
 * is freed (the expiry timer lives on it).
 */
void store_free(struct store **stp);

/* store_set_fsync - false only for benchmarks: nothing is flushed (not durable!). */
void store_set_fsync(struct store *st, bool do_fsync);
/* store_set_clock - injectable clock for expiry/trim (tests); NULL = time(). */
void store_set_clock(struct store *st, store_clock_fn *fn, void *ctx);
/* store_set_limit - per-account quota limit callback; NULL = conf->max_mailbox_size. */
void store_set_limit(struct store *st, store_limit_fn *fn, void *ctx);

/* store_limit_of - account's quota limit through that callback (0 = unlimited). Blocks: workers. */
uint64_t store_limit_of(struct store *st, const char *account);
/* store_now - the store's clock. */
time_t store_now(const struct store *st);
/* store_account_dir - "<root>/<account>" into buf; -1 EINVAL for an unsafe address. */
int store_account_dir(const struct store *st, const char *account, char *buf, size_t len);

/*
 * store_submit - run work(st, arg, ch) on a worker, then on the loop: publish
 * ch's events (in per-mailbox commit order, possibly after events of jobs
 * that committed earlier), schedule quota trims the job asked for, then
 * done(arg, requester_id). done must look the requester up by id and free
 * arg. Returns 0, or -1 (nothing runs, arg stays the caller's). loop.
 */
int store_submit(struct store *st, uint64_t requester_id, store_work_fn *work, worker_done_fn *done,
        void *arg);

/* store_changes_set_origin - tag events collected in ch with a session id (default: the requester
 * id). */
void store_changes_set_origin(struct store_changes *ch, uint64_t origin_id);

/* ---- delivery (STORE-3) ------------------------------------------------------- blocks */

/*
 * store_deliver - deliver the message in fd (read from offset 0, size octets,
 * CRLF line ends) into the INBOX of each recipient: one file in tmp/ (other
 * recipients get hard links), flushed, renamed into new/, directory
 * flushed, UID assigned and the index flushed. rcpts[i].error is 0 only
 * when that copy is durable. Returns 0 if every recipient succeeded, -1 if
 * any failed. The account's maildir is created when missing: the caller has
 * checked that the account exists (SUB-7: no orphan maildirs). An account
 * listed twice gets one copy (both entries report it).
 */
int store_deliver(struct store *st, int fd, uint64_t size, time_t internaldate,
        struct store_rcpt *rcpts, size_t n, struct store_changes *ch);

/*
 * The content of a message to store: either size octets of fd from offset 0,
 * or the concatenation of piece[0..npieces) (fd < 0), e.g. a rewritten
 * header and a mapped body, so the caller needs no second spool file.
 */
struct store_piece {
	const void *data; /* borrowed */
	size_t len;
};

struct store_body {
	int fd;
	const struct store_piece *piece; /* borrowed */
	size_t npieces;
	uint64_t size;
};

/* store_deliver_body - store_deliver from a store_body. */
int store_deliver_body(struct store *st, const struct store_body *body, time_t internaldate,
        struct store_rcpt *rcpts, size_t n, struct store_changes *ch);

/* ---- accounts and mailboxes ---------------------------------------------------- blocks */

/* store_account_create - create the account's INBOX maildir (existing is fine). */
int store_account_create(struct store *st, const char *account);
/* store_account_exists - whether the account's maildir exists. */
bool store_account_exists(struct store *st, const char *account);
/*
 * store_account_delete - remove the account's whole maildir tree (ACC-7,
 * EXP-5): the directory is first renamed away atomically, then removed;
 * quota usage is dropped and ACCOUNT_DELETED is published. ENOENT if absent.
 */
int store_account_delete(struct store *st, const char *account, struct store_changes *ch);

/* store_mailbox_valid_name - whether name is acceptable on disk (not a full IMAP-14 check). */
bool store_mailbox_valid_name(const char *name);
/* store_mailbox_create - create name and missing parents (IMAP-24), new UIDVALIDITY each. */
int store_mailbox_create(struct store *st, const char *account, const char *name);
/* store_mailbox_delete - remove one mailbox and its messages; children stay (IMAP-25). */
int store_mailbox_delete(
        struct store *st, const char *account, const char *name, struct store_changes *ch);
/* store_mailbox_rename - rename with children (IMAP-26); INBOX moves its messages. */
int store_mailbox_rename(struct store *st, const char *account, const char *from, const char *to,
        struct store_changes *ch);
/* store_mailbox_list - every existing mailbox name, sorted, INBOX first; caller frees with
 * store_names_free. */
int store_mailbox_list(struct store *st, const char *account, char ***names_r, size_t *n_r);
void store_names_free(char **names, size_t n);
/* store_subscribe - add/remove a persistent subscription (IMAP-27); ENOENT removing an absent one.
 */
int store_subscribe(struct store *st, const char *account, const char *name, bool on);
/* store_subscriptions - the subscribed names, sorted; free with store_names_free. */
int store_subscriptions(struct store *st, const char *account, char ***names_r, size_t *n_r);

/* ---- one mailbox --------------------------------------------------------------- blocks */

/* store_mailbox_open - a handle on an existing mailbox ("INBOX" any case). ENOENT if missing. */
int store_mailbox_open(
        struct store *st, const char *account, const char *name, struct store_mailbox **mb_r);
/* store_mailbox_close - release a handle (NULL fine; leaves NULL behind). Never blocks long. */
void store_mailbox_close(struct store_mailbox **mbp);
/* store_mailbox_name / _account - the handle's names (borrowed, valid while open). */
const char *store_mailbox_name(const struct store_mailbox *mb);
const char *store_mailbox_account(const struct store_mailbox *mb);

/*
 * store_mailbox_sync - notice external changes (STORE-5): new files get
 * UIDs, renamed flag suffixes become flag changes, missing files become
 * expunges; then publish them. Cheap when the directories did not change.
 */
int store_mailbox_sync(struct store_mailbox *mb, struct store_changes *ch);
/* store_mailbox_snapshot - sync, then copy the state; free with store_snapshot_free. */
int store_mailbox_snapshot(
        struct store_mailbox *mb, struct store_changes *ch, struct store_snapshot *snap_r);
void store_snapshot_free(struct store_snapshot *snap);
/* store_mailbox_status - sync, then the STATUS numbers (IMAP-29); recent counts unclaimed. */
int store_mailbox_status(
        struct store_mailbox *mb, struct store_changes *ch, struct store_status *status_r);
/*
 * store_mailbox_claim_recent - IMAP-31: move new/ files to cur/ and clear
 * RECENT; *uids_r (caller frees) lists the messages now recent for the
 * claiming session. Does not change modseqs.
 */
int store_mailbox_claim_recent(struct store_mailbox *mb, uint32_t **uids_r, size_t *n_r);

/*
 * store_mailbox_append - store size octets from fd (offset 0) with the given
 * INTERNALDATE, system flags and keywords (IMAP-44), durable on return.
 * limit: quota limit in bytes (0 = unlimited): EDQUOT when usage + size >
 * limit (QUOTA-2). Returns the UID in *uid_r.
 */
int store_mailbox_append(struct store_mailbox *mb, int fd, uint64_t size, time_t internaldate,
        uint32_t flags, const char *const *keywords, size_t keyword_count, uint64_t limit,
        struct store_changes *ch, uint32_t *uid_r);

/*
 * store_mailbox_store_flags - apply op to the messages with uids[0..n) as
 * they are now (IMAP-41): modseq grows only for messages whose flags
 * changed; unchangedsince != 0 leaves messages with modseq > it untouched
 * (is_modified). Keywords not yet in the table are added (at most
 * STORE_KEYWORDS_MAX: EINVAL beyond). results[] has n entries (caller's).
 */
int store_mailbox_store_flags(struct store_mailbox *mb, const uint32_t *uids, size_t n,
        enum store_flag_op op, uint32_t flags, const char *const *keywords, size_t keyword_count,
        uint64_t unchangedsince, struct store_changes *ch, struct store_flag_result *results);

/*
 * store_mailbox_copy - copy (or move) the messages with uids[0..n) from src
 * to dst (same account) with flags, keywords and INTERNALDATE, durable on
 * return; RECENT in dst (IMAP-42/43). All or nothing for the copy; a move
 * then expunges the sources. Missing sources are skipped (*copied_r tells
 * how many were copied; src_uids_r/dst_uids_r, n entries each, caller's
 * arrays, receive the COPYUID pairs). limit as in append (ignored for a move).
 */
int store_mailbox_copy(struct store_mailbox *src, struct store_mailbox *dst, const uint32_t *uids,
        size_t n, bool is_move, uint64_t limit, struct store_changes *ch, uint32_t *src_uids_r,
        uint32_t *dst_uids_r, size_t *copied_r);

/*
 * store_mailbox_expunge - remove the messages with uids[0..n) (only those
 * flagged \Deleted at that moment when only_deleted), unlink their files,
 * decrease quota (IMAP-33/34). uids NULL means every message. The removed
 * UIDs go to *expunged_r (caller frees; NULL allowed).
 */
int store_mailbox_expunge(struct store_mailbox *mb, const uint32_t *uids, size_t n,
        bool only_deleted, struct store_changes *ch, uint32_t **expunged_r, size_t *count_r);

/*
 * store_mailbox_open_msg - open the message file with this uid for reading
 * (follows renames; resyncs once if the file moved). -1 ENOENT when the
 * message was removed (IMAP-40: EXPUNGEISSUED). *size_r gets its size.
 */
int store_mailbox_open_msg(struct store_mailbox *mb, uint32_t uid, int *fd_r, uint64_t *size_r);

/* ---- quota (QUOTA-1..5) ------------------------------------------------------------- */

/* store_quota_usage - bytes used by account (in memory; loop-safe, never blocks on disk). */
uint64_t store_quota_usage(struct store *st, const char *account);
/*
 * store_quota_would_exceed - QUOTA-2: with a declared size, usage + size >
 * limit; without (size_known false), usage >= limit. limit 0 = unlimited.
 * loop-safe.
 */
bool store_quota_would_exceed(
        struct store *st, const char *account, uint64_t size, bool size_known, uint64_t limit);
/* store_quota_rebuild - QUOTA-4: recompute every account's usage from disk. blocks (start-up). */
int store_quota_rebuild(struct store *st);
/*
 * store_quota_trim - QUOTA-5 for one account: if usage > threshold % of limit,
 * expunge the oldest messages (all mailboxes, INTERNALDATE order, never newer
 * than quota_trim_keep) until usage <= target %. Returns messages removed. blocks.
 */
long store_quota_trim(
        struct store *st, const char *account, uint64_t limit, struct store_changes *ch);

/* ---- expiry (EXP-1..6) ---------------------------------------------------------------- */

/* store_accounts_list - every account directory name, sorted. blocks. */
int store_accounts_list(struct store *st, char ***names_r, size_t *n_r);
/* store_expire_account - EXP-2/3/4 and the QUOTA-5 trim for one account. blocks. */
int store_expire_account(struct store *st, const char *account, struct store_changes *ch,
        struct store_expire_stats *stats);
/* store_expire_run - store_expire_account for every account, synchronously. blocks. */
int store_expire_run(struct store *st, struct store_changes *ch, struct store_expire_stats *stats);
/*
 * store_expire_schedule - EXP-1: on base, run the expiry first after
 * first_delay seconds, then every conf->expire_interval; each account is one
 * worker job (sessions and deliveries interleave); ends with one count line
 * (LOG-3). loop.
 */
int store_expire_schedule(struct store *st, struct event_base *base, long first_delay);
/* store_expire_stop - shutdown (GEN-6): cancel the timer; a run in progress finishes. loop. */
void store_expire_stop(struct store *st);

#endif
