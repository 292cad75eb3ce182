/*
 * smtp_data.c - incremental DATA reader. PURE: libc only.
 *
 * A byte-level state machine (struct smtp_data) so that input cut at any
 * octet gives the same result. Responsible for the end-of-data rule,
 * dot-unstuffing and CRLF normalisation (RFC 5321 4.5.2, SPEC SMTP-8),
 * size and line-length limits (SMTP-9). Does not decide anything about
 * the message content and never stores it: the output callback does.
 *
 * Smuggling defence (SMTP-8): only CRLF "." CRLF ends the data. A "." line
 * ended by a bare LF, or following a line ended by a bare LF, is not an
 * end; it marks the message so that it is refused after the real end,
 * which keeps the session in step with the client either way.
 */
#include "smtp/smtp_data.h"

#include <string.h>

#include "core/core_limits.h"

void
smtp_data_init(struct smtp_data *d, uint64_t max_size, smtp_data_out_fn *out_cb, void *out_ctx)
{
	memset(d, 0, offsetof(struct smtp_data, buf));
	d->state = SMTP_DATA_BOL;
	d->max_size = max_size;
	d->out_cb = out_cb;
	d->out_ctx = out_ctx;
}

/* smtp_data_is_rejected - once rejected, nothing more is stored (drain only). */
static bool
smtp_data_is_rejected(const struct smtp_data *d)
{
	return d->is_too_big || d->is_line_too_long || d->has_bare_lf_dot || d->has_output_error;
}

/* smtp_data_flush - hand the buffered output to the callback. */
static void
smtp_data_flush(struct smtp_data *d)
{
	if (d->buf_len > 0 && !smtp_data_is_rejected(d) && d->out_cb != NULL &&
	        d->out_cb(d->out_ctx, d->buf, d->buf_len) < 0)
		d->has_output_error = true;
	d->buf_len = 0;
}

/* smtp_data_emit - count and (unless rejected) buffer n octets of the message. */
static void
smtp_data_emit(struct smtp_data *d, const char *p, size_t n)
{
	d->size += n;
	if (d->max_size != 0 && d->size > d->max_size)
		d->is_too_big = true;
	if (smtp_data_is_rejected(d)) {
		d->buf_len = 0;
		return;
	}
	while (n > 0) {
		size_t room = sizeof(d->buf) - d->buf_len;
		size_t k = n < room ? n : room;

		memcpy(d->buf + d->buf_len, p, k);
		d->buf_len += k;
		p += k;
		n -= k;
		if (d->buf_len == sizeof(d->buf))
			smtp_data_flush(d);
	}
}

/* smtp_data_content - emit octets that belong to the current line. */
static void
smtp_data_content(struct smtp_data *d, const char *p, size_t n)
{
	d->line_len += n;
	if (d->line_len > SMTP_DATA_LINE_MAX)
		d->is_line_too_long = true;
	smtp_data_emit(d, p, n);
}

/* smtp_data_eol - end the current line; stored as CRLF whatever ended it. */
static void
smtp_data_eol(struct smtp_data *d, bool is_bare_lf)
{
	smtp_data_emit(d, "\r\n", 2);
	d->line_len = 0;
	d->is_prev_bare_lf = is_bare_lf;
	d->state = SMTP_DATA_BOL;
}

/* smtp_data_bol - first octet of a line. */
static void
smtp_data_bol(struct smtp_data *d, char c)
{
	if (c == '.')
		d->state = SMTP_DATA_DOT;
	else if (c == '\r')
		d->state = SMTP_DATA_CR;
	else if (c == '\n')
		smtp_data_eol(d, true);
	else {
		smtp_data_content(d, &c, 1);
		d->state = SMTP_DATA_MID;
	}
}

