/*
 * mail_address.c - RFC 5322 address-list parser. PURE: libc only.
 *
 * Two passes: a tokenizer (atoms, quoted strings, domain literals,
 * specials; comments dropped, RFC 5322 3.2.2) and a parser over the token
 * array for mailbox / group (3.4) with the obsolete forms of 4.4 (route,
 * phrases with '.', empty list members). Never fails on bad syntax: it
 * returns what it could read and says so.
 */
#include "mail/mail_address.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_limits.h"
#include "mail/mail_header.h"

enum mail_tok_kind { MAIL_TOK_ATOM, MAIL_TOK_QUOTED, MAIL_TOK_LITERAL, MAIL_TOK_SPECIAL };

struct mail_tok {
	enum mail_tok_kind kind;
	char special;   /* for MAIL_TOK_SPECIAL */
	bool has_space; /* white space or a comment before it */
	size_t off;     /* offset of the text in the token text buffer */
	size_t len;
};

struct mail_addr_ctx {
	struct mail_tok *toks; /* owned */
	size_t ntoks;
	char *text; /* owned: token texts (quoted strings unescaped) */
	size_t i;   /* current token */
	struct mail_addr *head, **tail;
	size_t count;
	bool is_bad;
};

/* mail_addr_is_special - RFC 5322 3.2.3 specials. */
static bool
mail_addr_is_special(char c)
{
	return strchr("()<>[]:;@\\,.\"", c) != NULL;
}

/* mail_addr_tok_delimited - copy a quoted string or domain literal. */
static void
mail_addr_tok_delimited(
        const char *s, size_t *i, char close, char *text, size_t *tn, bool keep_delims)
{
	if (keep_delims)
		text[(*tn)++] = s[*i];
	(*i)++;
	while (s[*i] != '\0' && s[*i] != close) {
		if (s[*i] == '\\' && s[*i + 1] != '\0')
			(*i)++;
		text[(*tn)++] = s[(*i)++];
	}
	if (s[*i] == close) {
		if (keep_delims)
			text[(*tn)++] = close;
		(*i)++;
	}
}

/* mail_addr_tokenize - split s into tokens; returns -1 when out of memory. */
static int
mail_addr_tokenize(struct mail_addr_ctx *ctx, const char *s)
{
	size_t n = strlen(s), i = 0, tn = 0;
	bool has_space = false;

	ctx->toks = calloc(n + 1, sizeof(*ctx->toks));
	ctx->text = malloc(n + 1);
	if (ctx->toks == NULL || ctx->text == NULL)
		return -1;
	while (s[i] != '\0') {
		char c = s[i];
		struct mail_tok *t = &ctx->toks[ctx->ntoks];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '(') {
			if (c == '(')
				mail_header_skip_comment(s, &i);
			else
				i++;
			has_space = true;
			continue;
		}
		t->has_space = has_space;
		t->off = tn;
		has_space = false;
		if (c == '"') {
			t->kind = MAIL_TOK_QUOTED;
			mail_addr_tok_delimited(s, &i, '"', ctx->text, &tn, false);
		} else if (c == '[') {
			t->kind = MAIL_TOK_LITERAL;
			mail_addr_tok_delimited(s, &i, ']', ctx->text, &tn, true);
		} else if (mail_addr_is_special(c)) {
			t->kind = MAIL_TOK_SPECIAL;
			t->special = c;
			ctx->text[tn++] = c;
			i++;
		} else {
			t->kind = MAIL_TOK_ATOM;
			while (s[i] != '\0' && s[i] != ' ' && s[i] != '\t' && s[i] != '\r' &&
			        s[i] != '\n' && !mail_addr_is_special(s[i]))
				ctx->text[tn++] = s[i++];
		}
		t->len = tn - t->off;
		ctx->ntoks++;
	}
	return 0;
}

/* mail_addr_is_tok - true when token k is the special c. */
static bool
mail_addr_is_tok(const struct mail_addr_ctx *ctx, size_t k, char c)
{
	return k < ctx->ntoks && ctx->toks[k].kind == MAIL_TOK_SPECIAL && ctx->toks[k].special == c;
}

