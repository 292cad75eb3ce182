/*
 * test_queue_submit.c - queue_submit, the API of the SMTP engine
 * (QUEUE-1, DKIM-1), on a real loop and worker pool: the entry is durable
 * (both files) when done reports ok, the message carries the DKIM-Signature
 * field on top, the first attempt starts at once (QUEUE-3) and its
 * temporary failure is written back (QUEUE-5). Also FED-9, the DSN owed
 * across a crash (DSN-1) and the held entries of SUB-11 across a crash:
 * removed, never delivered, while committed ones are.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <event2/event.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/core_conf.h"
#include "core/core_log.h"
#include "net/net_server.h"
#include "net/net_worker.h"
#include "queue/queue.h"
#include "queue/queue_dkim.h"
#include "store/store.h"

#include "meta_test_http.h"

static int test_done_count;
static bool test_done_ok;

static void
test_done(void *arg, uint64_t requester_id, bool ok)
{
	assert_ptr_equal(arg, &test_done_count);
	assert_int_equal(requester_id, 42);
	test_done_count++;
	test_done_ok = ok;
}

/* test_find - the path of the one "*.ext" file in dir, or "" . */
static void
test_find(const char *dir, const char *ext, char *path, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	path[0] = '\0';
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (n == 16 + strlen(ext) && strcmp(de->d_name + 16, ext) == 0)
			snprintf(path, len, "%s/%s", dir, de->d_name);
	}
	closedir(d);
}

static char *
test_slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 65536);

	assert_non_null(f);
	assert_non_null(buf);
	assert_true(fread(buf, 1, 65535, f) > 0);
	fclose(f);
	return buf;
}

/* test_spin - run the loop until cond or about 10 s. */
#define TEST_SPIN(base, cond)                                                                      \
	for (int spin_ = 0; spin_ < 1000 && !(cond); spin_++) {                                    \
		struct timeval tv_ = {0, 10000};                                                   \
		event_base_loopexit((base), &tv_);                                                 \
		event_base_dispatch(base);                                                         \
	}

