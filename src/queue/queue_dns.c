/*
 * queue_dns.c - MX and address lookups for outbound SMTP (FED-4) with
 * c-ares driven by the libevent loop (socket state callback + one timer).
 *
 * Does not: connect or decide retries; it reports hosts or a reply class.
 * Log lines carry no domain or host (LOG-2).
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ares.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/core_log.h"
#include "queue/queue_dns.h"

#define QUEUE_DNS_SOCKS_MAX 16
#define QUEUE_DNS_MX_MAX 8

struct queue_dns_sock {
	ares_socket_t fd;
	struct event *ev; /* owned */
};

struct queue_dns {
	struct event_base *base; /* borrowed */
	ares_channel channel;    /* owned */
	struct event *timer;     /* owned */
	struct queue_dns_sock socks[QUEUE_DNS_SOCKS_MAX];
	bool is_freeing;
};

/* One lookup: the MX answer, then the addresses of each host in turn. */
struct queue_dns_lookup {
	struct queue_dns *d; /* borrowed */
	queue_dns_fn *fn;
	void *arg;
	int port;
	char mx[QUEUE_DNS_MX_MAX][QUEUE_DNS_NAME_MAX]; /* hosts by preference */
	size_t n_mx, next_mx;
	struct queue_dns_host hosts[QUEUE_DNS_HOSTS_MAX];
	size_t n_hosts;
	bool had_tempfail;
};

static void queue_dns_rearm(struct queue_dns *d);

static void
queue_dns_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct queue_dns *d = arg;

	ares_process_fd(d->channel, (what & EV_READ) ? fd : ARES_SOCKET_BAD,
	        (what & EV_WRITE) ? fd : ARES_SOCKET_BAD);
	queue_dns_rearm(d);
}

static void
queue_dns_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct queue_dns *d = arg;

	(void)fd;
	(void)what;
	ares_process_fd(d->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	queue_dns_rearm(d);
}

/* queue_dns_rearm - the timer for c-ares' next timeout. */
static void
queue_dns_rearm(struct queue_dns *d)
{
	struct timeval tv, *t;

	if (d->is_freeing)
		return;
	t = ares_timeout(d->channel, NULL, &tv);
	if (t != NULL)
		evtimer_add(d->timer, t);
	else
		evtimer_del(d->timer);
}

/* queue_dns_sock_cb - ARES_OPT_SOCK_STATE_CB: one event per socket c-ares uses. */
static void
queue_dns_sock_cb(void *data, ares_socket_t fd, int readable, int writable)
{
	struct queue_dns *d = data;
	struct queue_dns_sock *free_slot = NULL, *s = NULL;

	for (size_t i = 0; i < QUEUE_DNS_SOCKS_MAX; i++) {
		if (d->socks[i].ev != NULL && d->socks[i].fd == fd)
			s = &d->socks[i];
		else if (d->socks[i].ev == NULL && free_slot == NULL)
			free_slot = &d->socks[i];
	}
	if (s != NULL) {
		event_free(s->ev);
		s->ev = NULL;
	}
	if (!readable && !writable)
		return;
	if (s == NULL)
		s = free_slot;
	if (s == NULL) {
		log_error("queue: too many DNS sockets");
		return;
	}
	s->fd = fd;
	s->ev = event_new(d->base, fd,
	        EV_PERSIST | (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0), queue_dns_io_cb,
	        d);
	if (s->ev != NULL)
		event_add(s->ev, NULL);
}

struct queue_dns *
queue_dns_new(struct event_base *base, const char *server)
{
	struct queue_dns *d = calloc(1, sizeof(*d));
	struct ares_options opts;

	if (d == NULL)
		return NULL;
	d->base = base;
	memset(&opts, 0, sizeof(opts));
	opts.sock_state_cb = queue_dns_sock_cb;
	opts.sock_state_cb_data = d;
	opts.timeout = 5000;
	opts.tries = 2;
	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS ||
	        ares_init_options(&d->channel, &opts,
	                ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES) !=
	                ARES_SUCCESS) {
		free(d);
		return NULL;
	}
	if (server != NULL && server[0] != '\0' &&
	        ares_set_servers_ports_csv(d->channel, server) != ARES_SUCCESS)
		log_warn("queue: dns_server is not usable; using the system resolver");
	d->timer = evtimer_new(base, queue_dns_timer_cb, d);
	if (d->timer == NULL) {
		queue_dns_free(&d);
		return NULL;
	}
	return d;
}

