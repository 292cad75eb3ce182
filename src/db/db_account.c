/*
 * db_account.c - the accounts table (ACC-5, ACC-6, AUTH-4, CLI-4/5).
 *
 * Stores exactly the address, the hash, an optional quota override and two
 * UTC days. Creation is INSERT ... ON CONFLICT DO NOTHING so that
 * concurrent first logins produce one row and the first commit defines the
 * password (AUTH-4). Blocks: worker threads and CLI only.
 */
#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "db/db_internal.h"

/* db_account_row - copy the current row of a SELECT of every column. */
static void
db_account_row(sqlite3_stmt *st, struct db_account *a)
{
	const char *s;

	memset(a, 0, sizeof(*a));
	s = (const char *)sqlite3_column_text(st, 0);
	snprintf(a->address, sizeof(a->address), "%s", s != NULL ? s : "");
	s = (const char *)sqlite3_column_text(st, 1);
	snprintf(a->hash, sizeof(a->hash), "%s", s != NULL ? s : "");
	a->has_quota = sqlite3_column_type(st, 2) != SQLITE_NULL;
	a->quota = a->has_quota ? (uint64_t)sqlite3_column_int64(st, 2) : 0;
	s = (const char *)sqlite3_column_text(st, 3);
	snprintf(a->created_day, sizeof(a->created_day), "%s", s != NULL ? s : "");
	s = (const char *)sqlite3_column_text(st, 4);
	snprintf(a->last_login_day, sizeof(a->last_login_day), "%s", s != NULL ? s : "");
}

#define DB_ACCOUNT_COLUMNS "address, hash, quota, created_day, last_login_day"

int
db_account_get(struct db *db, const char *address, struct db_account *a)
{
	sqlite3 *h = db_acquire(db);
	sqlite3_stmt *st = NULL;
	int rc = -1, step;

	if (h == NULL)
		return -1;
	if (sqlite3_prepare_v2(h, "SELECT " DB_ACCOUNT_COLUMNS " FROM accounts WHERE address = ?",
	            -1, &st, NULL) != SQLITE_OK) {
		db_log_error(h, "prepare");
		goto out;
	}
	sqlite3_bind_text(st, 1, address, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		db_account_row(st, a);
		rc = 0;
	} else if (step == SQLITE_DONE) {
		rc = 1;
	} else {
		db_log_error(h, "account lookup");
	}
out:
	sqlite3_finalize(st);
	db_release(db, h);
	return rc;
}

int
db_account_create(struct db *db, const char *address, const char *hash, const char *day)
{
	const char *p[] = {address, hash, day, day};
	int n = db_exec_text(db,
	        "INSERT INTO accounts (address, hash, created_day, last_login_day)"
	        " VALUES (?, ?, ?, ?) ON CONFLICT (address) DO NOTHING",
	        p, 4);

	return n < 0 ? -1 : n == 0 ? 1 : 0;
}

int
db_account_delete(struct db *db, const char *address)
{
	const char *p[] = {address};
	int n = db_exec_text(db, "DELETE FROM accounts WHERE address = ?", p, 1);

	return n < 0 ? -1 : n == 0 ? 1 : 0;
}

int
db_account_set_hash(struct db *db, const char *address, const char *hash)
{
	const char *p[] = {hash, address};
	int n = db_exec_text(db, "UPDATE accounts SET hash = ? WHERE address = ?", p, 2);

	return n < 0 ? -1 : n == 0 ? 1 : 0;
}

int
db_account_set_quota(struct db *db, const char *address, bool has_quota, uint64_t quota)
{
	char q[32];
	const char *p[] = {has_quota ? q : NULL, address};
	int n;

	snprintf(q, sizeof(q), "%llu", (unsigned long long)quota);
	/* CAST keeps the column an INTEGER although it is bound as text. */
	n = db_exec_text(
	        db, "UPDATE accounts SET quota = CAST(? AS INTEGER) WHERE address = ?", p, 2);
	return n < 0 ? -1 : n == 0 ? 1 : 0;
}

int
db_account_touch(struct db *db, const char *address, const char *day)
{
	const char *p[] = {day, address, day};
	int n = db_exec_text(db,
	        "UPDATE accounts SET last_login_day = ? WHERE address = ?"
	        " AND last_login_day <> ?",
	        p, 3);

	return n < 0 ? -1 : 0;
}

int
db_account_list(struct db *db, db_account_each_fn *fn, void *ctx)
{
	sqlite3 *h = db_acquire(db);
	sqlite3_stmt *st = NULL;
	struct db_account a;
	int rc = -1, step;

	if (h == NULL)
		return -1;
	if (sqlite3_prepare_v2(h, "SELECT " DB_ACCOUNT_COLUMNS " FROM accounts ORDER BY address",
	            -1, &st, NULL) != SQLITE_OK) {
		db_log_error(h, "prepare");
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		db_account_row(st, &a);
		if (fn(&a, ctx) != 0)
			break;
	}
	if (step == SQLITE_ROW || step == SQLITE_DONE)
		rc = 0;
	else
		db_log_error(h, "account list");
out:
	sqlite3_finalize(st);
	db_release(db, h);
	return rc;
}

long
db_account_count(struct db *db)
{
	sqlite3 *h = db_acquire(db);
	sqlite3_stmt *st = NULL;
	long n = -1;

	if (h == NULL)
		return -1;
	if (sqlite3_prepare_v2(h, "SELECT COUNT(*) FROM accounts", -1, &st, NULL) == SQLITE_OK &&
	        sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	db_release(db, h);
	return n;
}
