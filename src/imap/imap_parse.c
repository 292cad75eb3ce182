/*
 * imap_parse.c - incremental IMAP command parser. PURE: libc and core/ only.
 *
 * A byte-at-a-time state machine (literal data is copied in bulk) that
 * builds a linked argument tree in the per-command arena and turns it into
 * arrays once the line is complete. It does not touch sockets, decide
 * literal limits by command (the session does, IMAP-11) or interpret
 * arguments. Errors are found as early as possible but reported only when
 * the whole command line is consumed, so the reply never overtakes octets
 * the client is still sending; the rest of a bad line is skipped while still
 * recognising `{n+}` announcements so literal octets are never taken for
 * commands.
 *
 * This file reads tags, names, atoms, quoted strings, lists and line ends;
 * imap_parse_literal.c reads literals and skips bad lines; their shared
 * state is in imap_parse_int.h.
 *
 * RFC 3501 section 9 (command, tag, atom, string, literal), RFC 7888
 * (LITERAL+), SPEC IMAP-8..IMAP-11.
 */
#include "imap/imap_parse.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core_limits.h"
#include "imap/imap_arena.h"
#include "imap/imap_parse_int.h"

static const char *const imap_parse_result_names[] = {
        "need-more",
        "complete",
        "literal",
        "literal-data",
        "error",
};

const char *
imap_parse_result_name(enum imap_parse_result r)
{
	return (size_t)r < sizeof(imap_parse_result_names) / sizeof(imap_parse_result_names[0])
	        ? imap_parse_result_names[r]
	        : "?";
}

/* imap_is_tag_char - RFC 3501 tag: ASTRING-CHAR except '+' (IMAP-9). */
static bool
imap_is_tag_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("(){%*\"\\+", c) == NULL;
}

/*
 * imap_is_atom_input - octets the parser takes into an atom. Wider than
 * RFC 3501 ATOM-CHAR on purpose: flags (`\Seen`), list patterns (`%`, `*`),
 * sequence sets and sections (`]`) are atoms here and the handlers check.
 */
static bool
imap_is_atom_input(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != '{' && c != '"';
}

static bool
imap_is_name_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	        c == '-' || c == '_' || c == '.';
}

struct imap_parser *
imap_parser_new(void)
{
	struct imap_parser *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->arena = imap_arena_new();
	if (p->arena == NULL) {
		free(p);
		return NULL;
	}
	imap_parser_reset(p);
	return p;
}

void
imap_parser_free(struct imap_parser **pp)
{
	if (pp == NULL || *pp == NULL)
		return;
	imap_arena_free(&(*pp)->arena);
	free((*pp)->tok);
	free(*pp);
	*pp = NULL;
}

void
imap_parser_reset(struct imap_parser *p)
{
	struct imap_arena *arena = p->arena;
	char *tok = p->tok;
	size_t tok_alloc = p->tok_alloc;

	imap_arena_reset(arena);
	/* an idle session keeps no big token buffer from an earlier long line */
	if (tok_alloc > IMAP_PARSE_TOK_KEEP) {
		free(tok);
		tok = NULL;
		tok_alloc = 0;
	}
	memset(p, 0, sizeof(*p));
	p->arena = arena;
	p->tok = tok;
	p->tok_alloc = tok_alloc;
	p->state = IMAP_PS_TAG;
	/* the root frame is allocated lazily: reset must not fail */
}

bool
imap_parser_is_idle(const struct imap_parser *p)
{
	return p->state == IMAP_PS_TAG && p->tok_len == 0 && p->line_len == 0;
}

struct imap_arena *
imap_parser_arena(struct imap_parser *p)
{
	return p->arena;
}

/* imap_parser_fail - remember the first error and skip the rest of the line. */
enum imap_step
imap_parser_fail(struct imap_parser *p, enum imap_parse_error kind, const char *text)
{
	if (p->err == IMAP_PARSE_ERR_NONE) {
		p->err = kind;
		p->err_text = text;
	}
	p->state = IMAP_PS_SKIP;
	p->skip_lit = 0;
	return IMAP_STEP_RETRY; /* the octet is looked at again by the skipper */
}

