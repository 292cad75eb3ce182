/* fuzz-sources: src/smtp/smtp_data.c */
/*
 * fuzz_smtp_data.c - libFuzzer target for the DATA reader. The input is fed
 * whole and in pieces chosen by its first octet; both runs must agree on
 * the output, the consumed length and the result (cut invariance).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/smtp_data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_sink {
	uint64_t hash;
	size_t len;
};

static int
fuzz_sink_cb(void *ctx, const char *p, size_t n)
{
	struct fuzz_sink *s = ctx;

	for (size_t i = 0; i < n; i++)
		s->hash = (s->hash ^ (uint8_t)p[i]) * 1099511628211ULL;
	s->len += n;
	return 0;
}

static void
fuzz_run(const char *in, size_t len, size_t step, uint64_t max, struct fuzz_sink *s, size_t *used_r,
        enum smtp_data_error *err_r)
{
	static struct smtp_data d;
	enum smtp_data_status st = SMTP_DATA_NEED_MORE;
	size_t pos = 0, used;

	memset(s, 0, sizeof(*s));
	smtp_data_init(&d, max, fuzz_sink_cb, s);
	while (pos < len && st == SMTP_DATA_NEED_MORE) {
		size_t n = len - pos < step ? len - pos : step;

		st = smtp_data_feed(&d, in + pos, n, &used);
		if (used > n || (st == SMTP_DATA_NEED_MORE && used != n))
			abort();
		pos += used;
	}
	*used_r = pos;
	*err_r = st == SMTP_DATA_COMPLETE ? smtp_data_result(&d) : (enum smtp_data_error) - 1;
	if (s->len > d.size)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_sink a, b;
	size_t ua, ub, step;
	enum smtp_data_error ea, eb;
	uint64_t max;

	if (size < 2)
		return 0;
	step = (size_t)(data[0] % 17) + 1;
	max = data[1] < 128 ? 0 : (uint64_t)data[1] * 4;
	fuzz_run((const char *)data + 2, size - 2, size, max, &a, &ua, &ea);
	fuzz_run((const char *)data + 2, size - 2, step, max, &b, &ub, &eb);
	if (ua != ub || ea != eb || (ea == SMTP_DATA_OK && (a.len != b.len || a.hash != b.hash)))
		abort();
	return 0;
}
