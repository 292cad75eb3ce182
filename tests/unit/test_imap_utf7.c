/*
 * test_imap_utf7.c - modified UTF-7 (imap_utf7.c, RFC 3501 5.1.3).
 * Expected encodings were cross-checked with Python's base64 of UTF-16BE.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "imap/imap_utf7.h"

static const struct {
	const char *utf8, *utf7;
} pairs[] = {
        {"INBOX", "INBOX"},
        {"", ""},
        {"~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
                "~peter/mail/&U,BTFw-/&ZeVnLIqe-"}, /* RFC 3501 5.1.3 */
        {"\xe2\x98\xba!", "&Jjo-!"},                /* RFC 2152 style */
        {"Entw\xc3\xbcrfe", "Entw&APw-rfe"},
        {"Gel\xc3\xb6schte Objekte", "Gel&APY-schte Objekte"},
        {"\xf0\x9f\x98\x80", "&2D3eAA-"}, /* surrogate pair */
        {"a&b", "a&-b"},
        {"&-", "&--"},
        {"&&", "&-&-"},
        {"\x01", "&AAE-"},
        {"\xd0\x96\xf0\x9f\x98\x80x", "&BBbYPd4A-x"},
        {"\xc3\xa9&\xc3\xa9", "&AOk-&-&AOk-"},
};

static void
test_pairs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		char *out;
		size_t n;

		assert_int_equal(
		        imap_utf8_to_utf7(pairs[i].utf8, strlen(pairs[i].utf8), &out, &n), 0);
		assert_string_equal(out, pairs[i].utf7);
		assert_int_equal(n, strlen(out));
		free(out);
		assert_int_equal(
		        imap_utf7_to_utf8(pairs[i].utf7, strlen(pairs[i].utf7), &out, &n), 0);
		assert_string_equal(out, pairs[i].utf8);
		assert_int_equal(n, strlen(out));
		free(out);
		assert_true(imap_utf7_is_valid(pairs[i].utf7, strlen(pairs[i].utf7)));
	}
}

static void
test_invalid_utf7(void **state)
{
	static const char *const bad[] = {
	        "&",                  /* unterminated */
	        "&Jjo",               /* unterminated run */
	        "a&U,BTFw",           /* unterminated run */
	        "&U,BTFw-&ZeVnLIqe-", /* two adjacent runs */
	        "&AGE-",              /* 'a' encoded */
	        "&ACY-",              /* '&' encoded */
	        "&AAA-",              /* NUL */
	        "&Jjp-",              /* non-zero padding bits */
	        "&JjoA-",             /* an extra sextet */
	        "&Jj-",               /* incomplete unit */
	        "&2D0-",              /* lone high surrogate */
	        "&3gA-",              /* lone low surrogate */
	        "&2D3YPQ-",           /* high surrogate followed by high surrogate */
	        "&Jj/-",              /* '/' instead of ',' */
	        "&Jj=-",              /* padding */
	        "&-&", "a\x7f",       /* DEL is not printable */
	        "a\tb",               /* control octet */
	        "caf\xc3\xa9",        /* raw 8-bit */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *out = NULL;

		if (imap_utf7_is_valid(bad[i], strlen(bad[i])))
			fail_msg("accepted %s", bad[i]);
		errno = 0;
		assert_int_equal(imap_utf7_to_utf8(bad[i], strlen(bad[i]), &out, NULL), -1);
		assert_int_equal(errno, EINVAL);
		assert_null(out);
	}
}

static void
test_invalid_utf8(void **state)
{
	static const char *const bad[] = {
	        "\xc0\xaf",         /* overlong '/' */
	        "\xe0\x80\xaf",     /* overlong */
	        "\xed\xa0\x80",     /* surrogate */
	        "\xf4\x90\x80\x80", /* above U+10FFFF */
	        "\xc3",             /* truncated */
	        "a\x80",            /* stray continuation */
	        "\xff",
	};
	char *out = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		assert_int_equal(imap_utf8_to_utf7(bad[i], strlen(bad[i]), &out, NULL), -1);
		assert_int_equal(errno, EINVAL);
	}
	assert_int_equal(imap_utf8_to_utf7("a\0b", 3, &out, NULL), -1);
}

/* random valid UTF-8 strings survive the round trip and encode canonically */
static void
test_round_trip(void **state)
{
	static const uint32_t pool[] = {'a', '&', '-', ' ', '~', 0x01, 0x1f, 0x7f, 0x80, 0xe9,
	        0x7ff, 0x800, 0xfffd, 0xffff, 0x10000, 0x1f600, 0x10ffff, 0xd7ff, 0xe000};
	uint32_t seed = 12345;

	(void)state;
	for (int round = 0; round < 2000; round++) {
		char in[64], *u7, *back;
		size_t len = 0, n7, nb;
		int chars = (int)(seed % 9);

		for (int i = 0; i < chars; i++) {
			uint32_t cp;

			seed = seed * 1103515245u + 12345u;
			cp = pool[(seed >> 16) % (sizeof(pool) / sizeof(pool[0]))];
			if (cp < 0x80) {
				in[len++] = (char)cp;
			} else if (cp < 0x800) {
				in[len++] = (char)(0xc0 | (cp >> 6));
				in[len++] = (char)(0x80 | (cp & 0x3f));
			} else if (cp < 0x10000) {
				in[len++] = (char)(0xe0 | (cp >> 12));
				in[len++] = (char)(0x80 | ((cp >> 6) & 0x3f));
				in[len++] = (char)(0x80 | (cp & 0x3f));
			} else {
				in[len++] = (char)(0xf0 | (cp >> 18));
				in[len++] = (char)(0x80 | ((cp >> 12) & 0x3f));
				in[len++] = (char)(0x80 | ((cp >> 6) & 0x3f));
				in[len++] = (char)(0x80 | (cp & 0x3f));
			}
		}
		seed = seed * 1103515245u + 12345u;
		assert_int_equal(imap_utf8_to_utf7(in, len, &u7, &n7), 0);
		assert_true(imap_utf7_is_valid(u7, n7));
		assert_int_equal(imap_utf7_to_utf8(u7, n7, &back, &nb), 0);
		assert_int_equal(nb, len);
		assert_memory_equal(back, in, len);
		free(u7);
		free(back);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_pairs),
	        cmocka_unit_test(test_invalid_utf7),
	        cmocka_unit_test(test_invalid_utf8),
	        cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
