/*
 * meta.c - device tokens for METADATA and the trigger of push
 * notifications (SPEC META-5..7, PUSH-1, ACC-7, LOG-5).
 *
 * Loop thread only. Every database access is a worker job (db_token_*);
 * its completion finds struct meta again through a process-wide id (the
 * job may outlive it at shutdown) and always calls the caller's done.
 *
 * struct meta keeps in memory the set of accounts that may hold tokens
 * (loaded at start, grown by SETMETADATA): deliveries to other accounts
 * cost no database read, and each account in the set has a bus
 * subscription so its ACCOUNT_DELETED event removes its tokens (ACC-7).
 * The set is a superset: NIL and 410 leave the entry (harmless: the next
 * delivery reads no tokens).
 *
 * Does not: log tokens or addresses, write pending notifications anywhere
 * (meta_push.c keeps them in memory, LOG-6), speak IMAP (imap/ renders).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "bus/bus.h"
#include "core/core_conf.h"
#include "core/core_log.h"
#include "db/db.h"
#include "meta/meta.h"
#include "meta/meta_push.h"
#include "net/net_worker.h"

#define META_ACCT_HASH_SIZE 1024
/* META-7: expiry runs at start and then daily. */
#define META_EXPIRE_INTERVAL_S (24L * 3600)

struct meta_acct {
	char *account;          /* owned */
	struct bus_sub *sub;    /* owned subscription (ACCOUNT_DELETED) */
	struct meta_acct *next; /* owned chain */
};

struct meta {
	const struct conf *conf;     /* borrowed */
	struct db *db;               /* borrowed */
	struct worker_pool *workers; /* borrowed */
	struct bus *bus;             /* borrowed, may be NULL */
	struct event_base *base;     /* borrowed */
	uint64_t id;                 /* jobs find us by it */
	bool is_stopped;
	bool is_loaded;             /* accts holds every account with tokens */
	struct meta_push *push;     /* owned; NULL with push = no or after stop */
	struct event *expire_timer; /* owned */
	struct meta_acct *accts[META_ACCT_HASH_SIZE];
};

enum meta_job_kind {
	META_JOB_SET,
	META_JOB_DEL,
	META_JOB_GET,
	META_JOB_NOTIFY,
	META_JOB_DROP_ACCOUNT,
	META_JOB_GONE,
	META_JOB_EXPIRE,
	META_JOB_LOAD,
	META_JOB_ANSWER, /* no work: carries a preset status back asynchronously */
};

/* One worker job; strings owned; the result travels back in the same struct. */
struct meta_job {
	enum meta_job_kind kind;
	uint64_t meta_id;
	struct db *db; /* borrowed */
	char *account; /* owned */
	char *token;   /* owned (SET, GONE) */
	int64_t now;
	meta_done_fn *done; /* caller's (SET, DEL, GET) */
	bool wants_tokens;  /* GET: done receives the joined set */
	void *arg;
	enum meta_status status;
	char *joined; /* owned result: tokens joined by ' ' (GET, NOTIFY), or accounts by '\n' */
	size_t joined_len, joined_cap;
};

/* The live instance (one per process; tests create them one after another). */
static struct meta *meta_live;
static uint64_t meta_last_id;

/* meta_lookup - the meta a job belongs to, NULL if it went away. */
static struct meta *
meta_lookup(uint64_t id)
{
	return meta_live != NULL && meta_live->id == id ? meta_live : NULL;
}

enum meta_status
meta_token_check(const char *token, size_t len)
{
	if (len > META_TOKEN_MAX)
		return META_TOOBIG;
	if (len == 0)
		return META_INVALID;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)token[i] < '!' || (unsigned char)token[i] > '~')
			return META_INVALID;
	return META_OK;
}

/* ---- accounts that may hold tokens ---------------------------------------------------- */

static size_t
meta_acct_hash(const char *account)
{
	uint64_t h = 1469598103934665603ULL;

	for (const char *s = account; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)(h % META_ACCT_HASH_SIZE);
}

static struct meta_acct **
meta_acct_find(struct meta *m, const char *account)
{
	struct meta_acct **pp = &m->accts[meta_acct_hash(account)];

	while (*pp != NULL && strcmp((*pp)->account, account) != 0)
		pp = &(*pp)->next;
	return pp;
}

static void meta_bus_cb(const struct bus_event *ev, void *ctx);

