/*
 * imap_bodystructure.h - FETCH BODYSTRUCTURE and BODY rendering (RFC 3501
 * 7.4.2, SPEC IMAP-37) from a mail_mime part tree. PURE.
 */
#ifndef CHATRELAY_IMAP_BODYSTRUCTURE_H
#define CHATRELAY_IMAP_BODYSTRUCTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "imap/imap_buf.h"

struct mail_part;

/*
 * imap_bodystructure_render - the body structure of part p of msg[0..len)
 * appended to b; is_extended adds the extension data (BODYSTRUCTURE),
 * without it this is FETCH BODY.
 */
void imap_bodystructure_render(struct imap_buf *b, const char *msg, size_t len,
        const struct mail_part *p, bool is_extended);

#endif
