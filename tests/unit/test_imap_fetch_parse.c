/*
 * test_imap_fetch_parse.c - FETCH items, sections, partials, CHANGEDSINCE
 * (imap_fetch_parse.c, SPEC IMAP-35/36/38/39).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "imap/imap_fetch_parse.h"
#include "imap_test_util.h"

static struct imap_parser *parser;

static int
setup(void **state)
{
	(void)state;
	parser = imap_parser_new();
	return parser == NULL;
}

static int
teardown(void **state)
{
	(void)state;
	imap_parser_free(&parser);
	return 0;
}

/* fetch - parse `a FETCH 1 <items>`; returns the request or NULL with *err. */
static struct imap_fetch_request *
fetch(const char *items, const char **err)
{
	char line[2048];
	const struct imap_command *c;
	struct imap_fetch_request *req = NULL;
	int n = snprintf(line, sizeof(line), "a FETCH 1 %s\r\n", items);

	c = imap_test_parse(parser, line, (size_t)n);
	assert_non_null(c);
	*err = NULL;
	if (imap_fetch_parse(imap_parser_arena(parser), c->args + 1, c->count - 1, &req, err) < 0) {
		assert_non_null(*err);
		return NULL;
	}
	return req;
}

/* names - the item names joined by '|' */
static void
expect_names(const char *items, const char *want)
{
	const char *err;
	struct imap_fetch_request *r = fetch(items, &err);
	char got[2048] = "";

	if (r == NULL)
		fail_msg("%s: %s", items, err);
	for (size_t i = 0; i < r->count; i++) {
		if (i > 0)
			strcat(got, "|");
		strcat(got, r->items[i].name);
	}
	if (strcmp(got, want) != 0)
		fail_msg("%s: got %s want %s", items, got, want);
}

static void
expect_bad(const char *items, const char *want_err)
{
	const char *err;

	if (fetch(items, &err) != NULL)
		fail_msg("accepted %s", items);
	if (strcmp(err, want_err) != 0)
		fail_msg("%s: error %s want %s", items, err, want_err);
}

static void
test_simple_and_macros(void **state)
{
	(void)state;
	expect_names("FLAGS", "FLAGS");
	expect_names("(uid rfc822.size Flags)", "UID|RFC822.SIZE|FLAGS");
	expect_names("FAST", "FLAGS|INTERNALDATE|RFC822.SIZE");
	expect_names("all", "FLAGS|INTERNALDATE|RFC822.SIZE|ENVELOPE");
	expect_names("FULL", "FLAGS|INTERNALDATE|RFC822.SIZE|ENVELOPE|BODY");
	expect_names("(RFC822 RFC822.HEADER RFC822.TEXT ENVELOPE BODY BODYSTRUCTURE INTERNALDATE "
	             "MODSEQ)",
	        "RFC822|RFC822.HEADER|RFC822.TEXT|ENVELOPE|BODY|BODYSTRUCTURE|INTERNALDATE|MODSEQ");
	expect_bad("(ALL)", "Unknown FETCH item.");
	expect_bad("(FLAGS FAST)", "Unknown FETCH item.");
	expect_bad("()", "Missing FETCH items.");
	expect_bad("FOO", "Unknown FETCH item.");
	expect_bad("\"FLAGS\"", "Invalid FETCH item.");
	expect_bad("FLAGS UID", "Invalid FETCH modifiers.");
	expect_bad("(FLAGS) (FLAGS)", "Unknown FETCH modifier.");
	expect_bad("BINARY[]", "Unknown FETCH item.");
}

static void
test_sections(void **state)
{
	const char *err;
	struct imap_fetch_request *r;

	(void)state;
	expect_names("BODY[]", "BODY[]");
	expect_names("BODY.PEEK[]", "BODY[]");
	expect_names("body.peek[header]", "BODY[HEADER]");
	expect_names("BODY[1.2.3]", "BODY[1.2.3]");
	expect_names("BODY[2.MIME]", "BODY[2.MIME]");
	expect_names("BODY[2.text]", "BODY[2.TEXT]");
	expect_names("(BODY[TEXT]<0.100> FLAGS)", "BODY[TEXT]<0>|FLAGS");
	expect_names("BODY[]<5.10>", "BODY[]<5>");
	expect_names("BODY.PEEK[HEADER.FIELDS (Message-ID date)]",
	        "BODY[HEADER.FIELDS (Message-ID date)]");
	expect_names("BODY[1.HEADER.FIELDS.NOT (\"X-A\" {3}\r\nX-B)]<0.9>",
	        "BODY[1.HEADER.FIELDS.NOT (X-A X-B)]<0>");
	r = fetch("(FLAGS BODY.PEEK[3.1.HEADER.FIELDS (A B)]<7.8>)", &err);
	assert_non_null(r);
	assert_int_equal(r->count, 2);
	assert_int_equal(r->items[1].att, IMAP_FETCH_BODY_SECTION);
	assert_true(r->items[1].is_peek);
	assert_int_equal(r->items[1].section.part_count, 2);
	assert_int_equal(r->items[1].section.parts[0], 3);
	assert_int_equal(r->items[1].section.parts[1], 1);
	assert_int_equal(r->items[1].section.text, IMAP_SECTION_HEADER_FIELDS);
	assert_int_equal(r->items[1].section.field_count, 2);
	assert_string_equal(r->items[1].section.fields[1], "B");
	assert_true(r->items[1].has_partial);
	assert_int_equal(r->items[1].partial_offset, 7);
	assert_int_equal(r->items[1].partial_count, 8);
	assert_false(r->sets_seen);
	assert_true(r->needs_body);
	expect_bad("BODY[MIME]", "MIME needs a part number.");
	expect_bad("BODY[0]", "Invalid section part number.");
	expect_bad("BODY[01]", "Invalid section part number.");
	expect_bad("BODY[1.]", "Invalid section.");
	expect_bad("BODY[1..2]", "Invalid section.");
	expect_bad("BODY[HEADERS]", "Invalid section.");
	expect_bad("BODY[HEADER.FIELDS]", "Missing header field list.");
	expect_bad("BODY[HEADER.FIELDS ()]", "Missing header field list.");
	expect_bad("BODY[HEADER.FIELDS (A:B)]", "Invalid header field name.");
	expect_bad("BODY[HEADER.FIELDS (A)", "Invalid section.");
	expect_bad("BODY[TEXT (A)]", "Invalid section.");
	expect_bad("BODY[TEXT]<0>", "Invalid partial range.");
	expect_bad("BODY[TEXT]<0.0>", "Invalid partial range.");
	expect_bad("BODY[TEXT]<a.1>", "Invalid partial range.");
	expect_bad("BODY[TEXT]<1.2", "Invalid partial range.");
	expect_bad("BODY[TEXT]<4294967296.1>", "Invalid partial range.");
	expect_bad("BODY[TEXT]x", "Invalid partial range.");
	expect_bad("BODYX[TEXT]", "Unknown FETCH item.");
	expect_bad(
	        "BODY[1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22.23.24.25.26.27.28."
	        "29.30.31.32.33]",
	        "Invalid section part number.");
}

