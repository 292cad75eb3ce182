/*
 * smtp_spool.c - anonymous spool files under <data_dir>/tmp (see
 * smtp_spool.h). Short blocking calls: open and small writes are
 * acceptable on the loop (DATA chunks), never an fsync.
 */
#include "smtp/smtp_spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core_conf.h"
#include "core/core_fs.h"

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
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
