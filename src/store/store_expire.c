/*
 * store_expire.c - the expiry job (EXP-1..4, EXP-6): old messages, large
 * seen messages, tmp/ leftovers, then the quota trim, account by account.
 *
 * Runs on workers, one job per account, so deliveries and sessions
 * interleave; removals are ordinary expunges (events, quota). Times come
 * from the store clock (tests inject one). Logs only counts (LOG-3).
 * Inactive accounts (EXP-5) are the caller's: it owns the account list and
 * calls store_account_delete().
 */
#include "store/store_int.h"

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core_conf.h"
#include "core/core_log.h"

#define STORE_DAY 86400L

struct store_expire {
	struct event *timer; /* owned */
	char **accounts;     /* owned: this run's list */
	size_t count, next;
	struct store_expire_stats stats;
	bool is_running;
	bool is_stopped; /* shutdown: no re-arming */
};

int
store_accounts_list(struct store *st, char ***names_r, size_t *n_r)
{
	DIR *d = opendir(st->root);
	struct dirent *de;
	char **v = NULL;
	size_t n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char **nv;

		if (de->d_name[0] == '.' || !store_account_exists(st, de->d_name))
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (nv == NULL || (nv[n] = strdup(de->d_name)) == NULL) {
			closedir(d);
			store_names_free(nv != NULL ? nv : v, n);
			return -1;
		}
		v = nv;
		n++;
	}
	closedir(d);
	for (size_t i = 1; i < n; i++) /* few hundred names: insertion sort is fine */
		for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
			char *t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	*names_r = v;
	*n_r = n;
	return 0;
}

