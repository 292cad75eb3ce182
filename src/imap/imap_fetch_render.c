/*
 * imap_fetch_render.c - FETCH response items (RFC 3501 6.4.5, 7.4.2; SPEC
 * IMAP-35..39). PURE.
 *
 * Sections follow RFC 3501 part numbering: part 1 of a non-multipart
 * message is its body; HEADER/TEXT after a number address the message
 * inside a message/rfc822 part; MIME the part's own header. Missing
 * sections and offsets past the end give an empty string. Message data is
 * always a literal, closed by the next item or `)` (IMAP-38).
 */
#include "imap/imap_fetch_render.h"

#include <string.h>
#include <strings.h>

#include "imap/imap_bodystructure.h"
#include "imap/imap_envelope.h"
#include "imap/imap_quote.h"
#include "imap/imap_store_parse.h"
#include "mail/mail_header.h"
#include "mail/mail_mime.h"

void
imap_fetch_flags(struct imap_buf *b, uint32_t flags, uint64_t keywords, char *const *table,
        size_t count)
{
	bool is_first = true;

	/* the recent bit here means \\Recent in this session (IMAP-31) */
	for (unsigned i = 0; i < 6; i++) {
		const char *name = imap_flag_shown_name(1u << i);

		if (!(flags & (1u << i)) || name == NULL)
			continue;
		imap_buf_str(b, is_first ? "" : " ");
		imap_buf_str(b, name);
		is_first = false;
	}
	for (size_t i = 0; i < count && i < 64; i++) {
		if (!(keywords & (1ULL << i)) || table[i] == NULL)
			continue;
		imap_buf_str(b, is_first ? "" : " ");
		imap_buf_str(b, table[i]);
		is_first = false;
	}
}

bool
imap_fetch_only_header(const struct imap_fetch_request *req)
{
	for (size_t i = 0; i < req->count; i++) {
		const struct imap_fetch_item *it = &req->items[i];

		switch (it->att) {
		case IMAP_FETCH_RFC822_HEADER:
		case IMAP_FETCH_ENVELOPE:
			break;
		case IMAP_FETCH_BODY_SECTION:
			if (it->section.part_count > 0 ||
			        (it->section.text != IMAP_SECTION_HEADER &&
			                it->section.text != IMAP_SECTION_HEADER_FIELDS &&
			                it->section.text != IMAP_SECTION_HEADER_FIELDS_NOT))
				return false;
			break;
		case IMAP_FETCH_RFC822:
		case IMAP_FETCH_RFC822_TEXT:
		case IMAP_FETCH_BODY:
		case IMAP_FETCH_BODYSTRUCTURE:
			return false;
		default:
			break;
		}
	}
	return true;
}

/* imap_fr_field_wanted - the field name is in (or, for .NOT, not in) the list. */
static bool
imap_fr_field_wanted(const struct imap_fetch_section *sec, const struct mail_field *f)
{
	bool is_in = false;

	for (size_t i = 0; i < sec->field_count && !is_in; i++)
		is_in = f->name_len == strlen(sec->fields[i]) &&
		        strncasecmp(f->name, sec->fields[i], f->name_len) == 0;
	return sec->text == IMAP_SECTION_HEADER_FIELDS_NOT ? !is_in : is_in;
}

/* imap_fr_header - a header section: raw fields (all or selected) and the empty line. */
static void
imap_fr_header(struct imap_buf *out, const struct imap_fetch_section *sec, const char *hdr,
        size_t len)
{
	struct mail_field f;
	size_t pos = 0;

	if (sec->text == IMAP_SECTION_HEADER || sec->text == IMAP_SECTION_MIME) {
		imap_buf_add(out, hdr, len);
	} else {
		while (mail_header_next(hdr, len, &pos, &f))
			if (f.name_len > 0 && imap_fr_field_wanted(sec, &f))
				imap_buf_add(out, hdr + f.off, f.len);
	}
	imap_buf_add(out, "\r\n", 2);
}

