/*
 * imap_parse_literal.c - the literal half of the IMAP command parser (see
 * imap_parse.c): `{n}` / `{n+}` announcements (RFC 3501 4.3, RFC 7888),
 * the caller's choice to store, stream or refuse a literal (IMAP-11),
 * literal data in bulk, and skipping the rest of a bad line without taking
 * the octets of an announced non-synchronising literal for commands. PURE.
 */
#include <stdint.h>
#include <string.h>

#include "core/core_limits.h"
#include "imap/imap_arena.h"
#include "imap/imap_parse_int.h"

/* imap_parser_too_large - a declared literal over the limit ends the connection (IMAP-11). */
static enum imap_step
imap_parser_too_large(struct imap_parser *p)
{
	p->err = IMAP_PARSE_ERR_FATAL;
	p->err_text = "Literal too large.";
	p->state = IMAP_PS_FATAL;
	return IMAP_STEP_STOP;
}

/* imap_parser_announce - `{n}` CRLF complete: stop and let the caller decide. */
static enum imap_step
imap_parser_announce(struct imap_parser *p)
{
	if (p->arg_count >= IMAP_ARGS_MAX || imap_parser_root(p) < 0)
		return imap_parser_fail(p, IMAP_PARSE_ERR_SYNTAX, "Too many arguments.");
	p->lit_info.size = p->lit_size;
	p->lit_info.is_sync = p->lit_sync;
	p->lit_info.depth = p->depth;
	p->lit_info.index = p->stack[p->depth]->arg.count;
	p->lit_info.name = p->name;
	p->state = IMAP_PS_LIT_WAIT;
	return IMAP_STEP_STOP;
}

enum imap_step
imap_parser_step_literal(struct imap_parser *p, unsigned char c)
{
	switch (p->state) {
	case IMAP_PS_LIT_SIZE:
		if (c >= '0' && c <= '9') {
			p->lit_size = p->lit_size * 10 + (uint64_t)(c - '0');
			p->lit_digits++;
			if (p->lit_size > IMAP_LITERAL_DECLARED_MAX)
				return imap_parser_too_large(p);
			return IMAP_STEP_NEXT;
		}
		if (p->lit_digits > 0 && (c == '+' || c == '}')) {
			p->lit_sync = c == '}';
			p->state = c == '}' ? IMAP_PS_LIT_EOL : IMAP_PS_LIT_CLOSE;
			return IMAP_STEP_NEXT;
		}
		break;
	case IMAP_PS_LIT_CLOSE:
		if (c == '}') {
			p->state = IMAP_PS_LIT_EOL;
			return IMAP_STEP_NEXT;
		}
		break;
	case IMAP_PS_LIT_EOL:
		if (c == '\r') {
			p->state = IMAP_PS_LIT_LF;
			return IMAP_STEP_NEXT;
		}
		if (c == '\n')
			return imap_parser_announce(p);
		break;
	default: /* IMAP_PS_LIT_LF */
		if (c == '\n')
			return imap_parser_announce(p);
		break;
	}
	return imap_parser_fail(p, IMAP_PARSE_ERR_SYNTAX, "Invalid literal.");
}

/* imap_parser_skip_line_end - LF while skipping: maybe a literal to drain first. */
static enum imap_step
imap_parser_skip_line_end(struct imap_parser *p)
{
	if (p->skip_lit >= 3 && !p->skip_sync) {
		/* a {n+} literal at the end of the segment: its octets are not commands */
		p->lit_mode = IMAP_LIT_DRAIN;
		p->lit_left = p->skip_size;
		p->skip_lit = 0;
		p->state = IMAP_PS_LIT_DATA;
		return IMAP_STEP_NEXT;
	}
	/* a {n} announcement ends the line: the client waits for a `+` that never comes */
	p->state = IMAP_PS_FAILED;
	return IMAP_STEP_STOP;
}