/* mail_addr_join - heap string of tokens [from, to); with_spaces keeps word gaps. */
static char *
mail_addr_join(const struct mail_addr_ctx *ctx, size_t from, size_t to, bool with_spaces)
{
	size_t total = 1, n = 0;
	char *out;

	for (size_t k = from; k < to; k++)
		total += ctx->toks[k].len + 1;
	out = malloc(total);
	if (out == NULL)
		return NULL;
	for (size_t k = from; k < to; k++) {
		if (with_spaces && n > 0 && ctx->toks[k].has_space)
			out[n++] = ' ';
		memcpy(out + n, ctx->text + ctx->toks[k].off, ctx->toks[k].len);
		n += ctx->toks[k].len;
	}
	out[n] = '\0';
	return out;
}

/* mail_addr_push - append a new entry; returns it or NULL (out of memory or full). */
static struct mail_addr *
mail_addr_push(struct mail_addr_ctx *ctx)
{
	struct mail_addr *a;

	if (ctx->count >= MAIL_ADDRESSES_MAX) {
		ctx->is_bad = true;
		ctx->i = ctx->ntoks; /* stop: the rest is not read */
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	*ctx->tail = a;
	ctx->tail = &a->next;
	ctx->count++;
	return a;
}

/* mail_addr_spec - fill a->mailbox/host from the addr-spec tokens [from, to). */
static int
mail_addr_spec(struct mail_addr_ctx *ctx, struct mail_addr *a, size_t from, size_t to)
{
	size_t at = to;

	for (size_t k = from; k < to; k++)
		if (mail_addr_is_tok(ctx, k, '@'))
			at = k; /* the last '@' separates local part and domain */
	if (at == to || at == from || at + 1 == to)
		ctx->is_bad = true;
	a->mailbox = mail_addr_join(ctx, from, at, false);
	a->host = at == to ? strdup("") : mail_addr_join(ctx, at + 1, to, false);
	return a->mailbox == NULL || a->host == NULL ? -1 : 0;
}

/* mail_addr_angle - parse "<" [route ":"] addr-spec ">" at ctx->i (just after '<'). */
static int
mail_addr_angle(struct mail_addr_ctx *ctx, struct mail_addr *a)
{
	size_t start = ctx->i, k, colon = 0;
	bool has_route = false;

	for (k = start; k < ctx->ntoks && !mail_addr_is_tok(ctx, k, '>'); k++)
		if (!has_route && mail_addr_is_tok(ctx, k, ':') &&
		        mail_addr_is_tok(ctx, start, '@')) {
			has_route = true;
			colon = k;
		}
	if (k == ctx->ntoks)
		ctx->is_bad = true;
	if (has_route) {
		a->route = mail_addr_join(ctx, start, colon, false);
		if (a->route == NULL)
			return -1;
		start = colon + 1;
	}
	ctx->i = k < ctx->ntoks ? k + 1 : k;
	if (k == start) {
		/* "<>" : an empty address (obsolete, seen in bounces) */
		ctx->is_bad = true;
		a->mailbox = strdup("");
		a->host = strdup("");
		return a->mailbox == NULL || a->host == NULL ? -1 : 0;
	}
	return mail_addr_spec(ctx, a, start, k);
}

/* mail_addr_skip_to_end - skip garbage up to ',' or (in a group) ';'. */
static void
mail_addr_skip_to_end(struct mail_addr_ctx *ctx, bool is_in_group)
{
	while (ctx->i < ctx->ntoks && !mail_addr_is_tok(ctx, ctx->i, ',') &&
	        !(is_in_group && mail_addr_is_tok(ctx, ctx->i, ';'))) {
		ctx->is_bad = true;
		ctx->i++;
	}
}

static int mail_addr_group(struct mail_addr_ctx *ctx, size_t from, size_t colon);

/* mail_addr_one - parse one mailbox or group starting at ctx->i. */
static int
mail_addr_one(struct mail_addr_ctx *ctx, bool is_in_group)
{
	size_t from = ctx->i, k;
	struct mail_addr *a;

	for (k = from; k < ctx->ntoks; k++) {
		if (mail_addr_is_tok(ctx, k, '<') || mail_addr_is_tok(ctx, k, ',') ||
		        mail_addr_is_tok(ctx, k, ';') ||
		        (!is_in_group && mail_addr_is_tok(ctx, k, ':')))
			break;
	}
	if (k < ctx->ntoks && mail_addr_is_tok(ctx, k, ':'))
		return mail_addr_group(ctx, from, k);
	if (k == from && !mail_addr_is_tok(ctx, k, '<'))
		return 0; /* empty list member (RFC 5322 4.4 obs-addr-list) */
	a = mail_addr_push(ctx);
	if (a == NULL)
		return ctx->count >= MAIL_ADDRESSES_MAX ? 0 : -1;
	if (mail_addr_is_tok(ctx, k, '<')) {
		if (k > from && (a->name = mail_addr_join(ctx, from, k, true)) == NULL)
			return -1;
		ctx->i = k + 1;
		if (mail_addr_angle(ctx, a) < 0)
			return -1;
		mail_addr_skip_to_end(ctx, is_in_group);
		return 0;
	}
	ctx->i = k;
	return mail_addr_spec(ctx, a, from, k);
}

/* mail_addr_group - parse a group: phrase ":" [mailbox-list] ";" (RFC 5322 3.4). */
static int
mail_addr_group(struct mail_addr_ctx *ctx, size_t from, size_t colon)
{
	struct mail_addr *a = mail_addr_push(ctx);

	if (a == NULL)
		return ctx->count >= MAIL_ADDRESSES_MAX ? 0 : -1;
	a->mailbox = mail_addr_join(ctx, from, colon, true);
	if (a->mailbox == NULL)
		return -1;
	ctx->i = colon + 1;
	while (ctx->i < ctx->ntoks && !mail_addr_is_tok(ctx, ctx->i, ';')) {
		if (mail_addr_is_tok(ctx, ctx->i, ',')) {
			ctx->i++;
			continue;
		}
		if (mail_addr_one(ctx, true) < 0)
			return -1;
	}
	if (ctx->i < ctx->ntoks)
		ctx->i++;
	else
		ctx->is_bad = true;
	return mail_addr_push(ctx) == NULL && ctx->count < MAIL_ADDRESSES_MAX ? -1 : 0;
}

int
mail_addr_parse(const char *value, struct mail_addr **list_r, size_t *count_r)
{
	struct mail_addr_ctx ctx;
	int ret = 0;

	memset(&ctx, 0, sizeof(ctx));
	ctx.tail = &ctx.head;
	if (mail_addr_tokenize(&ctx, value) < 0)
		ret = -1;
	while (ret == 0 && ctx.i < ctx.ntoks) {
		if (mail_addr_is_tok(&ctx, ctx.i, ',') || mail_addr_is_tok(&ctx, ctx.i, ';')) {
			if (mail_addr_is_tok(&ctx, ctx.i, ';'))
				ctx.is_bad = true;
			ctx.i++;
			continue;
		}
		if (mail_addr_one(&ctx, false) < 0)
			ret = -1;
		else if (ctx.count >= MAIL_ADDRESSES_MAX) {
			ctx.is_bad = ctx.is_bad || ctx.i < ctx.ntoks;
			break;
		}
	}
	free(ctx.toks);
	free(ctx.text);
	if (ret < 0) {
		mail_addr_free(&ctx.head);
		*list_r = NULL;
		*count_r = 0;
		return -1;
	}
	*list_r = ctx.head;
	*count_r = ctx.count;
	return ctx.is_bad ? 1 : 0;
}

void
mail_addr_free(struct mail_addr **listp)
{
	struct mail_addr *a = *listp, *next;

	for (; a != NULL; a = next) {
		next = a->next;
		free(a->name);
		free(a->route);
		free(a->mailbox);
		free(a->host);
		free(a);
	}
	*listp = NULL;
}

bool
mail_addr_is_mailbox(const struct mail_addr *a)
{
	return a->host != NULL;
}

bool
mail_addr_single_mailbox(const char *value, char *out, size_t outsize)
{
	struct mail_addr *list;
	size_t count;
	bool is_ok;
	int r = mail_addr_parse(value, &list, &count);

	is_ok = r == 0 && count == 1 && mail_addr_is_mailbox(list) && list->mailbox[0] != '\0' &&
	        list->host[0] != '\0' &&
	        (size_t)snprintf(out, outsize, "%s@%s", list->mailbox, list->host) < outsize;
	mail_addr_free(&list);
	return is_ok;
}
