/*
 * test_imap_store_parse.c - STORE arguments and flag lists
 * (imap_store_parse.c, SPEC IMAP-41).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "imap/imap_store_parse.h"
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

static int
store(const char *rest, struct imap_store_request *req, const char **err)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "a STORE 1 %s\r\n", rest);
	const struct imap_command *c = imap_test_parse(parser, line, (size_t)n);

	assert_non_null(c);
	return imap_store_parse(imap_parser_arena(parser), c->args + 1, c->count - 1, req, err);
}

static void
expect_bad(const char *rest, const char *want)
{
	struct imap_store_request req;
	const char *err = NULL;

	if (store(rest, &req, &err) == 0)
		fail_msg("accepted %s", rest);
	assert_string_equal(err, want);
}

static void
test_store(void **state)
{
	struct imap_store_request req;
	const char *err;

	(void)state;
	assert_int_equal(store("+FLAGS (\\Seen)", &req, &err), 0);
	assert_int_equal(req.op, IMAP_STORE_ADD);
	assert_false(req.is_silent);
	assert_int_equal(req.flags.system, IMAP_FLAG_SEEN);
	assert_int_equal(req.flags.keyword_count, 0);
	assert_int_equal(store("-flags.silent \\deleted \\SEEN $Label1", &req, &err), 0);
	assert_int_equal(req.op, IMAP_STORE_REMOVE);
	assert_true(req.is_silent);
	assert_int_equal(req.flags.system, IMAP_FLAG_DELETED | IMAP_FLAG_SEEN);
	assert_int_equal(req.flags.keyword_count, 1);
	assert_string_equal(req.flags.keywords[0], "$Label1");
	assert_int_equal(store("FLAGS ()", &req, &err), 0);
	assert_int_equal(req.op, IMAP_STORE_REPLACE);
	assert_int_equal(req.flags.system, 0);
	assert_int_equal(store("FLAGS NIL", &req, &err), 0); /* the keyword NIL */
	assert_int_equal(req.flags.keyword_count, 1);
	assert_string_equal(req.flags.keywords[0], "NIL");
	assert_int_equal(store("FLAGS (a A b \\Answered \\Flagged \\Draft a)", &req, &err), 0);
	assert_int_equal(req.flags.keyword_count, 2);
	assert_int_equal(
	        req.flags.system, IMAP_FLAG_ANSWERED | IMAP_FLAG_FLAGGED | IMAP_FLAG_DRAFT);
	assert_int_equal(store("(UNCHANGEDSINCE 42) FLAGS.SILENT (\\Deleted)", &req, &err), 0);
	assert_true(req.has_unchangedsince);
	assert_int_equal(req.unchangedsince, 42);
	assert_true(req.is_silent);
	assert_int_equal(store("(unchangedsince 0) +FLAGS x", &req, &err), 0);
	assert_int_equal(req.unchangedsince, 0);
	/* DC-2 */
	assert_int_equal(store("+FLAGS (\\Deleted)", &req, &err), 0);
	assert_int_equal(req.flags.system, IMAP_FLAG_DELETED);
}

static void
test_store_errors(void **state)
{
	(void)state;
	expect_bad("", "Invalid STORE item.");
	expect_bad("FLAGS", "Missing flags.");
	expect_bad("FLAG (\\Seen)", "Invalid STORE item.");
	expect_bad("*FLAGS (\\Seen)", "Invalid STORE item.");
	expect_bad("+FLAGS.LOUD (\\Seen)", "Invalid STORE item.");
	expect_bad("+FLAGS (\\Recent)", "Invalid system flag.");
	expect_bad("+FLAGS (\\*)", "Invalid system flag.");
	expect_bad("+FLAGS (\\Foo)", "Invalid system flag.");
	expect_bad("+FLAGS (\"Seen\")", "Invalid flag.");
	expect_bad("+FLAGS ((a))", "Invalid flag.");
	expect_bad("+FLAGS (a%b)", "Invalid keyword.");
	expect_bad("+FLAGS (a]b)", "Invalid keyword.");
	expect_bad("+FLAGS (a) (b)", "Unexpected STORE arguments.");
	expect_bad("(UNCHANGEDSINCE) FLAGS x", "Unknown STORE modifier.");
	expect_bad("(FOO 1) FLAGS x", "Unknown STORE modifier.");
	expect_bad("(UNCHANGEDSINCE x) FLAGS x", "Invalid UNCHANGEDSINCE.");
	expect_bad("(UNCHANGEDSINCE 9223372036854775808) FLAGS x", "Invalid UNCHANGEDSINCE.");
}

static void
test_keyword_rules(void **state)
{
	char kw[300];

	(void)state;
	assert_true(imap_flag_is_keyword("$Forwarded", 10));
	assert_false(imap_flag_is_keyword("", 0));
	assert_false(imap_flag_is_keyword("a b", 3));
	assert_false(imap_flag_is_keyword("caf\xc3\xa9", 5));
	memset(kw, 'k', sizeof(kw));
	assert_true(imap_flag_is_keyword(kw, 255));
	assert_false(imap_flag_is_keyword(kw, 256));
	assert_string_equal(imap_flag_system_name(IMAP_FLAG_SEEN), "\\Seen");
	assert_null(imap_flag_system_name(0x100));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_store),
	        cmocka_unit_test(test_store_errors),
	        cmocka_unit_test(test_keyword_rules),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
