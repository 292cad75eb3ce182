/*
 * store_quota.c - per-account usage in memory, its rebuild from disk and
 * the quota trim (QUOTA-1..5).
 *
 * Usage is the sum of the indexed sizes of all mailboxes of an account,
 * kept up to date by every commit (delivery, append, copy, expunge, sync,
 * expiry). Reads never touch the disk, so SMTP RCPT and IMAP APPEND checks
 * can run on the loop thread.
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_conf.h"
#include "core/core_log.h"

/* store_account_find - the usage record of account; create it when asked. st->lock held. */
static struct store_account *
store_account_find(struct store *st, const char *account, bool create)
{
	size_t h = store_hash(account);
	struct store_account *a;

	for (a = st->accounts[h]; a != NULL; a = a->hnext)
		if (strcmp(a->name, account) == 0)
			return a;
	if (!create || (a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	if ((a->name = strdup(account)) == NULL) {
		free(a);
		return NULL;
	}
	a->hnext = st->accounts[h];
	st->accounts[h] = a;
	return a;
}

void
store_quota_add(struct store *st, const char *account, int64_t delta)
{
	struct store_account *a;

	pthread_mutex_lock(&st->lock);
	a = store_account_find(st, account, true);
	if (a != NULL) {
		if (delta < 0 && (uint64_t)-delta > a->usage)
			a->usage = 0;
		else
			a->usage += (uint64_t)delta;
	}
	pthread_mutex_unlock(&st->lock);
}

static void
store_quota_set(struct store *st, const char *account, uint64_t usage)
{
	struct store_account *a;

	pthread_mutex_lock(&st->lock);
	a = store_account_find(st, account, true);
	if (a != NULL)
		a->usage = usage;
	pthread_mutex_unlock(&st->lock);
}

void
store_quota_forget(struct store *st, const char *account)
{
	struct store_account **pp;

	pthread_mutex_lock(&st->lock);
	for (pp = &st->accounts[store_hash(account)]; *pp != NULL; pp = &(*pp)->hnext) {
		if (strcmp((*pp)->name, account) == 0) {
			struct store_account *a = *pp;

			*pp = a->hnext;
			free(a->name);
			free(a);
			break;
		}
	}
	pthread_mutex_unlock(&st->lock);
}

uint64_t
store_quota_usage(struct store *st, const char *account)
{
	struct store_account *a;
	uint64_t u = 0;

	pthread_mutex_lock(&st->lock);
	a = store_account_find(st, account, false);
	if (a != NULL)
		u = a->usage;
	pthread_mutex_unlock(&st->lock);
	return u;
}

bool
store_quota_would_exceed(
        struct store *st, const char *account, uint64_t size, bool size_known, uint64_t limit)
{
	uint64_t u;

	if (limit == 0)
		return false;
	u = store_quota_usage(st, account);
	return size_known ? u + size > limit : u >= limit;
}

uint64_t
store_limit_of(struct store *st, const char *account)
{
	return st->limit != NULL ? st->limit(st->limit_ctx, account) : st->conf->max_mailbox_size;
}

void
store_quota_check_trim(struct store *st, const char *account, struct store_changes *ch)
{
	uint64_t limit = store_limit_of(st, account);

	if (limit != 0 &&
	        store_quota_usage(st, account) * 100 >
	                limit * (uint64_t)st->conf->quota_trim_threshold)
		store_changes_request_trim(ch, account);
}

/* store_quota_scan_account - sync every mailbox and sum their sizes. */
static int
store_quota_scan_account(struct store *st, const char *account, uint64_t *usage_r)
{
	char **names;
	size_t n;

	*usage_r = 0;
	if (store_mailbox_list(st, account, &names, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct store_mailbox *mb;
		struct store_status status;

		if (store_mailbox_open(st, account, names[i], &mb) < 0)
			continue;
		if (store_mailbox_status(mb, NULL, &status) == 0)
			*usage_r += status.bytes;
		store_mailbox_close(&mb);
	}
	store_names_free(names, n);
	return 0;
}

int
store_quota_rebuild(struct store *st)
{
	char **accounts;
	size_t n;
	uint64_t total = 0;

	if (store_accounts_list(st, &accounts, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		uint64_t usage;

		if (store_quota_scan_account(st, accounts[i], &usage) == 0) {
			store_quota_set(st, accounts[i], usage);
			total += usage;
		}
	}
	log_info("quota rebuilt: %zu accounts, %llu bytes", n, (unsigned long long)total);
	store_names_free(accounts, n);
	return 0;
}

/* A trim candidate: one message of one mailbox. */
struct store_trim_item {
	int64_t internaldate;
	uint64_t size;
	uint32_t uid;
	size_t mailbox;
};

static int
store_trim_cmp(const void *a, const void *b)
{
	const struct store_trim_item *x = a, *y = b;

	if (x->internaldate != y->internaldate)
		return x->internaldate < y->internaldate ? -1 : 1;
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* store_trim_collect - messages older than quota_trim_keep, over all mailboxes. */
static int
store_trim_collect(struct store *st, const char *account, char **names, size_t n,
        struct store_trim_item **v_r, size_t *k_r)
{
	time_t keep_from = store_now(st) - st->conf->quota_trim_keep;
	struct store_trim_item *v = NULL;
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		struct store_mailbox *mb;
		struct store_snapshot snap;

		if (store_mailbox_open(st, account, names[i], &mb) < 0)
			continue;
		if (store_mailbox_snapshot(mb, NULL, &snap) == 0) {
			struct store_trim_item *nv = realloc(v, (k + snap.count + 1) * sizeof(*v));

			if (nv != NULL) {
				v = nv;
				for (size_t j = 0; j < snap.count; j++)
					if (snap.msgs[j].internaldate < keep_from)
						v[k++] = (struct store_trim_item){
						        snap.msgs[j].internaldate,
						        snap.msgs[j].size, snap.msgs[j].uid, i};
			}
			store_snapshot_free(&snap);
		}
		store_mailbox_close(&mb);
	}
	if (k > 1)
		qsort(v, k, sizeof(*v), store_trim_cmp);
	*v_r = v;
	*k_r = k;
	return 0;
}

/* store_trim_remove - expunge the chosen items of mailbox i. */
static long
store_trim_remove(struct store *st, const char *account, const char *name,
        const struct store_trim_item *v, size_t k, size_t i, struct store_changes *ch)
{
	uint32_t *uids = malloc((k + 1) * sizeof(*uids));
	struct store_mailbox *mb;
	size_t m = 0, removed = 0;

	if (uids == NULL)
		return 0;
	for (size_t j = 0; j < k; j++)
		if (v[j].mailbox == i)
			uids[m++] = v[j].uid;
	if (m > 0 && store_mailbox_open(st, account, name, &mb) == 0) {
		store_mailbox_expunge(mb, uids, m, false, ch, NULL, &removed);
		store_mailbox_close(&mb);
	}
	free(uids);
	return (long)removed;
}

long
store_quota_trim(struct store *st, const char *account, uint64_t limit, struct store_changes *ch)
{
	uint64_t usage = store_quota_usage(st, account), target, freed = 0;
	struct store_trim_item *v = NULL;
	char **names;
	size_t n, k = 0, take = 0;
	long removed = 0;

	if (limit == 0 || usage * 100 <= limit * (uint64_t)st->conf->quota_trim_threshold)
		return 0;
	target = limit / 100 * (uint64_t)st->conf->quota_trim_target +
	        limit % 100 * (uint64_t)st->conf->quota_trim_target / 100;
	if (store_mailbox_list(st, account, &names, &n) < 0)
		return 0;
	store_trim_collect(st, account, names, n, &v, &k);
	/* QUOTA-5: oldest first until usage is at most the target. */
	while (take < k && usage - freed > target)
		freed += v[take++].size;
	for (size_t i = 0; i < n; i++)
		removed += store_trim_remove(st, account, names[i], v, take, i, ch);
	free(v);
	store_names_free(names, n);
	return removed;
}
