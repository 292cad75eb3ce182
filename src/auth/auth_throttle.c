/*
 * auth_throttle.c - sliding-window failure limits (AUTH-9, AUTH-10).
 *
 * Each key keeps the times of its last `limit` failures in a ring. The key
 * is limited while the oldest of those lies inside the window, i.e. while
 * `limit` failures happened within the window; it is released as soon as
 * the count in the window falls below the limit, exactly as AUTH-9 says.
 * Memory per key is limit * 8 bytes; idle keys are swept.
 */
#include "auth/auth_throttle.h"

#include <stdlib.h>

#include "auth/auth_map.h"

struct auth_throttle_key {
	unsigned count;  /* failures recorded, at most limit */
	unsigned head;   /* next ring slot to write */
	int64_t times[]; /* ring of limit failure times */
};

struct auth_throttle {
	struct auth_map *keys; /* owned: key -> struct auth_throttle_key */
	long limit;
	int64_t window_ms;
};

struct auth_throttle *
auth_throttle_new(long limit, int64_t window_ms)
{
	struct auth_throttle *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->keys = auth_map_new(free);
	if (t->keys == NULL) {
		free(t);
		return NULL;
	}
	t->limit = limit;
	t->window_ms = window_ms;
	return t;
}

void
auth_throttle_free(struct auth_throttle **tp)
{
	if (*tp == NULL)
		return;
	auth_map_free(&(*tp)->keys);
	free(*tp);
	*tp = NULL;
}

/* auth_throttle_newest - time of the latest failure of k. */
static int64_t
auth_throttle_newest(const struct auth_throttle *t, const struct auth_throttle_key *k)
{
	return k->times[(k->head + (unsigned)t->limit - 1) % (unsigned)t->limit];
}

bool
auth_throttle_is_limited(struct auth_throttle *t, const char *key, int64_t now_ms)
{
	struct auth_throttle_key *k;

	if (t->limit < 1)
		return false;
	k = auth_map_get(t->keys, key);
	if (k == NULL || k->count < (unsigned)t->limit)
		return false;
	/* The ring is full: head is the oldest of the last `limit` failures. */
	return k->times[k->head] > now_ms - t->window_ms;
}

void
auth_throttle_fail(struct auth_throttle *t, const char *key, int64_t now_ms)
{
	struct auth_throttle_key *k;

	if (t->limit < 1)
		return;
	k = auth_map_get(t->keys, key);
	if (k == NULL && auth_map_count(t->keys) >= AUTH_THROTTLE_KEYS_MAX) {
		auth_throttle_sweep(t, now_ms);
		if (auth_map_count(t->keys) >= AUTH_THROTTLE_KEYS_MAX)
			return;
	}
	if (k == NULL) {
		k = calloc(1, sizeof(*k) + (size_t)t->limit * sizeof(int64_t));
		if (k == NULL || auth_map_put(t->keys, key, k) < 0) {
			free(k);
			return;
		}
	}
	k->times[k->head] = now_ms;
	k->head = (k->head + 1) % (unsigned)t->limit;
	if (k->count < (unsigned)t->limit)
		k->count++;
}

struct auth_throttle_sweep_ctx {
	const struct auth_throttle *t;
	int64_t now_ms;
};

static bool
auth_throttle_sweep_cb(const char *key, void *value, void *ctx)
{
	const struct auth_throttle_sweep_ctx *x = ctx;

	(void)key;
	return auth_throttle_newest(x->t, value) <= x->now_ms - x->t->window_ms;
}

void
auth_throttle_sweep(struct auth_throttle *t, int64_t now_ms)
{
	struct auth_throttle_sweep_ctx x = {t, now_ms};

	auth_map_each(t->keys, auth_throttle_sweep_cb, &x);
}

unsigned long
auth_throttle_count(const struct auth_throttle *t)
{
	return (unsigned long)auth_map_count(t->keys);
}
