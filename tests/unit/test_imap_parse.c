/*
 * test_imap_parse.c - the incremental IMAP command parser (imap_parse.c).
 *
 * Every case is run with the whole input at once, cut into two at every
 * byte, and fed one byte at a time; the event log (commands, errors,
 * literal announcements, streamed chunks) must be the same each time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/core_limits.h"
#include "imap/imap_parse.h"

enum lit_policy { POL_ACCEPT, POL_REFUSE_BIG, POL_STREAM };

struct log {
	char *s;
	size_t len, alloc;
};

static void
log_add(struct log *l, const char *s, size_t n)
{
	if (l->len + n + 1 > l->alloc) {
		l->alloc = (l->len + n + 1) * 2;
		l->s = realloc(l->s, l->alloc);
		assert_non_null(l->s);
	}
	memcpy(l->s + l->len, s, n);
	l->len += n;
	l->s[l->len] = '\0';
}

static void
log_str(struct log *l, const char *s)
{
	log_add(l, s, strlen(s));
}

/* log_bytes - printable octets as they are, others as \xNN */
static void
log_bytes(struct log *l, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char b[8];

		if (c >= 0x20 && c < 0x7f) {
			log_add(l, (const char *)&s[i], 1);
		} else {
			snprintf(b, sizeof(b), "\\x%02x", c);
			log_str(l, b);
		}
	}
}

static void
log_args(struct log *l, const struct imap_arg *a, size_t n)
{
	char b[64];

	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			log_str(l, " ");
		switch (a[i].type) {
		case IMAP_ARG_ATOM: log_bytes(l, a[i].str, a[i].len); break;
		case IMAP_ARG_QUOTED:
			log_str(l, "\"");
			log_bytes(l, a[i].str, a[i].len);
			log_str(l, "\"");
			break;
		case IMAP_ARG_LITERAL:
			snprintf(b, sizeof(b), "{%zu%s}", a[i].len, a[i].is_streamed ? "s" : "");
			log_str(l, b);
			if (!a[i].is_streamed) {
				assert_int_equal(a[i].str[a[i].len], '\0');
				log_bytes(l, a[i].str, a[i].len);
			}
			break;
		case IMAP_ARG_LIST:
			log_str(l, "(");
			log_args(l, a[i].list, a[i].count);
			log_str(l, ")");
			break;
		}
	}
}

static const char *const err_names[] = {
        "none", "tag", "syntax", "toolong", "refused", "fatal", "internal"};

