/*
 * auth.c - the authentication procedure of AUTH-2 over the loop and the
 * worker pool (AUTH-2..11, ACC-6).
 *
 * On the loop: normalisation (ACC-1), reserved names and the configured
 * sender_blocklist (ACC-3, FED-10), throttling (AUTH-9/10) and the
 * credential cache (AUTH-8). On a worker: the persistent blocklist, the
 * account lookup, crypt verification or JIT creation with its INBOX
 * (AUTH-3/4) and the last-login day (ACC-6). Replies to failures wait
 * auth_failure_delay on a timer. Never blocks the loop.
 */
#include "auth/auth.h"

#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth_address.h"
#include "auth/auth_cache.h"
#include "auth/auth_hash.h"
#include "auth/auth_internal.h"
#include "auth/auth_map.h"
#include "auth/auth_sys.h"
#include "auth/auth_throttle.h"
#include "core/core_conf.h"
#include "core/core_log.h"
#include "core/core_str.h"
#include "core/core_time.h"
#include "db/db.h"
#include "net/net_server.h"
#include "net/net_worker.h"
#include "policy/policy_address.h"
#include "store/store.h"

#define AUTH_SWEEP_SECS 60

struct auth_job {
	struct auth *a; /* borrowed */
	uint64_t conn_id;
	auth_done_fn *cb;
	char ip_key[64];
	char address[ADDRESS_MAX]; /* normalised; empty when the name was invalid */
	char *password;            /* owned, wiped */
	size_t pwlen;
	unsigned char mac[AUTH_CACHE_MAC_LEN];
	unsigned char hash_id[AUTH_CACHE_MAC_LEN];
	int64_t started_ms;
	enum auth_result result;
	bool is_created;
	struct event *timer;          /* owned */
	struct auth_job *prev, *next; /* auth->waiting list while the timer is armed */
};
int64_t
auth_now(const struct auth *a)
{
	return a->clock();
}

const char *
auth_result_name(enum auth_result r)
{
	switch (r) {
	case AUTH_RESULT_OK: return "ok";
	case AUTH_RESULT_FAIL: return "fail";
	case AUTH_RESULT_THROTTLED: return "throttled";
	case AUTH_RESULT_UNAVAILABLE: return "unavailable";
	}
	return "unknown";
}


struct store *
auth_store(const struct auth *a)
{
	return a->srv != NULL ? a->srv->store : NULL;
}

/* auth_sweep_tat_cb - REG-1 limiter state that has fully drained. */
static bool
auth_sweep_tat_cb(const char *key, void *value, void *ctx)
{
	(void)key;
	return *(const int64_t *)value <= *(const int64_t *)ctx;
}

/* auth_sweep_day_cb - last-login days of earlier days (ACC-6 bookkeeping). */
static bool
auth_sweep_day_cb(const char *key, void *value, void *ctx)
{
	char day[11];

	(void)key;
	(void)ctx;
	db_today(day);
	return strcmp(value, day) != 0;
}

static void
auth_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct auth *a = arg;
	int64_t now = auth_now(a);

	(void)fd;
	(void)what;
	auth_throttle_sweep(a->by_ip, now);
	auth_throttle_sweep(a->by_account, now);
	auth_cache_sweep(a->cache, now);
	auth_map_each(a->reg_tat, auth_sweep_tat_cb, &now);
	auth_map_each(a->touched, auth_sweep_day_cb, NULL);
}

struct auth *
auth_new(const struct conf *conf, struct server *srv, struct db *db)
{
	struct auth *a = calloc(1, sizeof(*a));
	struct timeval tv = {AUTH_SWEEP_SECS, 0};
	int64_t window = (int64_t)conf->auth_fail_window * 1000;

	if (a == NULL)
		return NULL;
	a->conf = conf;
	a->srv = srv;
	a->db = db;
	a->clock = core_monotonic_ms;
	a->cache = auth_cache_new((int64_t)conf->auth_cache_ttl * 1000);
	a->by_ip = auth_throttle_new(conf->auth_fail_limit_ip, window);
	a->by_account = auth_throttle_new(conf->auth_fail_limit_account, window);
	a->sessions = auth_map_new(auth_sessions_free);
	a->reg_tat = auth_map_new(free);
	a->touched = auth_map_new(free);
	a->sweep_timer = event_new(srv->base, -1, EV_PERSIST, auth_sweep_cb, a);
	if (a->cache == NULL || a->by_ip == NULL || a->by_account == NULL || a->sessions == NULL ||
	        a->reg_tat == NULL || a->touched == NULL || a->sweep_timer == NULL ||
	        event_add(a->sweep_timer, &tv) < 0) {
		auth_free(&a);
		return NULL;
	}
	a->stats.accounts = db_account_count(db);
	return a;
}

