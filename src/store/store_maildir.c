/*
 * store_maildir.c - Maildir files: names, flags, writing, and the scan that
 * reconciles the index with the directories (STORE-2, STORE-5, STORE-7).
 *
 * Responsible for everything that looks at file names and directory
 * listings. Does not decide when to commit (store_mbox.c) and never reads
 * message content except to copy it. Called with the mailbox lock held.
 */
#include "store/store_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/core_fs.h"

/* Flag letters in ASCII order (STORE-2). */
static const struct {
	char letter;
	uint32_t flag;
} store_letters[] = {
        {'D', STORE_FLAG_DRAFT},
        {'F', STORE_FLAG_FLAGGED},
        {'R', STORE_FLAG_ANSWERED},
        {'S', STORE_FLAG_SEEN},
        {'T', STORE_FLAG_DELETED},
};

int
store_maildir_make(const char *dir, bool is_folder, bool do_fsync)
{
	/* cur/ last: its presence is what marks a complete maildir (store_maildir_exists). */
	static const char *const subs[] = {"tmp", "new", "cur"};
	char p[STORE_PATH_MAX];

	if (fs_mkdir_p(dir, 0700) < 0)
		return -1;
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, subs[i]);
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return -1;
	}
	if (is_folder) {
		/* Maildir++: an empty "maildirfolder" marks a subfolder (STORE-1). */
		snprintf(p, sizeof(p), "%s/maildirfolder", dir);
		int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

		if (fd < 0)
			return -1;
		close(fd);
	}
	if (!do_fsync)
		return 0;
	char parent[STORE_PATH_MAX];
	char *slash;

	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (slash != NULL)
		*slash = '\0';
	if (fs_fsync_dir(dir) < 0 || (slash != NULL && fs_fsync_dir(parent) < 0))
		return -1;
	return 0;
}

int
store_maildir_newname(struct store *st, uint64_t size, char *buf, size_t len)
{
	struct timeval tv;
	unsigned long q;

	gettimeofday(&tv, NULL);
	pthread_mutex_lock(&st->lock);
	q = ++st->counter;
	pthread_mutex_unlock(&st->lock);
	if ((size_t)snprintf(buf, len, "%lld.M%06ldP%ldQ%lu.%s,S=%llu,W=%llu", (long long)tv.tv_sec,
	            (long)tv.tv_usec, (long)st->pid, q, st->host, (unsigned long long)size,
	            (unsigned long long)size) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

size_t
store_maildir_key_len(const char *name)
{
	const char *c = strstr(name, ":2,");

	return c != NULL ? (size_t)(c - name) : strlen(name);
}

uint32_t
store_maildir_parse_flags(const char *name)
{
	const char *c = strstr(name, ":2,");
	uint32_t flags = 0;

	if (c == NULL)
		return 0;
	for (c += 3; *c != '\0'; c++)
		for (size_t i = 0; i < sizeof(store_letters) / sizeof(store_letters[0]); i++)
			if (*c == store_letters[i].letter)
				flags |= store_letters[i].flag;
	return flags;
}

int
store_maildir_flagged_name(const char *name, uint32_t flags, char *buf, size_t len)
{
	size_t k = store_maildir_key_len(name), o;

	if (k + 4 + 5 >= len || k + 8 > STORE_FILENAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, name, k);
	memcpy(buf + k, ":2,", 3);
	o = k + 3;
	for (size_t i = 0; i < sizeof(store_letters) / sizeof(store_letters[0]); i++)
		if (flags & store_letters[i].flag)
			buf[o++] = store_letters[i].letter;
	buf[o] = '\0';
	return 0;
}

int
store_maildir_path(
        const struct store_mailbox *mb, const struct store_index_entry *e, char *buf, size_t len)
{
	const char *sub = (e->flags & STORE_FLAG_IN_NEW) ? "new" : "cur";

	if ((size_t)snprintf(buf, len, "%s/%s/%s", mb->dir, sub, e->name) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* store_maildir_copy_fd - size octets from in_fd at offset 0 to out_fd. */
static int
store_maildir_copy_fd(int in_fd, int out_fd, uint64_t size)
{
	char buf[65536];
	uint64_t done = 0;

	while (done < size) {
		size_t want = size - done < sizeof(buf) ? (size_t)(size - done) : sizeof(buf);
		ssize_t r = pread(in_fd, buf, want, (off_t)done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO; /* the spool file is shorter than announced */
			return -1;
		}
		if (fs_write_all(out_fd, buf, (size_t)r) < 0)
			return -1;
		done += (uint64_t)r;
	}
	return 0;
}

/* store_maildir_copy - the body into out_fd: from its file or its memory pieces. */
static int
store_maildir_copy(const struct store_body *body, int out_fd)
{
	uint64_t done = 0;

	if (body->fd >= 0)
		return store_maildir_copy_fd(body->fd, out_fd, body->size);
	for (size_t i = 0; i < body->npieces; i++) {
		if (fs_write_all(out_fd, body->piece[i].data, body->piece[i].len) < 0)
			return -1;
		done += body->piece[i].len;
	}
	if (done != body->size) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
store_maildir_write(const struct store_body *body, const char *path, time_t mtime, bool do_fsync)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	struct timespec ts[2];

	if (fd < 0)
		return -1;
	ts[0].tv_sec = ts[1].tv_sec = mtime;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	/* The file modification time is the INTERNALDATE (STORE-2); fsync covers it too. */
	if (store_maildir_copy(body, fd) < 0 || futimens(fd, ts) < 0 ||
	        (do_fsync && fsync(fd) < 0)) {
		int saved = errno;

		close(fd);
		unlink(path);
		errno = saved;
		return -1;
	}
	if (close(fd) < 0) {
		unlink(path);
		return -1;
	}
	return 0;
}
