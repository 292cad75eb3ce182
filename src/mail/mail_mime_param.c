/*
 * mail_mime_param.c - Content-Type and Content-Disposition field values.
 * PURE: libc only.
 *
 * RFC 2045 5.1 (type "/" subtype *(";" parameter)), RFC 2183 (disposition),
 * RFC 2231 (parameter continuations name*0, name*1*, charset'lang'%XX).
 * Comments (RFC 5322 CFWS) are skipped. Does not read whole messages:
 * mail_mime.c calls it with one unfolded field value.
 */
#include "mail/mail_mime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_limits.h"
#include "mail/mail_header.h"

/* A parameter as written, before RFC 2231 joining. */
struct mail_raw_param {
	char *name;       /* owned, lowercase, without the '*' parts */
	char *value;      /* owned */
	int section;      /* -1 when there is no *N */
	bool is_extended; /* ends in '*': %-encoded, maybe charset'lang' */
};

/* mail_param_skip_cfws - skip white space and (nested) comments. */
static void
mail_param_skip_cfws(const char *s, size_t *i)
{
	for (;;) {
		while (s[*i] == ' ' || s[*i] == '\t' || s[*i] == '\r' || s[*i] == '\n')
			(*i)++;
		if (s[*i] != '(')
			return;
		mail_header_skip_comment(s, i);
	}
}

