/*
 * imap_search_eval.h - evaluate a parsed SEARCH program against one
 * message (RFC 3501 6.4.4; SPEC IMAP-45, IMAP-46). PURE.
 */
#ifndef CHATRELAY_IMAP_SEARCH_EVAL_H
#define CHATRELAY_IMAP_SEARCH_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap/imap_search_parse.h"

struct imap_search_msg {
	uint32_t seq, uid;
	uint32_t flags; /* STORE_FLAG_* system bits */
	uint64_t keywords;
	uint64_t modseq;
	uint64_t size;
	int64_t internaldate;
	bool is_recent;
	const char *data; /* borrowed: the message, NULL when not needed */
	size_t len;
};

struct imap_search_env {
	uint32_t max_seq, max_uid;  /* `*` of sequence sets and UID sets */
	char *const *keywords;      /* borrowed: keyword table (bit order) */
	size_t keyword_count;
};

/* imap_search_needs_data - some key reads headers or body (FROM, HEADER, BODY, SENT*, ...). */
bool imap_search_needs_data(const struct imap_search_key *k);

/* imap_search_check - sequence sets within max_seq (IMAP-13); false: `BAD`. */
bool imap_search_check(const struct imap_search_key *k, uint32_t max_seq);

/* imap_search_match - whether m satisfies k. */
bool imap_search_match(const struct imap_search_key *k, const struct imap_search_env *env,
        const struct imap_search_msg *m);

#endif
