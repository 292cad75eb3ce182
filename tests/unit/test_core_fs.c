/*
 * test_core_fs.c - fs_write_durable: content, mode, replace versus
 * "existing file wins", no temporary file left behind; fs_mkdir_p.
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_write_durable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