void
queue_dns_free(struct queue_dns **dp)
{
	struct queue_dns *d = *dp;

	if (d == NULL)
		return;
	d->is_freeing = true;
	if (d->channel != NULL)
		ares_destroy(d->channel); /* callbacks run with ARES_EDESTRUCTION */
	for (size_t i = 0; i < QUEUE_DNS_SOCKS_MAX; i++)
		if (d->socks[i].ev != NULL)
			event_free(d->socks[i].ev);
	if (d->timer != NULL)
		event_free(d->timer);
	ares_library_cleanup();
	free(d);
	*dp = NULL;
}

/* queue_dns_finish - report and free the lookup. */
static void
queue_dns_finish(struct queue_dns_lookup *l, int cls, const char *reply)
{
	if (cls == 2 && l->n_hosts == 0) {
		cls = 4;
		reply = l->had_tempfail ? "451 4.4.3 DNS lookup failed temporarily"
		                        : "451 4.4.4 No address for the mail hosts";
	}
	l->fn(l->arg, cls, l->hosts, l->n_hosts, reply);
	free(l);
}

static void queue_dns_next_host(struct queue_dns_lookup *l);

/* queue_dns_addr_cb - the addresses of one host. */
static void
queue_dns_addr_cb(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct queue_dns_lookup *l = arg;
	const char *name = l->mx[l->next_mx - 1];

	(void)timeouts;
	if (status == ARES_EDESTRUCTION || l->d->is_freeing) {
		ares_freeaddrinfo(res);
		free(l);
		return;
	}
	if (status != ARES_SUCCESS && status != ARES_ENOTFOUND && status != ARES_ENODATA)
		l->had_tempfail = true;
	for (struct ares_addrinfo_node *n = res != NULL ? res->nodes : NULL;
	        n != NULL && l->n_hosts < QUEUE_DNS_HOSTS_MAX; n = n->ai_next) {
		struct queue_dns_host *h = &l->hosts[l->n_hosts];

		if ((size_t)n->ai_addrlen > sizeof(h->addr))
			continue;
		memcpy(h->name, name, strlen(name) + 1); /* both QUEUE_DNS_NAME_MAX */
		memcpy(&h->addr, n->ai_addr, (size_t)n->ai_addrlen);
		h->addr_len = (socklen_t)n->ai_addrlen;
		l->n_hosts++;
	}
	ares_freeaddrinfo(res);
	queue_dns_next_host(l);
}