/* imap_fr_find - the part addressed by parts[0..n) (RFC 3501 6.4.5), or NULL. */
static const struct mail_part *
imap_fr_find(const struct mail_part *root, const uint32_t *parts, size_t n)
{
	const struct mail_part *p = root;

	for (size_t i = 0; i < n && p != NULL; i++) {
		if (i > 0 && p->message != NULL)
			p = p->message;
		if (p->type != NULL && strcmp(p->type, "multipart") == 0) {
			const struct mail_part *c = p->children;

			for (uint32_t k = 1; c != NULL && k < parts[i]; k++)
				c = c->next;
			p = c;
		} else if (parts[i] != 1) {
			p = NULL;
		}
	}
	return p;
}

/* imap_fr_section - the octets of a section into out (empty when it does not exist). */
static void
imap_fr_section(struct imap_buf *out, const struct imap_fetch_section *sec, const char *data,
        size_t len, const struct mail_part *root)
{
	const struct mail_part *p = root, *m;
	size_t body_off = len, hlen;

	if (sec->part_count == 0) {
		hlen = mail_header_end(data, len, &body_off);
		if (sec->text == IMAP_SECTION_NONE)
			imap_buf_add(out, data, len);
		else if (sec->text == IMAP_SECTION_TEXT)
			imap_buf_add(out, data + body_off, len - body_off);
		else
			imap_fr_header(out, sec, data, hlen);
		return;
	}
	p = root != NULL ? imap_fr_find(root, sec->parts, sec->part_count) : NULL;
	if (p == NULL || p->off > len || p->body_off > len)
		return;
	switch (sec->text) {
	case IMAP_SECTION_NONE:
		imap_buf_add(out, data + p->body_off, p->body_len <= len - p->body_off ?
		                                              p->body_len : len - p->body_off);
		break;
	case IMAP_SECTION_MIME:
		imap_fr_header(out, sec, data + p->off, p->hdr_len <= len - p->off ? p->hdr_len : 0);
		break;
	default:
		m = p->message;
		if (m == NULL || m->off > len || m->body_off > len)
			return;
		if (sec->text == IMAP_SECTION_TEXT)
			imap_buf_add(out, data + m->body_off,
			        m->body_len <= len - m->body_off ? m->body_len : len - m->body_off);
		else
			imap_fr_header(out, sec, data + m->off,
			        m->hdr_len <= len - m->off ? m->hdr_len : 0);
		break;
	}
}

/* imap_fr_body_item - `NAME {n}` CRLF octets, with the partial applied (IMAP-36). */
static void
imap_fr_body_item(struct imap_buf *b, const struct imap_fetch_item *it, const char *data,
        size_t len, const struct mail_part *root)
{
	struct imap_fetch_section whole = { 0 };
	const struct imap_fetch_section *sec = &it->section;
	struct imap_buf tmp;
	const char *s;
	size_t n;

	if (it->att == IMAP_FETCH_RFC822)
		sec = &whole;
	else if (it->att == IMAP_FETCH_RFC822_HEADER)
		whole.text = IMAP_SECTION_HEADER, sec = &whole;
	else if (it->att == IMAP_FETCH_RFC822_TEXT)
		whole.text = IMAP_SECTION_TEXT, sec = &whole;
	imap_buf_init(&tmp);
	if (sec->part_count == 0 && sec->text == IMAP_SECTION_NONE) {
		s = data; /* the whole message: no copy */
		n = len;
	} else {
		imap_fr_section(&tmp, sec, data, len, root);
		s = tmp.data;
		n = tmp.len;
	}
	if (it->has_partial) {
		size_t off = it->partial_offset < n ? it->partial_offset : n;

		s = s != NULL ? s + off : s;
		n -= off;
		if (n > it->partial_count)
			n = it->partial_count;
	}
	imap_buf_printf(b, "%s {%zu}\r\n", it->name, n);
	imap_buf_add(b, s, n);
	imap_buf_reset(&tmp);
}

