/*
 * test_store_mailbox.c - the mailbox API IMAP builds on: delivery to
 * several accounts, flags with UNCHANGEDSINCE, keywords, copy/move with
 * UID pairs, expunge, \Recent claiming, external changes (STORE-5),
 * mailbox tree operations, subscriptions, and bus events in commit order.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "bus/bus.h"
#include "store_test_util.h"

#define A "alice@example.org"
#define B "bob@example.org"
#define MSG "From: x@example.org\r\nSubject: hi\r\n\r\nhello\r\n"

struct fixture {
	struct store_test_env env;
	struct store *st;
	struct bus *bus;
	struct bus_sub *sub;
	int events[8];
	uint32_t last_uids[64];
	size_t last_count;
	uint64_t last_hms;
	bool is_ordered;
};

static void
fixture_event_cb(const struct bus_event *ev, void *ctx)
{
	struct fixture *f = ctx;

	f->events[ev->kind]++;
	if (ev->mailbox != NULL && ev->highestmodseq < f->last_hms &&
	        ev->kind != BUS_EVENT_MAILBOX_RENAMED)
		f->is_ordered = false;
	if (ev->mailbox != NULL && strcmp(ev->mailbox, "INBOX") == 0)
		f->last_hms = ev->highestmodseq;
	f->last_count = ev->count < 64 ? ev->count : 64;
	for (size_t i = 0; i < f->last_count; i++)
		f->last_uids[i] = ev->msgs[i].uid;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || store_test_env_init(&f->env, NULL) < 0)
		return -1;
	f->bus = bus_new();
	f->st = store_new(&f->env.conf, NULL, f->bus);
	f->sub = bus_subscribe(f->bus, A, NULL, fixture_event_cb, f);
	f->is_ordered = true;
	*state = f;
	return f->st != NULL && f->sub != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	store_free(&f->st);
	bus_unsubscribe(f->bus, &f->sub);
	bus_free(&f->bus);
	store_test_env_free(&f->env);
	free(f);
	return 0;
}

/* Work functions run through store_submit (inline: no worker pool). */
struct deliver_job {
	int fd;
	uint64_t size;
	struct store_rcpt rcpts[2];
	size_t n;
	int rc;
	bool is_done;
};

static void
deliver_work(struct store *st, void *arg, struct store_changes *ch)
{
	struct deliver_job *j = arg;

	j->rc = store_deliver(st, j->fd, j->size, 1700000000, j->rcpts, j->n, ch);
}

static void
deliver_done(void *arg, uint64_t requester_id)
{
	struct deliver_job *j = arg;

	assert_int_equal(requester_id, 42);
	j->is_done = true;
}

