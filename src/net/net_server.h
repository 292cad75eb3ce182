/*
 * net_server.h - the server process: loop, listeners, connection table,
 * limits, signals and shutdown (GEN-4..7, NET-1..6).
 *
 * The server owns the libevent base, the TLS context holder, the worker
 * pool and every listener and connection. Protocol modules plug in through
 * server_set_proto() before server_listen(); net/ knows no protocol.
 * Loop thread only.
 */
#ifndef CHATRELAY_NET_SERVER_H
#define CHATRELAY_NET_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core_metrics.h"
#include "net/net_conn.h"
#include "net/net_tls.h"

struct auth;
struct queue_dkim_signer;
struct store;
struct queue;
struct bus;
struct meta;
struct db;
struct conf;
struct event_base;
struct worker_pool;

enum listener_kind {
	LISTENER_SMTP,
	LISTENER_SUBMISSION,
	LISTENER_SUBMISSIONS,
	LISTENER_IMAP,
	LISTENER_IMAPS,
	LISTENER_HTTP,
	LISTENER_KIND_COUNT
};

/* Connection classes that share a NET-4 limit. */
enum conn_class { CONN_CLASS_SMTP, CONN_CLASS_IMAP, CONN_CLASS_HTTP, CONN_CLASS_COUNT };

struct listener {
	enum listener_kind kind;
	const char *name;          /* static: "smtp", "submission", ... */
	enum conn_class cls;
	bool is_implicit_tls;
	bool offers_starttls;
	enum tls_alpn alpn;
	int port;
	char address[64];          /* the server's own address (loggable, LOG-3) */
	struct evconnlistener *evl; /* owned */
	struct server *srv;        /* borrowed */
	struct listener *next;     /* owned list */
};

struct server_ip_count;

struct server {
	const struct conf *conf;      /* borrowed */
	struct event_base *base;      /* owned */
	struct tls *tls;              /* owned */
	bool is_self_signed;          /* generated certificate or IP/_ domain (SPEC 0) */
	struct worker_pool *workers;  /* owned: CPU work (crypt, lookups), `threads` of them */
	struct worker_pool *io_workers; /* owned: storage jobs that wait on the disk (fsync) */
	const struct proto_ops *protos[LISTENER_KIND_COUNT]; /* borrowed, static */
	struct listener *listeners;   /* owned */
	/* Application modules, set by cli_serve; net/ never uses them. */
	struct auth *auth;            /* borrowed: accounts (auth/) */
	struct queue_dkim_signer *dkim_signer; /* borrowed: NULL when not signing (DKIM-1) */
	struct store *store;          /* borrowed: mailboxes, quota, expiry (store/) */
	struct bus *bus;              /* borrowed: change events for live sessions (bus/) */
	struct queue *queue;          /* borrowed: outbound queue (queue/), NULL in tools */
	struct meta *meta;            /* borrowed: device tokens and push (meta/) */
	struct db *db;                /* borrowed: accounts database (db/) */

	struct conn *conns;           /* all live connections (list head) */
	struct conn **conn_hash;      /* owned: id -> conn */
	size_t conn_hash_size;
	size_t conn_count;
	uint64_t next_conn_id;
	unsigned class_count[CONN_CLASS_COUNT];
	uint64_t accepted[LISTENER_KIND_COUNT]; /* connections accepted, over the limit too (HTTP-6) */
	struct core_metrics metrics;  /* HTTP-6 counters of smtp/, http/, queue/ (not net/) */
	struct server_ip_count **ip_hash; /* owned: per-client connection counts */
	size_t ip_hash_size;

	struct conn *closing;         /* reaper list */
	struct event *reaper;         /* owned */
	struct conn *sleepy;          /* conns to put to sleep from the loop (net_conn.h) */
	struct event *sleeper;        /* owned */
	struct evbuffer *no_input;    /* owned, always empty: conn_input of a conn without bev */
	struct event *sig_events[4];  /* owned: TERM, INT, HUP, PIPE */
	struct event *drain_timer;    /* owned, during shutdown */
	bool is_shutting_down;
	void (*shutdown_hook)(struct server *srv); /* borrowed: application modules stop their timers */
};

/* server_new - base, signals and worker pool; TLS is attached by server_set_tls. NULL on failure. */
struct server *server_new(const struct conf *conf);

/* server_free - close everything the server owns. */
void server_free(struct server **sp);

/* server_set_tls - hand over the TLS context holder (owned by the server afterwards). */
void server_set_tls(struct server *srv, struct tls *tls, bool is_self_signed);

/* server_set_proto - the protocol serving a listener kind (before server_listen). */
void server_set_proto(struct server *srv, enum listener_kind kind, const struct proto_ops *ops);

/* server_listen - bind every enabled listener on every listen_address (NET-1). -1 with err. */
int server_listen(struct server *srv, char *err, size_t errlen);

/* server_log_listeners - one line per listener (the server's own addresses). */
void server_log_listeners(const struct server *srv);

/* server_run - dispatch until shutdown completes. Returns the exit status. */
int server_run(struct server *srv);

/* server_shutdown - begin GEN-6 shutdown (also what SIGTERM/SIGINT do). */
void server_shutdown(struct server *srv);

/* server_listener_name - static name of a listener kind. */
const char *server_listener_name(enum listener_kind kind);

/* Internal to net/: connection registry and limits, used by net_conn.c and net_listener.c. */
void server_conn_register(struct server *srv, struct conn *c);
void server_conn_unregister(struct server *srv, struct conn *c);
bool server_conn_admit(struct server *srv, struct conn *c);
void server_conn_schedule_reap(struct server *srv, struct conn *c);
void server_conn_schedule_sleep(struct server *srv, struct conn *c);
void conn_sleep(struct conn *c);
struct conn *conn_new(struct server *srv, const struct listener *lst, int fd,
	const struct sockaddr *sa, int salen);
void conn_free(struct conn *c);
void conn_begin(struct conn *c);

#endif
