/*
 * net_conn.h - one client connection, hiding TLS from protocol code.
 *
 * A conn owns its bufferevent (a socket one, an OpenSSL one for implicit
 * TLS, or an OpenSSL filter stacked on the socket after STARTTLS) and the
 * protocol session attached to it. Protocol code reads lines from
 * conn_input(), writes with conn_write()/conn_printf(), and asks for TLS with
 * conn_starttls(). Connections are found by id (conn_lookup), never kept
 * as raw pointers by anything that completes later.
 *
 * Lifetime: conn_close() marks the conn closing; it is freed from the loop
 * afterwards (never inside its own callback), after pending output is
 * flushed unless conn_abort() was used. Loop thread only.
 *
 * Dormancy (issue 9: memory of tens of thousands of idle sessions): a
 * protocol waiting for the client with nothing in flight (IMAP IDLE) calls
 * conn_set_may_sleep(). Once the output is flushed and no input is
 * buffered, the conn frees its bufferevent (about 1 KiB with its buffers)
 * and watches the socket with a single event; input, the read timeout or
 * any conn_* call that needs the bufferevent brings it back. The TLS state
 * (c->ssl) and the socket belong to the conn, not to the bufferevent, so
 * they survive. Protocol code never sees the difference.
 */
#ifndef CHATRELAY_NET_CONN_H
#define CHATRELAY_NET_CONN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Longest per-client key: "xxxx:xxxx:xxxx:xxxx::/64" and its NUL (IPv4 keys are shorter). */
#define CONN_IP_KEY_MAX 26

struct bufferevent;
struct event;
struct evbuffer;
struct ssl_st;
struct listener;
struct server;
struct conn;

/* What a protocol plugs into a connection. */
struct proto_ops {
	const char *name;
	/* start - TCP (or implicit TLS) is up: allocate the session, greet. Returns 0 or -1 (close). */
	int (*start)(struct conn *c);
	/* on_read - input arrived. */
	void (*on_read)(struct conn *c);
	/* on_drain - the output buffer emptied below the low mark (resume reading, next literal). */
	void (*on_drain)(struct conn *c);
	/* on_tls_ready - STARTTLS handshake completed (NULL: nothing to do). */
	void (*on_tls_ready)(struct conn *c);
	/* on_timeout - the read timeout expired. */
	void (*on_timeout)(struct conn *c);
	/* on_shutdown - server stopping (GEN-6): say goodbye now or when the transfer ends. */
	void (*on_shutdown)(struct conn *c);
	/* on_limit - the connection is over a NET-4 limit: send the refusal (then it is closed). */
	void (*on_limit)(struct conn *c);
	/* free_session - release c->session (connection going away). */
	void (*free_session)(struct conn *c);
};

struct conn {
	uint64_t id;
	struct server *srv;           /* borrowed */
	const struct listener *lst;   /* borrowed */
	const struct proto_ops *ops;  /* borrowed, static */
	struct bufferevent *bev;      /* owned; the top of the stack; NULL while dormant */
	struct ssl_st *ssl;           /* owned: TLS state once TLS starts (bufferevents never own it) */
	struct event *dormant_ev;     /* owned: while dormant, the socket's readiness instead of bev */
	void *session;                /* owned through ops->free_session */
	int fd;                       /* owned: closed by conn_free */
	int read_timeout;             /* seconds (conn_set_read_timeout), 0 none; kept while dormant */
	/* Sized for the longest text form: every idle session carries them (issue 9). */
	char peer_ip[INET6_ADDRSTRLEN]; /* text form, for limits and (non-No-Log) logs */
	char ip_key[CONN_IP_KEY_MAX];   /* per-client key: IPv4 address or IPv6 /64 (AUTH-9, NET-4) */
	bool is_tls;
	bool is_loopback;
	bool is_handshaking;
	bool is_over_limit;
	bool is_closing;
	bool is_counted;              /* counted in the server's connection totals */
	bool is_discarding_line;      /* skipping the rest of an over-long line */
	bool may_sleep;               /* the protocol allows dormancy (conn_set_may_sleep) */
	bool is_sleep_queued;         /* on the server's list of conns to put to sleep */
	struct event *handshake_timer; /* owned, while handshaking */
	const struct conn_filter_ops *filter; /* borrowed, static: NULL without a filter */
	void *filter_ctx;             /* owned through filter->free_ctx */
	struct evbuffer *filter_in;   /* owned: decoded input when filtered */
	struct conn *next_closing;    /* reaper list */
	struct conn *next_sleepy;     /* the server's list of conns to put to sleep */
	struct conn *hnext;           /* id hash chain */
	struct conn *prev, *next;     /* all connections */
};

/* conn_input - the buffered input of the connection. */
struct evbuffer *conn_input(struct conn *c);

enum conn_line { CONN_LINE_OK, CONN_LINE_NEED_MORE, CONN_LINE_TOO_LONG };