static enum imap_step
imap_parser_oom(struct imap_parser *p)
{
	return imap_parser_fail(p, IMAP_PARSE_ERR_INTERNAL, "Internal error.");
}

/* imap_parser_tok_add - append one octet to the token (bounded by the line limit). */
static int
imap_parser_tok_add(struct imap_parser *p, unsigned char c)
{
	if (p->tok_len + 1 >= p->tok_alloc) {
		size_t n = p->tok_alloc == 0 ? 256 : p->tok_alloc * 2;
		char *t = realloc(p->tok, n);

		if (t == NULL)
			return -1;
		p->tok = t;
		p->tok_alloc = n;
	}
	p->tok[p->tok_len++] = (char)c;
	return 0;
}

/* imap_parser_root - the top-level frame, allocated on first use. */
int
imap_parser_root(struct imap_parser *p)
{
	if (p->stack[0] != NULL)
		return 0;
	p->stack[0] = imap_arena_alloc(p->arena, sizeof(struct imap_parse_node));
	if (p->stack[0] == NULL)
		return -1;
	p->stack[0]->arg.type = IMAP_ARG_LIST;
	return 0;
}

/* imap_parser_add - append an argument to the open list; NULL on limit or ENOMEM. */
struct imap_parse_node *
imap_parser_add(struct imap_parser *p, enum imap_arg_type type, const char *str, size_t len)
{
	struct imap_parse_node *frame, *n;

	if (p->arg_count >= IMAP_ARGS_MAX || imap_parser_root(p) < 0)
		return NULL;
	n = imap_arena_alloc(p->arena, sizeof(*n));
	if (n == NULL)
		return NULL;
	n->arg.type = type;
	n->arg.str = str;
	n->arg.len = len;
	frame = p->stack[p->depth];
	if (frame->tail == NULL)
		frame->head = n;
	else
		frame->tail->next = n;
	frame->tail = n;
	frame->arg.count++;
	p->arg_count++;
	p->after_list = false;
	return n;
}

/* imap_parser_add_token - the token as an atom or quoted string argument. */
static enum imap_step
imap_parser_add_token(struct imap_parser *p, enum imap_arg_type type)
{
	char *s = imap_arena_strndup(p->arena, p->tok != NULL ? p->tok : "", p->tok_len);

	if (s == NULL)
		return imap_parser_oom(p);
	if (imap_parser_add(p, type, s, p->tok_len) == NULL)
		return p->arg_count >= IMAP_ARGS_MAX
		        ? imap_parser_fail(p, IMAP_PARSE_ERR_SYNTAX, "Too many arguments.")
		        : imap_parser_oom(p);
	p->state = IMAP_PS_SEP;
	return IMAP_STEP_NEXT;
}

/* imap_parser_finalize - turn the linked children of n into an array, recursively. */
static int
imap_parser_finalize(struct imap_parser *p, struct imap_parse_node *n, struct imap_arg *out)
{
	struct imap_arg *items = NULL;
	struct imap_parse_node *c;
	size_t i = 0;

	*out = n->arg;
	if (n->arg.type != IMAP_ARG_LIST || n->arg.count == 0)
		return 0;
	items = imap_arena_alloc(p->arena, n->arg.count * sizeof(*items));
	if (items == NULL)
		return -1;
	for (c = n->head; c != NULL && i < n->arg.count; c = c->next)
		if (imap_parser_finalize(p, c, &items[i++]) < 0)
			return -1;
	out->list = items;
	return 0;
}

