/*
 * store_sync.c - reconcile a mailbox index with its new/ and cur/
 * directories (STORE-5, STORE-6 rebuild, STORE-7 recovery).
 *
 * A file is identified by its name without the ":2," suffix. Index entries
 * whose file is gone become expunges; renamed flag suffixes become flag
 * changes with new modseqs; files without an entry (another MDA, a copied
 * maildir, a crash between rename and index commit) get new UIDs above
 * UIDNEXT, oldest first. The directories are listed only when their mtimes
 * changed since the last scan, or the last scan was within a second of them
 * (mtime granularity). Called with the mailbox lock held; commits itself
 * and emits the events only after the commit.
 */
#include "store/store_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct store_file {
	char *name; /* owned */
	size_t keylen;
	bool in_new;
	bool is_used;
};

struct store_files {
	struct store_file *v; /* owned */
	size_t n, cap;
};

static void
store_files_free(struct store_files *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		free(fs->v[i].name);
	free(fs->v);
}

static int
store_files_list(struct store_files *fs, const char *dir, const char *sub, bool in_new)
{
	char p[STORE_PATH_MAX];
	struct dirent *de;
	DIR *d;

	snprintf(p, sizeof(p), "%s/%s", dir, sub);
	d = opendir(p);
	if (d == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (fs->n == fs->cap) {
			size_t cap = fs->cap ? fs->cap * 2 : 64;
			struct store_file *v = realloc(fs->v, cap * sizeof(*v));

			if (v == NULL)
				goto fail;
			fs->v = v;
			fs->cap = cap;
		}
		struct store_file *f = &fs->v[fs->n];

		f->name = strdup(de->d_name);
		if (f->name == NULL)
			goto fail;
		f->keylen = store_maildir_key_len(f->name);
		f->in_new = in_new;
		f->is_used = false;
		fs->n++;
	}
	closedir(d);
	return 0;
fail:
	closedir(d);
	return -1;
}

static int
store_key_cmp(const char *a, size_t al, const char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	if (c != 0)
		return c;
	return al < bl ? -1 : al > bl;
}

static int
store_file_cmp(const void *a, const void *b)
{
	const struct store_file *x = a, *y = b;
	int c = store_key_cmp(x->name, x->keylen, y->name, y->keylen);

	/* Same key in new/ and cur/ (moved while listing): cur/ first, it wins. */
	return c != 0 ? c : (int)x->in_new - (int)y->in_new;
}

