/*
 * store.c - the store object: paths, names, the table of cached mailboxes
 * and the per-account mailbox operations (STORE-1, IMAP-23..28).
 *
 * Responsible for mapping accounts and IMAP mailbox names to Maildir++
 * directories safely (no name can escape the account directory) and for
 * sharing one cached struct store_mailbox per mailbox between threads.
 * Does not parse IMAP syntax (modified UTF-7 is checked by imap/).
 */
#include "store/store_int.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core_conf.h"
#include "core/core_fs.h"
#include "core/core_log.h"
#include "core/core_str.h"

size_t
store_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % STORE_BUCKETS;
}

uint32_t
store_random_uidvalidity(void)
{
	uint32_t v = 0;

	/* IMAP-53: random, non-zero, from the kernel CSPRNG. */
	while (v == 0)
		if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
			v = (uint32_t)time(NULL) ^ (uint32_t)getpid();
	return v;
}

/* store_escape_host - STORE-2: '/' and ':' in the hostname as \057 and \072. */
static void
store_escape_host(const char *h, char *buf, size_t len)
{
	size_t o = 0;

	for (; *h != '\0' && o + 5 < len; h++) {
		if (*h == '/' || *h == ':')
			o += (size_t)snprintf(buf + o, len - o, "\\%03o", (unsigned char)*h);
		else
			buf[o++] = *h;
	}
	buf[o] = '\0';
}

struct store *
store_new(const struct conf *conf, struct worker_pool *workers, struct bus *bus)
{
	struct store *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return NULL;
	st->conf = conf;
	st->workers = workers;
	st->bus = bus;
	st->do_fsync = true;
	st->pid = getpid();
	pthread_mutex_init(&st->lock, NULL);
	pthread_mutex_init(&st->sublock, NULL);
	store_escape_host(
	        conf->hostname != NULL ? conf->hostname : "localhost", st->host, sizeof(st->host));
	if (str_printf(&st->root, "%s/mail/%s", conf->data_dir, conf->mail_domain) < 0 ||
	        fs_mkdir_p(st->root, 0700) < 0) {
		int saved = errno;

		store_free(&st);
		errno = saved;
		return NULL;
	}
	return st;
}

/* store_mailbox_destroy - free an unreferenced mailbox object. */
static void
store_mailbox_destroy(struct store_mailbox *mb)
{
	store_index_reset(&mb->idx);
	pthread_mutex_destroy(&mb->lock);
	pthread_mutex_destroy(&mb->qlock);
	free(mb->account);
	free(mb->name);
	free(mb->dir);
	free(mb);
}

void
store_free(struct store **stp)
{
	struct store *st = *stp;

	if (st == NULL)
		return;
	store_expire_free(st);
	store_changes_shutdown(st);
	for (size_t i = 0; i < STORE_BUCKETS; i++) {
		while (st->mboxes[i] != NULL) {
			struct store_mailbox *mb = st->mboxes[i];

			/* Handles still open are a caller bug; free the cache anyway. */
			st->mboxes[i] = mb->hnext;
			store_mailbox_destroy(mb);
		}
		while (st->accounts[i] != NULL) {
			struct store_account *a = st->accounts[i];

			st->accounts[i] = a->hnext;
			free(a->name);
			free(a);
		}
	}
	for (size_t i = 0; i < st->trimming_count; i++)
		free(st->trimming[i]);
	free(st->trimming);
	pthread_mutex_destroy(&st->lock);
	pthread_mutex_destroy(&st->sublock);
	free(st->root);
	free(st);
	*stp = NULL;
}

void
store_set_fsync(struct store *st, bool do_fsync)
{
	st->do_fsync = do_fsync;
}

void
store_set_clock(struct store *st, store_clock_fn *fn, void *ctx)
{
	st->clock = fn;
	st->clock_ctx = ctx;
}

void
store_set_limit(struct store *st, store_limit_fn *fn, void *ctx)
{
	st->limit = fn;
	st->limit_ctx = ctx;
}

time_t
store_now(const struct store *st)
{
	return st->clock != NULL ? st->clock(st->clock_ctx) : time(NULL);
}