static void
test_deliver_two_accounts(void **state)
{
	struct fixture *f = *state;
	struct deliver_job j = {.n = 2};
	struct store_mailbox *mb;
	struct store_snapshot snap;
	char path[1024];
	struct stat sa, sb;

	j.fd = store_test_spool(MSG, &j.size);
	j.rcpts[0].account = A;
	j.rcpts[1].account = B;
	assert_int_equal(store_submit(f->st, 42, deliver_work, deliver_done, &j), 0);
	assert_true(j.is_done);
	assert_int_equal(j.rc, 0);
	/* The same account twice in one delivery: one copy. */
	struct store_rcpt dup[2] = {{.account = "dup@example.org"}, {.account = "dup@example.org"}};

	assert_int_equal(store_deliver(f->st, j.fd, j.size, 1700000000, dup, 2, NULL), 0);
	assert_int_equal(dup[0].uid, 1);
	assert_int_equal(dup[1].uid, 1);
	assert_int_equal(store_quota_usage(f->st, "dup@example.org"), j.size);
	assert_int_equal(j.rcpts[0].uid, 1);
	assert_int_equal(j.rcpts[1].uid, 1);
	assert_int_equal(f->events[BUS_EVENT_NEW], 1); /* only alice is subscribed */
	assert_int_equal(store_quota_usage(f->st, A), j.size);
	assert_int_equal(store_quota_usage(f->st, B), j.size);
	/* One file, hard-linked (STORE-3), with the STORE-2 name and mtime = INTERNALDATE. */
	assert_int_equal(store_mailbox_open(f->st, A, "inbox", &mb), 0);
	assert_int_equal(store_mailbox_snapshot(mb, NULL, &snap), 0);
	assert_int_equal(snap.count, 1);
	assert_true(snap.msgs[0].flags & STORE_FLAG_RECENT);
	assert_int_equal(stat(snap.msgs[0].path, &sa), 0);
	assert_non_null(strstr(snap.msgs[0].path, "/new/"));
	snprintf(path, sizeof(path), ".mx.example.org,S=%llu,W=%llu", (unsigned long long)j.size,
	        (unsigned long long)j.size);
	assert_non_null(strstr(snap.msgs[0].path, path));
	assert_int_equal(sa.st_mtime, 1700000000);
	assert_int_equal(sa.st_size, j.size);
	snprintf(path, sizeof(path), "%s/%s/new/%s", f->env.root, B,
	        strrchr(snap.msgs[0].path, '/') + 1);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sa.st_ino, sb.st_ino);
	store_snapshot_free(&snap);
	store_mailbox_close(&mb);
	close(j.fd);
}

/* store_deliver_body from memory pieces: the file is their concatenation; a wrong size fails. */
static void
test_deliver_pieces(void **state)
{
	struct fixture *f = *state;
	static const char hdr[] = "Subject: pieces\r\n\r\n", body[] = "line one\r\nline two\r\n";
	struct store_piece piece[2] = {{hdr, sizeof(hdr) - 1}, {body, sizeof(body) - 1}};
	struct store_body b = {.fd = -1, .piece = piece, .npieces = 2,
	        .size = sizeof(hdr) - 1 + sizeof(body) - 1};
	struct store_rcpt r[2] = {{.account = A}, {.account = B}};
	struct store_mailbox *mb;
	struct store_snapshot snap;
	char got[128] = {0};
	int fd;

	assert_int_equal(store_deliver_body(f->st, &b, 1700000000, r, 2, NULL), 0);
	assert_int_equal(r[0].error, 0);
	assert_int_equal(r[1].uid, 1);
	assert_int_equal(store_mailbox_open(f->st, B, "INBOX", &mb), 0);
	assert_int_equal(store_mailbox_snapshot(mb, NULL, &snap), 0);
	assert_int_equal(snap.count, 1);
	fd = open(snap.msgs[0].path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, got, sizeof(got) - 1), (ssize_t)b.size);
	close(fd);
	assert_string_equal(got, "Subject: pieces\r\n\r\nline one\r\nline two\r\n");
	store_snapshot_free(&snap);
	store_mailbox_close(&mb);

	b.size++; /* announced size and pieces disagree: nothing is stored */
	r[0] = (struct store_rcpt){.account = A};
	assert_int_equal(store_deliver_body(f->st, &b, 1700000000, r, 1, NULL), -1);
	assert_int_not_equal(r[0].error, 0);
	assert_int_equal(store_quota_usage(f->st, A), b.size - 1);
}

