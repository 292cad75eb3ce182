/*
 * auth_sys.c - resource checks (AUTH-3) and the INBOX maildir of a new
 * account (AUTH-3, STORE-1), its removal (ACC-7) and usage (CLI-5).
 * Blocking file-system code: worker threads and CLI only.
 */
#define _XOPEN_SOURCE 700
#include "auth/auth_sys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "core/core_conf.h"
#include "core/core_fs.h"
#include "db/db.h"

/* auth_mem_available - MemAvailable of /proc/meminfo in bytes, or -1 if unknown. */
static long long
auth_mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	long long kb = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "MemAvailable: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

int
auth_resources_ok(const struct conf *conf, const char **why_r)
{
	struct statvfs vfs;
	long long mem;
	double load[1];

	if (conf->max_load_1m > 0 && getloadavg(load, 1) == 1 && load[0] > conf->max_load_1m) {
		*why_r = "load average too high";
		return -1;
	}
	mem = auth_mem_available();
	if (conf->min_available_memory > 0 && mem >= 0 &&
	        (unsigned long long)mem < conf->min_available_memory) {
		*why_r = "available memory too low";
		return -1;
	}
	if (conf->min_free_disk_space > 0 && statvfs(conf->data_dir, &vfs) == 0 &&
	        (unsigned long long)vfs.f_bavail * vfs.f_frsize < conf->min_free_disk_space) {
		*why_r = "free disk space too low";
		return -1;
	}
	return 0;
}

int
auth_maildir_path(const struct conf *conf, const char *address, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/mail/%s/%s", conf->data_dir, conf->mail_domain, address);

	if (n < 0 || (size_t)n >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* auth_mkdir_durable - mkdir; when it is new, fsync it and its parent. 0 or -1. */
static int
auth_mkdir_durable(const char *path, const char *parent)
{
	if (mkdir(path, 0700) < 0) {
		if (errno == EEXIST)
			return 0;
		return -1;
	}
	if (fs_fsync_dir(path) < 0 || fs_fsync_dir(parent) < 0)
		return -1;
	return 0;
}

int
auth_maildir_create(const struct conf *conf, const char *address)
{
	static const char *const subs[] = {"cur", "new", "tmp"};
	char mail[4096], domain[4096], box[4096], sub[4200];

	snprintf(mail, sizeof(mail), "%s/mail", conf->data_dir);
	snprintf(domain, sizeof(domain), "%s/%s", mail, conf->mail_domain);
	if (auth_maildir_path(conf, address, box, sizeof(box)) < 0)
		return -1;
	if (auth_mkdir_durable(mail, conf->data_dir) < 0 || auth_mkdir_durable(domain, mail) < 0 ||
	        auth_mkdir_durable(box, domain) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(sub, sizeof(sub), "%s/%s", box, subs[i]);
		if (auth_mkdir_durable(sub, box) < 0)
			return -1;
	}
	return 0;
}

static int
auth_rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int
auth_maildir_remove(const struct conf *conf, const char *address)
{
	char box[4096], parent[4096];

	if (auth_maildir_path(conf, address, box, sizeof(box)) < 0)
		return -1;
	if (nftw(box, auth_rm_cb, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
		return -1;
	snprintf(parent, sizeof(parent), "%s/mail/%s", conf->data_dir, conf->mail_domain);
	(void)fs_fsync_dir(parent);
	return 0;
}

/* auth_dir_bytes - sum of regular files in one directory (message files of cur/ or new/). */
static uint64_t
auth_dir_bytes(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	uint64_t sum = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		struct stat st;

		if (e->d_name[0] == '.' || strncmp(e->d_name, "chatrelay-", 10) == 0)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		        S_ISREG(st.st_mode))
			sum += (uint64_t)st.st_size;
	}
	closedir(d);
	return sum;
}

uint64_t
auth_maildir_usage(const struct conf *conf, const char *address)
{
	char box[4096], sub[8400];
	uint64_t sum;
	DIR *d;
	struct dirent *e;

	if (auth_maildir_path(conf, address, box, sizeof(box)) < 0)
		return 0;
	snprintf(sub, sizeof(sub), "%s/cur", box);
	sum = auth_dir_bytes(sub);
	snprintf(sub, sizeof(sub), "%s/new", box);
	sum += auth_dir_bytes(sub);
	d = opendir(box);
	if (d == NULL)
		return sum;
	/* Maildir++ subfolders: .<name>/cur and .<name>/new (STORE-1). */
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.' || strcmp(e->d_name, ".") == 0 ||
		        strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s/cur", box, e->d_name);
		sum += auth_dir_bytes(sub);
		snprintf(sub, sizeof(sub), "%s/%s/new", box, e->d_name);
		sum += auth_dir_bytes(sub);
	}
	closedir(d);
	return sum;
}

int
auth_account_remove(const struct conf *conf, struct db *db, const char *address)
{
	int r = db_account_delete(db, address);

	if (r < 0)
		return -1;
	/* The row goes first: a crash in between leaves files but no login. */
	if (auth_maildir_remove(conf, address) < 0)
		return -1;
	return r;
}