/* meta_acct_add - remember account (and follow its deletion); out of memory is only logged. */
static void
meta_acct_add(struct meta *m, const char *account)
{
	struct meta_acct **pp = meta_acct_find(m, account), *a;

	if (*pp != NULL)
		return;
	a = calloc(1, sizeof(*a));
	if (a == NULL || (a->account = strdup(account)) == NULL) {
		free(a);
		log_error("meta: out of memory tracking an account");
		return;
	}
	if (m->bus != NULL)
		a->sub = bus_subscribe(m->bus, account, NULL, meta_bus_cb, m);
	*pp = a;
}

static void
meta_acct_remove(struct meta *m, const char *account)
{
	struct meta_acct **pp = meta_acct_find(m, account), *a = *pp;

	if (a == NULL)
		return;
	*pp = a->next;
	bus_unsubscribe(m->bus, &a->sub);
	free(a->account);
	free(a);
}

static void
meta_acct_clear(struct meta *m)
{
	for (size_t i = 0; i < META_ACCT_HASH_SIZE; i++)
		while (m->accts[i] != NULL)
			meta_acct_remove(m, m->accts[i]->account);
}

/* meta_bus_cb - ACC-7: the account is gone; so are its tokens and notifications. */
static void
meta_bus_cb(const struct bus_event *ev, void *ctx)
{
	if (ev->kind == BUS_EVENT_ACCOUNT_DELETED)
		meta_account_deleted(ctx, ev->account);
}

/* ---- jobs ------------------------------------------------------------------------------- */

static void
meta_job_free(struct meta_job *j)
{
	free(j->account);
	if (j->token != NULL) {
		memset(j->token, 0, strlen(j->token));
		free(j->token);
	}
	free(j->joined);
	free(j);
}

/* meta_job_append - add one string to the result, sep before all but the first. */
static int
meta_job_append(struct meta_job *j, const char *s, char sep)
{
	size_t len = strlen(s), need = j->joined_len + len + 2;

	if (need > j->joined_cap) {
		size_t cap = j->joined_cap ? j->joined_cap * 2 : 256;
		char *n;

		while (cap < need)
			cap *= 2;
		n = realloc(j->joined, cap);
		if (n == NULL)
			return -1;
		j->joined = n;
		j->joined_cap = cap;
	}
	if (j->joined_len > 0)
		j->joined[j->joined_len++] = sep;
	memcpy(j->joined + j->joined_len, s, len + 1);
	j->joined_len += len;
	return 0;
}

static int
meta_job_token_cb(const char *token, int64_t set_time, void *ctx)
{
	struct meta_job *j = ctx;

	(void)set_time;
	if (meta_job_append(j, token, ' ') < 0) {
		j->status = META_ERROR;
		return 1;
	}
	return 0;
}

static int
meta_job_account_cb(const char *account, void *ctx)
{
	return meta_job_token_cb(account, 0, ctx);
}

/* meta_job_work - the blocking part, on a worker thread. */
static void
meta_job_work(void *arg)
{
	struct meta_job *j = arg;
	/* META-7: only tokens set within 90 days and not from the future are used */
	int64_t lo = j->now - META_TOKEN_LIFETIME, hi = j->now + META_TOKEN_FUTURE_SKEW;
	int rc = 0;

	switch (j->kind) {
	case META_JOB_SET:
		rc = db_token_set(j->db, j->account, j->token, j->now, META_TOKENS_MAX);
		break;
	case META_JOB_DEL:
	case META_JOB_DROP_ACCOUNT: rc = db_token_del_all(j->db, j->account) < 0 ? -1 : 0; break;
	case META_JOB_GET:
	case META_JOB_NOTIFY:
		rc = db_token_list(j->db, j->account, lo, hi, meta_job_token_cb, j);
		break;
	case META_JOB_GONE: rc = db_token_del(j->db, j->account, j->token) < 0 ? -1 : 0; break;
	case META_JOB_EXPIRE: rc = db_token_expire(j->db, lo, hi) < 0 ? -1 : 0; break;
	case META_JOB_LOAD: rc = db_token_accounts(j->db, meta_job_account_cb, j); break;
	case META_JOB_ANSWER: break;
	}
	if (rc < 0)
		j->status = META_ERROR;
}

/* meta_job_notify_done - PUSH-1: one notification per token found. */
static void
meta_job_notify_done(struct meta *m, struct meta_job *j)
{
	char *save = NULL;

	if (m->push == NULL || j->joined == NULL)
		return;
	for (char *t = strtok_r(j->joined, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save))
		(void)meta_push_enqueue(m->push, j->account, t, strlen(t));
}

