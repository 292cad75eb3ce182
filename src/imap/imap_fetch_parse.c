/*
 * imap_fetch_parse.c - FETCH items, sections, partials and modifiers.
 * PURE: libc and core/ only.
 *
 * The parser delivers `BODY[HEADER.FIELDS (A B)]<0.9>` in three arguments
 * (imap_parse.h); this file puts them back together. Section keywords are
 * case-insensitive and written upper-case in the response name; header
 * field names keep the client's spelling (IMAP-38).
 */
#include "imap/imap_fetch_parse.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "imap/imap_arena.h"
#include "imap/imap_quote.h"

struct imap_fetch_ctx {
	struct imap_arena *arena; /* borrowed */
	struct imap_fetch_request *req;
	size_t alloc;
	const char *error; /* static */
};

static const char *const imap_fetch_att_names[] = {
        "FLAGS",
        "INTERNALDATE",
        "RFC822",
        "RFC822.HEADER",
        "RFC822.SIZE",
        "RFC822.TEXT",
        "ENVELOPE",
        "BODY",
        "BODYSTRUCTURE",
        "UID",
        "MODSEQ",
        "BODY[]",
};

const char *
imap_fetch_att_name(enum imap_fetch_att att)
{
	return (size_t)att < sizeof(imap_fetch_att_names) / sizeof(imap_fetch_att_names[0])
	        ? imap_fetch_att_names[att]
	        : "?";
}

static int
imap_fetch_fail(struct imap_fetch_ctx *c, const char *error)
{
	if (c->error == NULL)
		c->error = error;
	return -1;
}

/* imap_fetch_push - a new zeroed item at the end of the request. */
static struct imap_fetch_item *
imap_fetch_push(struct imap_fetch_ctx *c, enum imap_fetch_att att)
{
	struct imap_fetch_request *r = c->req;

	if (r->count == c->alloc) {
		size_t n = c->alloc == 0 ? 8 : c->alloc * 2;
		struct imap_fetch_item *items = imap_arena_alloc(c->arena, n * sizeof(*items));

		if (items == NULL)
			return NULL;
		if (r->count > 0)
			memcpy(items, r->items, r->count * sizeof(*items));
		r->items = items;
		c->alloc = n;
	}
	memset(&r->items[r->count], 0, sizeof(r->items[0]));
	r->items[r->count].att = att;
	r->items[r->count].name = imap_fetch_att_name(att);
	return &r->items[r->count++];
}

static int
imap_fetch_add_simple(struct imap_fetch_ctx *c, enum imap_fetch_att att)
{
	struct imap_fetch_item *it = imap_fetch_push(c, att);

	if (it == NULL)
		return imap_fetch_fail(c, "Internal error.");
	switch (att) {
	case IMAP_FETCH_UID: c->req->has_uid = true; break;
	case IMAP_FETCH_MODSEQ: c->req->has_modseq = true; break;
	case IMAP_FETCH_RFC822:
	case IMAP_FETCH_RFC822_TEXT:
		c->req->sets_seen = true;
		c->req->needs_body = true;
		break;
	case IMAP_FETCH_RFC822_HEADER:
		it->is_peek = true;
		c->req->needs_body = true;
		break;
	case IMAP_FETCH_ENVELOPE:
	case IMAP_FETCH_BODY:
	case IMAP_FETCH_BODYSTRUCTURE: c->req->needs_body = true; break;
	default: break;
	}
	return 0;
}

/* imap_fetch_macro - ALL, FAST, FULL (RFC 3501 6.4.5); only as the sole item. */
static int
imap_fetch_macro(struct imap_fetch_ctx *c, const char *s)
{
	static const enum imap_fetch_att fast[] = {IMAP_FETCH_FLAGS, IMAP_FETCH_INTERNALDATE,
	        IMAP_FETCH_RFC822_SIZE, IMAP_FETCH_ENVELOPE, IMAP_FETCH_BODY};
	size_t n;

	if (strcasecmp(s, "FAST") == 0)
		n = 3;
	else if (strcasecmp(s, "ALL") == 0)
		n = 4;
	else if (strcasecmp(s, "FULL") == 0)
		n = 5;
	else
		return 1;
	for (size_t i = 0; i < n; i++)
		if (imap_fetch_add_simple(c, fast[i]) < 0)
			return -1;
	return 0;
}