/* store_expire_tmp - EXP-4: tmp/ files older than 36 h. */
static unsigned long
store_expire_tmp(struct store *st, const char *dir, time_t now)
{
	char p[STORE_PATH_MAX];
	struct dirent *de;
	unsigned long n = 0;
	DIR *d;

	snprintf(p, sizeof(p), "%s/tmp", dir);
	if ((d = opendir(p)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char f[STORE_PATH_MAX];
		struct stat sb;

		if (de->d_name[0] == '.')
			continue;
		snprintf(f, sizeof(f), "%s/%s", p, de->d_name);
		if (stat(f, &sb) == 0 && S_ISREG(sb.st_mode) &&
		        sb.st_mtime < now - STORE_TMP_MAX_AGE && unlink(f) == 0)
			n++;
	}
	closedir(d);
	(void)st;
	return n;
}

/*
 * store_expire_leftovers - directories a crash left behind while being
 * removed (store_folder.c renames them away first, then deletes them).
 */
static void
store_expire_leftovers(const char *dir, const char *prefix)
{
	size_t pl = strlen(prefix);
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char p[STORE_PATH_MAX];

		if (strncmp(de->d_name, prefix, pl) != 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (store_rmtree(p) < 0)
			log_warn("expiry: cannot remove a deleted maildir: %s", strerror(errno));
	}
	closedir(d);
}

/* store_expire_pick - EXP-2 and EXP-3 over one snapshot. */
static size_t
store_expire_pick(struct store *st, const struct store_snapshot *snap, time_t now, uint32_t *uids,
        struct store_expire_stats *stats)
{
	const struct conf *c = st->conf;
	size_t k = 0;

	for (size_t i = 0; i < snap->count; i++) {
		const struct store_msg *m = &snap->msgs[i];

		if (c->delete_mails_after > 0 &&
		        m->internaldate < now - c->delete_mails_after * STORE_DAY) {
			uids[k++] = m->uid;
			stats->old++;
		} else if (c->delete_large_after > 0 && m->size > c->delete_large_min_size &&
		        m->internaldate < now - c->delete_large_after * STORE_DAY &&
		        strstr(m->path, "/cur/") != NULL) {
			uids[k++] = m->uid; /* seen by a client: it left new/ */
			stats->large++;
		}
	}
	return k;
}

static void
store_expire_mailbox(struct store *st, const char *account, const char *name, time_t now,
        struct store_changes *ch, struct store_expire_stats *stats)
{
	struct store_mailbox *mb;
	struct store_snapshot snap;
	uint32_t *uids;

	if (store_mailbox_open(st, account, name, &mb) < 0)
		return;
	stats->tmp += store_expire_tmp(st, mb->dir, now);
	if (store_mailbox_snapshot(mb, ch, &snap) == 0) {
		uids = malloc((snap.count + 1) * sizeof(*uids));
		if (uids != NULL) {
			size_t k = store_expire_pick(st, &snap, now, uids, stats);

			if (k > 0)
				store_mailbox_expunge(mb, uids, k, false, ch, NULL, NULL);
			free(uids);
		}
		store_snapshot_free(&snap);
	}
	store_mailbox_close(&mb);
}

int
store_expire_account(struct store *st, const char *account, struct store_changes *ch,
        struct store_expire_stats *stats)
{
	time_t now = store_now(st);
	char **names;
	size_t n;
	long trimmed;

	char dir[STORE_PATH_MAX];

	if (store_mailbox_list(st, account, &names, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		store_expire_mailbox(st, account, names[i], now, ch, stats);
	if (store_account_dir(st, account, dir, sizeof(dir)) == 0)
		store_expire_leftovers(dir, "chatrelay-deleted-");
	store_names_free(names, n);
	/* EXP-6: the trim runs after the other rules. */
	trimmed = store_quota_trim(st, account, store_limit_of(st, account), ch);
	if (trimmed > 0)
		stats->trimmed += (unsigned long)trimmed;
	stats->accounts_seen++;
	return 0;
}

int
store_expire_run(struct store *st, struct store_changes *ch, struct store_expire_stats *stats)
{
	char **accounts;
	size_t n;

	memset(stats, 0, sizeof(*stats));
	store_expire_leftovers(st->root, ".chatrelay-deleted-");
	if (store_accounts_list(st, &accounts, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		store_expire_account(st, accounts[i], ch, stats);
	store_names_free(accounts, n);
	return 0;
}

/* ---- the scheduled job (EXP-1), loop side ---- */

static void store_expire_next(struct store *st);

static void
store_expire_account_work(struct store *st, void *arg, struct store_changes *ch)
{
	struct store_expire *e = st->expire;

	(void)arg;
	/* The loop leaves e alone while is_running; this job is the only writer. */
	store_expire_account(st, e->accounts[e->next], ch, &e->stats);
}

static void
store_expire_account_done(void *arg, uint64_t requester_id)
{
	struct store *st = arg;

	(void)requester_id;
	st->expire->next++;
	store_expire_next(st);
}

static void
store_expire_list_work(struct store *st, void *arg, struct store_changes *ch)
{
	struct store_expire *e = st->expire;

	(void)arg;
	(void)ch;
	store_expire_leftovers(st->root, ".chatrelay-deleted-");
	if (store_accounts_list(st, &e->accounts, &e->count) < 0) {
		e->accounts = NULL;
		e->count = 0;
	}
}

static void
store_expire_list_done(void *arg, uint64_t requester_id)
{
	(void)requester_id;
	store_expire_next(arg);
}

static void
store_expire_finish(struct store *st)
{
	struct store_expire *e = st->expire;
	struct timeval tv = {st->conf->expire_interval > 0 ? st->conf->expire_interval : 86400, 0};

	log_info("expiry removed %lu old, %lu large, %lu tmp files, %lu by quota trim; "
	         "accounts=%lu",
	        e->stats.old, e->stats.large, e->stats.tmp, e->stats.trimmed,
	        e->stats.accounts_seen);
	store_names_free(e->accounts, e->count);
	e->accounts = NULL;
	e->count = e->next = 0;
	e->is_running = false;
	if (!e->is_stopped)
		evtimer_add(e->timer, &tv);
}

static void
store_expire_next(struct store *st)
{
	struct store_expire *e = st->expire;

	if (e->next >= e->count ||
	        store_submit(st, 0, store_expire_account_work, store_expire_account_done, st) < 0)
		store_expire_finish(st);
}

static void
store_expire_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct store *st = arg;
	struct store_expire *e = st->expire;

	(void)fd;
	(void)what;
	if (e->is_running)
		return;
	e->is_running = true;
	memset(&e->stats, 0, sizeof(e->stats));
	e->next = 0;
	if (store_submit(st, 0, store_expire_list_work, store_expire_list_done, st) < 0)
		store_expire_finish(st);
}

int
store_expire_schedule(struct store *st, struct event_base *base, long first_delay)
{
	struct timeval tv = {first_delay, 0};

	if (st->expire == NULL && (st->expire = calloc(1, sizeof(*st->expire))) == NULL)
		return -1;
	if (st->expire->timer == NULL &&
	        (st->expire->timer = evtimer_new(base, store_expire_timer_cb, st)) == NULL)
		return -1;
	return evtimer_add(st->expire->timer, &tv);
}

void
store_expire_stop(struct store *st)
{
	if (st->expire == NULL)
		return;
	st->expire->is_stopped = true;
	if (st->expire->timer != NULL)
		evtimer_del(st->expire->timer);
}

void
store_expire_free(struct store *st)
{
	struct store_expire *e = st->expire;

	if (e == NULL)
		return;
	if (e->timer != NULL)
		event_free(e->timer);
	store_names_free(e->accounts, e->count);
	free(e);
	st->expire = NULL;
}
