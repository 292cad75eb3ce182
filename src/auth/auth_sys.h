/*
 * auth_sys.h - the host side of accounts: resource checks before creation
 * (AUTH-3) and account removal (ACC-7, CLI-5). Maildirs belong to store/.
 * Everything here BLOCKS: worker threads and CLI only.
 */
#ifndef CHATRELAY_AUTH_SYS_H
#define CHATRELAY_AUTH_SYS_H

#include <stddef.h>
#include <stdint.h>

struct conf;
struct db;
struct store;
struct store_changes;

/*
 * auth_resources_ok - max_load_1m, min_available_memory and
 * min_free_disk_space (on data_dir). Returns 0 when creation may proceed,
 * -1 when a check fails (the reason, without personal data, in *why_r).
 */
int auth_resources_ok(const struct conf *conf, const char **why_r);

/*
 * auth_account_remove - the blocking half of ACC-7 (CLI-5, EXP-5): delete
 * the account row, then its maildir tree through the store (which drops its
 * quota usage and collects ACCOUNT_DELETED in ch for the bus). The loop half
 * is auth_account_gone(). Returns 0, 1 when there was no such account (the
 * maildir is still removed), or -1 (errno).
 */
int auth_account_remove(struct db *db, struct store *st, struct store_changes *ch, const char *address);

#endif
