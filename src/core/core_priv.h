/*
 * core_priv.h - running as root: privilege drop (GEN-3).
 *
 * When started as root with `user` set, the server creates its files with
 * the effective ids of that user (so they belong to it), regains root to
 * bind the listeners and read root-only certificates, then drops root for
 * good (groups, gid, uid) before reading any client data.
 */
#ifndef CHATRELAY_CORE_PRIV_H
#define CHATRELAY_CORE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct priv {
	bool is_root;   /* started as root: the rest applies */
	char name[64];
	uid_t uid;
	gid_t gid;
};

/* priv_init - note whether we are root and resolve user. -1 with err (GEN-3: exit 2). */
int priv_init(struct priv *p, const char *user, char *err, size_t errlen);

/* priv_give_dir - hand a directory created by root to the user (chown). */
int priv_give_dir(const struct priv *p, const char *path);

/* priv_assume - switch effective ids to the user (files created now belong to it). */
int priv_assume(const struct priv *p);

/* priv_regain - effective root again (binding, reading root-only keys). */
int priv_regain(const struct priv *p);

/* priv_drop - drop root permanently; verifies that root cannot be regained. */
int priv_drop(const struct priv *p, char *err, size_t errlen);

#endif
