/*
 * auth.h - accounts and authentication as the protocol sessions see them
 * (AUTH-1..11, ACC-6, ACC-7, REG-1..4).
 *
 * auth_request() runs the procedure of AUTH-2 asynchronously: cheap steps
 * (normalisation, throttling, the credential cache) on the loop, crypt and
 * SQLite on the worker pool (AUTH-11). The completion runs on the loop,
 * looks the session up by id and is dropped when it went away. Failures and
 * throttled attempts are answered auth_failure_delay after the attempt,
 * without blocking anything (a timer). Loop thread only unless stated.
 */
#ifndef CHATRELAY_AUTH_AUTH_H
#define CHATRELAY_AUTH_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf;
struct conn;
struct db;
struct server;
struct auth;

enum auth_result {
	AUTH_RESULT_OK,          /* authenticated as the normalised address */
	AUTH_RESULT_FAIL,        /* IMAP NO [AUTHENTICATIONFAILED], SMTP 535 */
	AUTH_RESULT_THROTTLED,   /* AUTH-9/10: IMAP NO [UNAVAILABLE], SMTP 454 "Too many..." */
	AUTH_RESULT_UNAVAILABLE, /* AUTH-3 resource check or storage error: temporary */
};

/* auth_result_name - static name for logs and metrics. */
const char *auth_result_name(enum auth_result r);

/*
 * auth_done_fn - completion of auth_request on the loop thread, only when
 * the connection is still alive. address is the normalised address for
 * AUTH_RESULT_OK (borrowed for the call), else NULL.
 */
typedef void auth_done_fn(struct conn *c, enum auth_result result, const char *address);

/* auth_kick_fn - ACC-7: say goodbye on this session and close it. */
typedef void auth_kick_fn(struct conn *c);

/* auth_clock_fn - monotonic milliseconds (replaceable in tests). */
typedef int64_t auth_clock_fn(void);

/*
 * auth_new - the account service over srv's loop and worker pool and db
 * (both borrowed, outliving it). Reads the account count (blocking, at
 * start-up). NULL on failure.
 */
struct auth *auth_new(const struct conf *conf, struct server *srv, struct db *db);

/* auth_free - accepts NULL; leaves NULL. Pending completions are dropped. */
void auth_free(struct auth **ap);

/* auth_set_clock - replace the monotonic clock (tests). */
void auth_set_clock(struct auth *a, auth_clock_fn *clock);

/*
 * auth_request - start AUTH-2 for (name, password of len octets) on behalf
 * of connection c (its id and ip_key are taken now). The password is
 * copied and wiped after use; the caller wipes its own copy. Returns 0
 * (cb runs later, or never if c goes away), or -1 on ENOMEM (nothing will
 * run; answer with a temporary error).
 */
int auth_request(struct auth *a, struct conn *c, const char *name, const char *password, size_t len,
        auth_done_fn *cb);

/*
 * Session registry: authenticated sessions register so that deleting or
 * blocking an account closes them (ACC-7), and unregister when they end.
 * kick also identifies the protocol for auth_session_count().
 */
int auth_session_add(struct auth *a, const char *address, uint64_t conn_id, auth_kick_fn *kick);
void auth_session_remove(struct auth *a, const char *address, uint64_t conn_id);
unsigned auth_session_count(struct auth *a, const char *address, auth_kick_fn *kick);

/* auth_account_gone - ACC-7 on the loop: forget the cache entry and kick every session. */
void auth_account_gone(struct auth *a, const char *address);
/* auth_account_rekeyed - the password changed: forget the cache entry (AUTH-8). */
void auth_account_rekeyed(struct auth *a, const char *address);
/* auth_block_changed - a blocklist entry was added: addresses or whole domains (FED-10). */
void auth_block_added(struct auth *a, const char *entry);
/* auth_account_count_add - keep the chatrelay_accounts gauge in step (+1 / -1). */
void auth_account_count_add(struct auth *a, long delta);

/*
 * REG-1..4: create an account with a random name and password on a worker.
 * status is 200 (address and password set, borrowed for the call), 500 or
 * 503. Runs cb only when the connection is still alive. 0 or -1 (ENOMEM).
 */
typedef void auth_register_done_fn(
        struct conn *c, int status, const char *address, const char *password);
int auth_register(struct auth *a, struct conn *c, auth_register_done_fn *cb);

/*
 * auth_generate_password - REG-3: max(24, password_min_length) characters of
 * [A-Za-z0-9] from the CSPRNG into out. 0 or -1.
 */
int auth_generate_password(const struct conf *conf, char *out, size_t outlen);

/* auth_register_admit - REG-1 rate limit per client key (GCRA, new_account_rate/burst). */
bool auth_register_admit(struct auth *a, const char *ip_key);

struct auth_stats {
	unsigned long long ok, fail, throttled, unavailable;
	unsigned long long registered;
	long accounts;
};

/* auth_stats - counters for /metrics (HTTP-6). */
const struct auth_stats *auth_stats(const struct auth *a);

/* auth_conf / auth_db / auth_server - borrowed pieces for auth_*.c and the control socket. */
const struct conf *auth_conf(const struct auth *a);
struct db *auth_db(const struct auth *a);
struct server *auth_server(const struct auth *a);

#endif
