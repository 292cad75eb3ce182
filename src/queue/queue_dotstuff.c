/*
 * queue_dotstuff.c - CRLF normalisation and dot-stuffing of the SMTP
 * client's DATA (FED-5; RFC 5321 4.5.2 transparency, 2.3.8 line ends).
 * PURE: libc and core/ only.
 *
 * Every line is sent with CRLF so that no peer can see a line end where we
 * did not mean one (the SMTP smuggling family of bugs lives there), and a
 * line that starts with "." gets one more, so the only CRLF "." CRLF on the
 * wire is the terminator.
 */
#include "queue/queue_dotstuff.h"

void
queue_dotstuff_init(struct queue_dotstuff *d)
{
	d->is_line_start = true;
	d->has_cr = false;
}

size_t
queue_dotstuff_feed(struct queue_dotstuff *d, const void *in, size_t len, char *out)
{
	const unsigned char *p = in;
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (d->has_cr) {
			d->has_cr = false;
			if (c == '\n') {
				out[n++] = '\r';
				out[n++] = '\n';
				d->is_line_start = true;
				continue;
			}
			out[n++] = '\r'; /* a lone CR is content, not a line end */
			d->is_line_start = false;
		}
		if (c == '\r') {
			d->has_cr = true;
		} else if (c == '\n') {
			out[n++] = '\r'; /* bare LF: sent as CRLF */
			out[n++] = '\n';
			d->is_line_start = true;
		} else {
			if (d->is_line_start && c == '.')
				out[n++] = '.';
			out[n++] = (char)c;
			d->is_line_start = false;
		}
	}
	return n;
}

size_t
queue_dotstuff_finish(struct queue_dotstuff *d, char *out)
{
	size_t n = 0;

	/* A final CR, or a last line without an end, is closed with CRLF. */
	if (d->has_cr || !d->is_line_start) {
		out[n++] = '\r';
		out[n++] = '\n';
	}
	out[n++] = '.';
	out[n++] = '\r';
	out[n++] = '\n';
	d->has_cr = false;
	d->is_line_start = true;
	return n;
}
