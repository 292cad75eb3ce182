/*
 * test_imap_args_parse.c - APPEND, STATUS, GETMETADATA, SETMETADATA and ID
 * arguments (imap_args_parse.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "imap/imap_args_parse.h"
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

#define PARSE(line) imap_test_parse(parser, line, sizeof(line) - 1)

static void
test_append(void **state)
{
	const struct imap_command *c;
	struct imap_append_args a;
	const char *err;

	(void)state;
	c = PARSE("a APPEND Sent (\\Seen $x) \"01-Jan-2026 01:00:00 +0100\" {5}\r\nhello\r\n");
	assert_non_null(c);
	assert_int_equal(
	        imap_append_parse(imap_parser_arena(parser), c->args, c->count, &a, &err), 0);
	assert_string_equal(a.mailbox, "Sent");
	assert_int_equal(a.flags.system, IMAP_FLAG_SEEN);
	assert_int_equal(a.flags.keyword_count, 1);
	assert_true(a.has_date);
	assert_int_equal((int64_t)a.date, 1767225600);
	assert_int_equal(a.message->len, 5);
	c = PARSE("a APPEND {5}\r\nINBOX {0+}\r\n\r\n");
	assert_int_equal(
	        imap_append_parse(imap_parser_arena(parser), c->args, c->count, &a, &err), 0);
	assert_string_equal(a.mailbox, "INBOX");
	assert_false(a.has_date);
	assert_int_equal(a.flags.system, 0);
	c = PARSE("a APPEND INBOX \"32-Jan-2026 00:00:00 +0000\" {1}\r\nx\r\n");
	assert_int_equal(
	        imap_append_parse(imap_parser_arena(parser), c->args, c->count, &a, &err), -1);
	assert_string_equal(err, "Invalid date-time.");
	c = PARSE("a APPEND INBOX {1}\r\nx {1}\r\ny\r\n");
	assert_int_equal(
	        imap_append_parse(imap_parser_arena(parser), c->args, c->count, &a, &err), -1);
	assert_string_equal(err, "MULTIAPPEND is not supported.");
	c = PARSE("a APPEND INBOX \"text\"\r\n");
	assert_int_equal(
	        imap_append_parse(imap_parser_arena(parser), c->args, c->count, &a, &err), -1);
	c = PARSE("a APPEND INBOX (\\Recent) {1}\r\nx\r\n");
	assert_int_equal(
	        imap_append_parse(imap_parser_arena(parser), c->args, c->count, &a, &err), -1);
	assert_string_equal(err, "Invalid system flag.");
	c = PARSE("a APPEND INBOX\r\n");
	assert_int_equal(
	        imap_append_parse(imap_parser_arena(parser), c->args, c->count, &a, &err), -1);
}

static void
test_append_literal_kind(void **state)
{
	static const char in[] = "a APPEND {5}\r\nINBOX (\\Seen) {3}\r\nabc {4}\r\n";
	size_t off = 0, used;
	bool is_second;

	(void)state;
	imap_parser_reset(parser);
	/* the mailbox literal is not the message */
	assert_int_equal(imap_parser_feed(parser, in, sizeof(in) - 1, &used), IMAP_PARSE_LITERAL);
	assert_false(imap_append_literal_is_message(parser, &is_second));
	assert_int_equal(imap_parser_literal_accept(parser), 0);
	off += used;
	assert_int_equal(imap_parser_feed(parser, in + off, sizeof(in) - 1 - off, &used),
	        IMAP_PARSE_LITERAL);
	assert_true(imap_append_literal_is_message(parser, &is_second));
	assert_false(is_second);
	assert_int_equal(imap_parser_literal_stream(parser), 0);
	off += used;
	assert_int_equal(imap_parser_feed(parser, in + off, sizeof(in) - 1 - off, &used),
	        IMAP_PARSE_LITERAL_DATA);
	off += used;
	assert_int_equal(imap_parser_feed(parser, in + off, sizeof(in) - 1 - off, &used),
	        IMAP_PARSE_LITERAL);
	assert_true(imap_append_literal_is_message(parser, &is_second));
	assert_true(is_second);
	/* another command's literal is never an APPEND message */
	imap_parser_reset(parser);
	assert_int_equal(
	        imap_parser_feed(parser, "a LOGIN x {3}\r\n", 15, &used), IMAP_PARSE_LITERAL);
	assert_false(imap_append_literal_is_message(parser, &is_second));
	imap_parser_reset(parser);
}

