/*
 * imap_mbname.h - mailbox name rules and LIST pattern matching (RFC 3501
 * 5.1, 6.3.8; SPEC IMAP-14, IMAP-28). PURE.
 *
 * Names travel in modified UTF-7 with `.` as the hierarchy separator and
 * are kept in that wire form; this file says whether one is acceptable and
 * gives its canonical spelling (INBOX in upper case).
 */
#ifndef CHATRELAY_IMAP_MBNAME_H
#define CHATRELAY_IMAP_MBNAME_H

#include <stdbool.h>
#include <stddef.h>

#include "core/core_limits.h"

#define IMAP_MBNAME_SEP '.'

/* Longest LIST pattern (reference + pattern) matched; longer ones match nothing. */
#define IMAP_LIST_PATTERN_MAX 1024

enum imap_mbname_use {
	IMAP_MBNAME_LOOKUP, /* SELECT, STATUS, DELETE, RENAME source, APPEND, ... */
	IMAP_MBNAME_CREATE, /* CREATE and RENAME targets: a single trailing `.` is dropped */
};

/*
 * imap_mbname_normalize - check name[0..len) against IMAP-14 (canonical
 * modified UTF-7, at most IMAP_MAILBOX_NAME_MAX octets, no empty
 * component, no `/`, `\` or control characters) and write its canonical
 * form to out (a leading INBOX component in any case becomes `INBOX`).
 * Returns 0, or -1 when the name is invalid (the caller answers
 * `NO [CANNOT]` or `NO [NONEXISTENT]` per IMAP-14).
 */
int imap_mbname_normalize(const char *name, size_t len, enum imap_mbname_use use,
        char out[IMAP_MAILBOX_NAME_MAX + 1]);

/* imap_mbname_is_inbox - name is INBOX in any case. */
bool imap_mbname_is_inbox(const char *name, size_t len);

/*
 * imap_mbname_match - LIST pattern: `*` matches anything, `%` anything but
 * the separator, other octets themselves (case-sensitive; normalise INBOX
 * first). O(pattern x name) time, no recursion.
 */
bool imap_mbname_match(const char *pattern, size_t plen, const char *name, size_t nlen);

#endif
