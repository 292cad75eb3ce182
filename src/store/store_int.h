/*
 * store_int.h - what the store_*.c files share and nobody else may use:
 * the store object, the cached mailbox, the change collector.
 *
 * Locks, in the only order they may be taken: mailbox->lock, then
 * mailbox->qlock or store->lock. store->lock is never held across I/O.
 */
#ifndef CHATRELAY_STORE_STORE_INT_H
#define CHATRELAY_STORE_STORE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "bus/bus.h"
#include "store/store.h"
#include "store/store_index.h"

#define STORE_BUCKETS 1024
#define STORE_PATH_MAX 4096

/* A delivery/append/copy waiting for the mailbox's group commit. */
struct store_pending {
	const char *name; /* borrowed: file name already in new/ or cur/ */
	uint32_t flags;
	uint64_t keywords;
	uint64_t size;
	int64_t internaldate;
	uint32_t uid;             /* out */
	int error;                /* out: errno, 0 = committed */
	struct store_changes *ch; /* borrowed: the owner's collector (events go there) */
	bool is_ready;            /* renamed into place; protected by the mailbox's qlock */
	bool is_done;             /* protected by the mailbox's qlock */
	struct store_pending *next;
};

struct store_mailbox {
	struct store *st;            /* borrowed */
	char *account;               /* owned */
	char *name;                  /* owned: IMAP name; "INBOX" for the root */
	char *dir;                   /* owned: the maildir (account dir or account/.name) */
	unsigned refs;               /* protected by st->lock */
	bool is_listed;              /* in st->mboxes; protected by st->lock */
	struct store_mailbox *hnext; /* protected by st->lock */
	pthread_mutex_t lock;        /* index, files, and everything below */
	pthread_mutex_t qlock;       /* queue */
	struct store_pending *queue; /* protected by qlock */
	struct store_index idx;
	bool is_loaded;
	atomic_bool is_deleted; /* set under st->lock, read under lock: atomic */
	bool has_scan;          /* the mtimes below describe the last full scan */
	struct timespec new_mtime, cur_mtime;
	time_t scanned_at;
	uint64_t commit_seq;    /* last event sequence taken (under lock) */
	uint64_t published_seq; /* loop thread: last sequence published */
};

struct store_account {
	char *name; /* owned */
	uint64_t usage;
	struct store_account *hnext;
};

/* One collected event, published on the loop in per-mailbox sequence order. */
struct store_change {
	struct store_mailbox *mb; /* owned reference; NULL for account events */
	uint64_t seq;
	struct bus_event ev;                /* strings/arrays point into the owned fields below */
	char *account, *mailbox, *new_name; /* owned */
	struct bus_msg *msgs;               /* owned */
	char **keywords;                    /* owned */
	bool is_published;
	struct store_change *next;
};

struct store_changes {
	struct store *st; /* borrowed */
	uint64_t origin_id;
	struct store_change *head, *tail; /* owned */
	char **trim;                      /* owned: accounts that crossed the trim threshold */
	size_t trim_count;
};

struct store_held;

struct store {
	const struct conf *conf;     /* borrowed */
	struct worker_pool *workers; /* borrowed, may be NULL */
	struct bus *bus;             /* borrowed, may be NULL */
	char *root;                  /* owned: <data_dir>/mail/<mail_domain> */
	char host[256];              /* hostname escaped for file names (STORE-2) */
	pid_t pid;
	bool do_fsync;
	pthread_mutex_t lock;    /* tables and counter */
	pthread_mutex_t sublock; /* subscription files */
	unsigned long counter;
	struct store_mailbox *mboxes[STORE_BUCKETS];
	size_t mbox_count; /* listed mailboxes (cache bound) */
	struct store_account *accounts[STORE_BUCKETS];
	store_clock_fn *clock;
	void *clock_ctx;
	store_limit_fn *limit;
	void *limit_ctx;
	struct store_held *held;       /* loop: jobs whose events wait for earlier commits */
	struct store_changes *orphans; /* owned, under lock: events collected without a ch */
	bool is_publishing;            /* loop: inside store_publish_progress */
	char **trimming;               /* loop: accounts with a trim job in flight */
	size_t trimming_count;
	struct store_expire *expire; /* owned, loop */
};

/* store.c */
size_t store_hash(const char *s);
void store_mailbox_ref(struct store_mailbox *mb);
int store_mailbox_get(struct store *st, const char *account, const char *name, bool must_exist,
        struct store_mailbox **mb_r);
void store_mailbox_unlist(struct store_mailbox *mb);
void store_mailbox_forget(struct store_mailbox *mb);
int store_mailbox_dir(
        const struct store *st, const char *account, const char *name, char *buf, size_t len);
bool store_account_valid(const char *account);
uint32_t store_random_uidvalidity(void);
int store_rmtree(const char *path);

/* store_maildir.c */
int store_maildir_make(const char *dir, bool is_folder, bool do_fsync);
int store_maildir_newname(struct store *st, uint64_t size, char *buf, size_t len);
int store_maildir_flagged_name(const char *name, uint32_t flags, char *buf, size_t len);
uint32_t store_maildir_parse_flags(const char *name);
size_t store_maildir_key_len(const char *name);
int store_maildir_write(const struct store_body *body, const char *path, time_t mtime,
        bool do_fsync);
int store_maildir_path(
        const struct store_mailbox *mb, const struct store_index_entry *e, char *buf, size_t len);
int store_maildir_scan(struct store_mailbox *mb, struct store_changes *ch, bool force);

/* store_mbox.c */
int store_mbox_load(struct store_mailbox *mb, struct store_changes *ch);
int store_mbox_commit(struct store_mailbox *mb);
void store_mbox_queue(struct store_mailbox *mb, struct store_pending *p);
void store_mbox_unqueue(struct store_mailbox *mb, struct store_pending *p);
void store_mbox_ready(struct store_mailbox *mb, struct store_pending *p);
int store_mbox_commit_pending(struct store_mailbox *mb, struct store_pending *p);
bool store_mbox_is_queued(struct store_mailbox *mb, const char *name);
int store_mbox_reload(struct store_mailbox *mb);

/* store_changes.c */
void store_changes_emit(struct store_changes *ch, struct store_mailbox *mb,
        enum bus_event_kind kind, const struct bus_msg *msgs, size_t count);
void store_changes_emit_account(struct store *st, struct store_changes *ch, const char *account,
        const char *mailbox, const char *new_name, enum bus_event_kind kind);
void store_changes_request_trim(struct store_changes *ch, const char *account);
void store_changes_shutdown(struct store *st);
void store_bus_msg_from(struct bus_msg *m, const struct store_index_entry *e);

/* store_quota.c */
void store_quota_add(struct store *st, const char *account, int64_t delta);
void store_quota_forget(struct store *st, const char *account);
void store_quota_check_trim(struct store *st, const char *account, struct store_changes *ch);

/* store_expire.c */
void store_expire_free(struct store *st);

#endif
