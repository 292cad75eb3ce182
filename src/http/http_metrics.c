/*
 * http_metrics.c - /metrics in the Prometheus text format 0.0.4 (HTTP-6):
 * loopback clients only unless metrics_remote; no label names an address,
 * IP, domain or message. Counters owned by modules that do not exist yet
 * are reported as 0 until they land.
 */
#include <stdio.h>
#include <stdlib.h>

#include "auth/auth.h"
#include "core/core_conf.h"
#include "http/http_routes.h"
#include "http/http_session.h"
#include "net/net_server.h"
#include "queue/queue.h"

/* http_metrics_render - the exposition into a memstream. */
static void
http_metrics_render(FILE *f, const struct server *srv)
{
	static const char *const listeners[] = {
	        "smtp", "submission", "submissions", "imap", "imaps", "http"};
	const struct auth_stats *st = srv->auth != NULL ? auth_stats(srv->auth) : NULL;
	const struct auth_stats zero = {0};

	if (st == NULL)
		st = &zero;
	fprintf(f, "# TYPE chatrelay_connections_total counter\n");
	for (size_t i = 0; i < sizeof(listeners) / sizeof(listeners[0]); i++)
		fprintf(f, "chatrelay_connections_total{listener=\"%s\"} 0\n", listeners[i]);
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
	fprintf(f,
	        "# TYPE chatrelay_messages_total counter\n"
	        "chatrelay_messages_total{path=\"submission\",result=\"accepted\"} 0\n"
	        "chatrelay_messages_total{path=\"inbound\",result=\"accepted\"} 0\n");
	fprintf(f,
	        "# TYPE chatrelay_deliveries_total counter\n"
	        "chatrelay_deliveries_total{transport=\"mxdeliv\",result=\"ok\"} 0\n"
	        "chatrelay_deliveries_total{transport=\"smtp\",result=\"ok\"} 0\n");
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
	fprintf(f, "# TYPE chatrelay_push_total counter\nchatrelay_push_total{result=\"ok\"} 0\n");
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
