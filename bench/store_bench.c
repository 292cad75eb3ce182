/*
 * store_bench.c - deliveries per second of the store (printed, not a test;
 * `make store-bench`). Measures 1 and 20 concurrent writers, each to its own
 * account and all into one shared mailbox (where group commit matters),
 * with real fsync and with fsync disabled, so the cost of durability and
 * the gain of group commit are visible.
 *
 *   store_bench [data-dir-parent] [seconds-per-case]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/core_conf.h"
#include "core/core_log.h"
#include "store/store.h"

struct bench_case {
	struct store *st;
	int fd;
	uint64_t size;
	double seconds;
	bool is_shared; /* all writers into one mailbox */
	atomic_long count;
	atomic_int failed;
};

struct bench_writer {
	struct bench_case *c;
	int id;
};

static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
bench_writer_main(void *arg)
{
	struct bench_writer *w = arg;
	struct bench_case *c = w->c;
	char account[64];
	double end = bench_now() + c->seconds;

	snprintf(account, sizeof(account), "user%d@example.org", c->is_shared ? 0 : w->id);
	while (bench_now() < end) {
		struct store_rcpt r = {.account = account};

		if (store_deliver(c->st, c->fd, c->size, time(NULL), &r, 1, NULL) < 0) {
			atomic_store(&c->failed, 1);
			break;
		}
		atomic_fetch_add(&c->count, 1);
	}
	return NULL;
}

static double
bench_run(const struct conf *conf, bool do_fsync, int writers, bool is_shared, int fd,
        uint64_t size, double seconds)
{
	struct bench_case c = {.fd = fd, .size = size, .seconds = seconds, .is_shared = is_shared};
	pthread_t t[64];
	struct bench_writer w[64];
	double start;

	c.st = store_new(conf, NULL, NULL);
	if (c.st == NULL)
		return -1;
	store_set_fsync(c.st, do_fsync);
	start = bench_now();
	for (int i = 0; i < writers; i++) {
		w[i] = (struct bench_writer){&c, i};
		pthread_create(&t[i], NULL, bench_writer_main, &w[i]);
	}
	for (int i = 0; i < writers; i++)
		pthread_join(t[i], NULL);
	store_free(&c.st);
	if (atomic_load(&c.failed))
		return -1;
	return (double)atomic_load(&c.count) / (bench_now() - start);
}

static int
bench_message(uint64_t *size_r)
{
	char path[] = "/tmp/chatrelay-bench-XXXXXX";
	char body[4096];
	int fd = mkstemp(path);
	int n;

	if (fd < 0)
		return -1;
	unlink(path);
	/* A typical Delta Chat message: a few KiB of armored PGP. */
	memset(body, 'A', sizeof(body));
	n = snprintf(
	        body, 200, "From: a@example.org\r\nTo: b@example.org\r\nSubject: [...]\r\n\r\n");
	body[n] = 'A';
	memcpy(body + sizeof(body) - 2, "\r\n", 2);
	if (write(fd, body, sizeof(body)) != (ssize_t)sizeof(body)) {
		close(fd);
		return -1;
	}
	*size_r = sizeof(body);
	return fd;
}

int
main(int argc, char **argv)
{
	const char *parent = argc > 1 ? argv[1] : "/tmp";
	double seconds = argc > 2 ? atof(argv[2]) : 2.0;
	char dir[512], ini[1024], err[512], cmd[600];
	struct conf conf;
	uint64_t size;
	int fd;

	log_init(LOG_LEVEL_WARN, LOG_TARGET_STDERR, true);
	snprintf(dir, sizeof(dir), "%s/chatrelay-bench-XXXXXX", parent);
	if (mkdtemp(dir) == NULL || (fd = bench_message(&size)) < 0)
		return 1;
	snprintf(ini, sizeof(ini), "[params]\nmail_domain = example.org\ndata_dir = %s\n", dir);
	if (conf_init(&conf) < 0 ||
	        conf_parse(&conf, ini, strlen(ini), "bench.ini", "/", err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("store_bench: %llu-octet messages, %.1f s per case, data in %s\n",
	        (unsigned long long)size, seconds, dir);
	printf("%-8s %-8s %-18s %12s\n", "fsync", "writers", "mailboxes", "deliveries/s");
	for (int f = 1; f >= 0; f--) {
		static const int counts[] = {1, 20};

		for (size_t k = 0; k < 2; k++) {
			for (int shared = 0; shared <= (counts[k] > 1); shared++) {
				double r =
				        bench_run(&conf, f, counts[k], shared, fd, size, seconds);

				printf("%-8s %-8d %-18s %12.0f\n", f ? "yes" : "no", counts[k],
				        shared ? "one shared" : "one per writer", r);
				fflush(stdout);
			}
		}
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	close(fd);
	conf_free(&conf);
	return 0;
}
