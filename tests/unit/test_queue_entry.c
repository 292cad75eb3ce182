/*
 * test_queue_entry.c - unit tests for src/queue/queue_entry.c and
 * queue_entry_file.c: the .env format (round trip, truncation at every
 * byte, corrupted lines), loading a queue directory with bad entries moved
 * aside (QUEUE-4), and the result/retry decisions with an injected clock
 * (QUEUE-3).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "queue/queue_entry.h"
#include "queue/queue_schedule.h"

static const struct queue_schedule sched = {60, 3600, 5 * 86400, 16};

static struct queue_entry *
test_entry(void)
{
	struct queue_entry *e = queue_entry_new("0123456789abcdef", 1000, "alice@example.org");

	assert_non_null(e);
	assert_int_equal(queue_entry_add_rcpt(e, "bob@Peer.Test", 1000), 0);
	assert_int_equal(queue_entry_add_rcpt(e, "carol@peer.test", 1000), 0);
	assert_int_equal(queue_entry_add_rcpt(e, "dave@other.test", 1000), 0);
	return e;
}

static void
test_roundtrip(void **state)
{
	struct queue_entry *e = test_entry(), *p = NULL;
	const char *error;
	char *text;
	size_t len;

	(void)state;
	assert_string_equal(e->rcpts[0].domain, "peer.test");
	e->rcpts[1].state = QUEUE_RCPT_DELIVERED;
	e->rcpts[0].state = QUEUE_RCPT_FAILED;
	e->rcpts[0].is_dsn_owed = true; /* DSN-1: written as 'b' until the DSN is stored */
	e->rcpts[2].attempts = 3;
	e->rcpts[2].next_at = 4242;
	queue_entry_set_error(&e->rcpts[2], "451 4.3.0 try\r\nlater");
	assert_int_equal(queue_entry_render(e, &text, &len), 0);
	assert_int_equal(queue_entry_parse(e->id, text, len, &p, &error), 0);
	assert_int_equal(p->queued_at, 1000);
	assert_string_equal(p->sender, "alice@example.org");
	assert_int_equal(p->n_rcpts, 3);
	assert_int_equal(p->rcpts[1].state, QUEUE_RCPT_DELIVERED);
	assert_non_null(strstr(text, "\nrcpt b 0 1000 bob@peer.test\n"));
	assert_int_equal(p->rcpts[0].state, QUEUE_RCPT_FAILED);
	assert_true(p->rcpts[0].is_dsn_owed);
	assert_false(p->rcpts[2].is_dsn_owed);
	assert_int_equal(p->rcpts[2].attempts, 3);
	assert_int_equal(p->rcpts[2].next_at, 4242);
	assert_string_equal(p->rcpts[2].error, "451 4.3.0 try  later");
	assert_null(p->rcpts[0].error);
	assert_int_equal(queue_entry_pending(p), 1);
	/* every truncation is refused: the "end" line is the commit mark */
	for (size_t cut = 0; cut < len; cut++) {
		struct queue_entry *t = NULL;

		assert_int_equal(queue_entry_parse(e->id, text, cut, &t, &error), -1);
		assert_null(t);
	}
	queue_entry_free(&p);
	queue_entry_free(&e);
	free(text);
}

static void
test_null_sender(void **state)
{
	struct queue_entry *e = queue_entry_new("0123456789abcdef", 5, ""), *p = NULL;
	const char *error;
	char *text;
	size_t len;

	(void)state;
	assert_int_equal(queue_entry_add_rcpt(e, "x@y.test", 5), 0);
	assert_int_equal(queue_entry_render(e, &text, &len), 0);
	assert_non_null(strstr(text, "sender <>\n"));
	assert_int_equal(queue_entry_parse(e->id, text, len, &p, &error), 0);
	assert_string_equal(p->sender, "");
	queue_entry_free(&p);
	queue_entry_free(&e);
	free(text);
}

static void
test_corrupted(void **state)
{
	static const char *const bad[] = {
	        "", "chatrelay-queue 2\nqueued 1\nsender <>\nrcpt p 0 0 a@b.test\nend\n",
	        "chatrelay-queue 1\nqueued x\nsender <>\nrcpt p 0 0 a@b.test\nend\n",
	        "chatrelay-queue 1\nqueued 1\nsender <>\nrcpt z 0 0 a@b.test\nend\n",
	        "chatrelay-queue 1\nqueued 1\nsender <>\nrcpt p 0 0 nodomain\nend\n",
	        "chatrelay-queue 1\nqueued 1\nsender <>\nrcpt p x 0 a@b.test\nend\n",
	        "chatrelay-queue 1\nqueued 1\nsender <>\nend\n",            /* no recipient */
	        "chatrelay-queue 1\nsender <>\nrcpt p 0 0 a@b.test\nend\n", /* no time */
	        "chatrelay-queue 1\nqueued 1\nsender <>\nrcpt p 0 0 a@b.test\nend\nrcpt p 0 0 "
	        "c@d.test\n",
	        "chatrelay-queue 1\nqueued 1\nsender a b\nrcpt p 0 0 a@b.test\nend\n",
	        "chatrelay-queue 1\nqueued 1\nbogus\nrcpt p 0 0 a@b.test\nend\n",
	        "chatrelay-queue 1\nqueued 1\nsender <>\nrcpt p 0 0 a@b.test\nend", /* no LF */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct queue_entry *e = NULL;
		const char *error = NULL;

		assert_int_equal(
		        queue_entry_parse("0123456789abcdef", bad[i], strlen(bad[i]), &e, &error),
		        -1);
		assert_null(e);
		assert_non_null(error);
	}
	/* a NUL inside the text */
	struct queue_entry *e = NULL;
	const char *error;
	static const char nul[] =
	        "chatrelay-queue 1\nqueued 1\0\nsender <>\nrcpt p 0 0 a@b.test\nend\n";
	assert_int_equal(
	        queue_entry_parse("0123456789abcdef", nul, sizeof(nul) - 1, &e, &error), -1);
}

