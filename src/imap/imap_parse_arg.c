/*
 * imap_parse_arg.c - typed access to the arguments of a parsed IMAP command.
 * PURE: libc only.
 *
 * Implements the RFC 3501 grammar words (astring, string, nstring) over the
 * generic tree of imap_parse.c; IMAP-10 decides what NIL means: nil only
 * where the grammar has nstring, an atom everywhere else.
 */
#include "imap/imap_parse.h"

#include <strings.h>

bool
imap_arg_is_atom(const struct imap_arg *a, const char *word)
{
	return a != NULL && a->type == IMAP_ARG_ATOM && strcasecmp(a->str, word) == 0;
}

bool
imap_arg_is_nil(const struct imap_arg *a)
{
	return imap_arg_is_atom(a, "NIL");
}

bool
imap_arg_get_atom(const struct imap_arg *a, const char **s_r)
{
	if (a == NULL || a->type != IMAP_ARG_ATOM)
		return false;
	*s_r = a->str;
	return true;
}

bool
imap_arg_get_string(const struct imap_arg *a, const char **s_r, size_t *len_r)
{
	if (a == NULL || (a->type != IMAP_ARG_QUOTED && a->type != IMAP_ARG_LITERAL) ||
	        a->is_streamed)
		return false;
	*s_r = a->str;
	*len_r = a->len;
	return true;
}

bool
imap_arg_get_astring(const struct imap_arg *a, const char **s_r, size_t *len_r)
{
	if (a != NULL && a->type == IMAP_ARG_ATOM) {
		*s_r = a->str;
		*len_r = a->len;
		return true;
	}
	return imap_arg_get_string(a, s_r, len_r);
}

bool
imap_arg_get_nstring(const struct imap_arg *a, const char **s_r, size_t *len_r)
{
	if (imap_arg_is_nil(a)) {
		*s_r = NULL;
		*len_r = 0;
		return true;
	}
	return imap_arg_get_string(a, s_r, len_r);
}

bool
imap_arg_get_list(const struct imap_arg *a, const struct imap_arg **items_r, size_t *count_r)
{
	if (a == NULL || a->type != IMAP_ARG_LIST)
		return false;
	*items_r = a->list;
	*count_r = a->count;
	return true;
}

bool
imap_parse_number(const char *s, size_t len, uint64_t max, uint64_t *v_r)
{
	uint64_t v = 0;

	/* 20 digits overflow 2^64; leading zeros are not canonical */
	if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < len; i++) {
		uint64_t d;

		if (s[i] < '0' || s[i] > '9')
			return false;
		d = (uint64_t)(s[i] - '0');
		if (d > max || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*v_r = v;
	return true;
}

bool
imap_arg_get_number(const struct imap_arg *a, uint64_t max, uint64_t *v_r)
{
	return a != NULL && a->type == IMAP_ARG_ATOM && imap_parse_number(a->str, a->len, max, v_r);
}
