/*
 * auth_address.c - account-name rules (ACC-1 for logins, ACC-2..4,
 * CLI-6). PURE: no I/O, no allocation. Normalisation is policy_address.c.
 *
 * Every login name passes through here before anything else happens
 * (AUTH-2 step 1); a name that is not a local address is an
 * authentication failure, never an account creation.
 */
#include "auth/auth_address.h"

#include <string.h>
#include <strings.h>

#include "core/core_conf.h"
#include "policy/policy_address.h"

/* ACC-3: the fixed reserved local parts. */
static const char *const auth_reserved[] = {
        "admin",
        "root",
        "postmaster",
        "mailer-daemon",
        "abuse",
        "hostmaster",
        "webmaster",
};

int
auth_address_normalise_local(const char *name, const char *mail_domain, char *out, size_t outlen)
{
	if (policy_address_normalise_login(name, out, outlen) < 0)
		return -1;
	if (strcmp(policy_address_domain(out), mail_domain) != 0)
		return -1;
	return 0;
}

int
auth_address_local_part(const char *address, char *out, size_t outlen)
{
	const char *at = strchr(address, '@');

	if (at == NULL || (size_t)(at - address) >= outlen)
		return -1;
	memcpy(out, address, (size_t)(at - address));
	out[at - address] = '\0';
	return 0;
}

bool
auth_local_part_is_valid(const char *local)
{
	size_t len = strlen(local);

	if (len == 0 || local[0] == '.' || local[len - 1] == '.' || strstr(local, "..") != NULL)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = local[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' ||
		            ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

bool
auth_local_part_is_reserved(const char *local, const struct conf_list *extra)
{
	for (size_t i = 0; i < sizeof(auth_reserved) / sizeof(auth_reserved[0]); i++)
		if (strcmp(local, auth_reserved[i]) == 0)
			return true;
	if (extra == NULL)
		return false;
	/* config words compare case-insensitively; local parts are lowercase (ACC-2) */
	for (size_t i = 0; i < extra->count; i++)
		if (strcasecmp(extra->words[i], local) == 0)
			return true;
	return false;
}

bool
auth_local_part_fits(const char *local, long min_len, long max_len)
{
	size_t n = strlen(local);

	return (long)n >= min_len && (long)n <= max_len;
}

bool
auth_password_is_acceptable(const char *password, size_t len)
{
	return len <= AUTH_PASSWORD_MAX && memchr(password, '\0', len) == NULL;
}

int
auth_block_entry_normalise(const char *entry, char *out, size_t outlen)
{
	return policy_address_entry_normalise(entry, POLICY_LIST_BARE_DOMAIN, out, outlen);
}

bool
auth_is_blocklisted(const struct conf_list *list, const char *address)
{
	return list != NULL &&
	        policy_address_list_match(
	                address, list->words, list->count, POLICY_LIST_BARE_DOMAIN);
}
