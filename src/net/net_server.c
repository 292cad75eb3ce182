/*
 * net_server.c - loop, connection registry, NET-4 limits, signals, shutdown.
 *
 * GEN-6: SIGTERM/SIGINT close the listeners and ask every session to say
 * goodbye (at once when idle, after the transfer otherwise); connections
 * still open after SHUTDOWN_DRAIN_SECS are closed, the worker pool
 * finishes its jobs, and the process exits 0 well within 30 s.
 * GEN-7: SIGHUP reloads the TLS pair only.
 */
#include "net/net_server.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core_conf.h"
#include "core/core_limits.h"
#include "core/core_log.h"
#include "net/net_worker.h"

struct server_ip_count {
	char key[64];
	unsigned count;
	struct server_ip_count *next;
};

static const char *const listener_names[LISTENER_KIND_COUNT] = {
	"smtp", "submission", "submissions", "imap", "imaps", "http",
};

const char *
server_listener_name(enum listener_kind kind)
{
	return listener_names[kind];
}

/* server_hash_str - FNV-1a, for the per-client table. */
static size_t
server_hash_str(const char *s)
{
	size_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct server_ip_count **
server_ip_slot(struct server *srv, const char *key)
{
	struct server_ip_count **pp = &srv->ip_hash[server_hash_str(key) & (srv->ip_hash_size - 1)];

	while (*pp != NULL && strcmp((*pp)->key, key) != 0)
		pp = &(*pp)->next;
	return pp;
}

static unsigned
server_ip_get(struct server *srv, const char *key)
{
	struct server_ip_count **pp = server_ip_slot(srv, key);

	return *pp != NULL ? (*pp)->count : 0;
}

static int
server_ip_adjust(struct server *srv, const char *key, int delta)
{
	struct server_ip_count **pp = server_ip_slot(srv, key), *e = *pp;

	if (e == NULL) {
		if (delta < 0)
			return 0;
		e = calloc(1, sizeof(*e));
		if (e == NULL)
			return -1;
		snprintf(e->key, sizeof(e->key), "%s", key);
		*pp = e;
	}
	e->count = (unsigned)((int)e->count + delta);
	if (e->count == 0) {
		*pp = e->next;
		free(e);
	}
	return 0;
}

/* server_conn_hash_grow - keep the id table at most one entry per bucket on average. */
static int
server_conn_hash_grow(struct server *srv)
{
	size_t size = srv->conn_hash_size * 2;
	struct conn **hash = calloc(size, sizeof(struct conn *));

	if (hash == NULL)
		return -1;
	for (size_t i = 0; i < srv->conn_hash_size; i++) {
		struct conn *c = srv->conn_hash[i];

		while (c != NULL) {
			struct conn *next = c->hnext;

			c->hnext = hash[c->id & (size - 1)];
			hash[c->id & (size - 1)] = c;
			c = next;
		}
	}
	free(srv->conn_hash);
	srv->conn_hash = hash;
	srv->conn_hash_size = size;
	return 0;
}

void
server_conn_register(struct server *srv, struct conn *c)
{
	size_t b;

	if (srv->conn_count >= srv->conn_hash_size)
		(void)server_conn_hash_grow(srv); /* on failure chains just get longer */
	c->id = ++srv->next_conn_id;
	b = c->id & (srv->conn_hash_size - 1);
	c->hnext = srv->conn_hash[b];
	srv->conn_hash[b] = c;
	c->next = srv->conns;
	if (srv->conns != NULL)
		srv->conns->prev = c;
	srv->conns = c;
	srv->conn_count++;
}

void
server_conn_unregister(struct server *srv, struct conn *c)
{
	struct conn **pp = &srv->conn_hash[c->id & (srv->conn_hash_size - 1)];

	while (*pp != NULL && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp != NULL)
		*pp = c->hnext;
	if (c->is_sleep_queued) {
		struct conn **sp = &srv->sleepy;

		while (*sp != NULL && *sp != c)
			sp = &(*sp)->next_sleepy;
		if (*sp != NULL)
			*sp = c->next_sleepy;
		c->is_sleep_queued = false;
	}
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	srv->conn_count--;
	if (c->is_counted) {
		srv->class_count[c->lst->cls]--;
		if (!c->is_loopback)
			(void)server_ip_adjust(srv, c->ip_key, -1);
	}
	if (srv->is_shutting_down && srv->conns == NULL && srv->drain_timer != NULL)
		event_base_loopexit(srv->base, NULL);
}

/* server_class_limit - max_smtp_connections / max_imap_connections; HTTP shares the per-IP rule. */
static long
server_class_limit(const struct server *srv, enum conn_class cls)
{
	switch (cls) {
	case CONN_CLASS_SMTP:
		return srv->conf->max_smtp_connections;
	case CONN_CLASS_IMAP:
		return srv->conf->max_imap_connections;
	default:
		return srv->conf->max_imap_connections + srv->conf->max_smtp_connections;
	}
}

bool
server_conn_admit(struct server *srv, struct conn *c)
{
	enum conn_class cls = c->lst->cls;

	if ((long)srv->class_count[cls] >= server_class_limit(srv, cls))
		return false;
	if (!c->is_loopback &&
	    (long)server_ip_get(srv, c->ip_key) >= srv->conf->max_connections_per_ip)
		return false;
	if (!c->is_loopback && server_ip_adjust(srv, c->ip_key, 1) < 0)
		return false;
	srv->class_count[cls]++;
	c->is_counted = true;
	return true;
}

static void
server_reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;

	(void)fd;
	(void)what;
	while (srv->closing != NULL) {
		struct conn *c = srv->closing;

		srv->closing = c->next_closing;
		conn_free(c);
	}
}

