/*
 * db_token.c - device tokens of accounts with their last-set time (META-5,
 * META-7, LOG-5: kept on disk for push and the 90-day expiry).
 *
 * Tokens are data: they are bound as parameters and never appear in log
 * lines (LOG-1); errors are logged by category only. Every function blocks:
 * worker threads or the CLI only. Validation of the token octets is the
 * caller's (meta_token_check).
 */
#include <errno.h>

#include "db/db.h"
#include "db/db_internal.h"

/* db_token_step - run a prepared statement to completion: 0 or -1. */
static int
db_token_step(sqlite3_stmt *st)
{
	return sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
}

/* db_token_upsert - insert or refresh one token, then evict beyond max. */
static int
db_token_upsert(sqlite3 *h, const char *account, const char *token, int64_t now, int max)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(h,
	            "INSERT INTO tokens (account, token, set_time) VALUES (?, ?, ?)"
	            " ON CONFLICT (account, token) DO UPDATE SET set_time = excluded.set_time",
	            -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, token, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	if (db_token_step(st) < 0)
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	/* META-5: the least recently set beyond max go; rowid breaks ties (insertion order). */
	if (sqlite3_prepare_v2(h,
	            "DELETE FROM tokens WHERE account = ?1 AND rowid NOT IN"
	            " (SELECT rowid FROM tokens WHERE account = ?1"
	            "  ORDER BY set_time DESC, rowid DESC LIMIT ?2)",
	            -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, max);
	rc = db_token_step(st);
out:
	sqlite3_finalize(st);
	return rc;
}

int
db_token_set(struct db *db, const char *account, const char *token, int64_t now, int max)
{
	sqlite3 *h = db_acquire(db);
	int rc = -1;

	if (h == NULL)
		return -1;
	if (sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK) {
		rc = db_token_upsert(h, account, token, now, max);
		if (rc == 0 && sqlite3_exec(h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			rc = -1;
		if (rc < 0) {
			db_log_error(h, "token set");
			sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
		}
	} else {
		db_log_error(h, "token set");
	}
	db_release(db, h);
	if (rc < 0)
		errno = EIO;
	return rc;
}

int
db_token_del(struct db *db, const char *account, const char *token)
{
	const char *p[] = {account, token};
	int n = db_exec_text(db, "DELETE FROM tokens WHERE account = ? AND token = ?", p, 2);

	return n < 0 ? -1 : n == 0 ? 1 : 0;
}

long
db_token_del_all(struct db *db, const char *account)
{
	const char *p[] = {account};

	return db_exec_text(db, "DELETE FROM tokens WHERE account = ?", p, 1);
}

int
db_token_list(struct db *db, const char *account, int64_t min_time, int64_t max_time,
        db_token_each_fn *fn, void *ctx)
{
	sqlite3 *h = db_acquire(db);
	sqlite3_stmt *st = NULL;
	int rc = -1, step = SQLITE_ERROR;

	if (h == NULL)
		return -1;
	if (sqlite3_prepare_v2(h,
	            "SELECT token, set_time FROM tokens WHERE account = ?"
	            " AND set_time BETWEEN ? AND ? ORDER BY set_time, rowid",
	            -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, min_time);
		sqlite3_bind_int64(st, 3, max_time);
		while ((step = sqlite3_step(st)) == SQLITE_ROW)
			if (fn((const char *)sqlite3_column_text(st, 0),
			            sqlite3_column_int64(st, 1), ctx) != 0)
				break;
	}
	if (step == SQLITE_ROW || step == SQLITE_DONE)
		rc = 0;
	else
		db_log_error(h, "token list");
	sqlite3_finalize(st);
	db_release(db, h);
	return rc;
}

long
db_token_expire(struct db *db, int64_t min_time, int64_t max_time)
{
	sqlite3 *h = db_acquire(db);
	sqlite3_stmt *st = NULL;
	long n = -1;

	if (h == NULL)
		return -1;
	if (sqlite3_prepare_v2(h, "DELETE FROM tokens WHERE set_time < ? OR set_time > ?", -1, &st,
	            NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, min_time);
		sqlite3_bind_int64(st, 2, max_time);
		if (db_token_step(st) == 0)
			n = sqlite3_changes(h);
	}
	if (n < 0)
		db_log_error(h, "token expiry");
	sqlite3_finalize(st);
	db_release(db, h);
	return n;
}

int
db_token_accounts(struct db *db, db_token_account_fn *fn, void *ctx)
{
	return db_list_text(db, "SELECT DISTINCT account FROM tokens ORDER BY account", fn, ctx,
	        "token accounts");
}
