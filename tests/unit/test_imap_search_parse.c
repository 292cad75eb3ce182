/*
 * test_imap_search_parse.c - SEARCH key trees (imap_search_parse.c, SPEC
 * IMAP-45, IMAP-46).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "imap/imap_search_parse.h"
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

static void
render(const struct imap_search_key *k, char *out, size_t size)
{
	size_t n = strlen(out);

	snprintf(out + n, size - n, "%s%s", n > 0 && out[n - 1] != '(' ? " " : "",
	        imap_search_op_name(k->op));
	n = strlen(out);
	if (k->op == IMAP_SEARCH_HEADER)
		snprintf(out + n, size - n, " %s", k->field);
	n = strlen(out);
	if (k->str != NULL)
		snprintf(out + n, size - n, " \"%s\"", k->str);
	n = strlen(out);
	switch (k->op) {
	case IMAP_SEARCH_BEFORE:
	case IMAP_SEARCH_ON:
	case IMAP_SEARCH_SINCE:
	case IMAP_SEARCH_SENTBEFORE:
	case IMAP_SEARCH_SENTON:
	case IMAP_SEARCH_SENTSINCE:
		snprintf(out + n, size - n, " @%lld", (long long)k->date);
		break;
	case IMAP_SEARCH_LARGER:
	case IMAP_SEARCH_SMALLER:
	case IMAP_SEARCH_MODSEQ:
		snprintf(out + n, size - n, " %llu", (unsigned long long)k->number);
		break;
	case IMAP_SEARCH_SEQSET:
	case IMAP_SEARCH_UID:
		/* show the parsed ranges with 0 for `*` */
		for (size_t i = 0; i < k->set.count; i++) {
			n = strlen(out);
			snprintf(out + n, size - n, "%s%u:%u", i ? "," : " ", k->set.ranges[i].lo,
			        k->set.ranges[i].hi);
		}
		break;
	default: break;
	}
	if (k->child_count > 0) {
		n = strlen(out);
		snprintf(out + n, size - n, " (");
		for (size_t i = 0; i < k->child_count; i++)
			render(&k->children[i], out, size);
		n = strlen(out);
		snprintf(out + n, size - n, ")");
	}
}

static int
search(const char *keys, struct imap_search_program **prog, bool *badcs, const char **err)
{
	static char line[70000];
	int n = snprintf(line, sizeof(line), "a SEARCH %s\r\n", keys);
	const struct imap_command *c = imap_test_parse(parser, line, (size_t)n);

	assert_non_null(c);
	return imap_search_parse(imap_parser_arena(parser), c->args, c->count, prog, badcs, err);
}

static void
expect(const char *keys, const char *want)
{
	struct imap_search_program *prog;
	const char *err;
	bool badcs;
	char out[4096] = "";

	if (search(keys, &prog, &badcs, &err) < 0)
		fail_msg("%s: %s", keys, err);
	render(&prog->root, out, sizeof(out));
	if (strcmp(out, want) != 0)
		fail_msg("%s:\n got  %s\n want %s", keys, out, want);
}

static void
expect_bad(const char *keys, const char *want)
{
	struct imap_search_program *prog;
	const char *err;
	bool badcs;

	if (search(keys, &prog, &badcs, &err) == 0)
		fail_msg("accepted %s", keys);
	assert_false(badcs);
	if (strcmp(err, want) != 0)
		fail_msg("%s: error %s want %s", keys, err, want);
}

static void
test_keys(void **state)
{
	(void)state;
	expect("ALL", "AND (ALL)");
	expect("answered deleted draft flagged seen recent new old",
	        "AND (ANSWERED DELETED DRAFT FLAGGED SEEN RECENT NEW OLD)");
	expect("UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNSEEN",
	        "AND (UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNSEEN)");
	expect("KEYWORD $Forwarded UNKEYWORD Junk",
	        "AND (KEYWORD \"$Forwarded\" UNKEYWORD \"Junk\")");
	expect("FROM alice TO \"bob smith\" CC {3}\r\nc@d BCC x SUBJECT NIL BODY b TEXT \"\"",
	        "AND (FROM \"alice\" TO \"bob smith\" CC \"c@d\" BCC \"x\" SUBJECT \"NIL\" BODY "
	        "\"b\" "
	        "TEXT \"\")");
	expect("HEADER Message-ID \"<x@y>\" HEADER Chat-Version \"\"",
	        "AND (HEADER Message-ID \"<x@y>\" HEADER Chat-Version \"\")");
	expect("SINCE 1-Jan-2026 BEFORE \"02-Jan-2026\" ON 1-jan-1970",
	        "AND (SINCE @1767225600 BEFORE @1767312000 ON @0)");
	expect("SENTSINCE 1-Jan-2026 SENTBEFORE 1-Jan-2026 SENTON 1-Jan-2026",
	        "AND (SENTSINCE @1767225600 SENTBEFORE @1767225600 SENTON @1767225600)");
	expect("LARGER 1000 SMALLER 4294967295", "AND (LARGER 1000 SMALLER 4294967295)");
	expect("1:5,7 UID 10:*", "AND (SEQSET 1:5,7:7 UID 10:0)");
	expect("*", "AND (SEQSET 0:0)");
	expect("NOT SEEN", "AND (NOT (SEEN))");
	expect("OR SEEN FLAGGED", "AND (OR (SEEN FLAGGED))");
	expect("OR (SEEN FROM x) NOT (DELETED)",
	        "AND (OR (AND (SEEN FROM \"x\") NOT (AND (DELETED))))");
	expect("UNSEEN NOT NOT OR 1 2 UID 3",
	        "AND (UNSEEN NOT (NOT (OR (SEQSET 1:1 SEQSET 2:2))) UID 3:3)");
	expect("MODSEQ 5", "AND (MODSEQ 5)");
	expect("MODSEQ \"/flags/\\\\draft\" all 620162338", "AND (MODSEQ 620162338)");
}

