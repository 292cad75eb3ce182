/*
 * imap_seqset.c - IMAP sequence sets: parse, resolve `*`, normalise, test,
 * iterate, render. PURE: libc and core/ only.
 *
 * RFC 3501 section 9 (seq-number, seq-range, sequence-set) and 6.4.8 (UID
 * ranges); SPEC IMAP-13. Does not know messages: the caller supplies the
 * highest sequence number or UID of its view of the mailbox.
 */
#include "imap/imap_seqset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_limits.h"

void
imap_seqset_init(struct imap_seqset *set)
{
	memset(set, 0, sizeof(*set));
}

void
imap_seqset_reset(struct imap_seqset *set)
{
	free(set->ranges);
	imap_seqset_init(set);
}

/* imap_seqset_push - append a range without normalising. */
static int
imap_seqset_push(struct imap_seqset *set, uint32_t lo, uint32_t hi)
{
	/* only an owned set grows: a search key view (alloc 0) is never pushed to */
	if (set->count >= set->alloc || set->ranges == NULL) {
		size_t n = set->alloc == 0 ? 8 : set->alloc * 2;
		struct imap_seq_range *r = realloc(set->ranges, n * sizeof(*r));

		if (r == NULL)
			return -1;
		set->ranges = r;
		set->alloc = n;
	}
	set->ranges[set->count].lo = lo;
	set->ranges[set->count].hi = hi;
	set->count++;
	return 0;
}

/* imap_seqset_number - `*` or nz-number at s[*pos]; advances *pos. */
static int
imap_seqset_number(const char *s, size_t len, size_t *pos, uint32_t *n_r)
{
	uint64_t v = 0;
	size_t start = *pos;

	if (*pos < len && s[*pos] == '*') {
		(*pos)++;
		*n_r = IMAP_SEQ_STAR;
		return 0;
	}
	/* nz-number: no leading zero (RFC 3501 9) */
	if (*pos >= len || s[*pos] < '1' || s[*pos] > '9')
		return -1;
	while (*pos < len && s[*pos] >= '0' && s[*pos] <= '9') {
		v = v * 10 + (uint64_t)(s[*pos] - '0');
		if (v > UINT32_MAX || *pos - start >= 10)
			return -1;
		(*pos)++;
	}
	*n_r = (uint32_t)v;
	return 0;
}

int
imap_seqset_parse(const char *s, size_t len, struct imap_seqset *set, const char **error_r)
{
	size_t pos = 0;

	set->count = 0;
	if (len == 0 || len > IMAP_LINE_MAX)
		goto bad;
	for (;;) {
		uint32_t lo, hi;

		if (imap_seqset_number(s, len, &pos, &lo) < 0)
			goto bad;
		hi = lo;
		if (pos < len && s[pos] == ':') {
			pos++;
			if (imap_seqset_number(s, len, &pos, &hi) < 0)
				goto bad;
		}
		if (imap_seqset_push(set, lo, hi) < 0) {
			*error_r = "Out of memory.";
			set->count = 0;
			return -1;
		}
		if (pos == len)
			return 0;
		if (s[pos++] != ',')
			goto bad;
	}
bad:
	set->count = 0;
	*error_r = "Invalid sequence set.";
	return -1;
}

bool
imap_seqset_has_star(const struct imap_seqset *set)
{
	for (size_t i = 0; i < set->count; i++)
		if (set->ranges[i].lo == IMAP_SEQ_STAR || set->ranges[i].hi == IMAP_SEQ_STAR)
			return true;
	return false;
}