static void
test_flags_of_request(void **state)
{
	const char *err;
	struct imap_fetch_request *r;

	(void)state;
	r = fetch("(FLAGS BODY[])", &err);
	assert_true(r->sets_seen);
	r = fetch("RFC822.TEXT", &err);
	assert_true(r->sets_seen);
	r = fetch("RFC822.HEADER", &err);
	assert_false(r->sets_seen);
	assert_true(r->items[0].is_peek);
	r = fetch("(FLAGS UID RFC822.SIZE)", &err);
	assert_false(r->sets_seen);
	assert_false(r->needs_body);
	assert_true(r->has_uid);
	assert_false(r->has_modseq);
}

static void
test_changedsince(void **state)
{
	const char *err;
	struct imap_fetch_request *r;

	(void)state;
	r = fetch("(FLAGS) (CHANGEDSINCE 12345)", &err);
	assert_non_null(r);
	assert_true(r->has_changedsince);
	assert_int_equal(r->changedsince, 12345);
	assert_true(r->has_modseq);
	assert_int_equal(r->count, 2); /* MODSEQ implied */
	assert_int_equal(r->items[1].att, IMAP_FETCH_MODSEQ);
	r = fetch("(FLAGS MODSEQ) (changedsince 0)", &err);
	assert_int_equal(r->count, 2);
	r = fetch("BODY[HEADER.FIELDS (A)] (CHANGEDSINCE 9223372036854775807)", &err);
	assert_non_null(r);
	assert_int_equal(r->changedsince, INT64_MAX);
	expect_bad("FLAGS (CHANGEDSINCE 9223372036854775808)", "Invalid CHANGEDSINCE.");
	expect_bad("FLAGS (CHANGEDSINCE)", "Invalid CHANGEDSINCE.");
	expect_bad("FLAGS (CHANGEDSINCE 1 CHANGEDSINCE 2)", "Invalid CHANGEDSINCE.");
	expect_bad("FLAGS (CHANGEDSINCE -1)", "Invalid CHANGEDSINCE.");
	expect_bad("FLAGS (VANISHED)", "Unknown FETCH modifier.");
	expect_bad("FLAGS ()", "Invalid FETCH modifiers.");
	expect_bad("FLAGS (CHANGEDSINCE 1) X", "Unexpected FETCH arguments.");
}

/* The DC-2 requests. */
static void
test_dc2(void **state)
{
	const char *err;
	struct imap_fetch_request *r;

	(void)state;
	expect_names("(UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID DATE "
	             "X-MICROSOFT-ORIGINAL-MESSAGE-ID FROM CONTENT-TYPE SECURE-JOIN CHAT-VERSION "
	             "CHAT-IS-POST-MESSAGE AUTOCRYPT-SETUP-MESSAGE)])",
	        "UID|RFC822.SIZE|BODY[HEADER.FIELDS (MESSAGE-ID DATE "
	        "X-MICROSOFT-ORIGINAL-MESSAGE-ID "
	        "FROM CONTENT-TYPE SECURE-JOIN CHAT-VERSION CHAT-IS-POST-MESSAGE "
	        "AUTOCRYPT-SETUP-MESSAGE)]");
	r = fetch("(FLAGS BODY.PEEK[])", &err);
	assert_non_null(r);
	assert_false(r->sets_seen);
	assert_int_equal(r->items[1].section.text, IMAP_SECTION_NONE);
	assert_int_equal(r->items[1].section.part_count, 0);
	expect_names("(UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID X-MICROSOFT-ORIGINAL-MESSAGE-ID)])",
	        "UID|BODY[HEADER.FIELDS (MESSAGE-ID X-MICROSOFT-ORIGINAL-MESSAGE-ID)]");
	assert_string_equal(imap_fetch_att_name(IMAP_FETCH_RFC822_SIZE), "RFC822.SIZE");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_simple_and_macros),
	        cmocka_unit_test(test_sections),
	        cmocka_unit_test(test_flags_of_request),
	        cmocka_unit_test(test_changedsince),
	        cmocka_unit_test(test_dc2),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