static void
test_status(void **state)
{
	const struct imap_command *c;
	struct imap_status_args s;
	const char *err;

	(void)state;
	c = PARSE("a STATUS \"INBOX\" (UIDNEXT messages HIGHESTMODSEQ UNSEEN RECENT "
	          "UIDVALIDITY)\r\n");
	assert_int_equal(
	        imap_status_parse(imap_parser_arena(parser), c->args, c->count, &s, &err), 0);
	assert_string_equal(s.mailbox, "INBOX");
	assert_int_equal(s.count, 6);
	assert_int_equal(s.items[0], IMAP_STATUS_UIDNEXT);
	assert_int_equal(s.items[1], IMAP_STATUS_MESSAGES);
	assert_int_equal(s.items[2], IMAP_STATUS_HIGHESTMODSEQ);
	assert_string_equal(imap_status_item_name(s.items[5]), "UIDVALIDITY");
	c = PARSE("a STATUS INBOX (SIZE)\r\n");
	assert_int_equal(
	        imap_status_parse(imap_parser_arena(parser), c->args, c->count, &s, &err), -1);
	assert_string_equal(err, "Unknown STATUS item.");
	c = PARSE("a STATUS INBOX ()\r\n");
	assert_int_equal(
	        imap_status_parse(imap_parser_arena(parser), c->args, c->count, &s, &err), -1);
	c = PARSE("a STATUS INBOX UIDNEXT\r\n");
	assert_int_equal(
	        imap_status_parse(imap_parser_arena(parser), c->args, c->count, &s, &err), -1);
}

static void
test_getmetadata(void **state)
{
	const struct imap_command *c;
	struct imap_getmetadata_args g;
	const char *err;

	(void)state;
	/* DC-2 step 5 */
	c = PARSE("5 GETMETADATA \"\" (/shared/comment /shared/admin "
	          "/shared/vendor/deltachat/irohrelay "
	          "/shared/vendor/deltachat/turn /shared/vendor/deltachat/maxsmtprecipients "
	          "/shared/vendor/deltachat/appversions)\r\n");
	assert_int_equal(
	        imap_getmetadata_parse(imap_parser_arena(parser), c->args, c->count, &g, &err), 0);
	assert_string_equal(g.mailbox, "");
	assert_int_equal(g.count, 6);
	assert_string_equal(g.entries[3], "/shared/vendor/deltachat/turn");
	assert_false(g.has_maxsize);
	assert_int_equal(g.depth, 0);
	c = PARSE("a GETMETADATA (MAXSIZE 1024 DEPTH infinity) INBOX /private/devicetoken\r\n");
	assert_int_equal(
	        imap_getmetadata_parse(imap_parser_arena(parser), c->args, c->count, &g, &err), 0);
	assert_true(g.has_maxsize);
	assert_int_equal(g.maxsize, 1024);
	assert_int_equal(g.depth, -1);
	assert_int_equal(g.count, 1);
	c = PARSE("a GETMETADATA (DEPTH 2) \"\" /shared\r\n");
	assert_int_equal(
	        imap_getmetadata_parse(imap_parser_arena(parser), c->args, c->count, &g, &err), -1);
	c = PARSE("a GETMETADATA \"\" /other/x\r\n");
	assert_int_equal(
	        imap_getmetadata_parse(imap_parser_arena(parser), c->args, c->count, &g, &err), -1);
	assert_string_equal(err, "Invalid metadata entry name.");
	c = PARSE("a GETMETADATA \"\" ()\r\n");
	assert_int_equal(
	        imap_getmetadata_parse(imap_parser_arena(parser), c->args, c->count, &g, &err), -1);
	c = PARSE("a GETMETADATA \"\"\r\n");
	assert_int_equal(
	        imap_getmetadata_parse(imap_parser_arena(parser), c->args, c->count, &g, &err), -1);
	assert_true(imap_metadata_entry_valid("/shared", 7));
	assert_true(imap_metadata_entry_valid("/Private/DeviceToken", 20));
	assert_false(imap_metadata_entry_valid("/sharedx", 8));
	assert_false(imap_metadata_entry_valid("/shared/", 8));
	assert_false(imap_metadata_entry_valid("/shared//a", 10));
	assert_false(imap_metadata_entry_valid("/shared/*", 9));
	assert_false(imap_metadata_entry_valid("/shared/a b", 11));
	assert_false(imap_metadata_entry_valid("shared/a", 8));
}

