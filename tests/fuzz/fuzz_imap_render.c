/* fuzz-sources: src/imap/imap_fetch_render.c src/imap/imap_envelope.c src/imap/imap_bodystructure.c src/imap/imap_buf.c src/imap/imap_quote.c src/imap/imap_parse.c src/imap/imap_parse_literal.c src/imap/imap_parse_arg.c src/imap/imap_arena.c src/imap/imap_fetch_parse.c src/imap/imap_search_eval.c src/imap/imap_search_parse.c src/imap/imap_seqset.c src/imap/imap_store_parse.c src/imap/imap_utf7.c src/mail/mail_*.c src/core/core_str.c */
/*
 * fuzz_imap_render.c - libFuzzer target for FETCH rendering on hostile
 * messages: ENVELOPE, BODYSTRUCTURE, BODY, part sections (MIME, HEADER,
 * TEXT of nested message/rfc822 parts), header field selections and
 * partials (IMAP-36..38), plus SEARCH header/body evaluation. The input is
 * the message; the requests are fixed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imap/imap_buf.h"
#include "imap/imap_fetch_parse.h"
#include "imap/imap_fetch_render.h"
#include "imap/imap_parse.h"
#include "imap/imap_search_eval.h"
#include "imap/imap_search_parse.h"

static const char *const fuzz_requests[] = {
	"t FETCH 1 (UID FLAGS ENVELOPE BODYSTRUCTURE BODY)\r\n",
	"t FETCH 1 (BODY.PEEK[1.2.MIME] BODY[2.HEADER] BODY[3.TEXT]<1.7> BODY[1.1.1])\r\n",
	"t FETCH 1 (BODY.PEEK[HEADER.FIELDS (FROM TO)] BODY[HEADER.FIELDS.NOT (X)] RFC822.TEXT)\r\n",
	"t FETCH 1 (BODY[]<3.5> RFC822 RFC822.HEADER BODY[TEXT] BODY[4.2.HEADER.FIELDS (A)])\r\n",
};

static const char *const fuzz_searches[] = {
	"t SEARCH OR FROM a SUBJECT b\r\n",
	"t SEARCH HEADER X-Y \"\" BODY z SENTSINCE 1-Jan-2000 TEXT q\r\n",
};

static const struct imap_command *
fuzz_parse(struct imap_parser *p, const char *line)
{
	size_t used;

	imap_parser_reset(p);
	if (imap_parser_feed(p, line, strlen(line), &used) != IMAP_PARSE_COMPLETE)
		abort();
	return imap_parser_command(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_parser *p = imap_parser_new();
	char *msg = malloc(size + 1);

	if (p == NULL || msg == NULL)
		abort();
	memcpy(msg, data, size);
	msg[size] = '\0';
	for (size_t i = 0; i < sizeof(fuzz_requests) / sizeof(fuzz_requests[0]); i++) {
		const struct imap_command *cmd = fuzz_parse(p, fuzz_requests[i]);
		struct imap_fetch_request *req = NULL;
		struct imap_fetch_msg m = { .seq = 1, .uid = 1, .size = size };
		struct imap_fetch_ctx fc = { 0 };
		struct imap_buf b;
		const char *err;

		if (imap_fetch_parse(imap_parser_arena(p), cmd->args + 1, cmd->count - 1, &req, &err) <
		        0)
			abort();
		fc.req = req;
		imap_buf_init(&b);
		imap_fetch_render(&b, &fc, &m, msg, size);
		imap_buf_reset(&b);
	}
	for (size_t i = 0; i < sizeof(fuzz_searches) / sizeof(fuzz_searches[0]); i++) {
		const struct imap_command *cmd = fuzz_parse(p, fuzz_searches[i]);
		struct imap_search_program *prog = NULL;
		struct imap_search_env env = { .max_seq = 1, .max_uid = 1 };
		struct imap_search_msg m = { .seq = 1, .uid = 1, .data = msg, .len = size };
		bool is_bad;
		const char *err;

		if (imap_search_parse(imap_parser_arena(p), cmd->args, cmd->count, &prog, &is_bad,
		            &err) < 0)
			abort();
		(void)imap_search_match(&prog->root, &env, &m);
	}
	imap_parser_free(&p);
	free(msg);
	return 0;
}