static void
test_flags_keywords_unchangedsince(void **state)
{
	struct fixture *f = *state;
	struct store_mailbox *mb;
	struct store_snapshot snap;
	struct store_flag_result r[3];
	uint32_t uids[3] = {1, 2, 99}, *recent;
	const char *kw[] = {"$Forwarded"};
	size_t nrecent;
	char cur[600];

	assert_int_equal(store_test_deliver(f->st, A, MSG, 1700000000), 1);
	assert_int_equal(store_test_deliver(f->st, A, MSG, 1700000001), 2);
	assert_int_equal(store_mailbox_open(f->st, A, "INBOX", &mb), 0);
	assert_int_equal(store_mailbox_claim_recent(mb, &recent, &nrecent), 0);
	assert_int_equal(nrecent, 2);
	free(recent);
	assert_int_equal(store_mailbox_claim_recent(mb, &recent, &nrecent), 0);
	assert_int_equal(nrecent, 0); /* IMAP-31: recent in exactly one session */
	free(recent);
	snprintf(cur, sizeof(cur), "%s/%s/cur", f->env.root, A);
	assert_int_equal(store_test_count_files(cur), 2);

	assert_int_equal(store_mailbox_snapshot(mb, NULL, &snap), 0);
	uint64_t before = snap.highestmodseq, m1 = snap.msgs[0].modseq;

	store_snapshot_free(&snap);
	assert_int_equal(store_mailbox_store_flags(mb, uids, 3, STORE_FLAGS_ADD,
	                         STORE_FLAG_SEEN | STORE_FLAG_FLAGGED, kw, 1, 0, NULL, r),
	        0);
	assert_true(r[0].is_changed && r[1].is_changed && r[2].is_missing);
	assert_true(r[0].modseq > before && r[1].modseq > r[0].modseq);
	assert_int_equal(r[0].flags, STORE_FLAG_SEEN | STORE_FLAG_FLAGGED);
	assert_int_equal(r[0].keywords, 1);
	/* No change: no new modseq (IMAP-41). */
	assert_int_equal(store_mailbox_store_flags(mb, uids, 1, STORE_FLAGS_ADD, STORE_FLAG_SEEN,
	                         NULL, 0, 0, NULL, r),
	        0);
	assert_false(r[0].is_changed);
	/* UNCHANGEDSINCE below the current modseq: refused, listed as modified. */
	assert_int_equal(store_mailbox_store_flags(mb, uids, 1, STORE_FLAGS_REMOVE, STORE_FLAG_SEEN,
	                         NULL, 0, m1, NULL, r),
	        0);
	assert_true(r[0].is_modified);
	assert_false(r[0].is_changed);
	/* The flags are in the file name (STORE-2): F and S in ASCII order. */
	assert_int_equal(store_mailbox_snapshot(mb, NULL, &snap), 0);
	assert_non_null(strstr(snap.msgs[0].path, ":2,FS"));
	assert_int_equal(snap.keyword_count, 1);
	assert_string_equal(snap.keywords[0], "$Forwarded");
	store_snapshot_free(&snap);
	/* They persist across a restart. */
	store_mailbox_close(&mb);
	store_free(&f->st);
	f->st = store_new(&f->env.conf, NULL, f->bus);
	assert_int_equal(store_mailbox_open(f->st, A, "INBOX", &mb), 0);
	assert_int_equal(store_mailbox_snapshot(mb, NULL, &snap), 0);
	assert_int_equal(snap.msgs[0].flags, STORE_FLAG_SEEN | STORE_FLAG_FLAGGED);
	assert_int_equal(snap.msgs[1].keywords, 1);
	store_snapshot_free(&snap);
	store_mailbox_close(&mb);
}