static void
test_addresses(void **state)
{
	(void)state;
	assert_true(queue_entry_address_ok("a@b", false));
	assert_true(queue_entry_address_ok("", true));
	assert_false(queue_entry_address_ok("", false));
	assert_false(queue_entry_address_ok("a b@c", false));
	assert_false(queue_entry_address_ok("@c", false));
	assert_false(queue_entry_address_ok("a@", false));
	assert_false(queue_entry_address_ok("<a@b>", false));
	assert_true(queue_entry_id_ok("0123456789abcdef"));
	assert_false(queue_entry_id_ok("0123456789ABCDEF"));
	assert_false(queue_entry_id_ok("0123456789abcde"));
	assert_false(queue_entry_id_ok("../../etc/passwd"));
	char id[QUEUE_ENTRY_ID_LEN + 1];
	queue_entry_new_id(id);
	assert_true(queue_entry_id_ok(id));
}

static void
test_results(void **state)
{
	struct queue_entry *e = test_entry();

	(void)state;
	/* a temporary failure waits retry_initial * 2^(k-1) (QUEUE-3) */
	queue_entry_result(&sched, e, 0, 4, "451 4.3.0 busy", 2000);
	assert_int_equal(e->rcpts[0].state, QUEUE_RCPT_PENDING);
	assert_int_equal(e->rcpts[0].next_at, 2060);
	queue_entry_result(&sched, e, 0, 4, "451 4.3.0 busy", 2060);
	assert_int_equal(e->rcpts[0].next_at, 2060 + 120);
	assert_string_equal(e->rcpts[0].error, "451 4.3.0 busy");
	assert_false(e->rcpts[0].is_new_failure);
	/* a permanent failure ends at once and asks for a DSN */
	queue_entry_result(&sched, e, 1, 5, "550 5.1.1 unknown", 2000);
	assert_int_equal(e->rcpts[1].state, QUEUE_RCPT_FAILED);
	assert_true(e->rcpts[1].is_new_failure);
	/* delivered */
	queue_entry_result(&sched, e, 2, 2, "250 2.0.0 OK", 2000);
	assert_int_equal(e->rcpts[2].state, QUEUE_RCPT_DELIVERED);
	assert_int_equal(queue_entry_pending(e), 1);
	/* a temporary failure past queue_lifetime expires with 4.4.7 */
	queue_entry_result(&sched, e, 0, 4, "451 4.3.0 busy", 1000 + 5 * 86400 + 1);
	assert_int_equal(e->rcpts[0].state, QUEUE_RCPT_FAILED);
	assert_string_equal(e->rcpts[0].error, QUEUE_SCHEDULE_EXPIRED_REASON);
	assert_int_equal(queue_entry_pending(e), 0);
	queue_entry_free(&e);
}

static void
test_list(void **state)
{
	struct queue_entry *e = test_entry();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	queue_entry_result(&sched, e, 0, 4, "451 4.3.0 busy", 1000);
	queue_entry_list(f, e, 1010);
	fclose(f);
	assert_string_equal(buf,
	        "0123456789abcdef 10 alice@example.org peer.test 2 1 0 451 4.3.0 busy\n"
	        "0123456789abcdef 10 alice@example.org other.test 1 0 0 -\n");
	free(buf);
	queue_entry_free(&e);
}

