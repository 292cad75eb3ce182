/* fuzz-sources: src/mail/mail_dkim_canon.c src/mail/mail_dkim_sig.c src/mail/mail_codec.c */
/*
 * fuzz_dkim_canon.c - libFuzzer target for the PURE DKIM code: header
 * splitting and the message reader, header and body canonicalisation
 * (checking that the body canonicaliser gives the same octets for two
 * different chunkings), DKIM-Signature and key-record parsing, b=
 * stripping, DKIM-2 name lists, 5.4.2 selection and the header hash input.
 *
 * The first input octet picks a split point; the rest is the message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail_dkim_canon.h"
#include "mail/mail_dkim_sig.h"

struct fuzz_sink {
	unsigned char *buf;
	size_t len, cap;
};

static void
fuzz_sink_cb(void *ctx, const void *data, size_t n)
{
	struct fuzz_sink *s = ctx;

	if (s->len + n > s->cap)
		abort(); /* canonical output is never longer than 2x the input + 2 */
	memcpy(s->buf + s->len, data, n);
	s->len += n;
}

/* fuzz_body - whole vs. split at cut vs. byte by byte must agree. */
static void
fuzz_body(enum mail_dkim_canon canon, const char *body, size_t len, size_t cut)
{
	struct fuzz_sink a = {malloc(2 * len + 4), 0, 2 * len + 4};
	struct fuzz_sink b = {malloc(2 * len + 4), 0, 2 * len + 4};
	struct mail_dkim_body x, y;
	uint64_t na, nb;

	if (a.buf == NULL || b.buf == NULL)
		abort();
	mail_dkim_body_init(&x, canon, fuzz_sink_cb, &a);
	mail_dkim_body_feed(&x, body, len);
	na = mail_dkim_body_finish(&x);
	mail_dkim_body_init(&y, canon, fuzz_sink_cb, &b);
	mail_dkim_body_feed(&y, body, cut);
	for (size_t i = cut; i < len; i++)
		mail_dkim_body_feed(&y, body + i, 1);
	nb = mail_dkim_body_finish(&y);
	if (na != nb || a.len != b.len || na != a.len || memcmp(a.buf, b.buf, a.len) != 0)
		abort();
	free(a.buf);
	free(b.buf);
}

/* fuzz_sig - parse a field as a signature, strip b=, build the hash input. */
static void
fuzz_sig(const char *buf, const struct mail_dkim_header *h, size_t k, struct mail_dkim_sig *sig)
{
	const struct mail_dkim_field *f = &h->fields[k];
	const char *colon = memchr(buf + f->off, ':', f->len);
	const char *error;
	long idx[DKIM_H_NAMES_MAX];
	char *stripped = NULL, *input = NULL;
	size_t slen, ilen;

	if (colon == NULL)
		abort(); /* the splitter only returns fields with a colon */
	if (mail_dkim_sig_parse(
	            colon + 1, f->len - (size_t)(colon + 1 - (buf + f->off)), sig, &error) < 0)
		return;
	mail_dkim_select(buf, h, (const char(*)[DKIM_FIELD_NAME_MAX + 1]) sig->h, sig->h_count,
	        (long)k, idx);
	if (mail_dkim_strip_b(buf + f->off, f->len, &stripped, &slen) == 0 &&
	        mail_dkim_header_input(buf, h, idx, sig->h_count, sig->header_canon, stripped, slen,
	                &input, &ilen) == 0)
		free(input);
	free(stripped);
}

static void
fuzz_header(const char *buf, size_t len)
{
	struct mail_dkim_header *h = malloc(sizeof(*h));
	struct mail_dkim_sig *sig = malloc(sizeof(*sig));
	char(*names)[DKIM_FIELD_NAME_MAX + 1] = malloc(DKIM_H_NAMES_MAX * sizeof(*names));
	long idx[DKIM_H_NAMES_MAX];
	size_t count;

	if (h == NULL || sig == NULL || names == NULL)
		abort();
	if (mail_dkim_header_split(buf, len, true, h) == MAIL_DKIM_PARSE_COMPLETE) {
		for (size_t k = 0; k < h->count; k++) {
			const struct mail_dkim_field *f = &h->fields[k];
			char *out = NULL;
			size_t n;

			for (int c = 0; c < 2; c++) {
				if (mail_dkim_canon_header(
				            c ? MAIL_DKIM_CANON_RELAXED : MAIL_DKIM_CANON_SIMPLE,
				            buf + f->off, f->len, &out, &n) < 0)
					abort();
				free(out);
			}
			/* Signature fields, and the first few of any name for the tag parser. */
			if (k < 8 || mail_dkim_field_is(buf, f, "dkim-signature", 14))
				fuzz_sig(buf, h, k, sig);
		}
		if (mail_dkim_sign_names(buf, h, names, DKIM_H_NAMES_MAX, &count) == 0)
			mail_dkim_select(buf, h, (const char(*)[DKIM_FIELD_NAME_MAX + 1]) names,
			        count, -1, idx);
	}
	free(names);
	free(sig);
	free(h);
}

/* fuzz_reader - the message reader must find the same header as the splitter. */
static void
fuzz_reader(const char *buf, size_t len, size_t cut)
{
	struct mail_dkim_msg m;
	const char *body;
	size_t body_len, total = 0;
	enum mail_dkim_parse rc;

	if (mail_dkim_msg_init(&m) < 0)
		abort();
	rc = mail_dkim_msg_feed(&m, buf, cut, &body, &body_len);
	if (rc != MAIL_DKIM_PARSE_ERROR) {
		total += body_len;
		rc = mail_dkim_msg_feed(&m, buf + cut, len - cut, &body, &body_len);
		total += body_len;
	}
	if (rc != MAIL_DKIM_PARSE_ERROR && mail_dkim_msg_finish(&m) == MAIL_DKIM_PARSE_COMPLETE &&
	        m.h->body_off + total != len && total != 0)
		abort();
	mail_dkim_msg_reset(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_dkim_key key;
	const char *buf, *error;
	size_t len, cut;

	if (size < 1)
		return 0;
	buf = (const char *)data + 1;
	len = size - 1;
	cut = len > 0 ? data[0] % (len + 1) : 0;
	fuzz_body(MAIL_DKIM_CANON_SIMPLE, buf, len, cut);
	fuzz_body(MAIL_DKIM_CANON_RELAXED, buf, len, cut);
	fuzz_header(buf, len);
	fuzz_reader(buf, len, cut);
	mail_dkim_key_parse(buf, len, &key, &error);
	return 0;
}
