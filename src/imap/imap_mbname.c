/*
 * imap_mbname.c - mailbox name validation and LIST wildcard matching.
 * PURE: libc and core/ only.
 *
 * Does not know which mailboxes exist (the store does). The wire form is
 * what gets stored and compared, so validation decodes modified UTF-7 only
 * to look for control characters hidden in base64 runs.
 */
#include "imap/imap_mbname.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap/imap_utf7.h"

bool
imap_mbname_is_inbox(const char *name, size_t len)
{
	return len == 5 && strncasecmp(name, "INBOX", 5) == 0;
}

/* imap_mbname_has_control - C0, DEL or C1 in the decoded UTF-8 name. */
static bool
imap_mbname_has_control(const char *utf8, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)utf8[i];

		if (c < 0x20 || c == 0x7f)
			return true;
		/* U+0080..U+009F are C2 80..C2 9F in UTF-8 */
		if (c == 0xc2 && i + 1 < len && (unsigned char)utf8[i + 1] <= 0x9f)
			return true;
	}
	return false;
}

int
imap_mbname_normalize(
        const char *name, size_t len, enum imap_mbname_use use, char out[IMAP_MAILBOX_NAME_MAX + 1])
{
	char *utf8;
	size_t ulen;
	bool is_bad;

	if (use == IMAP_MBNAME_CREATE && len > 1 && name[len - 1] == IMAP_MBNAME_SEP)
		len--; /* IMAP-14: a single trailing separator in CREATE is removed first */
	if (len == 0 || len > IMAP_MAILBOX_NAME_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		bool is_sep = name[i] == IMAP_MBNAME_SEP;

		if (name[i] == '/' || name[i] == '\\')
			return -1;
		if (is_sep && (i == 0 || i + 1 == len || name[i + 1] == IMAP_MBNAME_SEP))
			return -1;
	}
	if (imap_utf7_to_utf8(name, len, &utf8, &ulen) < 0)
		return -1;
	is_bad = imap_mbname_has_control(utf8, ulen);
	free(utf8);
	if (is_bad)
		return -1;
	memcpy(out, name, len);
	out[len] = '\0';
	/* INBOX is case-insensitive, also as the first component of its children */
	if (len >= 5 && strncasecmp(out, "INBOX", 5) == 0 &&
	        (len == 5 || out[5] == IMAP_MBNAME_SEP))
		memcpy(out, "INBOX", 5);
	return 0;
}

bool
imap_mbname_match(const char *pattern, size_t plen, const char *name, size_t nlen)
{
	bool *row, is_match;

	if (plen > IMAP_LIST_PATTERN_MAX || nlen > IMAP_LIST_PATTERN_MAX)
		return false;
	/* row[j]: pattern[0..i) matches name[0..j) */
	row = calloc(nlen + 1, sizeof(*row));
	if (row == NULL)
		return false;
	row[0] = true;
	for (size_t i = 0; i < plen; i++) {
		char pc = pattern[i];

		if (pc == '*' || pc == '%') {
			/* a wildcard extends any match forward, % not across a separator */
			for (size_t j = 1; j <= nlen; j++)
				if (!row[j] && row[j - 1] &&
				        (pc == '*' || name[j - 1] != IMAP_MBNAME_SEP))
					row[j] = true;
			continue;
		}
		for (size_t j = nlen; j > 0; j--)
			row[j] = row[j - 1] && name[j - 1] == pc;
		row[0] = false;
	}
	is_match = row[nlen];
	free(row);
	return is_match;
}
