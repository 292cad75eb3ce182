/*
 * db.h - the SQLite database of chatrelay (ARCHITECTURE "Data on disk").
 *
 * <data_dir>/chatrelay.db in WAL mode with a busy timeout, schema versioned
 * through PRAGMA user_version and migrated forward at open. db/ is the only
 * code that includes sqlite3.h. Holds accounts (ACC-5), the blocklist
 * (CLI-6, FED-10) and device tokens (META-7).
 *
 * Threads: SQLite connections are not shared between threads; struct db is
 * a small pool of connections, each used by one thread at a time. Every
 * function here BLOCKS on disk I/O: call it from worker threads or from
 * the CLI, never from protocol code on the loop thread.
 */
#ifndef CHATRELAY_DB_DB_H
#define CHATRELAY_DB_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;

/* Longest address stored (RFC 5321 path limit). */
#define DB_ADDRESS_MAX 256
/* Longest crypt string stored (AUTH-5/6: yescrypt is ~73, bcrypt 60, tagged SHA512 ~120). */
#define DB_HASH_MAX 512

struct db_account {
	char address[DB_ADDRESS_MAX];
	char hash[DB_HASH_MAX];
	bool has_quota;       /* an override is set (CLI-5) */
	uint64_t quota;       /* bytes; 0 = unlimited */
	char created_day[11]; /* YYYY-MM-DD (UTC) */
	char last_login_day[11];
};

/* db_account_each_fn - one row of db_account_list(); return non-zero to stop. */
typedef int db_account_each_fn(const struct db_account *a, void *ctx);
typedef int db_block_each_fn(const char *entry, void *ctx);

/*
 * db_open - open (creating 0600 if needed) and migrate <path>. Returns the
 * handle or NULL with a static message in *error_r. Blocks.
 */
struct db *db_open(const char *path, const char **error_r);

/* db_free - close every pooled connection. Accepts NULL; leaves NULL. */
void db_free(struct db **dbp);

/* db_schema_version - the version the code migrates to (tests). */
int db_schema_version(void);

/* db_today - today's UTC date as YYYY-MM-DD into day[11]. */
void db_today(char day[11]);

/*
 * Accounts. Return values: 0 success, -1 storage error (errno EIO),
 * 1 "not found" / "already exists" where stated.
 */
/* db_account_get - 0 found (into *a), 1 absent, -1 error. */
int db_account_get(struct db *db, const char *address, struct db_account *a);
/*
 * db_account_create - insert if absent (INSERT ... ON CONFLICT DO NOTHING,
 * AUTH-4). 0 inserted, 1 existed already (nothing changed), -1 error.
 */
int db_account_create(struct db *db, const char *address, const char *hash, const char *day);
/* db_account_delete - 0 deleted, 1 absent, -1 error. */
int db_account_delete(struct db *db, const char *address);
/* db_account_set_hash - 0 changed, 1 absent, -1 error. */
int db_account_set_hash(struct db *db, const char *address, const char *hash);
/* db_account_set_quota - has_quota false removes the override. 0, 1 absent, -1. */
int db_account_set_quota(struct db *db, const char *address, bool has_quota, uint64_t quota);
/* db_account_touch - ACC-6: set last_login_day when it differs. 0, 1 absent, -1. */
int db_account_touch(struct db *db, const char *address, const char *day);
/* db_account_list - every account sorted by address. 0 or -1. */
int db_account_list(struct db *db, db_account_each_fn *fn, void *ctx);
/* db_account_count - number of accounts, or -1. */
long db_account_count(struct db *db);

/* Blocklist entries: addresses or domains as given (normalised by the caller). */
/* db_block_add - 0 added, 1 existed, -1 error. */
int db_block_add(struct db *db, const char *entry);
/* db_block_del - 0 removed, 1 absent, -1 error. */
int db_block_del(struct db *db, const char *entry);
/* db_block_has - 1 present, 0 absent, -1 error. */
int db_block_has(struct db *db, const char *entry);
/* db_block_list - sorted. 0 or -1. */
int db_block_list(struct db *db, db_block_each_fn *fn, void *ctx);

/*
 * Device tokens (META-5..7, db_token.c). Times are Unix seconds. A token is
 * "live" when min_time <= set_time <= max_time (the caller derives the
 * window from the 90-day lifetime and the 60 s clock skew of META-7).
 */
typedef int db_token_each_fn(const char *token, int64_t set_time, void *ctx);
typedef int db_token_account_fn(const char *account, void *ctx);
/*
 * db_token_set - add token to account or refresh its set_time, then keep
 * only the max most recently set tokens of the account (one transaction).
 * 0 or -1.
 */
int db_token_set(struct db *db, const char *account, const char *token, int64_t now, int max);
/* db_token_del - remove one token: 0 removed, 1 absent, -1 error. */
int db_token_del(struct db *db, const char *account, const char *token);
/* db_token_del_all - remove every token of account (NIL, ACC-7): count removed or -1. */
long db_token_del_all(struct db *db, const char *account);
/* db_token_list - live tokens of account, least recently set first. 0 or -1. */
int db_token_list(struct db *db, const char *account, int64_t min_time, int64_t max_time,
        db_token_each_fn *fn, void *ctx);
/* db_token_expire - delete every token outside [min_time, max_time]: count or -1. */
long db_token_expire(struct db *db, int64_t min_time, int64_t max_time);
/* db_token_accounts - each distinct account holding tokens, sorted. 0 or -1. */
int db_token_accounts(struct db *db, db_token_account_fn *fn, void *ctx);

#endif