static void
test_submit(void **state)
{
	char dir[] = "/tmp/chatrelay-qsubmit-XXXXXX", ini[1024], err[256], qdir[1100];
	char path[1400], *text, spool_path[1200];
	static const char msg[] = "From: alice@example.org\r\nTo: bob@peer.test\r\n"
	                          "Subject: hi\r\n\r\n.dot\r\nbody\r\n";
	char r1[] = "bob@peer.test", r2[] = "carol@peer.test";
	char *rcpts[] = {r1, r2};
	struct conf conf;
	struct server *srv;
	struct queue *q;
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	int fd;

	(void)state;
	log_init(LOG_LEVEL_ERROR, LOG_TARGET_STDERR, true);
	assert_non_null(mkdtemp(dir));
	snprintf(ini, sizeof(ini),
	        "[params]\nmail_domain = example.org\ndata_dir = %s\nthreads = 2\n"
	        "[routes]\npeer.test = http://127.0.0.1:1/mxdeliv -\n",
	        dir);
	assert_int_equal(conf_init(&conf), 0);
	assert_int_equal(conf_parse(&conf, ini, strlen(ini), "t.ini", "/", err, sizeof(err)), 0);
	snprintf(qdir, sizeof(qdir), "%s/queue", dir);
	assert_int_equal(mkdir(qdir, 0700), 0);
	srv = server_new(&conf);
	assert_non_null(srv);
	srv->dkim_signer = queue_dkim_signer_new(key, "example.org", "sel");
	assert_non_null(srv->dkim_signer);
	srv->store = store_new(&conf, srv->workers, NULL);
	assert_non_null(srv->store);
	q = queue_new(srv);
	assert_non_null(q);

	snprintf(spool_path, sizeof(spool_path), "%s/spool", dir);
	fd = open(spool_path, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, msg, sizeof(msg) - 1), sizeof(msg) - 1);
	/* bad arguments fail at once, done does not run */
	assert_int_equal(queue_submit(q, 42, fd, sizeof(msg) - 1, "a b", rcpts, 2, test_done,
	                         &test_done_count),
	        -1);
	assert_int_equal(
	        queue_submit(q, 42, fd, sizeof(msg) - 1, "", rcpts, 0, test_done, &test_done_count),
	        -1);
	char local[] = "dave@Example.org", *local_rcpts[] = {r1, local};
	assert_int_equal(queue_submit(q, 42, fd, sizeof(msg) - 1, "", local_rcpts, 2, test_done,
	                         &test_done_count),
	        -1);
	assert_int_equal(queue_submit(q, 42, fd, sizeof(msg) - 1, "alice@example.org", rcpts, 2,
	                         test_done, &test_done_count),
	        0);
	TEST_SPIN(srv->base, test_done_count > 0);
	assert_int_equal(test_done_count, 1);
	assert_true(test_done_ok);
	assert_int_equal(queue_count(q), 1);
	close(fd);

	/* durable: both files, the signature on top, the body unchanged */
	test_find(qdir, ".msg", path, sizeof(path));
	assert_true(path[0] != '\0');
	text = test_slurp(path);
	assert_int_equal(strncmp(text, "DKIM-Signature: v=1; a=ed25519-sha256;", 38), 0);
	assert_non_null(strstr(text, "\r\nFrom: alice@example.org\r\n"));
	assert_non_null(strstr(text, "\r\n\r\n.dot\r\nbody\r\n"));
	free(text);

	/* the first attempt runs at once; the dead peer is a temporary failure, written back */
	test_find(qdir, ".env", path, sizeof(path));
	assert_true(path[0] != '\0');
	bool is_tried = false;
	for (int i = 0; i < 200 && !is_tried; i++) {
		struct timeval tv = {0, 50000};

		event_base_loopexit(srv->base, &tv);
		event_base_dispatch(srv->base);
		text = test_slurp(path);
		is_tried = strstr(text, "rcpt p 1 ") != NULL && strstr(text, "carol@peer.test") &&
		        strstr(text, "4.4.1") != NULL;
		free(text);
	}
	assert_true(is_tried);
	char *list;
	assert_int_equal(queue_list(q, &list), 0);
	assert_non_null(strstr(list, " alice@example.org peer.test 2 1 "));
	free(list);

	queue_stop(q);
	while (worker_pool_pending(srv->workers) > 0)
		TEST_SPIN(srv->base, worker_pool_pending(srv->workers) == 0);
	queue_free(&q);
	store_free(&srv->store);
	queue_dkim_signer_free(&srv->dkim_signer);
	server_free(&srv);
	conf_free(&conf);
	EVP_PKEY_free(key);
	snprintf(ini, sizeof(ini), "rm -rf '%s'", dir);
	assert_int_equal(system(ini), 0);
}

static void
test_policy(void **state)
{
	struct conf conf;
	char err[256];
	static const char open_ini[] = "[params]\nmail_domain = example.org\n"
	                               "federation_blocklist = bad.test [1.2.3.4]\n";
	static const char allow_ini[] = "[params]\nmail_domain = example.org\n"
	                                "federation_policy = allowlist\n"
	                                "federation_allowlist = good.test\n";

	(void)state;
	assert_int_equal(conf_init(&conf), 0);
	assert_int_equal(
	        conf_parse(&conf, open_ini, strlen(open_ini), "t", "/", err, sizeof(err)), 0);
	assert_true(queue_domain_allowed(&conf, "good.test"));
	assert_false(queue_domain_allowed(&conf, "BAD.test"));
	assert_false(queue_domain_allowed(&conf, "[1.2.3.4]"));
	conf_free(&conf);
	assert_int_equal(conf_init(&conf), 0);
	assert_int_equal(
	        conf_parse(&conf, allow_ini, strlen(allow_ini), "t", "/", err, sizeof(err)), 0);
	assert_true(queue_domain_allowed(&conf, "Good.Test"));
	assert_false(queue_domain_allowed(&conf, "other.test"));
	conf_free(&conf);
}

/* test_write - a whole file. */
static void
test_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

