/*
 * test_imap_arena.c - the per-command arena (imap_arena.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "imap/imap_arena.h"

static void
test_alloc(void **state)
{
	struct imap_arena *a = imap_arena_new();
	unsigned char *small[100], *big;
	char *s;

	(void)state;
	assert_non_null(a);
	for (int i = 0; i < 100; i++) {
		small[i] = imap_arena_alloc(a, (size_t)i * 7 + 1);
		assert_non_null(small[i]);
		assert_int_equal((uintptr_t)small[i] % 16, 0);
		for (int k = 0; k < i * 7 + 1; k++)
			assert_int_equal(small[i][k], 0);
		memset(small[i], 0xab, (size_t)i * 7 + 1);
	}
	/* a big block between small ones: the small ones stay intact */
	big = imap_arena_alloc(a, 100000);
	assert_non_null(big);
	memset(big, 0x11, 100000);
	assert_non_null(imap_arena_alloc(a, 8));
	for (int i = 0; i < 100; i++)
		assert_int_equal(small[i][i * 7], 0xab);
	s = imap_arena_strndup(a, "a\0b", 3);
	assert_memory_equal(s, "a\0b\0", 4);
	assert_non_null(imap_arena_alloc(a, 0));
	assert_null(imap_arena_alloc(a, SIZE_MAX));
	assert_null(imap_arena_alloc(a, SIZE_MAX - 8));
	imap_arena_reset(a);
	assert_non_null(imap_arena_alloc(a, 10));
	imap_arena_free(&a);
	assert_null(a);
	imap_arena_free(&a);
	imap_arena_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_alloc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
