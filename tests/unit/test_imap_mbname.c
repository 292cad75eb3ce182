/*
 * test_imap_mbname.c - mailbox name rules and LIST matching (imap_mbname.c,
 * SPEC IMAP-14, IMAP-28).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "imap/imap_mbname.h"

static void
expect_name(const char *in, enum imap_mbname_use use, const char *want)
{
	char out[IMAP_MAILBOX_NAME_MAX + 1];
	int r = imap_mbname_normalize(in, strlen(in), use, out);

	if (want == NULL) {
		if (r == 0)
			fail_msg("accepted %s", in);
		return;
	}
	if (r != 0)
		fail_msg("rejected %s", in);
	assert_string_equal(out, want);
}

static void
test_names(void **state)
{
	char longname[300];

	(void)state;
	expect_name("INBOX", IMAP_MBNAME_LOOKUP, "INBOX");
	expect_name("inbox", IMAP_MBNAME_LOOKUP, "INBOX");
	expect_name("InBoX.Sub", IMAP_MBNAME_LOOKUP, "INBOX.Sub");
	expect_name("Inboxes", IMAP_MBNAME_LOOKUP, "Inboxes");
	expect_name("Sent", IMAP_MBNAME_LOOKUP, "Sent");
	expect_name("sent", IMAP_MBNAME_LOOKUP, "sent");
	expect_name("Entw&APw-rfe", IMAP_MBNAME_LOOKUP, "Entw&APw-rfe");
	expect_name("A.B.C", IMAP_MBNAME_LOOKUP, "A.B.C");
	expect_name("My Folder", IMAP_MBNAME_LOOKUP, "My Folder");
	expect_name("Trash.", IMAP_MBNAME_CREATE, "Trash");
	expect_name("Trash.", IMAP_MBNAME_LOOKUP, NULL);
	expect_name("Trash..", IMAP_MBNAME_CREATE, NULL);
	expect_name(".", IMAP_MBNAME_CREATE, NULL);
	expect_name("", IMAP_MBNAME_LOOKUP, NULL);
	expect_name(".A", IMAP_MBNAME_LOOKUP, NULL);
	expect_name("A..B", IMAP_MBNAME_LOOKUP, NULL);
	expect_name("A/B", IMAP_MBNAME_LOOKUP, NULL);
	expect_name("A\\B", IMAP_MBNAME_LOOKUP, NULL);
	expect_name("A\tB", IMAP_MBNAME_LOOKUP, NULL);
	expect_name("caf\xc3\xa9", IMAP_MBNAME_LOOKUP, NULL); /* raw UTF-8 is not mUTF-7 */
	expect_name("&AGE-", IMAP_MBNAME_LOOKUP, NULL);       /* non-canonical */
	expect_name("A&AAE-", IMAP_MBNAME_LOOKUP, NULL);      /* hidden U+0001 */
	expect_name("A&AIU-", IMAP_MBNAME_LOOKUP, NULL);      /* hidden U+0085 (C1) */
	expect_name("A&AKA-", IMAP_MBNAME_LOOKUP, "A&AKA-");  /* U+00A0 is not a control */
	memset(longname, 'x', sizeof(longname));
	longname[255] = '\0';
	expect_name(longname, IMAP_MBNAME_LOOKUP, longname);
	longname[255] = 'x';
	longname[256] = '\0';
	expect_name(longname, IMAP_MBNAME_LOOKUP, NULL);
	assert_true(imap_mbname_is_inbox("iNbOx", 5));
	assert_false(imap_mbname_is_inbox("INBOX.a", 7));
}

static bool
m(const char *p, const char *n)
{
	return imap_mbname_match(p, strlen(p), n, strlen(n));
}

static void
test_match(void **state)
{
	char big[2000];

	(void)state;
	assert_true(m("*", "A.B.C"));
	assert_true(m("*", ""));
	assert_true(m("%", "A"));
	assert_false(m("%", "A.B"));
	assert_true(m("A.%", "A.B"));
	assert_false(m("A.%", "A.B.C"));
	assert_true(m("A.*", "A.B.C"));
	assert_false(m("A.*", "A"));
	assert_true(m("A*", "A"));
	assert_true(m("%.%", "A.B"));
	assert_true(m("*B", "A.B"));
	assert_true(m("%B%", "xBy"));
	assert_false(m("%B%", "x.By"));
	assert_true(m("INBOX", "INBOX"));
	assert_false(m("INBOX", "INBOX.a"));
	assert_false(m("Sent", "sent"));
	assert_true(m("", ""));
	assert_false(m("", "A"));
	assert_true(m("**%%**x", "a.b.x"));
	/* bounded: a pathological pattern is quadratic at worst, never exponential */
	memset(big, '*', 1000);
	big[1000] = '\0';
	assert_true(m(big, "a.b.c.d.e.f.g"));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_false(m(big, big));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_names),
	        cmocka_unit_test(test_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