void
server_conn_schedule_reap(struct server *srv, struct conn *c)
{
	struct conn *it;

	for (it = srv->closing; it != NULL; it = it->next_closing)
		if (it == c)
			return;
	c->next_closing = srv->closing;
	srv->closing = c;
	event_active(srv->reaper, 0, 0);
}

/* server_sleep_cb - put the queued conns to sleep, outside any bufferevent callback. */
static void
server_sleep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;

	(void)fd;
	(void)what;
	while (srv->sleepy != NULL) {
		struct conn *c = srv->sleepy;

		srv->sleepy = c->next_sleepy;
		c->next_sleepy = NULL;
		c->is_sleep_queued = false;
		conn_sleep(c);
	}
}

void
server_conn_schedule_sleep(struct server *srv, struct conn *c)
{
	if (c->is_sleep_queued || srv->sleeper == NULL)
		return;
	c->is_sleep_queued = true;
	c->next_sleepy = srv->sleepy;
	srv->sleepy = c;
	event_active(srv->sleeper, 0, 0);
}

static void
server_hard_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;

	(void)fd;
	(void)what;
	log_warn("shutdown: closing %zu remaining connections", srv->conn_count);
	for (struct conn *c = srv->conns; c != NULL; c = c->next)
		conn_abort(c);
	event_base_loopexit(srv->base, NULL);
}

void
server_shutdown(struct server *srv)
{
	struct timeval drain = { SHUTDOWN_DRAIN_SECS, 0 };

	if (srv->is_shutting_down)
		return;
	srv->is_shutting_down = true;
	log_info("shutting down connections=%zu", srv->conn_count);
	if (srv->shutdown_hook != NULL)
		srv->shutdown_hook(srv);
	for (struct listener *l = srv->listeners; l != NULL; l = l->next) {
		if (l->evl != NULL) {
			evconnlistener_free(l->evl);
			l->evl = NULL;
		}
	}
	srv->drain_timer = evtimer_new(srv->base, server_hard_timeout_cb, srv);
	if (srv->drain_timer != NULL)
		evtimer_add(srv->drain_timer, &drain);
	for (struct conn *c = srv->conns; c != NULL; c = c->next) {
		if (c->is_closing)
			continue;
		if (c->is_handshaking || c->session == NULL || c->ops->on_shutdown == NULL)
			conn_abort(c);
		else
			c->ops->on_shutdown(c);
	}
	if (srv->conns == NULL || srv->drain_timer == NULL)
		event_base_loopexit(srv->base, NULL);
}

static void
server_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;
	char err[512];

	(void)what;
	if (sig == SIGHUP) {
		if (srv->tls == NULL)
			return;
		if (tls_reload(srv->tls, err, sizeof(err)) < 0)
			log_error("TLS reload failed, keeping the old certificate: %s", err);
		else
			log_info("TLS certificate reloaded");
		return;
	}
	if (sig == SIGTERM || sig == SIGINT)
		server_shutdown(srv);
}

/* server_io_threads - the storage pool: four per CPU worker, at least 8 (WORKER_THREADS_MAX). */
static long
server_io_threads(long threads)
{
	long n = threads * 4;

	if (n < 8)
		n = 8;
	return n > WORKER_THREADS_MAX ? WORKER_THREADS_MAX : n;
}

