/*
 * store_view.c - the read side of a mailbox for IMAP: sync, snapshot,
 * STATUS numbers, \Recent claiming, opening a message (IMAP-29..31, 40).
 *
 * Every call takes the mailbox lock for the time of an in-memory copy or a
 * directory scan; message content is never read here, only opened.
 */
#include "store/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* store_view_sync_locked - load and scan; the lock is held. */
static int
store_view_sync_locked(struct store_mailbox *mb, struct store_changes *ch)
{
	if (store_mbox_load(mb, ch) < 0)
		return -1;
	return store_maildir_scan(mb, ch, false);
}

int
store_mailbox_sync(struct store_mailbox *mb, struct store_changes *ch)
{
	int rc;

	pthread_mutex_lock(&mb->lock);
	rc = store_view_sync_locked(mb, ch);
	pthread_mutex_unlock(&mb->lock);
	return rc;
}

void
store_snapshot_free(struct store_snapshot *snap)
{
	for (size_t i = 0; i < snap->count; i++)
		free(snap->msgs[i].path);
	free(snap->msgs);
	store_names_free(snap->keywords, snap->keyword_count);
	memset(snap, 0, sizeof(*snap));
}

static int
store_view_copy(struct store_mailbox *mb, struct store_snapshot *snap)
{
	const struct store_index *idx = &mb->idx;

	memset(snap, 0, sizeof(*snap));
	snap->uidvalidity = idx->uidvalidity;
	snap->uidnext = idx->uidnext;
	snap->highestmodseq = idx->highestmodseq;
	snap->msgs = calloc(idx->count + 1, sizeof(*snap->msgs));
	snap->keywords = calloc(idx->keyword_count + 1, sizeof(char *));
	if (snap->msgs == NULL || snap->keywords == NULL)
		return -1;
	for (; snap->keyword_count < idx->keyword_count; snap->keyword_count++)
		if ((snap->keywords[snap->keyword_count] =
		                    strdup(idx->keywords[snap->keyword_count])) == NULL)
			return -1;
	for (; snap->count < idx->count; snap->count++) {
		const struct store_index_entry *e = &idx->entries[snap->count];
		struct store_msg *m = &snap->msgs[snap->count];
		char p[STORE_PATH_MAX];

		if (store_maildir_path(mb, e, p, sizeof(p)) < 0 || (m->path = strdup(p)) == NULL)
			return -1;
		m->uid = e->uid;
		m->flags = e->flags & ~(uint32_t)STORE_FLAG_IN_NEW;
		m->keywords = e->keywords;
		m->modseq = e->modseq;
		m->size = e->size;
		m->internaldate = e->internaldate;
	}
	return 0;
}

int
store_mailbox_snapshot(
        struct store_mailbox *mb, struct store_changes *ch, struct store_snapshot *snap_r)
{
	int rc;

	pthread_mutex_lock(&mb->lock);
	rc = store_view_sync_locked(mb, ch);
	if (rc == 0 && store_view_copy(mb, snap_r) < 0) {
		store_snapshot_free(snap_r);
		errno = ENOMEM;
		rc = -1;
	}
	pthread_mutex_unlock(&mb->lock);
	return rc;
}

int
store_mailbox_status(
        struct store_mailbox *mb, struct store_changes *ch, struct store_status *status_r)
{
	int rc;

	memset(status_r, 0, sizeof(*status_r));
	pthread_mutex_lock(&mb->lock);
	rc = store_view_sync_locked(mb, ch);
	if (rc == 0) {
		const struct store_index *idx = &mb->idx;

		status_r->messages = (uint32_t)idx->count;
		status_r->uidvalidity = idx->uidvalidity;
		status_r->uidnext = idx->uidnext;
		status_r->highestmodseq = idx->highestmodseq;
		for (size_t i = 0; i < idx->count; i++) {
			if (idx->entries[i].flags & STORE_FLAG_RECENT)
				status_r->recent++;
			if (!(idx->entries[i].flags & STORE_FLAG_SEEN))
				status_r->unseen++;
			status_r->bytes += idx->entries[i].size;
		}
	}
	pthread_mutex_unlock(&mb->lock);
	return rc;
}

