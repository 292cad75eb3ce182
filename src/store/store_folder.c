/*
 * store_folder.c - accounts and the mailbox tree: create, delete, rename,
 * list, subscriptions (STORE-1, IMAP-23..28, ACC-7, EXP-5).
 *
 * Removal is always "rename away, then delete": a directory leaves the
 * visible tree atomically, so no reader ever sees half a mailbox, and a
 * crash in the middle leaves only a hidden directory to clean up.
 */
#include "store/store_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core_fs.h"

#define STORE_SUBS_FILE "chatrelay-subscriptions"

static bool
store_dir_exists(const char *dir)
{
	char p[STORE_PATH_MAX];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/cur", dir);
	return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

bool
store_account_exists(struct store *st, const char *account)
{
	char dir[STORE_PATH_MAX];

	return store_account_dir(st, account, dir, sizeof(dir)) == 0 && store_dir_exists(dir);
}

/* store_folder_init - create the maildir and its index (new UIDVALIDITY, IMAP-53). */
static int
store_folder_init(struct store *st, const char *account, const char *name)
{
	struct store_mailbox *mb;
	int rc;

	if (store_mailbox_get(st, account, name, false, &mb) < 0)
		return -1;
	rc = store_maildir_make(mb->dir, strcasecmp(name, "INBOX") != 0, st->do_fsync);
	if (rc == 0) {
		pthread_mutex_lock(&mb->lock);
		rc = store_mbox_load(mb, NULL);
		pthread_mutex_unlock(&mb->lock);
	}
	store_mailbox_close(&mb);
	return rc;
}

int
store_account_create(struct store *st, const char *account)
{
	if (!store_account_valid(account)) {
		errno = EINVAL;
		return -1;
	}
	return store_folder_init(st, account, "INBOX");
}

/* store_forget_mailboxes - mark cached mailboxes under prefix deleted and unlist them. */
static void
store_forget_mailboxes(struct store *st, const char *account, const char *name)
{
	pthread_mutex_lock(&st->lock);
	for (size_t i = 0; i < STORE_BUCKETS; i++) {
		struct store_mailbox *mb = st->mboxes[i], *next;

		for (; mb != NULL; mb = next) {
			next = mb->hnext;
			if (strcmp(mb->account, account) != 0 ||
			        (name != NULL && strcmp(mb->name, name) != 0))
				continue;
			store_mailbox_forget(mb);
		}
	}
	pthread_mutex_unlock(&st->lock);
}

/* store_hide_dir - rename dir to a hidden sibling and remove it. */
static int
store_hide_dir(const char *dir, const char *parent, const char *prefix)
{
	char hidden[STORE_PATH_MAX];

	snprintf(hidden, sizeof(hidden), "%s/%s%08x", parent, prefix, store_random_uidvalidity());
	if (rename(dir, hidden) < 0)
		return -1;
	fs_fsync_dir(parent);
	return store_rmtree(hidden) < 0 ? -1 : 0;
}

int
store_account_delete(struct store *st, const char *account, struct store_changes *ch)
{
	char dir[STORE_PATH_MAX];

	if (store_account_dir(st, account, dir, sizeof(dir)) < 0)
		return -1;
	if (access(dir, F_OK) < 0)
		return -1;
	store_forget_mailboxes(st, account, NULL);
	/* A dot name is neither an account (store_accounts_list) nor a Dovecot user. */
	if (store_hide_dir(dir, st->root, ".chatrelay-deleted-") < 0)
		return -1;
	store_quota_forget(st, account);
	store_changes_emit_account(st, ch, account, NULL, NULL, BUS_EVENT_ACCOUNT_DELETED);
	return 0;
}

int
store_mailbox_create(struct store *st, const char *account, const char *name)
{
	char dir[STORE_PATH_MAX], part[STORE_MAILBOX_NAME_MAX + 1];

	if (strcasecmp(name, "INBOX") == 0 ||
	        (store_mailbox_dir(st, account, name, dir, sizeof(dir)) == 0 &&
	                store_dir_exists(dir))) {
		errno = EEXIST;
		return -1;
	}
	if (!store_mailbox_valid_name(name)) {
		errno = EINVAL;
		return -1;
	}
	if (!store_account_exists(st, account) && store_account_create(st, account) < 0)
		return -1;
	/* IMAP-24: missing parents first, each a mailbox of its own. */
	for (const char *p = strchr(name, '.'); p != NULL; p = strchr(p + 1, '.')) {
		snprintf(part, sizeof(part), "%.*s", (int)(p - name), name);
		if (store_mailbox_dir(st, account, part, dir, sizeof(dir)) < 0)
			return -1;
		if (strcasecmp(part, "INBOX") != 0 && !store_dir_exists(dir) &&
		        store_folder_init(st, account, part) < 0)
			return -1;
	}
	return store_folder_init(st, account, name);
}

int
store_mailbox_delete(
        struct store *st, const char *account, const char *name, struct store_changes *ch)
{
	char dir[STORE_PATH_MAX], parent[STORE_PATH_MAX];
	struct store_mailbox *mb;
	int64_t freed = 0;
	int rc;

	if (strcasecmp(name, "INBOX") == 0) {
		errno = EPERM;
		return -1;
	}
	if (store_mailbox_dir(st, account, name, dir, sizeof(dir)) < 0 ||
	        store_account_dir(st, account, parent, sizeof(parent)) < 0 ||
	        store_mailbox_get(st, account, name, true, &mb) < 0)
		return -1;
	pthread_mutex_lock(&mb->lock);
	if (store_mbox_load(mb, NULL) == 0)
		for (size_t i = 0; i < mb->idx.count; i++)
			freed += (int64_t)mb->idx.entries[i].size;
	store_forget_mailboxes(st, account, mb->name);
	rc = store_hide_dir(dir, parent, "chatrelay-deleted-");
	if (rc == 0) {
		store_quota_add(st, account, -freed);
		store_index_reset(&mb->idx);
		mb->is_loaded = false;
		store_changes_emit_account(
		        st, ch, account, mb->name, NULL, BUS_EVENT_MAILBOX_DELETED);
	}
	pthread_mutex_unlock(&mb->lock);
	store_mailbox_close(&mb);
	return rc;
}

static int
store_name_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;

	/* INBOX first, the rest in octet order. */
	if (strcmp(x, "INBOX") == 0 || strcmp(y, "INBOX") == 0)
		return strcmp(y, "INBOX") == 0 ? (strcmp(x, "INBOX") != 0) : -1;
	return strcmp(x, y);
}

