/*
 * mail_address.h - RFC 5322 address lists (From, To, Cc, ...). PURE.
 *
 * Parses mailbox, name-addr, addr-spec and group syntax (RFC 5322 3.4,
 * with the obsolete route and phrase forms of 4.4), skipping comments.
 * The result is a flat list shaped like IMAP ENVELOPE addresses
 * (RFC 3501 7.4.2): a group is a start entry (mailbox = group name, host
 * NULL), its members, and an end entry (all NULL).
 */
#ifndef CHATRELAY_MAIL_ADDRESS_H
#define CHATRELAY_MAIL_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

struct mail_addr {
	char *name;    /* owned display name (quotes and comments removed) or NULL */
	char *route;   /* owned obsolete source route ("@a,@b") or NULL */
	char *mailbox; /* owned local part (unquoted), group name for a group start, or NULL */
	char *host;    /* owned domain; "" when the address had none; NULL for group entries */
	struct mail_addr *next; /* owned */
};

/*
 * mail_addr_parse - parse an unfolded field value (NUL-terminated) into a
 * list (*list_r, caller frees with mail_addr_free(); NULL for an empty
 * value) and count its entries in *count_r. Returns 0, 1 when the value
 * had a syntax error (what could be read is returned), -1 when out of
 * memory (nothing returned). At most MAIL_ADDRESSES_MAX entries.
 */
int mail_addr_parse(const char *value, struct mail_addr **list_r, size_t *count_r);

/* mail_addr_free - free a list (accepts NULL), leaves NULL behind. */
void mail_addr_free(struct mail_addr **listp);

/* mail_addr_is_mailbox - true for an entry that is an address, not a group marker. */
bool mail_addr_is_mailbox(const struct mail_addr *a);

/*
 * mail_addr_single_mailbox - SUB-9 / MX-4: true when value is exactly one
 * mailbox (display name allowed, no group, no syntax error) and then
 * writes "local@domain" into out (size outsize, NUL-terminated). False
 * otherwise, or when it does not fit.
 */
bool mail_addr_single_mailbox(const char *value, char *out, size_t outsize);

#endif
