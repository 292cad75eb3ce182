/*
 * store_deliver.c - putting messages into mailboxes: local delivery to N
 * accounts, APPEND, COPY and MOVE (STORE-2, STORE-3, IMAP-42..44).
 *
 * The order is always: write and flush the file (delivery/append) or hard-
 * link it (copy), register it on the mailbox queue, rename/link it into
 * new/ or cur/, then the group commit flushes the directory and the index
 * and only then reports the UID. A crash anywhere leaves either no file
 * (nothing acknowledged) or a file the next scan adopts with a new UID.
 */
#include "store/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core_log.h"

struct store_target {
	struct store_mailbox *mb; /* owned reference */
	struct store_pending p;
	char tmp[STORE_PATH_MAX];
	char final[STORE_PATH_MAX];
	bool has_tmp, is_queued;
	size_t dup_of; /* SIZE_MAX, or the earlier recipient with the same account */
};

/* store_deliver_prepare - the INBOX of one recipient, created if missing. */
static int
store_deliver_prepare(struct store *st, const char *account, struct store_target *t)
{
	char cur[STORE_PATH_MAX];
	struct stat sb;

	if (store_mailbox_get(st, account, "INBOX", false, &t->mb) < 0)
		return -1;
	snprintf(cur, sizeof(cur), "%s/cur", t->mb->dir);
	if (stat(cur, &sb) < 0 && store_maildir_make(t->mb->dir, false, st->do_fsync) < 0)
		return -1;
	return 0;
}

/* store_deliver_file - first recipient: write + flush; others: hard link, else copy. */
static int
store_deliver_file(struct store *st, const struct store_body *body, time_t idate,
        const char *first, struct store_target *t, const char *name)
{
	snprintf(t->tmp, sizeof(t->tmp), "%s/tmp/%s", t->mb->dir, name);
	if (first != NULL && link(first, t->tmp) == 0) {
		t->has_tmp = true;
		return 0;
	}
	if (store_maildir_write(body, t->tmp, idate, st->do_fsync) < 0)
		return -1;
	t->has_tmp = true;
	return 0;
}

static void
store_target_cleanup(struct store_target *t)
{
	if (t->is_queued)
		store_mbox_unqueue(t->mb, &t->p);
	if (t->has_tmp)
		unlink(t->tmp);
	store_mailbox_close(&t->mb);
}

/* store_deliver_link - queue, then rename tmp/ -> new/ (STORE-3). */
static int
store_deliver_place(struct store_target *t, const char *name, uint64_t size, time_t idate,
        struct store_changes *ch)
{
	t->p.name = name;
	t->p.flags = STORE_FLAG_IN_NEW | STORE_FLAG_RECENT;
	t->p.keywords = 0;
	t->p.size = size;
	t->p.internaldate = idate;
	t->p.ch = ch;
	snprintf(t->final, sizeof(t->final), "%s/new/%s", t->mb->dir, name);
	store_mbox_queue(t->mb, &t->p);
	t->is_queued = true;
	if (rename(t->tmp, t->final) < 0)
		return -1;
	t->has_tmp = false;
	return 0;
}

int
store_deliver(struct store *st, int fd, uint64_t size, time_t internaldate,
        struct store_rcpt *rcpts, size_t n, struct store_changes *ch)
{
	struct store_body body = {.fd = fd, .size = size};

	return store_deliver_body(st, &body, internaldate, rcpts, n, ch);
}

int
store_deliver_body(struct store *st, const struct store_body *body, time_t internaldate,
        struct store_rcpt *rcpts, size_t n, struct store_changes *ch)
{
	uint64_t size = body->size;
	struct store_target *t = calloc(n + 1, sizeof(*t));
	char name[STORE_FILENAME_MAX + 1];
	const char *first = NULL;
	int rc = 0;

