/*
 * core_fs.c - directories, durability and the data_dir lock. Blocking
 * file-system calls only; no policy about what the files hold.
 */
#include "core/core_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int
fs_mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

int
fs_fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
fs_write_all(int fd, const void *buf, size_t len)
{
	const char *data = buf;

	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fs_write_tmp - a new file tmp with mode holding the data, fsynced. */
static int
fs_write_tmp(const char *tmp, const void *data, size_t len, mode_t mode)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	int saved;

	if (fd < 0)
		return -1;
	if (fs_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
}

int
fs_write_durable(const char *path, const void *data, size_t len, mode_t mode, bool is_replace)
{
	char tmp[4200], dir[4096];
	int rc, saved;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp) ||
	        (size_t)snprintf(dir, sizeof(dir), "%s", path) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* a temporary file left by a crashed process with our pid is stale */
	(void)unlink(tmp);
	rc = fs_write_tmp(tmp, data, len, mode);
	if (rc == 0)
		rc = is_replace ? rename(tmp, path) : link(tmp, path);
	saved = errno;
	(void)unlink(tmp);
	if (rc < 0) {
		errno = saved;
		return -1;
	}
	return fs_fsync_dir(dirname(dir));
}

enum fs_feed_result
fs_read_feed(int fd, fs_feed_fn *feed, void *arg)
{
	char buf[65536];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return FS_FEED_READ_ERROR;
		if (n == 0)
			return FS_FEED_EOF;
		if (feed(arg, buf, (size_t)n) < 0)
			return FS_FEED_STOPPED;
	}
}

int
fs_lock_dir(const char *dir)
{
	char path[4096];
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/chatrelay.lock", dir) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}
