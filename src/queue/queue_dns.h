/*
 * queue_dns.h - where outbound SMTP goes (FED-4, CONF-10): c-ares on the
 * libevent loop. MX records by preference (equal preference shuffled),
 * then each host's A/AAAA; no MX record: the domain's own addresses
 * (implicit MX); null MX and NXDOMAIN fail permanently; timeouts and
 * SERVFAIL temporarily. A [routes] SMTP endpoint or an IP-literal domain
 * bypasses the MX lookup. dns_server (CONF) replaces /etc/resolv.conf.
 * One resolver serves both transports: HTTPS hands curl the addresses
 * found here (queue_http.c), so no name is looked up any other way.
 *
 * Loop thread only; never blocks.
 */
#ifndef CHATRELAY_QUEUE_DNS_H
#define CHATRELAY_QUEUE_DNS_H

#include <stddef.h>
#include <sys/socket.h>

struct event_base;
struct queue_dns;

#define QUEUE_DNS_HOSTS_MAX 16 /* addresses tried per attempt */
#define QUEUE_DNS_NAME_MAX 256

struct queue_dns_host {
	char name[QUEUE_DNS_NAME_MAX]; /* the MX host (TLS name check, TLS-7) */
	struct sockaddr_storage addr;  /* with the port set */
	socklen_t addr_len;
};

/*
 * queue_dns_fn - the answer: cls 2 with n hosts in order; cls 4 (temporary)
 * or 5 (permanent) with an SMTP reply line in reply. hosts and reply are
 * borrowed for the call.
 */
typedef void queue_dns_fn(
        void *arg, int cls, const struct queue_dns_host *hosts, size_t n, const char *reply);

/* queue_dns_new - a resolver on base; server "ip[:port]" or NULL/"" for the system's. */
struct queue_dns *queue_dns_new(struct event_base *base, const char *server);

/* queue_dns_free - pending lookups are dropped without their callback. NULL ok. */
void queue_dns_free(struct queue_dns **dp);

/*
 * queue_dns_resolve - the SMTP hosts of domain (lowercase; "[a.b.c.d]" for
 * an IP literal), or of route_host:route_port when route_host is given.
 * fn runs on the loop exactly once (unless the resolver is freed): later,
 * or before this returns when no lookup is needed (an address).
 * Returns 0 or -1 (ENOMEM).
 */
int queue_dns_resolve(struct queue_dns *d, const char *domain, const char *route_host,
        int route_port, queue_dns_fn *fn, void *arg);

/*
 * queue_dns_addresses - the A/AAAA records of host (no MX step) with port
 * set, for the HTTPS transport (FED-2) so that it uses dns_server too.
 * Same contract as queue_dns_resolve; no address gives cls 4.
 */
int queue_dns_addresses(
        struct queue_dns *d, const char *host, int port, queue_dns_fn *fn, void *arg);

#endif
