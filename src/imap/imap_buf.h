/*
 * imap_buf.h - growable output buffer for rendering responses (FETCH items,
 * ENVELOPE, BODYSTRUCTURE). PURE: libc only.
 *
 * Out-of-memory is sticky: once an append fails, is_oom stays set and
 * further appends do nothing, so renderers check once at the end.
 */
#ifndef CHATRELAY_IMAP_BUF_H
#define CHATRELAY_IMAP_BUF_H

#include <stdbool.h>
#include <stddef.h>

#include "imap/imap_quote.h"

struct imap_buf {
	char *data; /* owned */
	size_t len, alloc;
	bool is_oom;
};

/* imap_buf_init / imap_buf_reset - empty buffer; reset frees the memory. */
void imap_buf_init(struct imap_buf *b);
void imap_buf_reset(struct imap_buf *b);

/* imap_buf_add - append len octets (may contain NULs). */
void imap_buf_add(struct imap_buf *b, const void *data, size_t len);

/* imap_buf_str - append a C string. */
void imap_buf_str(struct imap_buf *b, const char *s);

/* imap_buf_printf - append formatted text. */
void imap_buf_printf(struct imap_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* imap_buf_quote - s[0..len) as atom/quoted/literal per mode (imap_quote.h); NULL = NIL. */
void imap_buf_quote(struct imap_buf *b, const char *s, size_t len, enum imap_quote_mode mode);

/* imap_buf_nstring - NIL for NULL or empty, else quoted or literal (IMAP-37). */
void imap_buf_nstring(struct imap_buf *b, const char *s);

#endif
