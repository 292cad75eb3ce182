/* fuzz-sources: src/imap/imap_parse.c src/imap/imap_parse_literal.c src/imap/imap_parse_arg.c src/imap/imap_arena.c src/imap/imap_fetch_parse.c src/imap/imap_store_parse.c src/imap/imap_search_parse.c src/imap/imap_seqset.c src/imap/imap_quote.c src/imap/imap_utf7.c src/imap/imap_mbname.c src/imap/imap_args_parse.c */
/*
 * fuzz_imap_parse.c - libFuzzer target for the IMAP command parser and the
 * argument consumers (FETCH, STORE, SEARCH, sequence sets, quoting,
 * modified UTF-7).
 *
 * Beyond not crashing it checks the parser's promise: the events (commands,
 * errors, literal announcements, streamed chunks) are the same whether the
 * input arrives whole or in small pieces, and consumed counts never exceed
 * what was fed. Every complete command is handed to every consumer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imap/imap_args_parse.h"
#include "imap/imap_fetch_parse.h"
#include "imap/imap_mbname.h"
#include "imap/imap_parse.h"
#include "imap/imap_quote.h"
#include "imap/imap_search_parse.h"
#include "imap/imap_seqset.h"
#include "imap/imap_store_parse.h"
#include "imap/imap_utf7.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_hash(uint64_t *h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++)
		*h = (*h ^ s[i]) * 1099511628211ULL;
}

static void
fuzz_hash_args(uint64_t *h, const struct imap_arg *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fuzz_hash(h, &a[i].type, sizeof(a[i].type));
		if (a[i].type == IMAP_ARG_LIST) {
			fuzz_hash(h, "(", 1);
			fuzz_hash_args(h, a[i].list, a[i].count);
			fuzz_hash(h, ")", 1);
		} else {
			fuzz_hash(h, &a[i].len, sizeof(a[i].len));
			if (a[i].str != NULL)
				fuzz_hash(h, a[i].str, a[i].len);
		}
	}
}

/* fuzz_consumers - every consumer on every suffix of the arguments. */
static void
fuzz_consumers(struct imap_parser *p, const struct imap_command *c)
{
	struct imap_arena *arena = imap_parser_arena(p);

	for (size_t skip = 0; skip <= c->count && skip < 3; skip++) {
		const struct imap_arg *args = c->args + skip;
		size_t n = c->count - skip;
		struct imap_fetch_request *fr;
		struct imap_store_request sr;
		struct imap_search_program *prog;
		const char *err;
		bool badcs;

		imap_fetch_parse(arena, args, n, &fr, &err);
		imap_store_parse(arena, args, n, &sr, &err);
		imap_search_parse(arena, args, n, &prog, &badcs, &err);
		{
			struct imap_append_args aa;
			struct imap_status_args sa;
			struct imap_getmetadata_args ga;
			struct imap_setmetadata_args ma;

			imap_append_parse(arena, args, n, &aa, &err);
			imap_status_parse(arena, args, n, &sa, &err);
			imap_getmetadata_parse(arena, args, n, &ga, &err);
			imap_setmetadata_parse(arena, args, n, &ma, &err);
			imap_id_check(args, n, &err);
		}
	}
	for (size_t i = 0; i < c->count; i++) {
		const struct imap_arg *a = &c->args[i];
		struct imap_seqset set, res;
		char buf[64], *u;
		const char *err;
		time_t t;

		if (a->str == NULL)
			continue;
		imap_seqset_init(&set);
		imap_seqset_init(&res);
		if (imap_seqset_parse(a->str, a->len, &set, &err) == 0) {
			imap_seqset_resolve(&set, 100, false, &res, &err);
			imap_seqset_resolve(&set, 100, true, &res, &err);
		}
		imap_seqset_reset(&set);
		imap_seqset_reset(&res);
		imap_quote(buf, sizeof(buf), a->str, a->len, IMAP_QUOTE_ASTRING);
		imap_date_time_parse(a->str, a->len, &t);
		if (imap_utf7_to_utf8(a->str, a->len, &u, NULL) == 0)
			free(u);
		{
			char mb[IMAP_MAILBOX_NAME_MAX + 1];

			if (imap_mbname_normalize(a->str, a->len, IMAP_MBNAME_CREATE, mb) == 0 &&
			        !imap_mbname_match("*", 1, mb, strlen(mb)))
				__builtin_trap();
			if (i + 1 < c->count && c->args[i + 1].str != NULL)
				imap_mbname_match(
				        a->str, a->len, c->args[i + 1].str, c->args[i + 1].len);
		}
	}
}

/* fuzz_run - feed data in pieces of chunk octets (0: all at once); returns the event hash. */
static uint64_t
fuzz_run(const uint8_t *data, size_t size, size_t chunk, int policy, bool use_consumers)
{
	struct imap_parser *p = imap_parser_new();
	uint64_t h = 14695981039346656037ULL;
	size_t off = 0, avail = 0;

	if (p == NULL)
		abort();
	while (off < size) {
		size_t used;
		enum imap_parse_result r;

		avail = chunk == 0 ? size : (avail + chunk < size ? avail + chunk : size);
		for (;;) {
			r = imap_parser_feed(p, data + off, avail - off, &used);
			if (used > avail - off)
				__builtin_trap();
			off += used;
			if (r == IMAP_PARSE_NEED_MORE)
				break;
			/* chunks are hashed by content only: their number depends on the split */
			if (r != IMAP_PARSE_LITERAL_DATA)
				fuzz_hash(&h, &r, sizeof(r));
			if (r == IMAP_PARSE_COMPLETE) {
				const struct imap_command *c = imap_parser_command(p);

				fuzz_hash(&h, c->tag, strlen(c->tag));
				fuzz_hash(&h, c->name, strlen(c->name));
				fuzz_hash_args(&h, c->args, c->count);
				if (use_consumers)
					fuzz_consumers(p, c);
				imap_parser_reset(p);
			} else if (r == IMAP_PARSE_ERROR) {
				enum imap_parse_error k;
				const char *tag = imap_parser_tag(p);

				imap_parser_error(p, &k);
				fuzz_hash(&h, &k, sizeof(k));
				if (tag != NULL)
					fuzz_hash(&h, tag, strlen(tag));
				if (k == IMAP_PARSE_ERR_FATAL) {
					imap_parser_free(&p);
					return h;
				}
				imap_parser_reset(p);
			} else if (r == IMAP_PARSE_LITERAL) {
				const struct imap_literal_info *li = imap_parser_literal(p);
				bool is_second;

				imap_append_literal_is_message(p, &is_second);

				fuzz_hash(&h, &li->size, sizeof(li->size));
				if (policy == 1 && li->size > 16)
					imap_parser_literal_refuse(p);
				else if (policy == 2)
					imap_parser_literal_stream(p);
				else if (imap_parser_literal_accept(p) < 0)
					imap_parser_literal_refuse(p);
			} else if (r == IMAP_PARSE_LITERAL_DATA) {
				const unsigned char *d;
				size_t n;

				imap_parser_chunk(p, &d, &n);
				if (n == 0 || d < data || d + n > data + off)
					__builtin_trap();
				fuzz_hash(&h, d, n); /* byte-wise FNV: same for any split */
			}
		}
		if (avail == size)
			break;
	}
	imap_parser_free(&p);
	return h;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int policy = (int)(size % 3);
	uint64_t whole = fuzz_run(data, size, 0, policy, true);

	if (fuzz_run(data, size, size % 7 + 1, policy, false) != whole)
		__builtin_trap();
	return 0;
}