static void auth_job_free(struct auth_job *j);

void
auth_free(struct auth **ap)
{
	struct auth *a = *ap;

	if (a == NULL)
		return;
	/* Replies still waiting for their delay are dropped (shutdown). */
	while (a->waiting != NULL) {
		struct auth_job *j = a->waiting;

		a->waiting = j->next;
		auth_job_free(j);
	}
	if (a->sweep_timer != NULL)
		event_free(a->sweep_timer);
	auth_cache_free(&a->cache);
	auth_throttle_free(&a->by_ip);
	auth_throttle_free(&a->by_account);
	auth_map_free(&a->sessions);
	auth_map_free(&a->reg_tat);
	auth_map_free(&a->touched);
	free(a);
	*ap = NULL;
}

void
auth_set_clock(struct auth *a, auth_clock_fn *clock)
{
	a->clock = clock;
}

static void
auth_job_free(struct auth_job *j)
{
	if (j->password != NULL) {
		str_wipe(j->password, j->pwlen);
		free(j->password);
	}
	if (j->timer != NULL)
		event_free(j->timer);
	str_wipe(j->mac, sizeof(j->mac));
	free(j);
}

/* auth_job_deliver_cb - the reply is due: hand the result to the session if it is alive. */
static void
auth_job_deliver_cb(evutil_socket_t fd, short what, void *arg)
{
	struct auth_job *j = arg;
	struct conn *c = conn_lookup(j->a->srv, j->conn_id);

	(void)fd;
	(void)what;
	if (j->prev != NULL)
		j->prev->next = j->next;
	else
		j->a->waiting = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	if (c != NULL) {
		struct log_personal lp;

		/* LOG-2: the address and IP go only into the personal fragment. */
		log_write(LOG_LEVEL_INFO, c->id,
		        log_personal(&lp, "user=%s ip=%s", j->address[0] != '\0' ? j->address : "-",
		                c->peer_ip),
		        "auth result=%s created=%s", auth_result_name(j->result),
		        j->is_created ? "yes" : "no");
		j->cb(c, j->result, j->result == AUTH_RESULT_OK ? j->address : NULL);
	}
	auth_job_free(j);
}

/*
 * auth_job_finish - on the loop: account the result (AUTH-2: every failure
 * counts; successes do not reset) and schedule the reply, failures after
 * auth_failure_delay counted from the attempt.
 */
static void
auth_job_finish(struct auth_job *j)
{
	struct auth *a = j->a;
	int64_t now = auth_now(a), delay_ms = 0;
	struct timeval tv;

	switch (j->result) {
	case AUTH_RESULT_OK: a->stats.ok++; break;
	case AUTH_RESULT_FAIL:
		a->stats.fail++;
		auth_throttle_fail(a->by_ip, j->ip_key, now);
		if (j->address[0] != '\0')
			auth_throttle_fail(a->by_account, j->address, now);
		break;
	case AUTH_RESULT_THROTTLED: a->stats.throttled++; break;
	case AUTH_RESULT_UNAVAILABLE: a->stats.unavailable++; break;
	}
	if (j->result == AUTH_RESULT_FAIL || j->result == AUTH_RESULT_THROTTLED) {
		delay_ms = (int64_t)a->conf->auth_failure_delay * 1000 - (now - j->started_ms);
		if (delay_ms < 0)
			delay_ms = 0;
	}
	tv.tv_sec = (time_t)(delay_ms / 1000);
	tv.tv_usec = (suseconds_t)(delay_ms % 1000) * 1000;
	j->timer = evtimer_new(a->srv->base, auth_job_deliver_cb, j);
	if (j->timer == NULL || evtimer_add(j->timer, &tv) < 0) {
		log_error("auth: cannot schedule a reply");
		auth_job_free(j);
		return;
	}
	j->next = a->waiting;
	if (a->waiting != NULL)
		a->waiting->prev = j;
	a->waiting = j;
}