/* imap_parser_end_line - the LF of the command line. */
static enum imap_step
imap_parser_end_line(struct imap_parser *p)
{
	struct imap_arg root;

	if (p->depth > 0) {
		p->err = IMAP_PARSE_ERR_SYNTAX;
		p->err_text = "Missing ')'.";
		p->state = IMAP_PS_FAILED;
		return IMAP_STEP_STOP;
	}
	if (imap_parser_root(p) < 0 || imap_parser_finalize(p, p->stack[0], &root) < 0) {
		p->err = IMAP_PARSE_ERR_INTERNAL;
		p->err_text = "Internal error.";
		p->state = IMAP_PS_FAILED;
		return IMAP_STEP_STOP;
	}
	p->cmd.tag = p->tag;
	p->cmd.name = p->name;
	p->cmd.args = root.list;
	p->cmd.count = root.count;
	p->state = IMAP_PS_DONE;
	return IMAP_STEP_STOP;
}

/* imap_parser_line_end - CR or LF where a command may end. */
static enum imap_step
imap_parser_line_end(struct imap_parser *p, unsigned char c)
{
	if (c == '\r') {
		p->state = IMAP_PS_EOL_LF;
		return IMAP_STEP_NEXT;
	}
	return imap_parser_end_line(p);
}

static enum imap_step
imap_parser_step_tag(struct imap_parser *p, unsigned char c)
{
	bool is_eol = c == '\r' || c == '\n';

	if (imap_is_tag_char(c))
		return imap_parser_tok_add(p, c) < 0 ? imap_parser_oom(p) : IMAP_STEP_NEXT;
	/* a tag ends with SP; `a1` CRLF still names a tag to answer with */
	if ((c != ' ' && !is_eol) || p->tok_len == 0)
		return imap_parser_fail(p, IMAP_PARSE_ERR_TAG, "Invalid tag.");
	p->tag = imap_arena_strndup(p->arena, p->tok, p->tok_len);
	if (p->tag == NULL)
		return imap_parser_fail(p, IMAP_PARSE_ERR_TAG, "Invalid tag.");
	p->tok_len = 0;
	if (is_eol)
		return imap_parser_fail(p, IMAP_PARSE_ERR_SYNTAX, "Missing command.");
	p->state = IMAP_PS_NAME;
	return IMAP_STEP_NEXT;
}

static enum imap_step
imap_parser_step_name(struct imap_parser *p, unsigned char c)
{
	if (imap_is_name_char(c))
		return imap_parser_tok_add(p, c) < 0 ? imap_parser_oom(p) : IMAP_STEP_NEXT;
	if (p->tok_len == 0)
		return imap_parser_fail(p, IMAP_PARSE_ERR_SYNTAX,
		        c == '\r' || c == '\n' ? "Missing command." : "Invalid command name.");
	if (c != ' ' && c != '\r' && c != '\n')
		return imap_parser_fail(p, IMAP_PARSE_ERR_SYNTAX, "Invalid command name.");
	p->name = imap_arena_strndup(p->arena, p->tok, p->tok_len);
	if (p->name == NULL)
		return imap_parser_oom(p);
	p->tok_len = 0;
	p->state = IMAP_PS_ARG;
	return c == ' ' ? IMAP_STEP_NEXT : imap_parser_line_end(p, c);
}

/* imap_parser_close_list - ')' */
static enum imap_step
imap_parser_close_list(struct imap_parser *p)
{
	if (p->depth == 0)
		return imap_parser_fail(p, IMAP_PARSE_ERR_SYNTAX, "Unexpected ')'.");
	p->depth--;
	p->state = IMAP_PS_SEP;
	p->after_list = true;
	return IMAP_STEP_NEXT;
}

static enum imap_step
imap_parser_open_list(struct imap_parser *p)
{
	struct imap_parse_node *n;

	if (p->depth >= IMAP_LIST_DEPTH_MAX)
		return imap_parser_fail(p, IMAP_PARSE_ERR_SYNTAX, "Too deeply nested lists.");
	n = imap_parser_add(p, IMAP_ARG_LIST, NULL, 0);
	if (n == NULL)
		return p->arg_count >= IMAP_ARGS_MAX
		        ? imap_parser_fail(p, IMAP_PARSE_ERR_SYNTAX, "Too many arguments.")
		        : imap_parser_oom(p);
	p->stack[++p->depth] = n;
	p->state = IMAP_PS_ARG;
	return IMAP_STEP_NEXT;
}

