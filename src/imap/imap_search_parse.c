/*
 * imap_search_parse.c - SEARCH key syntax into a tree. PURE: libc and
 * core/ only.
 *
 * Recursive descent over the parser's argument array: a key consumes its
 * own arguments and NOT / OR consume whole keys; a parenthesised list is a
 * group. Strings are astrings (atom, quoted or literal); per IMAP-10 `NIL`
 * is the three-letter string there. The recursion depth is bounded, so a
 * client cannot exhaust the stack with `NOT NOT NOT ...`.
 */
#include "imap/imap_search_parse.h"

#include <string.h>
#include <strings.h>

#include "core/core_limits.h"
#include "imap/imap_arena.h"
#include "imap/imap_quote.h"
#include "imap/imap_store_parse.h"

struct imap_search_ctx {
	struct imap_arena *arena;         /* borrowed */
	struct imap_search_program *prog; /* borrowed (arena) */
	const char *error;                /* static */
};

/* kinds of argument a key takes */
enum imap_search_argkind {
	IMAP_SARG_NONE,
	IMAP_SARG_STRING,
	IMAP_SARG_KEYWORD,
	IMAP_SARG_DATE,
	IMAP_SARG_NUMBER,
	IMAP_SARG_HEADER,
	IMAP_SARG_SET,
	IMAP_SARG_NOT,
	IMAP_SARG_OR,
	IMAP_SARG_MODSEQ,
};

static const struct {
	const char *name;
	enum imap_search_op op;
	enum imap_search_argkind kind;
} imap_search_keys[] = {
        {"ALL", IMAP_SEARCH_ALL, IMAP_SARG_NONE},
        {"ANSWERED", IMAP_SEARCH_ANSWERED, IMAP_SARG_NONE},
        {"BCC", IMAP_SEARCH_BCC, IMAP_SARG_STRING},
        {"BEFORE", IMAP_SEARCH_BEFORE, IMAP_SARG_DATE},
        {"BODY", IMAP_SEARCH_BODY, IMAP_SARG_STRING},
        {"CC", IMAP_SEARCH_CC, IMAP_SARG_STRING},
        {"DELETED", IMAP_SEARCH_DELETED, IMAP_SARG_NONE},
        {"DRAFT", IMAP_SEARCH_DRAFT, IMAP_SARG_NONE},
        {"FLAGGED", IMAP_SEARCH_FLAGGED, IMAP_SARG_NONE},
        {"FROM", IMAP_SEARCH_FROM, IMAP_SARG_STRING},
        {"HEADER", IMAP_SEARCH_HEADER, IMAP_SARG_HEADER},
        {"KEYWORD", IMAP_SEARCH_KEYWORD, IMAP_SARG_KEYWORD},
        {"LARGER", IMAP_SEARCH_LARGER, IMAP_SARG_NUMBER},
        {"MODSEQ", IMAP_SEARCH_MODSEQ, IMAP_SARG_MODSEQ},
        {"NEW", IMAP_SEARCH_NEW, IMAP_SARG_NONE},
        {"NOT", IMAP_SEARCH_NOT, IMAP_SARG_NOT},
        {"OLD", IMAP_SEARCH_OLD, IMAP_SARG_NONE},
        {"ON", IMAP_SEARCH_ON, IMAP_SARG_DATE},
        {"OR", IMAP_SEARCH_OR, IMAP_SARG_OR},
        {"RECENT", IMAP_SEARCH_RECENT, IMAP_SARG_NONE},
        {"SEEN", IMAP_SEARCH_SEEN, IMAP_SARG_NONE},
        {"SENTBEFORE", IMAP_SEARCH_SENTBEFORE, IMAP_SARG_DATE},
        {"SENTON", IMAP_SEARCH_SENTON, IMAP_SARG_DATE},
        {"SENTSINCE", IMAP_SEARCH_SENTSINCE, IMAP_SARG_DATE},
        {"SINCE", IMAP_SEARCH_SINCE, IMAP_SARG_DATE},
        {"SMALLER", IMAP_SEARCH_SMALLER, IMAP_SARG_NUMBER},
        {"SUBJECT", IMAP_SEARCH_SUBJECT, IMAP_SARG_STRING},
        {"TEXT", IMAP_SEARCH_TEXT, IMAP_SARG_STRING},
        {"TO", IMAP_SEARCH_TO, IMAP_SARG_STRING},
        {"UID", IMAP_SEARCH_UID, IMAP_SARG_SET},
        {"UNANSWERED", IMAP_SEARCH_UNANSWERED, IMAP_SARG_NONE},
        {"UNDELETED", IMAP_SEARCH_UNDELETED, IMAP_SARG_NONE},
        {"UNDRAFT", IMAP_SEARCH_UNDRAFT, IMAP_SARG_NONE},
        {"UNFLAGGED", IMAP_SEARCH_UNFLAGGED, IMAP_SARG_NONE},
        {"UNKEYWORD", IMAP_SEARCH_UNKEYWORD, IMAP_SARG_KEYWORD},
        {"UNSEEN", IMAP_SEARCH_UNSEEN, IMAP_SARG_NONE},
};

