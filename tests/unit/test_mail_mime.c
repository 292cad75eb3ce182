/*
 * test_mail_mime.c - header reading, MIME part tree, parameters (RFC 2231),
 * codecs, and robustness against malformed and deeply nested input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/core_limits.h"
#include "mail/mail_header.h"
#include "mail/mail_mime.h"
#include "mail_fixture.h"

static struct mail_part *
parse(const char *msg)
{
	struct mail_part *root = NULL;
	const char *error = NULL;

	assert_int_equal(mail_mime_parse(msg, strlen(msg), &root, &error), 0);
	assert_non_null(root);
	return root;
}

/* body - the body of p as a heap string. */
static char *
body(const char *msg, const struct mail_part *p)
{
	return strndup(msg + p->body_off, p->body_len);
}

static void
test_header_end(void **state)
{
	size_t off;

	(void)state;
	assert_int_equal(mail_header_end("A: 1\r\nB: 2\r\n\r\nbody", 18, &off), 12);
	assert_int_equal(off, 14);
	assert_int_equal(mail_header_end("A: 1\nB: 2\n\nbody", 15, &off), 10);
	assert_int_equal(off, 11);
	assert_int_equal(mail_header_end("A: 1\r\n", 6, &off), 6);
	assert_int_equal(off, 6);
	assert_int_equal(mail_header_end("\r\nbody", 6, &off), 0);
	assert_int_equal(off, 2);
	assert_int_equal(mail_header_end("", 0, &off), 0);
	assert_int_equal(off, 0);
}

static void
test_header_skip_comment(void **state)
{
	size_t i;

	(void)state;
	i = 1;
	mail_header_skip_comment("x(a (b) \\) c)y", &i);
	assert_int_equal(i, 13);
	i = 0;
	mail_header_skip_comment("(unclosed (deep", &i);
	assert_int_equal(i, 15);
	i = 0;
	mail_header_skip_comment("(ends in a backslash\\", &i);
	assert_int_equal(i, 21);
	i = 0;
	mail_header_skip_comment("()rest", &i);
	assert_int_equal(i, 2);
}

static void
test_header_fields(void **state)
{
	static const char h[] = "Subject: hello\r\n world\r\nfrom : x@y\r\nno colon line\r\n"
	                        "X-Empty:\r\nsubject: second\r\n";
	struct mail_field f;
	size_t pos = 0;
	char *v;

	(void)state;
	assert_true(mail_header_next(h, sizeof(h) - 1, &pos, &f));
	assert_true(mail_field_is(&f, "SUBJECT"));
	assert_int_equal(f.off, 0);
	assert_int_equal(f.len, 24);
	v = mail_header_unfold(f.value, f.value_len);
	assert_string_equal(v, "hello world");
	free(v);
	assert_true(mail_header_next(h, sizeof(h) - 1, &pos, &f));
	assert_true(mail_field_is(&f, "From")); /* obsolete WSP before the colon */
	assert_true(mail_header_next(h, sizeof(h) - 1, &pos, &f));
	assert_int_equal(f.name_len, 0);
	assert_true(mail_header_next(h, sizeof(h) - 1, &pos, &f));
	assert_true(mail_field_is(&f, "x-empty"));
	assert_int_equal(f.value_len, 0);
	assert_true(mail_header_next(h, sizeof(h) - 1, &pos, &f));
	assert_false(mail_header_next(h, sizeof(h) - 1, &pos, &f));
	assert_int_equal(mail_header_count(h, sizeof(h) - 1, "subject"), 2);
	assert_true(mail_header_find(h, sizeof(h) - 1, "Subject", &f));
	assert_false(mail_header_find(h, sizeof(h) - 1, "To", &f));
}

static void
test_mime_simple(void **state)
{
	static const char m[] = "From: a@b\r\nSubject: x\r\n\r\nline1\r\nline2";
	struct mail_part *r;

	(void)state;
	r = parse(m);
	assert_string_equal(r->type, "text");
	assert_string_equal(r->subtype, "plain");
	assert_false(r->has_content_type);
	assert_int_equal(r->hdr_len, 23);
	assert_int_equal(r->body_off, 25);
	assert_int_equal(r->body_len, 12);
	assert_int_equal(r->body_lines, 2);
	assert_int_equal(r->nchildren, 0);
	assert_int_equal(r->flags, 0);
	mail_part_free(&r);
	assert_null(r);
	mail_part_free(&r);
}

