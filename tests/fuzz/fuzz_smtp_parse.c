/* fuzz-sources: src/smtp/smtp_parse.c */
/*
 * fuzz_smtp_parse.c - libFuzzer target for the SMTP command parser: the
 * input is one command line (line end removed, as the session passes it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/smtp_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct smtp_parse_ctx ctx = {
	        .is_ehlo = size > 0 && (data[0] & 1),
	        .is_submission = size > 0 && (data[0] & 2),
	        .max_message_size = 10000,
	};
	char *line = malloc(size ? size : 1);
	struct smtp_cmd c;
	struct smtp_mail m;
	struct smtp_path p;
	struct smtp_auth_arg a;
	const char *reply;

	if (line == NULL)
		return 0;
	memcpy(line, data, size);
	smtp_parse_command(line, size, &c);
	(void)smtp_parse_helo(&c, &reply);
	(void)smtp_parse_noarg(&c, &reply);
	if (smtp_parse_mail(&c, &ctx, &m, &reply) == 0 && m.path.len > SMTP_PATH_MAX)
		abort();
	(void)smtp_parse_rcpt(&c, ctx.is_ehlo, &p, &reply);
	/* the initial response points into the line (SASL decoding: fuzz_auth_address) */
	if (smtp_parse_auth(&c, &a, &reply) == 0 && a.has_initial &&
	        (a.initial_len > size ||
	                (a.initial_len > 0 &&
	                        (a.initial < line || a.initial + a.initial_len > line + size))))
		abort();
	free(line);
	return 0;
}
