/*
 * auth_session.c - the registry of authenticated sessions per account and
 * what happens on the loop when an account changes (ACC-6, ACC-7, AUTH-8,
 * FED-10): cache entries are dropped and sessions are closed through the
 * protocol's kick function (IMAP `* BYE Account deleted.`, SMTP 421).
 * Loop thread only; the last-login write goes to a worker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_address.h"
#include "auth/auth_cache.h"
#include "auth/auth_internal.h"
#include "auth/auth_map.h"
#include "core/core_log.h"
#include "db/db.h"
#include "net/net_server.h"
#include "net/net_worker.h"
#include "policy/policy_address.h"

struct auth_session_ref {
	uint64_t conn_id;
	auth_kick_fn *kick;
};

struct auth_sessions {
	size_t count, cap;
	struct auth_session_ref *refs; /* owned array */
};

void
auth_sessions_free(void *p)
{
	struct auth_sessions *s = p;

	if (s == NULL)
		return;
	free(s->refs);
	free(s);
}

int
auth_session_add(struct auth *a, const char *address, uint64_t conn_id, auth_kick_fn *kick)
{
	struct auth_sessions *s = auth_map_get(a->sessions, address);

	if (s == NULL) {
		s = calloc(1, sizeof(*s));
		if (s == NULL || auth_map_put(a->sessions, address, s) < 0) {
			free(s);
			return -1;
		}
	}
	if (s->count == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4;
		struct auth_session_ref *r = realloc(s->refs, cap * sizeof(*r));

		if (r == NULL)
			return -1;
		s->refs = r;
		s->cap = cap;
	}
	s->refs[s->count].conn_id = conn_id;
	s->refs[s->count].kick = kick;
	s->count++;
	return 0;
}

void
auth_session_remove(struct auth *a, const char *address, uint64_t conn_id)
{
	struct auth_sessions *s = auth_map_get(a->sessions, address);

	if (s == NULL)
		return;
	for (size_t i = 0; i < s->count; i++) {
		if (s->refs[i].conn_id == conn_id) {
			s->refs[i] = s->refs[--s->count];
			break;
		}
	}
	if (s->count == 0)
		auth_map_del(a->sessions, address);
}

unsigned
auth_session_count(struct auth *a, const char *address, auth_kick_fn *kick)
{
	struct auth_sessions *s = auth_map_get(a->sessions, address);
	unsigned n = 0;

	for (size_t i = 0; s != NULL && i < s->count; i++)
		if (kick == NULL || s->refs[i].kick == kick)
			n++;
	return n;
}

/* auth_kick_all - close every live session of address (copy first: kicks may unregister). */
static void
auth_kick_all(struct auth *a, const char *address)
{
	struct auth_sessions *s = auth_map_get(a->sessions, address);
	struct auth_session_ref *copy;
	size_t n;

	if (s == NULL || s->count == 0)
		return;
	n = s->count;
	copy = malloc(n * sizeof(*copy));
	if (copy == NULL)
		return;
	memcpy(copy, s->refs, n * sizeof(*copy));
	for (size_t i = 0; i < n; i++) {
		struct conn *c = conn_lookup(a->srv, copy[i].conn_id);

		if (c != NULL)
			copy[i].kick(c);
	}
	free(copy);
}

void
auth_account_gone(struct auth *a, const char *address)
{
	auth_cache_remove(a->cache, address);
	auth_map_del(a->touched, address);
	auth_kick_all(a, address);
}

void
auth_account_rekeyed(struct auth *a, const char *address)
{
	auth_cache_remove(a->cache, address);
}

struct auth_block_ctx {
	struct auth *a;
	const char *domain;
	char (*victims)[ADDRESS_MAX];
	size_t count, cap;
};

static bool
auth_block_collect_cb(const char *key, void *value, void *ctx)
{
	struct auth_block_ctx *x = ctx;

	(void)value;
	if (strcmp(policy_address_domain(key), x->domain) == 0 && x->count < x->cap)
		snprintf(x->victims[x->count++], ADDRESS_MAX, "%s", key);
	return false;
}

void
auth_block_added(struct auth *a, const char *entry)
{
	struct auth_block_ctx x = {a, entry, NULL, 0, 0};

	if (strchr(entry, '@') != NULL) {
		auth_account_gone(a, entry);
		return;
	}
	/* A whole domain: only the mail domain has sessions; drop every cache entry. */
	auth_cache_clear(a->cache);
	x.cap = auth_map_count(a->sessions);
	x.victims = calloc(x.cap ? x.cap : 1, sizeof(*x.victims));
	if (x.victims == NULL)
		return;
	auth_map_each(a->sessions, auth_block_collect_cb, &x);
	for (size_t i = 0; i < x.count; i++)
		auth_kick_all(a, x.victims[i]);
	free(x.victims);
}

void
auth_account_count_add(struct auth *a, long delta)
{
	a->stats.accounts += delta;
}

struct auth_touch_job {
	struct db *db; /* borrowed */
	char address[ADDRESS_MAX];
	char day[11];
};

static void
auth_touch_work(void *arg)
{
	struct auth_touch_job *t = arg;

	if (db_account_touch(t->db, t->address, t->day) < 0)
		log_warn("auth: cannot update the last-login day");
}

static void
auth_touch_done(void *arg, uint64_t requester_id)
{
	(void)requester_id;
	free(arg);
}

void
auth_touch(struct auth *a, const char *address, bool from_worker)
{
	char *seen = auth_map_get(a->touched, address), *day;
	struct auth_touch_job *t;

	day = malloc(11);
	if (day == NULL)
		return;
	db_today(day);
	if (seen != NULL && strcmp(seen, day) == 0) {
		free(day);
		return;
	}
	if (auth_map_put(a->touched, address, day) < 0) {
		free(day);
		return;
	}
	if (from_worker)
		return;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return;
	t->db = a->db;
	snprintf(t->address, sizeof(t->address), "%s", address);
	db_today(t->day);
	if (worker_submit(a->srv->workers, 0, auth_touch_work, auth_touch_done, t) < 0)
		free(t);
}
