/*
 * policy_header.c - header cleanup and the From check. PURE: libc,
 * core/, mail/, policy/ only.
 *
 * HDR-1, HDR-2, HDR-3 (nothing is added), SUB-9, MX-4 step 2. Responsible
 * for deciding which top-level fields survive; does not read or write
 * files: the session copies the body after the rewritten header.
 */
#include "policy/policy_header.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_limits.h"
#include "mail/mail_address.h"
#include "mail/mail_header.h"
#include "policy/policy_address.h"

static const char *const hdr_removed_submission[] = {
        "Received",
        "X-Originating-IP",
        "X-Mailer",
        "User-Agent",
        NULL,
};

static const char *const hdr_removed_delivery[] = {
        "DKIM-Signature",
        "Authentication-Results",
        "Received",
        NULL,
};

int
hdr_from_address(const char *hdr, size_t len, char *out, size_t outsize)
{
	struct mail_field f;
	char raw[SMTP_PATH_MAX * 2];
	char *v;
	bool is_ok;

	if (mail_header_count(hdr, len, "From") != 1 || !mail_header_find(hdr, len, "From", &f))
		return -1;
	v = mail_header_unfold(f.value, f.value_len);
	if (v == NULL)
		return -1;
	is_ok = mail_addr_single_mailbox(v, raw, sizeof(raw)) &&
	        policy_address_normalise(raw, strlen(raw), out, outsize) == 0;
	free(v);
	return is_ok ? 0 : -1;
}

int
hdr_from_check(const char *hdr, size_t len, const char *auth_addr, const char **reply_r)
{
	char from[SMTP_PATH_MAX + 8];

	if (hdr_from_address(hdr, len, from, sizeof(from)) < 0) {
		*reply_r = HDR_REPLY_FROM_INVALID;
		return -1;
	}
	if (!policy_address_equal(from, auth_addr)) {
		*reply_r = HDR_REPLY_FROM_MISMATCH;
		return -1;
	}
	return 0;
}

/* hdr_is_listed - true when the field's name is in the NULL-terminated list. */
static bool
hdr_is_listed(const struct mail_field *f, const char *const *names)
{
	for (; *names != NULL; names++)
		if (mail_field_is(f, *names))
			return true;
	return false;
}

/* hdr_line_end - the line end the field was written with ("" if none). */
static const char *
hdr_line_end(const struct mail_field *f)
{
	const char *end = f->name + f->len;

	if (f->len >= 2 && end[-2] == '\r' && end[-1] == '\n')
		return "\r\n";
	if (f->len >= 1 && end[-1] == '\n')
		return "\n";
	return "";
}

int
hdr_cleanup(
        const char *hdr, size_t len, enum hdr_cleanup_mode mode, char **out_r, size_t *out_len_r)
{
	const char *const *removed =
	        mode == HDR_CLEANUP_SUBMISSION ? hdr_removed_submission : hdr_removed_delivery;
	struct mail_field f;
	size_t pos = 0, o = 0;
	/* a Subject field (>= 8 octets) grows by at most 6 octets: 2 * len is enough */
	char *out = malloc(2 * len + 16);

	if (out == NULL)
		return -1;
	while (mail_header_next(hdr, len, &pos, &f)) {
		if (f.name_len > 0 && hdr_is_listed(&f, removed))
			continue;
		if (f.name_len > 0 && mode == HDR_CLEANUP_SUBMISSION &&
		        mail_field_is(&f, "Subject")) {
			/* the name as written, the fixed value, the original line end */
			o += (size_t)snprintf(out + o, 2 * len + 16 - o, "%.*s: [...]%s",
			        (int)f.name_len, f.name, hdr_line_end(&f));
			continue;
		}
		memcpy(out + o, hdr + f.off, f.len);
		o += f.len;
	}
	*out_r = out;
	*out_len_r = o;
	return 0;
}
