/*
 * db_internal.h - shared between the db/ files only: the connection pool
 * and statement helpers. Nothing outside db/ includes it.
 */
#ifndef CHATRELAY_DB_INTERNAL_H
#define CHATRELAY_DB_INTERNAL_H

#include <sqlite3.h>

struct db;

/* db_acquire - a connection for this thread (pooled or newly opened), NULL on error. */
sqlite3 *db_acquire(struct db *db);
/* db_release - give the connection back to the pool. */
void db_release(struct db *db, sqlite3 *h);
/*
 * db_exec_text - run one statement binding text/NULL parameters in order
 * (n of them). Returns the number of changed rows, or -1 (logged).
 */
int db_exec_text(struct db *db, const char *sql, const char *const *params, int n);
/* db_text_each_fn - one text value of db_list_text(); return non-zero to stop. */
typedef int db_text_each_fn(const char *text, void *ctx);
/*
 * db_list_text - run a parameterless query and call fn with column 0 of each
 * row, in order, until fn returns non-zero. Returns 0 (also when stopped
 * early) or -1 (logged under the category what).
 */
int db_list_text(struct db *db, const char *sql, db_text_each_fn *fn, void *ctx, const char *what);
/* db_log_error - log a SQLite failure by category (no personal data, LOG-2). */
void db_log_error(sqlite3 *h, const char *what);

#endif