/* auth_job_verify - worker: verify against the stored account; sets result and hash_id. */
static void
auth_job_verify(struct auth_job *j, const struct db_account *acc)
{
	struct store *st = auth_store(j->a);
	char day[11];
	int r = auth_hash_verify(j->password, acc->hash);

	if (r < 0)
		log_error("auth: a stored password hash cannot be verified");
	if (r != 1) {
		j->result = AUTH_RESULT_FAIL;
		return;
	}
	auth_cache_hash_id(acc->hash, j->hash_id);
	db_today(day);
	/* ACC-6: written only when the day changes. */
	if (strcmp(acc->last_login_day, day) != 0 &&
	        db_account_touch(j->a->db, j->address, day) < 0)
		log_warn("auth: cannot update the last-login day");
	/*
	 * The INBOX of a new account, or one lost to a crash between the commit
	 * and the mkdir, is made here. Without it the login is refused as
	 * temporary (the client retries; the next attempt makes it), never a
	 * session on an account that cannot store anything.
	 */
	if (st != NULL && !store_account_exists(st, j->address) &&
	        store_account_create(st, j->address) < 0) {
		log_error("auth: cannot create a maildir: %s", strerror(errno));
		j->result = AUTH_RESULT_UNAVAILABLE;
		return;
	}
	j->result = AUTH_RESULT_OK;
}

/* auth_job_may_create - AUTH-3 conditions except the resource checks. */
static bool
auth_job_may_create(const struct auth_job *j)
{
	const struct conf *conf = j->a->conf;
	char local[ADDRESS_MAX];

	return conf->jit_accounts &&
	        auth_address_local_part(j->address, local, sizeof(local)) == 0 &&
	        auth_local_part_is_valid(local) &&
	        auth_local_part_fits(local, conf->username_min_length, conf->username_max_length) &&
	        (long)j->pwlen >= conf->password_min_length;
}

/* auth_job_create - worker: JIT creation (AUTH-3), atomic under concurrency (AUTH-4). */
static void
auth_job_create(struct auth_job *j, struct db_account *acc)
{
	const char *why = NULL;
	char hash[AUTH_HASH_MAX], day[11];
	int r;

	if (auth_resources_ok(j->a->conf, &why) < 0) {
		log_warn("auth: account creation refused: %s", why);
		j->result = AUTH_RESULT_UNAVAILABLE;
		return;
	}
	if (auth_hash_make(j->password, hash, sizeof(hash)) < 0) {
		j->result = AUTH_RESULT_UNAVAILABLE;
		return;
	}
	db_today(day);
	r = db_account_create(j->a->db, j->address, hash, day);
	if (r == 0)
		j->is_created = true; /* auth_job_verify makes its INBOX */
	/* Whoever committed first defined the password: verify against what is stored. */
	if (r < 0 || db_account_get(j->a->db, j->address, acc) != 0) {
		j->result = AUTH_RESULT_UNAVAILABLE;
		return;
	}
	auth_job_verify(j, acc);
}

/* auth_job_work - worker thread: blocklist, lookup, verify or create. */
static void
auth_job_work(void *arg)
{
	struct auth_job *j = arg;
	struct db_account acc;
	int blocked, r;

	blocked = db_block_has(j->a->db, j->address);
	if (blocked == 0)
		blocked = db_block_has(j->a->db, policy_address_domain(j->address));
	if (blocked != 0) {
		auth_hash_dummy(j->password);
		j->result = blocked < 0 ? AUTH_RESULT_UNAVAILABLE : AUTH_RESULT_FAIL;
		return;
	}
	r = db_account_get(j->a->db, j->address, &acc);
	if (r < 0) {
		j->result = AUTH_RESULT_UNAVAILABLE;
	} else if (r == 0) {
		auth_job_verify(j, &acc);
	} else if (auth_job_may_create(j)) {
		auth_job_create(j, &acc);
	} else {
		auth_hash_dummy(j->password); /* AUTH-7: no timing hint of existence */
		j->result = AUTH_RESULT_FAIL;
	}
	str_wipe(&acc, sizeof(acc));
}

