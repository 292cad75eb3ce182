/*
 * test_imap_quote.c - output string forms and IMAP dates (imap_quote.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "imap/imap_quote.h"

static void
expect_q(const char *s, size_t len, enum imap_quote_mode mode, const char *want, size_t want_len)
{
	char buf[128];
	size_t n = imap_quote(buf, sizeof(buf), s, len, mode);

	assert_int_equal(n, want_len);
	assert_memory_equal(buf, want, want_len);
	assert_int_equal(buf[n], '\0');
}

#define Q(s, mode, want) expect_q(s, sizeof(s) - 1, mode, want, sizeof(want) - 1)

static void
test_forms(void **state)
{
	(void)state;
	Q("INBOX", IMAP_QUOTE_ASTRING, "INBOX");
	Q("Sent.2024]", IMAP_QUOTE_ASTRING, "Sent.2024]");
	Q("INBOX", IMAP_QUOTE_STRING, "\"INBOX\"");
	Q("", IMAP_QUOTE_ASTRING, "\"\"");
	Q("NIL", IMAP_QUOTE_ASTRING, "\"NIL\"");
	Q("nil", IMAP_QUOTE_ASTRING, "\"nil\"");
	Q("My Folder", IMAP_QUOTE_ASTRING, "\"My Folder\"");
	Q("a%b", IMAP_QUOTE_ASTRING, "\"a%b\"");
	Q("a(b", IMAP_QUOTE_ASTRING, "\"a(b\"");
	Q("a{b", IMAP_QUOTE_ASTRING, "\"a{b\"");
	Q("Tom \"T\"", IMAP_QUOTE_STRING, "{7}\r\nTom \"T\"");
	Q("a\\b", IMAP_QUOTE_ASTRING, "{3}\r\na\\b");
	Q("caf\xc3\xa9", IMAP_QUOTE_STRING, "{5}\r\ncaf\xc3\xa9");
	Q("a\r\nb", IMAP_QUOTE_STRING, "{4}\r\na\r\nb");
	Q("a\0b", IMAP_QUOTE_LITERAL, "{3}\r\na\0b");
	Q("", IMAP_QUOTE_LITERAL, "{0}\r\n");
	Q("x\x7f", IMAP_QUOTE_STRING, "{2}\r\nx\x7f");
	assert_int_equal(imap_quote_kind("x", 1, IMAP_QUOTE_LITERAL), IMAP_QUOTE_KIND_LITERAL);
	assert_int_equal(imap_quote_kind("x", 1, IMAP_QUOTE_ASTRING), IMAP_QUOTE_KIND_ATOM);
}

static void
test_nstring_truncation(void **state)
{
	char buf[8];

	(void)state;
	assert_int_equal(imap_quote_nstring(buf, sizeof(buf), NULL, 0), 3);
	assert_string_equal(buf, "NIL");
	assert_int_equal(imap_quote_nstring(buf, sizeof(buf), "NIL", 3), 5);
	assert_string_equal(buf, "\"NIL\"");
	/* snprintf semantics: the needed length, a truncated NUL-terminated copy */
	assert_int_equal(imap_quote(buf, sizeof(buf), "abcdefghij", 10, IMAP_QUOTE_STRING), 12);
	assert_string_equal(buf, "\"abcdef");
	assert_int_equal(imap_quote(buf, 0, "abc", 3, IMAP_QUOTE_LITERAL), 8);
	assert_int_equal(imap_quote(buf, 1, "abc", 3, IMAP_QUOTE_LITERAL), 8);
	assert_string_equal(buf, "");
}

static void
test_date_time_format(void **state)
{
	char buf[IMAP_DATE_TIME_SIZE];

	(void)state;
	imap_date_time_format(0, buf);
	assert_string_equal(buf, "\"01-Jan-1970 00:00:00 +0000\"");
	imap_date_time_format(1767225600, buf);
	assert_string_equal(buf, "\"01-Jan-2026 00:00:00 +0000\"");
	imap_date_time_format(1709251199, buf); /* leap day */
	assert_string_equal(buf, "\"29-Feb-2024 23:59:59 +0000\"");
	imap_date_time_format(-5, buf);
	assert_string_equal(buf, "\"01-Jan-1970 00:00:00 +0000\"");
	imap_date_time_format((time_t)400000000000LL, buf);
	assert_string_equal(buf, "\"31-Dec-9999 23:59:59 +0000\"");
}

static void
expect_dt(const char *s, int ok, time_t want)
{
	time_t t = 0;

	assert_int_equal(imap_date_time_parse(s, strlen(s), &t), ok);
	if (ok == 0)
		assert_int_equal((int64_t)t, (int64_t)want);
}

static void
test_date_time_parse(void **state)
{
	(void)state;
	expect_dt("01-Jan-2026 00:00:00 +0000", 0, 1767225600);
	expect_dt(" 1-Jan-2026 00:00:00 +0000", 0, 1767225600);
	expect_dt("1-jan-2026 00:00:00 +0000", 0, 1767225600);
	expect_dt("01-Jan-2026 01:30:00 +0130", 0, 1767225600);
	expect_dt("31-Dec-2025 19:00:00 -0500", 0, 1767225600);
	expect_dt("29-Feb-2024 23:59:59 +0000", 0, 1709251199);
	expect_dt("29-Feb-2023 00:00:00 +0000", -1, 0);
	expect_dt("31-Apr-2024 00:00:00 +0000", -1, 0);
	expect_dt("00-Jan-2024 00:00:00 +0000", -1, 0);
	expect_dt("01-Foo-2024 00:00:00 +0000", -1, 0);
	expect_dt("01-Jan-2024 24:00:00 +0000", -1, 0);
	expect_dt("01-Jan-2024 00:60:00 +0000", -1, 0);
	expect_dt("01-Jan-2024 00:00:00 +0060", -1, 0);
	expect_dt("01-Jan-2024 00:00:00 0000", -1, 0);
	expect_dt("01-Jan-2024 00:00:00 +0000 ", -1, 0);
	expect_dt("01-Jan-24 00:00:00 +0000", -1, 0);
	expect_dt("001-Jan-2024 00:00:00 +0000", -1, 0);
	expect_dt("01-Jan-2024 0:00:00 +0000", -1, 0);
	expect_dt("01-Jan-2024", -1, 0);
	expect_dt("", -1, 0);
}

static void
test_date_parse(void **state)
{
	time_t t;

	(void)state;
	assert_int_equal(imap_date_parse("1-Jan-2026", 10, &t), 0);
	assert_int_equal((int64_t)t, 1767225600);
	assert_int_equal(imap_date_parse("01-JAN-2026", 11, &t), 0);
	assert_int_equal((int64_t)t, 1767225600);
	assert_int_equal(imap_date_parse("1-Jan-1970", 10, &t), 0);
	assert_int_equal((int64_t)t, 0);
	assert_int_equal(imap_date_parse(" 1-Jan-2026", 11, &t), -1);
	assert_int_equal(imap_date_parse("1-Jan-2026 ", 11, &t), -1);
	assert_int_equal(imap_date_parse("32-Jan-2026", 11, &t), -1);
	assert_int_equal(imap_date_parse("1-Jan-202", 9, &t), -1);
	assert_int_equal(imap_date_parse("1-Jan", 5, &t), -1);
	assert_int_equal(imap_date_parse("1/Jan/2026", 10, &t), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_forms),
	        cmocka_unit_test(test_nstring_truncation),
	        cmocka_unit_test(test_date_time_format),
	        cmocka_unit_test(test_date_time_parse),
	        cmocka_unit_test(test_date_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
