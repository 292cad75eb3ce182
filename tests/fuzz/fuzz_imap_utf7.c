/* fuzz-sources: src/imap/imap_utf7.c */
/*
 * fuzz_imap_utf7.c - libFuzzer target for modified UTF-7.
 *
 * Properties: decoding accepts only canonical input, so decode-then-encode
 * gives back the input octet for octet; any UTF-8 the encoder accepts
 * decodes back to itself; is_valid agrees with the decoder.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imap/imap_utf7.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	char *a, *b;
	size_t na, nb;

	if (imap_utf7_to_utf8(in, size, &a, &na) == 0) {
		if (!imap_utf7_is_valid(in, size))
			__builtin_trap();
		if (imap_utf8_to_utf7(a, na, &b, &nb) != 0 || nb != size ||
		        memcmp(b, in, size) != 0)
			__builtin_trap();
		free(b);
		free(a);
	} else if (imap_utf7_is_valid(in, size)) {
		__builtin_trap();
	}
	if (imap_utf8_to_utf7(in, size, &a, &na) == 0) {
		if (imap_utf7_to_utf8(a, na, &b, &nb) != 0 || nb != size ||
		        memcmp(b, in, size) != 0)
			__builtin_trap();
		free(b);
		free(a);
	}
	return 0;
}