/* run - feed in[0..len) in pieces: cut == 0 one byte at a time, else [0,cut) and the rest. */
static char *
run(const char *in, size_t len, size_t cut, enum lit_policy pol)
{
	struct imap_parser *p = imap_parser_new();
	struct log l = {0};
	char *buf = malloc(len + 1);
	size_t have = 0, off = 0, fed = 0;

	assert_non_null(p);
	log_str(&l, "");
	for (;;) {
		size_t piece = cut == 0 ? 1 : (fed < cut ? cut - fed : len - fed);
		size_t used;
		enum imap_parse_result r;

		if (fed < len) {
			memcpy(buf + have, in + fed, piece);
			have += piece;
			fed += piece;
		}
		for (;;) {
			r = imap_parser_feed(p, buf + off, have - off, &used);
			off += used;
			if (r == IMAP_PARSE_NEED_MORE)
				break;
			if (r == IMAP_PARSE_COMPLETE) {
				const struct imap_command *c = imap_parser_command(p);

				log_str(&l, "[");
				log_str(&l, c->tag);
				log_str(&l, " ");
				log_str(&l, c->name);
				if (c->count > 0)
					log_str(&l, " ");
				log_args(&l, c->args, c->count);
				log_str(&l, "]");
				imap_parser_reset(p);
			} else if (r == IMAP_PARSE_ERROR) {
				enum imap_parse_error k;
				const char *t = imap_parser_error(p, &k);
				const char *tag = imap_parser_tag(p);
				char b[256];

				snprintf(b, sizeof(b), "[ERR %s %s %s]", err_names[k],
				        tag ? tag : "*", t);
				log_str(&l, b);
				if (k == IMAP_PARSE_ERR_FATAL) {
					/* the session closes: nothing after this counts */
					off = have;
					imap_parser_reset(p);
					goto out;
				}
				imap_parser_reset(p);
			} else if (r == IMAP_PARSE_LITERAL) {
				const struct imap_literal_info *li = imap_parser_literal(p);
				char b[128];

				snprintf(b, sizeof(b), "<lit %llu %s d%zu i%zu>",
				        (unsigned long long)li->size,
				        li->is_sync ? "sync" : "nonsync", li->depth, li->index);
				log_str(&l, b);
				if (pol == POL_STREAM)
					assert_int_equal(imap_parser_literal_stream(p), 0);
				else if (pol == POL_REFUSE_BIG && li->size > 8)
					assert_int_equal(imap_parser_literal_refuse(p), 0);
				else if (imap_parser_literal_accept(p) < 0)
					assert_int_equal(imap_parser_literal_refuse(p), 0);
			} else if (r == IMAP_PARSE_LITERAL_DATA) {
				const unsigned char *d;
				size_t n;

				imap_parser_chunk(p, &d, &n);
				assert_true(n > 0);
				/* chunks are logged joined so the log does not depend on the cut */
				log_bytes(&l, (const char *)d, n);
			}
		}
		if (fed == len)
			break;
	}
out:
	if (imap_parser_tag(p) != NULL || off < have)
		log_str(&l, "[partial]");
	imap_parser_free(&p);
	assert_null(p);
	free(buf);
	return l.s;
}

/* check - the same log for every way of cutting the input. */
static void
check_pol(const char *in, size_t len, enum lit_policy pol, const char *expect)
{
	char *whole = run(in, len, len, pol);

	if (strcmp(whole, expect) != 0)
		fail_msg("input %s\n got      %s\n expected %s", in, whole, expect);
	for (size_t cut = 0; cut < len; cut++) {
		char *s = run(in, len, cut, pol);

		if (strcmp(s, expect) != 0)
			fail_msg("cut %zu of %s\n got      %s\n expected %s", cut, in, s, expect);
		free(s);
	}
	free(whole);
}

/* CHECK_POL - a string literal with its exact length (it may contain NULs). */
#define CHECK_POL(in, pol, expect) check_pol(in, sizeof(in) - 1, pol, expect)

static void
check(const char *in, const char *expect)
{
	check_pol(in, strlen(in), POL_ACCEPT, expect);
}

static void
test_simple(void **state)
{
	(void)state;
	check("a1 NOOP\r\n", "[a1 NOOP]");
	check("a1 noop\n", "[a1 noop]");
	check("A.1 CAPABILITY\r\nA2 LOGOUT\r\n", "[A.1 CAPABILITY][A2 LOGOUT]");
	check("] NOOP\r\n", "[] NOOP]"); /* ']' is an ASTRING-CHAR */
	check("t FETCH 1:* (FLAGS)\r\n", "[t FETCH 1:* (FLAGS)]");
	check("t NOOP  \r\n", "[t NOOP]");
	check("t LIST \"\" *\r\n", "[t LIST \"\" *]");
	check("t LIST \"\" %\r\n", "[t LIST \"\" %]");
	check("t STORE 1 +FLAGS (\\Seen \\Deleted)\r\n", "[t STORE 1 +FLAGS (\\Seen \\Deleted)]");
	check("t X () (())\r\n", "[t X () (())]");
	check("t X NIL \"NIL\"\r\n", "[t X NIL \"NIL\"]");
	check("t X \"\"\r\n", "[t X \"\"]");
}

