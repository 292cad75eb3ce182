/*
 * queue_entry_file.c - the files of queue entries: durable writes, loading
 * at start, removal and moving unreadable entries aside (QUEUE-1, QUEUE-4,
 * QUEUE-5).
 *
 * Every function blocks on disk: worker threads, start-up and the stopped-
 * server CLI only. Never called on the loop thread.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core_fs.h"
#include "queue/queue_entry.h"

void
queue_entry_path(const char *dir, const char *id, const char *ext, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.%s", dir, id, ext);
}

/* queue_entry_write_all - write len octets, retrying short writes. */
static int
queue_entry_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
queue_entry_write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char tmp[4096], path[4096];
	int fd, saved;

	snprintf(tmp, sizeof(tmp), "%s/.tmp-%s", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (queue_entry_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		saved = errno;
		close(fd);
		unlink(tmp);
		errno = saved;
		return -1;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		return -1;
	}
	return fs_fsync_dir(dir);
}

int
queue_entry_save(const char *dir, const struct queue_entry *e)
{
	char *text, name[64];
	size_t len;
	int rc;

	if (queue_entry_render(e, &text, &len) < 0)
		return -1;
	snprintf(name, sizeof(name), "%s.env", e->id);
	rc = queue_entry_write_file(dir, name, text, len);
	free(text);
	return rc;
}

/* queue_entry_read_text - the whole file, bounded; NUL-terminated. */
static int
queue_entry_read_text(const char *path, char **text_r, size_t *len_r)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf;
	size_t got = 0;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_size > QUEUE_ENTRY_ENV_MAX ||
	        (buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*text_r = buf;
	*len_r = got;
	return 0;
}

int
queue_entry_load(const char *dir, const char *id, struct queue_entry **e_r, const char **error_r)
{
	char path[4096], *text;
	size_t len;
	struct stat st;
	int rc;

	queue_entry_path(dir, id, "env", path, sizeof(path));
	if (queue_entry_read_text(path, &text, &len) < 0) {
		*error_r = "unreadable state file";
		return -1;
	}
	rc = queue_entry_parse(id, text, len, e_r, error_r);
	free(text);
	if (rc < 0)
		return -1;
	queue_entry_path(dir, id, "msg", path, sizeof(path));
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		*error_r = "message file missing";
		queue_entry_free(e_r);
		return -1;
	}
	(*e_r)->size = (uint64_t)st.st_size;
	return 0;
}

int
queue_entry_remove(const char *dir, const char *id)
{
	char path[4096];
	int rc = 0;

	/* the .env first: without it the .msg is a stray file, never an entry */
	queue_entry_path(dir, id, "env", path, sizeof(path));
	if (unlink(path) < 0 && errno != ENOENT)
		rc = -1;
	queue_entry_path(dir, id, "msg", path, sizeof(path));
	if (unlink(path) < 0 && errno != ENOENT)
		rc = -1;
	if (fs_fsync_dir(dir) < 0)
		rc = -1;
	return rc;
}

int
queue_entry_move_aside(const char *dir, const char *id)
{
	static const char *const exts[] = {"env", "msg"};
	char aside[4096], from[4096], to[4096];

	snprintf(aside, sizeof(aside), "%s/corrupt", dir);
	if (fs_mkdir_p(aside, 0700) < 0)
		return -1;
	for (size_t i = 0; i < 2; i++) {
		queue_entry_path(dir, id, exts[i], from, sizeof(from));
		queue_entry_path(aside, id, exts[i], to, sizeof(to));
		if (rename(from, to) < 0 && errno != ENOENT)
			return -1;
	}
	return fs_fsync_dir(dir);
}

/* queue_entry_id_cmp - qsort: ids in order (oldest first is not implied, just stable). */
static int
queue_entry_id_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* queue_entry_scan - ids of dir/<id>.env, stray temporaries and lone .msg files removed. */
static int
queue_entry_scan(const char *dir, char ***ids_r, size_t *n_r)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **ids = NULL, path[4096], id[QUEUE_ENTRY_ID_LEN + 1];
	size_t n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (strncmp(de->d_name, ".tmp-", 5) == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path); /* an interrupted write: its entry was never acknowledged */
			continue;
		}
		if (len != QUEUE_ENTRY_ID_LEN + 4 ||
		        strcmp(de->d_name + QUEUE_ENTRY_ID_LEN, ".env") != 0)
			continue;
		memcpy(id, de->d_name, QUEUE_ENTRY_ID_LEN);
		id[QUEUE_ENTRY_ID_LEN] = '\0';
		char **grown = realloc(ids, (n + 1) * sizeof(*ids));
		if (grown == NULL || (grown[n] = strdup(id)) == NULL) {
			ids = grown != NULL ? grown : ids;
			for (size_t i = 0; i < n; i++)
				free(ids[i]);
			free(ids);
			closedir(d);
			errno = ENOMEM;
			return -1;
		}
		ids = grown;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(ids, n, sizeof(*ids), queue_entry_id_cmp);
	*ids_r = ids;
	*n_r = n;
	return 0;
}

int
queue_entry_load_all(const char *dir, struct queue_entry **list_r, size_t *n_r, size_t *bad_r)
{
	char **ids;
	size_t n, loaded = 0, bad = 0;
	struct queue_entry *head = NULL, **tail = &head;

	if (queue_entry_scan(dir, &ids, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct queue_entry *e = NULL;
		const char *error;

		if (!queue_entry_id_ok(ids[i]) || queue_entry_load(dir, ids[i], &e, &error) < 0) {
			queue_entry_move_aside(dir, ids[i]);
			bad++;
		} else {
			*tail = e;
			tail = &e->next;
			loaded++;
		}
		free(ids[i]);
	}
	free(ids);
	*list_r = head;
	*n_r = loaded;
	*bad_r = bad;
	return 0;
}
