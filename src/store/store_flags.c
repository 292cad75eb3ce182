/*
 * store_flags.c - flag changes and expunges (IMAP-32..34, IMAP-41,
 * IMAP-47, STORE-4).
 *
 * Flags live in the ":2," suffix of files in cur/ (renamed under the
 * mailbox lock, directory flushed before the index) and in the index;
 * files still in new/ keep their flags in the index until claimed.
 * Keywords live only in the index. Expunges unlink first, then record.
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core_fs.h"

static uint32_t
store_flags_apply(enum store_flag_op op, uint32_t old, uint32_t set)
{
	switch (op) {
	case STORE_FLAGS_ADD: return old | set;
	case STORE_FLAGS_REMOVE: return old & ~set;
	case STORE_FLAGS_REPLACE:
	default: return set;
	}
}

/*
 * store_flags_rename - give the file the suffix of the new flags in cur/.
 * A file still in new/ moves to cur/ too: its flags must be in its name, or
 * a mail reader moving it new/ -> cur/ would erase them (\Recent stays in
 * the index, unaffected).
 */
static int
store_flags_rename(struct store_mailbox *mb, const struct store_index_entry *e, uint32_t flags,
        char *name, size_t len)
{
	char from[STORE_PATH_MAX], to[STORE_PATH_MAX];

	if (store_maildir_flagged_name(e->name, flags, name, len) < 0 ||
	        store_maildir_path(mb, e, from, sizeof(from)) < 0)
		return -1;
	if (strcmp(name, e->name) == 0)
		return 0;
	snprintf(to, sizeof(to), "%s/cur/%s", mb->dir, name);
	return rename(from, to);
}

static int
store_flags_one(struct store_mailbox *mb, uint32_t uid, enum store_flag_op op, uint32_t flags,
        uint64_t kwmask, uint64_t unchangedsince, struct store_flag_result *r, bool *renamed,
        bool *may_rescan)
{
	long at = store_index_find(&mb->idx, uid);
	char name[STORE_FILENAME_MAX + 1];

	memset(r, 0, sizeof(*r));
	r->uid = uid;
	if (at < 0) {
		r->is_missing = true;
		return 0;
	}
	struct store_index_entry *e = &mb->idx.entries[at];
	uint32_t nf = (e->flags & ~STORE_FLAGS_SYSTEM) |
	        store_flags_apply(op, e->flags & STORE_FLAGS_SYSTEM, flags);
	uint64_t nk = op == STORE_FLAGS_ADD ? e->keywords | kwmask
	        : op == STORE_FLAGS_REMOVE  ? e->keywords & ~kwmask
	                                    : kwmask;

	r->flags = e->flags & ~(uint32_t)STORE_FLAG_IN_NEW;
	r->keywords = e->keywords;
	r->modseq = e->modseq;
	if (unchangedsince != 0 && e->modseq > unchangedsince) {
		r->is_modified = true; /* RFC 7162 3.2: listed in [MODIFIED] */
		return 0;
	}
	if (nf == e->flags && nk == e->keywords)
		return 0; /* IMAP-41: no change, no new modseq */
	if (store_flags_rename(mb, e, nf, name, sizeof(name)) < 0) {
		if (errno != ENOENT || !*may_rescan)
			return -1;
		/* Renamed or removed by another program (STORE-5): rescan, then retry once. */
		*may_rescan = false;
		if (store_maildir_scan(mb, NULL, true) < 0)
			return -1;
		return store_flags_one(
		        mb, uid, op, flags, kwmask, unchangedsince, r, renamed, may_rescan);
	}
	*renamed = *renamed || strcmp(name, e->name) != 0;
	nf &= ~(uint32_t)STORE_FLAG_IN_NEW; /* it is in cur/ now */
	if (store_index_update(&mb->idx, (size_t)at, nf, nk, name, true) < 0)
		return -1;
	r->is_changed = true;
	r->flags = nf & ~(uint32_t)STORE_FLAG_IN_NEW;
	r->keywords = nk;
	r->modseq = e->modseq;
	return 0;
}

static void
store_flags_emit(struct store_mailbox *mb, struct store_changes *ch,
        const struct store_flag_result *res, size_t n)
{
	struct bus_msg *v = malloc((n + 1) * sizeof(*v));
	size_t k = 0;

	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		long at;

		if (!res[i].is_changed || (at = store_index_find(&mb->idx, res[i].uid)) < 0)
			continue;
		store_bus_msg_from(&v[k++], &mb->idx.entries[at]);
	}
	if (k > 0)
		store_changes_emit(ch, mb, BUS_EVENT_FLAGS, v, k);
	free(v);
}

static int
store_flags_keywords(struct store_mailbox *mb, enum store_flag_op op, const char *const *keywords,
        size_t n, uint64_t *mask_r)
{
	*mask_r = 0;
	for (size_t i = 0; i < n; i++) {
		int bit = store_index_keyword(&mb->idx, keywords[i], op != STORE_FLAGS_REMOVE);

		if (bit >= 0)
			*mask_r |= 1ull << bit;
		else if (op != STORE_FLAGS_REMOVE)
			return -1; /* table full (STORE_KEYWORDS_MAX) */
	}
	return 0;
}