/* imap_fetch_simple_att - a plain attribute name, or -1. */
static int
imap_fetch_simple_att(const char *s)
{
	static const struct {
		const char *name;
		enum imap_fetch_att att;
	} tab[] = {
	        {"FLAGS", IMAP_FETCH_FLAGS},
	        {"INTERNALDATE", IMAP_FETCH_INTERNALDATE},
	        {"RFC822", IMAP_FETCH_RFC822},
	        {"RFC822.HEADER", IMAP_FETCH_RFC822_HEADER},
	        {"RFC822.SIZE", IMAP_FETCH_RFC822_SIZE},
	        {"RFC822.TEXT", IMAP_FETCH_RFC822_TEXT},
	        {"ENVELOPE", IMAP_FETCH_ENVELOPE},
	        {"BODY", IMAP_FETCH_BODY},
	        {"BODYSTRUCTURE", IMAP_FETCH_BODYSTRUCTURE},
	        {"UID", IMAP_FETCH_UID},
	        {"MODSEQ", IMAP_FETCH_MODSEQ},
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcasecmp(s, tab[i].name) == 0)
			return (int)tab[i].att;
	return -1;
}

/* imap_fetch_is_field_name - RFC 5322 2.2 ftext: printable ASCII except ':'. */
static bool
imap_fetch_is_field_name(const char *s, size_t len)
{
	if (len == 0 || len > IMAP_FIELD_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126 || s[i] == ':')
			return false;
	return true;
}

/*
 * imap_fetch_section_spec - the text between `[` and `]` (fields not
 * included): `1.2.HEADER.FIELDS`, `TEXT`, `` ... Sets sec.
 */
static int
imap_fetch_section_spec(
        struct imap_fetch_ctx *c, const char *s, size_t len, struct imap_fetch_section *sec)
{
	static const struct {
		const char *word;
		enum imap_section_text text;
	} words[] = {
	        {"HEADER", IMAP_SECTION_HEADER},
	        {"HEADER.FIELDS", IMAP_SECTION_HEADER_FIELDS},
	        {"HEADER.FIELDS.NOT", IMAP_SECTION_HEADER_FIELDS_NOT},
	        {"TEXT", IMAP_SECTION_TEXT},
	        {"MIME", IMAP_SECTION_MIME},
	};
	size_t pos = 0;

	while (pos < len && s[pos] >= '0' && s[pos] <= '9') {
		size_t start = pos;
		uint64_t v;

		while (pos < len && s[pos] >= '0' && s[pos] <= '9')
			pos++;
		if (!imap_parse_number(s + start, pos - start, UINT32_MAX, &v) || v == 0 ||
		        sec->part_count >= IMAP_SECTION_PARTS_MAX)
			return imap_fetch_fail(c, "Invalid section part number.");
		sec->parts[sec->part_count++] = (uint32_t)v;
		if (pos == len)
			return 0;
		if (s[pos++] != '.' || pos == len)
			return imap_fetch_fail(c, "Invalid section.");
	}
	if (pos == len)
		return 0; /* BODY[] */
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strlen(words[i].word) == len - pos &&
		        strncasecmp(s + pos, words[i].word, len - pos) == 0) {
			if (words[i].text == IMAP_SECTION_MIME && sec->part_count == 0)
				return imap_fetch_fail(c, "MIME needs a part number.");
			sec->text = words[i].text;
			return 0;
		}
	}
	return imap_fetch_fail(c, "Invalid section.");
}

/* imap_fetch_fields - the HEADER.FIELDS (...) list. */
static int
imap_fetch_fields(
        struct imap_fetch_ctx *c, const struct imap_arg *list, struct imap_fetch_section *sec)
{
	const struct imap_arg *items;
	const char **fields;
	size_t n;

	if (!imap_arg_get_list(list, &items, &n) || n == 0)
		return imap_fetch_fail(c, "Missing header field list.");
	if (n > IMAP_HEADER_FIELDS_MAX)
		return imap_fetch_fail(c, "Too many header fields.");
	fields = imap_arena_alloc(c->arena, n * sizeof(*fields));
	if (fields == NULL)
		return imap_fetch_fail(c, "Internal error.");
	for (size_t i = 0; i < n; i++) {
		const char *s;
		size_t len;

		if (!imap_arg_get_astring(&items[i], &s, &len) || !imap_fetch_is_field_name(s, len))
			return imap_fetch_fail(c, "Invalid header field name.");
		fields[i] = s;
	}
	sec->fields = fields;
	sec->field_count = n;
	return 0;
}

