/*
 * imap_compress.c - COMPRESS=DEFLATE (RFC 4978, SPEC IMAP-22): raw DEFLATE
 * in both directions as a connection filter (net_conn.h conn_set_filter).
 *
 * Every write is flushed with Z_SYNC_FLUSH, so each response burst (IDLE
 * updates, keepalives) reaches the client at once. Does not parse IMAP.
 */
#include <event2/buffer.h>
#include <stdbool.h>
#include <stdlib.h>
#define ZLIB_CONST /* next_in is const: no casts of the caller's data */
#include <zlib.h>

#include "core/core_log.h"
#include "imap/imap_session_int.h"

struct imap_compress {
	z_stream in;  /* inflate, raw */
	z_stream out; /* deflate, raw */
};

/* imap_compress_in - inflate all of src into dst (RFC 4978 section 4). */
static int
imap_compress_in(void *ctx, struct evbuffer *src, struct evbuffer *dst)
{
	struct imap_compress *z = ctx;
	unsigned char obuf[16384];
	struct evbuffer_iovec v;

	while (evbuffer_peek(src, -1, NULL, &v, 1) >= 1 && v.iov_len > 0) {
		z->in.next_in = v.iov_base;
		z->in.avail_in = (uInt)v.iov_len;
		do {
			int rc;

			z->in.next_out = obuf;
			z->in.avail_out = sizeof(obuf);
			rc = inflate(&z->in, Z_SYNC_FLUSH);
			if (rc != Z_OK && rc != Z_BUF_ERROR)
				return -1; /* Z_STREAM_END is an error too: the stream never ends */
			evbuffer_add(dst, obuf, sizeof(obuf) - z->in.avail_out);
		} while (z->in.avail_out == 0);
		evbuffer_drain(src, v.iov_len - z->in.avail_in);
		if (z->in.avail_in == v.iov_len)
			break;
	}
	return 0;
}

/* imap_compress_out - deflate data into dst and flush it. */
static int
imap_compress_out(void *ctx, const void *data, size_t len, struct evbuffer *dst)
{
	struct imap_compress *z = ctx;
	unsigned char obuf[16384];

	z->out.next_in = data;
	z->out.avail_in = (uInt)len;
	do {
		int rc;

		z->out.next_out = obuf;
		z->out.avail_out = sizeof(obuf);
		rc = deflate(&z->out, Z_SYNC_FLUSH);
		if (rc != Z_OK && rc != Z_BUF_ERROR)
			return -1;
		evbuffer_add(dst, obuf, sizeof(obuf) - z->out.avail_out);
	} while (z->out.avail_out == 0 || z->out.avail_in > 0);
	return 0;
}

static void
imap_compress_free(void *ctx)
{
	struct imap_compress *z = ctx;

	inflateEnd(&z->in);
	deflateEnd(&z->out);
	free(z);
}

static const struct conn_filter_ops imap_compress_ops = {
	.in = imap_compress_in,
	.out = imap_compress_out,
	.free_ctx = imap_compress_free,
};

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
	/* A 4 KiB window and memLevel 5 keep the compressor near 32 KiB per session
	 * (defaults need 256 KiB; Delta Chat compresses every connection, mostly
	 * idle). The decompressor must accept the client's 32 KiB window. */
	if (deflateInit2(&z->out, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 5, Z_DEFAULT_STRATEGY) !=
	        Z_OK) {
		inflateEnd(&z->in);
		free(z);
		return -1;
	}
	if (conn_set_filter(c, &imap_compress_ops, z) < 0) {
		imap_compress_free(z);
		return -1;
	}
	log_write(LOG_LEVEL_DEBUG, c->id, NULL, "imap compress=deflate");
	return 0;
}