static struct store_file *
store_files_find(struct store_files *fs, const char *name)
{
	size_t kl = store_maildir_key_len(name), lo = 0, hi = fs->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = store_key_cmp(fs->v[mid].name, fs->v[mid].keylen, name, kl);

		if (c == 0) {
			while (mid > 0 &&
			        store_key_cmp(
			                fs->v[mid - 1].name, fs->v[mid - 1].keylen, name, kl) == 0)
				mid--;
			return &fs->v[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* store_sync_unchanged - whether the last scan still describes the directories. */
static bool
store_sync_unchanged(struct store_mailbox *mb, struct timespec *nm, struct timespec *cm)
{
	char p[STORE_PATH_MAX];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/new", mb->dir);
	if (stat(p, &sb) < 0)
		return false;
	*nm = sb.st_mtim;
	snprintf(p, sizeof(p), "%s/cur", mb->dir);
	if (stat(p, &sb) < 0)
		return false;
	*cm = sb.st_mtim;
	if (!mb->has_scan || nm->tv_sec != mb->new_mtime.tv_sec ||
	        nm->tv_nsec != mb->new_mtime.tv_nsec || cm->tv_sec != mb->cur_mtime.tv_sec ||
	        cm->tv_nsec != mb->cur_mtime.tv_nsec)
		return false;
	/* A change in the same clock tick as the last scan leaves the mtime equal. */
	return mb->scanned_at > nm->tv_sec + 1 && mb->scanned_at > cm->tv_sec + 1;
}

struct store_sync_events {
	struct bus_msg *v[3]; /* NEW, FLAGS, EXPUNGE */
	size_t n[3];
	int64_t quota;
};

static int
store_sync_push(struct store_sync_events *se, int k, const struct store_index_entry *e)
{
	struct bus_msg *v = realloc(se->v[k], (se->n[k] + 1) * sizeof(*v));

	if (v == NULL)
		return -1;
	se->v[k] = v;
	store_bus_msg_from(&v[se->n[k]++], e);
	return 0;
}

/* store_sync_existing - compare every index entry with its file. */
static int
store_sync_existing(struct store_mailbox *mb, struct store_files *fs, struct store_sync_events *se)
{
	struct store_index *idx = &mb->idx;

	for (size_t i = idx->count; i-- > 0;) {
		struct store_index_entry *e = &idx->entries[i];
		struct store_file *f = store_files_find(fs, e->name);

		if (f == NULL) {
			se->quota -= (int64_t)e->size;
			if (store_sync_push(se, 2, e) < 0 || store_index_remove(idx, i) < 0)
				return -1;
			se->v[2][se->n[2] - 1].modseq = idx->highestmodseq;
			continue;
		}
		f->is_used = true;
		uint32_t flags = e->flags & ~(uint32_t)STORE_FLAG_IN_NEW;

		if (f->in_new)
			flags |= STORE_FLAG_IN_NEW;
		else
			flags = (flags & ~STORE_FLAGS_SYSTEM) | store_maildir_parse_flags(f->name);
		bool bump = (flags & STORE_FLAGS_SYSTEM) != (e->flags & STORE_FLAGS_SYSTEM);

		if (bump || flags != e->flags || strcmp(f->name, e->name) != 0) {
			if (store_index_update(idx, i, flags, e->keywords, f->name, bump) < 0)
				return -1;
			if (bump && store_sync_push(se, 1, &idx->entries[i]) < 0)
				return -1;
		}
	}
	return 0;
}

struct store_newfile {
	struct store_file *f;
	struct stat sb;
};

static int
store_newfile_cmp(const void *a, const void *b)
{
	const struct store_newfile *x = a, *y = b;

	if (x->sb.st_mtime != y->sb.st_mtime)
		return x->sb.st_mtime < y->sb.st_mtime ? -1 : 1;
	return strcmp(x->f->name, y->f->name);
}

/* store_sync_found - files without an entry get UIDs, oldest first. */
static int
store_sync_found(struct store_mailbox *mb, struct store_files *fs, struct store_sync_events *se)
{
	struct store_newfile *nf = calloc(fs->n + 1, sizeof(*nf));
	size_t n = 0;
	int rc = 0;

	if (nf == NULL)
		return -1;
	for (size_t i = 0; i < fs->n; i++) {
		struct store_file *f = &fs->v[i];
		char p[STORE_PATH_MAX];

		/* Duplicate key (listed in both dirs): only the first (cur/) counts. */
		if (f->is_used ||
		        (i > 0 &&
		                store_key_cmp(f->name, f->keylen, fs->v[i - 1].name,
		                        fs->v[i - 1].keylen) == 0) ||
		        store_mbox_is_queued(mb, f->name))
			continue;
		snprintf(p, sizeof(p), "%s/%s/%s", mb->dir, f->in_new ? "new" : "cur", f->name);
		if (stat(p, &nf[n].sb) < 0 || !S_ISREG(nf[n].sb.st_mode))
			continue; /* vanished meanwhile: the next scan sees the truth */
		nf[n++].f = f;
	}
	if (n > 1)
		qsort(nf, n, sizeof(*nf), store_newfile_cmp);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct store_file *f = nf[i].f;
		uint32_t flags = f->in_new ? STORE_FLAG_IN_NEW | STORE_FLAG_RECENT
		                           : store_maildir_parse_flags(f->name);

		rc = store_index_add(&mb->idx, flags, 0, (uint64_t)nf[i].sb.st_size,
		        (int64_t)nf[i].sb.st_mtime, f->name, NULL);
		if (rc == 0) {
			se->quota += nf[i].sb.st_size;
			rc = store_sync_push(se, 0, &mb->idx.entries[mb->idx.count - 1]);
		}
	}
	free(nf);
	return rc;
}

static void
store_sync_emit(struct store_mailbox *mb, struct store_changes *ch, struct store_sync_events *se)
{
	static const enum bus_event_kind kinds[3] = {
	        BUS_EVENT_NEW, BUS_EVENT_FLAGS, BUS_EVENT_EXPUNGE};

	/* FLAGS and EXPUNGE were collected from the highest UID down: ascending for sessions. */
	for (int k = 1; k <= 2; k++)
		for (size_t i = 0; i < se->n[k] / 2; i++) {
			struct bus_msg t = se->v[k][i];

			se->v[k][i] = se->v[k][se->n[k] - 1 - i];
			se->v[k][se->n[k] - 1 - i] = t;
		}
	/* Expunges first: sessions must drop them before counting the new ones. */
	for (int k = 2; k >= 0; k--)
		if (se->n[k] > 0)
			store_changes_emit(ch, mb, kinds[k], se->v[k], se->n[k]);
	if (se->quota != 0)
		store_quota_add(mb->st, mb->account, se->quota);
}

int
store_maildir_scan(struct store_mailbox *mb, struct store_changes *ch, bool force)
{
	struct store_files fs = {0};
	struct store_sync_events se = {0};
	struct timespec nm, cm;
	int rc = -1;

	if (store_sync_unchanged(mb, &nm, &cm) && !force)
		return 0;
	if (store_files_list(&fs, mb->dir, "cur", false) < 0 ||
	        store_files_list(&fs, mb->dir, "new", true) < 0)
		goto out;
	if (fs.n > 1)
		qsort(fs.v, fs.n, sizeof(fs.v[0]), store_file_cmp);
	if (store_sync_existing(mb, &fs, &se) < 0 || store_sync_found(mb, &fs, &se) < 0 ||
	        store_mbox_commit(mb) < 0)
		goto out;
	store_sync_emit(mb, ch, &se);
	mb->has_scan = true;
	mb->new_mtime = nm;
	mb->cur_mtime = cm;
	mb->scanned_at = time(NULL);
	rc = 0;
out:
	for (int k = 0; k < 3; k++)
		free(se.v[k]);
	store_files_free(&fs);
	return rc;
}
