/*
 * policy_address.h - address normalisation and comparison (ACC-1). PURE.
 *
 * Used wherever local addresses are compared: MAIL FROM against the
 * authenticated user (SUB-4), the From header (SUB-9, GATE-8), the PLAIN
 * authorization identity (AUTH-1), passthrough lists (GATE-9).
 */
#ifndef CHATRELAY_POLICY_ADDRESS_H
#define CHATRELAY_POLICY_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * addr_normalize - ACC-1: exactly one '@', non-empty local part and
 * domain, ASCII-lowercased; an IPv4 domain with or without brackets
 * becomes "[a.b.c.d]". Writes a NUL-terminated result into out (size
 * outsize). Returns 0, or -1 when the address is invalid or does not fit.
 */
int addr_normalize(const char *addr, size_t len, char *out, size_t outsize);

/* addr_equal - true when both addresses are valid and equal after ACC-1. */
bool addr_equal(const char *a, const char *b);

/*
 * addr_list_match - GATE-9 list entry match: an entry is an exact address
 * (ACC-1 compare) or "@domain" matching every address of that domain
 * (case-insensitive). Returns true when addr matches one of the count
 * entries in words.
 */
bool addr_list_match(const char *addr, char *const *words, size_t count);

#endif
