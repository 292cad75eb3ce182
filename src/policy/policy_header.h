/*
 * policy_header.h - header rules of submission and delivery. PURE.
 *
 * HDR-1 (submission cleanup), HDR-2 (final-delivery cleanup), SUB-9 and
 * MX-4 step 2 (the From header). Works on the top-level header section
 * only; MIME part headers are never touched.
 */
#ifndef CHATRELAY_POLICY_HEADER_H
#define CHATRELAY_POLICY_HEADER_H

#include <stddef.h>

#define HDR_REPLY_FROM_INVALID "554 5.6.0 Missing or invalid From header"
#define HDR_REPLY_FROM_MISMATCH "554 5.7.1 From header does not match the authenticated sender"

enum hdr_cleanup_mode {
	HDR_CLEANUP_SUBMISSION, /* HDR-1: Received, X-Originating-IP, X-Mailer, User-Agent; Subject
	                         */
	HDR_CLEANUP_DELIVERY,   /* HDR-2: DKIM-Signature, Authentication-Results, Received */
};

/*
 * hdr_from_address - SUB-9 / MX-4: the header section hdr[0..len) has
 * exactly one From field holding exactly one mailbox. Writes its address
 * normalised (ACC-1) into out. Returns 0, or -1 (reply
 * HDR_REPLY_FROM_INVALID).
 */
int hdr_from_address(const char *hdr, size_t len, char *out, size_t outsize);

/*
 * hdr_from_check - SUB-9 for submission: From valid and equal to the
 * authenticated address auth_addr (ACC-1 compare). Returns 0, or -1 with
 * the exact *reply_r.
 */
int hdr_from_check(const char *hdr, size_t len, const char *auth_addr, const char **reply_r);

/*
 * hdr_cleanup - the header section hdr[0..len) (fields with their line
 * ends, no empty separator line) rewritten for mode: removed fields are
 * dropped, in submission mode every Subject value becomes " [...]".
 * Other octets are kept exactly. *out_r is a heap buffer (caller frees)
 * of *out_len_r octets. Returns 0, or -1 when out of memory.
 */
int hdr_cleanup(
        const char *hdr, size_t len, enum hdr_cleanup_mode mode, char **out_r, size_t *out_len_r);

#endif
