/*
 * queue_dsn.h - the bounce message (DSN-1..3; RFC 3461/3464 report format,
 * RFC 6522 multipart/report). PURE: libc and core/ only; the caller supplies
 * the clock, the Message-ID and the boundary so output is reproducible
 * (golden test tests/unit/data/queue_dsn.golden).
 */
#ifndef CHATRELAY_QUEUE_DSN_H
#define CHATRELAY_QUEUE_DSN_H

#include <stddef.h>
#include <stdint.h>

/* Header octets of the original message copied into the report (text/rfc822-headers). */
#define QUEUE_DSN_HEADER_MAX 65536

struct queue_dsn_rcpt {
	const char *addr;  /* borrowed */
	const char *error; /* borrowed: remote reply ("550 5.1.1 ...") or local reason, NULL */
};

struct queue_dsn {
	const char *mail_domain; /* From: MAILER-DAEMON@<mail_domain> */
	const char *hostname;    /* Reporting-MTA */
	const char *sender;      /* To: the local envelope sender */
	int64_t arrival;         /* queue time */
	int64_t now;             /* Date */
	const char *message_id;  /* without brackets */
	const char *boundary;
	const struct queue_dsn_rcpt *rcpts;
	size_t n_rcpts;
	const char *header; /* original header section (may be cut), CRLF lines */
	size_t header_len;
};

/*
 * queue_dsn_status - the x.y.z status of a reply: its enhanced code when it
 * carries one, else 5.0.0 / 4.0.0 from the basic code, else 5.0.0. buf has
 * room for 16 octets.
 */
void queue_dsn_status(const char *error, char *buf, size_t len);

/* queue_dsn_render - the whole DSN (CRLF lines); *msg_r malloc'ed. -1 ENOMEM. */
int queue_dsn_render(const struct queue_dsn *d, char **msg_r, size_t *len_r);

/* queue_dsn_header_len - octets of msg up to and including the blank line (or all of it), capped.
 */
size_t queue_dsn_header_len(const char *msg, size_t len);

#endif
