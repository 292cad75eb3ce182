/*
 * auth_sys.c - resource checks (AUTH-3) and the INBOX maildir of a new
 * account (AUTH-3, STORE-1), its removal (ACC-7) and usage (CLI-5).
 * Blocking file-system code: worker threads and CLI only.
 */
#define _XOPEN_SOURCE 700
#include "auth/auth_sys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "core/core_conf.h"
#include "core/core_fs.h"
#include "db/db.h"
#include "store/store.h"

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
auth_account_remove(struct db *db, struct store *st, struct store_changes *ch, const char *address)
{
	int r = db_account_delete(db, address);

	if (r < 0)
		return -1;
	/* The row goes first: a crash in between leaves files but no login. */
	if (store_account_delete(st, address, ch) < 0 && errno != ENOENT)
		return -1;
	return r;
}
