/*
 * test_policy_header.c - header cleanup (HDR-1, HDR-2) and the From header
 * check of submission (SUB-9) with its exact replies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mail/mail_header.h"
#include "policy/policy_header.h"
#include "mail_fixture.h"

static char *
cleanup(const char *hdr, enum hdr_cleanup_mode mode)
{
	char *out = NULL, *s;
	size_t n = 0;

	assert_int_equal(hdr_cleanup(hdr, strlen(hdr), mode, &out, &n), 0);
	s = strndup(out, n);
	free(out);
	return s;
}

static void
test_hdr_submission(void **state)
{
	static const char h[] = "Received: from x\r\n\tby y\r\n"
	                        "From: a@b.c\r\n"
	                        "X-Mailer: Foo 1.0\r\n"
	                        "subject: secret\r\n plans\r\n"
	                        "User-Agent: Bar\r\n"
	                        "X-Originating-IP: [192.0.2.1]\r\n"
	                        "To: d@e.f\r\n"
	                        "RECEIVED: again\r\n"
	                        "Subject:\r\n"
	                        "Chat-Version: 1.0\r\n"
	                        "X-Mailer-Extra: kept\r\n";
	char *s;

	(void)state;
	s = cleanup(h, HDR_CLEANUP_SUBMISSION);
	assert_string_equal(s,
	        "From: a@b.c\r\n"
	        "subject: [...]\r\n"
	        "To: d@e.f\r\n"
	        "Subject: [...]\r\n"
	        "Chat-Version: 1.0\r\n"
	        "X-Mailer-Extra: kept\r\n");
	free(s);
	/* a missing Subject stays missing (HDR-1) */
	s = cleanup("From: a@b.c\r\n", HDR_CLEANUP_SUBMISSION);
	assert_string_equal(s, "From: a@b.c\r\n");
	free(s);
	/* many tiny Subject fields: the output buffer is large enough */
	s = cleanup("Subject:Subject:\nSubject:", HDR_CLEANUP_SUBMISSION);
	assert_string_equal(s, "Subject: [...]\nSubject: [...]");
	free(s);
	s = cleanup("", HDR_CLEANUP_SUBMISSION);
	assert_string_equal(s, "");
	free(s);
}

static void
test_hdr_delivery(void **state)
{
	static const char h[] = "DKIM-Signature: v=1; a=rsa-sha256;\r\n b=abc\r\n"
	                        "Authentication-Results: mx; dkim=pass\r\n"
	                        "Received: from x\r\n"
	                        "From: a@b.c\r\n"
	                        "Subject: stays\r\n"
	                        "X-Mailer: stays\r\n"
	                        "garbage line without colon\r\n";
	char *s;

	(void)state;
	s = cleanup(h, HDR_CLEANUP_DELIVERY);
	assert_string_equal(s,
	        "From: a@b.c\r\nSubject: stays\r\nX-Mailer: stays\r\n"
	        "garbage line without colon\r\n");
	free(s);
}

static void
test_hdr_fixture_body_untouched(void **state)
{
	size_t len, body_off, hlen, n;
	char *m = fixture_load("encrypted.eml", "alice@example.org", "bob@x.org", &len);
	char *out;

	(void)state;
	hlen = mail_header_end(m, len, &body_off);
	assert_int_equal(hdr_cleanup(m, hlen, HDR_CLEANUP_SUBMISSION, &out, &n), 0);
	/* only the Subject changes here; part headers are never looked at */
	assert_non_null(memmem(out, n, "Subject: [...]\r\n", 16));
	assert_non_null(memmem(out, n, "Autocrypt: addr=alice@example.org;", 34));
	assert_null(memmem(out, n, "Content-Description", 19));
	free(out);
	free(m);
}

static void
test_hdr_from(void **state)
{
	static const struct {
		const char *hdr, *auth, *reply;
	} cases[] = {
	        {"From: alice@example.org\r\n", "alice@example.org", NULL},
	        {"From: Alice <Alice@EXAMPLE.org>\r\n", "alice@example.org", NULL},
	        {"From: =?utf-8?q?Al=C3=AFce?= <alice@example.org>\r\n", "alice@example.org", NULL},
	        {"FROM:\r\n \"Alice, A.\" (comment)\r\n <alice@example.org>\r\n",
	                "alice@example.org", NULL},
	        {"From: a@[192.0.2.1]\r\n", "a@192.0.2.1", NULL},
	        {"From: mallory@example.org\r\n", "alice@example.org", HDR_REPLY_FROM_MISMATCH},
	        {"From: alice@example.org.evil\r\n", "alice@example.org", HDR_REPLY_FROM_MISMATCH},
	        {"To: alice@example.org\r\n", "alice@example.org", HDR_REPLY_FROM_INVALID},
	        {"From: alice@example.org\r\nFrom: alice@example.org\r\n", "alice@example.org",
	                HDR_REPLY_FROM_INVALID},
	        {"From: alice@example.org, bob@example.org\r\n", "alice@example.org",
	                HDR_REPLY_FROM_INVALID},
	        {"From: Group: alice@example.org;\r\n", "alice@example.org",
	                HDR_REPLY_FROM_INVALID},
	        {"From: alice\r\n", "alice@example.org", HDR_REPLY_FROM_INVALID},
	        {"From:\r\n", "alice@example.org", HDR_REPLY_FROM_INVALID},
	        {"From: <>\r\n", "alice@example.org", HDR_REPLY_FROM_INVALID},
	        {"", "alice@example.org", HDR_REPLY_FROM_INVALID},
	};

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const char *reply = NULL;
		int r = hdr_from_check(cases[k].hdr, strlen(cases[k].hdr), cases[k].auth, &reply);

		if (cases[k].reply == NULL) {
			if (r != 0)
				fail_msg("%s: %s", cases[k].hdr, reply);
		} else {
			assert_int_equal(r, -1);
			assert_string_equal(reply, cases[k].reply);
		}
	}
	assert_string_equal(HDR_REPLY_FROM_INVALID, "554 5.6.0 Missing or invalid From header");
	assert_string_equal(HDR_REPLY_FROM_MISMATCH,
	        "554 5.7.1 From header does not match the authenticated sender");
}

static void
test_hdr_from_address(void **state)
{
	char out[300];

	(void)state;
	assert_int_equal(
	        hdr_from_address("From: X <Bob@Remote.Example>\r\n", 30, out, sizeof(out)), 0);
	assert_string_equal(out, "bob@remote.example");
	assert_int_equal(hdr_from_address("Subject: x\r\n", 12, out, sizeof(out)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_hdr_submission),
	        cmocka_unit_test(test_hdr_delivery),
	        cmocka_unit_test(test_hdr_fixture_body_untouched),
	        cmocka_unit_test(test_hdr_from),
	        cmocka_unit_test(test_hdr_from_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