static void
test_quoted(void **state)
{
	(void)state;
	check("a LOGIN \"me@x\" \"p\\\"w\\\\d%\"\r\n", "[a LOGIN \"me@x\" \"p\"w\\d%\"]");
	check("a LOGIN \"caf\xc3\xa9\" x\r\n", "[a LOGIN \"caf\\xc3\\xa9\" x]");
	check("a LOGIN \"a\\n\" x\r\n", "[ERR syntax a Invalid escape in quoted string.]");
	check("a LOGIN \"ab\r\nb NOOP\r\n",
	        "[ERR syntax a Invalid character in quoted string.][b NOOP]");
	CHECK_POL("a LOGIN \"a\0b\" c\r\n", POL_ACCEPT,
	        "[ERR syntax a Invalid character in quoted string.]");
	check("a LOGIN \"abc\r\n", "[ERR syntax a Invalid character in quoted string.]");
	check("a X \"a\"b\r\n", "[ERR syntax a Missing space after argument.]");
}

static void
test_sections(void **state)
{
	(void)state;
	check("a UID FETCH 1:500 (UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID DATE)])\r\n",
	        "[a UID FETCH 1:500 (UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID DATE) "
	        "])]");
	check("a FETCH 1 BODY[HEADER.FIELDS (A)]<0.10>\r\n",
	        "[a FETCH 1 BODY[HEADER.FIELDS (A) ]<0.10>]");
	check("a FETCH 1 (FLAGS BODY.PEEK[])\r\n", "[a FETCH 1 (FLAGS BODY.PEEK[])]");
	/* ']' may follow a list only */
	check("a X \"q\"]\r\n", "[ERR syntax a Missing space after argument.]");
}

static void
test_literals(void **state)
{
	(void)state;
	check("a LOGIN {5}\r\nuser\" {3+}\r\n\\\"x\r\n",
	        "<lit 5 sync d0 i0><lit 3 nonsync d0 i1>[a LOGIN {5}user\" {3}\\\"x]");
	check("a X ({0}\r\n)\r\n", "<lit 0 sync d1 i0>[a X ({0})]");
	/* binary: NUL, CR, LF inside */
	CHECK_POL("a X {6+}\r\na\0\r\n)(\r\n", POL_ACCEPT,
	        "<lit 6 nonsync d0 i0>[a X {6}a\\x00\\x0d\\x0a)(]");
	check("a X {3}\r\nabc def\r\n", "<lit 3 sync d0 i0>[a X {3}abc def]");
	check("a X {3}\r\nabcdef\r\n",
	        "<lit 3 sync d0 i0>[ERR syntax a Missing space after argument.]");
	check("a X {}\r\nb NOOP\r\n", "[ERR syntax a Invalid literal.][b NOOP]");
	check("a X {3\r\nb NOOP\r\n", "[ERR syntax a Invalid literal.][b NOOP]");
	check("a X {3}x\r\nb NOOP\r\n", "[ERR syntax a Invalid literal.][b NOOP]");
	check("a X {3++}\r\nb NOOP\r\n", "[ERR syntax a Invalid literal.][b NOOP]");
	check("a X {+}\r\nb NOOP\r\n", "[ERR syntax a Invalid literal.][b NOOP]");
	check("a X ab{3+}\r\nxyz\r\nb NOOP\r\n",
	        "[ERR syntax a Missing space after argument.][b NOOP]");
	check("a X {4294967295+}\r\n", "<lit 4294967295 nonsync d0 i0>[partial]");
	check("a X {4294967296}\r\nb NOOP\r\n", "[ERR fatal a Literal too large.]");
	check("a X {99999999999999999999999}\r\n", "[ERR fatal a Literal too large.]");
}

