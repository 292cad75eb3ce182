/*
 * imap_fetch_render.h - one `* n FETCH (...)` response from index data
 * and, when needed, the message octets (RFC 3501 7.4.2; SPEC IMAP-35..39,
 * IMAP-48). PURE: no I/O; runs on workers and on the loop.
 */
#ifndef CHATRELAY_IMAP_FETCH_RENDER_H
#define CHATRELAY_IMAP_FETCH_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap/imap_buf.h"
#include "imap/imap_fetch_parse.h"

struct imap_fetch_msg {
	uint32_t seq, uid;
	uint32_t flags; /* STORE_FLAG_* system bits */
	uint64_t keywords;
	uint64_t modseq;
	uint64_t size;
	int64_t internaldate;
	bool is_flags_changed; /* this FETCH set \Seen: FLAGS is sent (IMAP-39) */
};

struct imap_fetch_ctx {
	const struct imap_fetch_request *req; /* borrowed */
	bool is_uid;                          /* UID FETCH: UID first (IMAP-38) */
	bool is_condstore;                    /* MODSEQ with every response (IMAP-48) */
	char *const *keywords;                /* borrowed: keyword table (bit order) */
	size_t keyword_count;
};

/* imap_fetch_only_header - the request needs at most the top-level header of the message. */
bool imap_fetch_only_header(const struct imap_fetch_request *req);

/*
 * imap_fetch_render - append the response for m to b. data[0..len) is the
 * message (or at least its header when imap_fetch_only_header()), NULL
 * when the request needs no content.
 */
void imap_fetch_render(struct imap_buf *b, const struct imap_fetch_ctx *fc,
        const struct imap_fetch_msg *m, const char *data, size_t len);

/* imap_fetch_flags - `\Seen kw` for flags/keywords with a keyword table. */
void imap_fetch_flags(struct imap_buf *b, uint32_t flags, uint64_t keywords,
        char *const *table, size_t count);

#endif
