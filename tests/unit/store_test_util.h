/*
 * store_test_util.h - shared helpers of the store unit tests: a temporary
 * data_dir with a parsed configuration, message spool files, file reads.
 * Header-only (static functions) so each test binary stays self-contained.
 */
#ifndef CHATRELAY_TESTS_STORE_TEST_UTIL_H
#define CHATRELAY_TESTS_STORE_TEST_UTIL_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core_conf.h"
#include "store/store.h"

struct store_test_env {
	char dir[256];
	struct conf conf;
	char root[512]; /* <dir>/mail/example.org */
};

static inline int
store_test_env_init(struct store_test_env *env, const char *extra)
{
	char ini[2048], err[512];

	snprintf(env->dir, sizeof(env->dir), "/tmp/chatrelay-store-test-XXXXXX");
	if (mkdtemp(env->dir) == NULL)
		return -1;
	snprintf(ini, sizeof(ini),
	        "[params]\nmail_domain = example.org\nhostname = mx.example.org\n"
	        "data_dir = %s\n%s",
	        env->dir, extra != NULL ? extra : "");
	if (conf_init(&env->conf) < 0 ||
	        conf_parse(&env->conf, ini, strlen(ini), "test.ini", "/tmp", err, sizeof(err)) <
	                0) {
		fprintf(stderr, "conf: %s\n", err);
		return -1;
	}
	snprintf(env->root, sizeof(env->root), "%s/mail/example.org", env->dir);
	return 0;
}

static inline void
store_test_env_free(struct store_test_env *env)
{
	char cmd[512];

	conf_free(&env->conf);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", env->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", env->dir);
}

/* store_test_spool - an unlinked temp file holding text; returns the fd. */
static inline int
store_test_spool(const char *text, uint64_t *size_r)
{
	char path[] = "/tmp/chatrelay-spool-XXXXXX";
	int fd = mkstemp(path);
	size_t n = strlen(text);

	if (fd < 0)
		return -1;
	unlink(path);
	if (write(fd, text, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	*size_r = n;
	return fd;
}

/* store_test_deliver - deliver text to one account; returns the UID or 0. */
static inline uint32_t
store_test_deliver(struct store *st, const char *account, const char *text, time_t when)
{
	struct store_rcpt r = {.account = account};
	uint64_t size;
	int fd = store_test_spool(text, &size);

	if (fd < 0)
		return 0;
	int rc = store_deliver(st, fd, size, when, &r, 1, NULL);

	close(fd);
	return rc == 0 ? r.uid : 0;
}

static inline int
store_test_count_files(const char *dir)
{
	char cmd[1024];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -1 '%s' | wc -l", dir);
	p = popen(cmd, "r");
	if (p == NULL)
		return -1;
	if (fscanf(p, "%d", &n) != 1)
		n = -1;
	pclose(p);
	return n;
}

#endif
