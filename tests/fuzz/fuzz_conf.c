/* fuzz-sources: src/core/core_conf.c src/core/core_conf_value.c src/core/core_str.c */
/*
 * fuzz_conf.c - libFuzzer target for the configuration parser (CONF-2..10).
 *
 * Parses the input as an INI file over the built-in defaults, checks the
 * invariants a successful parse promises (CONF-4 consistency, derived
 * values present), looks a route up and frees everything, so that
 * AddressSanitizer/LeakSanitizer see every path. The value parsers also get
 * the first line of the input as a C string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_conf_check - what conf_parse() returning 0 guarantees. */
static void
fuzz_conf_check(const struct conf *c)
{
	if (c->mail_domain == NULL || c->mail_domain_bare == NULL || c->hostname == NULL ||
	        c->hostname[0] == '\0' || c->turn_host == NULL || c->dkim_key == NULL ||
	        c->dkim_key[0] == '\0' || c->file == NULL)
		__builtin_trap();
	if (c->username_min_length > c->username_max_length ||
	        c->quota_trim_target > c->quota_trim_threshold ||
	        c->queue_retry_initial > c->queue_retry_max || c->listen_address.count == 0)
		__builtin_trap();
	if ((c->tls_cert[0] == '\0') != (c->tls_key[0] == '\0'))
		__builtin_trap();
	if ((c->tls_external_cert == NULL) != (c->tls_external_key == NULL))
		__builtin_trap();
	if (c->federation_policy == CONF_FEDERATION_ALLOWLIST && c->federation_allowlist.count == 0)
		__builtin_trap();
	for (size_t i = 0; i < c->route_count; i++) {
		const struct conf_route *r = &c->routes[i];

		if (conf_route_find(c, r->domain) != r)
			__builtin_trap();
		if (r->smtp_host != NULL && (r->smtp_port < 1 || r->smtp_port > 65535))
			__builtin_trap();
	}
}

/* fuzz_conf_values - the exported value parsers on the first line. */
static void
fuzz_conf_values(const uint8_t *data, size_t size)
{
	char word[128];
	size_t n = 0;
	uint64_t size_v;
	long long_v;
	bool bool_v;

	while (n < size && n < sizeof(word) - 1 && data[n] != '\n' && data[n] != '\0')
		n++;
	memcpy(word, data, n);
	word[n] = '\0';
	(void)conf_parse_bool(word, &bool_v);
	(void)conf_parse_size(word, &size_v);
	(void)conf_parse_long(word, &long_v);
	if (conf_parse_duration(word, &long_v) == 0 && long_v < 0)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf c;
	char err[512];

	fuzz_conf_values(data, size);
	if (conf_init(&c) < 0)
		return 0;
	if (conf_parse(&c, (const char *)data, size, "fuzz.ini", "/etc/chatrelay", err,
	            sizeof(err)) == 0) {
		fuzz_conf_check(&c);
		(void)conf_route_find(&c, "[127.0.0.2]");
	} else if (strncmp(err, "fuzz.ini:", 9) != 0) {
		__builtin_trap(); /* CONF-4: every problem names the file and line */
	}
	conf_free(&c);
	return 0;
}