/* meta_job_load_done - the accounts holding tokens at start. */
static void
meta_job_load_done(struct meta *m, struct meta_job *j)
{
	char *save = NULL;

	if (j->status != META_OK)
		return; /* stay unloaded: every delivery reads the database */
	if (j->joined != NULL)
		for (char *a = strtok_r(j->joined, " ", &save); a != NULL;
		        a = strtok_r(NULL, " ", &save))
			meta_acct_add(m, a);
	m->is_loaded = true;
}

/* meta_job_done - on the loop: update our state if we still exist, answer the caller. */
static void
meta_job_done(void *arg, uint64_t requester_id)
{
	struct meta_job *j = arg;
	struct meta *m = meta_lookup(j->meta_id);

	if (m != NULL && j->status == META_OK) {
		if (j->kind == META_JOB_NOTIFY)
			meta_job_notify_done(m, j);
		else if (j->kind == META_JOB_LOAD)
			meta_job_load_done(m, j);
	}
	if (j->status != META_OK && j->done == NULL) /* callers report their own */
		log_warn("meta: token storage job failed kind=%d", (int)j->kind);
	if (j->done != NULL)
		j->done(j->status, j->wants_tokens ? (j->joined ? j->joined : "") : NULL,
		        requester_id, j->arg);
	meta_job_free(j);
}

/* meta_job_new - a job for account (may be NULL); NULL on out of memory. */
static struct meta_job *
meta_job_new(struct meta *m, enum meta_job_kind kind, const char *account)
{
	struct meta_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return NULL;
	j->kind = kind;
	j->meta_id = m->id;
	j->db = m->db;
	j->now = time(NULL);
	if (account != NULL && (j->account = strdup(account)) == NULL) {
		free(j);
		return NULL;
	}
	return j;
}

/* meta_job_submit - hand j to a worker; on failure j is freed and -1 returned. */
static int
meta_job_submit(struct meta *m, uint64_t requester_id, struct meta_job *j)
{
	if (worker_submit(m->workers, requester_id, meta_job_work, meta_job_done, j) < 0) {
		meta_job_free(j);
		return -1;
	}
	return 0;
}

/* meta_request - common path of the three caller-facing requests. */
static int
meta_request(
        struct meta *m, uint64_t requester_id, struct meta_job *j, meta_done_fn *done, void *arg)
{
	if (j == NULL) {
		errno = ENOMEM;
		return -1;
	}
	j->done = done;
	j->arg = arg;
	return meta_job_submit(m, requester_id, j);
}

int
meta_token_set(struct meta *m, uint64_t requester_id, const char *account, const char *token,
        size_t len, meta_done_fn *done, void *arg)
{
	enum meta_status st = meta_token_check(token, len);
	struct meta_job *j;

	if (st != META_OK || !m->conf->push) {
		/* META-6 errors, or META-5 with push = no: answered, nothing stored */
		j = meta_job_new(m, META_JOB_ANSWER, account);
		if (j != NULL)
			j->status = st;
		return meta_request(m, requester_id, j, done, arg);
	}
	j = meta_job_new(m, META_JOB_SET, account);
	if (j != NULL && (j->token = malloc(len + 1)) != NULL) {
		memcpy(j->token, token, len);
		j->token[len] = '\0';
	} else if (j != NULL) {
		meta_job_free(j);
		j = NULL;
	}
	/* before the write lands: a delivery racing with it must still read the database */
	meta_acct_add(m, account);
	return meta_request(m, requester_id, j, done, arg);
}

int
meta_token_del(
        struct meta *m, uint64_t requester_id, const char *account, meta_done_fn *done, void *arg)
{
	return meta_request(m, requester_id,
	        meta_job_new(m, m->conf->push ? META_JOB_DEL : META_JOB_ANSWER, account), done,
	        arg);
}

int
meta_token_get(
        struct meta *m, uint64_t requester_id, const char *account, meta_done_fn *done, void *arg)
{
	struct meta_job *j;

	/* push = no: nothing is stored, so the entry does not exist */
	j = meta_job_new(m, m->conf->push ? META_JOB_GET : META_JOB_ANSWER, account);
	if (j != NULL)
		j->wants_tokens = true;
	return meta_request(m, requester_id, j, done, arg);
}

