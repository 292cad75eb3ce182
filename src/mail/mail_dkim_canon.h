/*
 * mail_dkim_canon.h - DKIM canonicalisation and header-section splitting.
 * PURE: libc and core/ only.
 *
 * RFC 6376 3.4: "simple" and "relaxed" canonicalisation of header fields and
 * of the body. The body canonicaliser is incremental: a message of any size
 * is fed in chunks of any size and the canonical octets come out through a
 * callback (for the hash), never collected in memory.
 *
 * Line ends: messages are stored with CRLF (SMTP-8). A bare LF is read as a
 * line end too (so a signer and a verifier that see the same text with LF
 * endings agree); a CR not followed by LF is an ordinary octet.
 *
 * Does not hash, does not read files or sockets.
 */
#ifndef CHATRELAY_MAIL_DKIM_CANON_H
#define CHATRELAY_MAIL_DKIM_CANON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core_limits.h"

enum mail_dkim_canon { MAIL_DKIM_CANON_SIMPLE, MAIL_DKIM_CANON_RELAXED };

/* Outcome of an incremental parser (STYLE.md). */
enum mail_dkim_parse { MAIL_DKIM_PARSE_COMPLETE, MAIL_DKIM_PARSE_MORE, MAIL_DKIM_PARSE_ERROR };

/* Receives canonical body octets; n > 0. */
typedef void mail_dkim_out_fn(void *ctx, const void *data, size_t n);

/* Incremental body canonicaliser; embed it, mail_dkim_body_init() it. */
struct mail_dkim_body {
	enum mail_dkim_canon canon;
	mail_dkim_out_fn *out;   /* borrowed */
	void *out_ctx;           /* borrowed */
	uint64_t empty_lines;    /* empty lines held back: trailing ones are dropped */
	uint64_t emitted;        /* canonical octets passed to out so far */
	bool has_cr;             /* a CR was read; the next octet decides what it was */
	bool has_wsp;            /* relaxed: white space read, not yet emitted */
	bool has_line;           /* the current line has content */
	unsigned char buf[1024]; /* output staged before calling out */
	size_t buf_len;
};

/* mail_dkim_body_init - start a canonical body; out receives the octets. */
void mail_dkim_body_init(
        struct mail_dkim_body *b, enum mail_dkim_canon canon, mail_dkim_out_fn *out, void *out_ctx);

/* mail_dkim_body_feed - canonicalise the next len octets of the body (any split). */
void mail_dkim_body_feed(struct mail_dkim_body *b, const void *data, size_t len);

/*
 * mail_dkim_body_finish - end of body: emit the final line end (RFC 6376
 * 3.4.3: an empty simple body is one CRLF; 3.4.4: an empty relaxed body is
 * empty). Returns the total canonical length (for l=).
 */
uint64_t mail_dkim_body_finish(struct mail_dkim_body *b);

/*
 * mail_dkim_canon_header - canonicalise one raw header field (name, colon,
 * value with folding, with or without its line end). The result ends with
 * CRLF; *out_r is malloc'ed (caller frees). Returns 0, or -1 (ENOMEM, or
 * EINVAL when there is no colon).
 */
int mail_dkim_canon_header(
        enum mail_dkim_canon canon, const char *field, size_t len, char **out_r, size_t *out_len_r);

/* One field of a header section: offsets into the caller's buffer. */
struct mail_dkim_field {
	size_t off;      /* first octet of the name */
	size_t len;      /* up to and including the line end */
	size_t name_len; /* octets before the colon, trailing WSP excluded */
};

struct mail_dkim_header {
	struct mail_dkim_field fields[DKIM_FIELDS_MAX];
	size_t count;
	size_t body_off; /* first octet of the body (after the empty line) */
};

/*
 * mail_dkim_header_split - find the fields of the header section at the
 * start of buf. Returns COMPLETE when the empty line (or, with at_eof, the
 * end of buf) ends the section; MORE when buf ends inside it (and at_eof is
 * false); ERROR when it is larger than DKIM_HEADER_MAX or has more than
 * DKIM_FIELDS_MAX fields. Lines that are not fields (no colon, or a
 * continuation with no field before it) are skipped. h is overwritten.
 */
enum mail_dkim_parse mail_dkim_header_split(
        const char *buf, size_t len, bool at_eof, struct mail_dkim_header *h);

/* mail_dkim_field_is - whether field f of buf has this name (case-insensitive). */
bool mail_dkim_field_is(
        const char *buf, const struct mail_dkim_field *f, const char *name, size_t name_len);

/*
 * Incremental reader of a whole message: holds the header section (up to
 * DKIM_HEADER_MAX) until its empty line, then passes body octets through.
 * Embed it; mail_dkim_msg_init() / mail_dkim_msg_reset().
 */
struct mail_dkim_msg {
	char *buf; /* owned: the header section (and the first body octets) */
	size_t len, cap;
	size_t scan_from;           /* where to look for the empty line next time */
	struct mail_dkim_header *h; /* owned; valid once is_done */
	bool is_done;               /* the header section is complete */
};

/* mail_dkim_msg_init - empty reader. Returns 0 or -1 (ENOMEM). */
int mail_dkim_msg_init(struct mail_dkim_msg *m);

/* mail_dkim_msg_reset - free what m owns; it may be initialised again. */
void mail_dkim_msg_reset(struct mail_dkim_msg *m);

/*
 * mail_dkim_msg_feed - the next octets of the message. MORE: still inside
 * the header section (no body octets yet); COMPLETE: the header section is
 * complete (m->h and m->buf describe it) and *body_r and *body_len_r are the
 * body octets of this call (borrowed, valid until the next call; may be
 * empty); ERROR: header section too large or ENOMEM.
 */
enum mail_dkim_parse mail_dkim_msg_feed(struct mail_dkim_msg *m, const void *data, size_t len,
        const char **body_r, size_t *body_len_r);

/*
 * mail_dkim_msg_finish - end of message: a header section without an empty
 * line ends here (empty body). COMPLETE or ERROR (too many fields).
 */
enum mail_dkim_parse mail_dkim_msg_finish(struct mail_dkim_msg *m);

#endif