static enum imap_step
imap_parser_step_arg(struct imap_parser *p, unsigned char c)
{
	switch (c) {
	case ' ': return IMAP_STEP_NEXT; /* tolerated: several spaces, a trailing space */
	case '(': return imap_parser_open_list(p);
	case ')': return imap_parser_close_list(p);
	case '"':
		p->tok_len = 0;
		p->state = IMAP_PS_QUOTED;
		return IMAP_STEP_NEXT;
	case '{':
		p->lit_size = 0;
		p->lit_digits = 0;
		p->state = IMAP_PS_LIT_SIZE;
		return IMAP_STEP_NEXT;
	case '\r':
	case '\n': return imap_parser_line_end(p, c);
	default:
		if (!imap_is_atom_input(c))
			return imap_parser_fail(
			        p, IMAP_PARSE_ERR_SYNTAX, "Invalid characters in atom.");
		p->tok_len = 0;
		p->state = IMAP_PS_ATOM;
		return imap_parser_tok_add(p, c) < 0 ? imap_parser_oom(p) : IMAP_STEP_NEXT;
	}
}

static enum imap_step
imap_parser_step_sep(struct imap_parser *p, unsigned char c)
{
	switch (c) {
	case ' ': p->state = IMAP_PS_ARG; return IMAP_STEP_NEXT;
	case ')': return imap_parser_close_list(p);
	case '\r':
	case '\n': return imap_parser_line_end(p, c);
	case ']':
		/* BODY[HEADER.FIELDS (A B)]: the closing bracket follows the list */
		if (p->after_list) {
			p->tok_len = 0;
			p->state = IMAP_PS_ATOM;
			return imap_parser_tok_add(p, c) < 0 ? imap_parser_oom(p) : IMAP_STEP_NEXT;
		}
		break;
	default: break;
	}
	return imap_parser_fail(p, IMAP_PARSE_ERR_SYNTAX, "Missing space after argument.");
}

static enum imap_step
imap_parser_step_atom(struct imap_parser *p, unsigned char c)
{
	enum imap_step r;

	if (imap_is_atom_input(c))
		return imap_parser_tok_add(p, c) < 0 ? imap_parser_oom(p) : IMAP_STEP_NEXT;
	r = imap_parser_add_token(p, IMAP_ARG_ATOM);
	/* the terminator is judged by the separator state */
	return r == IMAP_STEP_NEXT ? IMAP_STEP_RETRY : r;
}

static enum imap_step
imap_parser_step_quoted(struct imap_parser *p, unsigned char c)
{
	if (p->state == IMAP_PS_QUOTED_ESC) {
		/* IMAP-10: only \" and \\ */
		if (c != '"' && c != '\\')
			return imap_parser_fail(
			        p, IMAP_PARSE_ERR_SYNTAX, "Invalid escape in quoted string.");
		p->state = IMAP_PS_QUOTED;
		return imap_parser_tok_add(p, c) < 0 ? imap_parser_oom(p) : IMAP_STEP_NEXT;
	}
	if (c == '"')
		return imap_parser_add_token(p, IMAP_ARG_QUOTED);
	if (c == '\\') {
		p->state = IMAP_PS_QUOTED_ESC;
		return IMAP_STEP_NEXT;
	}
	/* 8-bit octets are taken (UTF-8 passwords); CR, LF and NUL never (RFC 3501 TEXT-CHAR) */
	if (c == '\r' || c == '\n' || c == '\0')
		return imap_parser_fail(
		        p, IMAP_PARSE_ERR_SYNTAX, "Invalid character in quoted string.");
	return imap_parser_tok_add(p, c) < 0 ? imap_parser_oom(p) : IMAP_STEP_NEXT;
}