/* imap_parser_step_skip - discard up to LF, tracking `{n}`/`{n+}` announcements. */
enum imap_step
imap_parser_step_skip(struct imap_parser *p, unsigned char c)
{
	if (c == '\n')
		return imap_parser_skip_line_end(p);
	if (c == '{') {
		p->skip_lit = 1;
		p->skip_size = 0;
		p->lit_digits = 0;
	} else if (p->skip_lit == 1 && c >= '0' && c <= '9') {
		p->skip_size = p->skip_size * 10 + (uint64_t)(c - '0');
		p->lit_digits++;
		if (p->skip_size > IMAP_LITERAL_DECLARED_MAX)
			return imap_parser_too_large(p);
	} else if (p->skip_lit == 1 && c == '+' && p->lit_digits > 0) {
		p->skip_lit = 2;
	} else if ((p->skip_lit == 1 || p->skip_lit == 2) && c == '}' && p->lit_digits > 0) {
		p->skip_sync = p->skip_lit == 1;
		p->skip_lit = 3;
	} else if (p->skip_lit == 3 && c == '\r') {
		p->skip_lit = 4;
	} else {
		p->skip_lit = 0;
	}
	return IMAP_STEP_NEXT;
}

/* imap_parser_literal_done - every octet of the literal is read. */
static void
imap_parser_literal_done(struct imap_parser *p)
{
	if (p->lit_mode == IMAP_LIT_DRAIN) {
		p->state = IMAP_PS_SKIP;
		p->skip_lit = 0;
		return;
	}
	p->state = IMAP_PS_SEP;
}

/* imap_parser_literal_data - take up to len octets of literal data. */
size_t
imap_parser_literal_data(struct imap_parser *p, const unsigned char *d, size_t len)
{
	size_t n = len;

	if ((uint64_t)n > p->lit_left)
		n = (size_t)p->lit_left;
	if (p->lit_mode == IMAP_LIT_STORE && n > 0)
		memcpy(p->lit_buf + (p->lit_size - p->lit_left), d, n);
	p->lit_left -= n;
	if (p->lit_mode == IMAP_LIT_STREAM) {
		p->chunk = d;
		p->chunk_len = n;
	}
	if (p->lit_left == 0)
		imap_parser_literal_done(p);
	return n;
}

const struct imap_literal_info *
imap_parser_literal(const struct imap_parser *p)
{
	return p->state == IMAP_PS_LIT_WAIT ? &p->lit_info : NULL;
}

/* imap_parser_literal_begin - leave LIT_WAIT for reading n octets in mode. */
static void
imap_parser_literal_begin(struct imap_parser *p, enum imap_lit_mode mode)
{
	p->lit_mode = mode;
	p->lit_left = p->lit_size;
	p->state = IMAP_PS_LIT_DATA;
	if (p->lit_left == 0)
		imap_parser_literal_done(p);
}

int
imap_parser_literal_accept(struct imap_parser *p)
{
	struct imap_parse_node *n;
	char *buf;

	if (p->state != IMAP_PS_LIT_WAIT ||
	        p->lit_size > IMAP_LITERALS_BUFFERED_MAX - p->lit_buffered)
		return -1;
	buf = imap_arena_alloc(p->arena, (size_t)p->lit_size + 1); /* zeroed: NUL-terminated */
	if (buf == NULL)
		return -1;
	n = imap_parser_add(p, IMAP_ARG_LITERAL, buf, (size_t)p->lit_size);
	if (n == NULL)
		return -1;
	p->lit_buffered += (size_t)p->lit_size;
	p->lit_buf = buf;
	imap_parser_literal_begin(p, IMAP_LIT_STORE);
	return 0;
}

int
imap_parser_literal_stream(struct imap_parser *p)
{
	struct imap_parse_node *n;

	if (p->state != IMAP_PS_LIT_WAIT || p->lit_size > SIZE_MAX)
		return -1;
	n = imap_parser_add(p, IMAP_ARG_LITERAL, NULL, (size_t)p->lit_size);
	if (n == NULL)
		return -1;
	n->arg.is_streamed = true;
	imap_parser_literal_begin(p, IMAP_LIT_STREAM);
	return 0;
}

int
imap_parser_literal_refuse(struct imap_parser *p)
{
	if (p->state != IMAP_PS_LIT_WAIT)
		return -1;
	p->err = IMAP_PARSE_ERR_REFUSED;
	p->err_text = "Literal refused.";
	if (p->lit_sync) {
		/* nothing follows: the client waits for a continuation it will not get */
		p->state = IMAP_PS_FAILED;
		return 0;
	}
	imap_parser_literal_begin(p, IMAP_LIT_DRAIN);
	return 0;
}

void
imap_parser_chunk(const struct imap_parser *p, const unsigned char **data_r, size_t *len_r)
{
	*data_r = p->chunk;
	*len_r = p->chunk_len;
}
