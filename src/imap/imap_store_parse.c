/*
 * imap_store_parse.c - STORE arguments and flag lists. PURE: libc and
 * core/ only.
 *
 * A bare NIL is the keyword `NIL` (IMAP-10, IMAP-41). Keywords are atoms
 * only: a quoted string where a flag belongs is a syntax error, as in
 * RFC 3501's grammar.
 */
#include "imap/imap_store_parse.h"

#include <string.h>
#include <strings.h>

#include "core/core_limits.h"
#include "imap/imap_arena.h"

static const struct {
	const char *name;
	unsigned bit;
} imap_system_flags[] = {
        {"\\Answered", IMAP_FLAG_ANSWERED},
        {"\\Flagged", IMAP_FLAG_FLAGGED},
        {"\\Deleted", IMAP_FLAG_DELETED},
        {"\\Seen", IMAP_FLAG_SEEN},
        {"\\Draft", IMAP_FLAG_DRAFT},
};

const char *
imap_flag_system_name(unsigned bit)
{
	for (size_t i = 0; i < sizeof(imap_system_flags) / sizeof(imap_system_flags[0]); i++)
		if (imap_system_flags[i].bit == bit)
			return imap_system_flags[i].name;
	return NULL;
}

const char *
imap_flag_shown_name(unsigned bit)
{
	return bit == IMAP_FLAG_RECENT ? "\\Recent" : imap_flag_system_name(bit);
}

bool
imap_flag_is_keyword(const char *s, size_t len)
{
	if (len == 0 || len > IMAP_KEYWORD_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		/* RFC 3501 ATOM-CHAR: no atom-specials, no resp-specials */
		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c) != NULL)
			return false;
	}
	return true;
}

/* imap_flags_system - the bit of a `\` flag, 0 if it cannot be stored. */
static unsigned
imap_flags_system(const char *s)
{
	for (size_t i = 0; i < sizeof(imap_system_flags) / sizeof(imap_system_flags[0]); i++)
		if (strcasecmp(s, imap_system_flags[i].name) == 0)
			return imap_system_flags[i].bit;
	return 0;
}

int
imap_flags_parse(struct imap_arena *arena, const struct imap_arg *items, size_t count,
        struct imap_flags *flags, const char **error_r)
{
	const char **kw = NULL;
	size_t n = 0;

	memset(flags, 0, sizeof(*flags));
	if (count > 0 && (kw = imap_arena_alloc(arena, count * sizeof(*kw))) == NULL) {
		*error_r = "Internal error.";
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		const char *s;
		bool is_dup = false;

		if (!imap_arg_get_atom(&items[i], &s)) {
			*error_r = "Invalid flag.";
			return -1;
		}
		if (s[0] == '\\') {
			unsigned bit = imap_flags_system(s);

			if (bit == 0) {
				/* \Recent is set by the server only (IMAP-31) */
				*error_r = "Invalid system flag.";
				return -1;
			}
			flags->system |= bit;
			continue;
		}
		if (!imap_flag_is_keyword(s, items[i].len)) {
			*error_r = "Invalid keyword.";
			return -1;
		}
		for (size_t j = 0; j < n && !is_dup; j++)
			is_dup = strcasecmp(kw[j], s) == 0;
		if (!is_dup)
			kw[n++] = s;
	}
	flags->keywords = kw;
	flags->keyword_count = n;
	return 0;
}

/* imap_store_modifier - `(UNCHANGEDSINCE <m>)` (RFC 7162 3.1.3). */
static int
imap_store_modifier(const struct imap_arg *a, struct imap_store_request *req, const char **error_r)
{
	const struct imap_arg *items;
	size_t n;

	if (!imap_arg_get_list(a, &items, &n) || n != 2 ||
	        !imap_arg_is_atom(&items[0], "UNCHANGEDSINCE")) {
		*error_r = "Unknown STORE modifier.";
		return -1;
	}
	if (!imap_arg_get_number(&items[1], INT64_MAX, &req->unchangedsince)) {
		*error_r = "Invalid UNCHANGEDSINCE.";
		return -1;
	}
	req->has_unchangedsince = true;
	return 0;
}

/* imap_store_item - FLAGS / +FLAGS / -FLAGS with optional .SILENT. */
static int
imap_store_item(const char *s, struct imap_store_request *req)
{
	req->op = IMAP_STORE_REPLACE;
	if (*s == '+' || *s == '-')
		req->op = *s++ == '+' ? IMAP_STORE_ADD : IMAP_STORE_REMOVE;
	if (strcasecmp(s, "FLAGS") == 0)
		return 0;
	if (strcasecmp(s, "FLAGS.SILENT") == 0) {
		req->is_silent = true;
		return 0;
	}
	return -1;
}

int
imap_store_parse(struct imap_arena *arena, const struct imap_arg *args, size_t count,
        struct imap_store_request *req, const char **error_r)
{
	const struct imap_arg *items;
	const char *s;
	size_t i = 0, n;

	memset(req, 0, sizeof(*req));
	if (count > 0 && args[0].type == IMAP_ARG_LIST) {
		if (imap_store_modifier(&args[0], req, error_r) < 0)
			return -1;
		i++;
	}
	if (i >= count || !imap_arg_get_atom(&args[i], &s) || imap_store_item(s, req) < 0) {
		*error_r = "Invalid STORE item.";
		return -1;
	}
	i++;
	if (i >= count) {
		*error_r = "Missing flags.";
		return -1;
	}
	/* a parenthesised list, or flags without parentheses (RFC 3501 store-att-flags) */
	if (imap_arg_get_list(&args[i], &items, &n)) {
		if (i + 1 != count) {
			*error_r = "Unexpected STORE arguments.";
			return -1;
		}
		return imap_flags_parse(arena, items, n, &req->flags, error_r);
	}
	return imap_flags_parse(arena, args + i, count - i, &req->flags, error_r);
}
