/*
 * imap_buf.c - growable output buffer (see imap_buf.h). PURE.
 */
#include "imap/imap_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
imap_buf_init(struct imap_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void
imap_buf_reset(struct imap_buf *b)
{
	free(b->data);
	imap_buf_init(b);
}

static bool
imap_buf_reserve(struct imap_buf *b, size_t more)
{
	size_t na;
	char *n;

	if (b->is_oom)
		return false;
	if (b->len + more + 1 <= b->alloc)
		return true;
	na = b->alloc ? b->alloc : 256;
	while (na < b->len + more + 1) {
		if (na > ((size_t)-1) / 2) {
			b->is_oom = true;
			return false;
		}
		na *= 2;
	}
	n = realloc(b->data, na);
	if (n == NULL) {
		b->is_oom = true;
		return false;
	}
	b->data = n;
	b->alloc = na;
	return true;
}

void
imap_buf_add(struct imap_buf *b, const void *data, size_t len)
{
	if (len == 0 || !imap_buf_reserve(b, len))
		return;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
imap_buf_str(struct imap_buf *b, const char *s)
{
	imap_buf_add(b, s, strlen(s));
}

void
imap_buf_printf(struct imap_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !imap_buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
imap_buf_quote(struct imap_buf *b, const char *s, size_t len, enum imap_quote_mode mode)
{
	size_t need;

	if (s == NULL) {
		imap_buf_str(b, "NIL");
		return;
	}
	need = imap_quote(NULL, 0, s, len, mode);
	if (!imap_buf_reserve(b, need))
		return;
	imap_quote(b->data + b->len, need + 1, s, len, mode);
	b->len += need;
}

void
imap_buf_nstring(struct imap_buf *b, const char *s)
{
	if (s == NULL || *s == '\0') {
		imap_buf_str(b, "NIL");
		return;
	}
	imap_buf_quote(b, s, strlen(s), IMAP_QUOTE_STRING);
}