/* mail_param_is_tspecial - RFC 2045 5.1 tspecials, space and controls. */
static bool
mail_param_is_tspecial(unsigned char c)
{
	return c <= 32 || c == 127 || strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

/* mail_param_token - read a token; returns a lowercase heap copy ("" if none) or NULL. */
static char *
mail_param_token(const char *s, size_t *i, bool lower)
{
	size_t start = *i, n;
	char *t;

	while (s[*i] != '\0' && !mail_param_is_tspecial((unsigned char)s[*i]))
		(*i)++;
	n = *i - start;
	t = malloc(n + 1);
	if (t == NULL)
		return NULL;
	for (size_t k = 0; k < n; k++) {
		char c = s[start + k];

		t[k] = lower && c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
	}
	t[n] = '\0';
	return t;
}

/* mail_param_quoted - read a quoted-string at s[*i] == '"'; heap copy without quotes. */
static char *
mail_param_quoted(const char *s, size_t *i)
{
	size_t n = 0;
	char *t = malloc(strlen(s + *i) + 1);

	if (t == NULL)
		return NULL;
	(*i)++;
	while (s[*i] != '\0' && s[*i] != '"') {
		if (s[*i] == '\\' && s[*i + 1] != '\0')
			(*i)++;
		t[n++] = s[(*i)++];
	}
	if (s[*i] == '"')
		(*i)++;
	t[n] = '\0';
	return t;
}

/* mail_param_value - read a value: quoted-string or a lenient token (up to ';'). */
static char *
mail_param_value(const char *s, size_t *i)
{
	size_t start = *i, n;
	char *t;

	if (s[*i] == '"')
		return mail_param_quoted(s, i);
	/* lenient: many mailers leave '/', '?' or '=' unquoted in values */
	while (s[*i] != '\0' && s[*i] != ';' && s[*i] != ' ' && s[*i] != '\t' && s[*i] != '(')
		(*i)++;
	n = *i - start;
	t = malloc(n + 1);
	if (t == NULL)
		return NULL;
	memcpy(t, s + start, n);
	t[n] = '\0';
	return t;
}

/* mail_param_split_name - split "name*N*" into name, section and extended flag. */
static void
mail_param_split_name(struct mail_raw_param *rp)
{
	char *star = strchr(rp->name, '*');
	char *p;

	rp->section = -1;
	rp->is_extended = false;
	if (star == NULL)
		return;
	*star = '\0';
	p = star + 1;
	if (*p >= '0' && *p <= '9') {
		long sec = 0;

		while (*p >= '0' && *p <= '9' && sec < 10000)
			sec = sec * 10 + (*p++ - '0');
		rp->section = (int)sec;
		if (*p == '*') {
			rp->is_extended = true;
			p++;
		}
	} else if (*p == '\0') {
		rp->is_extended = true;
	}
}

/* mail_param_hex - value of a hex digit or -1. */
static int
mail_param_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * mail_param_pct_append - append v to buf (of size cap, len *n), %-decoding
 * when extended; with skip_charset the charset'lang' prefix is dropped
 * (RFC 2231 4).
 */
static void
mail_param_pct_append(char *buf, size_t *n, const char *v, bool extended, bool skip_charset)
{
	if (extended && skip_charset) {
		const char *q1 = strchr(v, '\'');
		const char *q2 = q1 != NULL ? strchr(q1 + 1, '\'') : NULL;

		if (q2 != NULL)
			v = q2 + 1;
	}
	for (; *v != '\0'; v++) {
		if (extended && v[0] == '%' && mail_param_hex(v[1]) >= 0 &&
		        mail_param_hex(v[2]) >= 0) {
			char c = (char)(mail_param_hex(v[1]) * 16 + mail_param_hex(v[2]));

			buf[(*n)++] = c == '\0' ? ' ' : c;
			v += 2;
		} else {
			buf[(*n)++] = *v;
		}
	}
	buf[*n] = '\0';
}

/* mail_params_add - append (name, value) taking ownership; duplicates are dropped. */
static int
mail_params_add(struct mail_params *ps, char *name, char *value)
{
	struct mail_param *nv;

	if (mail_params_get(ps, name) != NULL || ps->count >= MAIL_PARAMS_MAX) {
		free(name);
		free(value);
		return 0;
	}
	nv = realloc(ps->v, (ps->count + 1) * sizeof(*nv));
	if (nv == NULL) {
		free(name);
		free(value);
		return -1;
	}
	ps->v = nv;
	ps->v[ps->count].name = name;
	ps->v[ps->count].value = value;
	ps->count++;
	return 0;
}

/* mail_params_join - RFC 2231 3: join sections 0..n of raw[k].name. */
static int
mail_params_join(struct mail_raw_param *raw, size_t nraw, size_t k, struct mail_params *ps)
{
	size_t total = 1, n = 0;
	char *buf;
	int sec;

	for (size_t j = 0; j < nraw; j++)
		if (raw[j].name != NULL && strcmp(raw[j].name, raw[k].name) == 0)
			total += strlen(raw[j].value);
	buf = malloc(total);
	if (buf == NULL)
		return -1;
	buf[0] = '\0';
	for (sec = 0; sec <= (int)nraw; sec++) {
		size_t j;

		for (j = 0; j < nraw; j++)
			if (raw[j].name != NULL && raw[j].section == sec &&
			        strcmp(raw[j].name, raw[k].name) == 0)
				break;
		if (j == nraw)
			break;
		mail_param_pct_append(buf, &n, raw[j].value, raw[j].is_extended, sec == 0);
	}
	return mail_params_add(ps, strdup(raw[k].name), buf);
}

/* mail_params_build - turn raw parameters into the final set. */
static int
mail_params_build(struct mail_raw_param *raw, size_t nraw, struct mail_params *ps)
{
	for (size_t k = 0; k < nraw; k++) {
		if (raw[k].section == 0) {
			if (mail_params_join(raw, nraw, k, ps) < 0)
				return -1;
		} else if (raw[k].section < 0 && raw[k].is_extended) {
			char *buf = malloc(strlen(raw[k].value) + 1);
			size_t n = 0;

			if (buf == NULL)
				return -1;
			mail_param_pct_append(buf, &n, raw[k].value, true, true);
			if (mail_params_add(ps, strdup(raw[k].name), buf) < 0)
				return -1;
		}
	}
	/* plain parameters last: RFC 2231 values take precedence over them */
	for (size_t k = 0; k < nraw; k++) {
		if (raw[k].section < 0 && !raw[k].is_extended) {
			if (mail_params_add(ps, raw[k].name, raw[k].value) < 0) {
				raw[k].name = raw[k].value = NULL;
				return -1;
			}
			raw[k].name = raw[k].value = NULL;
		}
	}
	return 0;
}

/*
 * mail_params_parse - parse *(";" attribute "=" value) from s[*i]. Returns
 * 0, 1 on a syntax error (parameters read so far are kept), -1 on ENOMEM.
 */
static int
mail_params_parse(const char *s, size_t *i, struct mail_params *ps)
{
	struct mail_raw_param raw[MAIL_PARAMS_MAX];
	size_t nraw = 0;
	int ret = 0;

	for (;;) {
		mail_param_skip_cfws(s, i);
		if (s[*i] == '\0')
			break;
		if (s[*i] != ';') {
			ret = 1;
			break;
		}
		(*i)++;
		mail_param_skip_cfws(s, i);
		if (s[*i] == '\0')
			break; /* a trailing ';' is common and harmless */
		if (nraw == MAIL_PARAMS_MAX)
			break;
		struct mail_raw_param *rp = &raw[nraw];
		rp->name = mail_param_token(s, i, true);
		if (rp->name == NULL) {
			ret = -1;
			break;
		}
		/* RFC 2231 names contain '*' which is not a tspecial; fine */
		mail_param_skip_cfws(s, i);
		if (rp->name[0] == '\0' || s[*i] != '=') {
			free(rp->name);
			ret = 1;
			break;
		}
		(*i)++;
		mail_param_skip_cfws(s, i);
		rp->value = mail_param_value(s, i);
		if (rp->value == NULL) {
			free(rp->name);
			ret = -1;
			break;
		}
		mail_param_split_name(rp);
		nraw++;
	}
	if (ret >= 0 && mail_params_build(raw, nraw, ps) < 0)
		ret = -1;
	for (size_t k = 0; k < nraw; k++) {
		free(raw[k].name);
		free(raw[k].value);
	}
	return ret;
}

int
mail_content_type_parse(
        const char *value, char **type_r, char **subtype_r, struct mail_params *params)
{
	size_t i = 0;
	char *type, *subtype = NULL;
	int ret;

	*type_r = *subtype_r = NULL;
	mail_param_skip_cfws(value, &i);
	type = mail_param_token(value, &i, true);
	if (type == NULL)
		return -1;
	mail_param_skip_cfws(value, &i);
	if (type[0] != '\0' && value[i] == '/') {
		i++;
		mail_param_skip_cfws(value, &i);
		subtype = mail_param_token(value, &i, true);
		if (subtype == NULL) {
			free(type);
			return -1;
		}
	}
	if (subtype == NULL || subtype[0] == '\0') {
		free(type);
		free(subtype);
		*type_r = strdup("text");
		*subtype_r = strdup("plain");
		return *type_r == NULL || *subtype_r == NULL ? -1 : 1;
	}
	*type_r = type;
	*subtype_r = subtype;
	ret = mail_params_parse(value, &i, params);
	return ret;
}

int
mail_disposition_parse(const char *value, char **type_r, struct mail_params *params)
{
	size_t i = 0;

	mail_param_skip_cfws(value, &i);
	*type_r = mail_param_token(value, &i, true);
	if (*type_r == NULL)
		return -1;
	if ((*type_r)[0] == '\0')
		return 1;
	return mail_params_parse(value, &i, params);
}

const char *
mail_params_get(const struct mail_params *ps, const char *name)
{
	for (size_t k = 0; k < ps->count; k++)
		if (strcmp(ps->v[k].name, name) == 0)
			return ps->v[k].value;
	return NULL;
}

void
mail_params_free(struct mail_params *ps)
{
	for (size_t k = 0; k < ps->count; k++) {
		free(ps->v[k].name);
		free(ps->v[k].value);
	}
	free(ps->v);
	ps->v = NULL;
	ps->count = 0;
}
