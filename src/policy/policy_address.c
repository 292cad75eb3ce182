/*
 * policy_address.c - ACC-1 address normalisation. PURE: libc only.
 *
 * Does not decide whether an address is local or has an account; it only
 * brings addresses into the one form in which they are compared.
 */
#include "policy/policy_address.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/core_limits.h"

/* addr_lower - ASCII lowercase of one octet (ACC-1 leaves other octets alone). */
static char
addr_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* addr_ipv4_bare - true when d[0..n) is a dotted-quad IPv4 address. */
static bool
addr_ipv4_bare(const char *d, size_t n)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr a;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, d, n);
	buf[n] = '\0';
	return inet_pton(AF_INET, buf, &a) == 1;
}

int
addr_normalize(const char *addr, size_t len, char *out, size_t outsize)
{
	const char *at = memchr(addr, '@', len);
	const char *dom;
	size_t local_len, dom_len, o;
	bool is_ip;

	if (at == NULL || memchr(at + 1, '@', len - (size_t)(at + 1 - addr)) != NULL ||
	        memchr(addr, '\0', len) != NULL)
		return -1;
	local_len = (size_t)(at - addr);
	dom = at + 1;
	dom_len = len - local_len - 1;
	if (local_len == 0 || dom_len == 0)
		return -1;
	if (dom_len >= 2 && dom[0] == '[' && dom[dom_len - 1] == ']' &&
	        addr_ipv4_bare(dom + 1, dom_len - 2)) {
		dom++;
		dom_len -= 2;
	}
	is_ip = addr_ipv4_bare(dom, dom_len);
	if (local_len + dom_len + 4 > outsize)
		return -1;
	o = 0;
	for (size_t i = 0; i < local_len; i++)
		out[o++] = addr_lower(addr[i]);
	out[o++] = '@';
	if (is_ip)
		out[o++] = '[';
	for (size_t i = 0; i < dom_len; i++)
		out[o++] = addr_lower(dom[i]);
	if (is_ip)
		out[o++] = ']';
	out[o] = '\0';
	return 0;
}

bool
addr_equal(const char *a, const char *b)
{
	char na[SMTP_PATH_MAX + 8], nb[SMTP_PATH_MAX + 8];

	return addr_normalize(a, strlen(a), na, sizeof(na)) == 0 &&
	        addr_normalize(b, strlen(b), nb, sizeof(nb)) == 0 && strcmp(na, nb) == 0;
}

bool
addr_list_match(const char *addr, char *const *words, size_t count)
{
	const char *at = strrchr(addr, '@');

	for (size_t k = 0; k < count; k++) {
		const char *w = words[k];

		if (w[0] == '@') {
			if (at != NULL && strcasecmp(at + 1, w + 1) == 0)
				return true;
		} else if (addr_equal(addr, w)) {
			return true;
		}
	}
	return false;
}
