/*
 * test_smtp_accept.c - the acceptance pipeline (smtp_accept.c) run
 * synchronously against a real store in a temporary data_dir, its pure
 * helpers (DKIM-8 literal match, FED-9 policy), the spool files and the
 * SUB-6 rate table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus/bus.h"
#include "smtp/smtp_accept.h"
#include "smtp/smtp_rate.h"
#include "smtp/smtp_spool.h"
#include "store_test_util.h"

#define ENC_HDR "Content-Type: multipart/encrypted; boundary=\"b\"\r\n"

/* A minimal GATE-4..6 message: PKESK (tag 1, empty) + SEIPD (tag 18, v1). */
#define ENC_BODY                                                                                   \
	"\r\n--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n"                 \
	"--b\r\nContent-Type: application/octet-stream\r\n\r\n"                                    \
	"-----BEGIN PGP MESSAGE-----\r\n\r\nwQDSAgFB\r\n-----END PGP MESSAGE-----\r\n"             \
	"--b--\r\n"

static size_t
count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	size_t n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static struct smtp_accept *
job(struct store_test_env *env, enum smtp_accept_path path, const char *text, const char *rcpt)
{
	struct smtp_accept *a = smtp_accept_new(1);

	assert_non_null(a);
	a->path = path;
	a->conf = &env->conf;
	a->fd = store_test_spool(text, &a->size);
	assert_true(a->fd >= 0);
	snprintf(a->rcpts[0].addr, sizeof(a->rcpts[0].addr), "%s", rcpt);
	snprintf(a->peer_ip, sizeof(a->peer_ip), "127.0.0.1");
	return a;
}

static void
test_literal_matches(void **state)
{
	(void)state;
	assert_true(smtp_accept_literal_matches("[127.0.0.1]", "127.0.0.1"));
	assert_true(smtp_accept_literal_matches("[127.0.0.1]", "::ffff:127.0.0.1"));
	assert_true(smtp_accept_literal_matches("[IPv6:::1]", "::1"));
	assert_false(smtp_accept_literal_matches("[127.0.0.2]", "127.0.0.1"));
	assert_false(smtp_accept_literal_matches("[127.0.0.1", "127.0.0.1"));
	assert_false(smtp_accept_literal_matches("127.0.0.1", "127.0.0.1"));
	assert_false(smtp_accept_literal_matches("[]", ""));
}

static void
test_domain_allowed(void **state)
{
	struct store_test_env env;

	(void)state;
	assert_int_equal(
	        store_test_env_init(&env, "federation_blocklist = bad.test @worse.test\n"), 0);
	assert_true(smtp_accept_domain_allowed(&env.conf, "good.test"));
	assert_false(smtp_accept_domain_allowed(&env.conf, "BAD.test"));
	assert_false(smtp_accept_domain_allowed(&env.conf, "worse.test"));
	store_test_env_free(&env);
	assert_int_equal(store_test_env_init(&env,
	                         "federation_policy = allowlist\nfederation_allowlist = ok.test\n"),
	        0);
	assert_true(smtp_accept_domain_allowed(&env.conf, "ok.test"));
	assert_false(smtp_accept_domain_allowed(&env.conf, "other.test"));
	store_test_env_free(&env);
}

static void
test_spool_is_anonymous(void **state)
{
	struct store_test_env env;
	char tmp[600];
	int fd;

	(void)state;
	assert_int_equal(store_test_env_init(&env, NULL), 0);
	fd = smtp_spool_open(&env.conf);
	assert_true(fd >= 0);
	assert_int_equal(smtp_spool_write(fd, "abc", 3), 0);
	snprintf(tmp, sizeof(tmp), "%s/tmp", env.dir);
	assert_int_equal(count_dir(tmp), 0); /* nothing visible while open */
	close(fd);
	store_test_env_free(&env);
}