const char *
imap_search_op_name(enum imap_search_op op)
{
	if (op == IMAP_SEARCH_AND)
		return "AND";
	if (op == IMAP_SEARCH_SEQSET)
		return "SEQSET";
	for (size_t i = 0; i < sizeof(imap_search_keys) / sizeof(imap_search_keys[0]); i++)
		if (imap_search_keys[i].op == op)
			return imap_search_keys[i].name;
	return "?";
}

static int
imap_search_fail(struct imap_search_ctx *c, const char *error)
{
	if (c->error == NULL)
		c->error = error;
	return -1;
}

static int imap_search_key(struct imap_search_ctx *c, const struct imap_arg *args, size_t count,
        size_t *i, size_t depth, struct imap_search_key *key);

/* imap_search_children - n keys from args at *i into a new array of key. */
static int
imap_search_children(struct imap_search_ctx *c, const struct imap_arg *args, size_t count,
        size_t *i, size_t depth, size_t n, struct imap_search_key *key)
{
	key->children = imap_arena_alloc(c->arena, n * sizeof(*key->children));
	if (key->children == NULL)
		return imap_search_fail(c, "Internal error.");
	key->child_count = n;
	for (size_t k = 0; k < n; k++) {
		if (*i >= count)
			return imap_search_fail(c, "Missing search key.");
		if (imap_search_key(c, args, count, i, depth + 1, &key->children[k]) < 0)
			return -1;
	}
	return 0;
}

/* imap_search_group - an AND over every key of args[0..count). */
static int
imap_search_group(struct imap_search_ctx *c, const struct imap_arg *args, size_t count,
        size_t depth, struct imap_search_key *key)
{
	size_t i = 0;

	key->op = IMAP_SEARCH_AND;
	if (count == 0)
		return imap_search_fail(c, "Missing search key.");
	/* every argument is at least one key: count bounds the children */
	key->children = imap_arena_alloc(c->arena, count * sizeof(*key->children));
	if (key->children == NULL)
		return imap_search_fail(c, "Internal error.");
	while (i < count)
		if (imap_search_key(
		            c, args, count, &i, depth + 1, &key->children[key->child_count++]) < 0)
			return -1;
	return 0;
}

