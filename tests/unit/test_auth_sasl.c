/*
 * test_auth_sasl.c - the one SASL implementation for IMAP and SMTP:
 * response decoding, the PLAIN layout (RFC 4616 2) and the AUTH-1
 * authorization-identity rule. Cases of the former copies in
 * test_auth_address.c and test_smtp_parse.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "auth/auth_sasl.h"
#include "core/core_limits.h"

static void
test_decode(void **state)
{
	unsigned char out[64];
	size_t len;

	(void)state;
	assert_int_equal(
	        auth_sasl_decode("AGFiY0BleGFtcGxlLm9yZwBwdw==", out, sizeof(out), &len), 0);
	assert_int_equal(len, 19);
	assert_memory_equal(out, "\0abc@example.org\0pw", 20); /* NUL-terminated */
	assert_int_equal(auth_sasl_decode("", out, sizeof(out), &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(auth_sasl_decode("YQ", out, sizeof(out), &len), -1);
	assert_int_equal(auth_sasl_decode("Y=Q=", out, sizeof(out), &len), -1);
	assert_int_equal(auth_sasl_decode("YQ==YQ==", out, sizeof(out), &len), -1);
	assert_int_equal(auth_sasl_decode("Y!Q=", out, sizeof(out), &len), -1);
	assert_int_equal(auth_sasl_decode("YR==", out, sizeof(out), &len), -1); /* pad bits */
	assert_int_equal(auth_sasl_decode("abc", out, sizeof(out), &len), -1);
	assert_int_equal(auth_sasl_decode("ab=c", out, sizeof(out), &len), -1);
	assert_int_equal(auth_sasl_decode("YWJj ", out, sizeof(out), &len), -1);
	/* "*" is answered by the sessions before decoding; as base64 it is invalid */
	assert_int_equal(auth_sasl_decode("*", out, sizeof(out), &len), -1);
	/* the NUL needs room too */
	assert_int_equal(auth_sasl_decode("YWJjZA==", out, 4, &len), -1);
	assert_int_equal(auth_sasl_decode("YWJjZA==", out, 5, &len), 0);
	/* a failure wipes what was decoded before the bad quantum */
	memset(out, 'x', sizeof(out));
	assert_int_equal(auth_sasl_decode("c2VjcmV0!!!!", out, sizeof(out), &len), -1);
	assert_int_equal(len, 0);
	assert_int_equal(memcmp(out, "secret", 6) == 0, 0);
}

static void
test_plain_split(void **state)
{
	char msg[64];
	const char *z, *c, *p;
	size_t plen;

	(void)state;
	memcpy(msg, "\0user@x\0secret", 14);
	assert_int_equal(auth_sasl_plain_split(msg, 14, &z, &c, &p, &plen), 0);
	assert_string_equal(z, "");
	assert_string_equal(c, "user@x");
	assert_string_equal(p, "secret");
	assert_int_equal(plen, 6);
	memcpy(msg, "a\0b\0c\0d", 7);
	assert_int_equal(auth_sasl_plain_split(msg, 7, &z, &c, &p, &plen), -1);
	memcpy(msg, "a\0b", 3);
	assert_int_equal(auth_sasl_plain_split(msg, 3, &z, &c, &p, &plen), -1);
	memcpy(msg, "a\0\0pw", 5);
	assert_int_equal(auth_sasl_plain_split(msg, 5, &z, &c, &p, &plen), -1);
	memcpy(msg, "alice@x.org", 11);
	assert_int_equal(auth_sasl_plain_split(msg, 11, &z, &c, &p, &plen), -1);
	memcpy(msg, "\0alice@x.org", 12);
	assert_int_equal(auth_sasl_plain_split(msg, 12, &z, &c, &p, &plen), -1);
	/* RFC 4616 2: passwd is 1*SAFE (the stricter rule of the former SMTP copy) */
	memcpy(msg, "\0alice@x.org\0", 13);
	assert_int_equal(auth_sasl_plain_split(msg, 13, &z, &c, &p, &plen), -1);
	memcpy(msg, "\0\0pw", 4);
	assert_int_equal(auth_sasl_plain_split(msg, 4, &z, &c, &p, &plen), -1);
	memcpy(msg, "\0a@x.org\0p\0w", 12);
	assert_int_equal(auth_sasl_plain_split(msg, 12, &z, &c, &p, &plen), -1);
	/* empty response: not a PLAIN layout */
	assert_int_equal(auth_sasl_plain_split(msg, 0, &z, &c, &p, &plen), -1);
}

static void
test_authz(void **state)
{
	(void)state;
	assert_true(auth_sasl_authz_ok("", "a@b.c"));
	assert_true(auth_sasl_authz_ok("A@B.C", "a@b.c"));
	assert_true(auth_sasl_authz_ok("Alice@X.org", "alice@x.org")); /* equal after ACC-1 */
	assert_false(auth_sasl_authz_ok("other@b.c", "a@b.c"));
	assert_false(auth_sasl_authz_ok("bob@x.org", "alice@x.org")); /* AUTH-1: fails */
	assert_false(auth_sasl_authz_ok("a%b@x.org", "a%b@x.org"));   /* not a login name */
}

static void
test_plain(void **state)
{
	unsigned char buf[SMTP_AUTH_LINE_MAX];
	struct auth_sasl_plain cr;
	size_t len;

	(void)state;
	/* "\0alice@x.org\0secret" */
	assert_int_equal(
	        auth_sasl_plain("AGFsaWNlQHgub3JnAHNlY3JldA==", buf, sizeof(buf), &len, &cr), 0);
	assert_int_equal(len, 19);
	assert_string_equal(cr.user, "alice@x.org");
	assert_string_equal(cr.password, "secret");
	assert_int_equal(cr.password_len, 6);
	/* "Alice@X.org\0alice@x.org\0pw": authzid equal after ACC-1 */
	assert_int_equal(auth_sasl_plain("QWxpY2VAWC5vcmcAYWxpY2VAeC5vcmcAcHc=", buf, sizeof(buf),
	                         &len, &cr),
	        0);
	assert_string_equal(cr.user, "alice@x.org");
	/* "bob@x.org\0alice@x.org\0pw": AUTH-1 fails through auth with an empty user */
	assert_int_equal(
	        auth_sasl_plain("Ym9iQHgub3JnAGFsaWNlQHgub3JnAHB3", buf, sizeof(buf), &len, &cr),
	        0);
	assert_string_equal(cr.user, "");
	assert_string_equal(cr.password, "pw");
	/* "=" and "" are the empty response, which is no PLAIN message */
	assert_int_equal(auth_sasl_plain("=", buf, sizeof(buf), &len, &cr), -1);
	assert_int_equal(auth_sasl_plain("", buf, sizeof(buf), &len, &cr), -1);
	assert_int_equal(auth_sasl_plain("!!!!", buf, sizeof(buf), &len, &cr), -1);
	/* "\0alice@x.org\0": empty password */
	assert_int_equal(auth_sasl_plain("AGFsaWNlQHgub3JnAA==", buf, sizeof(buf), &len, &cr), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_decode),
	        cmocka_unit_test(test_plain_split),
	        cmocka_unit_test(test_authz),
	        cmocka_unit_test(test_plain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
