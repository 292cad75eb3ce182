/*
 * core_priv.c - privilege handling of GEN-3. Does nothing for non-root.
 */
#include "core/core_priv.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
priv_init(struct priv *p, const char *user, char *err, size_t errlen)
{
	struct passwd *pw;

	memset(p, 0, sizeof(*p));
	p->is_root = geteuid() == 0;
	if (!p->is_root)
		return 0;
	if (user == NULL || user[0] == '\0') {
		snprintf(err, errlen, "started as root but 'user' is not set: refusing to serve as root");
		return -1;
	}
	pw = getpwnam(user);
	if (pw == NULL) {
		snprintf(err, errlen, "user '%s' does not exist", user);
		return -1;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "user '%s' is root: refusing to serve as root", user);
		return -1;
	}
	snprintf(p->name, sizeof(p->name), "%s", user);
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	return 0;
}

int
priv_give_dir(const struct priv *p, const char *path)
{
	if (!p->is_root)
		return 0;
	return chown(path, p->uid, p->gid);
}

int
priv_assume(const struct priv *p)
{
	if (!p->is_root)
		return 0;
	if (initgroups(p->name, p->gid) < 0 || setegid(p->gid) < 0 || seteuid(p->uid) < 0)
		return -1;
	return 0;
}

int
priv_regain(const struct priv *p)
{
	if (!p->is_root)
		return 0;
	if (seteuid(0) < 0 || setegid(0) < 0)
		return -1;
	return 0;
}

int
priv_drop(const struct priv *p, char *err, size_t errlen)
{
	if (!p->is_root)
		return 0;
	if (priv_regain(p) < 0 || initgroups(p->name, p->gid) < 0 || setgid(p->gid) < 0 ||
	    setuid(p->uid) < 0) {
		snprintf(err, errlen, "cannot switch to user '%s': %s", p->name, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0 || seteuid(0) == 0) {
		snprintf(err, errlen, "root privileges could be regained after the drop");
		return -1;
	}
	return 0;
}