static const char multi[] =
        "Content-Type: Multipart/Mixed; boundary=\"b1\"\r\n"
        "\r\n"
        "preamble\r\n"
        "--b1\r\n"
        "Content-Type: text/plain; charset=UTF-8; format=flowed\r\n"
        "Content-Transfer-Encoding: Quoted-Printable\r\n"
        "Content-Language: en, de\r\n"
        "Content-ID: <id1@x>\r\n"
        "Content-Description: the\r\n text\r\n"
        "\r\n"
        "hello\r\n"
        "--b1  \r\n"
        "Content-Type: multipart/alternative; boundary=b2\r\n"
        "\r\n"
        "--b2\r\n"
        "\r\n"
        "no header\r\n"
        "--b2\r\n"
        "Content-Type: text/html\r\n"
        "\r\n"
        "<p>x</p>\r\n"
        "--b2--\r\n"
        "--b1\r\n"
        "Content-Type: message/rfc822\r\n"
        "Content-Disposition: attachment; filename=\"m.eml\"; size=12\r\n"
        "Content-Location: http://x/\r\n  y\r\n"
        "\r\n"
        "Subject: inner\r\n"
        "Content-Type: application/pdf; name*0*=utf-8''%E2%82%AC; name*1=\".pdf\"\r\n"
        "\r\n"
        "PDF\r\n"
        "--b1--  \r\n"
        "epilogue\r\n";

static void
test_mime_multipart(void **state)
{
	struct mail_part *r, *p1, *p2, *p3, *a1, *a2, *inner;
	char *b;

	(void)state;
	r = parse(multi);
	assert_true(mail_part_is(r, "multipart", "mixed"));
	assert_string_equal(r->boundary, "b1");
	assert_int_equal(r->nchildren, 3);
	assert_int_equal(mail_part_flags_all(r), 0);
	p1 = r->children;
	p2 = p1->next;
	p3 = p2->next;
	assert_null(p3->next);
	assert_true(mail_part_is(p1, "text", "plain"));
	assert_string_equal(mail_params_get(&p1->params, "charset"), "UTF-8");
	assert_string_equal(mail_params_get(&p1->params, "format"), "flowed");
	assert_string_equal(p1->encoding, "quoted-printable");
	assert_string_equal(p1->language, "en, de");
	assert_string_equal(p1->id, "<id1@x>");
	assert_string_equal(p1->description, "the text");
	b = body(multi, p1);
	assert_string_equal(b, "hello"); /* the CRLF before the delimiter is not body */
	free(b);
	assert_int_equal(p1->body_lines, 1);
	assert_int_equal(p1->depth, 1);
	/* nested multipart */
	assert_true(mail_part_is(p2, "multipart", "alternative"));
	assert_int_equal(p2->nchildren, 2);
	a1 = p2->children;
	a2 = a1->next;
	assert_int_equal(a1->hdr_len, 0);
	assert_true(mail_part_is(a1, "text", "plain"));
	b = body(multi, a1);
	assert_string_equal(b, "no header");
	free(b);
	assert_true(mail_part_is(a2, "text", "html"));
	assert_int_equal(a2->depth, 2);
	/* message/rfc822 with its own structure */
	assert_true(mail_part_is(p3, "message", "rfc822"));
	assert_string_equal(p3->disposition, "attachment");
	assert_string_equal(mail_params_get(&p3->disp_params, "filename"), "m.eml");
	assert_string_equal(mail_params_get(&p3->disp_params, "size"), "12");
	assert_string_equal(p3->location, "http://x/y");
	inner = p3->message;
	assert_non_null(inner);
	assert_true(mail_part_is(inner, "application", "pdf"));
	assert_string_equal(mail_params_get(&inner->params, "name"), "\xe2\x82\xac.pdf");
	b = body(multi, inner);
	assert_string_equal(b, "PDF");
	free(b);
	mail_part_free(&r);
}

static void
test_mime_fixtures(void **state)
{
	static const char *const names[] = {"encrypted.eml", "plain.eml", "securejoin-vc.eml",
	        "asm.eml", "mailer-daemon.eml", "mdn.eml"};

	(void)state;
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		size_t len;
		char *m = fixture_load(names[k], "a@x.org", "b@y.org", &len);
		struct mail_part *r = parse(m);

		assert_int_equal(mail_part_flags_all(r), 0);
		if (k == 0) {
			assert_true(mail_part_is(r, "multipart", "encrypted"));
			assert_int_equal(r->nchildren, 2);
			assert_string_equal(mail_params_get(&r->params, "protocol"),
			        "application/pgp-encrypted");
			assert_string_equal(
			        r->children->next->description, "OpenPGP encrypted message");
		}
		if (k == 4) {
			assert_true(mail_part_is(r, "multipart", "report"));
			assert_int_equal(r->nchildren, 3);
			assert_non_null(r->children->next->next->message);
		}
		mail_part_free(&r);
		free(m);
	}
}

