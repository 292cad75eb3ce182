/*
 * net_listener.c - binding the listeners of NET-1 and accepting clients.
 *
 * Every enabled listener binds every address of listen_address (IPv6 ones
 * skipped with disable_ipv6). The accept path applies the NET-4 limits and
 * hands the connection to its protocol; implicit-TLS listeners refuse over
 * the limit only after the handshake (NET-4).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/core_conf.h"
#include "core/core_limits.h"
#include "core/core_log.h"
#include "net/net_server.h"

struct listener_spec {
	enum listener_kind kind;
	enum conn_class cls;
	bool is_implicit_tls;
	bool offers_starttls;
	enum tls_alpn alpn;
};

static const struct listener_spec listener_specs[LISTENER_KIND_COUNT] = {
	{ LISTENER_SMTP, CONN_CLASS_SMTP, false, true, TLS_ALPN_SMTP },
	{ LISTENER_SUBMISSION, CONN_CLASS_SMTP, false, true, TLS_ALPN_SMTP },
	{ LISTENER_SUBMISSIONS, CONN_CLASS_SMTP, true, false, TLS_ALPN_SMTP },
	{ LISTENER_IMAP, CONN_CLASS_IMAP, false, true, TLS_ALPN_IMAP },
	{ LISTENER_IMAPS, CONN_CLASS_IMAP, true, false, TLS_ALPN_IMAP },
	{ LISTENER_HTTP, CONN_CLASS_HTTP, false, false, TLS_ALPN_HTTP },
};

static long
listener_port(const struct conf *conf, enum listener_kind kind)
{
	switch (kind) {
	case LISTENER_SMTP:
		return conf->smtp_port;
	case LISTENER_SUBMISSION:
		return conf->submission_port;
	case LISTENER_SUBMISSIONS:
		return conf->submissions_port;
	case LISTENER_IMAP:
		return conf->imap_port;
	case LISTENER_IMAPS:
		return conf->imaps_port;
	default:
		return conf->http_port;
	}
}

static void
listener_accept_cb(struct evconnlistener *evl, evutil_socket_t fd, struct sockaddr *sa, int salen,
	void *arg)
{
	struct listener *l = arg;
	struct server *srv = l->srv;
	struct conn *c;

	(void)evl;
	if (srv->is_shutting_down) {
		close(fd);
		return;
	}
	/*
	 * Replies are written whole, often several back to back (a pipelined
	 * group, the TLS tickets then the greeting): Nagle would hold each
	 * second one until the client's delayed ACK, ~40 ms per exchange.
	 */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
	c = conn_new(srv, l, fd, sa, salen);
	if (c == NULL) {
		log_error("cannot set up connection listener=%s", l->name);
		return;
	}
	srv->accepted[l->kind]++; /* HTTP-6: refused-by-limit ones too, they were accepted */
	if (log_enabled(LOG_LEVEL_DEBUG)) {
		struct log_personal p;

		log_write(LOG_LEVEL_DEBUG, c->id, log_personal(&p, "ip=%s", c->peer_ip),
			"connection accepted listener=%s", l->name);
	}
	c->is_over_limit = !server_conn_admit(srv, c);
	if (c->is_over_limit)
		log_write(LOG_LEVEL_INFO, c->id, NULL, "connection limit reached listener=%s", l->name);
	if (!l->is_implicit_tls)
		conn_begin(c);
	/* implicit TLS: conn_begin runs when the handshake completes */
}

static void
listener_error_cb(struct evconnlistener *evl, void *arg)
{
	struct listener *l = arg;
	int err = EVUTIL_SOCKET_ERROR();

	(void)evl;
	/* EMFILE and friends: log and go on; libevent retries on the next readiness. */
	log_error("accept failed listener=%s error=%s", l->name, evutil_socket_error_to_string(err));
}

/* listener_parse_addr - numeric IPv4/IPv6 address plus port into sa. */
static int
listener_parse_addr(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *len_r)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*len_r = sizeof(*in);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len_r = sizeof(*in6);
		return 0;
	}
	return -1;
}

static int
listener_bind_one(struct server *srv, enum listener_kind kind, const char *addr, int port,
	char *err, size_t errlen)
{
	const struct listener_spec *spec = &listener_specs[kind];
	unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC;
	struct sockaddr_storage ss;
	struct listener *l;
	socklen_t len;

	if (listener_parse_addr(addr, port, &ss, &len) < 0) {
		snprintf(err, errlen, "listener %s: '%s' is not a numeric IP address",
			server_listener_name(kind), addr);
		return -1;
	}
	if (ss.ss_family == AF_INET6)
		flags |= LEV_OPT_BIND_IPV6ONLY;
	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	l->kind = kind;
	l->name = server_listener_name(kind);
	l->cls = spec->cls;
	l->is_implicit_tls = spec->is_implicit_tls || (kind == LISTENER_HTTP && srv->conf->http_tls);
	l->offers_starttls = spec->offers_starttls;
	l->alpn = spec->alpn;
	l->port = port;
	l->srv = srv;
	snprintf(l->address, sizeof(l->address), "%s", addr);
	l->evl = evconnlistener_new_bind(srv->base, listener_accept_cb, l, flags, NET_LISTEN_BACKLOG,
		(struct sockaddr *)&ss, (int)len);
	if (l->evl == NULL) {
		snprintf(err, errlen, "cannot bind listener %s on %s port %d: %s", l->name, addr, port,
			strerror(errno));
		free(l);
		return -1;
	}
	evconnlistener_set_error_cb(l->evl, listener_error_cb);
	l->next = srv->listeners;
	srv->listeners = l;
	return 0;
}

int
server_listen(struct server *srv, char *err, size_t errlen)
{
	const struct conf *conf = srv->conf;

	for (int k = LISTENER_KIND_COUNT - 1; k >= 0; k--) {
		long port = listener_port(conf, (enum listener_kind)k);

		if (port == 0)
			continue;
		if (srv->protos[k] == NULL) {
			snprintf(err, errlen, "listener %s has no protocol", server_listener_name(k));
			return -1;
		}
		for (size_t i = 0; i < conf->listen_address.count; i++) {
			const char *addr = conf->listen_address.words[i];

			if (conf->disable_ipv6 && strchr(addr, ':') != NULL)
				continue;
			if (listener_bind_one(srv, (enum listener_kind)k, addr, (int)port, err, errlen) < 0)
				return -1;
		}
	}
	return 0;
}

void
server_log_listeners(const struct server *srv)
{
	for (const struct listener *l = srv->listeners; l != NULL; l = l->next) {
		const char *tls = l->is_implicit_tls ? "implicit TLS" :
			l->offers_starttls ? "STARTTLS" : "plain";
		int v6 = strchr(l->address, ':') != NULL;

		log_info("listening %s on %s%s%s:%d (%s)", l->name, v6 ? "[" : "", l->address,
			v6 ? "]" : "", l->port, tls);
	}
}
