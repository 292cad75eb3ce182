/*
 * auth_address.h - address normalisation and account-name rules
 * (ACC-1..4, CLI-6 entries). PURE: libc and core/ only, no I/O.
 */
#ifndef CHATRELAY_AUTH_ADDRESS_H
#define CHATRELAY_AUTH_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/core_limits.h"

struct conf_list;

/* Longest address accepted anywhere (RFC 5321 4.5.3.1.3 path minus brackets). */
#define AUTH_ADDRESS_MAX 256

/*
 * auth_address_normalise - ACC-1 for any address: exactly one '@', both
 * parts non-empty, no '%', no control characters, space or quote, both
 * parts ASCII-lowercased, an IPv4 domain with or without brackets written
 * "[a.b.c.d]". Writes the result into out (outlen >= AUTH_ADDRESS_MAX).
 * Returns 0, or -1 when the text is not an address.
 */
int auth_address_normalise(const char *name, char *out, size_t outlen);

/*
 * auth_address_normalise_local - ACC-1 for logins: as above, and the domain
 * must equal mail_domain (as struct conf stores it). 0 or -1.
 */
int auth_address_normalise_local(
        const char *name, const char *mail_domain, char *out, size_t outlen);

/* auth_address_local_part - the local part of a normalised address into out. 0 or -1. */
int auth_address_local_part(const char *address, char *out, size_t outlen);

/* auth_address_domain - pointer to the domain of a normalised address (after '@'). */
const char *auth_address_domain(const char *address);

/* auth_local_part_is_valid - ACC-2: [a-z0-9._-], no leading/trailing '.', no "..". */
bool auth_local_part_is_valid(const char *local);

/* auth_local_part_is_reserved - ACC-3: the fixed list plus extra (may be NULL). */
bool auth_local_part_is_reserved(const char *local, const struct conf_list *extra);

/* auth_local_part_fits - ACC-4 length bounds (octets). */
bool auth_local_part_fits(const char *local, long min_len, long max_len);

/* auth_password_is_acceptable - ACC-4: at most 1024 octets and no NUL. */
bool auth_password_is_acceptable(const char *password, size_t len);

/*
 * auth_block_entry_normalise - CLI-6/FED-10 entry: an address (ACC-1) or a
 * domain written "example.org" or "@example.org" (stored without '@',
 * IPv4 as "[a.b.c.d]"). 0 or -1.
 */
int auth_block_entry_normalise(const char *entry, char *out, size_t outlen);

/*
 * auth_list_matches_address - whether a config list of addresses or
 * domains (sender_blocklist) names this normalised address or its domain.
 */
bool auth_list_matches_address(const struct conf_list *list, const char *address);

#endif
