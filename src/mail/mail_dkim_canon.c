/*
 * mail_dkim_canon.c - DKIM canonicalisation (RFC 6376 3.4) and the split
 * of a header section into fields. PURE: libc and core/ only.
 *
 * The body canonicaliser is a small state machine over octets so that it
 * gives the same output however the body is cut into chunks: a CR is held
 * until the next octet shows whether it ends the line, white space (relaxed)
 * is held until content follows on the same line, and empty lines are only
 * counted until a non-empty line shows they were not trailing (3.4.3/3.4.4:
 * trailing empty lines are ignored).
 *
 * Does not hash, allocate in the body path, or touch files and sockets.
 */
#include "mail/mail_dkim_canon.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* mail_dkim_is_wsp - WSP of RFC 5234: SP or HTAB. */
static bool
mail_dkim_is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* mail_dkim_body_flush - hand the staged octets to the consumer. */
static void
mail_dkim_body_flush(struct mail_dkim_body *b)
{
	if (b->buf_len == 0)
		return;
	b->out(b->out_ctx, b->buf, b->buf_len);
	b->emitted += b->buf_len;
	b->buf_len = 0;
}

/* mail_dkim_body_put - stage one canonical octet. */
static void
mail_dkim_body_put(struct mail_dkim_body *b, unsigned char c)
{
	if (b->buf_len == sizeof(b->buf))
		mail_dkim_body_flush(b);
	b->buf[b->buf_len++] = c;
}

/* mail_dkim_body_content - a content octet of the current line. */
static void
mail_dkim_body_content(struct mail_dkim_body *b, unsigned char c)
{
	/* The held empty lines were not trailing after all. */
	for (; b->empty_lines > 0; b->empty_lines--) {
		mail_dkim_body_put(b, '\r');
		mail_dkim_body_put(b, '\n');
	}
	if (b->has_wsp) {
		mail_dkim_body_put(b, ' '); /* 3.4.4: a WSP run becomes one SP */
		b->has_wsp = false;
	}
	mail_dkim_body_put(b, c);
	b->has_line = true;
}

/* mail_dkim_body_eol - end of the current line. */
static void
mail_dkim_body_eol(struct mail_dkim_body *b)
{
	b->has_wsp = false; /* 3.4.4: WSP at the end of a line is ignored */
	if (b->has_line) {
		mail_dkim_body_put(b, '\r');
		mail_dkim_body_put(b, '\n');
		b->has_line = false;
	} else {
		b->empty_lines++;
	}
}

/* mail_dkim_body_octet - one octet that is not the LF of a line end. */
static void
mail_dkim_body_octet(struct mail_dkim_body *b, unsigned char c)
{
	/* Relaxed holds WSP back (3.4.4); simple keeps it as content (3.4.3). */
	if (b->canon == MAIL_DKIM_CANON_RELAXED && mail_dkim_is_wsp(c))
		b->has_wsp = true;
	else
		mail_dkim_body_content(b, c);
}

void
mail_dkim_body_init(
        struct mail_dkim_body *b, enum mail_dkim_canon canon, mail_dkim_out_fn *out, void *out_ctx)
{
	memset(b, 0, sizeof(*b));
	b->canon = canon;
	b->out = out;
	b->out_ctx = out_ctx;
}

/* mail_dkim_is_plain - an octet that is content in every canonicalisation and state. */
static bool
mail_dkim_is_plain(unsigned char c)
{
	return c != '\r' && c != '\n' && c != ' ' && c != '\t';
}

/* mail_dkim_body_run - n > 0 plain octets: the common case, copied as a block. */
static void
mail_dkim_body_run(struct mail_dkim_body *b, const unsigned char *p, size_t n)
{
	mail_dkim_body_content(b, p[0]); /* settles held lines and white space */
	p++;
	n--;
	if (n >= sizeof(b->buf) / 2) {
		/* Long runs go straight to the consumer, without a copy. */
		mail_dkim_body_flush(b);
		b->out(b->out_ctx, p, n);
		b->emitted += n;
		return;
	}
	if (b->buf_len + n > sizeof(b->buf))
		mail_dkim_body_flush(b);
	memcpy(b->buf + b->buf_len, p, n);
	b->buf_len += n;
}

void
mail_dkim_body_feed(struct mail_dkim_body *b, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (!b->has_cr && mail_dkim_is_plain(c)) {
			size_t j = i + 1;

			while (j < len && mail_dkim_is_plain(p[j]))
				j++;
			mail_dkim_body_run(b, p + i, j - i);
			i = j - 1;
			continue;
		}

		if (c == '\n') {
			b->has_cr = false; /* CRLF or bare LF: a line end either way */
			mail_dkim_body_eol(b);
			continue;
		}
		if (b->has_cr) {
			b->has_cr = false;
			mail_dkim_body_content(b, '\r'); /* a lone CR is an ordinary octet */
		}
		if (c == '\r')
			b->has_cr = true;
		else
			mail_dkim_body_octet(b, c);
	}
	mail_dkim_body_flush(b);
}