/* A released spool file comes back empty at offset 0: no byte of the last message survives. */
static void
test_spool_reuse_is_empty(void **state)
{
	struct store_test_env env;
	char buf[16] = {0};
	struct stat sb;
	int fd, again;

	(void)state;
	assert_int_equal(store_test_env_init(&env, NULL), 0);
	fd = smtp_spool_open(&env.conf);
	assert_true(fd >= 0);
	assert_int_equal(smtp_spool_write(fd, "first message", 13), 0);
	smtp_spool_release(fd);
	again = smtp_spool_open(&env.conf);
	assert_true(again >= 0);
	assert_int_equal(fstat(again, &sb), 0);
	assert_int_equal(sb.st_size, 0);
	assert_int_equal(lseek(again, 0, SEEK_CUR), 0);
	assert_int_equal(smtp_spool_write(again, "two", 3), 0);
	assert_int_equal(pread(again, buf, sizeof(buf), 0), 3);
	assert_string_equal(buf, "two");
	smtp_spool_release(again);
	store_test_env_free(&env);
}

static void
test_rate_table(void **state)
{
	(void)state;
	smtp_rate_clear();
	assert_true(smtp_rate_allow("a@example.org", 1, 2));
	assert_true(smtp_rate_allow("a@example.org", 1, 2));
	assert_false(smtp_rate_allow("a@example.org", 1, 2));
	assert_true(smtp_rate_allow("b@example.org", 1, 2)); /* per account */
	assert_true(smtp_rate_allow("a@example.org", 0, 1)); /* disabled */
	smtp_rate_clear();
}

static void
test_submission_pipeline(void **state)
{
	struct store_test_env env;
	struct store *st;
	struct smtp_accept *a;
	char path[700];

	(void)state;
	assert_int_equal(store_test_env_init(&env, NULL), 0);
	st = store_new(&env.conf, NULL, NULL);
	assert_non_null(st);

	a = job(&env, SMTP_ACCEPT_SUBMISSION, "From: a@example.org\r\nSubject: s\r\n\r\nplain\r\n",
	        "b@example.org");
	snprintf(a->auth_addr, sizeof(a->auth_addr), "a@example.org");
	assert_int_equal(smtp_accept_run(st, a, NULL), -1);
	assert_string_equal(a->reply, "523 5.7.1 Encryption Needed: Invalid Unencrypted Mail");
	smtp_accept_free(&a);

	a = job(&env, SMTP_ACCEPT_SUBMISSION, "From: c@example.org\r\n" ENC_HDR ENC_BODY,
	        "b@example.org");
	snprintf(a->auth_addr, sizeof(a->auth_addr), "a@example.org");
	assert_int_equal(smtp_accept_run(st, a, NULL), -1);
	assert_string_equal(
	        a->reply, "554 5.7.1 From header does not match the authenticated sender");
	smtp_accept_free(&a);

	a = job(&env, SMTP_ACCEPT_SUBMISSION,
	        "Received: x\r\nFrom: a@example.org\r\nSubject: s\r\n" ENC_HDR ENC_BODY,
	        "b@example.org");
	snprintf(a->auth_addr, sizeof(a->auth_addr), "a@example.org");
	assert_int_equal(smtp_accept_run(st, a, NULL), 0);
	assert_string_equal(a->reply, "250 2.0.0 OK");
	assert_int_equal(a->rcpts[0].error, 0);
	smtp_accept_free(&a);
	snprintf(path, sizeof(path), "%s/b@example.org/new", env.root);
	assert_int_equal(count_dir(path), 1);

	store_free(&st);
	store_test_env_free(&env);
}