static int
store_names_push(char ***v, size_t *n, const char *s)
{
	char **nv;

	if (*n >= STORE_MAILBOXES_MAX) {
		errno = EMLINK;
		return -1;
	}
	nv = realloc(*v, (*n + 1) * sizeof(char *));
	if (nv == NULL)
		return -1;
	*v = nv;
	if ((nv[*n] = strdup(s)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

int
store_mailbox_list(struct store *st, const char *account, char ***names_r, size_t *n_r)
{
	char dir[STORE_PATH_MAX], sub[STORE_PATH_MAX];
	struct dirent *de;
	char **v = NULL;
	size_t n = 0;
	DIR *d;

	if (store_account_dir(st, account, dir, sizeof(dir)) < 0 || (d = opendir(dir)) == NULL)
		return -1;
	int rc = store_names_push(&v, &n, "INBOX");

	while (rc == 0 && (de = readdir(d)) != NULL) {
		const char *name = de->d_name + 1;

		if (de->d_name[0] != '.' || !store_mailbox_valid_name(name) ||
		        strcasecmp(name, "INBOX") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		if (store_dir_exists(sub))
			rc = store_names_push(&v, &n, name);
	}
	closedir(d);
	if (rc < 0) {
		store_names_free(v, n);
		return -1;
	}
	qsort(v, n, sizeof(*v), store_name_cmp);
	*names_r = v;
	*n_r = n;
	return 0;
}

/* store_rename_inbox - IMAP-26 / RFC 3501: move every INBOX message into a new mailbox. */
static int
store_rename_inbox(struct store *st, const char *account, const char *to, struct store_changes *ch)
{
	struct store_mailbox *src = NULL, *dst = NULL;
	struct store_snapshot snap = {0};
	uint32_t *uids = NULL, *a = NULL, *b = NULL;
	size_t copied;
	int rc = -1;

	if (store_mailbox_create(st, account, to) < 0 ||
	        store_mailbox_open(st, account, "INBOX", &src) < 0 ||
	        store_mailbox_open(st, account, to, &dst) < 0 ||
	        store_mailbox_snapshot(src, ch, &snap) < 0)
		goto out;
	uids = calloc(snap.count + 1, sizeof(*uids));
	a = calloc(snap.count + 1, sizeof(*a));
	b = calloc(snap.count + 1, sizeof(*b));
	if (uids == NULL || a == NULL || b == NULL)
		goto out;
	for (size_t i = 0; i < snap.count; i++)
		uids[i] = snap.msgs[i].uid;
	rc = store_mailbox_copy(src, dst, uids, snap.count, true, 0, ch, a, b, &copied);
out:
	free(uids);
	free(a);
	free(b);
	store_snapshot_free(&snap);
	store_mailbox_close(&src);
	store_mailbox_close(&dst);
	return rc;
}

/* store_forget_prefix - cached objects of from and its children become stale. */
static void
store_forget_prefix(struct store *st, const char *account, const char *from)
{
	size_t fl = strlen(from);

	pthread_mutex_lock(&st->lock);
	for (size_t i = 0; i < STORE_BUCKETS; i++) {
		struct store_mailbox *mb = st->mboxes[i], *next;

		for (; mb != NULL; mb = next) {
			next = mb->hnext;
			if (strcmp(mb->account, account) != 0 || strncmp(mb->name, from, fl) != 0 ||
			        (mb->name[fl] != '\0' && mb->name[fl] != '.'))
				continue;
			/* Sessions holding it get ENOENT and reopen under the new name. */
			store_mailbox_forget(mb);
		}
	}
	pthread_mutex_unlock(&st->lock);
}

/* store_rename_parents - IMAP-26 / RFC 3501 6.3.5: missing superiors of to are created. */
static int
store_rename_parents(struct store *st, const char *account, const char *to)
{
	char part[STORE_MAILBOX_NAME_MAX + 1], dir[STORE_PATH_MAX];
	const char *dot = strrchr(to, '.');

	if (dot == NULL)
		return 0;
	snprintf(part, sizeof(part), "%.*s", (int)(dot - to), to);
	if (store_mailbox_dir(st, account, part, dir, sizeof(dir)) < 0)
		return -1;
	if (strcasecmp(part, "INBOX") == 0 || store_dir_exists(dir))
		return 0;
	return store_mailbox_create(st, account, part);
}

int
store_mailbox_rename(struct store *st, const char *account, const char *from, const char *to,
        struct store_changes *ch)
{
	char fdir[STORE_PATH_MAX], tdir[STORE_PATH_MAX], nn[STORE_MAILBOX_NAME_MAX + 2];
	char **names = NULL;
	size_t n = 0, fl = strlen(from);
	int rc = 0;

	if (store_mailbox_dir(st, account, to, tdir, sizeof(tdir)) < 0)
		return -1;
	if (strcasecmp(to, "INBOX") == 0 || store_dir_exists(tdir)) {
		errno = EEXIST;
		return -1;
	}
	if (store_mailbox_dir(st, account, from, fdir, sizeof(fdir)) < 0 ||
	        !store_dir_exists(fdir)) {
		errno = ENOENT;
		return -1;
	}
	if (strcasecmp(from, "INBOX") == 0)
		return store_rename_inbox(st, account, to, ch);
	if (strncmp(to, from, fl) == 0 && to[fl] == '.') {
		errno = EINVAL; /* under itself */
		return -1;
	}
	if (store_mailbox_list(st, account, &names, &n) < 0 ||
	        store_rename_parents(st, account, to) < 0) {
		store_names_free(names, n);
		return -1;
	}
	store_forget_prefix(st, account, from);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (strncmp(names[i], from, fl) != 0 ||
		        (names[i][fl] != '\0' && names[i][fl] != '.'))
			continue;
		if ((size_t)snprintf(nn, sizeof(nn), "%s%s", to, names[i] + fl) >
		                STORE_MAILBOX_NAME_MAX ||
		        store_mailbox_dir(st, account, names[i], fdir, sizeof(fdir)) < 0 ||
		        store_mailbox_dir(st, account, nn, tdir, sizeof(tdir)) < 0 ||
		        rename(fdir, tdir) < 0) {
			if (errno == 0)
				errno = EINVAL;
			rc = -1;
			break;
		}
		store_changes_emit_account(
		        st, ch, account, names[i], nn, BUS_EVENT_MAILBOX_RENAMED);
	}
	if (rc == 0 && st->do_fsync && store_account_dir(st, account, fdir, sizeof(fdir)) == 0)
		rc = fs_fsync_dir(fdir);
	store_names_free(names, n);
	return rc;
}

/* ---- subscriptions (IMAP-27) ---- */

static int
store_subs_read(struct store *st, const char *account, char ***v, size_t *n)
{
	char path[STORE_PATH_MAX], line[STORE_MAILBOX_NAME_MAX + 2];
	FILE *f;
	int rc = 0;

	*v = NULL;
	*n = 0;
	if (store_account_dir(st, account, path, sizeof(path)) < 0)
		return -1;
	strncat(path, "/" STORE_SUBS_FILE, sizeof(path) - strlen(path) - 1);
	f = fopen(path, "re");
	if (f == NULL)
		return errno == ENOENT ? 0 : -1;
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL && *n < STORE_SUBSCRIPTIONS_MAX) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] != '\0')
			rc = store_names_push(v, n, line);
	}
	fclose(f);
	return rc;
}