static void
test_literal_policies(void **state)
{
	(void)state;
	/* streamed: the octets go to the caller, the argument keeps the size */
	CHECK_POL("a APPEND INBOX (\\Seen) {10}\r\n0123456789\r\nb NOOP\r\n", POL_STREAM,
	        "<lit 10 sync d0 i2>0123456789[a APPEND INBOX (\\Seen) {10s}][b NOOP]");
	CHECK_POL("a APPEND INBOX {0+}\r\n\r\n", POL_STREAM,
	        "<lit 0 nonsync d0 i1>[a APPEND INBOX {0s}]");
	/* refused synchronising: the command ends at the announcement (IMAP-11) */
	CHECK_POL("a APPEND INBOX {100}\r\nb NOOP\r\n", POL_REFUSE_BIG,
	        "<lit 100 sync d0 i1>[ERR refused a Literal refused.][b NOOP]");
	/* refused non-synchronising: the octets and the rest of the line are drained */
	CHECK_POL("a APPEND INBOX {12+}\r\nb NOOP\r\nxyz) {2+}\r\n\r\n x\r\nc NOOP\r\n",
	        POL_REFUSE_BIG, "<lit 12 nonsync d0 i1>[ERR refused a Literal refused.][c NOOP]");
	CHECK_POL("a X {3+}\r\nabc {20+}\r\n01234567890123456789 {4}\r\nd NOOP\r\n", POL_REFUSE_BIG,
	        "<lit 3 nonsync d0 i0><lit 20 nonsync d0 i1>[ERR refused a Literal refused.][d "
	        "NOOP]");
}

static void
test_errors(void **state)
{
	(void)state;
	check("\r\na NOOP\r\n", "[ERR tag * Invalid tag.][a NOOP]");
	check(" a NOOP\r\n", "[ERR tag * Invalid tag.]");
	check("a+ NOOP\r\n", "[ERR tag * Invalid tag.]");
	check("a{3+}\r\nabc NOOP\r\nb NOOP\r\n", "[ERR tag * Invalid tag.][b NOOP]");
	check("(a NOOP\r\n", "[ERR tag * Invalid tag.]");
	check("a\r\n", "[ERR syntax a Missing command.]");
	check("a\n", "[ERR syntax a Missing command.]");
	check("a \r\n", "[ERR syntax a Missing command.]");
	check("a \"NOOP\"\r\n", "[ERR syntax a Invalid command name.]");
	check("a NO(OP\r\n", "[ERR syntax a Invalid command name.]");
	check("a X (b\r\n", "[ERR syntax a Missing ')'.]");
	check("a X b)\r\n", "[ERR syntax a Unexpected ')'.]");
	check("a X )\r\n", "[ERR syntax a Unexpected ')'.]");
	check("a X b\rc\r\n", "[ERR syntax a CR without LF.]");
	check("a X \x01\r\n", "[ERR syntax a Invalid characters in atom.]");
	check("a X \xc3\xa9\r\n", "[ERR syntax a Invalid characters in atom.]");
	check("a X (b)c\r\n", "[ERR syntax a Missing space after argument.]");
	check("a X \"b\"(c)\r\n", "[ERR syntax a Missing space after argument.]");
	/* an error does not swallow the next command */
	check("a X (((\r\nb NOOP\r\n", "[ERR syntax a Missing ')'.][b NOOP]");
}

static void
test_depth(void **state)
{
	char in[256], expect[256];
	size_t n = 0;

	(void)state;
	n += (size_t)snprintf(in, sizeof(in), "a X ");
	for (int i = 0; i < IMAP_LIST_DEPTH_MAX; i++)
		in[n++] = '(';
	for (int i = 0; i < IMAP_LIST_DEPTH_MAX; i++)
		in[n++] = ')';
	memcpy(in + n, "\r\n", 3);
	n = (size_t)snprintf(expect, sizeof(expect), "[a X %.*s]", 2 * IMAP_LIST_DEPTH_MAX, in + 4);
	check(in, expect);
	n = (size_t)snprintf(in, sizeof(in), "a X ");
	for (int i = 0; i <= IMAP_LIST_DEPTH_MAX; i++)
		in[n++] = '(';
	memcpy(in + n, "\r\nb NOOP\r\n", 11);
	check(in, "[ERR syntax a Too deeply nested lists.][b NOOP]");
}

/* feed_all - parse one input whole, return the result, keep the parser. */
static enum imap_parse_result
feed_all(struct imap_parser *p, const char *in, size_t len, size_t *used_r)
{
	return imap_parser_feed(p, in, len, used_r);
}