static void
test_copy_move_expunge(void **state)
{
	struct fixture *f = *state;
	struct store_mailbox *in, *arch;
	struct store_status s;
	struct store_flag_result r[3];
	uint32_t uids[3] = {1, 2, 3}, su[3], du[3], *gone;
	size_t n, ng;
	uint64_t size;
	int fd = store_test_spool(MSG, &size);

	for (int i = 0; i < 3; i++)
		assert_int_equal(
		        store_test_deliver(f->st, A, MSG, 1700000000 + i), (uint32_t)i + 1);
	assert_int_equal(store_mailbox_create(f->st, A, "Archive.2024"), 0);
	assert_int_equal(store_mailbox_create(f->st, A, "Archive"), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(store_mailbox_open(f->st, A, "INBOX", &in), 0);
	assert_int_equal(store_mailbox_open(f->st, A, "Archive.2024", &arch), 0);
	/* Quota refusal: nothing copied (QUOTA-2, IMAP-42). */
	assert_int_equal(
	        store_mailbox_copy(in, arch, uids, 2, false, 3 * size + 1, NULL, su, du, &n), -1);
	assert_int_equal(errno, EDQUOT);
	assert_int_equal(store_mailbox_copy(in, arch, uids, 2, false, 0, NULL, su, du, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(su[0], 1);
	assert_int_equal(du[0], 1);
	assert_int_equal(du[1], 2);
	assert_int_equal(store_quota_usage(f->st, A), 5 * size);
	/* Move: source expunged, quota unchanged (IMAP-43). */
	assert_int_equal(store_mailbox_copy(in, arch, &uids[2], 1, true, 0, NULL, su, du, &n), 0);
	assert_int_equal(du[0], 3);
	assert_int_equal(store_quota_usage(f->st, A), 5 * size);
	assert_int_equal(store_mailbox_status(in, NULL, &s), 0);
	assert_int_equal(s.messages, 2);
	assert_int_equal(s.uidnext, 4);
	/* Expunge only \Deleted ones (IMAP-34). */
	assert_int_equal(store_mailbox_store_flags(in, uids, 1, STORE_FLAGS_ADD, STORE_FLAG_DELETED,
	                         NULL, 0, 0, NULL, r),
	        0);
	assert_int_equal(store_mailbox_expunge(in, NULL, 0, true, NULL, &gone, &ng), 0);
	assert_int_equal(ng, 1);
	assert_int_equal(gone[0], 1);
	free(gone);
	assert_int_equal(store_quota_usage(f->st, A), 4 * size);
	/* Append with a given date and flags. */
	uint32_t uid;
	const char *kw[] = {"Label"};

	assert_int_equal(store_mailbox_append(
	                         arch, fd, size, 1600000000, STORE_FLAG_SEEN, kw, 1, 0, NULL, &uid),
	        0);
	assert_int_equal(uid, 4);
	assert_int_equal(
	        store_mailbox_append(arch, fd, size, 1600000000, 0, NULL, 0, 5 * size, NULL, &uid),
	        -1);
	assert_int_equal(errno, EDQUOT);
	store_mailbox_close(&in);
	store_mailbox_close(&arch);
	close(fd);
	assert_true(f->is_ordered);
}

static void
noop_work(struct store *st, void *arg, struct store_changes *ch)
{
	(void)st;
	(void)arg;
	(void)ch;
}

static void
test_external_changes(void **state)
{
	struct fixture *f = *state;
	struct store_mailbox *mb;
	struct store_snapshot snap;
	char path[1024], to[1200], *p;
	uint32_t *recent;
	size_t nrecent;
	int fd;

	for (int i = 0; i < 3; i++)
		assert_true(store_test_deliver(f->st, A, MSG, 1700000000 + i) > 0);
	assert_int_equal(store_mailbox_open(f->st, A, "INBOX", &mb), 0);
	assert_int_equal(store_mailbox_claim_recent(mb, &recent, &nrecent), 0);
	free(recent);
	assert_int_equal(store_mailbox_snapshot(mb, NULL, &snap), 0);
	uint64_t hms = snap.highestmodseq;
	/* mutt marks message 1 seen and deletes message 2; another MDA drops a file. */
	snprintf(to, sizeof(to), "%sS", snap.msgs[0].path);
	assert_int_equal(rename(snap.msgs[0].path, to), 0);
	assert_int_equal(unlink(snap.msgs[1].path), 0);
	snprintf(path, sizeof(path), "%s/%s/new/1700000999.outside.host", f->env.root, A);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_int_equal(write(fd, "x\r\n", 3), 3);
	close(fd);
	store_snapshot_free(&snap);
	/* The mtime shortcut must not hide changes made within the same second. */
	assert_int_equal(store_mailbox_snapshot(mb, NULL, &snap), 0);
	assert_int_equal(snap.count, 3);
	assert_int_equal(snap.msgs[0].uid, 1);
	assert_int_equal(snap.msgs[0].flags, STORE_FLAG_SEEN);
	assert_true(snap.msgs[0].modseq > hms);
	assert_int_equal(snap.msgs[1].uid, 3);
	assert_int_equal(snap.msgs[2].uid, 4); /* new UID above UIDNEXT */
	assert_int_equal(snap.msgs[2].size, 3);
	p = strrchr(snap.msgs[0].path, '/');
	assert_non_null(p);
	store_snapshot_free(&snap);
	/* Changes found without a collector are published with the next job. */
	assert_int_equal(f->events[BUS_EVENT_EXPUNGE], 0);
	assert_int_equal(store_submit(f->st, 1, noop_work, NULL, NULL), 0);
	assert_int_equal(f->events[BUS_EVENT_EXPUNGE], 1);
	assert_int_equal(f->events[BUS_EVENT_FLAGS], 1);
	/* Reading a message removed under us: ENOENT, no crash (IMAP-40). */
	int rfd;
	uint64_t sz;

	assert_int_equal(store_mailbox_open_msg(mb, 2, &rfd, &sz), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(store_mailbox_open_msg(mb, 1, &rfd, &sz), 0);
	close(rfd);
	store_mailbox_close(&mb);
}

/* A STORE on a file another program just renamed finds it again (STORE-5). */
static void
test_store_after_external_rename(void **state)
{
	struct fixture *f = *state;
	struct store_mailbox *mb;
	struct store_snapshot snap;
	struct store_flag_result r;
	uint32_t uid = 1, *recent;
	size_t n;
	char to[1200];

	assert_int_equal(store_test_deliver(f->st, A, MSG, 1700000000), 1);
	assert_int_equal(store_mailbox_open(f->st, A, "INBOX", &mb), 0);
	assert_int_equal(store_mailbox_claim_recent(mb, &recent, &n), 0);
	free(recent);
	assert_int_equal(store_mailbox_snapshot(mb, NULL, &snap), 0);
	snprintf(to, sizeof(to), "%sR", snap.msgs[0].path);
	assert_int_equal(rename(snap.msgs[0].path, to), 0);
	store_snapshot_free(&snap);
	assert_int_equal(store_mailbox_store_flags(mb, &uid, 1, STORE_FLAGS_ADD, STORE_FLAG_SEEN,
	                         NULL, 0, 0, NULL, &r),
	        0);
	assert_false(r.is_missing);
	assert_true(r.is_changed);
	assert_int_equal(r.flags, STORE_FLAG_SEEN | STORE_FLAG_ANSWERED);
	/* Flags on a message still in new/: it moves to cur/ with them, still recent. */
	assert_int_equal(store_test_deliver(f->st, A, MSG, 1700000000), 2);
	uid = 2;
	assert_int_equal(store_mailbox_store_flags(mb, &uid, 1, STORE_FLAGS_ADD, STORE_FLAG_FLAGGED,
	                         NULL, 0, 0, NULL, &r),
	        0);
	assert_int_equal(store_mailbox_snapshot(mb, NULL, &snap), 0);
	assert_non_null(strstr(snap.msgs[1].path, "/cur/"));
	assert_non_null(strstr(snap.msgs[1].path, ":2,F"));
	assert_true(snap.msgs[1].flags & STORE_FLAG_RECENT);
	store_snapshot_free(&snap);
	assert_int_equal(store_mailbox_claim_recent(mb, &recent, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(recent[0], 2);
	free(recent);
	store_mailbox_close(&mb);
	/* Operations on a deleted account's open handle fail cleanly. */
	assert_int_equal(store_mailbox_open(f->st, A, "INBOX", &mb), 0);
	assert_int_equal(store_account_delete(f->st, A, NULL), 0);
	assert_int_equal(store_mailbox_snapshot(mb, NULL, &snap), -1);
	assert_int_equal(errno, ENOENT);
	store_mailbox_close(&mb);
}

static void
test_mailbox_tree_and_subscriptions(void **state)
{
	struct fixture *f = *state;
	char **names;
	size_t n;
	struct store_mailbox *mb;

	assert_int_equal(store_account_create(f->st, A), 0);
	assert_int_equal(store_mailbox_create(f->st, A, "a.b.c"), 0);
	assert_int_equal(store_mailbox_create(f->st, A, "Sent"), 0);
	assert_int_equal(store_mailbox_create(f->st, A, "INBOX"), -1);
	assert_int_equal(store_mailbox_create(f->st, A, "../x"), -1);
	assert_int_equal(store_mailbox_create(f->st, A, "a/b"), -1);
	assert_int_equal(store_mailbox_list(f->st, A, &names, &n), 0);
	assert_int_equal(n, 5);
	assert_string_equal(names[0], "INBOX");
	assert_string_equal(names[1], "Sent");
	assert_string_equal(names[2], "a");
	assert_string_equal(names[4], "a.b.c");
	store_names_free(names, n);
	/* Dovecot's Maildir++ marker. */
	char p[700];

	snprintf(p, sizeof(p), "%s/%s/.a.b.c/maildirfolder", f->env.root, A);
	assert_int_equal(access(p, F_OK), 0);
	assert_int_equal(store_mailbox_rename(f->st, A, "a", "a.b.d", NULL), -1);
	assert_int_equal(store_mailbox_rename(f->st, A, "a", "Sent", NULL), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(store_mailbox_rename(f->st, A, "nope", "x", NULL), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(store_mailbox_rename(f->st, A, "a", "z.y", NULL), 0);
	assert_int_equal(store_mailbox_list(f->st, A, &names, &n), 0);
	assert_int_equal(n, 6);
	assert_string_equal(names[2], "z");
	assert_string_equal(names[3], "z.y");
	assert_string_equal(names[5], "z.y.b.c");
	store_names_free(names, n);
	assert_int_equal(store_mailbox_delete(f->st, A, "z.y", NULL), 0);
	assert_int_equal(store_mailbox_delete(f->st, A, "INBOX", NULL), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(store_mailbox_open(f->st, A, "z.y", &mb), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(store_mailbox_open(f->st, A, "z.y.b", &mb), 0); /* children stay */
	store_mailbox_close(&mb);
	/* RENAME INBOX moves the messages (IMAP-26). */
	assert_true(store_test_deliver(f->st, A, MSG, 1700000000) > 0);
	assert_int_equal(store_mailbox_rename(f->st, A, "INBOX", "Old", NULL), 0);
	struct store_status s;

	assert_int_equal(store_mailbox_open(f->st, A, "Old", &mb), 0);
	assert_int_equal(store_mailbox_status(mb, NULL, &s), 0);
	assert_int_equal(s.messages, 1);
	store_mailbox_close(&mb);
	/* Subscriptions. */
	assert_int_equal(store_subscribe(f->st, A, "Sent", true), 0);
	assert_int_equal(store_subscribe(f->st, A, "Missing", true), 0);
	assert_int_equal(store_subscribe(f->st, A, "Sent", true), 0);
	assert_int_equal(store_subscribe(f->st, A, "Other", false), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(store_subscriptions(f->st, A, &names, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "Missing");
	store_names_free(names, n);
	/* Account deletion (ACC-7). */
	assert_int_equal(store_account_delete(f->st, A, NULL), 0);
	assert_false(store_account_exists(f->st, A));
	assert_int_equal(store_quota_usage(f->st, A), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_deliver_two_accounts, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_deliver_pieces, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_flags_keywords_unchangedsince, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_copy_move_expunge, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_external_changes, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_store_after_external_rename, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_mailbox_tree_and_subscriptions, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
