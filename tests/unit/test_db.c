/*
 * test_db.c - the SQLite layer: migrations, create-if-absent under
 * concurrent threads (AUTH-4), updates, listing, blocklist.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"

static char db_dir[] = "/tmp/chatrelay-test-db-XXXXXX";
static char db_path[256];

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(db_dir) == NULL)
		return -1;
	snprintf(db_path, sizeof(db_path), "%s/chatrelay.db", db_dir);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", db_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_accounts(void **state)
{
	const char *error = NULL;
	struct db *db = db_open(db_path, &error);
	struct db_account a;

	(void)state;
	assert_non_null(db);
	assert_int_equal(db_account_get(db, "a@x", &a), 1);
	assert_int_equal(db_account_create(db, "a@x", "$y$one", "2026-01-01"), 0);
	assert_int_equal(db_account_create(db, "a@x", "$y$two", "2026-01-02"), 1);
	assert_int_equal(db_account_get(db, "a@x", &a), 0);
	assert_string_equal(a.hash, "$y$one"); /* the first commit defines the password */
	assert_string_equal(a.created_day, "2026-01-01");
	assert_string_equal(a.last_login_day, "2026-01-01");
	assert_false(a.has_quota);
	assert_int_equal(db_account_touch(db, "a@x", "2026-02-03"), 0);
	assert_int_equal(db_account_set_quota(db, "a@x", true, 12345), 0);
	assert_int_equal(db_account_set_hash(db, "a@x", "$y$three"), 0);
	assert_int_equal(db_account_set_hash(db, "b@x", "$y$three"), 1);
	assert_int_equal(db_account_get(db, "a@x", &a), 0);
	assert_string_equal(a.last_login_day, "2026-02-03");
	assert_true(a.has_quota);
	assert_int_equal(a.quota, 12345);
	assert_string_equal(a.hash, "$y$three");
	assert_int_equal(db_account_set_quota(db, "a@x", false, 0), 0);
	assert_int_equal(db_account_get(db, "a@x", &a), 0);
	assert_false(a.has_quota);
	assert_int_equal(db_account_count(db), 1);
	assert_int_equal(db_account_delete(db, "a@x"), 0);
	assert_int_equal(db_account_delete(db, "a@x"), 1);
	assert_int_equal(db_account_count(db), 0);
	db_free(&db);
	assert_null(db);
	/* Reopening runs no migration twice. */
	db = db_open(db_path, &error);
	assert_non_null(db);
	db_free(&db);
}

struct race {
	struct db *db;
	const char *hash;
	int result;
};

static void *
race_thread(void *arg)
{
	struct race *r = arg;

	r->result = db_account_create(r->db, "race@x", r->hash, "2026-01-01");
	return NULL;
}

static void
test_concurrent_create(void **state)
{
	const char *error = NULL;
	struct db *db = db_open(db_path, &error);
	static const char *const hashes[] = {"h0", "h1", "h2", "h3"};

	(void)state;
	for (int round = 0; round < 20; round++) {
		struct race r[4];
		pthread_t th[4];
		struct db_account a;
		int created = 0;

		for (int i = 0; i < 4; i++) {
			r[i] = (struct race){db, hashes[i], -2};
			pthread_create(&th[i], NULL, race_thread, &r[i]);
		}
		for (int i = 0; i < 4; i++) {
			pthread_join(th[i], NULL);
			assert_true(r[i].result == 0 || r[i].result == 1);
			created += r[i].result == 0;
		}
		assert_int_equal(created, 1);
		assert_int_equal(db_account_get(db, "race@x", &a), 0);
		for (int i = 0; i < 4; i++)
			if (r[i].result == 0)
				assert_string_equal(a.hash, hashes[i]);
		assert_int_equal(db_account_delete(db, "race@x"), 0);
	}
	db_free(&db);
}

static int
collect(const char *entry, void *ctx)
{
	strcat(ctx, entry);
	strcat(ctx, ";");
	return 0;
}

static int
collect_accounts(const struct db_account *a, void *ctx)
{
	return collect(a->address, ctx);
}

static void
test_list_and_block(void **state)
{
	const char *error = NULL;
	struct db *db = db_open(db_path, &error);
	char buf[256] = "";

	(void)state;
	assert_int_equal(db_account_create(db, "c@x", "h", "2026-01-01"), 0);
	assert_int_equal(db_account_create(db, "a@x", "h", "2026-01-01"), 0);
	assert_int_equal(db_account_create(db, "b@x", "h", "2026-01-01"), 0);
	assert_int_equal(db_account_list(db, collect_accounts, buf), 0);
	assert_string_equal(buf, "a@x;b@x;c@x;");
	assert_int_equal(db_block_add(db, "spam.example"), 0);
	assert_int_equal(db_block_add(db, "spam.example"), 1);
	assert_int_equal(db_block_add(db, "bad@x"), 0);
	assert_int_equal(db_block_has(db, "bad@x"), 1);
	assert_int_equal(db_block_has(db, "good@x"), 0);
	buf[0] = '\0';
	assert_int_equal(db_block_list(db, collect, buf), 0);
	assert_string_equal(buf, "bad@x;spam.example;");
	assert_int_equal(db_block_del(db, "bad@x"), 0);
	assert_int_equal(db_block_del(db, "bad@x"), 1);
	assert_int_equal(db_schema_version(), 2);
	db_free(&db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_accounts),
	        cmocka_unit_test(test_concurrent_create),
	        cmocka_unit_test(test_list_and_block),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
