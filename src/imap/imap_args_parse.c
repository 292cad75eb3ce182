/*
 * imap_args_parse.c - arguments of APPEND, STATUS, GETMETADATA,
 * SETMETADATA and ID. PURE: libc and core/ only.
 *
 * Only syntax and bounds: whether a mailbox exists or an entry may be set
 * is decided by the command handlers (IMAP-44, META-6).
 */
#include "imap/imap_args_parse.h"

#include <string.h>
#include <strings.h>

#include "imap/imap_arena.h"
#include "imap/imap_quote.h"

static const char *const imap_status_names[] = {
        "MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "HIGHESTMODSEQ"};

const char *
imap_status_item_name(enum imap_status_item item)
{
	return (size_t)item < sizeof(imap_status_names) / sizeof(imap_status_names[0])
	        ? imap_status_names[item]
	        : "?";
}

/* imap_args_fail - set the reply text, return -1. */
static int
imap_args_fail(const char **error_r, const char *text)
{
	*error_r = text;
	return -1;
}

int
imap_append_parse(struct imap_arena *arena, const struct imap_arg *args, size_t count,
        struct imap_append_args *out, const char **error_r)
{
	const struct imap_arg *items;
	size_t i = 1, n;
	const char *s;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (count < 2 || !imap_arg_get_astring(&args[0], &out->mailbox, &out->mailbox_len))
		return imap_args_fail(error_r, "Invalid APPEND arguments.");
	if (imap_arg_get_list(&args[i], &items, &n)) {
		if (imap_flags_parse(arena, items, n, &out->flags, error_r) < 0)
			return -1;
		i++;
	}
	if (i < count && args[i].type == IMAP_ARG_QUOTED) {
		/* RFC 3501 date-time is quoted; IMAP-44: a bad one is BAD */
		imap_arg_get_string(&args[i], &s, &len);
		if (imap_date_time_parse(s, len, &out->date) < 0)
			return imap_args_fail(error_r, "Invalid date-time.");
		out->has_date = true;
		i++;
	}
	if (i >= count || args[i].type != IMAP_ARG_LITERAL)
		return imap_args_fail(error_r, "Missing message literal.");
	out->message = &args[i++];
	if (i != count)
		return imap_args_fail(error_r, "MULTIAPPEND is not supported.");
	return 0;
}

bool
imap_append_literal_is_message(const struct imap_parser *p, bool *is_second_r)
{
	const struct imap_literal_info *li = imap_parser_literal(p);
	const struct imap_arg *a;

	*is_second_r = false;
	if (li == NULL || li->name == NULL || strcasecmp(li->name, "APPEND") != 0 ||
	        li->depth != 0 || li->index == 0)
		return false;
	for (size_t i = 1; i < li->index; i++)
		if ((a = imap_parser_top_arg(p, i)) != NULL && a->type == IMAP_ARG_LITERAL)
			*is_second_r = true;
	return true;
}

int
imap_status_parse(struct imap_arena *arena, const struct imap_arg *args, size_t count,
        struct imap_status_args *out, const char **error_r)
{
	const struct imap_arg *items;
	size_t n, k;

	memset(out, 0, sizeof(*out));
	if (count != 2 || !imap_arg_get_astring(&args[0], &out->mailbox, &out->mailbox_len) ||
	        !imap_arg_get_list(&args[1], &items, &n) || n == 0)
		return imap_args_fail(error_r, "Invalid STATUS arguments.");
	out->items = imap_arena_alloc(arena, n * sizeof(*out->items));
	if (out->items == NULL)
		return imap_args_fail(error_r, "Internal error.");
	for (size_t i = 0; i < n; i++) {
		for (k = 0; k < sizeof(imap_status_names) / sizeof(imap_status_names[0]); k++)
			if (imap_arg_is_atom(&items[i], imap_status_names[k]))
				break;
		if (k == sizeof(imap_status_names) / sizeof(imap_status_names[0]))
			return imap_args_fail(error_r, "Unknown STATUS item.");
		out->items[out->count++] = (enum imap_status_item)k;
	}
	return 0;
}

bool
imap_metadata_entry_valid(const char *s, size_t len)
{
	if (len == 0 || len > IMAP_METADATA_ENTRY_MAX || s[len - 1] == '/')
		return false;
	if (!(len >= 7 && strncasecmp(s, "/shared", 7) == 0 && (len == 7 || s[7] == '/')) &&
	        !(len >= 8 && strncasecmp(s, "/private", 8) == 0 && (len == 8 || s[8] == '/')))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || c == '*' || c == '%' ||
		        (c == '/' && i + 1 < len && s[i + 1] == '/'))
			return false;
	}
	return true;
}