static void
imap_fr_item(struct imap_buf *b, const struct imap_fetch_ctx *fc, const struct imap_fetch_msg *m,
        const struct imap_fetch_item *it, const char *data, size_t len, struct mail_part *root)
{
	char date[IMAP_DATE_TIME_SIZE];
	size_t hlen, body_off;

	switch (it->att) {
	case IMAP_FETCH_FLAGS:
		imap_buf_str(b, "FLAGS (");
		imap_fetch_flags(b, m->flags, m->keywords, fc->keywords, fc->keyword_count);
		imap_buf_str(b, ")");
		break;
	case IMAP_FETCH_UID:
		imap_buf_printf(b, "UID %u", m->uid);
		break;
	case IMAP_FETCH_RFC822_SIZE:
		imap_buf_printf(b, "RFC822.SIZE %llu", (unsigned long long)m->size);
		break;
	case IMAP_FETCH_INTERNALDATE:
		imap_date_time_format((time_t)m->internaldate, date);
		imap_buf_printf(b, "INTERNALDATE %s", date);
		break;
	case IMAP_FETCH_MODSEQ:
		imap_buf_printf(b, "MODSEQ (%llu)", (unsigned long long)m->modseq);
		break;
	case IMAP_FETCH_ENVELOPE:
		hlen = mail_header_end(data != NULL ? data : "", data != NULL ? len : 0, &body_off);
		imap_buf_str(b, "ENVELOPE ");
		imap_envelope_render(b, data != NULL ? data : "", hlen);
		break;
	case IMAP_FETCH_BODY:
	case IMAP_FETCH_BODYSTRUCTURE:
		imap_buf_str(b, it->att == IMAP_FETCH_BODY ? "BODY " : "BODYSTRUCTURE ");
		if (root != NULL)
			imap_bodystructure_render(b, data, len, root, it->att == IMAP_FETCH_BODYSTRUCTURE);
		else
			imap_buf_str(b, "(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 0 0)");
		break;
	default:
		imap_fr_body_item(b, it, data != NULL ? data : "", data != NULL ? len : 0, root);
		break;
	}
}

/* imap_fr_needs_tree - some item needs the MIME tree. */
static bool
imap_fr_needs_tree(const struct imap_fetch_request *req)
{
	for (size_t i = 0; i < req->count; i++) {
		const struct imap_fetch_item *it = &req->items[i];

		if (it->att == IMAP_FETCH_BODY || it->att == IMAP_FETCH_BODYSTRUCTURE ||
		        (it->att == IMAP_FETCH_BODY_SECTION && it->section.part_count > 0))
			return true;
	}
	return false;
}

void
imap_fetch_render(struct imap_buf *b, const struct imap_fetch_ctx *fc,
        const struct imap_fetch_msg *m, const char *data, size_t len)
{
	const struct imap_fetch_request *req = fc->req;
	struct mail_part *root = NULL;
	const char *err;
	bool is_first = true, has_flags = false, has_modseq = false;

	if (data != NULL && imap_fr_needs_tree(req))
		(void)mail_mime_parse(data, len, &root, &err);
	imap_buf_printf(b, "* %u FETCH (", m->seq);
	if (fc->is_uid) {
		imap_buf_printf(b, "UID %u", m->uid);
		is_first = false;
	}
	for (size_t i = 0; i < req->count; i++) {
		const struct imap_fetch_item *it = &req->items[i];

		if (it->att == IMAP_FETCH_UID && fc->is_uid)
			continue;
		has_flags |= it->att == IMAP_FETCH_FLAGS;
		has_modseq |= it->att == IMAP_FETCH_MODSEQ;
		if (!is_first)
			imap_buf_str(b, " ");
		is_first = false;
		imap_fr_item(b, fc, m, it, data, len, root);
	}
	if (m->is_flags_changed && !has_flags) {
		imap_buf_str(b, is_first ? "FLAGS (" : " FLAGS (");
		imap_fetch_flags(b, m->flags, m->keywords, fc->keywords, fc->keyword_count);
		imap_buf_str(b, ")");
		is_first = false;
	}
	if (!has_modseq && (req->has_modseq || (fc->is_condstore && m->is_flags_changed)))
		imap_buf_printf(b, "%sMODSEQ (%llu)", is_first ? "" : " ",
		        (unsigned long long)m->modseq);
	imap_buf_str(b, ")\r\n");
	mail_part_free(&root);
}
