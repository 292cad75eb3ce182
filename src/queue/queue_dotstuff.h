/*
 * queue_dotstuff.h - the DATA stream of the SMTP client (FED-5, RFC 5321
 * 4.5.2): CRLF line ends, dot-stuffing, and the final CRLF "." CRLF.
 * PURE: libc and core/ only.
 *
 * Incremental: the message is fed in chunks of any size and the output is
 * the same however it is cut. A bare LF becomes CRLF. A CR not followed by
 * LF is kept as an octet (it is content, and the DKIM body hash covers it);
 * it does not start a new line. A CR at the very end of the message ends
 * the last line.
 */
#ifndef CHATRELAY_QUEUE_DOTSTUFF_H
#define CHATRELAY_QUEUE_DOTSTUFF_H

#include <stdbool.h>
#include <stddef.h>

struct queue_dotstuff {
	bool is_line_start; /* the next octet starts a line */
	bool has_cr;        /* a CR was read; the next octet decides */
};

/* Output room feed() needs for len input octets (a held CR, then at most 2 per octet). */
#define QUEUE_DOTSTUFF_OUT_MAX(len) (2 * (len) + 1)
/* Output room finish() needs: CRLF to end the last line, then "." CRLF. */
#define QUEUE_DOTSTUFF_FINISH_MAX 5

/* queue_dotstuff_init - start of a message (also resets for the next one). */
void queue_dotstuff_init(struct queue_dotstuff *d);

/*
 * queue_dotstuff_feed - convert len octets of the message into out (room
 * for QUEUE_DOTSTUFF_OUT_MAX(len) octets). Returns the octets written.
 */
size_t queue_dotstuff_feed(struct queue_dotstuff *d, const void *in, size_t len, char *out);

/*
 * queue_dotstuff_finish - end of message: a CRLF if the last line had none,
 * then "." CRLF, into out (room for QUEUE_DOTSTUFF_FINISH_MAX). Returns the
 * octets written.
 */
size_t queue_dotstuff_finish(struct queue_dotstuff *d, char *out);

#endif