uint64_t
mail_dkim_body_finish(struct mail_dkim_body *b)
{
	if (b->has_cr) {
		b->has_cr = false;
		mail_dkim_body_content(b, '\r');
	}
	/* A last line without a line end gets one (3.4.3, 3.4.4). */
	if (b->has_line)
		mail_dkim_body_eol(b);
	/* 3.4.3: a simple body that is empty (or only empty lines) is one CRLF. */
	if (b->canon == MAIL_DKIM_CANON_SIMPLE && b->emitted == 0 && b->buf_len == 0) {
		mail_dkim_body_put(b, '\r');
		mail_dkim_body_put(b, '\n');
	}
	b->empty_lines = 0;
	mail_dkim_body_flush(b);
	return b->emitted;
}

/* mail_dkim_canon_simple - 3.4.1: unchanged, except that a bare LF ends a line as CRLF. */
static size_t
mail_dkim_canon_simple(const char *field, size_t len, char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (field[i] == '\n' && (i == 0 || field[i - 1] != '\r'))
			out[n++] = '\r';
		out[n++] = field[i];
	}
	if (n < 2 || out[n - 1] != '\n') {
		out[n++] = '\r';
		out[n++] = '\n';
	}
	return n;
}

/* mail_dkim_canon_relaxed - 3.4.2 for a field whose colon is at colon. */
static size_t
mail_dkim_canon_relaxed(const char *field, size_t len, size_t colon, char *out)
{
	size_t n = 0, name_end = colon;
	bool has_wsp = false, has_value = false;

	/* Lowercase name, WSP before the colon removed. */
	while (name_end > 0 && mail_dkim_is_wsp((unsigned char)field[name_end - 1]))
		name_end--;
	for (size_t i = 0; i < name_end; i++) {
		char c = field[i];

		out[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	out[n++] = ':';
	/* Value: unfold (line ends are dropped), WSP runs to one SP, no WSP at either end. */
	for (size_t i = colon + 1; i < len; i++) {
		unsigned char c = (unsigned char)field[i];

		if (c == '\r' && i + 1 < len && field[i + 1] == '\n')
			continue;
		if (c == '\n') {
			has_wsp = has_value; /* a fold is white space inside the value */
			continue;
		}
		if (mail_dkim_is_wsp(c)) {
			has_wsp = has_value;
			continue;
		}
		if (has_wsp)
			out[n++] = ' ';
		has_wsp = false;
		has_value = true;
		out[n++] = (char)c;
	}
	out[n++] = '\r';
	out[n++] = '\n';
	return n;
}

int
mail_dkim_canon_header(
        enum mail_dkim_canon canon, const char *field, size_t len, char **out_r, size_t *out_len_r)
{
	const char *colon = memchr(field, ':', len);
	char *out;

	*out_r = NULL;
	if (colon == NULL) {
		errno = EINVAL;
		return -1;
	}
	/* Worst case: simple turns every bare LF into CRLF and adds a line end. */
	out = malloc(2 * len + 3);
	if (out == NULL)
		return -1;
	if (canon == MAIL_DKIM_CANON_SIMPLE)
		*out_len_r = mail_dkim_canon_simple(field, len, out);
	else
		*out_len_r = mail_dkim_canon_relaxed(field, len, (size_t)(colon - field), out);
	out[*out_len_r] = '\0';
	*out_r = out;
	return 0;
}

/* mail_dkim_line_end - offset just after the LF ending the line at off, or len. */
static size_t
mail_dkim_line_end(const char *buf, size_t len, size_t off)
{
	const char *lf = memchr(buf + off, '\n', len - off);

	return lf != NULL ? (size_t)(lf - buf) + 1 : len;
}

/* mail_dkim_field_name_len - the name's length, or 0 when the line has no colon. */
static size_t
mail_dkim_field_name_len(const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len);
	size_t n;

	if (colon == NULL)
		return 0;
	n = (size_t)(colon - line);
	while (n > 0 && mail_dkim_is_wsp((unsigned char)line[n - 1]))
		n--;
	return n;
}

/* mail_dkim_header_add - start a field at off, or skip a line that is not one. */
static int
mail_dkim_header_add(const char *buf, size_t off, size_t end, struct mail_dkim_header *h)
{
	size_t name_len = mail_dkim_field_name_len(buf + off, end - off);

	if (name_len == 0)
		return 0;
	if (h->count == DKIM_FIELDS_MAX)
		return -1;
	h->fields[h->count].off = off;
	h->fields[h->count].len = end - off;
	h->fields[h->count].name_len = name_len;
	h->count++;
	return 1;
}

enum mail_dkim_parse
mail_dkim_header_split(const char *buf, size_t len, bool at_eof, struct mail_dkim_header *h)
{
	size_t off = 0;
	bool in_field = false;

	h->count = 0;
	h->body_off = 0;
	while (off < len) {
		size_t end = mail_dkim_line_end(buf, len, off);
		int rc;

		if (end > DKIM_HEADER_MAX)
			return MAIL_DKIM_PARSE_ERROR;
		if (buf[end - 1] != '\n' && !at_eof)
			return MAIL_DKIM_PARSE_MORE;
		if (buf[off] == '\n' ||
		        (buf[off] == '\r' && off + 1 < len && buf[off + 1] == '\n')) {
			h->body_off = end; /* the empty line ends the header section */
			return MAIL_DKIM_PARSE_COMPLETE;
		}
		if (mail_dkim_is_wsp((unsigned char)buf[off])) {
			if (in_field) /* a continuation line belongs to the field above */
				h->fields[h->count - 1].len = end - h->fields[h->count - 1].off;
		} else {
			rc = mail_dkim_header_add(buf, off, end, h);
			if (rc < 0)
				return MAIL_DKIM_PARSE_ERROR;
			in_field = rc > 0;
		}
		off = end;
	}
	if (!at_eof)
		return MAIL_DKIM_PARSE_MORE;
	h->body_off = len;
	return MAIL_DKIM_PARSE_COMPLETE;
}

bool
mail_dkim_field_is(
        const char *buf, const struct mail_dkim_field *f, const char *name, size_t name_len)
{
	return f->name_len == name_len && strncasecmp(buf + f->off, name, name_len) == 0;
}

int
mail_dkim_msg_init(struct mail_dkim_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->h = calloc(1, sizeof(*m->h));
	return m->h != NULL ? 0 : -1;
}

void
mail_dkim_msg_reset(struct mail_dkim_msg *m)
{
	free(m->buf);
	free(m->h);
	memset(m, 0, sizeof(*m));
}

/* mail_dkim_msg_end - offset just after the empty line ending the header, or 0. */
static size_t
mail_dkim_msg_end(const struct mail_dkim_msg *m)
{
	size_t i = m->scan_from;

	if (i == 0 && m->len > 0) {
		/* A message may start with the empty line (no header fields). */
		if (m->buf[0] == '\n')
			return 1;
		if (m->len > 1 && m->buf[0] == '\r' && m->buf[1] == '\n')
			return 2;
	}
	for (; i < m->len; i++) {
		if (m->buf[i] != '\n')
			continue;
		if (i + 1 < m->len && m->buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < m->len && m->buf[i + 1] == '\r' && m->buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* mail_dkim_msg_append - add octets to the held header section. */
static int
mail_dkim_msg_append(struct mail_dkim_msg *m, const void *data, size_t len)
{
	if (m->len + len > m->cap) {
		size_t cap = m->cap ? m->cap : 4096;
		char *p;

		while (cap < m->len + len)
			cap *= 2;
		p = realloc(m->buf, cap);
		if (p == NULL)
			return -1;
		m->buf = p;
		m->cap = cap;
	}
	if (len > 0)
		memcpy(m->buf + m->len, data, len);
	m->len += len;
	return 0;
}

enum mail_dkim_parse
mail_dkim_msg_feed(struct mail_dkim_msg *m, const void *data, size_t len, const char **body_r,
        size_t *body_len_r)
{
	size_t end, keep;

	*body_r = data;
	*body_len_r = len;
	if (m->is_done)
		return MAIL_DKIM_PARSE_COMPLETE;
	*body_len_r = 0;
	/* Never hold more than the limit plus what finds the empty line. */
	keep = len;
	if (m->len + keep > DKIM_HEADER_MAX + 3)
		keep = DKIM_HEADER_MAX + 3 - m->len;
	if (mail_dkim_msg_append(m, data, keep) < 0)
		return MAIL_DKIM_PARSE_ERROR;
	end = mail_dkim_msg_end(m);
	if (end == 0) {
		if (m->len > DKIM_HEADER_MAX)
			return MAIL_DKIM_PARSE_ERROR;
		m->scan_from = m->len > 2 ? m->len - 2 : 0;
		return MAIL_DKIM_PARSE_MORE;
	}
	if (mail_dkim_header_split(m->buf, end, false, m->h) != MAIL_DKIM_PARSE_COMPLETE)
		return MAIL_DKIM_PARSE_ERROR;
	m->is_done = true;
	/* The body starts inside this chunk: end lies within its kept part. */
	*body_r = (const char *)data + (keep - (m->len - end));
	*body_len_r = len - (keep - (m->len - end));
	m->len = end;
	return MAIL_DKIM_PARSE_COMPLETE;
}

enum mail_dkim_parse
mail_dkim_msg_finish(struct mail_dkim_msg *m)
{
	if (m->is_done)
		return MAIL_DKIM_PARSE_COMPLETE;
	if (mail_dkim_header_split(m->buf != NULL ? m->buf : "", m->len, true, m->h) !=
	        MAIL_DKIM_PARSE_COMPLETE)
		return MAIL_DKIM_PARSE_ERROR;
	m->is_done = true;
	return MAIL_DKIM_PARSE_COMPLETE;
}
