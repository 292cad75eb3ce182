/*
 * test_store_index.c - the index file format (STORE-6): round trip,
 * appended transactions, torn tails, corruption, rebuild from the maildir,
 * and UIDNEXT / HIGHESTMODSEQ never going backwards (IMAP-54, IMAP-55).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "store/store_index.h"
#include "store_test_util.h"

static void
index_path(const struct store_test_env *env, char *buf, size_t len)
{
	snprintf(buf, len, "%s/idx", env->dir);
}

static void
fill(struct store_index *idx, int from, int to)
{
	for (int i = from; i < to; i++) {
		char name[64];
		uint32_t uid;

		snprintf(name, sizeof(name), "%d.M1P1Q%d.host,S=%d,W=%d:2,S", 1700000000 + i, i, i,
		        i);
		uint64_t kw = idx->keyword_count > 0
		        ? (uint64_t)i & ((1ull << idx->keyword_count) - 1)
		        : 0;

		assert_int_equal(store_index_add(idx, (uint32_t)i & 0x1f, kw, (uint64_t)i,
		                         1700000000 + i, name, &uid),
		        0);
	}
}

static void
assert_same(const struct store_index *a, const struct store_index *b)
{
	assert_int_equal(a->uidvalidity, b->uidvalidity);
	assert_int_equal(a->uidnext, b->uidnext);
	assert_int_equal(a->highestmodseq, b->highestmodseq);
	assert_int_equal(a->count, b->count);
	assert_int_equal(a->keyword_count, b->keyword_count);
	for (size_t i = 0; i < a->keyword_count; i++)
		assert_string_equal(a->keywords[i], b->keywords[i]);
	for (size_t i = 0; i < a->count; i++) {
		assert_int_equal(a->entries[i].uid, b->entries[i].uid);
		assert_int_equal(a->entries[i].flags, b->entries[i].flags);
		assert_int_equal(a->entries[i].keywords, b->entries[i].keywords);
		assert_int_equal(a->entries[i].modseq, b->entries[i].modseq);
		assert_int_equal(a->entries[i].size, b->entries[i].size);
		assert_int_equal(a->entries[i].internaldate, b->entries[i].internaldate);
		assert_string_equal(a->entries[i].name, b->entries[i].name);
	}
}

static void
test_round_trip(void **state)
{
	struct store_test_env env;
	struct store_index a, b;
	char path[512];

	(void)state;
	assert_int_equal(store_test_env_init(&env, NULL), 0);
	index_path(&env, path, sizeof(path));
	store_index_init(&a);
	store_index_init(&b);
	store_index_create(&a, 12345, 0);
	assert_int_equal(store_index_keyword(&a, "$Forwarded", true), 0);
	assert_int_equal(store_index_keyword(&a, "Junk", true), 1);
	assert_int_equal(store_index_keyword(&a, "junk", false), 1);
	fill(&a, 1, 20);
	assert_int_equal(store_index_commit(&a, path, env.dir, true), 0); /* checkpoint */
	fill(&a, 20, 30);
	assert_int_equal(store_index_update(&a, 3, STORE_FLAG_SEEN, 1, "renamed:2,S", true), 0);
	assert_int_equal(store_index_remove(&a, 5), 0);
	assert_int_equal(store_index_commit(&a, path, env.dir, true), 0); /* appended */
	assert_int_equal(store_index_load(&b, path, NULL), 0);
	assert_same(&a, &b);
	assert_int_equal(b.uidnext, 30);
	assert_true(store_index_find(&b, 6) < 0);
	assert_true(store_index_find(&b, 7) >= 0);
	store_index_reset(&a);
	store_index_reset(&b);
	store_test_env_free(&env);
}

static void
truncate_to(const char *path, off_t size)
{
	assert_int_equal(truncate(path, size), 0);
}

static off_t
file_size(const char *path)
{
	struct stat sb;

	assert_int_equal(stat(path, &sb), 0);
	return sb.st_size;
}

