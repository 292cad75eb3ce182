/*
 * imap_quote.h - rendering of IMAP strings and dates for responses, and
 * parsing of IMAP dates (RFC 3501 4.3, 9 `date`, `date-time`; SPEC IMAP-28,
 * IMAP-35, IMAP-38, IMAP-44, IMAP-46). PURE.
 *
 * Output never uses backslash escapes: a string is quoted only when it
 * consists of printable ASCII without `"` and `\`, else it is a literal
 * (IMAP-38). Functions write like snprintf: they return the length the
 * full rendering needs and write at most size-1 octets plus a NUL.
 */
#ifndef CHATRELAY_IMAP_QUOTE_H
#define CHATRELAY_IMAP_QUOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum imap_quote_mode {
	IMAP_QUOTE_ASTRING, /* atom if possible, else quoted, else literal (mailbox names, IMAP-28)
	                     */
	IMAP_QUOTE_STRING,  /* quoted if possible, else literal (FETCH strings, IMAP-38) */
	IMAP_QUOTE_LITERAL, /* always a literal (message data, METADATA values, META-4) */
};

enum imap_quote_kind { IMAP_QUOTE_KIND_ATOM, IMAP_QUOTE_KIND_QUOTED, IMAP_QUOTE_KIND_LITERAL };

/* imap_quote_kind - the form s[0..len) gets in mode. */
enum imap_quote_kind imap_quote_kind(const char *s, size_t len, enum imap_quote_mode mode);

/*
 * imap_quote - render s[0..len) (may contain NULs when it becomes a literal)
 * as `atom`, `"quoted"` or `{n}` CRLF octets. snprintf semantics.
 */
size_t imap_quote(char *dst, size_t size, const char *s, size_t len, enum imap_quote_mode mode);

/* imap_quote_nstring - like IMAP_QUOTE_STRING, but s == NULL renders `NIL`. */
size_t imap_quote_nstring(char *dst, size_t size, const char *s, size_t len);

/* Octets of `"DD-Mon-YYYY HH:MM:SS +0000"` plus the NUL. */
#define IMAP_DATE_TIME_SIZE 29

/*
 * imap_date_time_format - INTERNALDATE of t in UTC with quotes and a two-
 * digit day (IMAP-35). Times outside years 1970..9999 are clamped.
 */
void imap_date_time_format(time_t t, char buf[IMAP_DATE_TIME_SIZE]);

/*
 * imap_date_time_parse - RFC 3501 date-time without its quotes
 * (`d-Mon-yyyy hh:mm:ss +zzzz`, the day one or two digits or space-padded),
 * as APPEND sends it. Returns 0 with the UTC instant in *t_r, or -1.
 */
int imap_date_time_parse(const char *s, size_t len, time_t *t_r);

/*
 * imap_date_parse - RFC 3501 `date-text` (`d-Mon-yyyy`) as SEARCH sends it.
 * Returns 0 with 00:00:00 UTC of that day in *t_r (IMAP-46), or -1.
 */
int imap_date_parse(const char *s, size_t len, time_t *t_r);

#endif
