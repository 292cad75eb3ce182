/*
 * db_conn.c - opening, pooling and migrating the SQLite database.
 *
 * WAL journal, synchronous=FULL (an account acknowledged to a client must
 * survive a crash, REG-4), busy timeout so that the CLI and the server can
 * write at the same time. Migrations are numbered and run in one
 * transaction each; PRAGMA user_version records the last one applied.
 * Blocks: never called on the loop thread except at start-up.
 */
#include "db/db.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/core_log.h"
#include "db/db_internal.h"

#define DB_BUSY_TIMEOUT_MS 10000
#define DB_POOL_MAX 16

struct db {
	char *path; /* owned */
	pthread_mutex_t lock;
	sqlite3 *idle[DB_POOL_MAX]; /* owned: connections not in use */
	int idle_count;
};

/* Schema migrations: db_migrations[i] brings user_version from i to i + 1. */
static const char *const db_migrations[] = {
        /* 1: accounts (ACC-5) and blocklist (CLI-6). Days are UTC dates. */
        "CREATE TABLE accounts ("
        " address TEXT PRIMARY KEY NOT NULL,"
        " hash TEXT NOT NULL,"
        " quota INTEGER,"
        " created_day TEXT NOT NULL,"
        " last_login_day TEXT NOT NULL"
        ") WITHOUT ROWID;"
        "CREATE TABLE blocklist (entry TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;",
        /* 2: device tokens with their last-set time, Unix seconds (META-7, LOG-5). */
        "CREATE TABLE tokens ("
        " account TEXT NOT NULL,"
        " token TEXT NOT NULL,"
        " set_time INTEGER NOT NULL,"
        " UNIQUE (account, token)"
        ");"
        "CREATE INDEX tokens_set_time ON tokens (set_time);"
        /* ACC-7: whichever path deletes an account (CLI, control socket, EXP-5) drops its tokens */
        "CREATE TRIGGER accounts_delete_tokens AFTER DELETE ON accounts"
        " BEGIN DELETE FROM tokens WHERE account = old.address; END;",
};

int
db_schema_version(void)
{
	return (int)(sizeof(db_migrations) / sizeof(db_migrations[0]));
}

void
db_log_error(sqlite3 *h, const char *what)
{
	log_error("database: %s failed: %s", what,
	        h != NULL ? sqlite3_errstr(sqlite3_errcode(h)) : "no connection");
}

void
db_today(char day[11])
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(day, 11, "%Y-%m-%d", &tm);
}

/* db_connect - open one connection with the pragmas every connection needs. */
static sqlite3 *
db_connect(const char *path)
{
	sqlite3 *h = NULL;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;

	if (sqlite3_open_v2(path, &h, flags, NULL) != SQLITE_OK) {
		db_log_error(h, "open");
		sqlite3_close(h);
		return NULL;
	}
	sqlite3_busy_timeout(h, DB_BUSY_TIMEOUT_MS);
	if (sqlite3_exec(h,
	            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	            "PRAGMA foreign_keys=ON;",
	            NULL, NULL, NULL) != SQLITE_OK) {
		db_log_error(h, "pragmas");
		sqlite3_close(h);
		return NULL;
	}
	return h;
}

/* db_user_version - PRAGMA user_version, or -1. */
static int
db_user_version(sqlite3 *h)
{
	sqlite3_stmt *st = NULL;
	int v = -1;

	if (sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	        sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* db_migrate - apply every missing migration, each in its own IMMEDIATE transaction. */
static int
db_migrate(sqlite3 *h, const char **error_r)
{
	for (;;) {
		char sql[64];
		int v;

		if (sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
			*error_r = "cannot lock the database for migration";
			return -1;
		}
		v = db_user_version(h);
		if (v < 0 || v > db_schema_version()) {
			sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
			*error_r = v < 0 ? "cannot read the schema version"
			                 : "the database was written by a newer chatrelay";
			return -1;
		}
		if (v == db_schema_version())
			return sqlite3_exec(h, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
		snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", v + 1);
		if (sqlite3_exec(h, db_migrations[v], NULL, NULL, NULL) != SQLITE_OK ||
		        sqlite3_exec(h, sql, NULL, NULL, NULL) != SQLITE_OK ||
		        sqlite3_exec(h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			db_log_error(h, "migration");
			sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
			*error_r = "schema migration failed";
			return -1;
		}
		log_info("database: schema migrated to version %d", v + 1);
	}
}

struct db *
db_open(const char *path, const char **error_r)
{
	struct db *db = calloc(1, sizeof(*db));
	sqlite3 *h;
	int fd;

	if (db == NULL || (db->path = strdup(path)) == NULL) {
		free(db);
		*error_r = "out of memory";
		return NULL;
	}
	pthread_mutex_init(&db->lock, NULL);
	/* Create the file 0600 ourselves: SQLite would use the umask. */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	h = db_connect(path);
	if (h == NULL) {
		*error_r = "cannot open the database";
		db_free(&db);
		return NULL;
	}
	if (db_migrate(h, error_r) < 0) {
		sqlite3_close(h);
		db_free(&db);
		return NULL;
	}
	db_release(db, h);
	return db;
}

void
db_free(struct db **dbp)
{
	struct db *db = *dbp;

	if (db == NULL)
		return;
	for (int i = 0; i < db->idle_count; i++)
		sqlite3_close(db->idle[i]);
	pthread_mutex_destroy(&db->lock);
	free(db->path);
	free(db);
	*dbp = NULL;
}

sqlite3 *
db_acquire(struct db *db)
{
	sqlite3 *h = NULL;

	pthread_mutex_lock(&db->lock);
	if (db->idle_count > 0)
		h = db->idle[--db->idle_count];
	pthread_mutex_unlock(&db->lock);
	if (h == NULL)
		h = db_connect(db->path);
	if (h == NULL)
		errno = EIO;
	return h;
}

void
db_release(struct db *db, sqlite3 *h)
{
	pthread_mutex_lock(&db->lock);
	if (db->idle_count < DB_POOL_MAX) {
		db->idle[db->idle_count++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&db->lock);
	if (h != NULL)
		sqlite3_close(h);
}

int
db_exec_text(struct db *db, const char *sql, const char *const *params, int n)
{
	sqlite3 *h = db_acquire(db);
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (h == NULL)
		return -1;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) {
		db_log_error(h, "prepare");
		goto out;
	}
	for (int i = 0; i < n; i++)
		sqlite3_bind_text(st, i + 1, params[i], -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		db_log_error(h, "write");
		goto out;
	}
	rc = sqlite3_changes(h);
out:
	sqlite3_finalize(st);
	db_release(db, h);
	if (rc < 0)
		errno = EIO;
	return rc;
}

int
db_list_text(struct db *db, const char *sql, db_text_each_fn *fn, void *ctx, const char *what)
{
	sqlite3 *h = db_acquire(db);
	sqlite3_stmt *st = NULL;
	int rc = -1, step = SQLITE_ERROR;

	if (h == NULL)
		return -1;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK) {
		while ((step = sqlite3_step(st)) == SQLITE_ROW)
			if (fn((const char *)sqlite3_column_text(st, 0), ctx) != 0)
				break;
	}
	if (step == SQLITE_ROW || step == SQLITE_DONE)
		rc = 0;
	else
		db_log_error(h, what);
	sqlite3_finalize(st);
	db_release(db, h);
	return rc;
}
