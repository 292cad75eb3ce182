/*
 * auth_address.h - account-name rules (ACC-1 for logins, ACC-2..4, CLI-6
 * block entries). PURE: libc, core/ and policy/ only, no I/O.
 *
 * Address normalisation itself (ACC-1) lives in policy/policy_address.h;
 * this file adds what makes an address an account name.
 */
#ifndef CHATRELAY_AUTH_ADDRESS_H
#define CHATRELAY_AUTH_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/core_limits.h"

struct conf_list;

/*
 * auth_address_normalise_local - ACC-1 for logins: the login form of
 * policy_address_normalise_login(), and the domain must equal mail_domain
 * (as struct conf stores it). Writes into out (outlen >= ADDRESS_MAX).
 * 0 or -1.
 */
int auth_address_normalise_local(
        const char *name, const char *mail_domain, char *out, size_t outlen);

/* auth_address_local_part - the local part of a normalised address into out. 0 or -1. */
int auth_address_local_part(const char *address, char *out, size_t outlen);

/* auth_local_part_is_valid - ACC-2: [a-z0-9._-], no leading/trailing '.', no "..". */
bool auth_local_part_is_valid(const char *local);

/* auth_local_part_is_reserved - ACC-3: the fixed list plus extra (may be NULL). */
bool auth_local_part_is_reserved(const char *local, const struct conf_list *extra);

/* auth_local_part_fits - ACC-4 length bounds (octets). */
bool auth_local_part_fits(const char *local, long min_len, long max_len);

/* auth_password_is_acceptable - ACC-4: at most AUTH_PASSWORD_MAX octets and no NUL. */
bool auth_password_is_acceptable(const char *password, size_t len);

/*
 * auth_block_entry_normalise - CLI-6/FED-10 entry: an address (ACC-1) or a
 * domain written "example.org" or "@example.org" (stored without '@',
 * IPv4 as "[a.b.c.d]"). 0 or -1.
 */
int auth_block_entry_normalise(const char *entry, char *out, size_t outlen);

/*
 * auth_is_blocklisted - FED-10: whether the config list (sender_blocklist)
 * names this address or its domain (policy_address_list_match() with
 * block-entry syntax).
 */
bool auth_is_blocklisted(const struct conf_list *list, const char *address);

#endif