	if (t == NULL || store_maildir_newname(st, size, name, sizeof(name)) < 0) {
		free(t);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		rcpts[i].error = 0;
		t[i].dup_of = SIZE_MAX;
		/* One copy per account, however often it is listed. */
		for (size_t j = 0; j < i && t[i].dup_of == SIZE_MAX; j++)
			if (strcmp(rcpts[j].account, rcpts[i].account) == 0)
				t[i].dup_of = j;
		if (t[i].dup_of != SIZE_MAX)
			continue;
		if (store_deliver_prepare(st, rcpts[i].account, &t[i]) < 0 ||
		        store_deliver_file(st, body, internaldate, first, &t[i], name) < 0 ||
		        store_deliver_place(&t[i], name, size, internaldate, ch) < 0)
			rcpts[i].error = errno != 0 ? errno : EIO;
		else if (first == NULL)
			first = t[i].final; /* later recipients link the renamed file */
	}
	for (size_t i = 0; i < n; i++) {
		if (t[i].dup_of != SIZE_MAX) {
			rcpts[i].error = rcpts[t[i].dup_of].error;
			rcpts[i].uid = rcpts[t[i].dup_of].uid;
			rcpts[i].uidvalidity = rcpts[t[i].dup_of].uidvalidity;
			rc = rcpts[i].error != 0 ? -1 : rc;
			continue;
		}
		if (rcpts[i].error == 0) {
			int r = store_mbox_commit_pending(t[i].mb, &t[i].p);

			rcpts[i].error = r < 0 ? errno : 0;
			t[i].is_queued = false; /* committed or failed, it left the queue */
			if (r < 0)
				unlink(t[i].final); /* reported as failed: no late copy either */
		}
		if (rcpts[i].error == 0) {
			rcpts[i].uid = t[i].p.uid;
			pthread_mutex_lock(&t[i].mb->lock);
			rcpts[i].uidvalidity = t[i].mb->idx.uidvalidity;
			pthread_mutex_unlock(&t[i].mb->lock);
			store_quota_check_trim(st, rcpts[i].account, ch);
		} else {
			rc = -1;
		}
		store_target_cleanup(&t[i]);
	}
	free(t);
	return rc;
}

/* store_resolve_keywords - keyword names to the bits of mb's table (added if new). */
static int
store_resolve_keywords(
        struct store_mailbox *mb, const char *const *keywords, size_t n, uint64_t *mask_r)
{
	int rc = 0;

	*mask_r = 0;
	pthread_mutex_lock(&mb->lock);
	if (store_mbox_load(mb, NULL) < 0)
		rc = -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		int bit = store_index_keyword(&mb->idx, keywords[i], true);

		if (bit < 0)
			rc = -1;
		else
			*mask_r |= 1ull << bit;
	}
	pthread_mutex_unlock(&mb->lock);
	return rc;
}

int
store_mailbox_append(struct store_mailbox *mb, int fd, uint64_t size, time_t internaldate,
        uint32_t flags, const char *const *keywords, size_t keyword_count, uint64_t limit,
        struct store_changes *ch, uint32_t *uid_r)
{
	struct store *st = mb->st;
	char base[STORE_FILENAME_MAX + 1], name[STORE_FILENAME_MAX + 1];
	char tmp[STORE_PATH_MAX], final[STORE_PATH_MAX];
	struct store_pending p = {0};
	struct store_body body = {.fd = fd, .size = size};
	uint64_t mask;

	if (limit != 0 && store_quota_usage(st, mb->account) + size > limit) {
		errno = EDQUOT;
		return -1;
	}
	flags &= STORE_FLAGS_SYSTEM;
	if (store_resolve_keywords(mb, keywords, keyword_count, &mask) < 0 ||
	        store_maildir_newname(st, size, base, sizeof(base)) < 0 ||
	        store_maildir_flagged_name(base, flags, name, sizeof(name)) < 0)
		return -1;
	snprintf(tmp, sizeof(tmp), "%s/tmp/%s", mb->dir, base);
	snprintf(final, sizeof(final), "%s/cur/%s", mb->dir, name);
	if (store_maildir_write(&body, tmp, internaldate, st->do_fsync) < 0)
		return -1;
	/* IMAP-44 may write to cur/ directly; recent state stays in the index. */
	p.name = name;
	p.flags = flags | STORE_FLAG_RECENT;
	p.keywords = mask;
	p.size = size;
	p.internaldate = internaldate;
	p.ch = ch;
	store_mbox_queue(mb, &p);
	if (rename(tmp, final) < 0) {
		int saved = errno;

		store_mbox_unqueue(mb, &p);
		unlink(tmp);
		errno = saved;
		return -1;
	}
	if (store_mbox_commit_pending(mb, &p) < 0) {
		int saved = errno;

		unlink(final); /* not committed: the next scan must not adopt it */
		errno = saved;
		return -1;
	}
	*uid_r = p.uid;
	store_quota_check_trim(st, mb->account, ch);
	return 0;
}