/* queue_dns_next_host - look up the next MX host, or report. */
static void
queue_dns_next_host(struct queue_dns_lookup *l)
{
	struct ares_addrinfo_hints hints;
	struct queue_dns *d;
	char port[16];

	if (l->next_mx >= l->n_mx || l->n_hosts >= QUEUE_DNS_HOSTS_MAX) {
		queue_dns_finish(l, 2, NULL);
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = ARES_AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%d", l->port);
	/* the answer may come before this returns (/etc/hosts) and free l */
	d = l->d;
	ares_getaddrinfo(d->channel, l->mx[l->next_mx++], port, &hints, queue_dns_addr_cb, l);
	queue_dns_rearm(d);
}

/* queue_dns_sort - MX by preference, equal preference in random order (FED-4). */
static void
queue_dns_sort(struct ares_mx_reply **v, size_t n)
{
	for (size_t i = n; i > 1; i--) { /* shuffle, then a stable insertion sort */
		unsigned r = 0;
		struct ares_mx_reply *t;

		if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
			r = (unsigned)i * 2654435761u;
		t = v[i - 1];
		v[i - 1] = v[r % i];
		v[r % i] = t;
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && v[j - 1]->priority > v[j]->priority; j--) {
			struct ares_mx_reply *t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

/* queue_dns_mx_cb - the MX answer. */
static void
queue_dns_mx_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct queue_dns_lookup *l = arg;
	struct ares_mx_reply *mx = NULL, *v[QUEUE_DNS_MX_MAX];
	size_t n = 0;

	(void)timeouts;
	if (status == ARES_EDESTRUCTION || l->d->is_freeing) {
		free(l);
		return;
	}
	if (status == ARES_ENOTFOUND) {
		queue_dns_finish(l, 5, "550 5.1.2 Domain does not exist");
		return;
	}
	if (status == ARES_ENODATA ||
	        (status == ARES_SUCCESS && ares_parse_mx_reply(abuf, alen, &mx) == ARES_ENODATA)) {
		/* no MX record: the domain itself is the mail host (RFC 5321 5.1) */
		queue_dns_next_host(l);
		return;
	}
	if (status != ARES_SUCCESS || mx == NULL) {
		ares_free_data(mx);
		queue_dns_finish(l, 4, "451 4.4.3 DNS lookup failed temporarily");
		return;
	}
	for (struct ares_mx_reply *m = mx; m != NULL && n < QUEUE_DNS_MX_MAX; m = m->next)
		v[n++] = m;
	/* RFC 7505: a single "0 ." record says the domain takes no mail */
	if (n == 1 && (v[0]->host[0] == '\0' || strcmp(v[0]->host, ".") == 0)) {
		ares_free_data(mx);
		queue_dns_finish(l, 5, "556 5.1.10 Recipient address has null MX");
		return;
	}
	queue_dns_sort(v, n);
	l->n_mx = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i]->host[0] != '\0' && strlen(v[i]->host) < QUEUE_DNS_NAME_MAX)
			snprintf(l->mx[l->n_mx++], QUEUE_DNS_NAME_MAX, "%s", v[i]->host);
	ares_free_data(mx);
	queue_dns_next_host(l);
}

/* queue_dns_literal - an IP-literal domain or route host given as an address. */
static bool
queue_dns_literal(struct queue_dns_lookup *l, const char *host)
{
	char bare[QUEUE_DNS_NAME_MAX];
	size_t len = strlen(host);
	struct queue_dns_host *h = &l->hosts[0];
	struct sockaddr_in *sin = (struct sockaddr_in *)&h->addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&h->addr;

	if (host[0] == '[' && len > 2 && len < sizeof(bare)) {
		memcpy(bare, host + 1, len - 2);
		bare[len - 2] = '\0';
	} else
		snprintf(bare, sizeof(bare), "%s", host);
	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s", bare);
	if (inet_pton(AF_INET, bare, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)l->port);
		h->addr_len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, bare, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)l->port);
		h->addr_len = sizeof(*sin6);
	} else
		return false;
	l->n_hosts = 1;
	return true;
}

int
queue_dns_resolve(struct queue_dns *d, const char *domain, const char *route_host, int route_port,
        queue_dns_fn *fn, void *arg)
{
	struct queue_dns_lookup *l = calloc(1, sizeof(*l));
	const char *host = route_host != NULL ? route_host : domain;

	if (l == NULL)
		return -1;
	l->d = d;
	l->fn = fn;
	l->arg = arg;
	l->port = route_host != NULL ? route_port : 25;
	snprintf(l->mx[0], QUEUE_DNS_NAME_MAX, "%s", host);
	l->n_mx = 1;
	if (queue_dns_literal(l, host)) {
		l->n_mx = 0; /* answered at once (queue_dns.h) */
		queue_dns_next_host(l);
		return 0;
	}
	if (route_host != NULL || domain[0] == '[') {
		queue_dns_next_host(l);
		return 0;
	}
	ares_query(d->channel, domain, C_IN, T_MX, queue_dns_mx_cb, l);
	queue_dns_rearm(d);
	return 0;
}

int
queue_dns_addresses(struct queue_dns *d, const char *host, int port, queue_dns_fn *fn, void *arg)
{
	if (host == NULL) {
		errno = EINVAL;
		return -1;
	}
	return queue_dns_resolve(d, host, host, port, fn, arg);
}
