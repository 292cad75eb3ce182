/*
 * queue_entry_file.c - the files of queue entries: durable writes, held
 * entries and their commit (SUB-11), loading at start, removal and moving
 * unreadable entries aside (QUEUE-1, QUEUE-4, QUEUE-5).
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

int
queue_entry_hold(const char *dir, const struct queue_entry *e)
{
	char *text, path[4096];
	size_t len;
	int fd, rc = -1, saved;

	if (queue_entry_render(e, &text, &len) < 0)
		return -1;
	/*
	 * No temporary name and no directory flush: a hold that a crash cuts
	 * short, or whose name never reached the disk, is removed at the next
	 * start anyway; queue_entry_commit flushes the directory for both files.
	 */
	queue_entry_path(dir, e->id, "hold", path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		rc = queue_entry_write_all(fd, text, len) == 0 && fsync(fd) == 0 ? 0 : -1;
		saved = errno;
		if (close(fd) < 0 && rc == 0) {
			saved = errno;
			rc = -1;
		}
		if (rc < 0)
			unlink(path);
		errno = saved;
	}
	free(text);
	return rc;
}

int
queue_entry_commit(const char *dir, const char *id)
{
	char from[4096], to[4096];

	queue_entry_path(dir, id, "hold", from, sizeof(from));
	queue_entry_path(dir, id, "env", to, sizeof(to));
	if (rename(from, to) < 0)
		return -1;
	return fs_fsync_dir(dir);
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
	queue_entry_path(dir, id, "hold", path, sizeof(path));
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

/* The ids of one kind of file found by the scan. */
struct queue_entry_ids {
	char (*ids)[QUEUE_ENTRY_ID_LEN + 1]; /* owned */
	size_t n;
};

/* queue_entry_ids_add - append id; -1 ENOMEM. */
static int
queue_entry_ids_add(struct queue_entry_ids *l, const char *id)
{
	char(*grown)[QUEUE_ENTRY_ID_LEN + 1] = realloc(l->ids, (l->n + 1) * sizeof(*l->ids));

	if (grown == NULL) {
		errno = ENOMEM;
		return -1;
	}
	l->ids = grown;
	memcpy(l->ids[l->n++], id, QUEUE_ENTRY_ID_LEN + 1);
	return 0;
}

/* queue_entry_id_cmp - qsort/bsearch: ids in order (oldest first is not implied, just stable). */
static int
queue_entry_id_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* queue_entry_name_id - the id of the file name "<16 octets>.<ext>" into id, or false. */
static bool
queue_entry_name_id(const char *name, const char *ext, char *id)
{
	size_t len = strlen(name);

	if (len != QUEUE_ENTRY_ID_LEN + 1 + strlen(ext) || name[QUEUE_ENTRY_ID_LEN] != '.' ||
	        strcmp(name + QUEUE_ENTRY_ID_LEN + 1, ext) != 0)
		return false;
	memcpy(id, name, QUEUE_ENTRY_ID_LEN);
	id[QUEUE_ENTRY_ID_LEN] = '\0';
	return true;
}

/* queue_entry_unlink - dir/<id>.<ext>; 1 when a file went. */
static int
queue_entry_unlink(const char *dir, const char *id, const char *ext)
{
	char path[4096];

	queue_entry_path(dir, id, ext, path, sizeof(path));
	return unlink(path) == 0;
}

/*
 * queue_entry_scan - the ids of dir/<id>.env, sorted. Left-overs of
 * writes that were never acknowledged go: temporaries, held entries (SUB-11,
 * counted in *held_r) and .msg files without an .env.
 */
static int
queue_entry_scan(const char *dir, struct queue_entry_ids *env, size_t *held_r)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct queue_entry_ids msg = {NULL, 0};
	char path[4096], id[QUEUE_ENTRY_ID_LEN + 1];
	size_t removed = 0;
	int rc = 0;

	*held_r = 0;
	if (d == NULL)
		return -1;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, ".tmp-", 5) == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			removed += unlink(path) == 0; /* an interrupted write */
		} else if (queue_entry_name_id(de->d_name, "env", id))
			rc = queue_entry_ids_add(env, id);
		else if (queue_entry_name_id(de->d_name, "msg", id) && queue_entry_id_ok(id))
			rc = queue_entry_ids_add(&msg, id);
		else if (queue_entry_name_id(de->d_name, "hold", id) && queue_entry_id_ok(id))
			*held_r += (size_t)queue_entry_unlink(dir, id, "hold");
	}
	closedir(d);
	if (rc == 0 && env->n > 0)
		qsort(env->ids, env->n, sizeof(*env->ids), queue_entry_id_cmp);
	/* the .msg of a removed hold, or of a write or removal cut short */
	for (size_t i = 0; rc == 0 && i < msg.n; i++)
		if (env->n == 0 ||
		        bsearch(msg.ids[i], env->ids, env->n, sizeof(*env->ids),
		                queue_entry_id_cmp) == NULL)
			removed += (size_t)queue_entry_unlink(dir, msg.ids[i], "msg");
	free(msg.ids);
	if (rc == 0 && removed + *held_r > 0)
		rc = fs_fsync_dir(dir);
	if (rc < 0) {
		free(env->ids);
		env->ids = NULL;
		env->n = 0;
	}
	return rc;
}

int
queue_entry_load_all(
        const char *dir, struct queue_entry **list_r, size_t *n_r, size_t *bad_r, size_t *held_r)
{
	struct queue_entry_ids ids = {NULL, 0};
	size_t loaded = 0, bad = 0, held;
	struct queue_entry *head = NULL, **tail = &head;

	if (queue_entry_scan(dir, &ids, &held) < 0)
		return -1;
	for (size_t i = 0; i < ids.n; i++) {
		struct queue_entry *e = NULL;
		const char *error;

		if (!queue_entry_id_ok(ids.ids[i]) ||
		        queue_entry_load(dir, ids.ids[i], &e, &error) < 0) {
			queue_entry_move_aside(dir, ids.ids[i]);
			bad++;
		} else {
			*tail = e;
			tail = &e->next;
			loaded++;
		}
	}
	free(ids.ids);
	*list_r = head;
	*n_r = loaded;
	*bad_r = bad;
	if (held_r != NULL)
		*held_r = held;
	return 0;
}