/* One message to copy, as read from the source under its lock. */
struct store_copy_item {
	uint32_t src_uid;
	char src_path[STORE_PATH_MAX];
	char name[STORE_FILENAME_MAX + 1];
	char final[STORE_PATH_MAX];
	uint32_t flags;
	uint64_t kw_src;
	struct store_pending p;
	bool is_linked, is_queued;
};

/* store_copy_collect - phase 1: what to copy, from the source index. */
static int
store_copy_collect(struct store_mailbox *src, const uint32_t *uids, size_t n,
        struct store_copy_item *items, size_t *k_r, char ***kwnames_r, size_t *kwn_r,
        uint64_t *total_r)
{
	size_t k = 0;
	int rc = 0;

	*total_r = 0;
	pthread_mutex_lock(&src->lock);
	if (store_mbox_load(src, NULL) < 0)
		rc = -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		long at = store_index_find(&src->idx, uids[i]);

		if (at < 0)
			continue; /* expunged meanwhile: IMAP-40 */
		const struct store_index_entry *e = &src->idx.entries[at];
		struct store_copy_item *it = &items[k++];

		it->src_uid = e->uid;
		it->flags = e->flags & STORE_FLAGS_SYSTEM;
		it->kw_src = e->keywords;
		it->p.size = e->size;
		it->p.internaldate = e->internaldate;
		*total_r += e->size;
		if (store_maildir_path(src, e, it->src_path, sizeof(it->src_path)) < 0)
			rc = -1;
	}
	*kwn_r = src->idx.keyword_count;
	*kwnames_r = calloc(*kwn_r + 1, sizeof(char *));
	for (size_t i = 0; rc == 0 && *kwnames_r != NULL && i < *kwn_r; i++)
		(*kwnames_r)[i] = strdup(src->idx.keywords[i]);
	if (*kwnames_r == NULL) {
		*kwn_r = 0;
		rc = -1;
	}
	pthread_mutex_unlock(&src->lock);
	*k_r = k;
	return rc;
}

/* store_copy_keywords - map every item's source keyword bits to dst bits. */
static int
store_copy_keywords(struct store_mailbox *dst, struct store_copy_item *items, size_t k,
        char **kwnames, size_t kwn)
{
	for (size_t i = 0; i < k; i++) {
		const char *names[STORE_KEYWORDS_MAX];
		size_t m = 0;

		for (size_t b = 0; b < kwn && b < STORE_KEYWORDS_MAX; b++)
			if ((items[i].kw_src >> b) & 1u && kwnames[b] != NULL)
				names[m++] = kwnames[b];
		if (store_resolve_keywords(dst, names, m, &items[i].p.keywords) < 0)
			return -1;
	}
	return 0;
}

/* store_copy_link - phase 2: queue and hard-link every item into dst/cur/. */
static int
store_copy_link(struct store *st, struct store_mailbox *dst, struct store_copy_item *it,
        struct store_changes *ch)
{
	char base[STORE_FILENAME_MAX + 1];

	if (store_maildir_newname(st, it->p.size, base, sizeof(base)) < 0 ||
	        store_maildir_flagged_name(base, it->flags, it->name, sizeof(it->name)) < 0)
		return -1;
	snprintf(it->final, sizeof(it->final), "%s/cur/%s", dst->dir, it->name);
	it->p.name = it->name;
	it->p.flags = it->flags | STORE_FLAG_RECENT;
	it->p.ch = ch;
	store_mbox_queue(dst, &it->p);
	it->is_queued = true;
	/* The link shares the inode: content and mtime (INTERNALDATE) stay identical. */
	if (link(it->src_path, it->final) < 0)
		return -1;
	it->is_linked = true;
	return 0;
}

