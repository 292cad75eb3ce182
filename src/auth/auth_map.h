/*
 * auth_map.h - a small string-keyed hash map for the in-memory state of
 * auth/ (throttling, credential cache, session registry). Not thread-safe:
 * loop thread only. Values are owned by the caller's free function.
 */
#ifndef CHATRELAY_AUTH_MAP_H
#define CHATRELAY_AUTH_MAP_H

#include <stdbool.h>
#include <stddef.h>

struct auth_map;

typedef void auth_map_free_fn(void *value);
/* auth_map_each_fn - return true to remove the entry (its value is freed). */
typedef bool auth_map_each_fn(const char *key, void *value, void *ctx);

/* auth_map_new - empty map; free_value releases values (NULL: nothing). NULL on ENOMEM. */
struct auth_map *auth_map_new(auth_map_free_fn *free_value);
/* auth_map_free - free every entry. Accepts NULL; leaves NULL. */
void auth_map_free(struct auth_map **mp);
/* auth_map_get - the value or NULL. */
void *auth_map_get(const struct auth_map *m, const char *key);
/* auth_map_put - insert or replace (the old value is freed). 0 or -1 (ENOMEM: value not taken). */
int auth_map_put(struct auth_map *m, const char *key, void *value);
/* auth_map_del - remove and free; true if it existed. */
bool auth_map_del(struct auth_map *m, const char *key);
/* auth_map_each - visit every entry, removing those the callback asks for. */
void auth_map_each(struct auth_map *m, auth_map_each_fn *fn, void *ctx);
/* auth_map_count - number of entries. */
size_t auth_map_count(const struct auth_map *m);

#endif
