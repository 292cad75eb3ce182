/*
 * queue_dkim_dns.h - inbound DKIM verification with DNS key lookups
 * (DKIM-5..7) for the acceptance pipeline (smtp_accept_set_dkim_verifier).
 *
 * Blocking: call only on worker threads. Thread-safe (a mutex guards the
 * key cache).
 */
#ifndef CHATRELAY_QUEUE_DKIM_DNS_H
#define CHATRELAY_QUEUE_DKIM_DNS_H

#include <stddef.h>

struct queue_dkim_dns;

/* queue_dkim_dns_new - a verifier using dns_server ("host[:port]", NULL/"" = system). NULL on
 * ENOMEM. */
struct queue_dkim_dns *queue_dkim_dns_new(const char *dns_server);
/* queue_dkim_dns_free - after the worker pool drained; accepts NULL, leaves NULL. */
void queue_dkim_dns_free(struct queue_dkim_dns **dp);

/*
 * queue_dkim_dns_verify - smtp_accept_dkim_fn (ctx: the queue_dkim_dns):
 * verify msg (CRLF lines, before HDR-2) for the name from_domain; NULL on
 * PASS, else the exact reply line of DKIM-5 / DKIM-7.
 */
const char *queue_dkim_dns_verify(const char *msg, size_t len, const char *from_domain, void *ctx);

#endif