static void
test_torn_tail_at_every_cut(void **state)
{
	struct store_test_env env;
	struct store_index a, b, first;
	char path[512], copy[600], cmd[1400];
	off_t base, full;

	(void)state;
	assert_int_equal(store_test_env_init(&env, NULL), 0);
	index_path(&env, path, sizeof(path));
	snprintf(copy, sizeof(copy), "%s.orig", path);
	store_index_init(&a);
	store_index_init(&b);
	store_index_init(&first);
	store_index_create(&a, 777, 0);
	fill(&a, 1, 5);
	assert_int_equal(store_index_commit(&a, path, env.dir, true), 0);
	assert_int_equal(store_index_load(&first, path, NULL), 0);
	base = file_size(path);
	fill(&a, 5, 8);
	assert_int_equal(store_index_commit(&a, path, env.dir, true), 0);
	full = file_size(path);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", path, copy);
	assert_int_equal(system(cmd), 0);
	/* A crash while appending: every cut of the last transaction gives the old state. */
	for (off_t cut = base; cut < full; cut++) {
		snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", copy, path);
		assert_int_equal(system(cmd), 0);
		truncate_to(path, cut);
		assert_int_equal(store_index_load(&b, path, NULL), 0);
		assert_same(&first, &b);
		assert_true(b.needs_checkpoint || cut == base);
	}
	/* Zero-filled tail (delayed allocation after a crash): also torn, not corrupt. */
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && truncate -s %lld '%s'", copy, path,
	        (long long)full + 100, path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(store_index_load(&b, path, NULL), 0);
	assert_same(&a, &b);
	/* A cut inside the checkpoint itself leaves no state: corrupt. */
	truncate_to(path, base - 3);
	assert_int_equal(store_index_load(&b, path, NULL), -1);
	assert_int_equal(errno, EBADMSG);
	store_index_reset(&a);
	store_index_reset(&b);
	store_index_reset(&first);
	store_test_env_free(&env);
}

static void
flip_byte(const char *path, off_t at)
{
	int fd = open(path, O_RDWR);
	unsigned char c;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, at), 1);
	c ^= 0x5a;
	assert_int_equal(pwrite(fd, &c, 1, at), 1);
	close(fd);
}

static void
test_corruption_detected(void **state)
{
	struct store_test_env env;
	struct store_index a, b;
	char path[512];
	uint64_t salvage = 0;
	off_t base;

	(void)state;
	assert_int_equal(store_test_env_init(&env, NULL), 0);
	index_path(&env, path, sizeof(path));
	store_index_init(&a);
	store_index_init(&b);
	store_index_create(&a, 99, 0);
	fill(&a, 1, 10);
	assert_int_equal(store_index_commit(&a, path, env.dir, true), 0);
	base = file_size(path);
	fill(&a, 10, 12);
	assert_int_equal(store_index_commit(&a, path, env.dir, true), 0);
	/* Damage in the middle, with a valid transaction after it: corruption. */
	flip_byte(path, base / 2);
	assert_int_equal(store_index_load(&b, path, &salvage), -1);
	assert_int_equal(errno, EBADMSG);
	flip_byte(path, base / 2);
	assert_int_equal(store_index_load(&b, path, NULL), 0);
	/* Bad magic: corruption. */
	flip_byte(path, 0);
	assert_int_equal(store_index_load(&b, path, NULL), -1);
	assert_int_equal(errno, EBADMSG);
	/* Missing: ENOENT. */
	unlink(path);
	assert_int_equal(store_index_load(&b, path, NULL), -1);
	assert_int_equal(errno, ENOENT);
	store_index_reset(&a);
	store_index_reset(&b);
	store_test_env_free(&env);
}

static void
test_checkpoint_compacts_log(void **state)
{
	struct store_test_env env;
	struct store_index a, b;
	char path[512];

	(void)state;
	assert_int_equal(store_test_env_init(&env, NULL), 0);
	index_path(&env, path, sizeof(path));
	store_index_init(&a);
	store_index_init(&b);
	store_index_create(&a, 5, 0);
	fill(&a, 1, 3);
	assert_int_equal(store_index_commit(&a, path, env.dir, true), 0);
	/* Many flag flips: the log grows, then a checkpoint rewrites it small. */
	for (int i = 0; i < 3000; i++) {
		assert_int_equal(store_index_update(&a, 0, (uint32_t)i & 1, 0, NULL, true), 0);
		assert_int_equal(store_index_commit(&a, path, env.dir, false), 0);
	}
	assert_true(file_size(path) < 2 * STORE_INDEX_LOG_MIN + 1024);
	assert_int_equal(store_index_load(&b, path, NULL), 0);
	assert_same(&a, &b);
	store_index_reset(&a);
	store_index_reset(&b);
	store_test_env_free(&env);
}

