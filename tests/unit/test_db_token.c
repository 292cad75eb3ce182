/*
 * test_db_token.c - device tokens in SQLite (META-5, META-7, ACC-7):
 * add/refresh, eviction of the least recently set beyond the limit, the
 * live window, expiry, removal, the account list, durability across reopen.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"

static char tok_dir[] = "/tmp/chatrelay-test-dbtok-XXXXXX";
static char tok_path[256];

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(tok_dir) == NULL)
		return -1;
	snprintf(tok_path, sizeof(tok_path), "%s/chatrelay.db", tok_dir);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tok_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* collect_tokens - "tok@time;" per row into a 4 KiB buffer. */
static int
collect_tokens(const char *token, int64_t set_time, void *ctx)
{
	char *buf = ctx;
	size_t n = strlen(buf);

	snprintf(buf + n, 4096 - n, "%s@%lld;", token, (long long)set_time);
	return 0;
}

static int
collect_accounts(const char *account, void *ctx)
{
	char *buf = ctx;

	strcat(buf, account);
	strcat(buf, ";");
	return 0;
}

static void
list(struct db *db, const char *account, int64_t lo, int64_t hi, char *buf)
{
	buf[0] = '\0';
	assert_int_equal(db_token_list(db, account, lo, hi, collect_tokens, buf), 0);
}

static void
test_set_refresh_evict(void **state)
{
	const char *error = NULL;
	struct db *db = db_open(tok_path, &error);
	char buf[4096];

	(void)state;
	assert_non_null(db);
	assert_int_equal(db_token_set(db, "a@x", "t1", 100, 3), 0);
	assert_int_equal(db_token_set(db, "a@x", "t2", 101, 3), 0);
	assert_int_equal(db_token_set(db, "b@x", "t1", 102, 3), 0);
	list(db, "a@x", 0, 1000, buf);
	assert_string_equal(buf, "t1@100;t2@101;");
	/* refresh moves t1 to the most recently set */
	assert_int_equal(db_token_set(db, "a@x", "t1", 200, 3), 0);
	list(db, "a@x", 0, 1000, buf);
	assert_string_equal(buf, "t2@101;t1@200;");
	/* beyond the limit the least recently set (t2) goes */
	assert_int_equal(db_token_set(db, "a@x", "t3", 201, 3), 0);
	assert_int_equal(db_token_set(db, "a@x", "t4", 202, 3), 0);
	list(db, "a@x", 0, 1000, buf);
	assert_string_equal(buf, "t1@200;t3@201;t4@202;");
	/* same second: insertion order breaks the tie */
	assert_int_equal(db_token_set(db, "a@x", "t5", 202, 3), 0);
	list(db, "a@x", 0, 1000, buf);
	assert_string_equal(buf, "t3@201;t4@202;t5@202;");
	/* other accounts untouched */
	list(db, "b@x", 0, 1000, buf);
	assert_string_equal(buf, "t1@102;");
	db_free(&db);
}

static void
test_window_expire_delete(void **state)
{
	const char *error = NULL;
	struct db *db = db_open(tok_path, &error);
	char buf[4096];

	(void)state;
	assert_non_null(db);
	assert_int_equal(db_token_del_all(db, "a@x"), 3);
	assert_int_equal(db_token_del_all(db, "a@x"), 0);
	assert_int_equal(db_token_set(db, "a@x", "old", 10, 32), 0);
	assert_int_equal(db_token_set(db, "a@x", "now", 500, 32), 0);
	assert_int_equal(db_token_set(db, "a@x", "future", 900, 32), 0);
	/* the live window hides tokens without deleting them */
	list(db, "a@x", 100, 600, buf);
	assert_string_equal(buf, "now@500;");
	list(db, "a@x", 0, 1000, buf);
	assert_string_equal(buf, "old@10;now@500;future@900;");
	assert_int_equal(db_token_expire(db, 100, 600), 2); /* old and future; b@x t1@102 stays */
	list(db, "a@x", 0, 1000, buf);
	assert_string_equal(buf, "now@500;");
	assert_int_equal(db_token_del(db, "a@x", "now"), 0);
	assert_int_equal(db_token_del(db, "a@x", "now"), 1);
	list(db, "a@x", 0, 1000, buf);
	assert_string_equal(buf, "");
	db_free(&db);
}

static void
test_accounts_and_reopen(void **state)
{
	const char *error = NULL;
	struct db *db = db_open(tok_path, &error);
	char buf[4096] = "";
	char big[8193];

	(void)state;
	assert_non_null(db);
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(db_token_set(db, "c@x", big, 1000, 32), 0);
	assert_int_equal(db_token_set(db, "b@x", "bb", 1000, 32), 0);
	assert_int_equal(db_token_accounts(db, collect_accounts, buf), 0);
	assert_string_equal(buf, "b@x;c@x;");
	db_free(&db);
	/* durable: a new connection sees the same rows, at schema version 2 */
	db = db_open(tok_path, &error);
	assert_non_null(db);
	assert_int_equal(db_schema_version(), 2);
	assert_int_equal(db_token_del_all(db, "c@x"), 1);
	buf[0] = '\0';
	assert_int_equal(db_token_accounts(db, collect_accounts, buf), 0);
	assert_string_equal(buf, "b@x;");
	/* ACC-7: deleting the account deletes its tokens (trigger) */
	assert_int_equal(db_account_create(db, "b@x", "$y$h", "2026-01-01"), 0);
	assert_int_equal(db_account_delete(db, "b@x"), 0);
	buf[0] = '\0';
	assert_int_equal(db_token_accounts(db, collect_accounts, buf), 0);
	assert_string_equal(buf, "");
	db_free(&db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_set_refresh_evict),
	        cmocka_unit_test(test_window_expire_delete),
	        cmocka_unit_test(test_accounts_and_reopen),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