static void
test_line_limit(void **state)
{
	struct imap_parser *p = imap_parser_new();
	size_t len = IMAP_LINE_MAX + 64, used;
	char *in = malloc(len + 16);
	enum imap_parse_error k;

	(void)state;
	/* exactly at the limit: accepted */
	memcpy(in, "a X ", 4);
	memset(in + 4, 'x', IMAP_LINE_MAX - 4);
	memcpy(in + IMAP_LINE_MAX, "\r\n", 2);
	assert_int_equal(feed_all(p, in, IMAP_LINE_MAX + 2, &used), IMAP_PARSE_COMPLETE);
	assert_int_equal(used, IMAP_LINE_MAX + 2);
	assert_int_equal(imap_parser_command(p)->args[0].len, IMAP_LINE_MAX - 4);
	imap_parser_reset(p);
	/* one more: BAD with the tag, the line discarded, the next command fine */
	memset(in + 4, 'x', len - 4);
	memcpy(in + len, "\r\nb NOOP\r\n", 10);
	assert_int_equal(feed_all(p, in, len + 10, &used), IMAP_PARSE_ERROR);
	assert_int_equal(used, len + 2);
	assert_string_equal(imap_parser_error(p, &k), "Command line too long.");
	assert_int_equal(k, IMAP_PARSE_ERR_TOO_LONG);
	assert_string_equal(imap_parser_tag(p), "a");
	imap_parser_reset(p);
	assert_int_equal(feed_all(p, in + used, 10, &used), IMAP_PARSE_COMPLETE);
	imap_parser_reset(p);
	/* a tag longer than the line: no tag to answer with */
	memset(in, 't', len);
	memcpy(in + len, " NOOP\r\n", 7);
	assert_int_equal(feed_all(p, in, len + 7, &used), IMAP_PARSE_ERROR);
	imap_parser_error(p, &k);
	assert_int_equal(k, IMAP_PARSE_ERR_TOO_LONG);
	assert_null(imap_parser_tag(p));
	imap_parser_free(&p);
	free(in);
}

static void
test_args_limit(void **state)
{
	size_t n = IMAP_ARGS_MAX + 1, len = 0;
	char *in = malloc(n * 2 + 32);
	struct imap_parser *p = imap_parser_new();
	enum imap_parse_error k;
	size_t used;

	(void)state;
	len += (size_t)sprintf(in, "a X");
	for (size_t i = 0; i < n; i++) {
		in[len++] = ' ';
		in[len++] = 'x';
	}
	memcpy(in + len, "\r\n", 2);
	assert_int_equal(imap_parser_feed(p, in, len + 2, &used), IMAP_PARSE_ERROR);
	assert_string_equal(imap_parser_error(p, &k), "Too many arguments.");
	assert_int_equal(k, IMAP_PARSE_ERR_SYNTAX);
	imap_parser_reset(p);
	/* one fewer fits */
	memcpy(in + len - 2, "\r\n", 2);
	assert_int_equal(imap_parser_feed(p, in, len, &used), IMAP_PARSE_COMPLETE);
	assert_int_equal(imap_parser_command(p)->count, IMAP_ARGS_MAX);
	imap_parser_free(&p);
	free(in);
}

static void
test_literal_budget(void **state)
{
	struct imap_parser *p = imap_parser_new();
	char in[64];
	size_t used;
	int n;

	(void)state;
	n = snprintf(in, sizeof(in), "a X {%d}\r\n", IMAP_LITERALS_BUFFERED_MAX + 1);
	assert_int_equal(imap_parser_feed(p, in, (size_t)n, &used), IMAP_PARSE_LITERAL);
	assert_int_equal(imap_parser_literal_accept(p), -1);
	assert_int_equal(imap_parser_literal_refuse(p), 0);
	assert_int_equal(imap_parser_literal_refuse(p), -1);
	assert_int_equal(imap_parser_feed(p, "", 0, &used), IMAP_PARSE_ERROR);
	imap_parser_free(&p);
}

