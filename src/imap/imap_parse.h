/*
 * imap_parse.h - incremental IMAP command parser (RFC 3501 section 9,
 * RFC 7888 LITERAL+; SPEC IMAP-8..IMAP-11). PURE.
 *
 * The parser never reads sockets: the session feeds it whatever octets it
 * has and it answers "complete", "need more", "a literal is announced",
 * "literal data for you" or "error". It stops consuming at the end of a
 * command, so pipelined commands and raw lines (IDLE's DONE, AUTHENTICATE
 * responses) stay in the caller's buffer. Modelled on Dovecot's
 * lib-imap/imap-parser.c.
 *
 * What it produces is a generic argument tree: tag, command name, and the
 * arguments as atoms, quoted strings, literals and lists. `NIL` is left an
 * atom (IMAP-10: it means nil only where the grammar says so; the command
 * handlers use imap_arg_get_nstring()). Section brackets are not special:
 * `BODY[HEADER.FIELDS (A B)]<0.9>` arrives as the atom `BODY[HEADER.FIELDS`,
 * the list `(A B)` and the atom `]<0.9>` (the one place where an argument may
 * follow a `)` without a space), as in Dovecot.
 *
 * The session's read loop, in outline (IMAP-11 decides the literal policy):
 *
 *   while ((r = imap_parser_feed(p, buf, len, &used)) != IMAP_PARSE_NEED_MORE) {
 *           drop `used` octets from the input;
 *           switch (r) {
 *           case IMAP_PARSE_LITERAL:        // imap_parser_literal(p)->size / is_sync
 *                   APPEND message (imap_append_literal_is_message): stream it, or
 *                   refuse with NO [TOOBIG] / [OVERQUOTA]; any other literal: accept
 *                   up to IMAP_LITERAL_MAX, else refuse with BAD Literal too large.
 *                   After accept/stream of a synchronising literal send
 *                   `+ Ready for literal data.`
 *           case IMAP_PARSE_LITERAL_DATA:   // write imap_parser_chunk() to the file
 *           case IMAP_PARSE_COMPLETE:       // run imap_parser_command(p), then reset
 *           case IMAP_PARSE_ERROR:          // reply per imap_parser_error() kind, reset
 *           }                               // (ERR_FATAL: BYE and close instead)
 *   }
 *
 * Limits (core_limits.h): IMAP_LINE_MAX octets outside literals,
 * IMAP_LIST_DEPTH_MAX, IMAP_ARGS_MAX, IMAP_LITERALS_BUFFERED_MAX octets of
 * accepted literals, declared lengths up to IMAP_LITERAL_DECLARED_MAX.
 */
#ifndef CHATRELAY_IMAP_PARSE_H
#define CHATRELAY_IMAP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct imap_arena;

enum imap_arg_type {
	IMAP_ARG_ATOM,    /* includes NIL, numbers, flags, sequence sets, `BODY[...` */
	IMAP_ARG_QUOTED,  /* "..." with \" and \\ resolved */
	IMAP_ARG_LITERAL, /* {n} or {n+} */
	IMAP_ARG_LIST,    /* ( ... ) */
};

struct imap_arg {
	enum imap_arg_type type;
	bool is_streamed;            /* LITERAL whose octets went to the caller (str NULL) */
	const char *str;             /* borrowed (arena): NUL-terminated; literals may hold NULs */
	size_t len;                  /* octets of str; for a streamed literal its size */
	const struct imap_arg *list; /* borrowed (arena): LIST items */
	size_t count;                /* LIST: number of items */
};

struct imap_command {
	const char *tag;             /* borrowed (arena) */
	const char *name;            /* borrowed (arena): as sent; compare case-insensitively */
	const struct imap_arg *args; /* borrowed (arena) */
	size_t count;
};

enum imap_parse_result {
	IMAP_PARSE_NEED_MORE,    /* every octet consumed; feed more */
	IMAP_PARSE_COMPLETE,     /* a whole command, see imap_parser_command() */
	IMAP_PARSE_LITERAL,      /* a literal is announced; decide with accept/stream/refuse */
	IMAP_PARSE_LITERAL_DATA, /* a chunk of a streamed literal, see imap_parser_chunk() */
	IMAP_PARSE_ERROR,        /* the command is consumed and rejected, see imap_parser_error() */
};

enum imap_parse_error {
	IMAP_PARSE_ERR_NONE,
	IMAP_PARSE_ERR_TAG,      /* `* BAD Invalid tag.` (IMAP-8) */
	IMAP_PARSE_ERR_SYNTAX,   /* `<tag> BAD <text>` */
	IMAP_PARSE_ERR_TOO_LONG, /* line over IMAP_LINE_MAX: BAD with the tag if any (IMAP-11) */
	IMAP_PARSE_ERR_REFUSED,  /* the caller refused a literal and knows its reply (IMAP-11) */
	IMAP_PARSE_ERR_FATAL,    /* declared length too large: `* BYE Literal too large.`, close */
	IMAP_PARSE_ERR_INTERNAL, /* out of memory: `NO [SERVERBUG] Internal error.` (IMAP-8) */
};

struct imap_literal_info {
	uint64_t size;    /* announced octets, <= IMAP_LITERAL_DECLARED_MAX */
	bool is_sync;     /* {n}: the client waits for `+ ` before sending */
	size_t depth;     /* 0 for a top-level argument */
	size_t index;     /* its position in the enclosing list (top level: argument number) */
	const char *name; /* borrowed: the command name */
};

struct imap_parser;

/* imap_parser_new - a parser waiting for a tag, or NULL (ENOMEM). */
struct imap_parser *imap_parser_new(void);