/* imap_getmetadata_options - `(MAXSIZE <n> DEPTH <d>)` (RFC 5464 4.2). */
static int
imap_getmetadata_options(
        const struct imap_arg *list, struct imap_getmetadata_args *out, const char **error_r)
{
	const struct imap_arg *o;
	size_t n;
	uint64_t v;

	imap_arg_get_list(list, &o, &n);
	if (n == 0 || n % 2 != 0)
		return imap_args_fail(error_r, "Invalid GETMETADATA options.");
	for (size_t i = 0; i < n; i += 2) {
		if (imap_arg_is_atom(&o[i], "MAXSIZE") &&
		        imap_arg_get_number(&o[i + 1], UINT32_MAX, &v)) {
			out->has_maxsize = true;
			out->maxsize = (uint32_t)v;
		} else if (imap_arg_is_atom(&o[i], "DEPTH") && imap_arg_is_atom(&o[i + 1], "0")) {
			out->depth = 0;
		} else if (imap_arg_is_atom(&o[i], "DEPTH") && imap_arg_is_atom(&o[i + 1], "1")) {
			out->depth = 1;
		} else if (imap_arg_is_atom(&o[i], "DEPTH") &&
		        imap_arg_is_atom(&o[i + 1], "infinity")) {
			out->depth = -1;
		} else {
			return imap_args_fail(error_r, "Invalid GETMETADATA options.");
		}
	}
	return 0;
}

int
imap_getmetadata_parse(struct imap_arena *arena, const struct imap_arg *args, size_t count,
        struct imap_getmetadata_args *out, const char **error_r)
{
	const struct imap_arg *e;
	size_t i = 0, n;

	memset(out, 0, sizeof(*out));
	if (count > 0 && args[0].type == IMAP_ARG_LIST) {
		if (imap_getmetadata_options(&args[0], out, error_r) < 0)
			return -1;
		i++;
	}
	if (count - i != 2 || !imap_arg_get_astring(&args[i], &out->mailbox, &out->mailbox_len))
		return imap_args_fail(error_r, "Invalid GETMETADATA arguments.");
	if (!imap_arg_get_list(&args[i + 1], &e, &n)) {
		e = &args[i + 1];
		n = 1;
	}
	if (n == 0 || n > IMAP_METADATA_ENTRIES_MAX)
		return imap_args_fail(error_r, "Invalid GETMETADATA entries.");
	out->entries = imap_arena_alloc(arena, n * sizeof(*out->entries));
	if (out->entries == NULL)
		return imap_args_fail(error_r, "Internal error.");
	for (size_t k = 0; k < n; k++) {
		size_t len;

		if (!imap_arg_get_astring(&e[k], &out->entries[k], &len) ||
		        !imap_metadata_entry_valid(out->entries[k], len))
			return imap_args_fail(error_r, "Invalid metadata entry name.");
	}
	out->count = n;
	return 0;
}

int
imap_setmetadata_parse(struct imap_arena *arena, const struct imap_arg *args, size_t count,
        struct imap_setmetadata_args *out, const char **error_r)
{
	const struct imap_arg *l;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (count != 2 || !imap_arg_get_astring(&args[0], &out->mailbox, &out->mailbox_len) ||
	        !imap_arg_get_list(&args[1], &l, &n) || n == 0 || n % 2 != 0)
		return imap_args_fail(error_r, "Invalid SETMETADATA arguments.");
	if (n / 2 > IMAP_METADATA_ENTRIES_MAX)
		return imap_args_fail(error_r, "Too many metadata entries.");
	out->pairs = imap_arena_alloc(arena, n / 2 * sizeof(*out->pairs));
	if (out->pairs == NULL)
		return imap_args_fail(error_r, "Internal error.");
	for (size_t k = 0; k < n; k += 2) {
		struct imap_metadata_pair *pr = &out->pairs[out->count++];
		size_t len;

		if (!imap_arg_get_astring(&l[k], &pr->entry, &len) ||
		        !imap_metadata_entry_valid(pr->entry, len))
			return imap_args_fail(error_r, "Invalid metadata entry name.");
		/* META-5: quoted or literal value, or NIL to remove */
		if (!imap_arg_get_nstring(&l[k + 1], &pr->value, &pr->value_len))
			return imap_args_fail(error_r, "Invalid metadata value.");
	}
	return 0;
}

int
imap_id_check(const struct imap_arg *args, size_t count, const char **error_r)
{
	const struct imap_arg *l;
	size_t n;

	if (count == 1 && imap_arg_is_nil(&args[0]))
		return 0;
	if (count != 1 || !imap_arg_get_list(&args[0], &l, &n) || n % 2 != 0 ||
	        n / 2 > IMAP_ID_PAIRS_MAX)
		return imap_args_fail(error_r, "Invalid ID arguments.");
	for (size_t k = 0; k < n; k += 2) {
		const char *s;
		size_t len;

		if (!imap_arg_get_string(&l[k], &s, &len) || len > IMAP_ID_FIELD_MAX)
			return imap_args_fail(error_r, "Invalid ID field.");
		if (!imap_arg_get_nstring(&l[k + 1], &s, &len) || len > IMAP_ID_VALUE_MAX)
			return imap_args_fail(error_r, "Invalid ID value.");
	}
	return 0;
}