static void
test_top_arg_and_repeat(void **state)
{
	struct imap_parser *p = imap_parser_new();
	const char *in = "a APPEND \"Sent\" (\\Seen) {3}\r\n";
	const struct imap_arg *a;
	const char *s;
	size_t used, len;

	(void)state;
	assert_int_equal(imap_parser_feed(p, in, strlen(in), &used), IMAP_PARSE_LITERAL);
	assert_int_equal(used, strlen(in));
	/* undecided: the same answer, nothing consumed */
	assert_int_equal(imap_parser_feed(p, "abc", 3, &used), IMAP_PARSE_LITERAL);
	assert_int_equal(used, 0);
	assert_string_equal(imap_parser_name(p), "APPEND");
	a = imap_parser_top_arg(p, 0);
	assert_true(imap_arg_get_astring(a, &s, &len));
	assert_string_equal(s, "Sent");
	assert_non_null(imap_parser_top_arg(p, 1));
	assert_null(imap_parser_top_arg(p, 2));
	assert_int_equal(imap_parser_literal_accept(p), 0);
	assert_null(imap_parser_literal(p));
	assert_int_equal(imap_parser_feed(p, "abc\r\nb", 6, &used), IMAP_PARSE_COMPLETE);
	assert_int_equal(used, 5);
	assert_int_equal(imap_parser_feed(p, "b", 1, &used), IMAP_PARSE_COMPLETE);
	assert_int_equal(used, 0);
	assert_int_equal(imap_parser_command(p)->count, 3);
	imap_parser_reset(p);
	assert_null(imap_parser_command(p));
	imap_parser_free(&p);
	imap_parser_free(&p);
}

static void
test_arg_helpers(void **state)
{
	struct imap_parser *p = imap_parser_new();
	const char *in = "a X NIL nil \"NIL\" {3+}\r\nNIL atom (x)\r\n";
	const struct imap_command *c;
	const struct imap_arg *items;
	const char *s;
	size_t used, len, n;

	(void)state;
	assert_int_equal(imap_parser_feed(p, in, strlen(in), &used), IMAP_PARSE_LITERAL);
	assert_int_equal(imap_parser_literal_accept(p), 0);
	assert_int_equal(
	        imap_parser_feed(p, in + used, strlen(in) - used, &used), IMAP_PARSE_COMPLETE);
	c = imap_parser_command(p);
	assert_int_equal(c->count, 6);
	assert_true(imap_arg_is_nil(&c->args[0]));
	assert_true(imap_arg_is_nil(&c->args[1]));
	assert_false(imap_arg_is_nil(&c->args[2]));
	assert_false(imap_arg_is_nil(&c->args[3]));
	assert_true(imap_arg_get_nstring(&c->args[0], &s, &len));
	assert_null(s);
	assert_true(imap_arg_get_nstring(&c->args[2], &s, &len));
	assert_string_equal(s, "NIL");
	assert_false(imap_arg_get_string(&c->args[0], &s, &len));
	assert_true(imap_arg_get_astring(&c->args[0], &s, &len));
	assert_true(imap_arg_get_string(&c->args[3], &s, &len));
	assert_int_equal(len, 3);
	assert_true(imap_arg_get_atom(&c->args[4], &s));
	assert_false(imap_arg_get_atom(&c->args[3], &s));
	assert_true(imap_arg_get_list(&c->args[5], &items, &n));
	assert_int_equal(n, 1);
	assert_true(imap_arg_is_atom(&items[0], "X"));
	assert_false(imap_arg_get_list(&c->args[4], &items, &n));
	assert_string_equal(imap_parse_result_name(IMAP_PARSE_LITERAL), "literal");
	imap_parser_free(&p);
}

/* imap_parser_is_idle - true only while nothing of a command has been consumed. */
static void
test_is_idle(void **state)
{
	struct imap_parser *p = imap_parser_new();
	size_t used;

	(void)state;
	assert_true(imap_parser_is_idle(p));
	assert_int_equal(imap_parser_feed(p, "a", 1, &used), IMAP_PARSE_NEED_MORE);
	assert_false(imap_parser_is_idle(p)); /* part of a tag */
	assert_int_equal(imap_parser_feed(p, " NOOP\r\n", 7, &used), IMAP_PARSE_COMPLETE);
	assert_false(imap_parser_is_idle(p)); /* the command is still in use */
	imap_parser_reset(p);
	assert_true(imap_parser_is_idle(p));
	assert_int_equal(imap_parser_feed(p, "\r", 1, &used), IMAP_PARSE_NEED_MORE);
	assert_false(imap_parser_is_idle(p)); /* an octet of the next line */
	imap_parser_free(&p);
}

