/*
 * test_auth_hash.c - AUTH-5/6/7: yescrypt hashing and verification of
 * imported crypt strings. Vectors made with `mkpasswd` (whois) and
 * `openssl passwd -6/-5`, password "hunter2pass".
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "auth/auth_hash.h"

#define PW "hunter2pass"

static const char *const vectors[] = {
        /* mkpasswd -m yescrypt */
        "$y$j9T$oLREfWzwYsLHzCCfNkxT1/$6lXIC/f9tBZ5.tJCRBPFV0mXreQJRLAjh2s437zVwc2",
        /* mkpasswd -m sha512crypt */
        "$6$re56.5g2sOv7IFCx$o9gXiRzaZ3RhzTv3PdaV7hScmwjncgXSUzI6YQdsVzyohrRwbwbhuV52uh."
        "PHAddarWkEhQxzqDdBupZXgJgN/",
        /* openssl passwd -6 -salt abcdefgh */
        "$6$abcdefgh$XdBfiUNUVzzA2RNOi9Cf/ayuDATeFVhkKKReeGbq/"
        "IkIlHoPupjzrh0WOpg.85zdO0qyoeTVQXzklx2HjoMGO/",
        /* mkpasswd -m sha256crypt */
        "$5$CnkkfrXC9dGcWMNb$5OL6zHvOymovYNYK3.wBlUmkhWe3KPZOesDHVxFtRb5",
        /* openssl passwd -5 -salt abcdefgh */
        "$5$abcdefgh$s24xnM7MpzHeQWhgAM66qG2FH.EjbRnWhq.OmZccvcD",
        /* mkpasswd -m bcrypt, and the same hash under the $2y$ prefix */
        "$2b$05$d2QP2ge3hUYFdGYjCFqM.un7RsWLITwS67mrlz1Be12lGaBD4IQGC",
        "$2y$05$d2QP2ge3hUYFdGYjCFqM.un7RsWLITwS67mrlz1Be12lGaBD4IQGC",
        /* Dovecot passdb tags (chatmail relay password files) */
        "{SHA512-CRYPT}$6$abcdefgh$XdBfiUNUVzzA2RNOi9Cf/ayuDATeFVhkKKReeGbq/"
        "IkIlHoPupjzrh0WOpg.85zdO0qyoeTVQXzklx2HjoMGO/",
        "{SHA256-CRYPT}$5$abcdefgh$s24xnM7MpzHeQWhgAM66qG2FH.EjbRnWhq.OmZccvcD",
        "{BLF-CRYPT}$2y$05$d2QP2ge3hUYFdGYjCFqM.un7RsWLITwS67mrlz1Be12lGaBD4IQGC",
        "{CRYPT}$y$j9T$oLREfWzwYsLHzCCfNkxT1/$6lXIC/f9tBZ5.tJCRBPFV0mXreQJRLAjh2s437zVwc2",
};

static void
test_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		if (auth_hash_verify(PW, vectors[i]) != 1)
			fail_msg("vector %zu does not verify", i);
		if (auth_hash_verify("hunter2pasS", vectors[i]) != 0)
			fail_msg("vector %zu accepts a wrong password", i);
		if (auth_hash_verify("", vectors[i]) != 0)
			fail_msg("vector %zu accepts an empty password", i);
	}
}

static void
test_unverifiable(void **state)
{
	(void)state;
	assert_int_equal(auth_hash_verify(PW, "{PLAIN}hunter2pass"), -1);
	assert_int_equal(auth_hash_verify(PW, "{SSHA}abc"), -1);
	assert_int_equal(auth_hash_verify(PW, ""), -1);
	assert_int_equal(auth_hash_verify(PW, "{CRYPT}"), -1);
	assert_int_equal(auth_hash_verify(PW, "*"), -1);
	assert_int_not_equal(auth_hash_verify(PW, "$6$"), 1);
	/* A truncated hash must never match. */
	assert_int_not_equal(
	        auth_hash_verify(PW, "$5$abcdefgh$s24xnM7MpzHeQWhgAM66qG2FH.EjbRnWhq.OmZccvc"), 1);
}

static void
test_make(void **state)
{
	char h1[AUTH_HASH_MAX], h2[AUTH_HASH_MAX];

	(void)state;
	assert_int_equal(auth_hash_make(PW, h1, sizeof(h1)), 0);
	assert_int_equal(auth_hash_make(PW, h2, sizeof(h2)), 0);
	assert_memory_equal(h1, "$y$", 3);
	assert_string_not_equal(h1, h2); /* random salts */
	assert_int_equal(auth_hash_verify(PW, h1), 1);
	assert_int_equal(auth_hash_verify("other", h1), 0);
	assert_int_equal(auth_hash_make(PW, h1, 10), -1);
}

static void
test_strip_tag(void **state)
{
	(void)state;
	assert_string_equal(auth_hash_strip_tag("{SHA512-CRYPT}$6$x"), "$6$x");
	assert_string_equal(auth_hash_strip_tag("$6$x"), "$6$x");
	assert_null(auth_hash_strip_tag("{MD5}x"));
	auth_hash_dummy(PW); /* runs, no result */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_vectors),
	        cmocka_unit_test(test_unverifiable),
	        cmocka_unit_test(test_make),
	        cmocka_unit_test(test_strip_tag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