static void
test_inbound_pipeline(void **state)
{
	struct store_test_env env;
	struct store *st;
	struct smtp_accept *a;

	(void)state;
	assert_int_equal(store_test_env_init(&env, "sender_blocklist = evil.test\n"), 0);
	st = store_new(&env.conf, NULL, NULL);
	assert_non_null(st);
	a = job(&env, SMTP_ACCEPT_INBOUND, "From: x@example.org\r\n" ENC_HDR ENC_BODY,
	        "b@example.org");
	assert_int_equal(smtp_accept_run(st, a, NULL), -1);
	assert_string_equal(a->reply, "550 5.7.1 Local sender must use submission");
	smtp_accept_free(&a);
	a = job(&env, SMTP_ACCEPT_INBOUND, "From: x@evil.test\r\n" ENC_HDR ENC_BODY,
	        "b@example.org");
	assert_int_equal(smtp_accept_run(st, a, NULL), -1);
	assert_string_equal(a->reply, "550 5.7.1 Sender not accepted");
	smtp_accept_free(&a);
	a = job(&env, SMTP_ACCEPT_INBOUND, "From: x@[10.9.9.9]\r\n" ENC_HDR ENC_BODY,
	        "b@example.org");
	assert_int_equal(smtp_accept_run(st, a, NULL), -1);
	assert_string_equal(a->reply, SMTP_ACCEPT_REPLY_LITERAL);
	smtp_accept_free(&a);
	a = job(&env, SMTP_ACCEPT_INBOUND, "Subject: none\r\n\r\nx\r\n", "b@example.org");
	assert_int_equal(smtp_accept_run(st, a, NULL), -1);
	assert_string_equal(a->reply, "554 5.6.0 Missing or invalid From header");
	smtp_accept_free(&a);
	/* reserved recipients only: checked, then nothing stored */
	a = job(&env, SMTP_ACCEPT_INBOUND, "From: x@[127.0.0.1]\r\n" ENC_HDR ENC_BODY,
	        "postmaster@example.org");
	a->rcpts[0].is_discard = true;
	assert_int_equal(smtp_accept_run(st, a, NULL), 0);
	smtp_accept_free(&a);
	store_free(&st);
	store_test_env_free(&env);
}

/* Bus wake-up (IMAP IDLE): an SMTP delivery publishes NEW for the recipient's INBOX. */
struct bus_seen {
	int new_events;
	uint32_t uid;
};

static void
bus_seen_cb(const struct bus_event *ev, void *ctx)
{
	struct bus_seen *seen = ctx;

	if (ev->kind == BUS_EVENT_NEW && ev->mailbox != NULL && strcmp(ev->mailbox, "INBOX") == 0 &&
	        ev->count == 1) {
		seen->new_events++;
		seen->uid = ev->msgs[0].uid;
	}
}

static void
accept_work(struct store *st, void *arg, struct store_changes *ch)
{
	(void)smtp_accept_run(st, arg, ch);
}

static void
test_delivery_publishes_on_bus(void **state)
{
	struct store_test_env env;
	struct bus *bus = bus_new();
	struct bus_sub *sub;
	struct bus_seen seen = {0, 0};
	struct store *st;
	struct smtp_accept *a;

	(void)state;
	assert_int_equal(store_test_env_init(&env, NULL), 0);
	assert_non_null(bus);
	st = store_new(&env.conf, NULL, bus);
	assert_non_null(st);
	sub = bus_subscribe(bus, "b@example.org", "INBOX", bus_seen_cb, &seen);
	assert_non_null(sub);
	a = job(&env, SMTP_ACCEPT_INBOUND, "From: x@remote.test\r\n" ENC_HDR ENC_BODY,
	        "b@example.org");
	assert_int_equal(store_submit(st, 7, accept_work, NULL, a), 0);
	assert_string_equal(a->reply, "250 2.0.0 OK");
	assert_int_equal(seen.new_events, 1);
	assert_int_equal(seen.uid, a->rcpts[0].error == 0 ? 1 : 0);
	smtp_accept_free(&a);
	bus_unsubscribe(bus, &sub);
	store_free(&st);
	bus_free(&bus);
	store_test_env_free(&env);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_literal_matches),
	        cmocka_unit_test(test_domain_allowed),
	        cmocka_unit_test(test_spool_is_anonymous),
	        cmocka_unit_test(test_spool_reuse_is_empty),
	        cmocka_unit_test(test_rate_table),
	        cmocka_unit_test(test_submission_pipeline),
	        cmocka_unit_test(test_inbound_pipeline),
	        cmocka_unit_test(test_delivery_publishes_on_bus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