static void
test_charset(void **state)
{
	struct imap_search_program *prog;
	const char *err;
	bool badcs;

	(void)state;
	assert_int_equal(
	        search("CHARSET UTF-8 SUBJECT {5}\r\ncaf\xc3\xa9", &prog, &badcs, &err), 0);
	assert_true(prog->is_utf8);
	assert_int_equal(search("charset us-ascii ALL", &prog, &badcs, &err), 0);
	assert_false(prog->is_utf8);
	assert_false(prog->has_modseq);
	assert_int_equal(search("CHARSET \"UTF-8\" ALL", &prog, &badcs, &err), 0);
	assert_int_equal(search("CHARSET ISO-8859-1 ALL", &prog, &badcs, &err), -1);
	assert_true(badcs);
	assert_string_equal(err, "Unsupported charset.");
	assert_int_equal(search("UID 1:* MODSEQ 1", &prog, &badcs, &err), 0);
	assert_true(prog->has_modseq);
	expect_bad("CHARSET", "Missing charset.");
	expect_bad("CHARSET UTF-8", "Missing search key.");
}

static void
test_errors(void **state)
{
	char deep[256];
	size_t n = 0;

	(void)state;
	expect_bad("", "Missing search key.");
	expect_bad("FOO", "Unknown search key.");
	expect_bad("\"ALL\"", "Invalid search key.");
	expect_bad("()", "Missing search key.");
	expect_bad("FROM", "Missing search string.");
	expect_bad("FROM (x)", "Missing search string.");
	expect_bad("HEADER", "Missing search string.");
	expect_bad("HEADER X-A", "Missing search string.");
	expect_bad("HEADER \"A:B\" x", "Invalid header field name.");
	expect_bad("HEADER \"\" x", "Invalid header field name.");
	expect_bad("KEYWORD", "Invalid keyword.");
	expect_bad("KEYWORD \\Seen", "Invalid keyword.");
	expect_bad("KEYWORD \"x\"", "Invalid keyword.");
	expect_bad("SINCE", "Invalid date.");
	expect_bad("SINCE 2026-01-01", "Invalid date.");
	expect_bad("SINCE {10}\r\n1-Jan-2026", "Invalid date.");
	expect_bad("LARGER", "Invalid number.");
	expect_bad("LARGER -1", "Invalid number.");
	expect_bad("LARGER 4294967296", "Invalid number.");
	expect_bad("UID", "Invalid sequence set.");
	expect_bad("UID x", "Invalid sequence set.");
	expect_bad("1:", "Invalid sequence set.");
	expect_bad("NOT", "Missing search key.");
	expect_bad("OR SEEN", "Missing search key.");
	expect_bad("MODSEQ", "Invalid MODSEQ.");
	expect_bad("MODSEQ \"/flags/x\" both 5", "Invalid MODSEQ.");
	expect_bad("MODSEQ 9223372036854775808", "Invalid MODSEQ.");
	expect_bad("SEEN CHARSET UTF-8", "Unknown search key.");
	/* depth: NOT chains and nested groups */
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "NOT ");
	snprintf(deep + n, sizeof(deep) - n, "SEEN");
	expect_bad(deep, "Search keys nested too deeply.");
	n = 0;
	for (int i = 0; i < 31; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "NOT ");
	snprintf(deep + n, sizeof(deep) - n, "SEEN");
	expect(deep,
	        "AND (NOT (NOT (NOT (NOT (NOT (NOT (NOT (NOT (NOT (NOT (NOT (NOT (NOT (NOT (NOT "
	        "(NOT (NOT (NOT (NOT (NOT (NOT (NOT (NOT (NOT (NOT (NOT (NOT (NOT (NOT (NOT (NOT "
	        "(SEEN))))))))))))))))))))))))))))))))");
}

static void
test_many_keys(void **state)
{
	static char keys[60000];
	struct imap_search_program *prog;
	const char *err;
	bool badcs;
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 2000; i++)
		n += (size_t)snprintf(keys + n, sizeof(keys) - n, "OR %d SEEN ", i + 1);
	snprintf(keys + n, sizeof(keys) - n, "ALL");
	assert_int_equal(search(keys, &prog, &badcs, &err), 0);
	assert_int_equal(prog->root.child_count, 2001);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_keys),
	        cmocka_unit_test(test_charset),
	        cmocka_unit_test(test_errors),
	        cmocka_unit_test(test_many_keys),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
