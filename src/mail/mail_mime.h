/*
 * mail_mime.h - MIME structure of a message in memory. PURE.
 *
 * Builds a tree of parts with the byte offsets of each header and body,
 * the Content-* fields decoded into lowercase type/subtype, parameters
 * (RFC 2045 5.1, RFC 2231 continuations and charset'lang' values), and the
 * embedded message of message/rfc822 parts. The IMAP engine renders
 * BODYSTRUCTURE from it; the encryption gate (GATE-3) reads it.
 *
 * Robust against hostile input: nesting is bounded by MAIL_MIME_DEPTH_MAX
 * and the number of parts by MAIL_MIME_PARTS_MAX; malformations are
 * recorded in flags, never fatal. RFC 2045, 2046 (5.1 multipart), 2183
 * (Content-Disposition), 2231, 3282 (Content-Language), 2557
 * (Content-Location).
 */
#ifndef CHATRELAY_MAIL_MIME_H
#define CHATRELAY_MAIL_MIME_H

#include <stdbool.h>
#include <stddef.h>

struct mail_param {
	char *name;  /* owned, lowercase, without RFC 2231 '*' suffixes */
	char *value; /* owned, quotes removed, RFC 2231 pieces joined and %-decoded */
};

struct mail_params {
	struct mail_param *v; /* owned array */
	size_t count;
};

/* Malformations found while parsing a part (GATE-3 treats any as fatal). */
enum mail_part_flag {
	MAIL_PART_BAD_CONTENT_TYPE = 1 << 0,  /* syntax error; type defaulted */
	MAIL_PART_DUP_CONTENT_FIELD = 1 << 1, /* two Content-Type or -Transfer-Encoding */
	MAIL_PART_NO_BOUNDARY = 1 << 2,       /* multipart without usable boundary */
	MAIL_PART_NO_CLOSE = 1 << 3,          /* multipart without closing delimiter */
	MAIL_PART_NO_PARTS = 1 << 4,          /* multipart without any delimiter */
	MAIL_PART_TRUNCATED = 1 << 5,         /* depth or part limit reached */
};

struct mail_part {
	size_t off;      /* start of the part (its header) in the message */
	size_t hdr_len;  /* header fields incl. their line ends, without the empty line */
	size_t body_off; /* start of the body in the message */
	size_t body_len;
	size_t body_lines;         /* lines of the body (a final unterminated line counts) */
	char *type;                /* owned, lowercase; "text" when absent */
	char *subtype;             /* owned, lowercase; "plain" when absent */
	struct mail_params params; /* Content-Type parameters */
	bool has_content_type;
	char *encoding;    /* owned, lowercase Content-Transfer-Encoding, NULL if absent */
	char *disposition; /* owned, lowercase disposition type, NULL if absent */
	struct mail_params disp_params;
	char *language;       /* owned, unfolded raw value or NULL */
	char *location;       /* owned, unfolded with folding white space removed, or NULL */
	char *id;             /* owned Content-ID, unfolded, or NULL */
	char *description;    /* owned, unfolded, or NULL */
	char *md5;            /* owned Content-MD5, unfolded, or NULL */
	const char *boundary; /* borrowed from params, NULL if not multipart */
	unsigned flags;       /* enum mail_part_flag */
	unsigned depth;       /* 0 for the message itself */
	size_t nchildren;
	struct mail_part *children; /* owned: first child of a multipart */
	struct mail_part *next;     /* owned: next sibling */
	struct mail_part *message;  /* owned: the embedded message of message/rfc822 */
};

/*
 * mail_mime_parse - parse msg[0..len) into a part tree (*root_r, caller
 * frees with mail_part_free()). The buffer must outlive nothing: the tree
 * holds offsets, not pointers into msg. Returns 0, or -1 with *error_r
 * only when out of memory; malformed input still yields a tree.
 */
int mail_mime_parse(const char *msg, size_t len, struct mail_part **root_r, const char **error_r);

/* mail_part_free - free a part tree (accepts NULL), leaves NULL behind. */
void mail_part_free(struct mail_part **partp);

/* mail_part_is - true when the part's type/subtype match (lowercase; subtype NULL: any). */
bool mail_part_is(const struct mail_part *p, const char *type, const char *subtype);

/* mail_params_get - value of parameter name (lowercase), or NULL. */
const char *mail_params_get(const struct mail_params *ps, const char *name);

/* mail_part_flags_all - the flags of p and every part below it, or-ed. */
unsigned mail_part_flags_all(const struct mail_part *p);

/*
 * mail_content_type_parse - parse a Content-Type value (unfolded, NUL-
 * terminated) into lowercase *type_r / *subtype_r (owned by the caller)
 * and *params. Returns 0, 1 when the syntax is bad (defaults filled in:
 * text/plain), -1 when out of memory.
 */
int mail_content_type_parse(
        const char *value, char **type_r, char **subtype_r, struct mail_params *params);

/*
 * mail_disposition_parse - parse a Content-Disposition value into a
 * lowercase *type_r and parameters. Returns 0, 1 on bad syntax (the type
 * as far as it was read), -1 when out of memory.
 */
int mail_disposition_parse(const char *value, char **type_r, struct mail_params *params);

/* mail_params_free - free the parameters and leave an empty set. */
void mail_params_free(struct mail_params *ps);

#endif
