/*
 * imap_search_parse.h - SEARCH keys into a tree (RFC 3501 6.4.4 and 9
 * `search-key`, RFC 7162 3.1.5 MODSEQ; SPEC IMAP-45, IMAP-46). PURE.
 *
 * The tree is evaluated later by the SEARCH command against the mailbox;
 * this file only checks the syntax. Sequence sets stay unresolved (the
 * evaluator resolves them with imap_seqset_resolve() against its view);
 * dates are 00:00 UTC of the day. Nesting of NOT / OR / parentheses is
 * bounded by IMAP_SEARCH_DEPTH_MAX.
 */
#ifndef CHATRELAY_IMAP_SEARCH_PARSE_H
#define CHATRELAY_IMAP_SEARCH_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "imap/imap_parse.h"
#include "imap/imap_seqset.h"

enum imap_search_op {
	IMAP_SEARCH_AND, /* children: top level and parentheses */
	IMAP_SEARCH_OR,  /* two children */
	IMAP_SEARCH_NOT, /* one child */
	IMAP_SEARCH_ALL,
	IMAP_SEARCH_SEQSET, /* set: message sequence numbers */
	IMAP_SEARCH_UID,    /* set: UIDs */
	IMAP_SEARCH_ANSWERED,
	IMAP_SEARCH_DELETED,
	IMAP_SEARCH_DRAFT,
	IMAP_SEARCH_FLAGGED,
	IMAP_SEARCH_SEEN,
	IMAP_SEARCH_RECENT,
	IMAP_SEARCH_NEW, /* RECENT UNSEEN */
	IMAP_SEARCH_OLD, /* NOT RECENT */
	IMAP_SEARCH_UNANSWERED,
	IMAP_SEARCH_UNDELETED,
	IMAP_SEARCH_UNDRAFT,
	IMAP_SEARCH_UNFLAGGED,
	IMAP_SEARCH_UNSEEN,
	IMAP_SEARCH_KEYWORD,   /* str */
	IMAP_SEARCH_UNKEYWORD, /* str */
	IMAP_SEARCH_FROM,      /* str: header substring */
	IMAP_SEARCH_TO,
	IMAP_SEARCH_CC,
	IMAP_SEARCH_BCC,
	IMAP_SEARCH_SUBJECT,
	IMAP_SEARCH_HEADER, /* field, str */
	IMAP_SEARCH_BODY,   /* str */
	IMAP_SEARCH_TEXT,   /* str */
	IMAP_SEARCH_BEFORE, /* date: INTERNALDATE */
	IMAP_SEARCH_ON,
	IMAP_SEARCH_SINCE,
	IMAP_SEARCH_SENTBEFORE, /* date: Date header */
	IMAP_SEARCH_SENTON,
	IMAP_SEARCH_SENTSINCE,
	IMAP_SEARCH_LARGER, /* number: RFC822.SIZE */
	IMAP_SEARCH_SMALLER,
	IMAP_SEARCH_MODSEQ, /* number: modseq >= value */
};

struct imap_search_key {
	enum imap_search_op op;
	const char *str; /* borrowed (parser arena): string argument */
	size_t len;
	const char *field;                /* borrowed: HEADER field name */
	time_t date;                      /* 00:00:00 UTC of the day */
	uint64_t number;                  /* LARGER / SMALLER / MODSEQ */
	struct imap_seqset set;           /* parsed, unresolved; ranges borrowed from the
	                                     arena: never imap_seqset_reset() it */
	struct imap_search_key *children; /* borrowed (arena) */
	size_t child_count;
};

struct imap_search_program {
	struct imap_search_key root; /* IMAP_SEARCH_AND of the top-level keys */
	bool has_modseq;             /* a MODSEQ key: the result carries (MODSEQ m) (IMAP-45) */
	bool is_utf8;                /* CHARSET UTF-8 (US-ASCII otherwise) */
};

/*
 * imap_search_parse - args[0..count) after SEARCH / UID SEARCH into
 * *prog_r (arena). Returns 0, or -1 with a static reply text in *error_r;
 * *is_badcharset_r then tells whether the answer is `NO [BADCHARSET
 * (US-ASCII UTF-8)]` (an unsupported CHARSET) rather than `BAD`.
 */
int imap_search_parse(struct imap_arena *arena, const struct imap_arg *args, size_t count,
        struct imap_search_program **prog_r, bool *is_badcharset_r, const char **error_r);

/* imap_search_op_name - `OR`, `SEEN`, ... for logs and tests. */
const char *imap_search_op_name(enum imap_search_op op);

#endif
