/* fuzz-sources: src/mail/mail_*.c src/policy/policy_header.c src/policy/policy_address.c */
/*
 * fuzz_mime.c - libFuzzer target for the mail/ parsers: MIME tree (checks
 * that every part lies inside the message), header fields, address lists
 * of From/To/Cc, header cleanup.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail_address.h"
#include "mail/mail_header.h"
#include "mail/mail_mime.h"
#include "policy/policy_header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_check_part - offsets of p and all below it must lie within len. */
static void
fuzz_check_part(const struct mail_part *p, size_t len)
{
	size_t n = 0;

	if (p->off > len || p->body_off > len || p->body_len > len - p->body_off ||
	        p->off + p->hdr_len > p->body_off)
		abort();
	for (const struct mail_part *c = p->children; c != NULL; c = c->next) {
		fuzz_check_part(c, len);
		n++;
	}
	if (n != p->nchildren)
		abort();
	if (p->message != NULL)
		fuzz_check_part(p->message, len);
}

/* fuzz_addresses - parse every field's value as an address list. */
static void
fuzz_addresses(const char *hdr, size_t len)
{
	struct mail_field f;
	size_t pos = 0;

	while (mail_header_next(hdr, len, &pos, &f)) {
		char *v = mail_header_unfold(f.value, f.value_len);
		struct mail_addr *list;
		size_t count;

		if (v == NULL)
			return;
		if (mail_addr_parse(v, &list, &count) >= 0)
			mail_addr_free(&list);
		free(v);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *msg = malloc(size ? size : 1), *out;
	struct mail_part *root;
	const char *error;
	size_t body_off, hlen, n;
	char from[300];

	if (msg == NULL)
		return 0;
	memcpy(msg, data, size);
	if (mail_mime_parse(msg, size, &root, &error) == 0) {
		fuzz_check_part(root, size);
		mail_part_free(&root);
	}
	hlen = mail_header_end(msg, size, &body_off);
	fuzz_addresses(msg, hlen);
	(void)hdr_from_address(msg, hlen, from, sizeof(from));
	if (hdr_cleanup(msg, hlen, HDR_CLEANUP_SUBMISSION, &out, &n) == 0)
		free(out);
	free(msg);
	return 0;
}
