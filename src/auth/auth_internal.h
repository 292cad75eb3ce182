/*
 * auth_internal.h - struct auth, shared by auth.c, auth_session.c and
 * auth_register.c only.
 */
#ifndef CHATRELAY_AUTH_INTERNAL_H
#define CHATRELAY_AUTH_INTERNAL_H

#include "auth/auth.h"

struct event;
struct auth_job;
struct auth_cache;
struct auth_map;
struct auth_throttle;

struct auth {
	const struct conf *conf;          /* borrowed */
	struct server *srv;               /* borrowed */
	struct db *db;                    /* borrowed */
	struct auth_cache *cache;         /* owned (AUTH-8) */
	struct auth_throttle *by_ip;      /* owned (AUTH-9) */
	struct auth_throttle *by_account; /* owned (AUTH-10) */
	struct auth_map *sessions;        /* owned: address -> struct auth_sessions */
	struct auth_map *reg_tat;         /* owned: ip_key -> int64_t TAT (REG-1) */
	struct auth_map *touched;         /* owned: address -> char[11] last-login day written */
	struct event *sweep_timer;        /* owned */
	struct auth_job *waiting;         /* owned: jobs whose reply timer is armed */
	auth_clock_fn *clock;
	struct auth_stats stats;
};

/* auth_now - the configured monotonic clock in milliseconds. */
int64_t auth_now(const struct auth *a);

/*
 * auth_touch - ACC-6 after a success: write the last-login day on a worker
 * when this process has not written today's day for the address yet.
 * from_worker: the worker already wrote it, only remember.
 */
void auth_touch(struct auth *a, const char *address, bool from_worker);

/* auth_sessions_free - map value destructor of auth->sessions. */
void auth_sessions_free(void *p);

/* auth_store - the server's store (maildirs, STORE-1), or NULL before it exists. */
struct store *auth_store(const struct auth *a);

#endif