static int
store_subs_write(struct store *st, const char *account, char **v, size_t n)
{
	char dir[STORE_PATH_MAX], path[STORE_PATH_MAX], tmp[STORE_PATH_MAX];
	FILE *f;
	int rc = 0;

	if (store_account_dir(st, account, dir, sizeof(dir)) < 0)
		return -1;
	if (!store_dir_exists(dir) && store_account_create(st, account) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, STORE_SUBS_FILE);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (f == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (fprintf(f, "%s\n", v[i]) < 0)
			rc = -1;
	if (fflush(f) != 0 || (st->do_fsync && fsync(fileno(f)) < 0))
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	if (rc == 0 && (rename(tmp, path) < 0 || (st->do_fsync && fs_fsync_dir(dir) < 0)))
		rc = -1;
	if (rc < 0)
		unlink(tmp);
	return rc;
}

int
store_subscribe(struct store *st, const char *account, const char *name, bool on)
{
	char **v;
	size_t n, at = SIZE_MAX;
	int rc;

	if (strlen(name) > STORE_MAILBOX_NAME_MAX || strchr(name, '\n') != NULL) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&st->sublock);
	rc = store_subs_read(st, account, &v, &n);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (strcmp(v[i], name) == 0)
			at = i;
	if (rc == 0 && on && at == SIZE_MAX) {
		rc = store_names_push(&v, &n, name);
		if (rc == 0)
			rc = store_subs_write(st, account, v, n);
	} else if (rc == 0 && !on) {
		if (at == SIZE_MAX) {
			errno = ENOENT;
			rc = -1;
		} else {
			free(v[at]);
			v[at] = v[--n];
			rc = store_subs_write(st, account, v, n);
		}
	}
	store_names_free(v, n);
	pthread_mutex_unlock(&st->sublock);
	return rc;
}

int
store_subscriptions(struct store *st, const char *account, char ***names_r, size_t *n_r)
{
	int rc;

	pthread_mutex_lock(&st->sublock);
	rc = store_subs_read(st, account, names_r, n_r);
	pthread_mutex_unlock(&st->sublock);
	if (rc == 0 && *n_r > 0)
		qsort(*names_r, *n_r, sizeof(char *), store_name_cmp);
	return rc;
}