/* store_copy_refresh - the source file moved (flag change): find its current path. */
static int
store_copy_refresh(struct store_mailbox *src, struct store_copy_item *it)
{
	long at;
	int rc = -1;

	pthread_mutex_lock(&src->lock);
	if (store_maildir_scan(src, NULL, true) == 0 &&
	        (at = store_index_find(&src->idx, it->src_uid)) >= 0)
		rc = store_maildir_path(
		        src, &src->idx.entries[at], it->src_path, sizeof(it->src_path));
	pthread_mutex_unlock(&src->lock);
	if (rc < 0)
		errno = ENOENT;
	return rc;
}

/* store_copy_place - link all items; vanished sources are dropped from the list. */
static int
store_copy_place(struct store_mailbox *src, struct store_mailbox *dst,
        struct store_copy_item *items, size_t *k, struct store_changes *ch)
{
	for (size_t i = 0; i < *k; i++) {
		struct store_copy_item *it = &items[i];

		if (store_copy_link(src->st, dst, it, ch) == 0)
			continue;
		if (errno != ENOENT)
			return -1;
		if (store_copy_refresh(src, it) == 0 && link(it->src_path, it->final) == 0) {
			it->is_linked = true;
			continue;
		}
		if (errno != ENOENT)
			return -1;
		/* Gone for good (IMAP-40): skip it. */
		store_mbox_unqueue(dst, &it->p);
		memmove(it, it + 1, (*k - i - 1) * sizeof(*it));
		(*k)--;
		i--;
	}
	return 0;
}

static void
store_copy_undo(struct store_mailbox *dst, struct store_copy_item *items, size_t k)
{
	for (size_t i = 0; i < k; i++) {
		if (items[i].is_queued)
			store_mbox_unqueue(dst, &items[i].p);
		if (items[i].is_linked)
			unlink(items[i].final);
	}
}

int
store_mailbox_copy(struct store_mailbox *src, struct store_mailbox *dst, const uint32_t *uids,
        size_t n, bool is_move, uint64_t limit, struct store_changes *ch, uint32_t *src_uids_r,
        uint32_t *dst_uids_r, size_t *copied_r)
{
	struct store_copy_item *items = calloc(n + 1, sizeof(*items));
	char **kwnames = NULL;
	size_t k = 0, kwn = 0;
	uint64_t total;
	int rc = -1;

	*copied_r = 0;
	if (items == NULL)
		return -1;
	if (store_copy_collect(src, uids, n, items, &k, &kwnames, &kwn, &total) < 0)
		goto out;
	if (!is_move && limit != 0 && store_quota_usage(src->st, dst->account) + total > limit) {
		errno = EDQUOT; /* QUOTA-2: nothing is copied */
		goto out;
	}
	if (store_copy_keywords(dst, items, k, kwnames, kwn) < 0)
		goto out;
	if (store_copy_place(src, dst, items, &k, ch) < 0) {
		int saved = errno;

		store_copy_undo(dst, items, k);
		errno = saved;
		goto out;
	}
	/* One commit for all: every item is ready, so the first call commits them together. */
	for (size_t i = 0; i < k; i++)
		store_mbox_ready(dst, &items[i].p);
	for (size_t i = 0; i < k; i++) {
		items[i].is_queued = false;
		if (store_mbox_commit_pending(dst, &items[i].p) < 0) {
			int saved = errno;

			/* Nothing was committed: take the links back (IMAP-42 all or nothing). */
			for (size_t j = 0; j < k; j++) {
				store_mbox_unqueue(dst, &items[j].p);
				unlink(items[j].final);
			}
			errno = saved;
			goto out;
		}
		src_uids_r[i] = items[i].src_uid;
		dst_uids_r[i] = items[i].p.uid;
	}
	*copied_r = k;
	rc = 0;
	if (is_move && k > 0)
		rc = store_mailbox_expunge(src, src_uids_r, k, false, ch, NULL, NULL);
	else if (!is_move)
		store_quota_check_trim(src->st, dst->account, ch);
out:
	store_names_free(kwnames, kwn);
	free(items);
	return rc;
}
