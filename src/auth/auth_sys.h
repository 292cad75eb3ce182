/*
 * auth_sys.h - the file-system and host side of accounts: resource checks
 * before creation (AUTH-3) and the account's maildir (AUTH-3, ACC-7,
 * CLI-5). Everything here BLOCKS: worker threads and CLI only.
 *
 * The maildir functions are deliberately small: they move to store/ when
 * the storage module lands (STORE-1 layout).
 */
#ifndef CHATRELAY_AUTH_SYS_H
#define CHATRELAY_AUTH_SYS_H

#include <stddef.h>
#include <stdint.h>

struct conf;
struct db;

/*
 * auth_resources_ok - max_load_1m, min_available_memory and
 * min_free_disk_space (on data_dir). Returns 0 when creation may proceed,
 * -1 when a check fails (the reason, without personal data, in *why_r).
 */
int auth_resources_ok(const struct conf *conf, const char **why_r);

/* auth_maildir_path - <data_dir>/mail/<mail domain>/<address>. 0 or -1 (too long). */
int auth_maildir_path(const struct conf *conf, const char *address, char *out, size_t outlen);

/*
 * auth_maildir_create - INBOX maildir (cur, new, tmp) created durably:
 * every directory fsynced and every parent whose entries changed fsynced.
 * Existing directories are fine. 0 or -1 (errno).
 */
int auth_maildir_create(const struct conf *conf, const char *address);

/* auth_maildir_remove - remove the account's maildir tree (ACC-7). 0 or -1 (errno). */
int auth_maildir_remove(const struct conf *conf, const char *address);

/*
 * auth_account_remove - the blocking half of ACC-7 (CLI-5, EXP-5): delete
 * the account row, then its maildir tree. The loop half is
 * auth_account_gone(). Returns 0, 1 when there was no such account (the
 * maildir is still removed), or -1 (errno).
 */
int auth_account_remove(const struct conf *conf, struct db *db, const char *address);

/* auth_maildir_usage - bytes of message files in every mailbox (QUOTA-1, for CLI-5). */
uint64_t auth_maildir_usage(const struct conf *conf, const char *address);

#endif