static void
test_mime_malformed(void **state)
{
	struct mail_part *r;

	(void)state;
	r = parse("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n");
	assert_true(r->flags & MAIL_PART_NO_CLOSE);
	assert_int_equal(r->nchildren, 1);
	mail_part_free(&r);
	r = parse("Content-Type: multipart/mixed; boundary=b\r\n\r\nno delimiters\r\n");
	assert_true(r->flags & MAIL_PART_NO_PARTS);
	assert_int_equal(r->nchildren, 0);
	mail_part_free(&r);
	r = parse("Content-Type: multipart/mixed\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n");
	assert_true(r->flags & MAIL_PART_NO_BOUNDARY);
	mail_part_free(&r);
	r = parse("Content-Type: text\r\n\r\nx");
	assert_true(r->flags & MAIL_PART_BAD_CONTENT_TYPE);
	assert_true(mail_part_is(r, "text", "plain"));
	mail_part_free(&r);
	r = parse("Content-Type: text/plain\r\nContent-type: text/html\r\n\r\nx");
	assert_true(r->flags & MAIL_PART_DUP_CONTENT_FIELD);
	mail_part_free(&r);
	/* delimiter look-alikes are not delimiters */
	r = parse("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n--bx\r\n--b "
	          "--\r\n--b--\r\n");
	assert_int_equal(r->nchildren, 1);
	assert_int_equal(r->flags, 0);
	mail_part_free(&r);
	/* digest children default to message/rfc822 (RFC 2046 5.1.5) */
	r = parse("Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: "
	          "x\r\n\r\ny\r\n--d--\r\n");
	assert_true(mail_part_is(r->children, "message", "rfc822"));
	assert_non_null(r->children->message);
	mail_part_free(&r);
	/* parameter oddities: comments, trailing ';', uppercase names, bad syntax */
	r = parse("Content-Type: (c) text/plain (c); CHARSET = \"us-ascii\" (c);\r\n\r\n");
	assert_string_equal(mail_params_get(&r->params, "charset"), "us-ascii");
	assert_int_equal(r->flags, 0);
	mail_part_free(&r);
	r = parse("Content-Type: text/plain; charset\r\n\r\n");
	assert_true(r->flags & MAIL_PART_BAD_CONTENT_TYPE);
	mail_part_free(&r);
}

static void
test_mime_depth_bomb(void **state)
{
	size_t depth = 200, n = 0, cap = depth * 120 + 64;
	char *m = malloc(cap);
	struct mail_part *r, *p;
	unsigned levels = 0;

	(void)state;
	assert_non_null(m);
	for (size_t i = 0; i < depth; i++)
		n += (size_t)snprintf(m + n, cap - n,
		        "Content-Type: multipart/mixed; boundary=\"b%zu\"\r\n\r\n--b%zu\r\n", i, i);
	n += (size_t)snprintf(m + n, cap - n, "\r\nleaf\r\n");
	r = parse(m);
	for (p = r; p->children != NULL; p = p->children)
		levels++;
	assert_true(levels < MAIL_MIME_DEPTH_MAX);
	assert_true(mail_part_flags_all(r) & MAIL_PART_TRUNCATED);
	mail_part_free(&r);
	free(m);
}

static void
test_mime_many_parts(void **state)
{
	size_t cnt = MAIL_MIME_PARTS_MAX + 50, n = 0, cap = cnt * 8 + 128;
	char *m = malloc(cap);
	struct mail_part *r;

	(void)state;
	assert_non_null(m);
	n += (size_t)snprintf(m + n, cap - n, "Content-Type: multipart/mixed; boundary=b\r\n\r\n");
	for (size_t i = 0; i < cnt; i++)
		n += (size_t)snprintf(m + n, cap - n, "--b\r\n\r\n");
	snprintf(m + n, cap - n, "--b--\r\n");
	r = parse(m);
	assert_true(r->nchildren < MAIL_MIME_PARTS_MAX);
	assert_true(r->flags & MAIL_PART_TRUNCATED);
	mail_part_free(&r);
	free(m);
}

/* every prefix of a complex message parses without error or overread (ASan) */
static void
test_mime_every_prefix(void **state)
{
	size_t len = strlen(multi);

	(void)state;
	for (size_t n = 0; n <= len; n++) {
		char *m = malloc(n + 1);
		struct mail_part *r = NULL;
		const char *error;

		assert_non_null(m);
		memcpy(m, multi, n);
		assert_int_equal(mail_mime_parse(m, n, &r, &error), 0);
		assert_true(r->body_off + r->body_len <= n);
		mail_part_free(&r);
		free(m);
	}
}

