/*
 * test_mail_codec.c - the one base64 decoder in its three modes (strict:
 * SASL and PGP armor; MIME bodies; DKIM tags), the encoder, and
 * quoted-printable (RFC 4648, RFC 2045 6.7/6.8, RFC 6376 2.4).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mail/mail_codec.h"

/* dec - decode a NUL-terminated text in mode into out (size outsize); the C result. */
static int
dec(const char *in, enum mail_b64_mode mode, unsigned char *out, size_t outsize, size_t *n)
{
	return mail_base64_decode(in, strlen(in), mode, out, outsize, n);
}

static void
test_base64_strict(void **state)
{
	unsigned char out[64];
	size_t n;

	(void)state;
	assert_int_equal(dec("aGVsbG8=", MAIL_B64_STRICT, out, sizeof(out), &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "hello", 5);
	assert_int_equal(dec("", MAIL_B64_STRICT, out, sizeof(out), &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(
	        dec("AGFiY0BleGFtcGxlLm9yZwBwdw==", MAIL_B64_STRICT, out, sizeof(out), &n), 0);
	assert_int_equal(n, 19);
	assert_memory_equal(out, "\0abc@example.org\0pw", 19);
	assert_int_equal(dec("aGVsbG8", MAIL_B64_STRICT, out, sizeof(out), &n), -1);
	assert_int_equal(dec("aG=sbG8=", MAIL_B64_STRICT, out, sizeof(out), &n), -1);
	assert_int_equal(dec("aGVs\nbG8=", MAIL_B64_STRICT, out, sizeof(out), &n), -1);
	assert_int_equal(dec("aGU=aGVs", MAIL_B64_STRICT, out, sizeof(out), &n), -1);
	assert_int_equal(dec("aGVsbG8-", MAIL_B64_STRICT, out, sizeof(out), &n), -1);
	assert_int_equal(dec("YQ", MAIL_B64_STRICT, out, sizeof(out), &n), -1);
	assert_int_equal(dec("Y=Q=", MAIL_B64_STRICT, out, sizeof(out), &n), -1);
	assert_int_equal(dec("YQ==YQ==", MAIL_B64_STRICT, out, sizeof(out), &n), -1);
	assert_int_equal(dec("Y!Q=", MAIL_B64_STRICT, out, sizeof(out), &n), -1);
	assert_int_equal(dec("YWJj ", MAIL_B64_STRICT, out, sizeof(out), &n), -1);
	assert_int_equal(dec("ab=c", MAIL_B64_STRICT, out, sizeof(out), &n), -1);
	/* RFC 4648 3.5: non-zero bits before the padding are not canonical */
	assert_int_equal(dec("YR==", MAIL_B64_STRICT, out, sizeof(out), &n), -1);
	assert_int_equal(dec("YWJ=", MAIL_B64_STRICT, out, sizeof(out), &n), -1);
	assert_int_equal(dec("YWI=", MAIL_B64_STRICT, out, sizeof(out), &n), 0);
	/* the output bound */
	assert_int_equal(dec("YWJjZA==", MAIL_B64_STRICT, out, 3, &n), -1);
	assert_int_equal(dec("YWJjZA==", MAIL_B64_STRICT, out, 4, &n), 0);
	assert_int_equal(n, 4);
}

static void
test_base64_mime(void **state)
{
	unsigned char out[64];
	size_t n;

	(void)state;
	assert_int_equal(dec("aGVs\r\nbG8=\r\n", MAIL_B64_MIME, out, sizeof(out), &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "hello", 5);
	assert_int_equal(dec("aGVs\r\nbG8=\r\nx", MAIL_B64_MIME, out, sizeof(out), &n), -1);
	assert_int_equal(dec("aGVsb", MAIL_B64_MIME, out, sizeof(out), &n), -1);
	assert_int_equal(dec("aG!s", MAIL_B64_MIME, out, sizeof(out), &n), -1);
	assert_int_equal(dec("aGVsbG8", MAIL_B64_MIME, out, sizeof(out), &n), -1);
	/* in place: the output never overtakes the input */
	{
		char buf[] = "aGVs bG8=";

		assert_int_equal(mail_base64_decode(buf, 9, MAIL_B64_MIME, (unsigned char *)buf,
		                         sizeof(buf), &n),
		        0);
		assert_memory_equal(buf, "hello", 5);
	}
}

static void
test_base64_dkim(void **state)
{
	unsigned char out[8];
	size_t n;

	(void)state;
	assert_int_equal(dec("Zm9v YmE=", MAIL_B64_DKIM, out, sizeof(out), &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "fooba", 5);
	assert_int_equal(dec("Zm9vYg", MAIL_B64_DKIM, out, sizeof(out), &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(dec("", MAIL_B64_DKIM, out, sizeof(out), &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(dec("Zm9vY", MAIL_B64_DKIM, out, sizeof(out), &n), -1);
	assert_int_equal(dec("Zm9vYg=", MAIL_B64_DKIM, out, sizeof(out), &n), -1);
	assert_int_equal(dec("Zm===", MAIL_B64_DKIM, out, sizeof(out), &n), -1);
	assert_int_equal(dec("Zm9vYmFyYmF6", MAIL_B64_DKIM, out, 8, &n), -1);
	assert_int_equal(dec("Zm9v!", MAIL_B64_DKIM, out, sizeof(out), &n), -1);
	assert_int_equal(dec("Zm9v\r\n\tYg = =", MAIL_B64_DKIM, out, sizeof(out), &n), 0);
	assert_int_equal(n, 4);
}

static void
test_base64_encode(void **state)
{
	char enc[64];

	(void)state;
	assert_int_equal(mail_base64_encode((const unsigned char *)"abcd", 4, enc, sizeof(enc)), 0);
	assert_string_equal(enc, "YWJjZA==");
	assert_int_equal(mail_base64_encode((const unsigned char *)"", 0, enc, sizeof(enc)), 0);
	assert_string_equal(enc, "");
	assert_int_equal(mail_base64_encode((const unsigned char *)"abc", 3, enc, 5), 0);
	assert_string_equal(enc, "YWJj");
	assert_int_equal(mail_base64_encode((const unsigned char *)"abc", 3, enc, 4), -1);
	assert_int_equal(mail_base64_encode((const unsigned char *)"", 0, enc, 0), -1);
	/* RFC 4648 section 10 (the cases of the former meta_turn_base64 copy) */
	assert_int_equal(mail_base64_encode((const unsigned char *)"f", 1, enc, sizeof(enc)), 0);
	assert_string_equal(enc, "Zg==");
	assert_int_equal(mail_base64_encode((const unsigned char *)"fo", 2, enc, sizeof(enc)), 0);
	assert_string_equal(enc, "Zm8=");
	assert_int_equal(mail_base64_encode((const unsigned char *)"foo", 3, enc, sizeof(enc)), 0);
	assert_string_equal(enc, "Zm9v");
	assert_int_equal(
	        mail_base64_encode((const unsigned char *)"foobar", 6, enc, sizeof(enc)), 0);
	assert_string_equal(enc, "Zm9vYmFy");
	assert_int_equal(
	        mail_base64_encode((const unsigned char *)"\xff\xfe", 2, enc, sizeof(enc)), 0);
	assert_string_equal(enc, "//4=");
}

static void
test_qp(void **state)
{
	unsigned char out[64];
	size_t n;

	(void)state;
	n = mail_qp_decode("a=3Db=\r\nc  \r\nd=4", 16, out);
	assert_int_equal(n, 9);
	assert_memory_equal(out, "a=bc\r\nd=4", 9);
	n = mail_qp_decode("x=e2=82=ac", 10, out);
	assert_int_equal(n, 4);
	assert_memory_equal(out, "x\xe2\x82\xac", 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_base64_strict),
	        cmocka_unit_test(test_base64_mime),
	        cmocka_unit_test(test_base64_dkim),
	        cmocka_unit_test(test_base64_encode),
	        cmocka_unit_test(test_qp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