/* store_account_valid - an address usable as one directory name under the root. */
bool
store_account_valid(const char *account)
{
	size_t n = strlen(account);

	if (n == 0 || n > STORE_ACCOUNT_MAX || account[0] == '.')
		return false;
	for (const char *p = account; *p != '\0'; p++)
		if (*p == '/' || (unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

int
store_account_dir(const struct store *st, const char *account, char *buf, size_t len)
{
	if (!store_account_valid(account) ||
	        (size_t)snprintf(buf, len, "%s/%s", st->root, account) >= len) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

bool
store_mailbox_valid_name(const char *name)
{
	size_t n = strlen(name);

	/* IMAP-14 (file-system part): no empty component, no '/', '\' or controls. */
	if (n == 0 || n > STORE_MAILBOX_NAME_MAX || name[0] == '.' || name[n - 1] == '.' ||
	        strstr(name, "..") != NULL)
		return false;
	for (const char *p = name; *p != '\0'; p++)
		if (*p == '/' || *p == '\\' || (unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static bool
store_is_inbox(const char *name)
{
	return strcasecmp(name, "INBOX") == 0;
}

int
store_mailbox_dir(
        const struct store *st, const char *account, const char *name, char *buf, size_t len)
{
	int n;

	if (!store_account_valid(account) ||
	        (!store_is_inbox(name) && !store_mailbox_valid_name(name))) {
		errno = EINVAL;
		return -1;
	}
	if (store_is_inbox(name))
		n = snprintf(buf, len, "%s/%s", st->root, account);
	else
		n = snprintf(buf, len, "%s/%s/.%s", st->root, account, name);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* store_maildir_exists - a maildir is there when its cur/ is. */
static bool
store_maildir_exists(const char *dir)
{
	char p[STORE_PATH_MAX];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/cur", dir);
	return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

void
store_mailbox_ref(struct store_mailbox *mb)
{
	pthread_mutex_lock(&mb->st->lock);
	mb->refs++;
	pthread_mutex_unlock(&mb->st->lock);
}

static struct store_mailbox *
store_mailbox_alloc(struct store *st, const char *account, const char *name, const char *dir)
{
	struct store_mailbox *mb = calloc(1, sizeof(*mb));

	if (mb == NULL)
		return NULL;
	mb->st = st;
	mb->account = strdup(account);
	mb->name = strdup(store_is_inbox(name) ? "INBOX" : name);
	mb->dir = strdup(dir);
	if (mb->account == NULL || mb->name == NULL || mb->dir == NULL) {
		free(mb->account);
		free(mb->name);
		free(mb->dir);
		free(mb);
		return NULL;
	}
	pthread_mutex_init(&mb->lock, NULL);
	pthread_mutex_init(&mb->qlock, NULL);
	store_index_init(&mb->idx);
	mb->refs = 1;
	return mb;
}

/*
 * store_mailbox_get - the shared cached mailbox for account/name, with a
 * reference. must_exist: ENOENT when its maildir is missing.
 */
int
store_mailbox_get(struct store *st, const char *account, const char *name, bool must_exist,
        struct store_mailbox **mb_r)
{
	char dir[STORE_PATH_MAX];
	const char *norm = store_is_inbox(name) ? "INBOX" : name;
	struct store_mailbox *mb;
	size_t h;

	if (store_mailbox_dir(st, account, name, dir, sizeof(dir)) < 0)
		return -1;
	if (must_exist && !store_maildir_exists(dir)) {
		errno = ENOENT;
		return -1;
	}
	h = store_hash(dir);
	pthread_mutex_lock(&st->lock);
	for (mb = st->mboxes[h]; mb != NULL; mb = mb->hnext)
		if (strcmp(mb->dir, dir) == 0 && strcmp(mb->name, norm) == 0)
			break;
	if (mb != NULL) {
		mb->refs++;
	} else if ((mb = store_mailbox_alloc(st, account, name, dir)) != NULL) {
		mb->is_listed = true;
		mb->hnext = st->mboxes[h];
		st->mboxes[h] = mb;
		st->mbox_count++;
	}
	pthread_mutex_unlock(&st->lock);
	if (mb == NULL)
		return -1;
	*mb_r = mb;
	return 0;
}

/* store_mailbox_unlist - take mb out of the table (deleted/renamed); st->lock held. */
void
store_mailbox_unlist(struct store_mailbox *mb)
{
	struct store_mailbox **pp;

	if (!mb->is_listed)
		return;
	for (pp = &mb->st->mboxes[store_hash(mb->dir)]; *pp != NULL; pp = &(*pp)->hnext) {
		if (*pp == mb) {
			*pp = mb->hnext;
			break;
		}
	}
	mb->is_listed = false;
	mb->st->mbox_count--;
}

static void store_mailbox_destroy(struct store_mailbox *mb);

/* store_mailbox_forget - st->lock held: mark deleted, unlist, free if unreferenced. */
void
store_mailbox_forget(struct store_mailbox *mb)
{
	mb->is_deleted = true; /* a stale false elsewhere only delays ENOENT */
	store_mailbox_unlist(mb);
	if (mb->refs == 0)
		store_mailbox_destroy(mb);
}

int
store_mailbox_open(
        struct store *st, const char *account, const char *name, struct store_mailbox **mb_r)
{
	struct store_mailbox *mb;

	if (store_mailbox_get(st, account, name, true, &mb) < 0)
		return -1;
	pthread_mutex_lock(&mb->lock);
	int rc = store_mbox_load(mb, NULL);
	pthread_mutex_unlock(&mb->lock);
	if (rc < 0) {
		int saved = errno;

		store_mailbox_close(&mb);
		errno = saved;
		return -1;
	}
	*mb_r = mb;
	return 0;
}

void
store_mailbox_close(struct store_mailbox **mbp)
{
	struct store_mailbox *mb = *mbp;
	bool is_last;

	if (mb == NULL)
		return;
	*mbp = NULL;
	pthread_mutex_lock(&mb->st->lock);
	/*
	 * Unreferenced mailboxes stay cached (a delivery then need not re-read
	 * the index) until the cache is full; deleted ones go at once.
	 */
	is_last =
	        --mb->refs == 0 && (!mb->is_listed || mb->st->mbox_count > STORE_MAILBOX_CACHE_MAX);
	if (is_last)
		store_mailbox_unlist(mb);
	pthread_mutex_unlock(&mb->st->lock);
	if (is_last)
		store_mailbox_destroy(mb);
}

const char *
store_mailbox_name(const struct store_mailbox *mb)
{
	return mb->name;
}

const char *
store_mailbox_account(const struct store_mailbox *mb)
{
	return mb->account;
}

static int
store_rmtree_cb(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (type == FTW_DP)
		return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* store_rmtree - remove a directory tree without following symlinks. */
int
store_rmtree(const char *path)
{
	return nftw(path, store_rmtree_cb, 16, FTW_DEPTH | FTW_PHYS);
}

void
store_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