int
store_mailbox_store_flags(struct store_mailbox *mb, const uint32_t *uids, size_t n,
        enum store_flag_op op, uint32_t flags, const char *const *keywords, size_t keyword_count,
        uint64_t unchangedsince, struct store_changes *ch, struct store_flag_result *results)
{
	bool renamed = false, may_rescan = true;
	uint64_t mask;
	char cur[STORE_PATH_MAX];
	int rc = 0;

	flags &= STORE_FLAGS_SYSTEM;
	pthread_mutex_lock(&mb->lock);
	if (store_mbox_load(mb, ch) < 0 ||
	        store_flags_keywords(mb, op, keywords, keyword_count, &mask) < 0)
		rc = -1;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = store_flags_one(mb, uids[i], op, flags, mask, unchangedsince, &results[i],
		        &renamed, &may_rescan);
	snprintf(cur, sizeof(cur), "%s/cur", mb->dir);
	/* STORE-4: the renames are durable before the index says so. */
	if (rc == 0 && renamed && mb->st->do_fsync && fs_fsync_dir(cur) < 0)
		rc = -1;
	if (rc == 0 && store_mbox_commit(mb) < 0)
		rc = -1;
	if (rc == 0)
		store_flags_emit(mb, ch, results, n);
	else
		store_mbox_reload(mb);
	pthread_mutex_unlock(&mb->lock);
	return rc;
}

/* store_expunge_pick - positions to expunge, ascending. */
static size_t *
store_expunge_pick(
        struct store_mailbox *mb, const uint32_t *uids, size_t n, bool only_deleted, size_t *k_r)
{
	size_t cnt = uids != NULL ? n : mb->idx.count, k = 0;
	size_t *pos = malloc((cnt + 1) * sizeof(*pos));

	if (pos == NULL)
		return NULL;
	for (size_t i = 0; i < cnt; i++) {
		long at = uids != NULL ? store_index_find(&mb->idx, uids[i]) : (long)i;

		if (at < 0 || (only_deleted && !(mb->idx.entries[at].flags & STORE_FLAG_DELETED)))
			continue;
		pos[k++] = (size_t)at;
	}
	/* uids may be unsorted or repeat: sort and drop duplicates. */
	for (size_t i = 1; i < k; i++)
		for (size_t j = i; j > 0 && pos[j - 1] > pos[j]; j--) {
			size_t t = pos[j];

			pos[j] = pos[j - 1];
			pos[j - 1] = t;
		}
	size_t u = 0;

	for (size_t i = 0; i < k; i++)
		if (u == 0 || pos[u - 1] != pos[i])
			pos[u++] = pos[i];
	*k_r = u;
	return pos;
}

/* store_expunge_unlink - remove the files; already-missing ones are fine. */
static int
store_expunge_unlink(struct store_mailbox *mb, const size_t *pos, size_t k)
{
	bool in_new = false, in_cur = false;
	char p[STORE_PATH_MAX];

	for (size_t i = 0; i < k; i++) {
		const struct store_index_entry *e = &mb->idx.entries[pos[i]];

		if (store_maildir_path(mb, e, p, sizeof(p)) < 0)
			return -1;
		if (unlink(p) < 0 && errno != ENOENT)
			return -1;
		if (e->flags & STORE_FLAG_IN_NEW)
			in_new = true;
		else
			in_cur = true;
	}
	if (!mb->st->do_fsync)
		return 0;
	/* Durable before the index forgets them, or they would come back with new UIDs. */
	snprintf(p, sizeof(p), "%s/new", mb->dir);
	if (in_new && fs_fsync_dir(p) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/cur", mb->dir);
	if (in_cur && fs_fsync_dir(p) < 0)
		return -1;
	return 0;
}

static int
store_expunge_locked(struct store_mailbox *mb, const uint32_t *uids, size_t n, bool only_deleted,
        struct store_changes *ch, uint32_t **expunged_r, size_t *count_r)
{
	size_t k = 0, *pos;
	struct bus_msg *v;
	int64_t freed = 0;

	if (store_mbox_load(mb, ch) < 0 ||
	        (pos = store_expunge_pick(mb, uids, n, only_deleted, &k)) == NULL)
		return -1;
	v = calloc(k + 1, sizeof(*v));
	if (v == NULL || store_expunge_unlink(mb, pos, k) < 0) {
		free(pos);
		free(v);
		return -1;
	}
	for (size_t i = k; i-- > 0;) {
		store_bus_msg_from(&v[i], &mb->idx.entries[pos[i]]);
		freed += (int64_t)mb->idx.entries[pos[i]].size;
		if (store_index_remove(&mb->idx, pos[i]) < 0)
			break;
		v[i].modseq = mb->idx.highestmodseq;
	}
	free(pos);
	if (store_mbox_commit(mb) < 0) {
		free(v);
		return -1;
	}
	if (k > 0) {
		store_changes_emit(ch, mb, BUS_EVENT_EXPUNGE, v, k);
		store_quota_add(mb->st, mb->account, -freed);
	}
	if (expunged_r != NULL) {
		uint32_t *u = malloc((k + 1) * sizeof(*u));

		for (size_t i = 0; u != NULL && i < k; i++)
			u[i] = v[i].uid;
		*expunged_r = u;
	}
	if (count_r != NULL)
		*count_r = k;
	free(v);
	return 0;
}

int
store_mailbox_expunge(struct store_mailbox *mb, const uint32_t *uids, size_t n, bool only_deleted,
        struct store_changes *ch, uint32_t **expunged_r, size_t *count_r)
{
	int rc;

	pthread_mutex_lock(&mb->lock);
	rc = store_expunge_locked(mb, uids, n, only_deleted, ch, expunged_r, count_r);
	if (rc < 0)
		store_mbox_reload(mb);
	pthread_mutex_unlock(&mb->lock);
	return rc;
}