static int
imap_seqset_cmp(const void *a, const void *b)
{
	const struct imap_seq_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* imap_seqset_normalise - sort and merge overlapping or adjacent ranges. */
static void
imap_seqset_normalise(struct imap_seqset *set)
{
	size_t w = 0;

	if (set->count < 2)
		return;
	qsort(set->ranges, set->count, sizeof(set->ranges[0]), imap_seqset_cmp);
	for (size_t i = 1; i < set->count; i++) {
		struct imap_seq_range *last = &set->ranges[w];

		if ((uint64_t)set->ranges[i].lo <= (uint64_t)last->hi + 1) {
			if (set->ranges[i].hi > last->hi)
				last->hi = set->ranges[i].hi;
		} else {
			set->ranges[++w] = set->ranges[i];
		}
	}
	set->count = w + 1;
}

int
imap_seqset_resolve(const struct imap_seqset *parsed, uint32_t max, bool is_uid,
        struct imap_seqset *out, const char **error_r)
{
	out->count = 0;
	for (size_t i = 0; i < parsed->count; i++) {
		uint32_t lo = parsed->ranges[i].lo, hi = parsed->ranges[i].hi, t;

		if (lo == IMAP_SEQ_STAR)
			lo = max;
		if (hi == IMAP_SEQ_STAR)
			hi = max;
		if (lo > hi) {
			t = lo;
			lo = hi;
			hi = t;
		}
		if (!is_uid && (hi > max || lo == 0)) {
			/* lo == 0 only when `*` met an empty mailbox */
			out->count = 0;
			*error_r = "Invalid message sequence number.";
			return -1;
		}
		if (lo == 0)
			lo = 1;
		if (hi > max)
			hi = max;
		if (lo > hi)
			continue; /* UIDs beyond the mailbox select nothing */
		if (imap_seqset_push(out, lo, hi) < 0) {
			out->count = 0;
			*error_r = "Out of memory.";
			return -1;
		}
	}
	imap_seqset_normalise(out);
	return 0;
}

int
imap_seqset_add(struct imap_seqset *set, uint32_t lo, uint32_t hi)
{
	struct imap_seq_range *last = set->count > 0 ? &set->ranges[set->count - 1] : NULL;

	if (lo == 0 || lo > hi)
		return -1;
	if (last != NULL && lo >= last->lo) {
		/* ascending: extend or append, no sort needed */
		if ((uint64_t)lo <= (uint64_t)last->hi + 1) {
			if (hi > last->hi)
				last->hi = hi;
			return 0;
		}
		return imap_seqset_push(set, lo, hi);
	}
	if (imap_seqset_push(set, lo, hi) < 0)
		return -1;
	imap_seqset_normalise(set);
	return 0;
}

bool
imap_seqset_contains(const struct imap_seqset *set, uint32_t n)
{
	size_t lo = 0, hi = set->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (n < set->ranges[mid].lo)
			hi = mid;
		else if (n > set->ranges[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

uint64_t
imap_seqset_count(const struct imap_seqset *set)
{
	uint64_t n = 0;

	for (size_t i = 0; i < set->count; i++)
		n += (uint64_t)set->ranges[i].hi - set->ranges[i].lo + 1;
	return n;
}

void
imap_seqset_iter_init(struct imap_seqset_iter *it, const struct imap_seqset *set)
{
	it->set = set;
	it->range = 0;
	it->next = set->count > 0 ? set->ranges[0].lo : 0;
}

bool
imap_seqset_iter_next(struct imap_seqset_iter *it, uint32_t *n_r)
{
	const struct imap_seqset *set = it->set;

	if (it->range >= set->count)
		return false;
	*n_r = (uint32_t)it->next;
	/* 64-bit cursor: stepping past 4294967295 must not wrap */
	if (it->next >= set->ranges[it->range].hi) {
		if (++it->range < set->count)
			it->next = set->ranges[it->range].lo;
	} else {
		it->next++;
	}
	return true;
}

int
imap_seqset_format(const struct imap_seqset *set, char **s_r)
{
	size_t cap = set->count * 22 + 1, len = 0; /* "4294967295:4294967295," */
	char *s = malloc(cap);

	if (s == NULL)
		return -1;
	s[0] = '\0';
	for (size_t i = 0; i < set->count; i++) {
		const struct imap_seq_range *r = &set->ranges[i];

		if (r->lo == r->hi)
			len += (size_t)snprintf(
			        s + len, cap - len, "%s%u", i > 0 ? "," : "", r->lo);
		else
			len += (size_t)snprintf(
			        s + len, cap - len, "%s%u:%u", i > 0 ? "," : "", r->lo, r->hi);
	}
	*s_r = s;
	return 0;
}
