/*
 * core_metrics.c - label tables and increments of the HTTP-6 counters
 * kept in struct core_metrics (core_metrics.h). PURE: no I/O, no locks
 * (loop thread only).
 */
#include <stddef.h>

#include "core/core_metrics.h"

static const char *const core_metrics_paths[CORE_METRICS_PATHS] = {
        "inbound", "submission", "mxdeliv"};
static const char *const core_metrics_results[CORE_METRICS_RESULTS] = {
        "accepted", "refused", "tempfail"};
static const char *const core_metrics_transports[CORE_METRICS_TRANSPORTS] = {"mxdeliv", "smtp"};
static const char *const core_metrics_deliveries[CORE_METRICS_DELIVERIES] = {
        "ok", "tempfail", "permfail"};

enum core_metrics_result
core_metrics_result_of(const char *reply)
{
	if (reply != NULL && reply[0] == '2')
		return CORE_METRICS_ACCEPTED;
	if (reply != NULL && reply[0] == '4')
		return CORE_METRICS_TEMPFAIL;
	return CORE_METRICS_REFUSED;
}

void
core_metrics_message(
        struct core_metrics *m, enum core_metrics_path path, enum core_metrics_result result)
{
	if (m != NULL && (unsigned)path < CORE_METRICS_PATHS &&
	        (unsigned)result < CORE_METRICS_RESULTS)
		m->messages[path][result]++;
}

void
core_metrics_delivery(struct core_metrics *m, enum core_metrics_transport transport, int cls)
{
	enum core_metrics_delivery d = CORE_METRICS_DELIVERY_PERMFAIL;

	if (cls == 2)
		d = CORE_METRICS_DELIVERY_OK;
	else if (cls == 4)
		d = CORE_METRICS_DELIVERY_TEMPFAIL;
	if (m != NULL && (unsigned)transport < CORE_METRICS_TRANSPORTS)
		m->deliveries[transport][d]++;
}

const char *
core_metrics_path_name(enum core_metrics_path path)
{
	return (unsigned)path < CORE_METRICS_PATHS ? core_metrics_paths[path] : "unknown";
}

const char *
core_metrics_result_name(enum core_metrics_result result)
{
	return (unsigned)result < CORE_METRICS_RESULTS ? core_metrics_results[result] : "unknown";
}

const char *
core_metrics_transport_name(enum core_metrics_transport transport)
{
	return (unsigned)transport < CORE_METRICS_TRANSPORTS ? core_metrics_transports[transport]
	                                                     : "unknown";
}

const char *
core_metrics_delivery_name(enum core_metrics_delivery result)
{
	return (unsigned)result < CORE_METRICS_DELIVERIES ? core_metrics_deliveries[result]
	                                                  : "unknown";
}