/* test_dsn_in - the one message in dir (a Maildir new/), or NULL. Caller frees. */
static char *
test_dsn_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[2400], *text = NULL;

	if (d == NULL)
		return NULL;
	while (text == NULL && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			text = test_slurp(path);
		}
	closedir(d);
	return text;
}

/* test_start - server, store and queue over dir with conf (already parsed). */
static struct server *
test_start(struct conf *conf, struct queue **q_r)
{
	struct server *srv = server_new(conf);

	assert_non_null(srv);
	srv->store = store_new(conf, srv->workers, NULL);
	assert_non_null(srv->store);
	*q_r = queue_new(srv);
	assert_non_null(*q_r);
	return srv;
}

static void
test_stop(struct server **srvp, struct queue **qp)
{
	queue_stop(*qp);
	while (worker_pool_pending((*srvp)->workers) > 0)
		TEST_SPIN((*srvp)->base, worker_pool_pending((*srvp)->workers) == 0);
	queue_free(qp);
	store_free(&(*srvp)->store);
	server_free(srvp);
}

/*
 * test_dsn_owed - DSN-1 crash safety: a permanent failure is written as
 * 'b' (DSN owed) before the DSN is stored. The DSN cannot be stored here
 * (the sender's tmp/ is a file): 'b' stays on disk and the entry stays,
 * as after a crash at that point. At the next start the DSN is made from
 * the 'b' state, and only then the entry goes.
 */
static void
test_dsn_owed(void **state)
{
	char dir[] = "/tmp/chatrelay-qdsn-XXXXXX", ini[1024], err[256], qdir[1100];
	char path[1400], mdir[1200], tmpdir[1300], newdir[1300], env[256], *text;
	static const char id[] = "0123456789abcdef";
	struct conf conf;
	struct server *srv;
	struct queue *q;
	bool is_owed = false;

	(void)state;
	log_init(LOG_LEVEL_ERROR, LOG_TARGET_STDERR, true);
	assert_non_null(mkdtemp(dir));
	/* FED-7: peer.test is refused at the attempt: a permanent failure without a network */
	snprintf(ini, sizeof(ini),
	        "[params]\nmail_domain = example.org\ndata_dir = %s\nthreads = 2\n"
	        "federation_policy = allowlist\nfederation_allowlist = other.test\n",
	        dir);
	assert_int_equal(conf_init(&conf), 0);
	assert_int_equal(conf_parse(&conf, ini, strlen(ini), "t.ini", "/", err, sizeof(err)), 0);
	snprintf(qdir, sizeof(qdir), "%s/queue", dir);
	assert_int_equal(mkdir(qdir, 0700), 0);
	snprintf(path, sizeof(path), "%s/%s.msg", qdir, id);
	test_write(path, "From: alice@example.org\r\nTo: bob@peer.test\r\n"
	                 "Message-ID: <orig@example.org>\r\n\r\nbody\r\n");
	snprintf(path, sizeof(path), "%s/%s.env", qdir, id);
	snprintf(env, sizeof(env),
	        "chatrelay-queue 1\nqueued %lld\nsender alice@example.org\n"
	        "rcpt p 0 0 bob@peer.test\nend\n",
	        (long long)time(NULL));
	test_write(path, env);

	srv = test_start(&conf, &q);
	assert_int_equal(store_account_create(srv->store, "alice@example.org"), 0);
	assert_int_equal(store_account_dir(srv->store, "alice@example.org", mdir, sizeof(mdir)), 0);
	snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", mdir);
	snprintf(newdir, sizeof(newdir), "%s/new", mdir);
	assert_int_equal(rmdir(tmpdir), 0);
	test_write(tmpdir, "not a directory\n"); /* store_deliver fails: root ignores modes */

	assert_int_equal(queue_flush(q, NULL), 0); /* not 10 s after start (QUEUE-4) */
	for (int i = 0; i < 200 && !is_owed; i++) {
		struct timeval tv = {0, 20000};

		event_base_loopexit(srv->base, &tv);
		event_base_dispatch(srv->base);
		text = test_slurp(path);
		is_owed = strstr(text, "\nrcpt b 0 ") != NULL &&
		        strstr(text, " bob@peer.test 550 5.7.1 Domain not allowed\n") != NULL;
		free(text);
	}
	assert_true(is_owed);
	/* the DSN is not stored and is still owed: the entry stays */
	for (int i = 0; i < 20; i++) {
		struct timeval tv = {0, 10000};

		event_base_loopexit(srv->base, &tv);
		event_base_dispatch(srv->base);
	}
	assert_int_equal(queue_count(q), 1);
	text = test_slurp(path);
	assert_non_null(strstr(text, "\nrcpt b 0 "));
	free(text);
	assert_null(test_dsn_in(newdir));
	test_stop(&srv, &q);

	/* "restart" with a working Maildir: the owed DSN is made, then the entry goes */
	assert_int_equal(unlink(tmpdir), 0);
	assert_int_equal(mkdir(tmpdir, 0700), 0);
	srv = test_start(&conf, &q);
	/* the entry leaves memory after its files are gone (queue_job_done) */
	TEST_SPIN(srv->base, queue_count(q) == 0);
	assert_int_equal(queue_count(q), 0);
	assert_int_not_equal(access(path, F_OK), 0);
	text = test_dsn_in(newdir);
	assert_non_null(text);
	assert_non_null(strstr(text, "Subject: Undelivered Mail Returned to Sender\r\n"));
	assert_non_null(strstr(text, "Final-Recipient: rfc822; bob@peer.test\r\n"));
	assert_non_null(strstr(text, "Status: 5.7.1\r\n"));
	assert_non_null(strstr(text, "Message-ID: <orig@example.org>\r\n"));
	free(text);
	test_stop(&srv, &q);
	conf_free(&conf);
	snprintf(ini, sizeof(ini), "rm -rf '%s'", dir);
	assert_int_equal(system(ini), 0);
}