/* store_view_claim_one - new/ -> cur/ with the flag suffix; the index follows. */
static int
store_view_claim_one(struct store_mailbox *mb, size_t i)
{
	struct store_index_entry *e = &mb->idx.entries[i];
	char from[STORE_PATH_MAX], to[STORE_PATH_MAX], name[STORE_FILENAME_MAX + 1];
	uint32_t flags = e->flags & ~(uint32_t)(STORE_FLAG_RECENT | STORE_FLAG_IN_NEW);

	if (e->flags & STORE_FLAG_IN_NEW) {
		if (store_maildir_flagged_name(e->name, flags, name, sizeof(name)) < 0 ||
		        store_maildir_path(mb, e, from, sizeof(from)) < 0)
			return -1;
		snprintf(to, sizeof(to), "%s/cur/%s", mb->dir, name);
		/* Not flushed: if the rename is lost, the next scan finds the file in new/. */
		if (rename(from, to) < 0)
			return errno == ENOENT ? 0 : -1;
		return store_index_update(&mb->idx, i, flags, e->keywords, name, false);
	}
	return store_index_update(&mb->idx, i, flags, e->keywords, NULL, false);
}

int
store_mailbox_claim_recent(struct store_mailbox *mb, uint32_t **uids_r, size_t *n_r)
{
	uint32_t *uids = NULL;
	size_t n = 0;
	int rc = 0;

	pthread_mutex_lock(&mb->lock);
	if (store_mbox_load(mb, NULL) < 0) {
		pthread_mutex_unlock(&mb->lock);
		return -1;
	}
	for (size_t i = 0; i < mb->idx.count && rc == 0; i++) {
		if (!(mb->idx.entries[i].flags & (STORE_FLAG_RECENT | STORE_FLAG_IN_NEW)))
			continue;
		uint32_t *v = realloc(uids, (n + 1) * sizeof(*v));

		if (v == NULL) {
			rc = -1;
			break;
		}
		uids = v;
		if (mb->idx.entries[i].flags & STORE_FLAG_RECENT)
			uids[n++] = mb->idx.entries[i].uid;
		rc = store_view_claim_one(mb, i);
	}
	if (rc == 0 && store_mbox_commit(mb) < 0)
		rc = -1;
	if (rc < 0)
		store_mbox_reload(mb);
	pthread_mutex_unlock(&mb->lock);
	if (rc < 0) {
		free(uids);
		return -1;
	}
	*uids_r = uids;
	*n_r = n;
	return 0;
}

/* store_view_open_locked - open the file of uid as the index names it now. */
static int
store_view_open_locked(struct store_mailbox *mb, uint32_t uid, int *fd_r, uint64_t *size_r)
{
	long i = store_index_find(&mb->idx, uid);
	char p[STORE_PATH_MAX];
	int fd;

	if (i < 0) {
		errno = ENOENT;
		return -1;
	}
	if (store_maildir_path(mb, &mb->idx.entries[i], p, sizeof(p)) < 0)
		return -1;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	*fd_r = fd;
	*size_r = mb->idx.entries[i].size;
	return 0;
}

int
store_mailbox_open_msg(struct store_mailbox *mb, uint32_t uid, int *fd_r, uint64_t *size_r)
{
	int rc;

	pthread_mutex_lock(&mb->lock);
	rc = store_mbox_load(mb, NULL);
	if (rc == 0)
		rc = store_view_open_locked(mb, uid, fd_r, size_r);
	if (rc < 0 && errno == ENOENT) {
		/* Renamed by another program since our last look: rescan once (STORE-5). */
		if (store_maildir_scan(mb, NULL, true) == 0)
			rc = store_view_open_locked(mb, uid, fd_r, size_r);
		else
			errno = ENOENT;
	}
	pthread_mutex_unlock(&mb->lock);
	return rc;
}
