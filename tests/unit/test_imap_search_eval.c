/*
 * test_imap_search_eval.c - BODY and TEXT search keys (imap_search_eval.c,
 * RFC 3501 6.4.4): raw octets, and the content of base64 and
 * quoted-printable parts decoded, also inside multiparts and attached
 * messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "imap/imap_search_eval.h"

static const char mixed[] =
        "From: a@example.org\r\n"
        "Subject: plain subject\r\n"
        "Content-Type: multipart/mixed; boundary=\"b\"\r\n"
        "\r\n"
        "--b\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n"
        "\r\n"
        "Gr=C3=BC=C3=9Fe aus der K=C3=BCche, soft=\r\n"
        "break joined\r\n"
        "--b\r\n"
        "Content-Type: message/rfc822\r\n"
        "\r\n"
        "Subject: inner\r\n"
        "Content-Type: text/plain\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        "c2VjcmV0IHJlY2lwZQ==\r\n"
        "--b\r\n"
        "Content-Type: application/octet-stream\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        "bm90IHZhbGlkIGJhc2U2N\r\n"
        "--b--\r\n";

static bool
search(enum imap_search_op op, const char *str, const char *msg)
{
	struct imap_search_key k = {.op = op, .str = str, .len = strlen(str)};
	struct imap_search_env env = {.max_seq = 1, .max_uid = 1};
	struct imap_search_msg m = {.seq = 1, .uid = 1, .data = msg, .len = strlen(msg)};

	m.size = m.len;
	return imap_search_match(&k, &env, &m);
}

static void
test_body_decodes_transfer_encodings(void **state)
{
	(void)state;
	/* quoted-printable: UTF-8 octets and a soft line break */
	assert_true(search(IMAP_SEARCH_BODY, "Grüße aus der Küche", mixed));
	assert_true(search(IMAP_SEARCH_BODY, "softbreak joined", mixed));
	/* base64 inside an attached message, matched case-insensitively */
	assert_true(search(IMAP_SEARCH_BODY, "SECRET recipe", mixed));
	assert_true(search(IMAP_SEARCH_TEXT, "secret recipe", mixed));
	/* broken base64 is only searchable raw */
	assert_false(search(IMAP_SEARCH_BODY, "not valid", mixed));
	assert_true(search(IMAP_SEARCH_BODY, "bm90IHZhbGlk", mixed));
	assert_false(search(IMAP_SEARCH_BODY, "no such words", mixed));
}

static void
test_body_and_text_scope(void **state)
{
	(void)state;
	/* BODY starts after the header; TEXT covers both */
	assert_false(search(IMAP_SEARCH_BODY, "plain subject", mixed));
	assert_true(search(IMAP_SEARCH_TEXT, "plain subject", mixed));
	/* a single-part message without any encoding */
	assert_true(search(IMAP_SEARCH_BODY, "hello", "Subject: x\r\n\r\nHello world\r\n"));
	assert_true(search(IMAP_SEARCH_BODY, "", "Subject: x\r\n\r\n"));
	/* a base64 single part */
	assert_true(search(IMAP_SEARCH_BODY, "hello world",
	        "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8gd29ybGQ=\r\n"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_body_decodes_transfer_encodings),
	        cmocka_unit_test(test_body_and_text_scope),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
