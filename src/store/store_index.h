/*
 * store_index.h - the per-mailbox index: UIDVALIDITY, UIDNEXT,
 * HIGHESTMODSEQ, the keyword table and one entry per message (STORE-6,
 * IMAP-53..55). The on-disk format is described in store_index.c.
 *
 * Not thread-safe: the owning mailbox serialises access with its lock.
 * store_index_load/commit block on disk I/O.
 */
#ifndef CHATRELAY_STORE_STORE_INDEX_H
#define CHATRELAY_STORE_STORE_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core_limits.h"

#define STORE_INDEX_FILE "chatrelay-index"

struct store_index_entry {
	uint32_t uid;
	uint32_t flags; /* STORE_FLAG_* incl. RECENT and IN_NEW */
	uint64_t keywords;
	uint64_t modseq;
	uint64_t size;
	int64_t internaldate;
	char *name; /* owned: current file name in new/ or cur/ */
};

struct store_index {
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t highestmodseq;
	struct store_index_entry *entries; /* owned, ascending uid */
	size_t count, cap;
	char *keywords[STORE_KEYWORDS_MAX]; /* owned */
	size_t keyword_count;
	unsigned char *txn; /* owned: records of the transaction being built */
	size_t txn_len, txn_cap;
	uint64_t txn_no;          /* last transaction number written */
	uint64_t file_size;       /* bytes of the file as loaded/written */
	uint64_t checkpoint_size; /* bytes of its first (checkpoint) transaction */
	bool needs_checkpoint;    /* rewrite the whole file at the next commit */
	bool is_broken;           /* a commit failed: memory is ahead of disk, reload */
};

void store_index_init(struct store_index *idx);
void store_index_reset(struct store_index *idx);

/* store_index_create - fresh state: uidvalidity (non-zero), uidnext 1, modseq start. */
void store_index_create(struct store_index *idx, uint32_t uidvalidity, uint64_t modseq);

/*
 * store_index_load - read path into idx (reset first). -1 with errno:
 * ENOENT missing, EBADMSG corrupt (checksum, layout, version), else I/O.
 * A torn final transaction (crash while appending) is dropped, not an error.
 * On EBADMSG, *salvage_r (may be NULL) receives the largest modseq seen.
 */
int store_index_load(struct store_index *idx, const char *path, uint64_t *salvage_r);

/*
 * store_index_parse - the loader on a file image in memory (tests, fuzzer):
 * idx must be freshly initialised; 0 or -1 (corrupt). *seen receives the
 * largest HIGHESTMODSEQ read. Reset idx afterwards either way.
 */
int store_index_parse(
        struct store_index *idx, const unsigned char *buf, size_t size, uint64_t *seen);

/*
 * store_index_commit - make the pending transaction durable at path
 * (appended, or the whole file rewritten through path.tmp + rename when a
 * checkpoint is due). do_fsync false skips the flushes (benchmarks).
 * On failure the index is marked broken and must be reloaded.
 */
int store_index_commit(struct store_index *idx, const char *path, const char *dir, bool do_fsync);

/* store_index_has_pending - whether a transaction is waiting to be committed. */
bool store_index_has_pending(const struct store_index *idx);

/* store_index_find - position of uid, or -1. */
long store_index_find(const struct store_index *idx, uint32_t uid);

/* store_index_add - append a message with the next UID and a new modseq. -1 ENOMEM/EOVERFLOW. */
int store_index_add(struct store_index *idx, uint32_t flags, uint64_t keywords, uint64_t size,
        int64_t internaldate, const char *name, uint32_t *uid_r);

/* store_index_update - set flags/keywords/name of entry i; bump gives it a new modseq. */
int store_index_update(struct store_index *idx, size_t i, uint32_t flags, uint64_t keywords,
        const char *name, bool bump);

/* store_index_remove - expunge entry i (new modseq for the mailbox). */
int store_index_remove(struct store_index *idx, size_t i);

/* store_index_keyword - bit of a keyword (case-insensitive), added when add; -1 if absent/full. */
int store_index_keyword(struct store_index *idx, const char *name, bool add);

/* store_index_bump_floor - make highestmodseq at least floor (rebuilds). */
void store_index_bump_floor(struct store_index *idx, uint64_t floor);

#endif
