/*
 * meta_token_tool.c - device tokens in a stopped server's database, for the
 * end-to-end tests (tests/e2e/test_push.py) until SETMETADATA lands.
 *
 *   meta_token_tool <data_dir> set <account> <token>   add/refresh (now)
 *   meta_token_tool <data_dir> list <account>          live tokens, one a line
 *   meta_token_tool <data_dir> accounts                accounts holding tokens
 *
 * Uses the server's own db_token_* functions and limits. Not part of the
 * server; built by `make unit-bins`. Exit 0, 1 on errors, 2 on usage.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db/db.h"
#include "meta/meta.h"

static int
meta_tool_print_token(const char *token, int64_t set_time, void *ctx)
{
	(void)set_time;
	(void)ctx;
	printf("%s\n", token);
	return 0;
}

static int
meta_tool_print_account(const char *account, void *ctx)
{
	(void)ctx;
	printf("%s\n", account);
	return 0;
}

static int
meta_tool_run(struct db *db, int argc, char **argv)
{
	int64_t now = time(NULL);

	if (argc == 5 && strcmp(argv[2], "set") == 0) {
		if (meta_token_check(argv[4], strlen(argv[4])) != META_OK)
			return 2;
		return db_token_set(db, argv[3], argv[4], now, META_TOKENS_MAX) == 0 ? 0 : 1;
	}
	if (argc == 4 && strcmp(argv[2], "list") == 0)
		return db_token_list(db, argv[3], now - META_TOKEN_LIFETIME,
		               now + META_TOKEN_FUTURE_SKEW, meta_tool_print_token, NULL) == 0
		        ? 0
		        : 1;
	if (argc == 3 && strcmp(argv[2], "accounts") == 0)
		return db_token_accounts(db, meta_tool_print_account, NULL) == 0 ? 0 : 1;
	return 2;
}

int
main(int argc, char **argv)
{
	char path[4096];
	const char *error = NULL;
	struct db *db;
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: meta_token_tool <data_dir> set|list|accounts ...\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/chatrelay.db", argv[1]);
	db = db_open(path, &error);
	if (db == NULL) {
		fprintf(stderr, "meta_token_tool: %s\n", error);
		return 1;
	}
	rc = meta_tool_run(db, argc, argv);
	db_free(&db);
	return rc;
}
