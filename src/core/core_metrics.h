/*
 * core_metrics.h - the HTTP-6 counters that no single module owns:
 * messages per acceptance path and result (SMTP inbound, submission,
 * /mxdeliv) and outbound deliveries per transport and result (queue).
 *
 * Plain counters in memory only (LOG-6), embedded in struct server and
 * touched on the loop thread only (every increment site is a loop
 * callback or a worker job's completion), so no atomics. Label values
 * come from the fixed tables here: never an address, IP, domain or
 * message (HTTP-6). PURE.
 *
 * Counters that have an owning module stay there: connections per
 * listener (net/, struct server), auth and accounts (auth/), DSNs
 * (queue/), push (meta/).
 */
#ifndef CHATRELAY_CORE_METRICS_H
#define CHATRELAY_CORE_METRICS_H

#include <stdint.h>

/* chatrelay_messages_total{path}: where a message came in. */
enum core_metrics_path {
	CORE_METRICS_PATH_INBOUND,    /* SMTP on the smtp listener (MX-4) */
	CORE_METRICS_PATH_SUBMISSION, /* SMTP on submission / submissions (SUB-8) */
	CORE_METRICS_PATH_MXDELIV,    /* POST /mxdeliv (MXD) */
	CORE_METRICS_PATHS
};

/* chatrelay_messages_total{result}: the final answer to the message. */
enum core_metrics_result {
	CORE_METRICS_ACCEPTED, /* 2xx: stored / queued */
	CORE_METRICS_REFUSED,  /* 5xx (SMTP) or a permanent HTTP refusal */
	CORE_METRICS_TEMPFAIL, /* 4xx (SMTP) or an HTTP 5xx: the sender retries */
	CORE_METRICS_RESULTS
};

/* chatrelay_deliveries_total{transport}: how the queue tried (FED-1). */
enum core_metrics_transport {
	CORE_METRICS_TRANSPORT_MXDELIV, /* HTTPS /mxdeliv (FED-2) */
	CORE_METRICS_TRANSPORT_SMTP,    /* SMTP to the MX (FED-4) */
	CORE_METRICS_TRANSPORTS
};

/* chatrelay_deliveries_total{result}: one recipient's result of one try. */
enum core_metrics_delivery {
	CORE_METRICS_DELIVERY_OK,       /* delivered */
	CORE_METRICS_DELIVERY_TEMPFAIL, /* 4xx or no answer: retried later (QUEUE-3) */
	CORE_METRICS_DELIVERY_PERMFAIL, /* 5xx: failed for good (DSN-1) */
	CORE_METRICS_DELIVERIES
};

struct core_metrics {
	uint64_t messages[CORE_METRICS_PATHS][CORE_METRICS_RESULTS];
	uint64_t deliveries[CORE_METRICS_TRANSPORTS][CORE_METRICS_DELIVERIES];
};

/* core_metrics_result_of - the result of an SMTP reply line: 2xx, 4xx, else refused. PURE. */
enum core_metrics_result core_metrics_result_of(const char *reply);

/* core_metrics_message - count one message answered with result on path. NULL m: nothing. */
void core_metrics_message(
        struct core_metrics *m, enum core_metrics_path path, enum core_metrics_result result);

/*
 * core_metrics_delivery - count one recipient's try over transport; cls is
 * the reply class (2 delivered, 4 temporary, anything else permanent).
 * NULL m: nothing.
 */
void core_metrics_delivery(struct core_metrics *m, enum core_metrics_transport transport, int cls);

/* The label values (static strings; out of range: "unknown"). PURE. */
const char *core_metrics_path_name(enum core_metrics_path path);
const char *core_metrics_result_name(enum core_metrics_result result);
const char *core_metrics_transport_name(enum core_metrics_transport transport);
const char *core_metrics_delivery_name(enum core_metrics_delivery result);

#endif
