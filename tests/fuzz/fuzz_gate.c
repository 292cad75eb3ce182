/* fuzz-sources: src/policy/policy_*.c src/mail/mail_*.c */
/*
 * fuzz_gate.c - libFuzzer target for the encryption gate: the input is a
 * whole message, checked in both directions; the armor and packet
 * checkers are also run on the raw input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_gate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const rcpts[] = {"alice@example.org"};
	const struct gate_envelope env = {
	        .sender = "alice@example.org",
	        .rcpts = rcpts,
	        .nrcpts = 1,
	};
	char *msg = malloc(size ? size : 1);
	enum gate_verdict v;
	const char *why;

	if (msg == NULL)
		return 0;
	memcpy(msg, data, size);
	(void)gate_check(msg, size, GATE_OUTGOING, &env, &v, &why);
	(void)gate_check(msg, size, GATE_INCOMING, &env, &v, &why);
	(void)gate_armor_check(msg, size, GATE_INCOMING, &why);
	(void)gate_packets_check((const unsigned char *)msg, size, &why);
	free(msg);
	return 0;
}