/* imap_fetch_partial - `<o.n>` (RFC 3501 9 `partial`), s is everything after `]`. */
static int
imap_fetch_partial(struct imap_fetch_ctx *c, const char *s, struct imap_fetch_item *it)
{
	const char *dot, *end;
	uint64_t o, n;

	if (*s == '\0')
		return 0;
	end = s + strlen(s) - 1;
	dot = strchr(s, '.');
	if (*s != '<' || *end != '>' || dot == NULL || dot > end ||
	        !imap_parse_number(s + 1, (size_t)(dot - s - 1), UINT32_MAX, &o) ||
	        !imap_parse_number(dot + 1, (size_t)(end - dot - 1), UINT32_MAX, &n) || n == 0)
		return imap_fetch_fail(c, "Invalid partial range.");
	it->has_partial = true;
	it->partial_offset = (uint32_t)o;
	it->partial_count = (uint32_t)n;
	return 0;
}

static const char *
imap_fetch_section_word(enum imap_section_text t)
{
	static const char *const words[] = {
	        "", "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT", "MIME"};

	return words[t];
}

/* imap_fetch_name_put - append s[0..n) at *off when buf is not NULL; count always. */
static void
imap_fetch_name_put(char *buf, size_t *off, const char *s, size_t n)
{
	if (buf != NULL)
		memcpy(buf + *off, s, n);
	*off += n;
}

/* imap_fetch_name_render - `BODY[<section>]<o>` into buf (NULL: only measure). */
static size_t
imap_fetch_name_render(const struct imap_fetch_item *it, char *buf)
{
	const struct imap_fetch_section *sec = &it->section;
	const char *word = imap_fetch_section_word(sec->text);
	size_t off = 0;
	char num[16];
	int n;

	imap_fetch_name_put(buf, &off, "BODY[", 5);
	for (size_t i = 0; i < sec->part_count; i++) {
		n = snprintf(num, sizeof(num), "%s%u", i > 0 ? "." : "", sec->parts[i]);
		imap_fetch_name_put(buf, &off, num, (size_t)n);
	}
	if (sec->part_count > 0 && *word != '\0')
		imap_fetch_name_put(buf, &off, ".", 1);
	imap_fetch_name_put(buf, &off, word, strlen(word));
	for (size_t i = 0; i < sec->field_count; i++) {
		size_t q;

		imap_fetch_name_put(buf, &off, i == 0 ? " (" : " ", i == 0 ? 2 : 1);
		/* the client's spelling, written back as an astring */
		q = imap_quote(NULL, 0, sec->fields[i], strlen(sec->fields[i]), IMAP_QUOTE_ASTRING);
		if (buf != NULL)
			imap_quote(buf + off, q + 1, sec->fields[i], strlen(sec->fields[i]),
			        IMAP_QUOTE_ASTRING);
		off += q;
	}
	if (sec->field_count > 0)
		imap_fetch_name_put(buf, &off, ")", 1);
	imap_fetch_name_put(buf, &off, "]", 1);
	if (it->has_partial) {
		/* IMAP-36: answered as BODY[<section>]<o> */
		n = snprintf(num, sizeof(num), "<%u>", it->partial_offset);
		imap_fetch_name_put(buf, &off, num, (size_t)n);
	}
	if (buf != NULL)
		buf[off] = '\0';
	return off;
}

/* imap_fetch_body_section - BODY[...] / BODY.PEEK[...], maybe spread over three args. */
static int
imap_fetch_body_section(
        struct imap_fetch_ctx *c, const struct imap_arg *args, size_t count, size_t *i)
{
	const char *s = args[*i].str, *lb = strchr(s, '['), *rb, *rest;
	struct imap_fetch_item *it;
	bool is_peek;
	char *name;

	if (lb == NULL)
		return imap_fetch_fail(c, "Invalid section.");
	if ((size_t)(lb - s) == 9 && strncasecmp(s, "BODY.PEEK", 9) == 0)
		is_peek = true;
	else if ((size_t)(lb - s) == 4 && strncasecmp(s, "BODY", 4) == 0)
		is_peek = false;
	else
		return imap_fetch_fail(c, "Unknown FETCH item.");
	it = imap_fetch_push(c, IMAP_FETCH_BODY_SECTION);
	if (it == NULL)
		return imap_fetch_fail(c, "Internal error.");
	it->is_peek = is_peek;
	rb = strchr(lb, ']');
	if (imap_fetch_section_spec(c, lb + 1, rb != NULL ? (size_t)(rb - lb - 1) : strlen(lb + 1),
	            &it->section) < 0)
		return -1;
	bool wants_fields = it->section.text == IMAP_SECTION_HEADER_FIELDS ||
	        it->section.text == IMAP_SECTION_HEADER_FIELDS_NOT;
	if (rb != NULL) {
		if (wants_fields)
			return imap_fetch_fail(c, "Missing header field list.");
		rest = rb + 1;
	} else {
		if (!wants_fields || *i + 2 >= count || args[*i + 2].type != IMAP_ARG_ATOM ||
		        args[*i + 2].str[0] != ']')
			return imap_fetch_fail(c, "Invalid section.");
		if (imap_fetch_fields(c, &args[*i + 1], &it->section) < 0)
			return -1;
		rest = args[*i + 2].str + 1;
		*i += 2;
	}
	if (imap_fetch_partial(c, rest, it) < 0)
		return -1;
	name = imap_arena_alloc(c->arena, imap_fetch_name_render(it, NULL) + 1);
	if (name == NULL)
		return imap_fetch_fail(c, "Internal error.");
	imap_fetch_name_render(it, name);
	it->name = name;
	c->req->needs_body = true;
	if (!is_peek)
		c->req->sets_seen = true;
	(*i)++;
	return 0;
}

