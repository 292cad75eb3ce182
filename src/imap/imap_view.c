/*
 * imap_view.c - per-session mailbox view: sequence numbers, pending
 * changes from the bus (IMAP-40, IMAP-49, IMAP-50). PURE apart from the
 * store/bus structure definitions; no I/O, loop thread only.
 */
#include "imap/imap_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bus/bus.h"
#include "store/store.h"

static int
imap_view_grow(struct imap_vmsg **arr, size_t *alloc, size_t need)
{
	struct imap_vmsg *n;
	size_t na = *alloc ? *alloc : 16;

	if (need <= *alloc)
		return 0;
	while (na < need)
		na *= 2;
	n = realloc(*arr, na * sizeof(*n));
	if (n == NULL)
		return -1;
	*arr = n;
	*alloc = na;
	return 0;
}

static void
imap_view_keywords_free(struct imap_view *v)
{
	for (size_t i = 0; v->keywords != NULL && i < v->keyword_count; i++)
		free(v->keywords[i]);
	free(v->keywords);
	v->keywords = NULL;
	v->keyword_count = 0;
}

/* imap_view_keywords_set - copy a keyword table (the store only appends to it). */
static void
imap_view_keywords_set(struct imap_view *v, const char *const *names, size_t n)
{
	char **k;

	if (n <= v->keyword_count && v->keywords != NULL)
		return;
	k = calloc(n ? n : 1, sizeof(*k));
	if (k == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		k[i] = names[i] != NULL ? strdup(names[i]) : NULL;
	imap_view_keywords_free(v);
	v->keywords = k;
	v->keyword_count = n;
}

struct imap_view *
imap_view_new(const struct store_snapshot *snap, const uint32_t *recent, size_t recent_count)
{
	struct imap_view *v = calloc(1, sizeof(*v));

	if (v == NULL || imap_view_grow(&v->msgs, &v->alloc, snap->count + 1) < 0) {
		free(v);
		return NULL;
	}
	for (size_t i = 0; i < snap->count; i++) {
		const struct store_msg *m = &snap->msgs[i];
		struct imap_vmsg *vm = &v->msgs[i];

		memset(vm, 0, sizeof(*vm));
		vm->uid = m->uid;
		vm->flags = m->flags & ~(uint32_t)(STORE_FLAG_RECENT | STORE_FLAG_IN_NEW);
		vm->keywords = m->keywords;
		vm->modseq = m->modseq;
		vm->size = m->size;
		vm->internaldate = m->internaldate;
	}
	v->count = snap->count;
	for (size_t i = 0; i < recent_count; i++) {
		long at = imap_view_find(v, recent[i]);

		if (at >= 0)
			v->msgs[at].is_recent = true;
	}
	{
		const char *const *names;

		/* char ** to const char *const * is safe but not implicit in C. */
		memcpy(&names, &snap->keywords, sizeof(names));
		imap_view_keywords_set(v, names, snap->keyword_count);
	}
	v->uidvalidity = snap->uidvalidity;
	v->uidnext = snap->uidnext;
	v->highestmodseq = snap->highestmodseq;
	return v;
}

void
imap_view_free(struct imap_view **vp)
{
	struct imap_view *v = vp != NULL ? *vp : NULL;

	if (v == NULL)
		return;
	imap_view_keywords_free(v);
	free(v->msgs);
	free(v->news);
	free(v);
	*vp = NULL;
}

long
imap_view_find(const struct imap_view *v, uint32_t uid)
{
	size_t lo = 0, hi = v->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v->msgs[mid].uid == uid)
			return (long)mid;
		if (v->msgs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static long
imap_view_find_new(const struct imap_view *v, uint32_t uid)
{
	for (size_t i = 0; i < v->new_count; i++)
		if (v->news[i].uid == uid)
			return (long)i;
	return -1;
}

static uint32_t
imap_view_max_uid(const struct imap_view *v)
{
	if (v->new_count > 0)
		return v->news[v->new_count - 1].uid;
	return v->count > 0 ? v->msgs[v->count - 1].uid : 0;
}

static void
imap_view_on_new(struct imap_view *v, const struct bus_event *ev)
{
	for (size_t i = 0; i < ev->count; i++) {
		const struct bus_msg *m = &ev->msgs[i];
		struct imap_vmsg *vm;

		/* Already in the snapshot: the event committed before it was taken. */
		if (m->uid <= imap_view_max_uid(v))
			continue;
		if (imap_view_grow(&v->news, &v->new_alloc, v->new_count + 1) < 0)
			return;
		vm = &v->news[v->new_count++];
		memset(vm, 0, sizeof(*vm));
		vm->uid = m->uid;
		vm->flags = m->flags & ~(uint32_t)(STORE_FLAG_RECENT | STORE_FLAG_IN_NEW);
		/* IMAP-31: the claim (imap_cmd_select.c) confirms or corrects this. */
		vm->is_recent = v->is_claiming && (m->flags & STORE_FLAG_RECENT) != 0;
		vm->is_recent_pending = vm->is_recent;
		vm->keywords = m->keywords;
		vm->modseq = m->modseq;
		vm->size = m->size;
		vm->internaldate = m->internaldate;
	}
}

static void
imap_view_on_flags(struct imap_view *v, const struct bus_event *ev, bool is_own)
{
	for (size_t i = 0; i < ev->count; i++) {
		const struct bus_msg *m = &ev->msgs[i];
		long at = imap_view_find(v, m->uid);
		struct imap_vmsg *vm;

		if (at >= 0) {
			vm = &v->msgs[at];
		} else if ((at = imap_view_find_new(v, m->uid)) >= 0) {
			vm = &v->news[at];
			is_own = true; /* announced with its EXISTS and FETCH */
		} else {
			continue;
		}
		if (m->modseq <= vm->modseq || vm->is_expunged)
			continue; /* older than the snapshot */
		vm->flags = (vm->flags & ~STORE_FLAGS_SYSTEM) | (m->flags & STORE_FLAGS_SYSTEM);
		vm->keywords = m->keywords;
		vm->modseq = m->modseq;
		if (!is_own && !vm->is_dirty && at >= 0 && vm == &v->msgs[at]) {
			vm->is_dirty = true;
			v->dirty++;
		}
	}
}

static void
imap_view_on_expunge(struct imap_view *v, const struct bus_event *ev)
{
	for (size_t i = 0; i < ev->count; i++) {
		long at = imap_view_find(v, ev->msgs[i].uid);

		if (at >= 0) {
			if (!v->msgs[at].is_expunged) {
				v->msgs[at].is_expunged = true;
				v->expunged++;
			}
		} else if ((at = imap_view_find_new(v, ev->msgs[i].uid)) >= 0) {
			memmove(&v->news[at], &v->news[at + 1],
			        (v->new_count - (size_t)at - 1) * sizeof(*v->news));
			v->new_count--;
		}
	}
}

void
imap_view_apply(struct imap_view *v, const struct bus_event *ev, bool is_own)
{
	if (ev->keyword_count > 0)
		imap_view_keywords_set(v, ev->keywords, ev->keyword_count);
	switch (ev->kind) {
	case BUS_EVENT_NEW:
		imap_view_on_new(v, ev);
		break;
	case BUS_EVENT_FLAGS:
		imap_view_on_flags(v, ev, is_own);
		break;
	case BUS_EVENT_EXPUNGE:
		imap_view_on_expunge(v, ev);
		break;
	case BUS_EVENT_MAILBOX_DELETED:
	case BUS_EVENT_ACCOUNT_DELETED:
		v->is_gone = true;
		break;
	case BUS_EVENT_MAILBOX_RENAMED:
		break;
	}
	if (ev->uidnext > v->uidnext)
		v->uidnext = ev->uidnext;
	if (ev->highestmodseq > v->highestmodseq)
		v->highestmodseq = ev->highestmodseq;
}

size_t
imap_view_flags(const struct imap_view *v, uint32_t flags, uint64_t keywords, char *buf, size_t size)
{
	static const char *const names[] = { "\\Answered", "\\Flagged", "\\Deleted", "\\Seen",
		"\\Draft" };
	size_t n = 0;
	int w;

	if (size > 0)
		buf[0] = '\0';
	for (unsigned i = 0; i < 5; i++) {
		if (!(flags & (1u << i)))
			continue;
		w = snprintf(buf + (n < size ? n : size), n < size ? size - n : 0, "%s%s",
		        n ? " " : "", names[i]);
		n += (size_t)(w > 0 ? w : 0);
	}
	for (size_t i = 0; i < v->keyword_count && i < 64; i++) {
		if (!(keywords & (1ULL << i)) || v->keywords[i] == NULL)
			continue;
		w = snprintf(buf + (n < size ? n : size), n < size ? size - n : 0, "%s%s",
		        n ? " " : "", v->keywords[i]);
		n += (size_t)(w > 0 ? w : 0);
	}
	return n;
}

size_t
imap_view_recent(const struct imap_view *v)
{
	size_t r = 0;

	for (size_t i = 0; i < v->count; i++)
		r += v->msgs[i].is_recent;
	return r;
}

uint64_t
imap_view_keyword_bits(const struct imap_view *v, const char *const *names, size_t n)
{
	uint64_t bits = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < v->keyword_count && k < 64; k++)
			if (v->keywords[k] != NULL && strcasecmp(v->keywords[k], names[i]) == 0)
				bits |= 1ULL << k;
	return bits;
}

void
imap_view_set_claiming(struct imap_view *v, bool is_claiming)
{
	v->is_claiming = is_claiming;
}

/* imap_view_claimed - whether uid is among the claimed uids[0..n). */
static bool
imap_view_claimed(const uint32_t *uids, size_t n, uint32_t uid)
{
	for (size_t i = 0; i < n; i++)
		if (uids[i] == uid)
			return true;
	return false;
}

void
imap_view_mark_recent(struct imap_view *v, const uint32_t *uids, size_t n)
{
	for (size_t i = 0; i < v->count; i++) {
		struct imap_vmsg *m = &v->msgs[i];
		bool is_mine = imap_view_claimed(uids, n, m->uid);

		if (!is_mine && !m->is_recent_pending)
			continue;
		if (m->is_recent != is_mine)
			v->is_recent_dirty = true;
		m->is_recent = is_mine;
		m->is_recent_pending = false;
	}
	for (size_t i = 0; i < v->new_count; i++) {
		struct imap_vmsg *m = &v->news[i];
		bool is_mine = imap_view_claimed(uids, n, m->uid);

		if (is_mine || m->is_recent_pending) {
			m->is_recent = is_mine;
			m->is_recent_pending = false;
		}
	}
}
