/*
 * imap_view.c - per-session mailbox view: sequence numbers, pending
 * changes from the bus (IMAP-40, IMAP-49, IMAP-50). PURE apart from the
 * store/bus structure definitions; no I/O, loop thread only.
 *
 * Views of one mailbox with equal announced messages share one read-only
 * array through a small registry keyed by the mailbox (issue 9: a hundred
 * sessions of one account in IDLE on the same INBOX hold one copy). The
 * registry is module state, used from the loop thread only like the views.
 * Any change first makes the array private (imap_view_own): in place when
 * this view holds the only reference, by copying otherwise.
 */
#include "imap/imap_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bus/bus.h"
#include "imap/imap_store_parse.h"
#include "store/store.h"

/* FLAGS responses name store bits with the IMAP flag names: the bits must agree. */
_Static_assert(STORE_FLAG_SEEN == IMAP_FLAG_SEEN && STORE_FLAG_DRAFT == IMAP_FLAG_DRAFT &&
                STORE_FLAG_RECENT == IMAP_FLAG_RECENT,
        "store and IMAP flag bits differ");

/* Registry buckets, and how many offered arrays of one size are compared before giving up. */
#define IMAP_VSHARE_BUCKETS 1024
#define IMAP_VSHARE_SCAN 8

/* A read-only array of announced messages, held by every view that shares it. */
struct imap_vshare {
	unsigned refs;
	const void *key;         /* borrowed, never dereferenced: the mailbox identity */
	struct imap_vmsg *msgs;  /* owned, never written while registered */
	size_t count, alloc;
	struct imap_vshare *next; /* registry chain */
};

static struct imap_vshare *imap_vshare_table[IMAP_VSHARE_BUCKETS];

static struct imap_vshare **
imap_vshare_bucket(const void *key)
{
	uintptr_t h = (uintptr_t)key;

	h ^= h >> 17;
	h *= 0x9e3779b97f4a7c15ULL;
	return &imap_vshare_table[(h >> 32) % IMAP_VSHARE_BUCKETS];
}

static void
imap_vshare_unlink(struct imap_vshare *sh)
{
	struct imap_vshare **pp = imap_vshare_bucket(sh->key);

	while (*pp != NULL && *pp != sh)
		pp = &(*pp)->next;
	if (*pp != NULL)
		*pp = sh->next;
}

/* imap_view_drop_msgs - release the announced messages (the reference, or the own array). */
static void
imap_view_drop_msgs(struct imap_view *v)
{
	struct imap_vshare *sh = v->share;

	if (sh == NULL) {
		free(v->msgs);
	} else if (--sh->refs == 0) {
		imap_vshare_unlink(sh);
		free(sh->msgs);
		free(sh);
	}
	v->share = NULL;
	v->msgs = NULL;
	v->count = v->alloc = 0;
}

/*
 * imap_view_own - make msgs private before a change: the sole holder takes
 * the array back from the registry, others copy it. -1 on ENOMEM (the
 * view is unchanged and still valid).
 */
static int
imap_view_own(struct imap_view *v)
{
	struct imap_vshare *sh = v->share;
	struct imap_vmsg *copy;

	if (sh == NULL)
		return 0;
	if (sh->refs == 1) {
		imap_vshare_unlink(sh);
		v->alloc = sh->alloc;
		free(sh);
		v->share = NULL;
		return 0;
	}
	copy = malloc(v->count * sizeof(*copy));
	if (copy == NULL)
		return -1;
	memcpy(copy, v->msgs, v->count * sizeof(*copy));
	sh->refs--;
	v->share = NULL;
	v->msgs = copy;
	v->alloc = v->count;
	return 0;
}

/* imap_view_reserve - room for need announced messages (own array): exact while small. */
static int
imap_view_reserve(struct imap_view *v, size_t need)
{
	struct imap_vmsg *n;
	size_t na = need <= 64 ? need : need + need / 4;

	if (need <= v->alloc)
		return 0;
	n = realloc(v->msgs, na * sizeof(*n));
	if (n == NULL)
		return -1;
	v->msgs = n;
	v->alloc = na;
	return 0;
}

