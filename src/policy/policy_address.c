/*
 * policy_address.c - ACC-1 address normalisation, comparison and list
 * matching. PURE: libc and core/ only, no allocation.
 *
 * Does not decide whether an address is local or has an account (auth/
 * does, ACC-2..4); it only brings addresses into the one form in which
 * they are compared. RFC 5321 4.1.2 / 4.1.3 (address literals).
 */
#include "policy/policy_address.h"

#include <stdio.h>
#include <string.h>

/* policy_address_lower - ASCII lowercase of one octet (ACC-1 leaves other octets alone). */
static char
policy_address_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* policy_address_is_ctl - NUL, controls and DEL: never part of an address we compare. */
static bool
policy_address_is_ctl(unsigned char c)
{
	return c < ' ' || c == 0x7f;
}

/* policy_address_is_login_bad - octets a login name never contains (ACC-1 "%-encoded text"). */
static bool
policy_address_is_login_bad(unsigned char c)
{
	return c <= ' ' || c >= 0x7f || c == '%' || c == '"' || c == '\\' || c == '<' || c == '>' ||
	        c == ',' || c == ';' || c == '(' || c == ')';
}

/* policy_address_scan - true when s[0..len) has no octet the form rejects. */
static bool
policy_address_scan(const char *s, size_t len, bool is_login)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (policy_address_is_ctl(c) || (is_login && policy_address_is_login_bad(c)))
			return false;
	}
	return true;
}

/* policy_address_ipv4 - strict dotted quad (0..255, no leading zeros) into a[4]. */
static bool
policy_address_ipv4(const char *s, size_t len, unsigned a[4])
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

/* policy_address_copy_lower - d[0..len) lowercased and NUL-terminated into out. */
static int
policy_address_copy_lower(const char *d, size_t len, char *out, size_t outsize)
{
	if (len + 1 > outsize)
		return -1;
	for (size_t i = 0; i < len; i++)
		out[i] = policy_address_lower(d[i]);
	out[len] = '\0';
	return 0;
}

/*
 * policy_address_domain_norm - a domain: lowercase; IPv4 with or without
 * brackets -> "[a.b.c.d]"; another address literal ("[IPv6:...]",
 * RFC 5321 4.1.3) only in the mail form. The octets were scanned already.
 */
static int
policy_address_domain_norm(const char *d, size_t len, bool is_login, char *out, size_t outsize)
{
	unsigned ip[4];
	int n;

	/* no space even in the mail form: RFC 5321 domains and dtext have none */
	if (len == 0 || memchr(d, ' ', len) != NULL)
		return -1;
	if (d[0] == '[') {
		if (len < 3 || d[len - 1] != ']' || memchr(d + 1, '[', len - 2) != NULL ||
		        memchr(d + 1, ']', len - 2) != NULL)
			return -1;
		if (!policy_address_ipv4(d + 1, len - 2, ip))
			return is_login ? -1 : policy_address_copy_lower(d, len, out, outsize);
	} else if (!policy_address_ipv4(d, len, ip)) {
		if (memchr(d, '[', len) != NULL || memchr(d, ']', len) != NULL)
			return -1;
		return policy_address_copy_lower(d, len, out, outsize);
	}
	n = snprintf(out, outsize, "[%u.%u.%u.%u]", ip[0], ip[1], ip[2], ip[3]);
	return n < 0 || (size_t)n >= outsize ? -1 : 0;
}

/* policy_address_norm - ACC-1 in either form (see the header). */
static int
policy_address_norm(const char *addr, size_t len, bool is_login, char *out, size_t outsize)
{
	const char *at = memchr(addr, '@', len);
	size_t local_len;

	if (at == NULL || len >= ADDRESS_MAX || !policy_address_scan(addr, len, is_login))
		return -1;
	local_len = (size_t)(at - addr);
	if (local_len == 0 || memchr(at + 1, '@', len - local_len - 1) != NULL ||
	        local_len + 1 >= outsize)
		return -1;
	for (size_t i = 0; i < local_len; i++)
		out[i] = policy_address_lower(addr[i]);
	out[local_len] = '@';
	return policy_address_domain_norm(at + 1, len - local_len - 1, is_login,
	        out + local_len + 1, outsize - local_len - 1);
}

int
policy_address_normalise(const char *addr, size_t len, char *out, size_t outsize)
{
	return policy_address_norm(addr, len, false, out, outsize);
}

int
policy_address_normalise_login(const char *name, char *out, size_t outsize)
{
	return policy_address_norm(name, strlen(name), true, out, outsize);
}

const char *
policy_address_domain(const char *address)
{
	const char *at = strrchr(address, '@');

	return at != NULL ? at + 1 : "";
}

bool
policy_address_equal(const char *a, const char *b)
{
	char na[ADDRESS_MAX + 2], nb[ADDRESS_MAX + 2];

	return policy_address_normalise(a, strlen(a), na, sizeof(na)) == 0 &&
	        policy_address_normalise(b, strlen(b), nb, sizeof(nb)) == 0 && strcmp(na, nb) == 0;
}

int
policy_address_entry_normalise(const char *entry, unsigned flags, char *out, size_t outsize)
{
	const char *d = entry;
	size_t len;

	if (entry[0] != '@' && strchr(entry, '@') != NULL)
		return policy_address_normalise_login(entry, out, outsize);
	if (d[0] == '@')
		d++;
	else if ((flags & POLICY_LIST_BARE_DOMAIN) == 0)
		return -1;
	len = strlen(d);
	if (len == 0 || len >= ADDRESS_MAX || strchr(d, '@') != NULL ||
	        !policy_address_scan(d, len, true))
		return -1;
	return policy_address_domain_norm(d, len, true, out, outsize);
}

bool
policy_address_list_match(const char *addr, char *const *words, size_t count, unsigned flags)
{
	const char *at = strrchr(addr, '@');
	char norm[ADDRESS_MAX + 2], domain[ADDRESS_MAX + 2];
	bool has_norm, has_domain;

	/* entries are normalised already, and a login-form text is its own mail form */
	has_norm = policy_address_normalise(addr, strlen(addr), norm, sizeof(norm)) == 0;
	/* the domain alone: a local part the mail form refuses still has a domain (FED-10) */
	has_domain = at != NULL && policy_address_scan(at + 1, strlen(at + 1), false) &&
	        policy_address_domain_norm(at + 1, strlen(at + 1), false, domain, sizeof(domain)) ==
	                0;
	for (size_t k = 0; k < count; k++) {
		char entry[ADDRESS_MAX + 2];

		if (policy_address_entry_normalise(words[k], flags, entry, sizeof(entry)) < 0)
			continue;
		if (strchr(entry, '@') != NULL ? has_norm && strcmp(entry, norm) == 0
		                               : has_domain && strcmp(entry, domain) == 0)
			return true;
	}
	return false;
}
