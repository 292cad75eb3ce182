/*
 * cli_account.h - `account add|del|list|passwd|quota` and `block add|del|list`
 * (CLI-3..6, ACC-2/3/7, AUTH-5/6).
 *
 * cli_account_run() executes one command against a database; it is used by
 * the CLI directly on a stopped server and by the control socket of a
 * running one (on a worker). It BLOCKS (SQLite, crypt, file system). What
 * the running server must do afterwards on its loop (close sessions, drop
 * cache entries) is returned in struct cli_effects.
 */
#ifndef CHATRELAY_CLI_ACCOUNT_H
#define CHATRELAY_CLI_ACCOUNT_H

#include <stdio.h>

#include "auth/auth_address.h"

struct conf;
struct db;
struct store;
struct store_changes;

/* What a command works on: borrowed, for the duration of cli_account_run. */
struct cli_account_env {
	const struct conf *conf;
	struct db *db;
	struct store *st;          /* maildirs and quota usage (STORE-1, QUOTA-1) */
	struct store_changes *ch;  /* events for the bus when a server runs, else NULL */
};

struct cli_effects {
	char gone[ADDRESS_MAX];    /* deleted account: kick sessions, drop cache (ACC-7) */
	char rekeyed[ADDRESS_MAX]; /* password changed: drop cache (AUTH-8) */
	char blocked[ADDRESS_MAX]; /* new block entry: address or domain */
	long accounts_delta;
};

/*
 * cli_account_run - argv[0] is "account" or "block". Text for stdout goes
 * to out, messages to err. Returns the CLI-1 exit status.
 */
int cli_account_run(const struct cli_account_env *env, int argc, char **argv, FILE *out, FILE *err,
        struct cli_effects *fx);

/* cli_account_cmd / cli_block_cmd - the command-table entries (control socket or direct). */
int cli_account_cmd(struct conf *conf, int argc, char **argv);
int cli_block_cmd(struct conf *conf, int argc, char **argv);

#endif
