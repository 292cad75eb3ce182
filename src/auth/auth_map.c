/*
 * auth_map.c - chained hash map keyed by strings (FNV-1a), growing by
 * doubling. Used by auth/ for memory-only state (LOG-6). Loop thread only.
 */
#include "auth/auth_map.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct auth_map_entry {
	char *key;                   /* owned */
	void *value;                 /* owned through free_value */
	struct auth_map_entry *next; /* owned chain */
};

struct auth_map {
	struct auth_map_entry **buckets; /* owned */
	size_t size;                     /* power of two */
	size_t count;
	auth_map_free_fn *free_value;
};

static size_t
auth_map_hash(const char *key)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 1099511628211ULL;
	return (size_t)h;
}

struct auth_map *
auth_map_new(auth_map_free_fn *free_value)
{
	struct auth_map *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->size = 64;
	m->buckets = calloc(m->size, sizeof(struct auth_map_entry *));
	if (m->buckets == NULL) {
		free(m);
		return NULL;
	}
	m->free_value = free_value;
	return m;
}

static void
auth_map_entry_free(struct auth_map *m, struct auth_map_entry *e)
{
	if (m->free_value != NULL)
		m->free_value(e->value);
	free(e->key);
	free(e);
}

void
auth_map_free(struct auth_map **mp)
{
	struct auth_map *m = *mp;

	if (m == NULL)
		return;
	auth_map_each(m, NULL, NULL);
	free(m->buckets);
	free(m);
	*mp = NULL;
}

static struct auth_map_entry **
auth_map_slot(const struct auth_map *m, const char *key)
{
	struct auth_map_entry **ep = &m->buckets[auth_map_hash(key) & (m->size - 1)];

	while (*ep != NULL && strcmp((*ep)->key, key) != 0)
		ep = &(*ep)->next;
	return ep;
}

void *
auth_map_get(const struct auth_map *m, const char *key)
{
	struct auth_map_entry *e = *auth_map_slot(m, key);

	return e != NULL ? e->value : NULL;
}

/* auth_map_grow - double the table when the load passes 1 (best effort). */
static void
auth_map_grow(struct auth_map *m)
{
	size_t size = m->size * 2;
	struct auth_map_entry **b = calloc(size, sizeof(struct auth_map_entry *));

	if (b == NULL)
		return;
	for (size_t i = 0; i < m->size; i++) {
		struct auth_map_entry *e = m->buckets[i], *next;

		for (; e != NULL; e = next) {
			size_t j = auth_map_hash(e->key) & (size - 1);

			next = e->next;
			e->next = b[j];
			b[j] = e;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->size = size;
}

int
auth_map_put(struct auth_map *m, const char *key, void *value)
{
	struct auth_map_entry **ep = auth_map_slot(m, key), *e = *ep;

	if (e != NULL) {
		if (m->free_value != NULL && e->value != value)
			m->free_value(e->value);
		e->value = value;
		return 0;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL || (e->key = strdup(key)) == NULL) {
		free(e);
		return -1;
	}
	e->value = value;
	*ep = e;
	if (++m->count > m->size)
		auth_map_grow(m);
	return 0;
}

bool
auth_map_del(struct auth_map *m, const char *key)
{
	struct auth_map_entry **ep = auth_map_slot(m, key), *e = *ep;

	if (e == NULL)
		return false;
	*ep = e->next;
	auth_map_entry_free(m, e);
	m->count--;
	return true;
}

void
auth_map_each(struct auth_map *m, auth_map_each_fn *fn, void *ctx)
{
	for (size_t i = 0; i < m->size; i++) {
		struct auth_map_entry **ep = &m->buckets[i];

		while (*ep != NULL) {
			struct auth_map_entry *e = *ep;

			if (fn == NULL || fn(e->key, e->value, ctx)) {
				*ep = e->next;
				auth_map_entry_free(m, e);
				m->count--;
			} else {
				ep = &e->next;
			}
		}
	}
}

size_t
auth_map_count(const struct auth_map *m)
{
	return m->count;
}