/* imap_search_set - a sequence set atom into key->set, ranges copied to the arena. */
static int
imap_search_set(struct imap_search_ctx *c, const struct imap_arg *a, struct imap_search_key *key)
{
	struct imap_seqset tmp;
	const char *err;
	int r = -1;

	if (a->type != IMAP_ARG_ATOM)
		return imap_search_fail(c, "Invalid sequence set.");
	imap_seqset_init(&tmp);
	if (imap_seqset_parse(a->str, a->len, &tmp, &err) < 0) {
		imap_seqset_reset(&tmp);
		return imap_search_fail(c, err);
	}
	key->set.ranges = imap_arena_alloc(c->arena, tmp.count * sizeof(tmp.ranges[0]));
	if (key->set.ranges != NULL) {
		memcpy(key->set.ranges, tmp.ranges, tmp.count * sizeof(tmp.ranges[0]));
		key->set.count = tmp.count;
		key->set.alloc = 0;
		r = 0;
	}
	imap_seqset_reset(&tmp);
	return r == 0 ? 0 : imap_search_fail(c, "Internal error.");
}

/* imap_search_date - `d-Mon-yyyy`, as an atom or quoted (RFC 3501 `date`). */
static int
imap_search_date(struct imap_search_ctx *c, const struct imap_arg *a, struct imap_search_key *key)
{
	const char *s;
	size_t len;

	if (a->type == IMAP_ARG_LITERAL || !imap_arg_get_astring(a, &s, &len) ||
	        imap_date_parse(s, len, &key->date) < 0)
		return imap_search_fail(c, "Invalid date.");
	return 0;
}

/* imap_search_modseq - MODSEQ [<entry-name> <entry-type-req>] <mod-sequence-valzer>. */
static int
imap_search_modseq(struct imap_search_ctx *c, const struct imap_arg *args, size_t count, size_t *i,
        struct imap_search_key *key)
{
	const char *s;
	size_t len;

	c->prog->has_modseq = true;
	if (*i < count && imap_arg_get_number(&args[*i], INT64_MAX, &key->number)) {
		(*i)++;
		return 0;
	}
	/* the entry name and type are checked and ignored (IMAP-46) */
	if (*i + 2 >= count || !imap_arg_get_string(&args[*i], &s, &len) ||
	        (!imap_arg_is_atom(&args[*i + 1], "priv") &&
	                !imap_arg_is_atom(&args[*i + 1], "shared") &&
	                !imap_arg_is_atom(&args[*i + 1], "all")) ||
	        !imap_arg_get_number(&args[*i + 2], INT64_MAX, &key->number))
		return imap_search_fail(c, "Invalid MODSEQ.");
	*i += 3;
	return 0;
}

/* imap_search_string - an astring argument for a text key. */
static int
imap_search_string(struct imap_search_ctx *c, const struct imap_arg *args, size_t count, size_t *i,
        const char **s_r, size_t *len_r)
{
	if (*i >= count || !imap_arg_get_astring(&args[*i], s_r, len_r))
		return imap_search_fail(c, "Missing search string.");
	(*i)++;
	return 0;
}

/* imap_search_header_field - the field name of HEADER (RFC 5322 ftext). */
static int
imap_search_header_field(struct imap_search_ctx *c, const char *s, size_t len)
{
	if (len == 0 || len > IMAP_FIELD_NAME_MAX)
		return imap_search_fail(c, "Invalid header field name.");
	for (size_t k = 0; k < len; k++)
		if ((unsigned char)s[k] < 33 || (unsigned char)s[k] > 126 || s[k] == ':')
			return imap_search_fail(c, "Invalid header field name.");
	return 0;
}

