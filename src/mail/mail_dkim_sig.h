/*
 * mail_dkim_sig.h - DKIM-Signature and key-record tag lists, b= stripping,
 * header field selection. PURE: libc and core/ only.
 *
 * RFC 6376 3.2 (tag lists), 3.5 (DKIM-Signature tags), 3.6.1 (key records),
 * 3.7 (b= removed from the hash input), 5.4 and 5.4.2 (which fields are
 * signed, bottom-up instance matching), SPEC DKIM-2 (over-signing).
 *
 * Parsing checks syntax and the rules that make a signature unusable
 * whatever the key says (RFC 6376 6.1.1); policy (which algorithms are
 * acceptable, expiry, alignment) is the verifier's (queue_dkim.c).
 * No crypto, no DNS, no I/O.
 */
#ifndef CHATRELAY_MAIL_DKIM_SIG_H
#define CHATRELAY_MAIL_DKIM_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core_limits.h"
#include "mail/mail_dkim_canon.h"

enum mail_dkim_alg {
	MAIL_DKIM_ALG_UNKNOWN,
	MAIL_DKIM_ALG_RSA_SHA256,
	MAIL_DKIM_ALG_ED25519_SHA256,
	MAIL_DKIM_ALG_RSA_SHA1,
};

enum mail_dkim_key_type { MAIL_DKIM_KEY_RSA, MAIL_DKIM_KEY_ED25519, MAIL_DKIM_KEY_UNKNOWN };

/* A parsed DKIM-Signature (RFC 6376 3.5). Strings are NUL-terminated copies. */
struct mail_dkim_sig {
	enum mail_dkim_alg alg;
	enum mail_dkim_canon header_canon;
	enum mail_dkim_canon body_canon;
	char d[DKIM_DOMAIN_MAX + 1]; /* as written; compare case-insensitively */
	char s[DKIM_DOMAIN_MAX + 1];
	char i_domain[DKIM_DOMAIN_MAX + 1]; /* domain of i=, "" when absent */
	bool has_t, has_x, has_l;
	int64_t t, x;
	uint64_t l;
	char h[DKIM_H_NAMES_MAX][DKIM_FIELD_NAME_MAX + 1]; /* lowercase, in h= order */
	size_t h_count;
	unsigned char bh[64];
	size_t bh_len;
	unsigned char b[DKIM_SIG_BYTES_MAX];
	size_t b_len;
};

/* A parsed key record (RFC 6376 3.6.1). */
struct mail_dkim_key {
	enum mail_dkim_key_type k;
	unsigned char p[DKIM_KEY_BYTES_MAX];
	size_t p_len;
	bool is_revoked;    /* p= empty */
	bool is_testing;    /* t=y */
	bool is_strict;     /* t=s: i= must not be a subdomain of d= */
	bool allows_sha256; /* h= absent or lists sha256 */
	bool allows_email;  /* s= absent, *, or lists email */
};

/*
 * mail_dkim_sig_parse - parse the value of a DKIM-Signature field (the
 * octets after the colon, folding allowed). Returns 0, or -1 with *error_r
 * (a static string) when the tag list is malformed, a required tag (v, a,
 * b, bh, d, h, s) is missing, v is not 1, a tag value is invalid, i= is not
 * within d=, or q= does not offer dns/txt. An unknown a= parses as
 * MAIL_DKIM_ALG_UNKNOWN (the verifier refuses it).
 */
int mail_dkim_sig_parse(
        const char *value, size_t len, struct mail_dkim_sig *sig, const char **error_r);

/*
 * mail_dkim_key_parse - parse a key record (TXT strings already
 * concatenated). Returns 0, or -1 with *error_r when malformed, v= is not
 * DKIM1, k= is unknown, or p= is not base64. A revoked key (empty p=)
 * parses with is_revoked set.
 */
int mail_dkim_key_parse(
        const char *record, size_t len, struct mail_dkim_key *key, const char **error_r);

/*
 * mail_dkim_strip_b - copy of a raw DKIM-Signature field with the value of
 * its b= tag removed (RFC 6376 3.7: the tag stays, as "b="). *out_r is
 * malloc'ed and NUL-terminated. Returns 0, or -1 (ENOMEM, or EINVAL when
 * there is no b= tag).
 */
int mail_dkim_strip_b(const char *field, size_t len, char **out_r, size_t *out_len_r);

/*
 * mail_dkim_sign_names - the h= list for signing per DKIM-2: each of the
 * listed names once per occurrence in h plus once more; `from` always.
 * Writes lowercase names into names (capacity max) and the count into
 * *count_r. Returns 0, or -1 when more than max names would be needed.
 */
int mail_dkim_sign_names(const char *buf, const struct mail_dkim_header *h,
        char names[][DKIM_FIELD_NAME_MAX + 1], size_t max, size_t *count_r);

/*
 * mail_dkim_select - RFC 6376 5.4.2: for each name of names (in order) the
 * field it signs: the last instance not yet used, counting from the bottom
 * of the header; -1 when none is left (the name then signs nothing).
 * skip (an index or -1) is never selected: the signature's own field.
 * idx_r has room for count entries.
 */
void mail_dkim_select(const char *buf, const struct mail_dkim_header *h,
        const char names[][DKIM_FIELD_NAME_MAX + 1], size_t count, long skip, long *idx_r);

/*
 * mail_dkim_header_input - the header part of the signed data (RFC 6376
 * 3.7): the fields idx (count entries; -1 entries sign nothing)
 * canonicalised, then sig_field (the signature's own field, b= value
 * already removed) canonicalised without its final CRLF. *out_r is
 * malloc'ed. Returns 0 or -1 (ENOMEM, EINVAL).
 */
int mail_dkim_header_input(const char *buf, const struct mail_dkim_header *h, const long *idx,
        size_t count, enum mail_dkim_canon canon, const char *sig_field, size_t sig_len,
        char **out_r, size_t *out_len_r);

#endif
