/*
 * imap_store_parse.h - STORE arguments and flag lists (RFC 3501 6.4.6,
 * 9 `flag`, `flag-list`, `store-att-flags`; RFC 7162 3.1.3 UNCHANGEDSINCE;
 * SPEC IMAP-31, IMAP-32, IMAP-41, IMAP-44). PURE.
 *
 * Flags become a bit set of the five storable system flags plus a list of
 * keywords (deduplicated case-insensitively, in first-seen order). `\Recent`
 * and unknown `\` flags are syntax errors: they cannot be stored.
 */
#ifndef CHATRELAY_IMAP_STORE_PARSE_H
#define CHATRELAY_IMAP_STORE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap/imap_parse.h"

#define IMAP_FLAG_ANSWERED 0x01u
#define IMAP_FLAG_FLAGGED 0x02u
#define IMAP_FLAG_DELETED 0x04u
#define IMAP_FLAG_SEEN 0x08u
#define IMAP_FLAG_DRAFT 0x10u

struct imap_flags {
	unsigned system;             /* IMAP_FLAG_* bits */
	const char *const *keywords; /* borrowed (arena / parser) */
	size_t keyword_count;
};

enum imap_store_op {
	IMAP_STORE_REPLACE, /* FLAGS */
	IMAP_STORE_ADD,     /* +FLAGS */
	IMAP_STORE_REMOVE,  /* -FLAGS */
};

struct imap_store_request {
	enum imap_store_op op;
	bool is_silent; /* .SILENT */
	bool has_unchangedsince;
	uint64_t unchangedsince;
	struct imap_flags flags;
};

/*
 * imap_flags_parse - flags from items[0..count) (the content of a flag
 * list, or the bare flags of STORE), keywords copied into arena. Returns
 * 0, or -1 with a static reply text for `BAD` in *error_r.
 */
int imap_flags_parse(struct imap_arena *arena, const struct imap_arg *items, size_t count,
        struct imap_flags *flags, const char **error_r);

/*
 * imap_store_parse - args[0..count) after the sequence set:
 * `[(UNCHANGEDSINCE <m>)] FLAGS|+FLAGS|-FLAGS[.SILENT] <flag-list or flags>`.
 * Returns 0, or -1 with a static reply text for `BAD` in *error_r.
 */
int imap_store_parse(struct imap_arena *arena, const struct imap_arg *args, size_t count,
        struct imap_store_request *req, const char **error_r);

/* imap_flag_is_keyword - s[0..len) is a valid keyword: ATOM-CHARs, not `\`-led, bounded. */
bool imap_flag_is_keyword(const char *s, size_t len);

/* imap_flag_system_name - `\Seen` etc. for one IMAP_FLAG_* bit, NULL otherwise. */
const char *imap_flag_system_name(unsigned bit);

/* IMAP_FLAG_RECENT - shown in FLAGS responses (IMAP-31), never parsed from a client. */
#define IMAP_FLAG_RECENT 0x20u

/*
 * imap_flag_shown_name - the name a FLAGS response gives one bit: a system
 * flag or IMAP_FLAG_RECENT (`\Recent`); NULL otherwise. Bits 0..5.
 */
const char *imap_flag_shown_name(unsigned bit);

#endif