/* auth_job_done - loop: remember a success in the cache, then finish. */
static void
auth_job_done(void *arg, uint64_t requester_id)
{
	struct auth_job *j = arg;

	(void)requester_id;
	if (j->result == AUTH_RESULT_OK) {
		auth_cache_put(j->a->cache, j->address, j->mac, j->hash_id, auth_now(j->a));
		auth_touch(j->a, j->address, true);
	}
	if (j->is_created)
		j->a->stats.accounts++;
	auth_job_finish(j);
}

/* auth_precheck - the loop-side steps of AUTH-2; true when the result is already known. */
static bool
auth_precheck(struct auth *a, struct auth_job *j, const char *name)
{
	const struct conf *conf = a->conf;
	char local[ADDRESS_MAX];
	int64_t now = j->started_ms;

	/* AUTH-2 step 1: a name that is not a local address fails (counted per client). */
	if (auth_address_normalise_local(name, conf->mail_domain, j->address, sizeof(j->address)) <
	        0) {
		j->address[0] = '\0';
		j->result = AUTH_RESULT_FAIL;
		return true;
	}
	if (auth_throttle_is_limited(a->by_ip, j->ip_key, now)) {
		j->result = AUTH_RESULT_THROTTLED;
		return true;
	}
	/* ACC-4: an over-long password (or one with NUL) fails without hashing. */
	if (!auth_password_is_acceptable(j->password, j->pwlen)) {
		j->result = AUTH_RESULT_FAIL;
		return true;
	}
	if (auth_cache_mac(a->cache, j->password, j->pwlen, j->mac) < 0) {
		j->result = AUTH_RESULT_UNAVAILABLE;
		return true;
	}
	/* Cache entries are removed on delete and block, so a hit is a current account. */
	if (auth_cache_check(a->cache, j->address, j->mac, NULL, now)) {
		auth_touch(a, j->address, false);
		j->result = AUTH_RESULT_OK;
		return true;
	}
	if (auth_throttle_is_limited(a->by_account, j->address, now)) {
		j->result = AUTH_RESULT_THROTTLED;
		return true;
	}
	if (auth_address_local_part(j->address, local, sizeof(local)) < 0 ||
	        auth_local_part_is_reserved(local, &conf->reserved_local_parts) ||
	        auth_is_blocklisted(&conf->sender_blocklist, j->address)) {
		j->result = AUTH_RESULT_FAIL;
		return true;
	}
	return false;
}

int
auth_request(struct auth *a, struct conn *c, const char *name, const char *password, size_t len,
        auth_done_fn *cb)
{
	struct auth_job *j = calloc(1, sizeof(*j));

	if (j == NULL || (j->password = malloc(len + 1)) == NULL) {
		free(j);
		return -1;
	}
	memcpy(j->password, password, len);
	j->password[len] = '\0';
	j->pwlen = len;
	j->a = a;
	j->conn_id = c->id;
	j->cb = cb;
	j->started_ms = auth_now(a);
	snprintf(j->ip_key, sizeof(j->ip_key), "%s", c->ip_key);
	if (auth_precheck(a, j, name)) {
		auth_job_finish(j);
		return 0;
	}
	if (worker_submit(a->srv->workers, c->id, auth_job_work, auth_job_done, j) < 0) {
		j->result = AUTH_RESULT_UNAVAILABLE;
		auth_job_finish(j);
	}
	return 0;
}

const struct auth_stats *
auth_stats(const struct auth *a)
{
	return &a->stats;
}

const struct conf *
auth_conf(const struct auth *a)
{
	return a->conf;
}

struct db *
auth_db(const struct auth *a)
{
	return a->db;
}

struct server *
auth_server(const struct auth *a)
{
	return a->srv;
}
