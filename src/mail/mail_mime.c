/*
 * mail_mime.c - MIME part tree of a message in memory. PURE: libc only.
 *
 * Responsible for splitting multiparts at their delimiter lines (RFC 2046
 * 5.1.1: the line end before a delimiter belongs to the delimiter; a
 * delimiter line may carry trailing white space), for descending into
 * message/rfc822 bodies (RFC 2046 5.2.1), and for reading each part's
 * Content-* fields. Does not decode bodies (mail_codec.c) and keeps no
 * pointers into the message: offsets only.
 *
 * Each level scans only the region its parent gave it, so the work is at
 * most MAIL_MIME_DEPTH_MAX passes over the message.
 */
#include "mail/mail_mime.h"

#include <stdlib.h>
#include <string.h>

#include "core/core_limits.h"
#include "mail/mail_header.h"

struct mail_mime_ctx {
	const char *msg; /* borrowed */
	size_t nparts;
};

static int mail_mime_parse_part(struct mail_mime_ctx *ctx, size_t off, size_t end, unsigned depth,
        bool is_digest_child, struct mail_part **part_r);

bool
mail_part_is(const struct mail_part *p, const char *type, const char *subtype)
{
	return strcmp(p->type, type) == 0 && (subtype == NULL || strcmp(p->subtype, subtype) == 0);
}

unsigned
mail_part_flags_all(const struct mail_part *p)
{
	unsigned flags = p->flags;
	const struct mail_part *c;

	for (c = p->children; c != NULL; c = c->next)
		flags |= mail_part_flags_all(c);
	if (p->message != NULL)
		flags |= mail_part_flags_all(p->message);
	return flags;
}

void
mail_part_free(struct mail_part **partp)
{
	struct mail_part *p = *partp, *c, *next;

	if (p == NULL)
		return;
	for (c = p->children; c != NULL; c = next) {
		next = c->next;
		mail_part_free(&c);
	}
	mail_part_free(&p->message);
	free(p->type);
	free(p->subtype);
	mail_params_free(&p->params);
	free(p->encoding);
	free(p->disposition);
	mail_params_free(&p->disp_params);
	free(p->language);
	free(p->location);
	free(p->id);
	free(p->description);
	free(p->md5);
	free(p);
	*partp = NULL;
}

