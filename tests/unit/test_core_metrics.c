/*
 * test_core_metrics.c - unit tests for src/core/core_metrics.c: reply
 * classes, increments and the fixed label tables of HTTP-6.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/core_metrics.h"

static void
test_result_of(void **state)
{
	(void)state;
	assert_int_equal(core_metrics_result_of("250 2.0.0 OK"), CORE_METRICS_ACCEPTED);
	assert_int_equal(core_metrics_result_of("451 4.3.0 Temporary local error"),
	        CORE_METRICS_TEMPFAIL);
	assert_int_equal(core_metrics_result_of("523 5.7.1 Encryption Needed"),
	        CORE_METRICS_REFUSED);
	assert_int_equal(core_metrics_result_of(""), CORE_METRICS_REFUSED);
	assert_int_equal(core_metrics_result_of(NULL), CORE_METRICS_REFUSED);
}

static void
test_message(void **state)
{
	struct core_metrics m;

	(void)state;
	memset(&m, 0, sizeof(m));
	core_metrics_message(&m, CORE_METRICS_PATH_INBOUND, CORE_METRICS_ACCEPTED);
	core_metrics_message(&m, CORE_METRICS_PATH_INBOUND, CORE_METRICS_ACCEPTED);
	core_metrics_message(&m, CORE_METRICS_PATH_MXDELIV, CORE_METRICS_TEMPFAIL);
	core_metrics_message(&m, CORE_METRICS_PATHS, CORE_METRICS_ACCEPTED); /* ignored */
	core_metrics_message(&m, CORE_METRICS_PATH_SUBMISSION, CORE_METRICS_RESULTS); /* ignored */
	core_metrics_message(NULL, CORE_METRICS_PATH_INBOUND, CORE_METRICS_ACCEPTED);
	assert_int_equal(m.messages[CORE_METRICS_PATH_INBOUND][CORE_METRICS_ACCEPTED], 2);
	assert_int_equal(m.messages[CORE_METRICS_PATH_MXDELIV][CORE_METRICS_TEMPFAIL], 1);
	assert_int_equal(m.messages[CORE_METRICS_PATH_SUBMISSION][CORE_METRICS_ACCEPTED], 0);
	assert_int_equal(m.messages[CORE_METRICS_PATH_INBOUND][CORE_METRICS_REFUSED], 0);
}

static void
test_delivery(void **state)
{
	struct core_metrics m;

	(void)state;
	memset(&m, 0, sizeof(m));
	core_metrics_delivery(&m, CORE_METRICS_TRANSPORT_SMTP, 2);
	core_metrics_delivery(&m, CORE_METRICS_TRANSPORT_SMTP, 4);
	core_metrics_delivery(&m, CORE_METRICS_TRANSPORT_MXDELIV, 5);
	core_metrics_delivery(&m, CORE_METRICS_TRANSPORT_MXDELIV, 0); /* no class: permanent */
	core_metrics_delivery(&m, CORE_METRICS_TRANSPORTS, 2);        /* ignored */
	core_metrics_delivery(NULL, CORE_METRICS_TRANSPORT_SMTP, 2);
	assert_int_equal(m.deliveries[CORE_METRICS_TRANSPORT_SMTP][CORE_METRICS_DELIVERY_OK], 1);
	assert_int_equal(
	        m.deliveries[CORE_METRICS_TRANSPORT_SMTP][CORE_METRICS_DELIVERY_TEMPFAIL], 1);
	assert_int_equal(
	        m.deliveries[CORE_METRICS_TRANSPORT_MXDELIV][CORE_METRICS_DELIVERY_PERMFAIL], 2);
	assert_int_equal(m.deliveries[CORE_METRICS_TRANSPORT_MXDELIV][CORE_METRICS_DELIVERY_OK], 0);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(core_metrics_path_name(CORE_METRICS_PATH_INBOUND), "inbound");
	assert_string_equal(core_metrics_path_name(CORE_METRICS_PATH_SUBMISSION), "submission");
	assert_string_equal(core_metrics_path_name(CORE_METRICS_PATH_MXDELIV), "mxdeliv");
	assert_string_equal(core_metrics_path_name(CORE_METRICS_PATHS), "unknown");
	assert_string_equal(core_metrics_result_name(CORE_METRICS_ACCEPTED), "accepted");
	assert_string_equal(core_metrics_result_name(CORE_METRICS_REFUSED), "refused");
	assert_string_equal(core_metrics_result_name(CORE_METRICS_TEMPFAIL), "tempfail");
	assert_string_equal(core_metrics_result_name(CORE_METRICS_RESULTS), "unknown");
	assert_string_equal(core_metrics_transport_name(CORE_METRICS_TRANSPORT_MXDELIV), "mxdeliv");
	assert_string_equal(core_metrics_transport_name(CORE_METRICS_TRANSPORT_SMTP), "smtp");
	assert_string_equal(core_metrics_transport_name(CORE_METRICS_TRANSPORTS), "unknown");
	assert_string_equal(core_metrics_delivery_name(CORE_METRICS_DELIVERY_OK), "ok");
	assert_string_equal(core_metrics_delivery_name(CORE_METRICS_DELIVERY_TEMPFAIL), "tempfail");
	assert_string_equal(core_metrics_delivery_name(CORE_METRICS_DELIVERY_PERMFAIL), "permfail");
	assert_string_equal(core_metrics_delivery_name(CORE_METRICS_DELIVERIES), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_result_of),
		cmocka_unit_test(test_message),
		cmocka_unit_test(test_delivery),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