static void
test_setmetadata(void **state)
{
	const struct imap_command *c;
	struct imap_setmetadata_args s;
	const char *err;

	(void)state;
	/* DC-2 step 6 */
	c = PARSE("6 SETMETADATA \"INBOX\" (/private/devicetoken \"openpgp:AbC+/=\")\r\n");
	assert_int_equal(
	        imap_setmetadata_parse(imap_parser_arena(parser), c->args, c->count, &s, &err), 0);
	assert_string_equal(s.mailbox, "INBOX");
	assert_int_equal(s.count, 1);
	assert_string_equal(s.pairs[0].entry, "/private/devicetoken");
	assert_string_equal(s.pairs[0].value, "openpgp:AbC+/=");
	c = PARSE(
	        "a SETMETADATA INBOX (/private/devicetoken {4+}\r\na\0bc /shared/comment NIL)\r\n");
	assert_int_equal(
	        imap_setmetadata_parse(imap_parser_arena(parser), c->args, c->count, &s, &err), 0);
	assert_int_equal(s.count, 2);
	assert_int_equal(s.pairs[0].value_len, 4);
	assert_memory_equal(s.pairs[0].value, "a\0bc", 4);
	assert_null(s.pairs[1].value);
	c = PARSE("a SETMETADATA INBOX (/private/devicetoken)\r\n");
	assert_int_equal(
	        imap_setmetadata_parse(imap_parser_arena(parser), c->args, c->count, &s, &err), -1);
	c = PARSE("a SETMETADATA INBOX (/private/devicetoken atom)\r\n");
	assert_int_equal(
	        imap_setmetadata_parse(imap_parser_arena(parser), c->args, c->count, &s, &err), -1);
	assert_string_equal(err, "Invalid metadata value.");
	c = PARSE("a SETMETADATA INBOX (private x)\r\n");
	assert_int_equal(
	        imap_setmetadata_parse(imap_parser_arena(parser), c->args, c->count, &s, &err), -1);
}

static void
test_id(void **state)
{
	const struct imap_command *c;
	const char *err;
	char line[4096];
	size_t n = 0;

	(void)state;
	c = PARSE("2 ID (\"name\" \"Delta Chat\")\r\n");
	assert_int_equal(imap_id_check(c->args, c->count, &err), 0);
	c = PARSE("a ID NIL\r\n");
	assert_int_equal(imap_id_check(c->args, c->count, &err), 0);
	c = PARSE("a ID (\"name\" NIL \"version\" \"1.0\")\r\n");
	assert_int_equal(imap_id_check(c->args, c->count, &err), 0);
	c = PARSE("a ID ()\r\n");
	assert_int_equal(imap_id_check(c->args, c->count, &err), 0);
	c = PARSE("a ID (\"name\")\r\n");
	assert_int_equal(imap_id_check(c->args, c->count, &err), -1);
	c = PARSE("a ID (name \"x\")\r\n");
	assert_int_equal(imap_id_check(c->args, c->count, &err), -1);
	c = PARSE("a ID (\"0123456789012345678901234567890\" \"x\")\r\n");
	assert_int_equal(imap_id_check(c->args, c->count, &err), -1);
	assert_string_equal(err, "Invalid ID field.");
	c = PARSE("a ID\r\n");
	assert_int_equal(imap_id_check(c->args, c->count, &err), -1);
	n += (size_t)snprintf(line, sizeof(line), "a ID (");
	for (int i = 0; i < 31; i++)
		n += (size_t)snprintf(
		        line + n, sizeof(line) - n, "%s\"f%d\" \"v\"", i ? " " : "", i);
	n += (size_t)snprintf(line + n, sizeof(line) - n, ")\r\n");
	c = imap_test_parse(parser, line, n);
	assert_int_equal(imap_id_check(c->args, c->count, &err), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_append),
	        cmocka_unit_test(test_append_literal_kind),
	        cmocka_unit_test(test_status),
	        cmocka_unit_test(test_getmetadata),
	        cmocka_unit_test(test_setmetadata),
	        cmocka_unit_test(test_id),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