/*
 * conn_read_line - take one line ending in LF (CRLF or bare LF) from the
 * input into buf (NUL-terminated, without the line end). A line longer than
 * max octets including its end gives CONN_LINE_TOO_LONG once; the rest of
 * it up to the next LF is discarded silently. buf must hold max bytes.
 */
enum conn_line conn_read_line(struct conn *c, char *buf, size_t max, size_t *len_r);

/*
 * conn_is_auth_allowed - NET-2: credentials may be accepted on this
 * connection (TLS active, a loopback client, or allow_plaintext_auth).
 */
bool conn_is_auth_allowed(const struct conn *c);

/* conn_busy_fn - true while the session waits for a completion: input stays queued. */
typedef bool conn_busy_fn(struct conn *c);

/*
 * conn_line_fn - handle one input line (NUL-terminated, without its end,
 * len octets; may be modified), or, with is_too_long, the notice that a
 * line was over the limit (line is then empty; the reply is the
 * protocol's). Returns false to stop reading (paused, waiting or closing).
 */
typedef bool conn_line_fn(struct conn *c, char *line, size_t len, bool is_too_long);

/*
 * conn_pump_lines - the read loop of a line protocol, for ops->on_read:
 * hands lines (conn_read_line into buf of max octets) to on_line while the
 * conn is open, not handshaking and not is_busy, and wipes each line after
 * use (AUTH responses carry passwords). When more than
 * NET_OUTPUT_HIGH_WATER octets wait for the client it pauses reading
 * (NET-6); conn_pump_drain picks up from there.
 */
void conn_pump_lines(
        struct conn *c, char *buf, size_t max, conn_busy_fn *is_busy, conn_line_fn *on_line);

/*
 * conn_pump_drain - ops->on_drain of a protocol that reads in ops->on_read
 * (SMTP, IMAP, HTTP), also called when a completion (auth, registration)
 * lets the session go on: unless is_busy, handle the input already queued
 * (ops->on_read; not while a TLS handshake runs), then resume reading.
 */
void conn_pump_drain(struct conn *c, conn_busy_fn *is_busy);

/* conn_output_len - bytes queued for the client. */
size_t conn_output_len(struct conn *c);

/* conn_write - queue bytes for the client. */
void conn_write(struct conn *c, const void *data, size_t len);

/* conn_printf - queue formatted text (a CRLF is not added). */
void conn_printf(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* conn_set_read_timeout - idle timeout for input in seconds; 0 disables. */
void conn_set_read_timeout(struct conn *c, long secs);

/* conn_pause_reading / conn_resume_reading - stop and restart on_read (NET-6 back-pressure). */
void conn_pause_reading(struct conn *c);
void conn_resume_reading(struct conn *c);

/*
 * conn_starttls - switch to TLS in place (NET-5). The reply that allows the
 * upgrade must already be queued: it is flushed in plaintext, every
 * unprocessed input byte is discarded, then the handshake starts and
 * ops->on_tls_ready runs when it completes. Returns 0 or -1 (no TLS: the
 * caller answers that TLS is unavailable).
 */
int conn_starttls(struct conn *c);

/*
 * A transformation of the byte streams (IMAP COMPRESS, RFC 4978). in()
 * moves what it can decode from src (raw socket input) to dst (what
 * conn_input() shows); out() encodes data and appends it to dst (the
 * socket output) so that it is complete on the wire (flushed). Both
 * return 0 or -1 (stream error: the connection is aborted).
 */
struct conn_filter_ops {
	int (*in)(void *ctx, struct evbuffer *src, struct evbuffer *dst);
	int (*out)(void *ctx, const void *data, size_t len, struct evbuffer *dst);
	void (*free_ctx)(void *ctx);
};

/*
 * conn_set_filter - from now on all input and output pass ops (ctx owned
 * by the connection afterwards, freed with ops->free_ctx). Output queued
 * before stays unfiltered; unread raw input is decoded at once.
 * Returns 0 or -1 (nothing changed, ctx stays the caller's).
 */
int conn_set_filter(struct conn *c, const struct conn_filter_ops *ops, void *ctx);

/* conn_write_buffer - queue (and empty) buf, through the filter if any. */
void conn_write_buffer(struct conn *c, struct evbuffer *buf);

/*
 * conn_set_may_sleep - may_sleep: the session waits for the client with
 * nothing in flight, so the conn may go dormant once its output is flushed
 * (see the top of this file); false: stay awake (the default).
 */
void conn_set_may_sleep(struct conn *c, bool may_sleep);

/* conn_is_dormant - the conn holds no bufferevent right now (for tests and logs). */
bool conn_is_dormant(const struct conn *c);

/* conn_close - flush pending output, then free the connection from the loop. */
void conn_close(struct conn *c);

/* conn_abort - free the connection from the loop without flushing. */
void conn_abort(struct conn *c);

/* conn_lookup - the live connection with this id, or NULL (gone or closing). */
struct conn *conn_lookup(struct server *srv, uint64_t id);

#endif
