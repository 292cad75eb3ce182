/*
 * test_core_fs.c - fs_write_durable: content, mode, replace versus
 * "existing file wins", no temporary file left behind; fs_mkdir_p;
 * fs_read_feed: pieces, stop, read error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include <errno.h>

#include <cmocka.h>

#include "core/core_fs.h"

/* read_all - the file's text (at most size - 1 octets), NUL-terminated. */
static void
read_all(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* count_entries - directory entries other than "." and "..". */
static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
test_write_durable(void **state)
{
	char dir[] = "/tmp/chatrelay-test-fs-XXXXXX", path[256], sub[256], buf[64];
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	assert_int_equal(fs_mkdir_p(sub, 0700), 0);
	assert_int_equal(fs_mkdir_p(sub, 0700), 0); /* existing is fine */
	snprintf(path, sizeof(path), "%s/key.pem", sub);

	assert_int_equal(fs_write_durable(path, "first", 5, 0600, false), 0);
	read_all(path, buf, sizeof(buf));
	assert_string_equal(buf, "first");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* !is_replace: the existing file wins */
	errno = 0;
	assert_int_equal(fs_write_durable(path, "second", 6, 0600, false), -1);
	assert_int_equal(errno, EEXIST);
	read_all(path, buf, sizeof(buf));
	assert_string_equal(buf, "first");
	/* is_replace: atomically over it */
	assert_int_equal(fs_write_durable(path, "third", 5, 0600, true), 0);
	read_all(path, buf, sizeof(buf));
	assert_string_equal(buf, "third");
	assert_int_equal(count_entries(sub), 1); /* no temporary file behind */
	/* a missing directory is an error, not a crash */
	snprintf(path, sizeof(path), "%s/missing/x", dir);
	assert_int_equal(fs_write_durable(path, "x", 1, 0600, true), -1);

	snprintf(path, sizeof(path), "%s/key.pem", sub);
	unlink(path);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/a", dir);
	rmdir(sub);
	rmdir(dir);
}

/* Counts what fs_read_feed hands over; stops after stop_at octets when non-zero. */
struct feed_count {
	size_t total;
	size_t calls;
	size_t stop_at;
	unsigned char sum;
};

static int
feed_count_cb(void *arg, const char *data, size_t len)
{
	struct feed_count *fc = arg;

	assert_true(len > 0 && len <= 65536);
	for (size_t i = 0; i < len; i++)
		fc->sum = (unsigned char)(fc->sum + (unsigned char)data[i]);
	fc->total += len;
	fc->calls++;
	return fc->stop_at != 0 && fc->total >= fc->stop_at ? -1 : 0;
}

static void
test_read_feed(void **state)
{
	char path[] = "/tmp/chatrelay-test-feed-XXXXXX";
	static char data[200000];
	struct feed_count fc = {0};
	unsigned char want = 0;
	int fd;

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++) {
		data[i] = (char)(i * 7);
		want = (unsigned char)(want + (unsigned char)data[i]);
	}
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, sizeof(data)), (ssize_t)sizeof(data));
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(fs_read_feed(fd, feed_count_cb, &fc), FS_FEED_EOF);
	assert_int_equal(fc.total, sizeof(data));
	assert_true(fc.calls >= 4); /* 64 KiB pieces */
	assert_int_equal(fc.sum, want);
	/* the feed stops the reading */
	memset(&fc, 0, sizeof(fc));
	fc.stop_at = 1;
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(fs_read_feed(fd, feed_count_cb, &fc), FS_FEED_STOPPED);
	assert_int_equal(fc.calls, 1);
	/* reading goes on from where the feed stopped (one full piece of a regular file) */
	memset(&fc, 0, sizeof(fc));
	assert_int_equal(fs_read_feed(fd, feed_count_cb, &fc), FS_FEED_EOF);
	assert_int_equal(fc.total, sizeof(data) - 65536);
	close(fd);
	unlink(path);
	errno = 0;
	assert_int_equal(fs_read_feed(-1, feed_count_cb, &fc), FS_FEED_READ_ERROR);
	assert_int_equal(errno, EBADF);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_write_durable),
	        cmocka_unit_test(test_read_feed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
