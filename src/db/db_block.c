/*
 * db_block.c - the persistent blocklist (CLI-6, FED-10): addresses or
 * domains, stored as the caller normalised them. Blocks: workers/CLI only.
 */
#include "db/db.h"
#include "db/db_internal.h"

int
db_block_add(struct db *db, const char *entry)
{
	const char *p[] = {entry};
	int n = db_exec_text(db,
	        "INSERT INTO blocklist (entry) VALUES (?)"
	        " ON CONFLICT (entry) DO NOTHING",
	        p, 1);

	return n < 0 ? -1 : n == 0 ? 1 : 0;
}

int
db_block_del(struct db *db, const char *entry)
{
	const char *p[] = {entry};
	int n = db_exec_text(db, "DELETE FROM blocklist WHERE entry = ?", p, 1);

	return n < 0 ? -1 : n == 0 ? 1 : 0;
}

int
db_block_has(struct db *db, const char *entry)
{
	sqlite3 *h = db_acquire(db);
	sqlite3_stmt *st = NULL;
	int rc = -1, step;

	if (h == NULL)
		return -1;
	if (sqlite3_prepare_v2(h, "SELECT 1 FROM blocklist WHERE entry = ?", -1, &st, NULL) ==
	        SQLITE_OK) {
		sqlite3_bind_text(st, 1, entry, -1, SQLITE_STATIC);
		step = sqlite3_step(st);
		rc = step == SQLITE_ROW ? 1 : step == SQLITE_DONE ? 0 : -1;
	}
	if (rc < 0)
		db_log_error(h, "blocklist lookup");
	sqlite3_finalize(st);
	db_release(db, h);
	return rc;
}

int
db_block_list(struct db *db, db_block_each_fn *fn, void *ctx)
{
	return db_list_text(db, "SELECT entry FROM blocklist ORDER BY entry", fn, ctx,
	        "blocklist list");
}
