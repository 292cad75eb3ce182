/*
 * store_crash_child.c - the child of the crash test (STORE-7, IMAP-54/55;
 * tests/e2e/test_store_crash.py).
 *
 *   store_crash_child deliver <data_dir> <first-seq> [threads]
 *       delivers messages "X-Seq: <n>" to two accounts from several threads
 *       forever (real fsync, group commit); after each delivery is durable
 *       prints "ACK <n> <uid-a> <uid-b>"; one more thread works on a third
 *       account: delivers, flags (prints "MOD <modseq>" once the change is
 *       durable) and expunges (prints "GONE <uid>"). Meant to be killed
 *       with SIGKILL.
 *   store_crash_child verify <data_dir>
 *       reopens the store (recovering the indexes) and prints
 *       "MSG <account> <uid> <n>" per message and
 *       "STATE <account> <uidvalidity> <uidnext> <highestmodseq>".
 *
 * Not part of the server; built by `make unit-bins`.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core_conf.h"
#include "core/core_log.h"
#include "store/store.h"

static const char *const crash_accounts[3] = {"a@example.org", "b@example.org", "c@example.org"};
static pthread_mutex_t crash_lock = PTHREAD_MUTEX_INITIALIZER;
static long crash_next_seq;
static struct store *crash_store;

static int
crash_conf(struct conf *c, const char *dir)
{
	char ini[1024], err[512];

	snprintf(ini, sizeof(ini), "[params]\nmail_domain = example.org\ndata_dir = %s\n", dir);
	if (conf_init(c) < 0 ||
	        conf_parse(c, ini, strlen(ini), "crash.ini", "/", err, sizeof(err)) < 0) {
		fprintf(stderr, "conf: %s\n", err);
		return -1;
	}
	return 0;
}

static int
crash_spool(long seq, uint64_t *size_r)
{
	char path[] = "/tmp/chatrelay-crash-XXXXXX", text[512];
	int fd = mkstemp(path);
	int n = snprintf(text, sizeof(text),
	        "From: x@example.org\r\nX-Seq: %ld\r\nSubject: crash test\r\n\r\nbody %ld\r\n", seq,
	        seq);

	if (fd < 0)
		return -1;
	unlink(path);
	if (write(fd, text, (size_t)n) != n) {
		close(fd);
		return -1;
	}
	*size_r = (uint64_t)n;
	return fd;
}

static void *
crash_writer(void *arg)
{
	(void)arg;
	for (;;) {
		struct store_rcpt r[2] = {
		        {.account = crash_accounts[0]}, {.account = crash_accounts[1]}};
		uint64_t size;
		long seq;
		int fd;

		pthread_mutex_lock(&crash_lock);
		seq = crash_next_seq++;
		pthread_mutex_unlock(&crash_lock);
		fd = crash_spool(seq, &size);
		if (fd < 0 || store_deliver(crash_store, fd, size, time(NULL), r, 2, NULL) < 0) {
			fprintf(stderr, "deliver %ld failed: %s\n", seq, strerror(errno));
			exit(1);
		}
		close(fd);
		pthread_mutex_lock(&crash_lock);
		printf("ACK %ld %u %u\n", seq, r[0].uid, r[1].uid);
		fflush(stdout);
		pthread_mutex_unlock(&crash_lock);
	}
	return NULL;
}

/* crash_churn_once - deliver, flag the newest, expunge the oldest of account c. */
static int
crash_churn_once(struct store_mailbox *mb, long seq)
{
	struct store_rcpt r = {.account = crash_accounts[2]};
	struct store_flag_result res;
	uint32_t *gone = NULL;
	uint64_t size;
	size_t n = 0;
	int fd = crash_spool(seq, &size);

	if (fd < 0 || store_deliver(crash_store, fd, size, time(NULL), &r, 1, NULL) < 0)
		return -1;
	close(fd);
	if (store_mailbox_store_flags(mb, &r.uid, 1,
	            seq % 2 ? STORE_FLAGS_ADD : STORE_FLAGS_REPLACE,
	            STORE_FLAG_SEEN | STORE_FLAG_FLAGGED, NULL, 0, 0, NULL, &res) < 0)
		return -1;
	pthread_mutex_lock(&crash_lock);
	printf("MOD %llu\n", (unsigned long long)res.modseq);
	fflush(stdout);
	pthread_mutex_unlock(&crash_lock);
	if (r.uid > 3) {
		uint32_t old = r.uid - 3;

		if (store_mailbox_expunge(mb, &old, 1, false, NULL, &gone, &n) < 0)
			return -1;
		pthread_mutex_lock(&crash_lock);
		for (size_t i = 0; i < n; i++)
			printf("GONE %u\n", gone[i]);
		fflush(stdout);
		pthread_mutex_unlock(&crash_lock);
		free(gone);
	}
	return 0;
}