/* Through the store: a corrupt index is rebuilt from the files, nothing lost. */
static void
test_rebuild_from_maildir(void **state)
{
	struct store_test_env env;
	struct store *st;
	struct store_mailbox *mb;
	struct store_snapshot snap;
	char path[600];
	uint32_t old_validity;
	uint64_t old_hms;

	(void)state;
	assert_int_equal(store_test_env_init(&env, NULL), 0);
	st = store_new(&env.conf, NULL, NULL);
	assert_non_null(st);
	for (int i = 0; i < 5; i++)
		assert_int_equal(store_test_deliver(st, "a@example.org",
		                         "Subject: x\r\n\r\nbody\r\n", 1700000000 + i),
		        (uint32_t)i + 1);
	assert_int_equal(store_mailbox_open(st, "a@example.org", "INBOX", &mb), 0);
	assert_int_equal(store_mailbox_snapshot(mb, NULL, &snap), 0);
	old_validity = snap.uidvalidity;
	old_hms = snap.highestmodseq;
	store_snapshot_free(&snap);
	store_mailbox_close(&mb);
	store_free(&st);

	snprintf(path, sizeof(path), "%s/a@example.org/chatrelay-index", env.root);
	flip_byte(path, 20);
	st = store_new(&env.conf, NULL, NULL);
	assert_int_equal(store_mailbox_open(st, "a@example.org", "INBOX", &mb), 0);
	assert_int_equal(store_mailbox_snapshot(mb, NULL, &snap), 0);
	assert_int_equal(snap.count, 5);
	assert_int_not_equal(snap.uidvalidity, old_validity);
	assert_true(snap.highestmodseq > old_hms);
	for (size_t i = 0; i < snap.count; i++) {
		assert_int_equal(snap.msgs[i].uid, i + 1);
		assert_int_equal(snap.msgs[i].internaldate, 1700000000 + (int64_t)i);
	}
	store_snapshot_free(&snap);
	store_mailbox_close(&mb);

	/* A lost index: the same. */
	unlink(path);
	store_free(&st);
	st = store_new(&env.conf, NULL, NULL);
	assert_int_equal(store_mailbox_open(st, "a@example.org", "INBOX", &mb), 0);
	assert_int_equal(store_mailbox_snapshot(mb, NULL, &snap), 0);
	assert_int_equal(snap.count, 5);
	assert_true(snap.highestmodseq > old_hms + 1000000); /* STORE-6: above earlier values */
	store_snapshot_free(&snap);
	store_mailbox_close(&mb);
	/* A brand-new mailbox starts its modseqs low. */
	assert_int_equal(store_test_deliver(st, "new@example.org", "x\r\n", 1700000000), 1);
	assert_int_equal(store_mailbox_open(st, "new@example.org", "INBOX", &mb), 0);
	assert_int_equal(store_mailbox_snapshot(mb, NULL, &snap), 0);
	assert_int_equal(snap.highestmodseq, 1);
	store_snapshot_free(&snap);
	store_mailbox_close(&mb);
	store_free(&st);
	store_test_env_free(&env);
}

static void
test_uidnext_never_backwards(void **state)
{
	struct store_test_env env;
	struct store *st;
	struct store_mailbox *mb;
	struct store_status s1, s2;
	size_t n;

	(void)state;
	assert_int_equal(store_test_env_init(&env, NULL), 0);
	st = store_new(&env.conf, NULL, NULL);
	for (int i = 0; i < 4; i++)
		assert_true(store_test_deliver(st, "b@example.org", "x\r\n", 1700000000) > 0);
	assert_int_equal(store_mailbox_open(st, "b@example.org", "INBOX", &mb), 0);
	assert_int_equal(store_mailbox_expunge(mb, NULL, 0, false, NULL, NULL, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(store_mailbox_status(mb, NULL, &s1), 0);
	store_mailbox_close(&mb);
	store_free(&st);
	st = store_new(&env.conf, NULL, NULL);
	assert_int_equal(store_mailbox_open(st, "b@example.org", "INBOX", &mb), 0);
	assert_int_equal(store_mailbox_status(mb, NULL, &s2), 0);
	assert_int_equal(s2.messages, 0);
	assert_int_equal(s2.uidnext, 5);
	assert_int_equal(s2.uidvalidity, s1.uidvalidity);
	assert_true(s2.highestmodseq >= s1.highestmodseq);
	store_mailbox_close(&mb);
	assert_int_equal(store_test_deliver(st, "b@example.org", "y\r\n", 1700000000), 5);
	store_free(&st);
	store_test_env_free(&env);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_round_trip),
	        cmocka_unit_test(test_torn_tail_at_every_cut),
	        cmocka_unit_test(test_corruption_detected),
	        cmocka_unit_test(test_checkpoint_compacts_log),
	        cmocka_unit_test(test_rebuild_from_maildir),
	        cmocka_unit_test(test_uidnext_never_backwards),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
