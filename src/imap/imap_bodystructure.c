/*
 * imap_bodystructure.c - BODYSTRUCTURE (RFC 3501 7.4.2 and 9 `body`,
 * SPEC IMAP-37). PURE.
 *
 * Types, subtypes, encodings and parameter names are rendered in upper
 * case (mail_mime keeps them lower case); values raw. Missing headers give
 * the RFC defaults ("TEXT" "PLAIN" ("CHARSET" "us-ascii")) and "7BIT".
 * Extension data: MD5 (always NIL), disposition, language, location.
 */
#include "imap/imap_bodystructure.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "imap/imap_envelope.h"
#include "mail/mail_mime.h"

#define IMAP_BS_DEPTH_MAX 64

static void
imap_bs_upper(struct imap_buf *b, const char *s)
{
	char tmp[256];
	size_t n = strlen(s);

	if (n >= sizeof(tmp)) {
		imap_buf_nstring(b, s);
		return;
	}
	for (size_t i = 0; i <= n; i++)
		tmp[i] = (char)toupper((unsigned char)s[i]);
	imap_buf_nstring(b, tmp);
}

static void
imap_bs_params(struct imap_buf *b, const struct mail_params *ps)
{
	if (ps->count == 0) {
		imap_buf_str(b, "NIL");
		return;
	}
	imap_buf_str(b, "(");
	for (size_t i = 0; i < ps->count; i++) {
		if (i > 0)
			imap_buf_str(b, " ");
		imap_bs_upper(b, ps->v[i].name);
		imap_buf_str(b, " ");
		imap_buf_quote(b, ps->v[i].value, strlen(ps->v[i].value), IMAP_QUOTE_STRING);
	}
	imap_buf_str(b, ")");
}

/* imap_bs_ext_tail - disposition, language, location (shared by both forms). */
static void
imap_bs_ext_tail(struct imap_buf *b, const struct mail_part *p)
{
	imap_buf_str(b, " ");
	if (p->disposition != NULL) {
		imap_buf_str(b, "(");
		imap_bs_upper(b, p->disposition);
		imap_buf_str(b, " ");
		imap_bs_params(b, &p->disp_params);
		imap_buf_str(b, ")");
	} else {
		imap_buf_str(b, "NIL");
	}
	imap_buf_str(b, " ");
	imap_buf_nstring(b, p->language);
	imap_buf_str(b, " ");
	imap_buf_nstring(b, p->location);
}

static void imap_bs_part(struct imap_buf *b, const char *msg, size_t len,
        const struct mail_part *p, bool is_ext, unsigned depth);

static void
imap_bs_multipart(struct imap_buf *b, const char *msg, size_t len, const struct mail_part *p,
        bool is_ext, unsigned depth)
{
	if (p->children == NULL) {
		/* RFC 3501 needs at least one part: render an empty text part. */
		imap_buf_str(b, "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 0 0)");
	}
	for (const struct mail_part *c = p->children; c != NULL; c = c->next)
		imap_bs_part(b, msg, len, c, is_ext, depth + 1);
	imap_buf_str(b, " ");
	imap_bs_upper(b, p->subtype);
	if (!is_ext)
		return;
	imap_buf_str(b, " ");
	imap_bs_params(b, &p->params);
	imap_bs_ext_tail(b, p);
}

static void
imap_bs_single(struct imap_buf *b, const char *msg, size_t len, const struct mail_part *p,
        bool is_ext, unsigned depth)
{
	bool is_text = strcmp(p->type, "text") == 0;

	imap_bs_upper(b, p->type);
	imap_buf_str(b, " ");
	imap_bs_upper(b, p->subtype);
	imap_buf_str(b, " ");
	if (!p->has_content_type && is_text && p->params.count == 0)
		imap_buf_str(b, "(\"CHARSET\" \"us-ascii\")");
	else
		imap_bs_params(b, &p->params);
	imap_buf_str(b, " ");
	imap_buf_nstring(b, p->id);
	imap_buf_str(b, " ");
	imap_buf_nstring(b, p->description);
	imap_buf_str(b, " ");
	imap_bs_upper(b, p->encoding != NULL ? p->encoding : "7bit");
	imap_buf_printf(b, " %zu", p->body_len);
	if (p->message != NULL && mail_part_is(p, "message", "rfc822")) {
		const struct mail_part *m = p->message;
		size_t hoff = m->off < len ? m->off : len;
		size_t hlen = m->hdr_len <= len - hoff ? m->hdr_len : len - hoff;

		imap_buf_str(b, " ");
		imap_envelope_render(b, msg + hoff, hlen);
		imap_buf_str(b, " ");
		imap_bs_part(b, msg, len, m, is_ext, depth + 1);
		imap_buf_printf(b, " %zu", p->body_lines);
	} else if (is_text) {
		imap_buf_printf(b, " %zu", p->body_lines);
	}
	if (!is_ext)
		return;
	imap_buf_str(b, " NIL"); /* MD5 (IMAP-37) */
	imap_bs_ext_tail(b, p);
}

static void
imap_bs_part(struct imap_buf *b, const char *msg, size_t len, const struct mail_part *p,
        bool is_ext, unsigned depth)
{
	imap_buf_str(b, "(");
	if (depth > IMAP_BS_DEPTH_MAX)
		imap_buf_str(b, "\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 0 0");
	else if (strcmp(p->type, "multipart") == 0)
		imap_bs_multipart(b, msg, len, p, is_ext, depth);
	else
		imap_bs_single(b, msg, len, p, is_ext, depth);
	imap_buf_str(b, ")");
}

void
imap_bodystructure_render(struct imap_buf *b, const char *msg, size_t len,
        const struct mail_part *p, bool is_extended)
{
	imap_bs_part(b, msg, len, p, is_extended, 0);
}
