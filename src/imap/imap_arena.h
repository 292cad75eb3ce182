/*
 * imap_arena.h - per-command memory arena of the IMAP engine. PURE.
 *
 * Every temporary of one command (parsed arguments, the FETCH item list,
 * the SEARCH tree) is carved out of one arena and released together by
 * imap_arena_reset() when the command ends (STYLE.md: per-command
 * temporaries live in an arena). Not thread-safe; no I/O.
 */
#ifndef CHATRELAY_IMAP_ARENA_H
#define CHATRELAY_IMAP_ARENA_H

#include <stddef.h>

struct imap_arena;

/* imap_arena_new - an empty arena, or NULL (ENOMEM). */
struct imap_arena *imap_arena_new(void);

/* imap_arena_free - release everything; accepts NULL, leaves *ap NULL. */
void imap_arena_free(struct imap_arena **ap);

/*
 * imap_arena_alloc - size zeroed octets aligned for any type, valid until
 * the next reset or free. NULL on ENOMEM or size overflow.
 */
void *imap_arena_alloc(struct imap_arena *a, size_t size);

/* imap_arena_strndup - copy of s[0..len) plus a NUL (s may contain NULs). NULL on ENOMEM. */
char *imap_arena_strndup(struct imap_arena *a, const char *s, size_t len);

/* imap_arena_reset - drop every allocation and free the memory. */
void imap_arena_reset(struct imap_arena *a);

#endif
