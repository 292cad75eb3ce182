/*
 * smtp_data.h - incremental DATA reader. PURE.
 *
 * Input: the octets after the 354 reply, in chunks of any size. Output:
 * the unstuffed message with CRLF line ends, passed to a callback in
 * pieces of at most SMTP_DATA_OUT_BUF octets; the message is never held
 * whole. The reader stops exactly after the end-of-data line, so octets
 * that follow (pipelined commands) stay with the caller.
 *
 * RFC 5321 4.1.1.4 and 4.5.2 (dot-stuffing); SPEC SMTP-8 (CRLF.CRLF only,
 * bare-LF smuggling defence), SMTP-9 (size limit with drain, line limit).
 */
#ifndef CHATRELAY_SMTP_DATA_H
#define CHATRELAY_SMTP_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMTP_DATA_OUT_BUF 16384

#define SMTP_REPLY_DATA_BARE_LF "554 5.5.2 Bare LF in message terminator not allowed"
#define SMTP_REPLY_DATA_LINE "554 5.6.0 Message line too long"
#define SMTP_REPLY_DATA_TOO_BIG "552 5.3.4 Message size exceeds fixed maximum message size"

/*
 * smtp_data_out_fn - receives the next piece of the message. Returns 0, or
 * -1 to report a storage failure (the reader then stops emitting but
 * still reads to the end of data).
 */
typedef int smtp_data_out_fn(void *ctx, const char *data, size_t len);

enum smtp_data_status { SMTP_DATA_NEED_MORE, SMTP_DATA_COMPLETE };

/* Why a finished message is rejected, in reply order (SMTP-9 before SMTP-8). */
enum smtp_data_error {
	SMTP_DATA_OK,
	SMTP_DATA_ERR_OUTPUT,  /* the callback failed: 451 by the session */
	SMTP_DATA_ERR_TOO_BIG, /* SMTP-9: 552 */
	SMTP_DATA_ERR_LINE,    /* SMTP-9: 554 5.6.0 */
	SMTP_DATA_ERR_BARE_LF, /* SMTP-8: 554 5.5.2 */
};

enum smtp_data_state {
	SMTP_DATA_BOL,    /* at the beginning of a line */
	SMTP_DATA_DOT,    /* a line started with '.' (held back) */
	SMTP_DATA_DOT_CR, /* ".\r" seen at the beginning of a line */
	SMTP_DATA_MID,    /* inside a line */
	SMTP_DATA_CR,     /* a CR inside a line, held until we know if LF follows */
	SMTP_DATA_DONE,
};

struct smtp_data {
	enum smtp_data_state state;
	bool is_prev_bare_lf; /* the previous line ended with a bare LF */
	bool has_bare_lf_dot; /* a "." line ended by or after a bare LF (SMTP-8) */
	bool is_too_big;
	bool is_line_too_long;
	bool has_output_error;
	uint64_t max_size;
	uint64_t size;   /* octets of the unstuffed message, counted even when not stored */
	size_t line_len; /* octets of the current line without its end */
	smtp_data_out_fn *out_cb;
	void *out_ctx; /* borrowed */
	size_t buf_len;
	char buf[SMTP_DATA_OUT_BUF];
};

/*
 * smtp_data_init - start reading one message; max_size is
 * max_message_size (0: no limit). out_cb may be NULL to only count.
 */
void smtp_data_init(
        struct smtp_data *d, uint64_t max_size, smtp_data_out_fn *out_cb, void *out_ctx);

/*
 * smtp_data_feed - consume in[0..len) up to and including the end-of-data
 * line. *used_r is the number of octets consumed (the rest belongs to the
 * next command). Returns SMTP_DATA_COMPLETE once the end was read (output
 * is flushed), SMTP_DATA_NEED_MORE otherwise (all octets consumed, output
 * flushed). Never blocks; errors are collected for smtp_data_result().
 */
enum smtp_data_status smtp_data_feed(
        struct smtp_data *d, const char *in, size_t len, size_t *used_r);

/*
 * smtp_data_result - after COMPLETE: the error to reply with, SMTP_DATA_OK
 * if none. Output already handed to the callback before an error was
 * noticed is not taken back: on any result but OK the caller discards
 * what it stored for this message.
 */
enum smtp_data_error smtp_data_result(const struct smtp_data *d);

/* smtp_data_reply - the exact reply line for an error (NULL for OK and ERR_OUTPUT). */
const char *smtp_data_reply(enum smtp_data_error err);

#endif
