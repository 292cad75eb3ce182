/*
 * auth_address.c - address normalisation and account-name rules
 * (ACC-1..4, CLI-6). PURE: no I/O, no allocation.
 *
 * Every login name passes through here before anything else happens
 * (AUTH-2 step 1); a name that is not a local address is an
 * authentication failure, never an account creation.
 */
#include "auth/auth_address.h"

#include <stdio.h>
#include <string.h>

#include "core/core_conf.h"

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

static char
auth_lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

/* auth_is_bad_char - characters never part of an address we accept (ACC-1). */
static bool
auth_is_bad_char(unsigned char ch)
{
	return ch <= ' ' || ch >= 0x7f || ch == '%' || ch == '"' || ch == '\\' || ch == '<' ||
	        ch == '>' || ch == ',' || ch == ';' || ch == '(' || ch == ')';
}

/* auth_parse_ipv4 - strict dotted quad (no leading zeros, 0..255) into a[4]. */
static bool
auth_parse_ipv4(const char *s, size_t len, unsigned a[4])
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned v = 0;
		size_t digits = 0;

		if (part > 0) {
			if (i >= len || s[i] != '.')
				return false;
			i++;
		}
		while (i < len && s[i] >= '0' && s[i] <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(s[i] - '0');
			i++;
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255 || (digits > 1 && s[i - digits] == '0'))
			return false;
		a[part] = v;
	}
	return i == len;
}

/* auth_domain_normalise - lowercase; IPv4 with or without brackets -> "[a.b.c.d]". */
static int
auth_domain_normalise(const char *d, size_t len, char *out, size_t outlen)
{
	unsigned ip[4];

	if (len == 0)
		return -1;
	if (d[0] == '[') {
		if (len < 3 || d[len - 1] != ']' || !auth_parse_ipv4(d + 1, len - 2, ip))
			return -1;
	} else if (!auth_parse_ipv4(d, len, ip)) {
		if (len + 1 > outlen || memchr(d, '[', len) != NULL || memchr(d, ']', len) != NULL)
			return -1;
		for (size_t i = 0; i < len; i++)
			out[i] = auth_lower(d[i]);
		out[len] = '\0';
		return 0;
	}
	if ((size_t)snprintf(out, outlen, "[%u.%u.%u.%u]", ip[0], ip[1], ip[2], ip[3]) >= outlen)
		return -1;
	return 0;
}

int
auth_address_normalise(const char *name, char *out, size_t outlen)
{
	const char *at = strchr(name, '@');
	size_t len = strlen(name), llen;

	if (at == NULL || strchr(at + 1, '@') != NULL || at == name || len >= AUTH_ADDRESS_MAX ||
	        outlen < AUTH_ADDRESS_MAX)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (auth_is_bad_char((unsigned char)name[i]))
			return -1;
	llen = (size_t)(at - name);
	for (size_t i = 0; i < llen; i++)
		out[i] = auth_lower(name[i]);
	out[llen] = '@';
	return auth_domain_normalise(at + 1, len - llen - 1, out + llen + 1, outlen - llen - 1);
}

int
auth_address_normalise_local(const char *name, const char *mail_domain, char *out, size_t outlen)
{
	if (auth_address_normalise(name, out, outlen) < 0)
		return -1;
	if (strcmp(auth_address_domain(out), mail_domain) != 0)
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

const char *
auth_address_domain(const char *address)
{
	const char *at = strchr(address, '@');

	return at != NULL ? at + 1 : "";
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
	for (size_t i = 0; i < extra->count; i++) {
		const char *w = extra->words[i];
		size_t n = strlen(w);

		/* Config words are compared case-insensitively: local parts are lowercase. */
		if (n == strlen(local)) {
			size_t j = 0;

			while (j < n && auth_lower(w[j]) == local[j])
				j++;
			if (j == n)
				return true;
		}
	}
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
	const char *d = entry;
	size_t len;

	if (entry[0] != '@' && strchr(entry, '@') != NULL)
		return auth_address_normalise(entry, out, outlen);
	if (d[0] == '@')
		d++;
	len = strlen(d);
	if (len == 0 || len >= AUTH_ADDRESS_MAX || strchr(d, '@') != NULL)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (auth_is_bad_char((unsigned char)d[i]))
			return -1;
	return auth_domain_normalise(d, len, out, outlen);
}

bool
auth_list_matches_address(const struct conf_list *list, const char *address)
{
	const char *domain = auth_address_domain(address);

	for (size_t i = 0; list != NULL && i < list->count; i++) {
		char entry[AUTH_ADDRESS_MAX];

		if (auth_block_entry_normalise(list->words[i], entry, sizeof(entry)) < 0)
			continue;
		if (strcmp(entry, address) == 0 || strcmp(entry, domain) == 0)
			return true;
	}
	return false;
}