/* imap_search_args - the arguments of a named key. */
static int
imap_search_args(struct imap_search_ctx *c, const struct imap_arg *args, size_t count, size_t *i,
        size_t depth, enum imap_search_argkind kind, struct imap_search_key *key)
{
	size_t flen = 0;

	switch (kind) {
	case IMAP_SARG_NONE: return 0;
	case IMAP_SARG_STRING: return imap_search_string(c, args, count, i, &key->str, &key->len);
	case IMAP_SARG_HEADER:
		if (imap_search_string(c, args, count, i, &key->field, &flen) < 0 ||
		        imap_search_header_field(c, key->field, flen) < 0)
			return -1;
		return imap_search_string(c, args, count, i, &key->str, &key->len);
	case IMAP_SARG_KEYWORD:
		if (*i >= count || args[*i].type != IMAP_ARG_ATOM ||
		        !imap_flag_is_keyword(args[*i].str, args[*i].len))
			return imap_search_fail(c, "Invalid keyword.");
		key->str = args[*i].str;
		key->len = args[(*i)++].len;
		return 0;
	case IMAP_SARG_DATE:
		if (*i >= count)
			return imap_search_fail(c, "Invalid date.");
		return imap_search_date(c, &args[(*i)++], key);
	case IMAP_SARG_NUMBER:
		if (*i >= count || !imap_arg_get_number(&args[*i], UINT32_MAX, &key->number))
			return imap_search_fail(c, "Invalid number.");
		(*i)++;
		return 0;
	case IMAP_SARG_SET:
		if (*i >= count)
			return imap_search_fail(c, "Invalid sequence set.");
		return imap_search_set(c, &args[(*i)++], key);
	case IMAP_SARG_NOT: return imap_search_children(c, args, count, i, depth, 1, key);
	case IMAP_SARG_OR: return imap_search_children(c, args, count, i, depth, 2, key);
	case IMAP_SARG_MODSEQ: return imap_search_modseq(c, args, count, i, key);
	}
	return imap_search_fail(c, "Invalid search key.");
}

static int
imap_search_key(struct imap_search_ctx *c, const struct imap_arg *args, size_t count, size_t *i,
        size_t depth, struct imap_search_key *key)
{
	const struct imap_arg *a = &args[*i];

	memset(key, 0, sizeof(*key));
	if (depth > IMAP_SEARCH_DEPTH_MAX)
		return imap_search_fail(c, "Search keys nested too deeply.");
	if (a->type == IMAP_ARG_LIST) {
		(*i)++;
		return imap_search_group(c, a->list, a->count, depth, key);
	}
	if (a->type != IMAP_ARG_ATOM)
		return imap_search_fail(c, "Invalid search key.");
	(*i)++;
	if ((a->str[0] >= '0' && a->str[0] <= '9') || a->str[0] == '*') {
		key->op = IMAP_SEARCH_SEQSET;
		return imap_search_set(c, a, key);
	}
	for (size_t k = 0; k < sizeof(imap_search_keys) / sizeof(imap_search_keys[0]); k++) {
		if (strcasecmp(a->str, imap_search_keys[k].name) == 0) {
			key->op = imap_search_keys[k].op;
			return imap_search_args(
			        c, args, count, i, depth, imap_search_keys[k].kind, key);
		}
	}
	return imap_search_fail(c, "Unknown search key.");
}

int
imap_search_parse(struct imap_arena *arena, const struct imap_arg *args, size_t count,
        struct imap_search_program **prog_r, bool *is_badcharset_r, const char **error_r)
{
	struct imap_search_ctx c = {.arena = arena};
	size_t start = 0;

	*is_badcharset_r = false;
	c.prog = imap_arena_alloc(arena, sizeof(*c.prog));
	if (c.prog == NULL) {
		*error_r = "Internal error.";
		return -1;
	}
	if (count > 0 && imap_arg_is_atom(&args[0], "CHARSET")) {
		const char *cs;
		size_t len;

		if (count < 2 || !imap_arg_get_astring(&args[1], &cs, &len)) {
			*error_r = "Missing charset.";
			return -1;
		}
		/* IMAP-45: only US-ASCII and UTF-8 */
		if (strcasecmp(cs, "UTF-8") == 0) {
			c.prog->is_utf8 = true;
		} else if (strcasecmp(cs, "US-ASCII") != 0) {
			*is_badcharset_r = true;
			*error_r = "Unsupported charset.";
			return -1;
		}
		start = 2;
	}
	if (imap_search_group(&c, args + start, count - start, 0, &c.prog->root) < 0) {
		*error_r = c.error;
		return -1;
	}
	*prog_r = c.prog;
	return 0;
}