static void *
crash_churn(void *arg)
{
	struct store_mailbox *mb;

	(void)arg;
	if (store_account_create(crash_store, crash_accounts[2]) < 0 ||
	        store_mailbox_open(crash_store, crash_accounts[2], "INBOX", &mb) < 0) {
		fprintf(stderr, "churn: %s\n", strerror(errno));
		exit(1);
	}
	for (long seq = 0;; seq++) {
		if (crash_churn_once(mb, seq) < 0) {
			fprintf(stderr, "churn failed: %s\n", strerror(errno));
			exit(1);
		}
	}
	return NULL;
}

static long
crash_read_seq(struct store_mailbox *mb, uint32_t uid)
{
	char buf[1024];
	uint64_t size;
	ssize_t n;
	int fd;
	const char *p;

	if (store_mailbox_open_msg(mb, uid, &fd, &size) < 0)
		return -2;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -2;
	buf[n] = '\0';
	p = strstr(buf, "X-Seq: ");
	if (p == NULL || (uint64_t)n != size)
		return -1; /* a partial message would be a STORE-7 violation */
	return strtol(p + 7, NULL, 10);
}

static int
crash_verify(void)
{
	for (int a = 0; a < 3; a++) {
		struct store_mailbox *mb;
		struct store_snapshot snap;

		if (store_mailbox_open(crash_store, crash_accounts[a], "INBOX", &mb) < 0) {
			printf("STATE %s 0 1 0\n", crash_accounts[a]);
			continue;
		}
		if (store_mailbox_snapshot(mb, NULL, &snap) < 0)
			return 1;
		for (size_t i = 0; i < snap.count; i++)
			printf("MSG %s %u %ld\n", crash_accounts[a], snap.msgs[i].uid,
			        crash_read_seq(mb, snap.msgs[i].uid));
		printf("STATE %s %u %u %llu\n", crash_accounts[a], snap.uidvalidity, snap.uidnext,
		        (unsigned long long)snap.highestmodseq);
		store_snapshot_free(&snap);
		store_mailbox_close(&mb);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct conf conf;
	int rc = 0;

	if (argc < 3 || (strcmp(argv[1], "deliver") == 0 && argc < 4)) {
		fprintf(stderr, "usage: %s deliver DIR FIRST-SEQ [THREADS] | verify DIR\n",
		        argv[0]);
		return 2;
	}
	log_init(LOG_LEVEL_WARN, LOG_TARGET_STDERR, true);
	if (crash_conf(&conf, argv[2]) < 0 || (crash_store = store_new(&conf, NULL, NULL)) == NULL)
		return 1;
	if (strcmp(argv[1], "deliver") == 0) {
		int threads = argc > 4 ? atoi(argv[4]) : 4;
		pthread_t t[64];

		crash_next_seq = atol(argv[3]);
		if (threads > 63)
			threads = 63;
		for (int i = 0; i < threads; i++)
			pthread_create(&t[i], NULL, crash_writer, NULL);
		pthread_create(&t[threads], NULL, crash_churn, NULL);
		for (int i = 0; i <= threads; i++)
			pthread_join(t[i], NULL);
	} else {
		rc = crash_verify();
	}
	store_free(&crash_store);
	conf_free(&conf);
	return rc;
}
