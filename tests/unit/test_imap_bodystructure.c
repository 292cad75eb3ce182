/*
 * test_imap_bodystructure.c - ENVELOPE and BODYSTRUCTURE rendering against
 * golden files (IMAP-37): tests/data/imap/<name>.eml (LF, turned into
 * CRLF) against <name>.ref holding the ENVELOPE, BODYSTRUCTURE and BODY
 * lines. UPDATE_GOLDEN=1 rewrites the .ref files (review the diff). Also
 * FETCH section rendering (IMAP-36, IMAP-38).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "imap/imap_arena.h"
#include "imap/imap_bodystructure.h"
#include "imap/imap_envelope.h"
#include "imap/imap_fetch_render.h"
#include "imap_test_util.h"
#include "mail/mail_header.h"
#include "mail/mail_mime.h"
#include "mail_fixture.h"

/* imap_bs_test_render - the three golden lines for one message. */
static void
imap_bs_test_render(struct imap_buf *b, const char *msg, size_t len)
{
	struct mail_part *root = NULL;
	const char *err;
	size_t body_off, hlen = mail_header_end(msg, len, &body_off);

	assert_int_equal(mail_mime_parse(msg, len, &root, &err), 0);
	imap_buf_str(b, "ENVELOPE ");
	imap_envelope_render(b, msg, hlen);
	imap_buf_str(b, "\nBODYSTRUCTURE ");
	imap_bodystructure_render(b, msg, len, root, true);
	imap_buf_str(b, "\nBODY ");
	imap_bodystructure_render(b, msg, len, root, false);
	imap_buf_str(b, "\n");
	mail_part_free(&root);
}

static void
test_golden(void **state)
{
	static const char *const names[] = { "single", "noheaders", "nested", "forwarded",
		"malformed" };

	(void)state;
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		char path[256], *m, *ref;
		size_t len, rlen;
		struct imap_buf b;

		imap_buf_init(&b);
		snprintf(path, sizeof(path), "../imap/%s.eml", names[k]);
		m = fixture_crlf(fixture_read(path, &len));
		imap_bs_test_render(&b, m, strlen(m));
		assert_false(b.is_oom);
		snprintf(path, sizeof(path), "../imap/%s.ref", names[k]);
		if (getenv("UPDATE_GOLDEN") != NULL) {
			char full[512];
			FILE *f;

			snprintf(full, sizeof(full), "%s/%s", fixture_dir(), path);
			f = fopen(full, "wb");
			assert_non_null(f);
			fwrite(b.data, 1, b.len, f);
			fclose(f);
		}
		ref = fixture_read(path, &rlen);
		if (rlen != b.len || memcmp(ref, b.data, b.len) != 0)
			fail_msg("%s differs from its golden output:\n%s", names[k], b.data);
		free(ref);
		free(m);
		imap_buf_reset(&b);
	}
}

/* fetch_one - render `FETCH 1 <items>` of msg into a string (caller frees). */
static char *
fetch_one(const char *items, const char *msg)
{
	struct imap_parser *p = imap_parser_new();
	struct imap_fetch_request *req = NULL;
	struct imap_fetch_ctx fc = { 0 };
	struct imap_fetch_msg m = { .seq = 1, .uid = 7, .flags = 8, .size = strlen(msg) };
	const struct imap_command *cmd;
	struct imap_buf b;
	const char *err;
	char line[512];

	snprintf(line, sizeof(line), "t FETCH 1 %s\r\n", items);
	cmd = imap_test_parse(p, line, strlen(line));
	assert_non_null(cmd);
	assert_int_equal(imap_fetch_parse(imap_parser_arena(p), cmd->args + 1, cmd->count - 1, &req,
	                         &err),
	        0);
	fc.req = req;
	fc.is_uid = true;
	imap_buf_init(&b);
	imap_fetch_render(&b, &fc, &m, msg, strlen(msg));
	imap_parser_free(&p);
	return b.data;
}

static void
test_fetch_sections(void **state)
{
	const char *msg = "From: a@b\r\nX-A: 1\r\nTo: c@d\r\n\r\nbody\r\n";
	char *s;

	(void)state;
	s = fetch_one("(UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (to from)])", msg);
	assert_string_equal(s, "* 1 FETCH (UID 7 RFC822.SIZE 36 BODY[HEADER.FIELDS (to from)] "
	                       "{22}\r\nFrom: a@b\r\nTo: c@d\r\n\r\n)\r\n");
	free(s);
	s = fetch_one("(BODY.PEEK[HEADER.FIELDS.NOT (X-A)] FLAGS)", msg);
	assert_string_equal(s, "* 1 FETCH (UID 7 BODY[HEADER.FIELDS.NOT (X-A)] {22}\r\nFrom: "
	                       "a@b\r\nTo: c@d\r\n\r\n FLAGS (\\Seen))\r\n");
	free(s);
	s = fetch_one("(BODY[TEXT]<2.10> BODY[1] BODY[2] BODY[]<100.5>)", msg);
	assert_string_equal(s, "* 1 FETCH (UID 7 BODY[TEXT]<2> {4}\r\ndy\r\n BODY[1] {6}\r\n"
	                       "body\r\n BODY[2] {0}\r\n BODY[]<100> {0}\r\n)\r\n");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_fetch_sections),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