/* The exact DC-2 lines. */
static void
test_dc2(void **state)
{
	(void)state;
	check("1 LOGIN \"alice@example.org\" \"p%\\\"\\\\w\"\r\n",
	        "[1 LOGIN \"alice@example.org\" \"p%\"\\w\"]");
	check("2 ID (\"name\" \"Delta Chat\")\r\n", "[2 ID (\"name\" \"Delta Chat\")]");
	check("3 COMPRESS DEFLATE\r\n", "[3 COMPRESS DEFLATE]");
	check("4 GETQUOTAROOT \"INBOX\"\r\n", "[4 GETQUOTAROOT \"INBOX\"]");
	check("5 GETMETADATA \"\" (/shared/comment /shared/admin "
	      "/shared/vendor/deltachat/irohrelay "
	      "/shared/vendor/deltachat/turn /shared/vendor/deltachat/maxsmtprecipients "
	      "/shared/vendor/deltachat/appversions)\r\n",
	        "[5 GETMETADATA \"\" (/shared/comment /shared/admin "
	        "/shared/vendor/deltachat/irohrelay "
	        "/shared/vendor/deltachat/turn /shared/vendor/deltachat/maxsmtprecipients "
	        "/shared/vendor/deltachat/appversions)]");
	check("6 SETMETADATA \"INBOX\" (/private/devicetoken \"openpgp:AbC+/=\")\r\n",
	        "[6 SETMETADATA \"INBOX\" (/private/devicetoken \"openpgp:AbC+/=\")]");
	check("7 SELECT \"INBOX\"\r\n", "[7 SELECT \"INBOX\"]");
	check("8 UID STORE 1:3,7 +FLAGS (\\Seen)\r\n", "[8 UID STORE 1:3,7 +FLAGS (\\Seen)]");
	check("9 UID FETCH 1:500 (UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID DATE "
	      "X-MICROSOFT-ORIGINAL-MESSAGE-ID FROM CONTENT-TYPE SECURE-JOIN CHAT-VERSION "
	      "CHAT-IS-POST-MESSAGE AUTOCRYPT-SETUP-MESSAGE)])\r\n",
	        "[9 UID FETCH 1:500 (UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID DATE "
	        "X-MICROSOFT-ORIGINAL-MESSAGE-ID FROM CONTENT-TYPE SECURE-JOIN CHAT-VERSION "
	        "CHAT-IS-POST-MESSAGE AUTOCRYPT-SETUP-MESSAGE) ])]");
	check("10 UID FETCH 5 (FLAGS BODY.PEEK[])\r\n", "[10 UID FETCH 5 (FLAGS BODY.PEEK[])]");
	check("11 CLOSE\r\n12 STATUS \"INBOX\" (UIDNEXT)\r\n13 IDLE\r\n",
	        "[11 CLOSE][12 STATUS \"INBOX\" (UIDNEXT)][13 IDLE]");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_simple),
	        cmocka_unit_test(test_is_idle),
	        cmocka_unit_test(test_quoted),
	        cmocka_unit_test(test_sections),
	        cmocka_unit_test(test_literals),
	        cmocka_unit_test(test_literal_policies),
	        cmocka_unit_test(test_errors),
	        cmocka_unit_test(test_depth),
	        cmocka_unit_test(test_line_limit),
	        cmocka_unit_test(test_args_limit),
	        cmocka_unit_test(test_literal_budget),
	        cmocka_unit_test(test_top_arg_and_repeat),
	        cmocka_unit_test(test_arg_helpers),
	        cmocka_unit_test(test_dc2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