/* dump_params - append " name=value" pairs. */
static size_t
dump_params(char *out, size_t cap, size_t n, const char *label, const struct mail_params *ps)
{
	if (ps->count == 0)
		return n;
	n += (size_t)snprintf(out + n, cap - n, " %s{", label);
	for (size_t k = 0; k < ps->count; k++)
		n += (size_t)snprintf(out + n, cap - n, "%s%s=\"%s\"", k ? " " : "", ps->v[k].name,
		        ps->v[k].value);
	return n + (size_t)snprintf(out + n, cap - n, "}");
}

/* dump_part - one line per part, children indented (golden .ref format). */
static size_t
dump_part(char *out, size_t cap, size_t n, const struct mail_part *p)
{
	n += (size_t)snprintf(
	        out + n, cap - n, "%*s%s/%s", (int)p->depth * 2, "", p->type, p->subtype);
	n = dump_params(out, cap, n, "params", &p->params);
	n += (size_t)snprintf(out + n, cap - n, " hdr=%zu+%zu body=%zu+%zu lines=%zu", p->off,
	        p->hdr_len, p->body_off, p->body_len, p->body_lines);
	if (p->encoding != NULL)
		n += (size_t)snprintf(out + n, cap - n, " enc=%s", p->encoding);
	if (p->disposition != NULL)
		n += (size_t)snprintf(out + n, cap - n, " disp=%s", p->disposition);
	n = dump_params(out, cap, n, "dparams", &p->disp_params);
	if (p->language != NULL)
		n += (size_t)snprintf(out + n, cap - n, " lang=\"%s\"", p->language);
	if (p->location != NULL)
		n += (size_t)snprintf(out + n, cap - n, " loc=\"%s\"", p->location);
	if (p->id != NULL)
		n += (size_t)snprintf(out + n, cap - n, " id=\"%s\"", p->id);
	if (p->description != NULL)
		n += (size_t)snprintf(out + n, cap - n, " desc=\"%s\"", p->description);
	if (p->md5 != NULL)
		n += (size_t)snprintf(out + n, cap - n, " md5=\"%s\"", p->md5);
	if (p->flags != 0)
		n += (size_t)snprintf(out + n, cap - n, " flags=0x%x", p->flags);
	n += (size_t)snprintf(out + n, cap - n, "\n");
	for (const struct mail_part *c = p->children; c != NULL; c = c->next)
		n = dump_part(out, cap, n, c);
	if (p->message != NULL)
		n = dump_part(out, cap, n, p->message);
	return n;
}

/*
 * Golden pairs: tests/data/mime/<name>.eml (LF, turned into CRLF) against
 * <name>.ref. UPDATE_GOLDEN=1 rewrites the .ref files (review the diff).
 */
static void
test_mime_golden(void **state)
{
	static const char *const names[] = {"nested", "malformed"};

	(void)state;
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		char path[256], *m, *ref, *out = malloc(65536);
		size_t len, rlen, n;
		struct mail_part *r;
		FILE *f;

		assert_non_null(out);
		snprintf(path, sizeof(path), "../mime/%s.eml", names[k]);
		m = fixture_crlf(fixture_read(path, &len));
		r = parse(m);
		n = dump_part(out, 65536, 0, r);
		snprintf(path, sizeof(path), "../mime/%s.ref", names[k]);
		if (getenv("UPDATE_GOLDEN") != NULL) {
			char full[512];

			snprintf(full, sizeof(full), "%s/%s", fixture_dir(), path);
			f = fopen(full, "wb");
			assert_non_null(f);
			fwrite(out, 1, n, f);
			fclose(f);
		}
		ref = fixture_read(path, &rlen);
		if (rlen != n || memcmp(ref, out, n) != 0)
			fail_msg("%s differs from its golden output:\n%.*s", names[k], (int)n, out);
		free(ref);
		free(out);
		free(m);
		mail_part_free(&r);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_header_end),
	        cmocka_unit_test(test_header_fields),
	        cmocka_unit_test(test_header_skip_comment),
	        cmocka_unit_test(test_mime_simple),
	        cmocka_unit_test(test_mime_multipart),
	        cmocka_unit_test(test_mime_fixtures),
	        cmocka_unit_test(test_mime_malformed),
	        cmocka_unit_test(test_mime_depth_bomb),
	        cmocka_unit_test(test_mime_many_parts),
	        cmocka_unit_test(test_mime_every_prefix),
	        cmocka_unit_test(test_mime_golden),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
