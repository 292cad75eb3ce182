/*
 * imap_compress.c - COMPRESS=DEFLATE (RFC 4978, SPEC IMAP-22): raw DEFLATE
 * in both directions as a libevent filter stacked on the connection.
 *
 * Output is flushed with Z_SYNC_FLUSH whenever the filter runs, so every
 * response burst (IDLE updates, keepalives) reaches the client at once.
 * Does not parse IMAP.
 */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdlib.h>
#include <zlib.h>

#include "imap/imap_session_int.h"

struct imap_compress {
	z_stream in;  /* inflate, raw */
	z_stream out; /* deflate, raw */
};

/* imap_compress_run - push all of src through z into dst; 0 or -1 (stream error). */
static int
imap_compress_run(z_stream *z, bool is_deflate, struct evbuffer *src, struct evbuffer *dst)
{
	unsigned char obuf[16384];
	struct evbuffer_iovec v;
	int flush = Z_SYNC_FLUSH, rc;

	do {
		size_t inlen = 0;

		if (evbuffer_peek(src, -1, NULL, &v, 1) >= 1)
			inlen = v.iov_len;
		z->next_in = inlen ? v.iov_base : (Bytef *)obuf;
		z->avail_in = (uInt)inlen;
		do {
			z->next_out = obuf;
			z->avail_out = sizeof(obuf);
			rc = is_deflate ? deflate(z, flush) : inflate(z, flush);
			if (rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END)
				return -1;
			evbuffer_add(dst, obuf, sizeof(obuf) - z->avail_out);
		} while (z->avail_out == 0);
		evbuffer_drain(src, inlen - z->avail_in);
		if (inlen == 0 || inlen == z->avail_in)
			break; /* nothing consumed: wait for more input */
	} while (evbuffer_get_length(src) > 0);
	return 0;
}

static enum bufferevent_filter_result
imap_compress_in_cb(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
        enum bufferevent_flush_mode mode, void *ctx)
{
	struct imap_compress *z = ctx;

	(void)limit;
	(void)mode;
	if (evbuffer_get_length(src) == 0)
		return BEV_NEED_MORE;
	if (imap_compress_run(&z->in, false, src, dst) < 0)
		return BEV_ERROR;
	return BEV_OK;
}

static enum bufferevent_filter_result
imap_compress_out_cb(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
        enum bufferevent_flush_mode mode, void *ctx)
{
	struct imap_compress *z = ctx;

	(void)limit;
	(void)mode;
	if (evbuffer_get_length(src) == 0)
		return BEV_NEED_MORE;
	if (imap_compress_run(&z->out, true, src, dst) < 0)
		return BEV_ERROR;
	return BEV_OK;
}

static void
imap_compress_free(void *ctx)
{
	struct imap_compress *z = ctx;

	inflateEnd(&z->in);
	deflateEnd(&z->out);
	free(z);
}

int
imap_compress_start(struct conn *c)
{
	struct imap_compress *z = calloc(1, sizeof(*z));

	if (z == NULL)
		return -1;
	/* Negative window bits: raw DEFLATE without the zlib header (RFC 4978 section 4). */
	if (inflateInit2(&z->in, -15) != Z_OK) {
		free(z);
		return -1;
	}
	if (deflateInit2(&z->out, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) !=
	        Z_OK) {
		inflateEnd(&z->in);
		free(z);
		return -1;
	}
	if (conn_push_filter(c, imap_compress_in_cb, imap_compress_out_cb, z, imap_compress_free) <
	        0) {
		imap_compress_free(z);
		return -1;
	}
	return 0;
}
