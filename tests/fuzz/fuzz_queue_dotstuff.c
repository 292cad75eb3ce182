/* fuzz-sources: src/queue/queue_dotstuff.c */
/*
 * fuzz_queue_dotstuff.c - libFuzzer target for the SMTP client's DATA
 * encoder (FED-5): whatever the message, the output has only CRLF line
 * ends, contains the terminator CRLF "." CRLF exactly once (at its end),
 * stays within the documented size bounds, and does not depend on how the
 * input is cut. The first input octet picks the cut.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "queue/queue_dotstuff.h"

static size_t
fuzz_encode(const char *in, size_t len, size_t cut, char *out)
{
	struct queue_dotstuff d;
	size_t n;

	queue_dotstuff_init(&d);
	n = queue_dotstuff_feed(&d, in, cut, out);
	if (n > QUEUE_DOTSTUFF_OUT_MAX(cut))
		abort();
	for (size_t i = cut; i < len; i++) {
		size_t w = queue_dotstuff_feed(&d, in + i, 1, out + n);

		if (w > QUEUE_DOTSTUFF_OUT_MAX(1))
			abort();
		n += w;
	}
	return n + queue_dotstuff_finish(&d, out + n);
}

/* fuzz_check - CRLF only, and no line "." before the terminator. */
static void
fuzz_check(const char *out, size_t n)
{
	size_t line = 0;

	if (n < 3 || memcmp(out + n - 3, ".\r\n", 3) != 0)
		abort();
	if (n > 3 && memcmp(out + n - 5, "\r\n", 2) != 0)
		abort();
	for (size_t i = 0; i + 3 < n; i++) {
		if (out[i] == '\n' && (i == 0 || out[i - 1] != '\r'))
			abort();
		if (i == line && out[i] == '.' && out[i + 1] != '.')
			abort(); /* an unstuffed dot at a line start */
		if (out[i] == '\n')
			line = i + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data + 1;
	size_t len, cut, na, nb;
	char *a, *b;

	if (size < 1)
		return 0;
	len = size - 1;
	cut = data[0] % (len + 1);
	a = malloc(QUEUE_DOTSTUFF_OUT_MAX(len) + QUEUE_DOTSTUFF_FINISH_MAX);
	b = malloc(QUEUE_DOTSTUFF_OUT_MAX(len) + QUEUE_DOTSTUFF_FINISH_MAX);
	if (a == NULL || b == NULL)
		abort();
	na = fuzz_encode(in, len, len, a);
	nb = fuzz_encode(in, len, cut, b);
	if (na != nb || memcmp(a, b, na) != 0)
		abort();
	fuzz_check(a, na);
	free(a);
	free(b);
	return 0;
}