/* imap_view_grow_news - room for one more unannounced message. */
static int
imap_view_grow_news(struct imap_view *v)
{
	struct imap_vmsg *n;
	size_t na = v->new_alloc ? v->new_alloc * 2 : 4;

	if (v->new_count < v->new_alloc)
		return 0;
	n = realloc(v->news, na * sizeof(*n));
	if (n == NULL)
		return -1;
	v->news = n;
	v->new_alloc = na;
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

	if (n == 0 || (n <= v->keyword_count && v->keywords != NULL))
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

	if (v == NULL)
		return NULL;
	if (snap->count > 0 && (v->msgs = malloc(snap->count * sizeof(*v->msgs))) == NULL) {
		free(v);
		return NULL;
	}
	v->alloc = snap->count;
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
	for (size_t i = 0; v->msgs != NULL && i < recent_count; i++) {
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
	imap_view_drop_msgs(v);
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
		if (imap_view_grow_news(v) < 0)
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
		bool is_announced = at >= 0, is_quiet = is_own;
		struct imap_vmsg *vm;

		if (is_announced) {
			vm = &v->msgs[at];
		} else if ((at = imap_view_find_new(v, m->uid)) >= 0) {
			vm = &v->news[at];
			is_quiet = true; /* announced with its EXISTS and FETCH */
		} else {
			continue;
		}
		if (m->modseq <= vm->modseq || vm->is_expunged)
			continue; /* older than the snapshot */
		if (is_announced) {
			if (imap_view_own(v) < 0)
				return;
			vm = &v->msgs[at];
		}
		vm->flags = (vm->flags & ~STORE_FLAGS_SYSTEM) | (m->flags & STORE_FLAGS_SYSTEM);
		vm->keywords = m->keywords;
		vm->modseq = m->modseq;
		if (!is_quiet && !vm->is_dirty && is_announced) {
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
				if (imap_view_own(v) < 0)
					return;
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

uint32_t
imap_view_msg_flags(const struct imap_vmsg *m)
{
	return (m->flags & STORE_FLAGS_SYSTEM) | (m->is_recent ? STORE_FLAG_RECENT : 0);
}

size_t
imap_view_flags(const struct imap_view *v, uint32_t flags, uint64_t keywords, char *buf, size_t size)
{
	size_t n = 0;
	int w;

	if (size > 0)
		buf[0] = '\0';
	/* the recent bit here means \\Recent in this session (IMAP-31) */
	for (unsigned i = 0; i < 6; i++) {
		const char *name = imap_flag_shown_name(1u << i);

		if (!(flags & (1u << i)) || name == NULL)
			continue;
		w = snprintf(buf + (n < size ? n : size), n < size ? size - n : 0, "%s%s",
		        n ? " " : "", name);
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
		if (m->is_recent == is_mine && !m->is_recent_pending)
			continue;
		if (imap_view_own(v) < 0)
			return;
		m = &v->msgs[i];
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

void
imap_view_take_expunged(struct imap_view *v, void (*cb)(void *arg, size_t seq), void *arg)
{
	size_t j = 0;

	if (v->expunged == 0 || imap_view_own(v) < 0)
		return;
	for (size_t i = 0; i < v->count; i++) {
		if (v->msgs[i].is_expunged) {
			cb(arg, j + 1);
			if (v->msgs[i].is_dirty)
				v->dirty--;
			continue;
		}
		v->msgs[j++] = v->msgs[i];
	}
	v->count = j;
	v->expunged = 0;
	if (v->count == 0)
		imap_view_drop_msgs(v);
}

int
imap_view_take_news(struct imap_view *v)
{
	if (v->new_count == 0)
		return 0;
	if (imap_view_own(v) < 0 || imap_view_reserve(v, v->count + v->new_count) < 0)
		return -1;
	memcpy(v->msgs + v->count, v->news, v->new_count * sizeof(*v->news));
	v->count += v->new_count;
	free(v->news); /* an idle view keeps no room for arrivals */
	v->news = NULL;
	v->new_count = v->new_alloc = 0;
	return 1;
}

void
imap_view_take_dirty(struct imap_view *v,
        void (*cb)(void *arg, size_t seq, const struct imap_vmsg *m), void *arg)
{
	if (v->dirty == 0 || imap_view_own(v) < 0)
		return;
	for (size_t i = 0; i < v->count && v->dirty > 0; i++) {
		if (!v->msgs[i].is_dirty)
			continue;
		v->msgs[i].is_dirty = false;
		v->dirty--;
		cb(arg, i + 1, &v->msgs[i]);
	}
}

/* imap_vmsg_equal - field by field: struct padding is never compared. */
static bool
imap_vmsg_equal(const struct imap_vmsg *a, const struct imap_vmsg *b)
{
	return a->uid == b->uid && a->flags == b->flags && a->keywords == b->keywords &&
	        a->modseq == b->modseq && a->size == b->size &&
	        a->internaldate == b->internaldate && a->is_expunged == b->is_expunged &&
	        a->is_dirty == b->is_dirty && a->is_recent == b->is_recent &&
	        a->is_recent_pending == b->is_recent_pending;
}

/* imap_view_is_plain - no per-session state on any announced message: worth sharing. */
static bool
imap_view_is_plain(const struct imap_view *v)
{
	if (v->expunged > 0 || v->dirty > 0)
		return false;
	for (size_t i = 0; i < v->count; i++)
		if (v->msgs[i].is_recent || v->msgs[i].is_recent_pending)
			return false;
	return true;
}

void
imap_view_share(struct imap_view *v, const void *key)
{
	struct imap_vshare **bucket, *sh;
	size_t scanned = 0;

	if (v->share != NULL || v->count == 0 || key == NULL || !imap_view_is_plain(v))
		return;
	bucket = imap_vshare_bucket(key);
	for (sh = *bucket; sh != NULL && scanned < IMAP_VSHARE_SCAN; sh = sh->next) {
		size_t i;

		if (sh->key != key || sh->count != v->count)
			continue;
		scanned++;
		for (i = 0; i < v->count && imap_vmsg_equal(&sh->msgs[i], &v->msgs[i]); i++)
			;
		if (i < v->count)
			continue;
		free(v->msgs);
		v->msgs = sh->msgs;
		v->alloc = sh->alloc;
		v->share = sh;
		sh->refs++;
		return;
	}
	/* Nothing equal: offer this array (its spare room stays: the next change reuses it). */
	sh = malloc(sizeof(*sh));
	if (sh == NULL)
		return;
	sh->refs = 1;
	sh->key = key;
	sh->msgs = v->msgs;
	sh->count = v->count;
	sh->alloc = v->alloc;
	sh->next = *bucket;
	*bucket = sh;
	v->share = sh;
}