static void
test_load_all(void **state)
{
	char dir[] = "/tmp/chatrelay-queue-test-XXXXXX", path[4200];
	struct queue_entry *e = test_entry(), *list = NULL;
	size_t n, bad;
	struct stat st;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* a good entry */
	assert_int_equal(
	        queue_entry_write_file(dir, "0123456789abcdef.msg", "X: y\r\n\r\nb\r\n", 11), 0);
	assert_int_equal(queue_entry_save(dir, e), 0);
	/* a truncated state file */
	snprintf(path, sizeof(path), "%s/1111111111111111.env", dir);
	f = fopen(path, "w");
	fputs("chatrelay-queue 1\nqueued 1\nsender <>\nrcpt p 0 0 a@b.te", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/1111111111111111.msg", dir);
	fclose(fopen(path, "w"));
	/* a state file without its message */
	snprintf(path, sizeof(path), "%s/2222222222222222.env", dir);
	f = fopen(path, "w");
	fputs("chatrelay-queue 1\nqueued 1\nsender <>\nrcpt p 0 0 a@b.test\nend\n", f);
	fclose(f);
	/* an interrupted write */
	snprintf(path, sizeof(path), "%s/.tmp-3333333333333333.env", dir);
	fclose(fopen(path, "w"));
	/* a message whose state file never came (or went first on removal) */
	snprintf(path, sizeof(path), "%s/4444444444444444.msg", dir);
	fclose(fopen(path, "w"));

	assert_int_equal(queue_entry_load_all(dir, &list, &n, &bad, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(bad, 2);
	snprintf(path, sizeof(path), "%s/4444444444444444.msg", dir);
	assert_int_equal(stat(path, &st), -1);
	assert_non_null(list);
	assert_string_equal(list->id, "0123456789abcdef");
	assert_int_equal(list->size, 11);
	assert_null(list->next);
	snprintf(path, sizeof(path), "%s/corrupt/1111111111111111.env", dir);
	assert_int_equal(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/corrupt/1111111111111111.msg", dir);
	assert_int_equal(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/corrupt/2222222222222222.env", dir);
	assert_int_equal(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/.tmp-3333333333333333.env", dir);
	assert_int_equal(stat(path, &st), -1);
	/* removal */
	assert_int_equal(queue_entry_remove(dir, "0123456789abcdef"), 0);
	snprintf(path, sizeof(path), "%s/0123456789abcdef.msg", dir);
	assert_int_equal(stat(path, &st), -1);
	queue_entry_free(&list);
	queue_entry_free(&e);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

/* test_exists - whether dir/<id>.<ext> exists. */
static bool
test_exists(const char *dir, const char *id, const char *ext)
{
	char path[4200];
	struct stat st;

	queue_entry_path(dir, id, ext, path, sizeof(path));
	return stat(path, &st) == 0;
}

/*
 * test_hold - SUB-11 on disk: a held entry (<id>.hold) is no entry: the
 * scan at start removes it with its message and loads nothing; after the
 * commit it is an ordinary entry that the scan loads.
 */
static void
test_hold(void **state)
{
	char dir[] = "/tmp/chatrelay-queue-hold-XXXXXX", path[4200];
	struct queue_entry *e = test_entry(), *list = NULL;
	size_t n, bad, held;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(
	        queue_entry_write_file(dir, "0123456789abcdef.msg", "X: y\r\n\r\nb\r\n", 11), 0);
	assert_int_equal(queue_entry_hold(dir, e), 0);
	assert_true(test_exists(dir, e->id, "hold"));
	assert_false(test_exists(dir, e->id, "env"));
	/* a second hold of the same id is refused: nothing is overwritten */
	assert_int_equal(queue_entry_hold(dir, e), -1);

	/* a "restart" before the commit: no entry, and the files are gone */
	assert_int_equal(queue_entry_load_all(dir, &list, &n, &bad, &held), 0);
	assert_int_equal(n, 0);
	assert_int_equal(bad, 0);
	assert_int_equal(held, 1);
	assert_null(list);
	assert_false(test_exists(dir, e->id, "hold"));
	assert_false(test_exists(dir, e->id, "msg"));
	assert_int_equal(queue_entry_commit(dir, e->id), -1); /* nothing left to commit */

	/* written again and committed: an entry like any other */
	assert_int_equal(
	        queue_entry_write_file(dir, "0123456789abcdef.msg", "X: y\r\n\r\nb\r\n", 11), 0);
	assert_int_equal(queue_entry_hold(dir, e), 0);
	assert_int_equal(queue_entry_commit(dir, e->id), 0);
	assert_false(test_exists(dir, e->id, "hold"));
	assert_true(test_exists(dir, e->id, "env"));
	assert_int_equal(queue_entry_load_all(dir, &list, &n, &bad, &held), 0);
	assert_int_equal(n, 1);
	assert_int_equal(held, 0);
	assert_non_null(list);
	assert_string_equal(list->id, e->id);
	assert_int_equal(list->n_rcpts, 3);
	assert_int_equal(list->size, 11);
	queue_entry_free(&list);

	/* removal takes a hold too */
	assert_int_equal(queue_entry_remove(dir, e->id), 0);
	assert_int_equal(queue_entry_hold(dir, e), 0);
	assert_int_equal(queue_entry_remove(dir, e->id), 0);
	assert_false(test_exists(dir, e->id, "hold"));
	assert_false(test_exists(dir, e->id, "env"));
	queue_entry_free(&e);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_roundtrip),
	        cmocka_unit_test(test_null_sender),
	        cmocka_unit_test(test_corrupted),
	        cmocka_unit_test(test_addresses),
	        cmocka_unit_test(test_results),
	        cmocka_unit_test(test_list),
	        cmocka_unit_test(test_load_all),
	        cmocka_unit_test(test_hold),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
