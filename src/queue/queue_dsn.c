/*
 * queue_dsn.c - rendering of the delivery status notification (DSN-2,
 * RFC 3464 section 2, RFC 6522). PURE: no I/O, no clock, no randomness:
 * the queue passes time, Message-ID and boundary. Delivery of the result
 * (DSN-3: store_deliver to the sender's INBOX, null envelope sender, no
 * gate, no DKIM) is queue.c's.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "queue/queue_dsn.h"

/* queue_dsn_enhanced - an RFC 3463 code "c.s.d" at p of length *len_r, c in 2/4/5. */
static bool
queue_dsn_enhanced(const char *p, size_t *len_r)
{
	size_t i = 0, parts = 0, digits = 0;

	if (p[0] != '2' && p[0] != '4' && p[0] != '5')
		return false;
	for (; p[i] != '\0' && p[i] != ' '; i++) {
		if (isdigit((unsigned char)p[i])) {
			if (++digits > 3)
				return false;
		} else if (p[i] == '.' && digits > 0) {
			parts++;
			digits = 0;
		} else
			return false;
	}
	*len_r = i;
	return parts == 2 && digits > 0 && i < 16;
}

void
queue_dsn_status(const char *error, char *buf, size_t len)
{
	size_t n;

	snprintf(buf, len, "5.0.0");
	if (error == NULL)
		return;
	if (queue_dsn_enhanced(error, &n)) {
		snprintf(buf, len, "%.*s", (int)n, error);
		return;
	}
	if (isdigit((unsigned char)error[0]) && isdigit((unsigned char)error[1]) &&
	        isdigit((unsigned char)error[2])) {
		if (error[3] == ' ' && queue_dsn_enhanced(error + 4, &n))
			snprintf(buf, len, "%.*s", (int)n, error + 4);
		else if (error[0] == '4')
			snprintf(buf, len, "4.0.0");
	}
}

/* queue_dsn_date - RFC 5322 date in UTC. */
static void
queue_dsn_date(int64_t t, char *buf, size_t len)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {
	        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
	        months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* queue_dsn_has_code - the reply starts with a 3-digit SMTP code (Diagnostic-Code: smtp). */
static bool
queue_dsn_has_code(const char *error)
{
	return error != NULL && isdigit((unsigned char)error[0]) &&
	        isdigit((unsigned char)error[1]) && isdigit((unsigned char)error[2]) &&
	        (error[3] == ' ' || error[3] == '\0');
}

static void
queue_dsn_text_part(FILE *f, const struct queue_dsn *d)
{
	fprintf(f, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n", d->boundary);
	fputs("This is the mail system at the sending server.\r\n\r\n"
	      "Your message could not be delivered to one or more recipients.\r\n"
	      "It has been given up on permanently.\r\n\r\n",
	        f);
	for (size_t i = 0; i < d->n_rcpts; i++)
		fprintf(f, "<%s>: %s\r\n", d->rcpts[i].addr,
		        d->rcpts[i].error != NULL ? d->rcpts[i].error : "delivery failed");
	fputs("\r\n", f);
}

static void
queue_dsn_status_part(FILE *f, const struct queue_dsn *d)
{
	char date[64], status[16];

	queue_dsn_date(d->arrival, date, sizeof(date));
	fprintf(f, "--%s\r\nContent-Type: message/delivery-status\r\n\r\n", d->boundary);
	fprintf(f, "Reporting-MTA: dns; %s\r\nArrival-Date: %s\r\n", d->hostname, date);
	for (size_t i = 0; i < d->n_rcpts; i++) {
		const char *error = d->rcpts[i].error;

		queue_dsn_status(error, status, sizeof(status));
		fprintf(f, "\r\nFinal-Recipient: rfc822; %s\r\nAction: failed\r\nStatus: %s\r\n",
		        d->rcpts[i].addr, status);
		if (queue_dsn_has_code(error))
			fprintf(f, "Diagnostic-Code: smtp; %s\r\n", error);
	}
	fputs("\r\n", f);
}

int
queue_dsn_render(const struct queue_dsn *d, char **msg_r, size_t *len_r)
{
	char *buf = NULL, date[64];
	size_t len = 0, hlen = d->header_len;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return -1;
	queue_dsn_date(d->now, date, sizeof(date));
	fprintf(f, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n", d->mail_domain);
	fprintf(f, "To: <%s>\r\n", d->sender);
	fputs("Subject: Undelivered Mail Returned to Sender\r\nAuto-Submitted: auto-replied\r\n",
	        f);
	fprintf(f, "Date: %s\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\n", date, d->message_id);
	fprintf(f,
	        "Content-Type: multipart/report; report-type=delivery-status;\r\n"
	        "\tboundary=\"%s\"\r\n\r\n",
	        d->boundary);
	fputs("This is a MIME-encapsulated message.\r\n\r\n", f);
	queue_dsn_text_part(f, d);
	queue_dsn_status_part(f, d);
	fprintf(f, "--%s\r\nContent-Type: text/rfc822-headers\r\n\r\n", d->boundary);
	/* the blank line ending the original header is not part of the headers */
	if (hlen >= 4 && memcmp(d->header + hlen - 4, "\r\n\r\n", 4) == 0)
		hlen -= 2;
	fwrite(d->header, 1, hlen, f);
	if (hlen > 0 && d->header[hlen - 1] != '\n')
		fputs("\r\n", f);
	fprintf(f, "\r\n--%s--\r\n", d->boundary);
	if (fclose(f) != 0) {
		free(buf);
		return -1;
	}
	*msg_r = buf;
	*len_r = len;
	return 0;
}

size_t
queue_dsn_header_len(const char *msg, size_t len)
{
	size_t cap = len < QUEUE_DSN_HEADER_MAX ? len : QUEUE_DSN_HEADER_MAX;

	for (size_t i = 0; i + 1 < cap; i++) {
		if (msg[i] == '\n' && msg[i + 1] == '\n')
			return i + 2;
		if (i + 3 < cap && msg[i] == '\r' && msg[i + 1] == '\n' && msg[i + 2] == '\r' &&
		        msg[i + 3] == '\n')
			return i + 4;
	}
	/* a cut header must still end at a line end */
	while (cap > 0 && msg[cap - 1] != '\n')
		cap--;
	return cap;
}
