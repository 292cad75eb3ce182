/*
 * imap_args_parse.h - argument checking for the smaller commands whose
 * grammar is more than one astring: APPEND (RFC 3501 6.3.11, SPEC IMAP-44),
 * STATUS (6.3.10, IMAP-29), GETMETADATA / SETMETADATA (RFC 5464, META-1,
 * META-5, META-6) and ID (RFC 2971, IMAP-20). PURE.
 *
 * Results borrow strings from the parser's arena; arrays are allocated
 * there too. Every function returns 0, or -1 with a static reply text for
 * `BAD` in *error_r.
 */
#ifndef CHATRELAY_IMAP_ARGS_PARSE_H
#define CHATRELAY_IMAP_ARGS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "imap/imap_parse.h"
#include "imap/imap_store_parse.h"

/* IMAP-20 bounds of ID */
#define IMAP_ID_PAIRS_MAX 30
#define IMAP_ID_FIELD_MAX 30
#define IMAP_ID_VALUE_MAX 1024

/* RFC 5464 entries per GETMETADATA / SETMETADATA and the length of one entry name. */
#define IMAP_METADATA_ENTRIES_MAX 64
#define IMAP_METADATA_ENTRY_MAX 1024

struct imap_append_args {
	const char *mailbox; /* borrowed: wire form, not yet validated (IMAP-14) */
	size_t mailbox_len;
	struct imap_flags flags;
	bool has_date;
	time_t date;                    /* INTERNALDATE to set (IMAP-44) */
	const struct imap_arg *message; /* borrowed: the literal (usually streamed) */
};

/*
 * imap_append_parse - `APPEND <mailbox> [(<flags>)] [<date-time>] <literal>`.
 * A second message (MULTIAPPEND) or a bad date-time is an error (IMAP-44).
 */
int imap_append_parse(struct imap_arena *arena, const struct imap_arg *args, size_t count,
        struct imap_append_args *out, const char **error_r);

/*
 * imap_append_literal_is_message - at an IMAP_PARSE_LITERAL of an APPEND:
 * whether this literal is the message (a top-level argument after the
 * mailbox), so that max_message_size applies instead of IMAP_LITERAL_MAX
 * (IMAP-11). *is_second_r tells a MULTIAPPEND second message (refuse: BAD).
 */
bool imap_append_literal_is_message(const struct imap_parser *p, bool *is_second_r);

enum imap_status_item {
	IMAP_STATUS_MESSAGES,
	IMAP_STATUS_RECENT,
	IMAP_STATUS_UIDNEXT,
	IMAP_STATUS_UIDVALIDITY,
	IMAP_STATUS_UNSEEN,
	IMAP_STATUS_HIGHESTMODSEQ,
};

struct imap_status_args {
	const char *mailbox; /* borrowed */
	size_t mailbox_len;
	enum imap_status_item *items; /* borrowed (arena): in request order (IMAP-29) */
	size_t count;
};

/* imap_status_parse - `STATUS <mailbox> (<items>)`; an unknown item is BAD. */
int imap_status_parse(struct imap_arena *arena, const struct imap_arg *args, size_t count,
        struct imap_status_args *out, const char **error_r);

/* imap_status_item_name - `MESSAGES`, ... */
const char *imap_status_item_name(enum imap_status_item item);

struct imap_getmetadata_args {
	bool has_maxsize;
	uint32_t maxsize;
	int depth;           /* 0, 1, or -1 for infinity (default 0) */
	const char *mailbox; /* borrowed */
	size_t mailbox_len;
	const char **entries; /* borrowed (arena) */
	size_t count;
};

/* imap_getmetadata_parse - `GETMETADATA [(<options>)] <mailbox> <entry>|(<entries>)`. */
int imap_getmetadata_parse(struct imap_arena *arena, const struct imap_arg *args, size_t count,
        struct imap_getmetadata_args *out, const char **error_r);

struct imap_metadata_pair {
	const char *entry; /* borrowed */
	const char *value; /* borrowed; NULL for NIL (remove); may hold NULs */
	size_t value_len;
};

struct imap_setmetadata_args {
	const char *mailbox; /* borrowed */
	size_t mailbox_len;
	struct imap_metadata_pair *pairs; /* borrowed (arena) */
	size_t count;
};

/* imap_setmetadata_parse - `SETMETADATA <mailbox> (<entry> <value> ...)`, values nstrings. */
int imap_setmetadata_parse(struct imap_arena *arena, const struct imap_arg *args, size_t count,
        struct imap_setmetadata_args *out, const char **error_r);

/* imap_metadata_entry_valid - RFC 5464 3.2: `/shared/...` or `/private/...`, no `*`, `%`,
 * doubled or trailing `/`, printable ASCII, bounded. */
bool imap_metadata_entry_valid(const char *s, size_t len);

/* imap_id_check - `ID NIL` or `ID (<field> <value> ...)` within the IMAP-20 bounds. */
int imap_id_check(const struct imap_arg *args, size_t count, const char **error_r);

#endif
