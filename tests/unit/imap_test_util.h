/*
 * imap_test_util.h - parse one command line for the tests of the argument
 * consumers (FETCH, STORE, SEARCH). Literals are accepted.
 */
#ifndef CHATRELAY_IMAP_TEST_UTIL_H
#define CHATRELAY_IMAP_TEST_UTIL_H

#include <string.h>

#include "imap/imap_parse.h"

/* imap_test_parse - parse line (with CRLF) into p; NULL unless it is complete. */
static inline const struct imap_command *
imap_test_parse(struct imap_parser *p, const char *line, size_t len)
{
	size_t off = 0, used;
	enum imap_parse_result r;

	imap_parser_reset(p);
	for (;;) {
		r = imap_parser_feed(p, line + off, len - off, &used);
		off += used;
		if (r != IMAP_PARSE_LITERAL)
			break;
		if (imap_parser_literal_accept(p) < 0)
			return NULL;
	}
	return r == IMAP_PARSE_COMPLETE ? imap_parser_command(p) : NULL;
}

#endif
