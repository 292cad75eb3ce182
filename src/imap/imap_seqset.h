/*
 * imap_seqset.h - IMAP sequence sets (RFC 3501 9 `sequence-set`, SPEC
 * IMAP-13). PURE.
 *
 * Two steps: imap_seqset_parse() reads the text and keeps `*` symbolic;
 * imap_seqset_resolve() replaces `*` by the mailbox's highest number and
 * yields a normalised set: sorted, merged, disjoint ranges inside [1, max].
 * Message sequence numbers beyond max are an error there; UIDs never are
 * (IMAP-13). `$` (SEARCHRES) is not supported: the SPEC does not list it.
 * A set holds at most one range per two input octets, so its size is
 * bounded by IMAP_LINE_MAX; ranges themselves may be as large as 1:4294967295.
 */
#ifndef CHATRELAY_IMAP_SEQSET_H
#define CHATRELAY_IMAP_SEQSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 0 stands for `*` in a parsed (unresolved) set; numbers are >= 1. */
#define IMAP_SEQ_STAR 0

struct imap_seq_range {
	uint32_t lo,
	        hi; /* parsed: as written (either order, maybe IMAP_SEQ_STAR); resolved: lo <= hi */
};

struct imap_seqset {
	struct imap_seq_range *ranges; /* owned */
	size_t count;
	size_t alloc;
};

/* imap_seqset_init - an empty set (embedded struct, no allocation). */
void imap_seqset_init(struct imap_seqset *set);

/* imap_seqset_reset - free the ranges; the set is empty and reusable. */
void imap_seqset_reset(struct imap_seqset *set);

/*
 * imap_seqset_parse - parse s[0..len) into set (replacing its content).
 * Returns 0, or -1 with a static reply text in *error_r (set left empty).
 */
int imap_seqset_parse(const char *s, size_t len, struct imap_seqset *set, const char **error_r);

/* imap_seqset_has_star - whether the parsed set uses `*`. */
bool imap_seqset_has_star(const struct imap_seqset *set);

/*
 * imap_seqset_resolve - out = parsed ∩ [1, max] with `*` = max, normalised.
 * is_uid: UIDs never fail (`n:*` with n > max means max:n, IMAP-13).
 * Sequence numbers: a number above max or `*` when max is 0 fails with
 * "Invalid message sequence number." Returns 0 or -1 (*error_r, or ENOMEM).
 */
int imap_seqset_resolve(const struct imap_seqset *parsed, uint32_t max, bool is_uid,
        struct imap_seqset *out, const char **error_r);

/*
 * imap_seqset_add - add [lo, hi] (lo <= hi, lo >= 1) to a normalised set,
 * keeping it normalised; cheap when ranges come in ascending order (the
 * usual way to build COPYUID or SEARCH results). Returns 0 or -1 (ENOMEM).
 */
int imap_seqset_add(struct imap_seqset *set, uint32_t lo, uint32_t hi);

/* imap_seqset_contains - membership in a normalised set (binary search). */
bool imap_seqset_contains(const struct imap_seqset *set, uint32_t n);

/* imap_seqset_count - how many numbers a normalised set holds. */
uint64_t imap_seqset_count(const struct imap_seqset *set);

struct imap_seqset_iter {
	const struct imap_seqset *set; /* borrowed */
	size_t range;
	uint64_t next;
};

/* imap_seqset_iter_init - iterate a normalised set in ascending order. */
void imap_seqset_iter_init(struct imap_seqset_iter *it, const struct imap_seqset *set);

/* imap_seqset_iter_next - the next number into *n_r, or false at the end. */
bool imap_seqset_iter_next(struct imap_seqset_iter *it, uint32_t *n_r);

/*
 * imap_seqset_format - render a normalised set as `1:5,7` into a new string
 * (caller frees); an empty set gives "". Returns 0 or -1 (ENOMEM).
 */
int imap_seqset_format(const struct imap_seqset *set, char **s_r);

#endif
