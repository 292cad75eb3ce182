/*
 * imap_envelope.c - ENVELOPE structure (RFC 3501 7.4.2 and 9 `envelope`,
 * SPEC IMAP-37). PURE. Address lists come from mail_addr_parse(); groups
 * are rendered with the RFC 3501 group markers (NIL NIL "name" NIL) ...
 * (NIL NIL NIL NIL).
 */
#include "imap/imap_envelope.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail_address.h"
#include "mail/mail_header.h"

/* imap_env_value - unfolded value of the first field called name, or NULL (caller frees). */
static char *
imap_env_value(const char *hdr, size_t len, const char *name)
{
	struct mail_field f;

	if (!mail_header_find(hdr, len, name, &f))
		return NULL;
	return mail_header_unfold(f.value, f.value_len);
}

static void
imap_env_string(struct imap_buf *b, const char *hdr, size_t len, const char *name)
{
	char *v = imap_env_value(hdr, len, name);

	imap_buf_nstring(b, v);
	free(v);
}

/* imap_env_addrs - an address list, or NIL when empty; false when the field is absent. */
static bool
imap_env_addrs(struct imap_buf *b, const char *hdr, size_t len, const char *name)
{
	char *v = imap_env_value(hdr, len, name);
	struct mail_addr *list = NULL;
	size_t count = 0;
	bool is_group = false;

	if (v == NULL)
		return false;
	if (*v == '\0' || mail_addr_parse(v, &list, &count) < 0 || list == NULL) {
		free(v);
		imap_buf_str(b, "NIL");
		return true;
	}
	imap_buf_str(b, "(");
	for (struct mail_addr *a = list; a != NULL; a = a->next) {
		if (mail_addr_is_mailbox(a)) {
			imap_buf_str(b, "(");
			imap_buf_nstring(b, a->name);
			imap_buf_str(b, " ");
			imap_buf_nstring(b, a->route);
			imap_buf_str(b, " ");
			imap_buf_nstring(b, a->mailbox);
			imap_buf_str(b, " ");
			imap_buf_nstring(b, a->host);
			imap_buf_str(b, ")");
		} else if (a->mailbox != NULL) {
			imap_buf_str(b, "(NIL NIL ");
			imap_buf_nstring(b, a->mailbox);
			imap_buf_str(b, " NIL)");
			is_group = true;
		} else {
			imap_buf_str(b, "(NIL NIL NIL NIL)");
			is_group = false;
		}
	}
	if (is_group)
		imap_buf_str(b, "(NIL NIL NIL NIL)");
	imap_buf_str(b, ")");
	mail_addr_free(&list);
	free(v);
	return true;
}

/* imap_env_addrs_or - name's list, or fallback's when name is absent (RFC 3501 7.4.2). */
static void
imap_env_addrs_or(struct imap_buf *b, const char *hdr, size_t len, const char *name,
        const char *fallback)
{
	if (imap_env_addrs(b, hdr, len, name))
		return;
	if (fallback == NULL || !imap_env_addrs(b, hdr, len, fallback))
		imap_buf_str(b, "NIL");
}

void
imap_envelope_render(struct imap_buf *b, const char *hdr, size_t len)
{
	imap_buf_str(b, "(");
	imap_env_string(b, hdr, len, "Date");
	imap_buf_str(b, " ");
	imap_env_string(b, hdr, len, "Subject");
	imap_buf_str(b, " ");
	imap_env_addrs_or(b, hdr, len, "From", NULL);
	imap_buf_str(b, " ");
	imap_env_addrs_or(b, hdr, len, "Sender", "From");
	imap_buf_str(b, " ");
	imap_env_addrs_or(b, hdr, len, "Reply-To", "From");
	imap_buf_str(b, " ");
	imap_env_addrs_or(b, hdr, len, "To", NULL);
	imap_buf_str(b, " ");
	imap_env_addrs_or(b, hdr, len, "Cc", NULL);
	imap_buf_str(b, " ");
	imap_env_addrs_or(b, hdr, len, "Bcc", NULL);
	imap_buf_str(b, " ");
	imap_env_string(b, hdr, len, "In-Reply-To");
	imap_buf_str(b, " ");
	imap_env_string(b, hdr, len, "Message-ID");
	imap_buf_str(b, ")");
}