/* smtp_data_dot - the octet after a leading '.' (which is dropped: 4.5.2). */
static void
smtp_data_dot(struct smtp_data *d, char c)
{
	if (c == '\r') {
		d->state = SMTP_DATA_DOT_CR;
	} else if (c == '\n') {
		d->has_bare_lf_dot = true; /* "." ended by a bare LF */
		smtp_data_eol(d, true);
	} else {
		smtp_data_content(d, &c, 1);
		d->state = SMTP_DATA_MID;
	}
}

/* smtp_data_dot_cr - the octet after ".\r" at the start of a line. */
static void
smtp_data_dot_cr(struct smtp_data *d, char c)
{
	if (c == '\n') {
		if (!d->is_prev_bare_lf) {
			smtp_data_flush(d);
			d->state = SMTP_DATA_DONE;
			return;
		}
		d->has_bare_lf_dot = true; /* "." after a bare-LF line */
		smtp_data_eol(d, false);
		return;
	}
	smtp_data_content(d, "\r", 1);
	if (c == '\r') {
		d->state = SMTP_DATA_CR;
	} else {
		smtp_data_content(d, &c, 1);
		d->state = SMTP_DATA_MID;
	}
}

/* smtp_data_cr - the octet after a held CR inside a line. */
static void
smtp_data_cr(struct smtp_data *d, char c)
{
	if (c == '\n') {
		smtp_data_eol(d, false);
		return;
	}
	smtp_data_content(d, "\r", 1); /* a bare CR is an ordinary octet */
	if (c != '\r') {
		smtp_data_content(d, &c, 1);
		d->state = SMTP_DATA_MID;
	}
}

/* smtp_data_mid - a run of line octets; returns how many were consumed. */
static size_t
smtp_data_mid(struct smtp_data *d, const char *in, size_t len)
{
	size_t k = 0;

	while (k < len && in[k] != '\r' && in[k] != '\n')
		k++;
	if (k > 0) {
		smtp_data_content(d, in, k);
		return k;
	}
	if (in[0] == '\r')
		d->state = SMTP_DATA_CR;
	else
		smtp_data_eol(d, true);
	return 1;
}

enum smtp_data_status
smtp_data_feed(struct smtp_data *d, const char *in, size_t len, size_t *used_r)
{
	size_t i = 0;

	while (i < len && d->state != SMTP_DATA_DONE) {
		switch (d->state) {
		case SMTP_DATA_BOL: smtp_data_bol(d, in[i++]); break;
		case SMTP_DATA_DOT: smtp_data_dot(d, in[i++]); break;
		case SMTP_DATA_DOT_CR: smtp_data_dot_cr(d, in[i++]); break;
		case SMTP_DATA_CR: smtp_data_cr(d, in[i++]); break;
		case SMTP_DATA_MID: i += smtp_data_mid(d, in + i, len - i); break;
		case SMTP_DATA_DONE: break;
		}
	}
	*used_r = i;
	if (d->state == SMTP_DATA_DONE)
		return SMTP_DATA_COMPLETE;
	smtp_data_flush(d);
	return SMTP_DATA_NEED_MORE;
}

enum smtp_data_error
smtp_data_result(const struct smtp_data *d)
{
	if (d->is_too_big)
		return SMTP_DATA_ERR_TOO_BIG;
	if (d->is_line_too_long)
		return SMTP_DATA_ERR_LINE;
	if (d->has_bare_lf_dot)
		return SMTP_DATA_ERR_BARE_LF;
	if (d->has_output_error)
		return SMTP_DATA_ERR_OUTPUT;
	return SMTP_DATA_OK;
}

const char *
smtp_data_reply(enum smtp_data_error err)
{
	switch (err) {
	case SMTP_DATA_ERR_TOO_BIG: return SMTP_REPLY_DATA_TOO_BIG;
	case SMTP_DATA_ERR_LINE: return SMTP_REPLY_DATA_LINE;
	case SMTP_DATA_ERR_BARE_LF: return SMTP_REPLY_DATA_BARE_LF;
	case SMTP_DATA_OK:
	case SMTP_DATA_ERR_OUTPUT: break;
	}
	return NULL;
}