/* imap_parser_free - accepts NULL, leaves *pp NULL. */
void imap_parser_free(struct imap_parser **pp);

/*
 * imap_parser_feed - parse from data[0..len). *consumed_r is set to the
 * octets used; the caller drops them and feeds the rest (and more) later.
 * NEED_MORE consumes everything. COMPLETE and ERROR consume through the end
 * of the command line; after them the parser answers the same without
 * consuming until imap_parser_reset(). LITERAL consumes through the CRLF of
 * the announcement and repeats until the caller decides. LITERAL_DATA hands
 * out a chunk of a streamed literal that lies inside data. Never blocks.
 */
enum imap_parse_result imap_parser_feed(
        struct imap_parser *p, const void *data, size_t len, size_t *consumed_r);

/* imap_parser_reset - forget the command and its arena; ready for the next tag. */
void imap_parser_reset(struct imap_parser *p);

/*
 * imap_parser_is_idle - nothing of a command has been consumed since the
 * last reset (or new): freeing the parser now loses nothing.
 */
bool imap_parser_is_idle(const struct imap_parser *p);

/* imap_parser_command - the command after COMPLETE (valid until reset), else NULL. */
const struct imap_command *imap_parser_command(const struct imap_parser *p);

/*
 * imap_parser_error - after ERROR: the reply text ("Missing ')'.", ...,
 * static) and its kind through *kind_r (may be NULL).
 */
const char *imap_parser_error(const struct imap_parser *p, enum imap_parse_error *kind_r);

/* imap_parser_tag - the tag once it has been read completely (also after ERROR), else NULL. */
const char *imap_parser_tag(const struct imap_parser *p);

/* imap_parser_name - the command name once read, else NULL. */
const char *imap_parser_name(const struct imap_parser *p);

/* imap_parser_literal - the pending announcement after LITERAL (valid until the decision). */
const struct imap_literal_info *imap_parser_literal(const struct imap_parser *p);

/*
 * imap_parser_top_arg - top-level argument i parsed so far (for a decision
 * on a LITERAL, e.g. APPEND's mailbox), or NULL. A list argument shows no
 * items until the command is complete.
 */
const struct imap_arg *imap_parser_top_arg(const struct imap_parser *p, size_t i);

/*
 * imap_parser_literal_accept - the parser keeps the literal's octets in the
 * arena. For a synchronising literal the caller sends `+ Ready for literal
 * data.` now. Returns -1 (nothing changes) if no literal is pending or the
 * command's accepted literals would exceed IMAP_LITERALS_BUFFERED_MAX; the
 * caller then refuses it.
 */
int imap_parser_literal_accept(struct imap_parser *p);

/*
 * imap_parser_literal_stream - the octets go to the caller as LITERAL_DATA
 * chunks (APPEND writes them to a file); the argument becomes a streamed
 * literal of the announced size. Returns -1 if no literal is pending.
 */
int imap_parser_literal_stream(struct imap_parser *p);

/*
 * imap_parser_literal_refuse - reject the literal (IMAP-11). A synchronising
 * one ends the command at once (the client sends nothing more); a
 * non-synchronising one is read and discarded with the rest of the line.
 * Either way the next feed answers ERROR with IMAP_PARSE_ERR_REFUSED when
 * the command's octets are consumed. Returns -1 if no literal is pending.
 */
int imap_parser_literal_refuse(struct imap_parser *p);

/* imap_parser_chunk - the chunk after LITERAL_DATA: points into the data just fed. */
void imap_parser_chunk(const struct imap_parser *p, const unsigned char **data_r, size_t *len_r);

/* imap_parser_arena - the per-command arena (reset with the parser), for the command handlers. */
struct imap_arena *imap_parser_arena(struct imap_parser *p);

/* Argument helpers. All return false when the argument has another type. */

/* imap_arg_is_atom - an atom equal to word, ASCII case-insensitively. */
bool imap_arg_is_atom(const struct imap_arg *a, const char *word);

/* imap_arg_is_nil - the atom NIL (IMAP-10: only meaningful where the grammar has nil). */
bool imap_arg_is_nil(const struct imap_arg *a);

/* imap_arg_get_atom - an atom's text. */
bool imap_arg_get_atom(const struct imap_arg *a, const char **s_r);

/* imap_arg_get_string - quoted or (buffered) literal: RFC 3501 `string`. */
bool imap_arg_get_string(const struct imap_arg *a, const char **s_r, size_t *len_r);

/* imap_arg_get_astring - atom, quoted or literal: RFC 3501 `astring`. */
bool imap_arg_get_astring(const struct imap_arg *a, const char **s_r, size_t *len_r);

/* imap_arg_get_nstring - string, or NIL giving *s_r = NULL: RFC 3501 `nstring`. */
bool imap_arg_get_nstring(const struct imap_arg *a, const char **s_r, size_t *len_r);

/* imap_arg_get_list - a list's items. */
bool imap_arg_get_list(const struct imap_arg *a, const struct imap_arg **items_r, size_t *count_r);

/*
 * imap_arg_get_number - an atom of decimal digits (no sign, no leading
 * zero unless it is "0") whose value is <= max (RFC 3501 `number`,
 * RFC 7162 `mod-sequence-value` with max = 2^63-1).
 */
bool imap_arg_get_number(const struct imap_arg *a, uint64_t max, uint64_t *v_r);

/* imap_parse_number - the same for s[0..len). */
bool imap_parse_number(const char *s, size_t len, uint64_t max, uint64_t *v_r);

/* imap_parse_result_name - for logs. */
const char *imap_parse_result_name(enum imap_parse_result r);

#endif
