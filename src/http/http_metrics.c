/*
 * http_metrics.c - /metrics in the Prometheus text format 0.0.4 (HTTP-6):
 * loopback clients only unless metrics_remote; no label names an address,
 * IP, domain or message: every label value comes from a fixed table, and
 * every series of a label set is printed, also while it is 0.
 *
 * What each counter counts (memory only, since start, LOG-6):
 * - connections_total{listener}: sockets accepted per listener kind,
 *   including those then refused over a NET-4 limit (net_listener.c).
 * - auth_total{result}, registrations_total, accounts: auth/.
 * - messages_total{path,result}: one per message answered, path inbound
 *   (smtp listener), submission (submission, submissions) or mxdeliv;
 *   SMTP: every transaction that reached DATA, by its final reply
 *   (2xx accepted, 4xx tempfail, 5xx refused: smtp_txn.c; envelopes
 *   refused at MAIL or RCPT are not messages); /mxdeliv: every request to
 *   the route, by status (200 and a 507 that stored a copy accepted, 5xx
 *   and a 507 that stored none tempfail, other 4xx refused: http_mxdeliv.c).
 * - deliveries_total{transport,result}: one per recipient per transport
 *   try of the queue (queue_attempt.c); an HTTPS try that falls back to
 *   SMTP (FED-3) counts as mxdeliv tempfail, the SMTP try then on its own.
 *   Attempts that no transport took (FED-7 denial, unreadable entry, a
 *   route without SMTP after HTTPS failed) are not counted.
 * - dsn_total{result}, queue_messages: queue/.
 * - push_total{result}: attempts answered 2xx (ok), 410 (gone) or
 *   otherwise / not at all (fail), and notifications given up (dropped,
 *   PUSH-3 or the pending bound): meta/.
 */
#include <stdio.h>
#include <stdlib.h>

#include "auth/auth.h"
#include "core/core_conf.h"
#include "core/core_metrics.h"
#include "http/http_routes.h"
#include "http/http_session.h"
#include "meta/meta.h"
#include "net/net_server.h"
#include "queue/queue.h"

/* http_metrics_counters - the counters of struct core_metrics. */
static void
http_metrics_counters(FILE *f, const struct core_metrics *m)
{
	fprintf(f, "# TYPE chatrelay_messages_total counter\n");
	for (int p = 0; p < CORE_METRICS_PATHS; p++)
		for (int r = 0; r < CORE_METRICS_RESULTS; r++)
			fprintf(f, "chatrelay_messages_total{path=\"%s\",result=\"%s\"} %llu\n",
			        core_metrics_path_name((enum core_metrics_path)p),
			        core_metrics_result_name((enum core_metrics_result)r),
			        (unsigned long long)m->messages[p][r]);
	fprintf(f, "# TYPE chatrelay_deliveries_total counter\n");
	for (int t = 0; t < CORE_METRICS_TRANSPORTS; t++)
		for (int r = 0; r < CORE_METRICS_DELIVERIES; r++)
			fprintf(f,
			        "chatrelay_deliveries_total{transport=\"%s\",result=\"%s\"} %llu\n",
			        core_metrics_transport_name((enum core_metrics_transport)t),
			        core_metrics_delivery_name((enum core_metrics_delivery)r),
			        (unsigned long long)m->deliveries[t][r]);
}

/* http_metrics_push - PUSH counters of meta/ (all 0 with push = no or without meta). */
static void
http_metrics_push(FILE *f, const struct meta *meta)
{
	struct meta_stats ms = {0};

	if (meta != NULL)
		meta_stats(meta, &ms);
	fprintf(f,
	        "# TYPE chatrelay_push_total counter\n"
	        "chatrelay_push_total{result=\"ok\"} %lu\n"
	        "chatrelay_push_total{result=\"gone\"} %lu\n"
	        "chatrelay_push_total{result=\"fail\"} %lu\n"
	        "chatrelay_push_total{result=\"dropped\"} %lu\n",
	        ms.push_ok, ms.push_gone, ms.push_failed, ms.push_dropped);
}

/* http_metrics_render - the exposition into a memstream. */
static void
http_metrics_render(FILE *f, const struct server *srv)
{
	const struct auth_stats *st = srv->auth != NULL ? auth_stats(srv->auth) : NULL;
	const struct auth_stats zero = {0};

	if (st == NULL)
		st = &zero;
	fprintf(f, "# TYPE chatrelay_connections_total counter\n");
	for (int k = 0; k < LISTENER_KIND_COUNT; k++)
		fprintf(f, "chatrelay_connections_total{listener=\"%s\"} %llu\n",
		        server_listener_name((enum listener_kind)k),
		        (unsigned long long)srv->accepted[k]);
	fprintf(f,
	        "# TYPE chatrelay_auth_total counter\n"
	        "chatrelay_auth_total{result=\"ok\"} %llu\n"
	        "chatrelay_auth_total{result=\"fail\"} %llu\n"
	        "chatrelay_auth_total{result=\"throttled\"} %llu\n"
	        "chatrelay_auth_total{result=\"unavailable\"} %llu\n",
	        st->ok, st->fail, st->throttled, st->unavailable);
	fprintf(f,
	        "# TYPE chatrelay_registrations_total counter\n"
	        "chatrelay_registrations_total %llu\n",
	        st->registered);
	http_metrics_counters(f, &srv->metrics);
	fprintf(f, "# TYPE chatrelay_queue_messages gauge\nchatrelay_queue_messages %zu\n",
	        srv->queue != NULL ? queue_count(srv->queue) : 0);
	/* DSN-3: a DSN dropped because the sender is over quota is counted here */
	fprintf(f, "# TYPE chatrelay_dsn_total counter\n");
	for (int o = 0; o < QUEUE_DSN_OUTCOMES; o++)
		fprintf(f, "chatrelay_dsn_total{result=\"%s\"} %llu\n",
		        queue_dsn_outcome_name((enum queue_dsn_outcome)o),
		        (unsigned long long)queue_dsn_count(srv->queue, (enum queue_dsn_outcome)o));
	fprintf(f, "# TYPE chatrelay_accounts gauge\nchatrelay_accounts %ld\n",
	        st->accounts > 0 ? st->accounts : 0);
	fprintf(f, "# TYPE chatrelay_imap_sessions gauge\nchatrelay_imap_sessions %u\n",
	        srv->class_count[CONN_CLASS_IMAP]);
	http_metrics_push(f, srv->meta);
}

void
http_metrics_cb(struct conn *c, const struct http_request *req)
{
	const struct conf *conf = c->srv->conf;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)req;
	if (!conf->metrics) {
		http_respond(c, 404, "text/plain; charset=utf-8", "Not Found\n", 10, NULL);
		return;
	}
	if (!c->is_loopback && !conf->metrics_remote) {
		http_respond(c, 403, "text/plain; charset=utf-8", "Forbidden\n", 10, NULL);
		return;
	}
	f = open_memstream(&text, &len);
	if (f == NULL) {
		http_respond(
		        c, 500, "text/plain; charset=utf-8", "Internal Server Error\n", 22, NULL);
		return;
	}
	http_metrics_render(f, c->srv);
	fclose(f);
	http_respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", text, len, NULL);
	free(text);
}
