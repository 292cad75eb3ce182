/*
 * policy_address.h - address normalisation, comparison and list matching
 * (ACC-1, GATE-9 lists, FED-10 / CLI-6 entries). PURE.
 *
 * The one ACC-1 implementation: logins (AUTH-2, CLI), the PLAIN
 * authorization identity (AUTH-1), MAIL FROM against the authenticated
 * user (SUB-4), the From header (SUB-9, MX-4, GATE-8), passthrough lists
 * (GATE-9) and the sender blocklist (FED-10) all come through here.
 *
 * Two strictness levels, because the SPEC needs both:
 * - the login form rejects everything a login name never contains ('%'
 *   encodings, space, quotes, controls, non-ASCII, non-IPv4 literals);
 * - the mail form accepts what SMTP-5 and RFC 5322 allow in a real
 *   address (quoted local parts arrive unquoted or with their quotes and
 *   may contain space, '"' or '%'; SMTPUTF8 octets; "[IPv6:...]"
 *   literals), so a valid From of a remote sender is not "invalid" (MX-4).
 * Both reject controls and NUL, need exactly one '@', non-empty parts and
 * fewer than ADDRESS_MAX octets, lowercase only ASCII letters, and write
 * a strict dotted-quad IPv4 domain with or without brackets as
 * "[a.b.c.d]". An address valid in the login form normalises to the same
 * text in both forms, so comparisons between them are exact.
 */
#ifndef CHATRELAY_POLICY_ADDRESS_H
#define CHATRELAY_POLICY_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/core_limits.h"

/*
 * policy_address_normalise - ACC-1, mail form, of addr[0..len) (need not
 * be NUL-terminated). Writes the NUL-terminated result into out (size
 * outsize). Returns 0, or -1 when it is not an address or does not fit.
 */
int policy_address_normalise(const char *addr, size_t len, char *out, size_t outsize);

/*
 * policy_address_normalise_login - ACC-1, login form, of the
 * NUL-terminated name: as the mail form, and no '%', space, quote,
 * backslash, "<>,;()", no octet >= 0x7f, and a domain literal only for
 * IPv4. Returns 0, or -1 (the caller treats it as an authentication
 * failure, never as an account creation).
 */
int policy_address_normalise_login(const char *name, char *out, size_t outsize);

/* policy_address_domain - the domain of a normalised address (after its '@'), "" when none. */
const char *policy_address_domain(const char *address);

/*
 * policy_address_equal - true when a and b (NUL-terminated) are both
 * addresses in the mail form and equal after ACC-1.
 */
bool policy_address_equal(const char *a, const char *b);

/* Flags of list entries. */
enum {
	/* "example.org" (without '@') names a domain, as in FED-10; else such an entry is ignored
	 */
	POLICY_LIST_BARE_DOMAIN = 1,
};

/*
 * policy_address_entry_normalise - one list entry: an address (login
 * form, since entries are typed by operators) or a domain written
 * "@example.org" (or "example.org" with POLICY_LIST_BARE_DOMAIN), stored
 * lowercased without '@', IPv4 as "[a.b.c.d]". Returns 0, or -1.
 */
int policy_address_entry_normalise(const char *entry, unsigned flags, char *out, size_t outsize);

/*
 * policy_address_list_match - the one list match (GATE-9 passthrough
 * recipients, FED-10 sender blocklist): true when one of the count entries
 * in words is an address equal (ACC-1) to addr, or a domain equal to the
 * domain of addr (the part after its last '@', so a quoted local part does
 * not hide the domain). Invalid entries match nothing.
 */
bool policy_address_list_match(const char *addr, char *const *words, size_t count, unsigned flags);

#endif