/* imap_parser_step - one octet outside literal data. */
static enum imap_step
imap_parser_step(struct imap_parser *p, unsigned char c)
{
	switch (p->state) {
	case IMAP_PS_TAG: return imap_parser_step_tag(p, c);
	case IMAP_PS_NAME: return imap_parser_step_name(p, c);
	case IMAP_PS_ARG: return imap_parser_step_arg(p, c);
	case IMAP_PS_SEP: return imap_parser_step_sep(p, c);
	case IMAP_PS_ATOM: return imap_parser_step_atom(p, c);
	case IMAP_PS_QUOTED:
	case IMAP_PS_QUOTED_ESC: return imap_parser_step_quoted(p, c);
	case IMAP_PS_LIT_SIZE:
	case IMAP_PS_LIT_CLOSE:
	case IMAP_PS_LIT_EOL:
	case IMAP_PS_LIT_LF: return imap_parser_step_literal(p, c);
	case IMAP_PS_EOL_LF:
		if (c == '\n')
			return imap_parser_end_line(p);
		return imap_parser_fail(p, IMAP_PARSE_ERR_SYNTAX, "CR without LF.");
	case IMAP_PS_SKIP: return imap_parser_step_skip(p, c);
	default: return IMAP_STEP_STOP;
	}
}

/* imap_parser_result - the answer for a state that does not consume. */
static bool
imap_parser_pending(const struct imap_parser *p, enum imap_parse_result *r)
{
	switch (p->state) {
	case IMAP_PS_DONE: *r = IMAP_PARSE_COMPLETE; return true;
	case IMAP_PS_FAILED:
	case IMAP_PS_FATAL: *r = IMAP_PARSE_ERROR; return true;
	case IMAP_PS_LIT_WAIT: *r = IMAP_PARSE_LITERAL; return true;
	default: return false;
	}
}

enum imap_parse_result
imap_parser_feed(struct imap_parser *p, const void *data, size_t len, size_t *consumed_r)
{
	const unsigned char *d = data;
	enum imap_parse_result r;
	bool is_retry = false;
	size_t i = 0;

	*consumed_r = 0;
	p->chunk_len = 0;
	while (!imap_parser_pending(p, &r)) {
		if (p->state == IMAP_PS_LIT_DATA) {
			bool is_stream = p->lit_mode == IMAP_LIT_STREAM;
			size_t n = imap_parser_literal_data(p, d + i, len - i);

			i += n;
			if (is_stream && n > 0) {
				*consumed_r = i;
				return IMAP_PARSE_LITERAL_DATA;
			}
			if (p->state == IMAP_PS_LIT_DATA)
				break; /* input exhausted */
			continue;
		}
		if (i == len)
			break;
		/* the line limit counts octets once, CRLF included, literal data excluded */
		if (!is_retry && p->state != IMAP_PS_SKIP && ++p->line_len > IMAP_LINE_MAX + 2) {
			imap_parser_fail(p, IMAP_PARSE_ERR_TOO_LONG, "Command line too long.");
			is_retry = true;
			continue;
		}
		is_retry = imap_parser_step(p, d[i]) == IMAP_STEP_RETRY;
		if (!is_retry)
			i++;
	}
	*consumed_r = i;
	return imap_parser_pending(p, &r) ? r : IMAP_PARSE_NEED_MORE;
}

const struct imap_command *
imap_parser_command(const struct imap_parser *p)
{
	return p->state == IMAP_PS_DONE ? &p->cmd : NULL;
}

const char *
imap_parser_error(const struct imap_parser *p, enum imap_parse_error *kind_r)
{
	if (kind_r != NULL)
		*kind_r = p->err;
	return p->err_text != NULL ? p->err_text : "";
}

const char *
imap_parser_tag(const struct imap_parser *p)
{
	return p->tag;
}

const char *
imap_parser_name(const struct imap_parser *p)
{
	return p->name;
}

const struct imap_arg *
imap_parser_top_arg(const struct imap_parser *p, size_t i)
{
	const struct imap_parse_node *n;

	if (p->stack[0] == NULL || p->state == IMAP_PS_DONE)
		return p->state == IMAP_PS_DONE && i < p->cmd.count ? &p->cmd.args[i] : NULL;
	for (n = p->stack[0]->head; n != NULL && i > 0; n = n->next)
		i--;
	return n != NULL ? &n->arg : NULL;
}
