/*
 * imap_envelope.h - FETCH ENVELOPE rendering (RFC 3501 7.4.2, SPEC IMAP-37).
 * PURE: built on mail_header and mail_address; no I/O.
 *
 * Header values are given raw (RFC 2047 words are not decoded) and
 * unfolded; empty or missing values are NIL; Sender and Reply-To default
 * to From as RFC 3501 requires.
 */
#ifndef CHATRELAY_IMAP_ENVELOPE_H
#define CHATRELAY_IMAP_ENVELOPE_H

#include <stddef.h>

#include "imap/imap_buf.h"

/* imap_envelope_render - `(date subject from sender reply-to to cc bcc in-reply-to message-id)`
 * for the header hdr[0..len) appended to b. */
void imap_envelope_render(struct imap_buf *b, const char *hdr, size_t len);

#endif
