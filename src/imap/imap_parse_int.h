/*
 * imap_parse_int.h - the parser's state, shared by imap_parse.c (tag, name,
 * arguments, line ends) and imap_parse_literal.c (literal announcements,
 * literal data, skipping a bad line). PURE. Not for other modules.
 */
#ifndef CHATRELAY_IMAP_PARSE_INT_H
#define CHATRELAY_IMAP_PARSE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap/imap_parse.h"

enum imap_parse_state {
	IMAP_PS_TAG,
	IMAP_PS_NAME,
	IMAP_PS_ARG, /* expecting an argument, ')' or the line end */
	IMAP_PS_SEP, /* after an argument: SP, ')' or the line end */
	IMAP_PS_ATOM,
	IMAP_PS_QUOTED,
	IMAP_PS_QUOTED_ESC,
	IMAP_PS_LIT_SIZE,  /* after '{' */
	IMAP_PS_LIT_CLOSE, /* after '+', expecting '}' */
	IMAP_PS_LIT_EOL,   /* after '}' */
	IMAP_PS_LIT_LF,    /* after '}' CR */
	IMAP_PS_LIT_WAIT,  /* announced; the caller decides */
	IMAP_PS_LIT_DATA,
	IMAP_PS_EOL_LF, /* line-end CR seen */
	IMAP_PS_SKIP,   /* rejected: discarding the rest of the line */
	IMAP_PS_DONE,
	IMAP_PS_FAILED,
	IMAP_PS_FATAL,
};

/* token buffer kept across commands; longer ones are freed at reset */
#define IMAP_PARSE_TOK_KEEP 256

enum imap_lit_mode { IMAP_LIT_STORE, IMAP_LIT_STREAM, IMAP_LIT_DRAIN };

/* what imap_parser_step did with the octet */
enum imap_step { IMAP_STEP_NEXT, IMAP_STEP_RETRY, IMAP_STEP_STOP };

struct imap_parse_node {
	struct imap_arg arg;
	struct imap_parse_node *next; /* borrowed (arena) */
	struct imap_parse_node *head; /* borrowed (arena): LIST children */
	struct imap_parse_node *tail; /* borrowed (arena) */
};

struct imap_parser {
	enum imap_parse_state state;
	struct imap_arena *arena; /* owned */
	char *tok;                /* owned: the atom or quoted string being read */
	size_t tok_len, tok_alloc;
	size_t line_len; /* octets outside literal data */
	size_t arg_count;
	size_t lit_buffered; /* accepted literal octets of this command */
	struct imap_parse_node *stack[IMAP_LIST_DEPTH_MAX + 1]; /* borrowed (arena); [0] = root */
	size_t depth;
	bool after_list; /* the last argument was a ')' */
	struct imap_command cmd;
	const char *tag;  /* borrowed (arena) */
	const char *name; /* borrowed (arena) */
	enum imap_parse_error err;
	const char *err_text; /* static */
	/* literal being announced or read */
	uint64_t lit_size;
	size_t lit_digits;
	bool lit_sync;
	enum imap_lit_mode lit_mode;
	uint64_t lit_left;
	char *lit_buf; /* borrowed (arena): IMAP_LIT_STORE target */
	struct imap_literal_info lit_info;
	const unsigned char *chunk; /* borrowed: the caller's data */
	size_t chunk_len;
	/* literal announcement recognised while skipping: 0 none, 1 digits, 2 '+', 3 '}', 4 CR */
	int skip_lit;
	uint64_t skip_size;
	bool skip_sync;
};

/* imap_parse.c */
enum imap_step imap_parser_fail(
        struct imap_parser *p, enum imap_parse_error kind, const char *text);
int imap_parser_root(struct imap_parser *p);
struct imap_parse_node *imap_parser_add(
        struct imap_parser *p, enum imap_arg_type type, const char *str, size_t len);

/* imap_parse_literal.c */
enum imap_step imap_parser_step_literal(struct imap_parser *p, unsigned char c);
enum imap_step imap_parser_step_skip(struct imap_parser *p, unsigned char c);
size_t imap_parser_literal_data(struct imap_parser *p, const unsigned char *d, size_t len);

#endif
