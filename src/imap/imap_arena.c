/*
 * imap_arena.c - chunked bump allocator for per-command IMAP temporaries.
 * PURE: libc only.
 *
 * Chunks are linked newest first; an allocation larger than a quarter of
 * the chunk size gets a chunk of its own so big literals do not waste the
 * tail of a shared chunk. Reset frees every chunk: an idle session (tens
 * of thousands sit in IDLE) holds no arena memory at all, and one malloc
 * per command costs nothing next to the command's I/O.
 */
#include "imap/imap_arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define IMAP_ARENA_CHUNK 4096
#define IMAP_ARENA_ALIGN 16

struct imap_arena_chunk {
	struct imap_arena_chunk *next; /* owned: the older chunk */
	size_t size;                   /* usable octets after the header */
	size_t used;
	_Alignas(IMAP_ARENA_ALIGN) unsigned char data[];
};

struct imap_arena {
	struct imap_arena_chunk *head; /* owned: newest chunk, allocations come from here */
};

struct imap_arena *
imap_arena_new(void)
{
	return calloc(1, sizeof(struct imap_arena));
}

/* imap_arena_chunk_new - a chunk with at least size usable octets. */
static struct imap_arena_chunk *
imap_arena_chunk_new(size_t size)
{
	struct imap_arena_chunk *c;

	if (size > SIZE_MAX - sizeof(*c))
		return NULL;
	c = malloc(sizeof(*c) + size);
	if (c == NULL)
		return NULL;
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

void *
imap_arena_alloc(struct imap_arena *a, size_t size)
{
	struct imap_arena_chunk *c = a->head;
	size_t need;
	void *p;

	if (size > SIZE_MAX - IMAP_ARENA_ALIGN)
		return NULL;
	need = (size + IMAP_ARENA_ALIGN - 1) & ~(size_t)(IMAP_ARENA_ALIGN - 1);
	if (need == 0)
		need = IMAP_ARENA_ALIGN;
	if (c == NULL || c->size - c->used < need) {
		struct imap_arena_chunk *n;

		n = imap_arena_chunk_new(need > IMAP_ARENA_CHUNK / 4 ? need : IMAP_ARENA_CHUNK);
		if (n == NULL)
			return NULL;
		if (c != NULL && need > IMAP_ARENA_CHUNK / 4) {
			/* keep the current chunk at the head: its tail is still usable */
			n->next = c->next;
			c->next = n;
			n->used = need;
			memset(n->data, 0, size);
			return n->data;
		}
		n->next = c;
		a->head = c = n;
	}
	p = c->data + c->used;
	c->used += need;
	memset(p, 0, size);
	return p;
}

char *
imap_arena_strndup(struct imap_arena *a, const char *s, size_t len)
{
	char *d;

	if (len == SIZE_MAX)
		return NULL;
	d = imap_arena_alloc(a, len + 1);
	if (d == NULL)
		return NULL;
	if (len > 0)
		memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

void
imap_arena_reset(struct imap_arena *a)
{
	struct imap_arena_chunk *c, *next;

	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
}

void
imap_arena_free(struct imap_arena **ap)
{
	struct imap_arena_chunk *c, *next;

	if (ap == NULL || *ap == NULL)
		return;
	for (c = (*ap)->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(*ap);
	*ap = NULL;
}