/* imap_fetch_item - one fetch-att at args[*i]; advances *i past it. */
static int
imap_fetch_item(struct imap_fetch_ctx *c, const struct imap_arg *args, size_t count, size_t *i)
{
	const char *s;
	int att;

	if (!imap_arg_get_atom(&args[*i], &s))
		return imap_fetch_fail(c, "Invalid FETCH item.");
	if (strchr(s, '[') != NULL)
		return imap_fetch_body_section(c, args, count, i);
	att = imap_fetch_simple_att(s);
	if (att < 0)
		return imap_fetch_fail(c, "Unknown FETCH item.");
	(*i)++;
	return imap_fetch_add_simple(c, (enum imap_fetch_att)att);
}

/* imap_fetch_modifiers - `(CHANGEDSINCE <m>)` (RFC 7162 3.1.4). */
static int
imap_fetch_modifiers(struct imap_fetch_ctx *c, const struct imap_arg *a)
{
	const struct imap_arg *items;
	size_t n;

	if (!imap_arg_get_list(a, &items, &n) || n == 0)
		return imap_fetch_fail(c, "Invalid FETCH modifiers.");
	for (size_t i = 0; i < n; i += 2) {
		if (!imap_arg_is_atom(&items[i], "CHANGEDSINCE"))
			return imap_fetch_fail(c, "Unknown FETCH modifier.");
		if (c->req->has_changedsince || i + 1 >= n ||
		        !imap_arg_get_number(&items[i + 1], INT64_MAX, &c->req->changedsince))
			return imap_fetch_fail(c, "Invalid CHANGEDSINCE.");
		c->req->has_changedsince = true;
	}
	return 0;
}

/* imap_fetch_items - the fetch-att list or the single item / macro. */
static int
imap_fetch_items(struct imap_fetch_ctx *c, const struct imap_arg *args, size_t count, size_t *i)
{
	const struct imap_arg *items;
	const char *s;
	size_t n, j = 0;
	int r;

	if (imap_arg_get_list(&args[0], &items, &n)) {
		if (n == 0)
			return imap_fetch_fail(c, "Missing FETCH items.");
		while (j < n)
			if (imap_fetch_item(c, items, n, &j) < 0)
				return -1;
		*i = 1;
		return 0;
	}
	if (imap_arg_get_atom(&args[0], &s) && (r = imap_fetch_macro(c, s)) <= 0) {
		*i = 1;
		return r;
	}
	return imap_fetch_item(c, args, count, i);
}

int
imap_fetch_parse(struct imap_arena *arena, const struct imap_arg *args, size_t count,
        struct imap_fetch_request **req_r, const char **error_r)
{
	struct imap_fetch_ctx c = {.arena = arena};
	size_t i = 0;

	c.req = imap_arena_alloc(arena, sizeof(*c.req));
	if (c.req == NULL) {
		*error_r = "Internal error.";
		return -1;
	}
	if (count == 0) {
		*error_r = "Missing FETCH items.";
		return -1;
	}
	if (imap_fetch_items(&c, args, count, &i) < 0 ||
	        (i < count && imap_fetch_modifiers(&c, &args[i++]) < 0)) {
		*error_r = c.error;
		return -1;
	}
	if (i != count) {
		*error_r = "Unexpected FETCH arguments.";
		return -1;
	}
	/* IMAP-35: CHANGEDSINCE implies MODSEQ */
	if (c.req->has_changedsince && !c.req->has_modseq &&
	        imap_fetch_add_simple(&c, IMAP_FETCH_MODSEQ) < 0) {
		*error_r = c.error;
		return -1;
	}
	*req_r = c.req;
	return 0;
}