/* test_exists_ext - whether qdir holds a "<id>.ext" file (ext with its dot). */
static bool
test_exists_ext(const char *qdir, const char *ext)
{
	char path[1400];

	test_find(qdir, ext, path, sizeof(path));
	return path[0] != '\0';
}

static int test_queue_n;
static struct queue *test_queue_q;

/* test_peer_done - mth_loop_until: the peer has test_queue_n requests and the queue is empty. */
static bool
test_peer_done(void *ctx)
{
	return mth_requests(ctx) >= test_queue_n && queue_count(test_queue_q) == 0;
}

/*
 * test_hold_restart - SUB-11 across a crash. A hold written but not
 * committed (the local copies not yet stored, no 250 sent) survives a
 * "crash" as a hold: the restart does not schedule it and removes its
 * files. A hold committed before the crash (the 250 may have gone out) is
 * loaded and delivered. On a live queue a committed hold is delivered
 * once scheduled, and a removed one leaves nothing.
 */
static void
test_hold_restart(void **state)
{
	char dir[] = "/tmp/chatrelay-qhold-XXXXXX", ini[1024], err[256], qdir[1100];
	char spool_path[1200];
	static const char msg[] = "From: alice@example.org\r\nTo: bob@peer.test\r\n"
	                          "Subject: hi\r\n\r\nbody\r\n";
	char r1[] = "bob@peer.test", r2[] = "carol@peer.test";
	char *rcpts1[] = {r1}, *rcpts2[] = {r2};
	static const int ok[] = {200};
	struct queue_hold *held, *committed, *live;
	struct conf conf;
	struct server *srv;
	struct queue *q;
	struct mth peer;
	int fd;

	(void)state;
	log_init(LOG_LEVEL_ERROR, LOG_TARGET_STDERR, true);
	assert_int_equal(mth_start(&peer, ok, 1, 1), 0);
	assert_non_null(mkdtemp(dir));
	snprintf(ini, sizeof(ini),
	        "[params]\nmail_domain = example.org\ndata_dir = %s\nthreads = 2\n"
	        "[routes]\npeer.test = http://127.0.0.1:%d/mxdeliv -\n",
	        dir, peer.port);
	assert_int_equal(conf_init(&conf), 0);
	assert_int_equal(conf_parse(&conf, ini, strlen(ini), "t.ini", "/", err, sizeof(err)), 0);
	snprintf(qdir, sizeof(qdir), "%s/queue", dir);
	assert_int_equal(mkdir(qdir, 0700), 0);
	snprintf(spool_path, sizeof(spool_path), "%s/spool", dir);
	fd = open(spool_path, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, msg, sizeof(msg) - 1), sizeof(msg) - 1);

	srv = test_start(&conf, &q);
	held = queue_hold_new(q, "alice@example.org", rcpts1, 1);
	committed = queue_hold_new(q, "alice@example.org", rcpts2, 1);
	assert_non_null(held);
	assert_non_null(committed);
	assert_int_equal(queue_hold_write(held, fd, sizeof(msg) - 1, false), 0);
	assert_false(queue_hold_is_committed(held));
	assert_true(test_exists_ext(qdir, ".hold"));
	assert_false(test_exists_ext(qdir, ".env"));
	assert_int_equal(queue_hold_write(committed, fd, sizeof(msg) - 1, false), 0);
	assert_int_equal(queue_hold_commit(committed), 0);
	assert_true(queue_hold_is_committed(committed));
	assert_true(test_exists_ext(qdir, ".env"));
	assert_int_equal(queue_count(q), 0); /* nothing scheduled yet */
	/* the "crash": memory goes, the files stay as they are */
	queue_hold_free(&held);
	queue_hold_free(&committed);
	test_stop(&srv, &q);

	/* restart: only the committed entry is an entry; the hold is gone with its message */
	srv = test_start(&conf, &q);
	assert_int_equal(queue_count(q), 1);
	assert_false(test_exists_ext(qdir, ".hold"));
	assert_true(test_exists_ext(qdir, ".env"));
	assert_int_equal(queue_flush(q, NULL), 0); /* not 10 s after start (QUEUE-4) */
	test_queue_q = q;
	test_queue_n = 1;
	assert_true(mth_loop_until(srv->base, test_peer_done, &peer, 10000));
	assert_false(test_exists_ext(qdir, ".env"));
	assert_false(test_exists_ext(qdir, ".msg")); /* the held message went at start */

	/* live: a removed hold leaves nothing, a committed and scheduled one is delivered */
	held = queue_hold_new(q, "alice@example.org", rcpts1, 1);
	assert_non_null(held);
	assert_int_equal(queue_hold_write(held, fd, sizeof(msg) - 1, false), 0);
	assert_int_equal(queue_hold_remove(held), 0);
	assert_false(test_exists_ext(qdir, ".hold"));
	assert_false(test_exists_ext(qdir, ".msg"));
	queue_hold_free(&held);
	live = queue_hold_new(q, "alice@example.org", rcpts2, 1);
	assert_non_null(live);
	assert_int_equal(queue_hold_write(live, fd, sizeof(msg) - 1, false), 0);
	assert_int_equal(queue_hold_commit(live), 0);
	queue_hold_schedule(&live);
	assert_null(live);
	assert_int_equal(queue_count(q), 1);
	test_queue_n = 2;
	assert_true(mth_loop_until(srv->base, test_peer_done, &peer, 10000));
	/* the hold of the crash was never delivered: still two requests after a while */
	for (int i = 0; i < 20; i++) {
		struct timeval tv = {0, 10000};

		event_base_loopexit(srv->base, &tv);
		event_base_dispatch(srv->base);
	}
	assert_int_equal(mth_requests(&peer), 2);
	pthread_mutex_lock(&peer.lock);
	assert_non_null(strstr(peer.lines[0], "POST /mxdeliv "));
	assert_non_null(strstr(peer.bodies[0], "\r\n\r\nbody\r\n"));
	pthread_mutex_unlock(&peer.lock);
	test_stop(&srv, &q);
	close(fd);
	mth_stop(&peer);
	conf_free(&conf);
	snprintf(ini, sizeof(ini), "rm -rf '%s'", dir);
	assert_int_equal(system(ini), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_submit),
	        cmocka_unit_test(test_policy),
	        cmocka_unit_test(test_dsn_owed),
	        cmocka_unit_test(test_hold_restart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
