/*
 * test_imap_seqset.c - sequence sets (imap_seqset.c, SPEC IMAP-13).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "imap/imap_seqset.h"

/* resolved - parse + resolve, rendered, or "ERR" */
static char *
resolved(const char *in, uint32_t max, bool is_uid)
{
	struct imap_seqset p, r;
	const char *err;
	char *s;

	imap_seqset_init(&p);
	imap_seqset_init(&r);
	if (imap_seqset_parse(in, strlen(in), &p, &err) < 0) {
		assert_string_equal(err, "Invalid sequence set.");
		s = strdup("SYNTAX");
	} else if (imap_seqset_resolve(&p, max, is_uid, &r, &err) < 0) {
		assert_string_equal(err, "Invalid message sequence number.");
		s = strdup("RANGE");
	} else {
		assert_int_equal(imap_seqset_format(&r, &s), 0);
	}
	imap_seqset_reset(&p);
	imap_seqset_reset(&r);
	return s;
}

static void
expect(const char *in, uint32_t max, bool is_uid, const char *want)
{
	char *got = resolved(in, max, is_uid);

	if (strcmp(got, want) != 0)
		fail_msg("%s max %u uid %d: got %s want %s", in, max, is_uid, got, want);
	free(got);
}

static void
test_parse(void **state)
{
	(void)state;
	expect("1", 10, false, "1");
	expect("1:5", 10, false, "1:5");
	expect("5:1", 10, false, "1:5");
	expect("*", 10, false, "10");
	expect("1,3:*", 10, false, "1,3:10");
	expect("*:3", 10, false, "3:10");
	expect("3,1,2", 10, false, "1:3");
	expect("1:4,3:7,9,10", 10, false, "1:7,9:10");
	expect("4294967295", 4294967295u, false, "4294967295");
	expect("1:4294967295", 4294967295u, true, "1:4294967295");
	const char *bad[] = {"", "0", "01", "1:", ":1", "1,", ",1", "1,,2", "a", "1:2:3",
	        "4294967296", "99999999999", "1 ", "-1", "1:0", "$", "**", "1.5"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect(bad[i], 10, true, "SYNTAX");
}

static void
test_seq_range(void **state)
{
	(void)state;
	/* IMAP-13: above EXISTS or `*` in an empty mailbox is an error */
	expect("11", 10, false, "RANGE");
	expect("1:11", 10, false, "RANGE");
	expect("*", 0, false, "RANGE");
	expect("1:*", 0, false, "RANGE");
	expect("1", 0, false, "RANGE");
}

static void
test_uid_semantics(void **state)
{
	(void)state;
	/* UID sets never fail; `*` is the highest UID; n:* holds the last message */
	expect("50:*", 20, true, "20");
	expect("*:50", 20, true, "20");
	expect("50:60", 20, true, "");
	expect("10:60", 20, true, "10:20");
	expect("*", 0, true, "");
	expect("1:*", 0, true, "");
	expect("1:4294967295", 7, true, "1:7");
}

static void
test_contains_iter(void **state)
{
	struct imap_seqset p, r;
	struct imap_seqset_iter it;
	const char *err;
	uint32_t n, got[16];
	size_t k = 0;

	(void)state;
	imap_seqset_init(&p);
	imap_seqset_init(&r);
	assert_int_equal(imap_seqset_parse("9,2:4,7,3", 9, &p, &err), 0);
	assert_false(imap_seqset_has_star(&p));
	assert_int_equal(imap_seqset_resolve(&p, 9, false, &r, &err), 0);
	assert_int_equal(imap_seqset_count(&r), 5);
	for (uint32_t i = 0; i <= 10; i++)
		assert_int_equal(imap_seqset_contains(&r, i),
		        i == 2 || i == 3 || i == 4 || i == 7 || i == 9);
	imap_seqset_iter_init(&it, &r);
	while (imap_seqset_iter_next(&it, &n))
		got[k++] = n;
	assert_int_equal(k, 5);
	assert_int_equal(got[0], 2);
	assert_int_equal(got[3], 7);
	assert_int_equal(got[4], 9);
	/* iterating to 4294967295 ends without wrapping */
	assert_int_equal(imap_seqset_parse("4294967294:*", 12, &p, &err), 0);
	assert_true(imap_seqset_has_star(&p));
	assert_int_equal(imap_seqset_resolve(&p, 4294967295u, true, &r, &err), 0);
	imap_seqset_iter_init(&it, &r);
	k = 0;
	while (imap_seqset_iter_next(&it, &n))
		k++;
	assert_int_equal(k, 2);
	imap_seqset_reset(&r);
	imap_seqset_iter_init(&it, &r);
	assert_false(imap_seqset_iter_next(&it, &n));
	assert_false(imap_seqset_contains(&r, 1));
	imap_seqset_reset(&p);
}

static void
test_add_format(void **state)
{
	struct imap_seqset s;
	char *out;

	(void)state;
	imap_seqset_init(&s);
	assert_int_equal(imap_seqset_add(&s, 1, 1), 0);
	assert_int_equal(imap_seqset_add(&s, 2, 2), 0);
	assert_int_equal(imap_seqset_add(&s, 5, 6), 0);
	assert_int_equal(imap_seqset_add(&s, 3, 3), 0); /* out of order */
	assert_int_equal(imap_seqset_add(&s, 10, 10), 0);
	assert_int_equal(imap_seqset_add(&s, 0, 1), -1);
	assert_int_equal(imap_seqset_add(&s, 4, 3), -1);
	assert_int_equal(imap_seqset_format(&s, &out), 0);
	assert_string_equal(out, "1:3,5:6,10");
	free(out);
	assert_int_equal(imap_seqset_add(&s, 4, 4), 0);
	assert_int_equal(imap_seqset_add(&s, 4294967295u, 4294967295u), 0);
	assert_int_equal(imap_seqset_format(&s, &out), 0);
	assert_string_equal(out, "1:6,10,4294967295");
	free(out);
	imap_seqset_reset(&s);
	assert_int_equal(imap_seqset_format(&s, &out), 0);
	assert_string_equal(out, "");
	free(out);
}

static void
test_big(void **state)
{
	/* a long comma list, as Delta Chat builds for UID STORE */
	size_t n = 5000, len = 0;
	char *in = malloc(n * 12);
	struct imap_seqset p, r;
	const char *err;

	(void)state;
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(in + len, "%s%zu", i ? "," : "", (n - i) * 2);
	imap_seqset_init(&p);
	imap_seqset_init(&r);
	assert_int_equal(imap_seqset_parse(in, len, &p, &err), 0);
	assert_int_equal(imap_seqset_resolve(&p, 100000, true, &r, &err), 0);
	assert_int_equal(r.count, n);
	assert_true(imap_seqset_contains(&r, 2));
	assert_false(imap_seqset_contains(&r, 3));
	assert_true(imap_seqset_contains(&r, 10000));
	imap_seqset_reset(&p);
	imap_seqset_reset(&r);
	free(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse),
	        cmocka_unit_test(test_seq_range),
	        cmocka_unit_test(test_uid_semantics),
	        cmocka_unit_test(test_contains_iter),
	        cmocka_unit_test(test_add_format),
	        cmocka_unit_test(test_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
