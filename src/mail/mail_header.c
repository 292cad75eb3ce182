/*
 * mail_header.c - RFC 5322 header section reading. PURE: libc only.
 *
 * Responsible for finding the header/body split and iterating fields.
 * Does not interpret field bodies (mail_mime.c, mail_address.c do) and
 * never copies the message: fields borrow from the caller's buffer.
 * RFC 5322 2.2 (fields), 2.2.3 (folding), 2.1 (empty line before body).
 */
#include "mail/mail_header.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* mail_line_end - offset just past the line starting at pos (past LF, or len). */
static size_t
mail_line_end(const char *s, size_t len, size_t pos)
{
	const char *lf = memchr(s + pos, '\n', len - pos);

	return lf == NULL ? len : (size_t)(lf - s) + 1;
}

/* mail_is_empty_line - true for "\n" or "\r\n" at pos. */
static bool
mail_is_empty_line(const char *s, size_t len, size_t pos)
{
	if (pos < len && s[pos] == '\n')
		return true;
	return pos + 1 < len && s[pos] == '\r' && s[pos + 1] == '\n';
}

size_t
mail_header_end(const char *msg, size_t len, size_t *body_off_r)
{
	size_t pos = 0;

	while (pos < len) {
		if (mail_is_empty_line(msg, len, pos)) {
			*body_off_r = pos + (msg[pos] == '\n' ? 1 : 2);
			return pos;
		}
		pos = mail_line_end(msg, len, pos);
	}
	*body_off_r = len;
	return len;
}

/* mail_trim_line_end - length of s[0..n) without a final LF or CRLF. */
static size_t
mail_trim_line_end(const char *s, size_t n)
{
	if (n > 0 && s[n - 1] == '\n')
		n--;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	return n;
}

bool
mail_header_next(const char *hdr, size_t len, size_t *pos, struct mail_field *f_r)
{
	size_t start = *pos, end, n;
	const char *colon;

	if (start >= len)
		return false;
	end = mail_line_end(hdr, len, start);
	/* continuation lines belong to this field (RFC 5322 2.2.3) */
	while (end < len && (hdr[end] == ' ' || hdr[end] == '\t'))
		end = mail_line_end(hdr, len, end);
	n = mail_trim_line_end(hdr + start, end - start);
	f_r->off = start;
	f_r->len = end - start;
	f_r->name = hdr + start;
	colon = memchr(hdr + start, ':', n);
	/* a name is printable ASCII without space or colon (RFC 5322 3.6.8) */
	if (colon != NULL && colon > hdr + start) {
		size_t nl = (size_t)(colon - (hdr + start));
		size_t i;

		/* obsolete syntax allows WSP before the colon (RFC 5322 4.5.8) */
		while (nl > 0 && (hdr[start + nl - 1] == ' ' || hdr[start + nl - 1] == '\t'))
			nl--;
		for (i = 0; i < nl; i++) {
			unsigned char c = (unsigned char)hdr[start + i];

			if (c <= 32 || c >= 127)
				break;
		}
		if (nl > 0 && i == nl) {
			f_r->name_len = nl;
			f_r->value = colon + 1;
			f_r->value_len = n - (size_t)(colon + 1 - (hdr + start));
			*pos = end;
			return true;
		}
	}
	f_r->name_len = 0;
	f_r->value = hdr + start;
	f_r->value_len = n;
	*pos = end;
	return true;
}

bool
mail_field_is(const struct mail_field *f, const char *name)
{
	size_t n = strlen(name);

	return f->name_len == n && strncasecmp(f->name, name, n) == 0;
}

bool
mail_header_find(const char *hdr, size_t len, const char *name, struct mail_field *f_r)
{
	size_t pos = 0;

	while (mail_header_next(hdr, len, &pos, f_r)) {
		if (mail_field_is(f_r, name))
			return true;
	}
	return false;
}

size_t
mail_header_count(const char *hdr, size_t len, const char *name)
{
	struct mail_field f;
	size_t pos = 0, count = 0;

	while (mail_header_next(hdr, len, &pos, &f)) {
		if (mail_field_is(&f, name))
			count++;
	}
	return count;
}

char *
mail_header_unfold(const char *value, size_t len)
{
	char *out = malloc(len + 1);
	size_t i, o = 0, start = 0;

	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		char c = value[i];

		if (c == '\r' || c == '\n')
			continue;
		out[o++] = c == '\0' ? ' ' : c;
	}
	while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\t'))
		o--;
	while (start < o && (out[start] == ' ' || out[start] == '\t'))
		start++;
	memmove(out, out + start, o - start);
	out[o - start] = '\0';
	return out;
}

void
mail_header_skip_comment(const char *s, size_t *i)
{
	/* a counter, not recursion: deep nesting costs no stack */
	int depth = 0;

	do {
		if (s[*i] == '\\' && s[*i + 1] != '\0')
			(*i)++;
		else if (s[*i] == '(')
			depth++;
		else if (s[*i] == ')')
			depth--;
		(*i)++;
	} while (s[*i] != '\0' && depth > 0);
}