void
meta_account_deleted(struct meta *m, const char *account)
{
	struct meta_job *j;

	if (m->push != NULL)
		meta_push_forget_account(m->push, account);
	meta_acct_remove(m, account);
	j = meta_job_new(m, META_JOB_DROP_ACCOUNT, account);
	if (j == NULL || meta_job_submit(m, 0, j) < 0)
		log_error("meta: cannot remove the tokens of a deleted account");
}

void
meta_notify(struct meta *m, const char *account, const char *sender)
{
	struct meta_job *j;

	if (m->is_stopped || m->push == NULL)
		return;
	/* PUSH-1: self-sent copies never notify */
	if (sender != NULL && strcasecmp(sender, account) == 0)
		return;
	if (m->is_loaded && *meta_acct_find(m, account) == NULL)
		return; /* no tokens: no database read */
	j = meta_job_new(m, META_JOB_NOTIFY, account);
	if (j == NULL || meta_job_submit(m, 0, j) < 0)
		log_warn("meta: push notification not scheduled (out of memory)");
}

void
meta_expire(struct meta *m, time_t now)
{
	struct meta_job *j;

	if (m->is_stopped)
		return;
	j = meta_job_new(m, META_JOB_EXPIRE, NULL);
	if (j == NULL)
		return;
	j->now = now;
	if (meta_job_submit(m, 0, j) < 0)
		log_warn("meta: token expiry not scheduled");
}

/* meta_gone_cb - PUSH-3: the push service says the token is dead (410). */
static void
meta_gone_cb(const char *account, const char *token, void *ctx)
{
	struct meta *m = ctx;
	struct meta_job *j = meta_job_new(m, META_JOB_GONE, account);

	if (j != NULL && (j->token = strdup(token)) == NULL) {
		meta_job_free(j);
		j = NULL;
	}
	if (j == NULL || meta_job_submit(m, 0, j) < 0)
		log_warn("meta: cannot remove a token the push service rejected");
}

static void
meta_expire_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	meta_expire(arg, time(NULL));
}

/* meta_start - first expiry, the daily timer and the account set (worker jobs). */
static int
meta_start(struct meta *m)
{
	const struct timeval day = {META_EXPIRE_INTERVAL_S, 0};
	struct meta_job *j;

	m->expire_timer = event_new(m->base, -1, EV_PERSIST, meta_expire_cb, m);
	if (m->expire_timer == NULL || event_add(m->expire_timer, &day) < 0)
		return -1;
	meta_expire(m, time(NULL));
	j = meta_job_new(m, META_JOB_LOAD, NULL);
	return j == NULL ? -1 : meta_job_submit(m, 0, j);
}

struct meta *
meta_new(const struct conf *conf, struct db *db, struct worker_pool *workers, struct bus *bus,
        struct event_base *base)
{
	struct meta *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->conf = conf;
	m->db = db;
	m->workers = workers;
	m->bus = bus;
	m->base = base;
	m->id = ++meta_last_id;
	meta_live = m;
	if (conf->push && conf->push_url != NULL && conf->push_url[0] != '\0') {
		m->push = meta_push_new(base, conf->push_url, meta_gone_cb, m);
		if (m->push == NULL) {
			meta_free(&m);
			errno = ENOMEM;
			return NULL;
		}
	}
	if (meta_start(m) < 0) {
		meta_free(&m);
		errno = ENOMEM;
		return NULL;
	}
	return m;
}

void
meta_stop(struct meta *m)
{
	if (m == NULL || m->is_stopped)
		return;
	m->is_stopped = true;
	meta_push_free(&m->push); /* PUSH-5: pending notifications are not kept */
	if (m->expire_timer != NULL)
		event_free(m->expire_timer);
	m->expire_timer = NULL;
}

void
meta_free(struct meta **mp)
{
	struct meta *m = *mp;

	if (m == NULL)
		return;
	meta_stop(m);
	meta_acct_clear(m);
	if (meta_live == m)
		meta_live = NULL;
	free(m);
	*mp = NULL;
}

void
meta_stats(const struct meta *m, struct meta_stats *s)
{
	struct meta_push_stats ps = {0};

	if (m->push != NULL)
		meta_push_get_stats(m->push, &ps);
	s->push_ok = ps.ok;
	s->push_gone = ps.gone;
	s->push_failed = ps.failed;
	s->push_dropped = ps.dropped;
	s->push_pending = ps.pending;
}
