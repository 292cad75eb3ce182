/*
 * store_mbox.c - one cached mailbox: loading or rebuilding its index, the
 * group commit of new messages, and the read-side calls IMAP needs
 * (snapshot, status, \Recent claiming, opening a message).
 *
 * Group commit (ARCHITECTURE "Threads"): a writer puts its already-renamed
 * file on the mailbox queue and takes the mailbox lock; whoever gets the
 * lock first commits every ready entry of the queue with one directory
 * flush and one index flush; the others find their entry done. So N
 * concurrent deliveries to one mailbox cost one index flush, not N.
 */
#include "store/store_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/core_fs.h"
#include "core/core_log.h"

static int
store_mbox_index_path(const struct store_mailbox *mb, char *buf, size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/%s", mb->dir, STORE_INDEX_FILE) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
store_mbox_commit(struct store_mailbox *mb)
{
	char path[STORE_PATH_MAX];

	if (store_mbox_index_path(mb, path, sizeof(path)) < 0)
		return -1;
	if (store_index_commit(&mb->idx, path, mb->dir, mb->st->do_fsync) < 0) {
		log_error("storage error: index write failed: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * store_mbox_rebuild - STORE-6: a lost or corrupt index is rebuilt from the
 * files with a new UIDVALIDITY, UIDs from 1, and modseqs above anything the
 * old index could have handed out (its salvaged maximum, and the clock as a
 * floor when nothing could be salvaged).
 */
static int
store_mbox_rebuild(struct store_mailbox *mb, struct store_changes *ch, uint64_t floor)
{
	store_index_create(&mb->idx, store_random_uidvalidity(), floor);
	mb->has_scan = false;
	mb->is_loaded = true;
	/* Usage is recounted by the scan: forget what the old index said. */
	return store_maildir_scan(mb, ch, true);
}

/* store_mbox_has_files - whether new/ or cur/ holds a message not being delivered now (a lost
 * index). */
static bool
store_mbox_has_files(struct store_mailbox *mb)
{
	static const char *const subs[] = {"cur", "new"};
	bool found = false;
	int saved = errno;

	for (size_t i = 0; i < 2 && !found; i++) {
		char p[STORE_PATH_MAX];
		struct dirent *de;
		DIR *d;

		snprintf(p, sizeof(p), "%s/%s", mb->dir, subs[i]);
		if ((d = opendir(p)) == NULL)
			continue;
		while (!found && (de = readdir(d)) != NULL)
			found = de->d_name[0] != '.' && !store_mbox_is_queued(mb, de->d_name);
		closedir(d);
	}
	errno = saved;
	return found;
}

int
store_mbox_load(struct store_mailbox *mb, struct store_changes *ch)
{
	char path[STORE_PATH_MAX];
	uint64_t salvage = 0;
	int64_t old_usage = 0;

	if (mb->is_deleted) {
		errno = ENOENT; /* deleted or renamed under the holder of this handle */
		return -1;
	}
	if (mb->is_loaded && !mb->idx.is_broken)
		return 0;
	for (size_t i = 0; mb->is_loaded && i < mb->idx.count; i++)
		old_usage += (int64_t)mb->idx.entries[i].size;
	if (store_mbox_index_path(mb, path, sizeof(path)) < 0)
		return -1;
	if (store_index_load(&mb->idx, path, &salvage) == 0) {
		int64_t usage = 0;

		for (size_t i = 0; i < mb->idx.count; i++)
			usage += (int64_t)mb->idx.entries[i].size;
		if (mb->is_loaded && usage != old_usage)
			store_quota_add(mb->st, mb->account, usage - old_usage);
		mb->is_loaded = true;
		mb->has_scan = false;
		return 0;
	}
	if (errno != ENOENT && errno != EBADMSG)
		return -1;
	if (mb->is_loaded && old_usage != 0)
		store_quota_add(mb->st, mb->account, -old_usage);
	if (errno == EBADMSG || store_mbox_has_files(mb)) {
		/*
		 * The old modseqs are unknown: continue above the salvaged maximum and
		 * above the clock in microseconds, which no earlier counter of this
		 * mailbox can have passed (that would take a million changes a second).
		 */
		struct timespec ts;
		uint64_t now;

		clock_gettime(CLOCK_REALTIME, &ts);
		now = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
		if (errno == EBADMSG)
			log_warn("store: corrupt mailbox index, rebuilding from the maildir");
		return store_mbox_rebuild(mb, ch, (salvage > now ? salvage : now) + 1);
	}
	return store_mbox_rebuild(mb, ch, 0); /* a new mailbox: modseqs from 1 */
}

int
store_mbox_reload(struct store_mailbox *mb)
{
	mb->idx.is_broken = true;
	return store_mbox_load(mb, NULL);
}

void
store_mbox_queue(struct store_mailbox *mb, struct store_pending *p)
{
	p->is_ready = p->is_done = false;
	p->error = 0;
	pthread_mutex_lock(&mb->qlock);
	p->next = mb->queue;
	mb->queue = p;
	pthread_mutex_unlock(&mb->qlock);
}

void
store_mbox_unqueue(struct store_mailbox *mb, struct store_pending *p)
{
	pthread_mutex_lock(&mb->qlock);
	for (struct store_pending **pp = &mb->queue; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	pthread_mutex_unlock(&mb->qlock);
}

bool
store_mbox_is_queued(struct store_mailbox *mb, const char *name)
{
	size_t kl = store_maildir_key_len(name);
	bool found = false;

	pthread_mutex_lock(&mb->qlock);
	for (struct store_pending *p = mb->queue; p != NULL && !found; p = p->next)
		found = store_maildir_key_len(p->name) == kl && memcmp(p->name, name, kl) == 0;
	pthread_mutex_unlock(&mb->qlock);
	return found;
}

/* store_mbox_take_ready - unlink every ready entry, oldest first. */
static struct store_pending *
store_mbox_take_ready(struct store_mailbox *mb)
{
	struct store_pending *ready = NULL, **pp;

	pthread_mutex_lock(&mb->qlock);
	pp = &mb->queue;
	while (*pp != NULL) {
		struct store_pending *p = *pp;

		if (p->is_ready) {
			*pp = p->next;
			p->next = ready; /* the queue is newest first: this reverses it */
			ready = p;
		} else {
			pp = &p->next;
		}
	}
	pthread_mutex_unlock(&mb->qlock);
	return ready;
}

static void
store_mbox_finish(struct store_mailbox *mb, struct store_pending *batch, int error)
{
	pthread_mutex_lock(&mb->qlock);
	for (struct store_pending *p = batch; p != NULL; p = p->next) {
		if (error != 0)
			p->error = error;
		p->is_done = true;
	}
	pthread_mutex_unlock(&mb->qlock);
}

/* store_mbox_flush_dirs - one flush of new/ and/or cur/ covering the whole batch. */
static int
store_mbox_flush_dirs(struct store_mailbox *mb, struct store_pending *batch)
{
	bool has_new = false, has_cur = false;
	char p[STORE_PATH_MAX];

	if (!mb->st->do_fsync)
		return 0;
	for (struct store_pending *q = batch; q != NULL; q = q->next) {
		if (q->flags & STORE_FLAG_IN_NEW)
			has_new = true;
		else
			has_cur = true;
	}
	snprintf(p, sizeof(p), "%s/new", mb->dir);
	if (has_new && fs_fsync_dir(p) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/cur", mb->dir);
	if (has_cur && fs_fsync_dir(p) < 0)
		return -1;
	return 0;
}

/* store_mbox_commit_batch - the leader's work: UIDs, one index flush, events. */
static int
store_mbox_commit_batch(struct store_mailbox *mb, struct store_pending *batch)
{
	if (mb->is_deleted) {
		errno = ENOENT;
		return -1;
	}
	if (store_mbox_load(mb, NULL) < 0 || store_mbox_flush_dirs(mb, batch) < 0)
		return -1;
	for (struct store_pending *p = batch; p != NULL; p = p->next)
		if (store_index_add(&mb->idx, p->flags, p->keywords, p->size, p->internaldate,
		            p->name, &p->uid) < 0)
			return -1;
	if (store_mbox_commit(mb) < 0)
		return -1;
	/* Persisted: now the UIDs may be revealed (IMAP-54). */
	for (struct store_pending *p = batch; p != NULL; p = p->next) {
		struct store_index_entry *e = &mb->idx.entries[store_index_find(&mb->idx, p->uid)];
		struct bus_msg m;

		store_bus_msg_from(&m, e);
		store_changes_emit(p->ch, mb, BUS_EVENT_NEW, &m, 1);
		store_quota_add(mb->st, mb->account, (int64_t)p->size);
	}
	return 0;
}

void
store_mbox_ready(struct store_mailbox *mb, struct store_pending *p)
{
	pthread_mutex_lock(&mb->qlock);
	p->is_ready = true;
	pthread_mutex_unlock(&mb->qlock);
}

int
store_mbox_commit_pending(struct store_mailbox *mb, struct store_pending *p)
{
	bool is_done;

	pthread_mutex_lock(&mb->qlock);
	p->is_ready = true;
	pthread_mutex_unlock(&mb->qlock);
	pthread_mutex_lock(&mb->lock);
	pthread_mutex_lock(&mb->qlock);
	is_done = p->is_done;
	pthread_mutex_unlock(&mb->qlock);
	if (!is_done) {
		/* Load (maybe rebuild) while the batch is still queued, so the scan skips it. */
		int rc = store_mbox_load(mb, NULL);
		struct store_pending *batch = store_mbox_take_ready(mb);

		if (rc < 0 || store_mbox_commit_batch(mb, batch) < 0) {
			int saved = errno != 0 ? errno : EIO;

			store_mbox_reload(mb);
			store_mbox_finish(mb, batch, saved);
		} else {
			store_mbox_finish(mb, batch, 0);
		}
	}
	pthread_mutex_unlock(&mb->lock);
	if (p->error != 0) {
		errno = p->error;
		return -1;
	}
	return 0;
}
