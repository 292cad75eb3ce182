/*
 * imap_fetch_parse.h - FETCH attribute parsing (RFC 3501 6.4.5 and 9
 * `fetch-att`, `section`, RFC 7162 3.1.4 CHANGEDSINCE; SPEC IMAP-35,
 * IMAP-36, IMAP-38, IMAP-39, IMAP-48). PURE.
 *
 * Turns the arguments after the sequence set into a request: the items in
 * the order asked (macros expanded), each BODY[...] with its section, the
 * partial range and the name the response must carry (IMAP-38), plus the
 * CHANGEDSINCE modifier. Knows nothing about messages.
 */
#ifndef CHATRELAY_IMAP_FETCH_PARSE_H
#define CHATRELAY_IMAP_FETCH_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core_limits.h"
#include "imap/imap_parse.h"

enum imap_fetch_att {
	IMAP_FETCH_FLAGS,
	IMAP_FETCH_INTERNALDATE,
	IMAP_FETCH_RFC822,        /* = BODY[] (sets \Seen) */
	IMAP_FETCH_RFC822_HEADER, /* = BODY.PEEK[HEADER] */
	IMAP_FETCH_RFC822_SIZE,
	IMAP_FETCH_RFC822_TEXT, /* = BODY[TEXT] (sets \Seen) */
	IMAP_FETCH_ENVELOPE,
	IMAP_FETCH_BODY, /* BODYSTRUCTURE without extension data */
	IMAP_FETCH_BODYSTRUCTURE,
	IMAP_FETCH_UID,
	IMAP_FETCH_MODSEQ,
	IMAP_FETCH_BODY_SECTION, /* BODY[...] / BODY.PEEK[...] */
};

enum imap_section_text {
	IMAP_SECTION_NONE, /* BODY[] or BODY[1.2]: the whole message or part */
	IMAP_SECTION_HEADER,
	IMAP_SECTION_HEADER_FIELDS,
	IMAP_SECTION_HEADER_FIELDS_NOT,
	IMAP_SECTION_TEXT,
	IMAP_SECTION_MIME, /* only after a part number */
};

struct imap_fetch_section {
	uint32_t parts[IMAP_SECTION_PARTS_MAX]; /* 1.2.3 -> {1, 2, 3} */
	size_t part_count;
	enum imap_section_text text;
	const char *const *fields; /* borrowed (arena): HEADER.FIELDS[.NOT] names as sent */
	size_t field_count;
};

struct imap_fetch_item {
	enum imap_fetch_att att;
	bool is_peek; /* BODY.PEEK[...] (and RFC822.HEADER): never sets \Seen */
	struct imap_fetch_section section;
	bool has_partial;
	uint32_t partial_offset; /* <o.n> */
	uint32_t partial_count;
	const char *name; /* borrowed (arena): the response item name, e.g.
	                     `BODY[HEADER.FIELDS (MESSAGE-ID DATE)]<0>` (IMAP-38) */
};

struct imap_fetch_request {
	struct imap_fetch_item *items; /* borrowed (arena), in request order */
	size_t count;
	bool has_changedsince;
	uint64_t changedsince;
	bool has_uid;    /* UID requested (UID FETCH puts it first anyway) */
	bool has_modseq; /* MODSEQ requested or implied by CHANGEDSINCE (IMAP-35) */
	bool sets_seen;  /* some item sets \Seen in a read-write mailbox (IMAP-39) */
	bool needs_body; /* some item needs the message content, not only the index */
};

/*
 * imap_fetch_parse - parse args[0..count) (everything after the sequence
 * set) into *req_r, allocated from arena. Returns 0, or -1 with a static
 * reply text for `BAD` in *error_r (or ENOMEM as "Internal error.").
 */
int imap_fetch_parse(struct imap_arena *arena, const struct imap_arg *args, size_t count,
        struct imap_fetch_request **req_r, const char **error_r);

/* imap_fetch_att_name - `FLAGS`, `RFC822.SIZE`, ... for logs and rendering. */
const char *imap_fetch_att_name(enum imap_fetch_att att);

#endif