/* mail_mime_count_lines - lines of s[0..n); a final line without LF counts. */
static size_t
mail_mime_count_lines(const char *s, size_t n)
{
	size_t lines = 0;
	const char *p = s, *end = s + n, *lf;

	while (p < end && (lf = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		lines++;
		p = lf + 1;
	}
	return p < end ? lines + 1 : lines;
}

/* mail_mime_field_dup - unfolded copy of a field into *dst once; a repeat sets dup. */
static int
mail_mime_field_dup(const struct mail_field *f, char **dst, bool *is_dup_r)
{
	if (*dst != NULL) {
		if (is_dup_r != NULL)
			*is_dup_r = true;
		return 0;
	}
	*dst = mail_header_unfold(f->value, f->value_len);
	return *dst == NULL ? -1 : 0;
}

/* mail_mime_set_type - interpret Content-Type once the header was read. */
static int
mail_mime_set_type(struct mail_part *p, char *ctype, bool is_digest_child)
{
	int r;

	if (ctype == NULL) {
		p->type = strdup(is_digest_child ? "message" : "text");
		p->subtype = strdup(is_digest_child ? "rfc822" : "plain");
		return p->type == NULL || p->subtype == NULL ? -1 : 0;
	}
	p->has_content_type = true;
	r = mail_content_type_parse(ctype, &p->type, &p->subtype, &p->params);
	if (r < 0)
		return -1;
	if (r > 0)
		p->flags |= MAIL_PART_BAD_CONTENT_TYPE;
	return 0;
}

/* mail_mime_read_fields - fill the Content-* fields of p from its header. */
static int
mail_mime_read_fields(struct mail_part *p, const char *hdr, size_t len, bool is_digest_child)
{
	struct mail_field f;
	size_t pos = 0;
	char *ctype = NULL, *disp = NULL;
	bool is_dup = false;
	int r = 0;

	while (r == 0 && mail_header_next(hdr, len, &pos, &f)) {
		if (mail_field_is(&f, "Content-Type"))
			r = mail_mime_field_dup(&f, &ctype, &is_dup);
		else if (mail_field_is(&f, "Content-Transfer-Encoding"))
			r = mail_mime_field_dup(&f, &p->encoding, &is_dup);
		else if (mail_field_is(&f, "Content-Disposition"))
			r = mail_mime_field_dup(&f, &disp, NULL);
		else if (mail_field_is(&f, "Content-Language"))
			r = mail_mime_field_dup(&f, &p->language, NULL);
		else if (mail_field_is(&f, "Content-Location"))
			r = mail_mime_field_dup(&f, &p->location, NULL);
		else if (mail_field_is(&f, "Content-ID"))
			r = mail_mime_field_dup(&f, &p->id, NULL);
		else if (mail_field_is(&f, "Content-Description"))
			r = mail_mime_field_dup(&f, &p->description, NULL);
		else if (mail_field_is(&f, "Content-MD5"))
			r = mail_mime_field_dup(&f, &p->md5, NULL);
	}
	if (is_dup)
		p->flags |= MAIL_PART_DUP_CONTENT_FIELD;
	/* RFC 2557 4.4.1: white space of a folded Content-Location is not part of the URI */
	if (r == 0 && p->location != NULL) {
		size_t o = 0;

		for (size_t i = 0; p->location[i] != '\0'; i++)
			if (p->location[i] != ' ' && p->location[i] != '\t')
				p->location[o++] = p->location[i];
		p->location[o] = '\0';
	}
	if (r == 0 && p->encoding != NULL)
		for (char *e = p->encoding; *e != '\0'; e++)
			if (*e >= 'A' && *e <= 'Z')
				*e = (char)(*e + 32);
	if (r == 0)
		r = mail_mime_set_type(p, ctype, is_digest_child);
	if (r == 0 && disp != NULL &&
	        mail_disposition_parse(disp, &p->disposition, &p->disp_params) < 0)
		r = -1;
	free(ctype);
	free(disp);
	return r;
}

/*
 * mail_mime_delim - classify the line at s[pos..end) against boundary b:
 * 0 not a delimiter, 1 delimiter, 2 closing delimiter. Trailing white
 * space is allowed (RFC 2046 5.1.1 transport padding).
 */
static int
mail_mime_delim(const char *s, size_t pos, size_t end, const char *b, size_t blen)
{
	size_t i = pos + 2 + blen;
	int kind = 1;

	if (end - pos < 2 + blen || s[pos] != '-' || s[pos + 1] != '-' ||
	        memcmp(s + pos + 2, b, blen) != 0)
		return 0;
	if (i + 1 < end && s[i] == '-' && s[i + 1] == '-') {
		kind = 2;
		i += 2;
	}
	for (; i < end; i++) {
		if (s[i] == '\n')
			return kind;
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	}
	return kind;
}

/* mail_mime_before_eol - start of the line end preceding pos (pos if none). */
static size_t
mail_mime_before_eol(const char *s, size_t start, size_t pos)
{
	if (pos > start && s[pos - 1] == '\n') {
		pos--;
		if (pos > start && s[pos - 1] == '\r')
			pos--;
	}
	return pos;
}

/* mail_mime_add_child - parse s[off..end) as the next child of p. */
static int
mail_mime_add_child(struct mail_mime_ctx *ctx, struct mail_part *p, struct mail_part ***tail,
        size_t off, size_t end)
{
	struct mail_part *c;

	if (ctx->nparts >= MAIL_MIME_PARTS_MAX) {
		p->flags |= MAIL_PART_TRUNCATED;
		return 0;
	}
	if (mail_mime_parse_part(
	            ctx, off, end, p->depth + 1, strcmp(p->subtype, "digest") == 0, &c) < 0)
		return -1;
	**tail = c;
	*tail = &c->next;
	p->nchildren++;
	return 0;
}

/* mail_mime_split - split the body of multipart p at its delimiters. */
static int
mail_mime_split(struct mail_mime_ctx *ctx, struct mail_part *p)
{
	const char *s = ctx->msg;
	size_t blen = strlen(p->boundary), pos = p->body_off;
	size_t end = p->body_off + p->body_len, part_start = 0;
	struct mail_part **tail = &p->children;
	bool is_in_part = false;

	while (pos < end) {
		const char *lf = memchr(s + pos, '\n', end - pos);
		size_t next = lf == NULL ? end : (size_t)(lf - s) + 1;
		int kind = mail_mime_delim(s, pos, next, p->boundary, blen);

		if (kind != 0) {
			if (is_in_part &&
			        mail_mime_add_child(ctx, p, &tail, part_start,
			                mail_mime_before_eol(s, part_start, pos)) < 0)
				return -1;
			if (kind == 2)
				return 0; /* the epilogue is ignored */
			is_in_part = true;
			part_start = next;
		}
		pos = next;
	}
	if (!is_in_part) {
		p->flags |= MAIL_PART_NO_PARTS | MAIL_PART_NO_CLOSE;
		return 0;
	}
	p->flags |= MAIL_PART_NO_CLOSE;
	return mail_mime_add_child(ctx, p, &tail, part_start, end);
}

/* mail_mime_descend - children of multiparts, embedded message of message/rfc822. */
static int
mail_mime_descend(struct mail_mime_ctx *ctx, struct mail_part *p)
{
	bool is_multi = strcmp(p->type, "multipart") == 0;
	bool is_msg = mail_part_is(p, "message", "rfc822") &&
	        (p->encoding == NULL || strcmp(p->encoding, "7bit") == 0 ||
	                strcmp(p->encoding, "8bit") == 0 || strcmp(p->encoding, "binary") == 0);

	if (!is_multi && !is_msg)
		return 0;
	if (p->depth + 1 >= MAIL_MIME_DEPTH_MAX) {
		p->flags |= MAIL_PART_TRUNCATED;
		return 0;
	}
	if (is_msg) {
		if (ctx->nparts >= MAIL_MIME_PARTS_MAX) {
			p->flags |= MAIL_PART_TRUNCATED;
			return 0;
		}
		return mail_mime_parse_part(ctx, p->body_off, p->body_off + p->body_len,
		        p->depth + 1, false, &p->message);
	}
	p->boundary = mail_params_get(&p->params, "boundary");
	if (p->boundary == NULL || p->boundary[0] == '\0' ||
	        strlen(p->boundary) > MAIL_BOUNDARY_MAX) {
		p->boundary = NULL;
		p->flags |= MAIL_PART_NO_BOUNDARY;
		return 0;
	}
	return mail_mime_split(ctx, p);
}

/* mail_mime_parse_part - parse msg[off..end) as one part (header + body). */
static int
mail_mime_parse_part(struct mail_mime_ctx *ctx, size_t off, size_t end, unsigned depth,
        bool is_digest_child, struct mail_part **part_r)
{
	struct mail_part *p = calloc(1, sizeof(*p));
	size_t body_rel;

	*part_r = NULL;
	if (p == NULL)
		return -1;
	ctx->nparts++;
	p->off = off;
	p->depth = depth;
	p->hdr_len = mail_header_end(ctx->msg + off, end - off, &body_rel);
	p->body_off = off + body_rel;
	p->body_len = end - p->body_off;
	p->body_lines = mail_mime_count_lines(ctx->msg + p->body_off, p->body_len);
	if (mail_mime_read_fields(p, ctx->msg + off, p->hdr_len, is_digest_child) < 0 ||
	        mail_mime_descend(ctx, p) < 0) {
		mail_part_free(&p);
		return -1;
	}
	*part_r = p;
	return 0;
}

int
mail_mime_parse(const char *msg, size_t len, struct mail_part **root_r, const char **error_r)
{
	struct mail_mime_ctx ctx = {.msg = msg, .nparts = 0};

	if (mail_mime_parse_part(&ctx, 0, len, 0, false, root_r) < 0) {
		*error_r = "out of memory";
		return -1;
	}
	return 0;
}
