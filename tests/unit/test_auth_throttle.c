/*
 * test_auth_throttle.c - AUTH-9/10 sliding windows with an injected clock,
 * the AUTH-8 credential cache, and the string map under them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth_cache.h"
#include "auth/auth_map.h"
#include "auth/auth_throttle.h"

static void
test_window(void **state)
{
	struct auth_throttle *t = auth_throttle_new(3, 10000);

	(void)state;
	assert_non_null(t);
	assert_false(auth_throttle_is_limited(t, "1.2.3.4", 0));
	auth_throttle_fail(t, "1.2.3.4", 1000);
	auth_throttle_fail(t, "1.2.3.4", 2000);
	assert_false(auth_throttle_is_limited(t, "1.2.3.4", 2000));
	auth_throttle_fail(t, "1.2.3.4", 3000);
	/* Three failures within 10 s: limited; other keys are not. */
	assert_true(auth_throttle_is_limited(t, "1.2.3.4", 3000));
	assert_false(auth_throttle_is_limited(t, "1.2.3.5", 3000));
	assert_true(auth_throttle_is_limited(t, "1.2.3.4", 10999));
	/* The first failure leaves the window at 11000: below the limit again. */
	assert_false(auth_throttle_is_limited(t, "1.2.3.4", 11000));
	auth_throttle_fail(t, "1.2.3.4", 11000);
	assert_true(auth_throttle_is_limited(t, "1.2.3.4", 11000));
	assert_false(auth_throttle_is_limited(t, "1.2.3.4", 21000));
	auth_throttle_free(&t);
	assert_null(t);
}

static void
test_sliding_not_fixed(void **state)
{
	struct auth_throttle *t = auth_throttle_new(2, 1000);

	(void)state;
	/* Failures at 900 and 1100 are within one window although they straddle 1000. */
	auth_throttle_fail(t, "k", 900);
	auth_throttle_fail(t, "k", 1100);
	assert_true(auth_throttle_is_limited(t, "k", 1200));
	assert_false(auth_throttle_is_limited(t, "k", 1900));
	auth_throttle_free(&t);
}

static void
test_sweep_and_disabled(void **state)
{
	struct auth_throttle *t = auth_throttle_new(2, 1000), *off = auth_throttle_new(0, 1000);
	char key[32];

	(void)state;
	for (int i = 0; i < 500; i++) {
		snprintf(key, sizeof(key), "10.0.%d.%d", i / 256, i % 256);
		auth_throttle_fail(t, key, i < 250 ? 0 : 5000);
	}
	assert_int_equal(auth_throttle_count(t), 500);
	auth_throttle_sweep(t, 5500);
	assert_int_equal(auth_throttle_count(t), 250);
	auth_throttle_fail(off, "k", 0);
	auth_throttle_fail(off, "k", 0);
	assert_false(auth_throttle_is_limited(off, "k", 0));
	auth_throttle_free(&t);
	auth_throttle_free(&off);
}

static void
test_cache(void **state)
{
	struct auth_cache *c = auth_cache_new(1000), *other = auth_cache_new(1000);
	unsigned char m1[AUTH_CACHE_MAC_LEN], m2[AUTH_CACHE_MAC_LEN], m3[AUTH_CACHE_MAC_LEN];
	unsigned char id1[AUTH_CACHE_MAC_LEN], id2[AUTH_CACHE_MAC_LEN];

	(void)state;
	assert_int_equal(auth_cache_mac(c, "secret", 6, m1), 0);
	assert_int_equal(auth_cache_mac(c, "secreT", 6, m2), 0);
	assert_int_equal(auth_cache_mac(other, "secret", 6, m3), 0);
	assert_memory_not_equal(m1, m2, sizeof(m1));
	assert_memory_not_equal(m1, m3, sizeof(m1)); /* per-process random key */
	auth_cache_hash_id("$y$hash1", id1);
	auth_cache_hash_id("$y$hash2", id2);
	assert_false(auth_cache_check(c, "a@x", m1, NULL, 0));
	auth_cache_put(c, "a@x", m1, id1, 0);
	assert_true(auth_cache_check(c, "a@x", m1, NULL, 500));
	assert_true(auth_cache_check(c, "a@x", m1, id1, 500));
	assert_false(auth_cache_check(c, "a@x", m1, id2, 500));  /* hash changed */
	assert_false(auth_cache_check(c, "a@x", m2, NULL, 500)); /* other password */
	assert_false(auth_cache_check(c, "b@x", m1, NULL, 500));
	assert_false(auth_cache_check(c, "a@x", m1, NULL, 1000)); /* expired and removed */
	assert_int_equal(auth_cache_count(c), 0);
	auth_cache_put(c, "a@x", m1, id1, 2000);
	auth_cache_remove(c, "a@x");
	assert_false(auth_cache_check(c, "a@x", m1, NULL, 2001));
	auth_cache_put(c, "a@x", m1, id1, 2000);
	auth_cache_put(c, "b@x", m1, id1, 2500);
	auth_cache_sweep(c, 3200);
	assert_int_equal(auth_cache_count(c), 1);
	auth_cache_clear(c);
	assert_int_equal(auth_cache_count(c), 0);
	auth_cache_free(&c);
	auth_cache_free(&other);
	assert_null(c);
}

static void
test_map(void **state)
{
	struct auth_map *m = auth_map_new(NULL);
	static int values[1000];
	char key[32];

	(void)state;
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "key%d", i);
		assert_int_equal(auth_map_put(m, key, &values[i]), 0);
	}
	assert_int_equal(auth_map_count(m), 1000);
	assert_ptr_equal(auth_map_get(m, "key517"), &values[517]);
	assert_true(auth_map_del(m, "key517"));
	assert_false(auth_map_del(m, "key517"));
	assert_null(auth_map_get(m, "key517"));
	assert_int_equal(auth_map_put(m, "key1", &values[2]), 0);
	assert_ptr_equal(auth_map_get(m, "key1"), &values[2]);
	assert_int_equal(auth_map_count(m), 999);
	auth_map_free(&m);
	assert_null(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_window),
	        cmocka_unit_test(test_sliding_not_fixed),
	        cmocka_unit_test(test_sweep_and_disabled),
	        cmocka_unit_test(test_cache),
	        cmocka_unit_test(test_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
