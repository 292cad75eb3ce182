/*
 * mail_fixture.h - helpers for the mail/policy unit tests: load a message
 * from tests/data/mail, fill in the templated addresses
 * (tests/data/README: {from_addr}, {to_addr}, {subject}) and convert LF
 * line ends to CRLF as SMTP delivers them.
 */
#ifndef CHATRELAY_TESTS_MAIL_FIXTURE_H
#define CHATRELAY_TESTS_MAIL_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* fixture_dir - tests/data/mail, relative to the repository root (make runs there). */
static inline const char *
fixture_dir(void)
{
	const char *d = getenv("CHATRELAY_TESTDATA");

	return d != NULL ? d : "tests/data/mail";
}

/* fixture_read - the whole file name (in fixture_dir) as a heap string, or abort. */
static inline char *
fixture_read(const char *name, size_t *len_r)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", fixture_dir(), name);
	f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "cannot open fixture %s\n", path);
		abort();
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		abort();
	buf[n] = '\0';
	fclose(f);
	*len_r = (size_t)n;
	return buf;
}

/* fixture_replace - s with every "from" replaced by "to" (new heap string, s freed). */
static inline char *
fixture_replace(char *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0, cap = strlen(s) + 1;
	char *out, *p;

	for (p = strstr(s, from); p != NULL; p = strstr(p + fl, from))
		cap += tl;
	out = malloc(cap);
	if (out == NULL)
		abort();
	for (p = s; *p != '\0';) {
		if (strncmp(p, from, fl) == 0) {
			memcpy(out + n, to, tl);
			n += tl;
			p += fl;
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
	free(s);
	return out;
}

/* fixture_crlf - LF line ends turned into CRLF (existing CRLF kept); frees s. */
static inline char *
fixture_crlf(char *s)
{
	size_t n = 0;
	char *out = malloc(strlen(s) * 2 + 1);

	if (out == NULL)
		abort();
	for (size_t i = 0; s[i] != '\0'; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			out[n++] = '\r';
		out[n++] = s[i];
	}
	out[n] = '\0';
	free(s);
	return out;
}

/* fixture_load - a templated .eml as SMTP would store it (CRLF). */
static inline char *
fixture_load(const char *name, const char *from, const char *to, size_t *len_r)
{
	size_t n;
	char *s = fixture_read(name, &n);

	s = fixture_replace(s, "{from_addr}", from);
	s = fixture_replace(s, "{to_addr}", to);
	s = fixture_replace(s, "{subject}", "[...]");
	s = fixture_crlf(s);
	*len_r = strlen(s);
	return s;
}

#endif