/* server_free_workers - both pools stop taking jobs, then finish what they hold. */
static void
server_free_workers(struct server *srv)
{
	worker_pool_stop(srv->io_workers);
	worker_pool_stop(srv->workers);
	worker_pool_free(&srv->io_workers);
	worker_pool_free(&srv->workers);
}

struct server *
server_new(const struct conf *conf)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGPIPE };
	struct server *srv = calloc(1, sizeof(*srv));
	long threads = conf->threads;

	if (srv == NULL)
		return NULL;
	srv->conf = conf;
	srv->conn_hash_size = 1024;
	srv->conn_hash = calloc(srv->conn_hash_size, sizeof(struct conn *));
	srv->ip_hash_size = 4096;
	srv->ip_hash = calloc(srv->ip_hash_size, sizeof(struct server_ip_count *));
	if (srv->conn_hash == NULL || srv->ip_hash == NULL)
		goto fail;
	if (evthread_use_pthreads() < 0)
		goto fail;
	srv->base = event_base_new();
	if (srv->base == NULL)
		goto fail;
	srv->reaper = event_new(srv->base, -1, 0, server_reap_cb, srv);
	srv->sleeper = event_new(srv->base, -1, 0, server_sleep_cb, srv);
	srv->no_input = evbuffer_new();
	if (srv->reaper == NULL || srv->sleeper == NULL || srv->no_input == NULL)
		goto fail;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		srv->sig_events[i] = evsignal_new(srv->base, sigs[i], server_signal_cb, srv);
		if (srv->sig_events[i] == NULL || event_add(srv->sig_events[i], NULL) < 0)
			goto fail;
	}
	if (threads == 0) {
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		threads = ncpu > 0 ? ncpu : 2;
	}
	srv->workers = worker_pool_new(srv->base, (int)threads);
	/*
	 * Storage jobs spend most of their time waiting for fsync, not on a CPU:
	 * a pool of CPU size would leave the disk idle while sessions wait (a
	 * delivery holds its thread for three flushes). Concurrent flushes also
	 * share the device's cache flushes.
	 */
	srv->io_workers = worker_pool_new(srv->base, (int)server_io_threads(threads));
	if (srv->workers == NULL || srv->io_workers == NULL)
		goto fail;
	return srv;
fail:
	server_free(&srv);
	return NULL;
}

void
server_set_tls(struct server *srv, struct tls *tls, bool is_self_signed)
{
	tls_free(&srv->tls);
	srv->tls = tls;
	srv->is_self_signed = is_self_signed;
}

void
server_set_proto(struct server *srv, enum listener_kind kind, const struct proto_ops *ops)
{
	srv->protos[kind] = ops;
}

int
server_run(struct server *srv)
{
	if (event_base_dispatch(srv->base) < 0) {
		log_error("event loop failed");
		return 1;
	}
	/* Close what the drain left, then let workers finish (acknowledged work completes). */
	for (struct conn *c = srv->conns; c != NULL; c = c->next)
		conn_abort(c);
	server_reap_cb(-1, 0, srv);
	server_free_workers(srv);
	log_info("stopped");
	return 0;
}

void
server_free(struct server **sp)
{
	struct server *srv = *sp;

	if (srv == NULL)
		return;
	while (srv->listeners != NULL) {
		struct listener *l = srv->listeners;

		srv->listeners = l->next;
		if (l->evl != NULL)
			evconnlistener_free(l->evl);
		free(l);
	}
	while (srv->conns != NULL)
		conn_free(srv->conns);
	srv->closing = NULL;
	server_free_workers(srv);
	for (size_t i = 0; i < sizeof(srv->sig_events) / sizeof(srv->sig_events[0]); i++)
		if (srv->sig_events[i] != NULL)
			event_free(srv->sig_events[i]);
	if (srv->reaper != NULL)
		event_free(srv->reaper);
	if (srv->sleeper != NULL)
		event_free(srv->sleeper);
	if (srv->no_input != NULL)
		evbuffer_free(srv->no_input);
	if (srv->drain_timer != NULL)
		event_free(srv->drain_timer);
	tls_free(&srv->tls);
	if (srv->base != NULL)
		event_base_free(srv->base);
	if (srv->ip_hash != NULL)
		for (size_t i = 0; i < srv->ip_hash_size; i++)
			while (srv->ip_hash[i] != NULL) {
				struct server_ip_count *e = srv->ip_hash[i];

				srv->ip_hash[i] = e->next;
				free(e);
			}
	free(srv->ip_hash);
	free(srv->conn_hash);
	free(srv);
	*sp = NULL;
}
