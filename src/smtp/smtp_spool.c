/*
 * smtp_spool.c - anonymous spool files under <data_dir>/tmp (see
 * smtp_spool.h). Short blocking calls: open and small writes are
 * acceptable on the loop (DATA chunks), never an fsync.
 *
 * The pool of released files is shared by the loop and the workers (a
 * mutex); it remembers the directory it belongs to so that a process using
 * several data directories (the unit tests) never crosses them.
 */
#include "smtp/smtp_spool.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core_conf.h"
#include "core/core_fs.h"

#define SMTP_SPOOL_POOL_MAX 64

static pthread_mutex_t smtp_spool_lock = PTHREAD_MUTEX_INITIALIZER;
static int smtp_spool_pool[SMTP_SPOOL_POOL_MAX];
static size_t smtp_spool_npool;
static char smtp_spool_pool_dir[4096]; /* whose files the pool holds */

/* smtp_spool_reuse - a released file of dir, or -1. */
static int
smtp_spool_reuse(const char *dir)
{
	int fd = -1;

	pthread_mutex_lock(&smtp_spool_lock);
	if (strcmp(dir, smtp_spool_pool_dir) != 0) {
		/* Another data directory: forget the old one's files. */
		while (smtp_spool_npool > 0)
			close(smtp_spool_pool[--smtp_spool_npool]);
		snprintf(smtp_spool_pool_dir, sizeof(smtp_spool_pool_dir), "%s", dir);
	} else if (smtp_spool_npool > 0) {
		fd = smtp_spool_pool[--smtp_spool_npool];
	}
	pthread_mutex_unlock(&smtp_spool_lock);
	return fd;
}

void
smtp_spool_release(int fd)
{
	if (fd < 0)
		return;
	if (ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0) {
		pthread_mutex_lock(&smtp_spool_lock);
		if (smtp_spool_npool < SMTP_SPOOL_POOL_MAX && smtp_spool_pool_dir[0] != '\0') {
			smtp_spool_pool[smtp_spool_npool++] = fd;
			fd = -1;
		}
		pthread_mutex_unlock(&smtp_spool_lock);
	}
	if (fd >= 0)
		close(fd);
}

/* smtp_spool_open_named - fallback without O_TMPFILE: create, then unlink at once. */
static int
smtp_spool_open_named(const char *dir)
{
	char path[4096];
	int fd;

	for (int i = 0; i < 16; i++) {
		snprintf(path, sizeof(path), "%s/spool.%ld.%08lx", dir, (long)getpid(),
		        (unsigned long)random());
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0) {
			unlink(path);
			return fd;
		}
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

int
smtp_spool_open(const struct conf *conf)
{
	char dir[4096];
	int fd;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/tmp", conf->data_dir) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = smtp_spool_reuse(dir);
	if (fd >= 0)
		return fd;
#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ENOENT && fs_mkdir_p(dir, 0700) == 0)
		fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
#endif
	if (fs_mkdir_p(dir, 0700) < 0 && errno != EEXIST)
		return -1;
	fd = smtp_spool_open_named(dir);
	return fd;
}

int
smtp_spool_write(int fd, const void *buf, size_t len)
{
	return fs_write_all(fd, buf, len);
}
