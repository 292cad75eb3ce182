/*
 * mail_dkim_sig.c - DKIM tag lists: DKIM-Signature fields and key records,
 * b= stripping, and which header fields a signature covers.
 * PURE: libc and core/ only.
 *
 * RFC 6376 3.2 tag-list grammar: tag-spec = [FWS] name [FWS] "=" [FWS]
 * value [FWS], separated by ";", an optional ";" at the end, FWS allowed
 * inside values; a duplicated tag invalidates the whole list. Unknown tags
 * are ignored (3.2, 3.5, 3.6.1).
 *
 * No crypto, no DNS, no I/O.
 */
#include "mail/mail_dkim_sig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/mail_codec.h"

struct mail_dkim_tag {
	const char *name;
	size_t name_len;
	const char *value; /* FWS at both ends removed */
	size_t value_len;
	size_t value_off; /* offsets into the list, for b= stripping */
	size_t value_end; /* the ";" or the end of the list */
};

/* DKIM-2: the fields chatrelay signs, in h= order. */
static const char *const mail_dkim_signed_names[] = {
        "from",
        "to",
        "cc",
        "reply-to",
        "subject",
        "date",
        "message-id",
        "in-reply-to",
        "references",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "autocrypt",
        "chat-version",
        "secure-join",
};

/* mail_dkim_is_fws - white space of FWS: SP, HTAB and the CR LF of a fold. */
static bool
mail_dkim_is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
mail_dkim_is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
mail_dkim_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* mail_dkim_tag_next - the tag at *pos; 1 found, 0 end of list, -1 malformed. */
static int
mail_dkim_tag_next(const char *s, size_t len, size_t *pos, struct mail_dkim_tag *t)
{
	size_t i = *pos, v;

	while (i < len && mail_dkim_is_fws(s[i]))
		i++;
	if (i == len)
		return 0;
	if (!mail_dkim_is_alpha(s[i]))
		return -1;
	t->name = s + i;
	while (i < len && (mail_dkim_is_alpha(s[i]) || mail_dkim_is_digit(s[i]) || s[i] == '_'))
		i++;
	t->name_len = (size_t)(s + i - t->name);
	while (i < len && mail_dkim_is_fws(s[i]))
		i++;
	if (i == len || s[i] != '=')
		return -1;
	t->value_off = ++i;
	while (i < len && mail_dkim_is_fws(s[i]))
		i++;
	v = i;
	while (i < len && s[i] != ';')
		i++;
	t->value_end = i;
	t->value = s + v;
	t->value_len = i - v;
	while (t->value_len > 0 && mail_dkim_is_fws(t->value[t->value_len - 1]))
		t->value_len--;
	*pos = i < len ? i + 1 : i;
	return 1;
}

/* mail_dkim_tags_parse - every tag of a list; -1 when malformed, too long or duplicated. */
static int
mail_dkim_tags_parse(const char *s, size_t len, struct mail_dkim_tag *tags, size_t *count_r)
{
	size_t pos = 0, n = 0;
	struct mail_dkim_tag t;
	int rc;

	while ((rc = mail_dkim_tag_next(s, len, &pos, &t)) > 0) {
		if (n == DKIM_TAGS_MAX)
			return -1;
		for (size_t i = 0; i < n; i++)
			if (tags[i].name_len == t.name_len &&
			        memcmp(tags[i].name, t.name, t.name_len) == 0)
				return -1;
		tags[n++] = t;
	}
	*count_r = n;
	return rc;
}

/* mail_dkim_tag_find - the tag with this name, or NULL. */
static const struct mail_dkim_tag *
mail_dkim_tag_find(const struct mail_dkim_tag *tags, size_t n, const char *name)
{
	size_t name_len = strlen(name);

	for (size_t i = 0; i < n; i++)
		if (tags[i].name_len == name_len && memcmp(tags[i].name, name, name_len) == 0)
			return &tags[i];
	return NULL;
}

static bool
mail_dkim_value_is(const struct mail_dkim_tag *t, const char *word)
{
	return t->value_len == strlen(word) && memcmp(t->value, word, t->value_len) == 0;
}

/* mail_dkim_list_has - whether a ":"-separated list (FWS allowed) has word. */
static bool
mail_dkim_list_has(const char *s, size_t len, const char *word)
{
	size_t i = 0, wlen = strlen(word);

	while (i <= len) {
		size_t start, end;

		while (i < len && mail_dkim_is_fws(s[i]))
			i++;
		start = i;
		while (i < len && s[i] != ':')
			i++;
		end = i;
		while (end > start && mail_dkim_is_fws(s[end - 1]))
			end--;
		if (end - start == wlen && strncasecmp(s + start, word, wlen) == 0)
			return true;
		i++;
	}
	return false;
}

/* mail_dkim_copy_domain - copy a domain-ish value (LDH, dots, '_'); -1 if invalid. */
static int
mail_dkim_copy_domain(const char *s, size_t len, char *out)
{
	if (len == 0 || len > DKIM_DOMAIN_MAX)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (!mail_dkim_is_alpha(s[i]) && !mail_dkim_is_digit(s[i]) && s[i] != '-' &&
		        s[i] != '.' && s[i] != '_')
			return -1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/* mail_dkim_parse_uint - 1..digits decimal digits without overflow. */
static int
mail_dkim_parse_uint(const struct mail_dkim_tag *t, size_t digits, uint64_t *v_r)
{
	uint64_t v = 0;

	if (t->value_len == 0 || t->value_len > digits)
		return -1;
	for (size_t i = 0; i < t->value_len; i++) {
		if (!mail_dkim_is_digit(t->value[i]) || v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(t->value[i] - '0');
	}
	*v_r = v;
	return 0;
}

/* mail_dkim_parse_c - c= "header[/body]" (3.5); both default to simple. */
static int
mail_dkim_parse_c(const struct mail_dkim_tag *t, struct mail_dkim_sig *sig)
{
	const char *slash = memchr(t->value, '/', t->value_len);
	size_t hlen = slash != NULL ? (size_t)(slash - t->value) : t->value_len;
	enum mail_dkim_canon *dst[2] = {&sig->header_canon, &sig->body_canon};
	const char *part[2] = {t->value, slash != NULL ? slash + 1 : NULL};
	size_t plen[2] = {hlen, slash != NULL ? t->value_len - hlen - 1 : 0};

	for (int i = 0; i < 2 && part[i] != NULL; i++) {
		if (plen[i] == 6 && memcmp(part[i], "simple", 6) == 0)
			*dst[i] = MAIL_DKIM_CANON_SIMPLE;
		else if (plen[i] == 7 && memcmp(part[i], "relaxed", 7) == 0)
			*dst[i] = MAIL_DKIM_CANON_RELAXED;
		else
			return -1;
	}
	return 0;
}

/* mail_dkim_parse_h - h= names (3.5): ":"-separated, FWS around them, lowercased. */
static int
mail_dkim_parse_h(const struct mail_dkim_tag *t, struct mail_dkim_sig *sig)
{
	size_t i = 0;

	sig->h_count = 0;
	while (i <= t->value_len) {
		size_t start, end;

		while (i < t->value_len && mail_dkim_is_fws(t->value[i]))
			i++;
		start = i;
		while (i < t->value_len && t->value[i] != ':')
			i++;
		end = i;
		while (end > start && mail_dkim_is_fws(t->value[end - 1]))
			end--;
		if (end == start || end - start > DKIM_FIELD_NAME_MAX ||
		        sig->h_count == DKIM_H_NAMES_MAX)
			return -1;
		for (size_t k = start; k < end; k++) {
			char c = t->value[k];

			if ((unsigned char)c <= 0x20 || (unsigned char)c >= 0x7f)
				return -1;
			sig->h[sig->h_count][k - start] =
			        (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
		}
		sig->h[sig->h_count++][end - start] = '\0';
		i++;
	}
	return 0;
}

/* mail_dkim_parse_i - i= must be within d= (3.5); keeps its domain for t=s. */
static int
mail_dkim_parse_i(const struct mail_dkim_tag *t, struct mail_dkim_sig *sig)
{
	const char *at = memchr(t->value, '@', t->value_len);
	size_t dlen, slen;
	const char *dom;

	if (at == NULL)
		return -1;
	dom = at + 1;
	dlen = (size_t)(t->value + t->value_len - dom);
	if (mail_dkim_copy_domain(dom, dlen, sig->i_domain) < 0)
		return -1;
	slen = strlen(sig->d);
	if (dlen == slen)
		return strcasecmp(sig->i_domain, sig->d) == 0 ? 0 : -1;
	if (dlen < slen + 1 || dom[dlen - slen - 1] != '.')
		return -1;
	return strcasecmp(sig->i_domain + dlen - slen, sig->d) == 0 ? 0 : -1;
}

/* mail_dkim_parse_a - a= (3.5); unknown values are refused later, not here. */
static void
mail_dkim_parse_a(const struct mail_dkim_tag *t, struct mail_dkim_sig *sig)
{
	if (mail_dkim_value_is(t, "rsa-sha256"))
		sig->alg = MAIL_DKIM_ALG_RSA_SHA256;
	else if (mail_dkim_value_is(t, "ed25519-sha256"))
		sig->alg = MAIL_DKIM_ALG_ED25519_SHA256;
	else if (mail_dkim_value_is(t, "rsa-sha1"))
		sig->alg = MAIL_DKIM_ALG_RSA_SHA1;
	else
		sig->alg = MAIL_DKIM_ALG_UNKNOWN;
}

/* mail_dkim_sig_times - t=, x=, l= (3.5: t 12 digits, x > t, l 76 digits). */
static int
mail_dkim_sig_times(
        const struct mail_dkim_tag *tags, size_t n, struct mail_dkim_sig *sig, const char **error_r)
{
	const struct mail_dkim_tag *t;
	uint64_t v;

	if ((t = mail_dkim_tag_find(tags, n, "t")) != NULL) {
		if (mail_dkim_parse_uint(t, 12, &v) < 0)
			return *error_r = "invalid t= tag", -1;
		sig->has_t = true;
		sig->t = (int64_t)v;
	}
	if ((t = mail_dkim_tag_find(tags, n, "x")) != NULL) {
		if (mail_dkim_parse_uint(t, 12, &v) < 0)
			return *error_r = "invalid x= tag", -1;
		sig->has_x = true;
		sig->x = (int64_t)v;
	}
	if (sig->has_t && sig->has_x && sig->x <= sig->t)
		return *error_r = "x= is not after t=", -1;
	if ((t = mail_dkim_tag_find(tags, n, "l")) != NULL) {
		/* 76 digits never fit; 19 do, and no body is that long. */
		if (mail_dkim_parse_uint(t, 19, &sig->l) < 0)
			return *error_r = "invalid l= tag", -1;
		sig->has_l = true;
	}
	return 0;
}

int
mail_dkim_sig_parse(const char *value, size_t len, struct mail_dkim_sig *sig, const char **error_r)
{
	struct mail_dkim_tag tags[DKIM_TAGS_MAX];
	const struct mail_dkim_tag *v, *a, *b, *bh, *d, *h, *s, *t;
	size_t n;

	memset(sig, 0, sizeof(*sig));
	if (mail_dkim_tags_parse(value, len, tags, &n) < 0)
		return *error_r = "malformed tag list", -1;
	v = mail_dkim_tag_find(tags, n, "v");
	a = mail_dkim_tag_find(tags, n, "a");
	b = mail_dkim_tag_find(tags, n, "b");
	bh = mail_dkim_tag_find(tags, n, "bh");
	d = mail_dkim_tag_find(tags, n, "d");
	h = mail_dkim_tag_find(tags, n, "h");
	s = mail_dkim_tag_find(tags, n, "s");
	if (v == NULL || a == NULL || b == NULL || bh == NULL || d == NULL || h == NULL ||
	        s == NULL)
		return *error_r = "required tag missing", -1;
	if (!mail_dkim_value_is(v, "1"))
		return *error_r = "unsupported version", -1;
	mail_dkim_parse_a(a, sig);
	if (mail_dkim_copy_domain(d->value, d->value_len, sig->d) < 0 ||
	        mail_dkim_copy_domain(s->value, s->value_len, sig->s) < 0)
		return *error_r = "invalid d= or s= tag", -1;
	if (mail_dkim_parse_h(h, sig) < 0)
		return *error_r = "invalid h= tag", -1;
	if (mail_base64_decode(b->value, b->value_len, MAIL_B64_DKIM, sig->b, sizeof(sig->b),
	            &sig->b_len) < 0 ||
	        sig->b_len == 0)
		return *error_r = "invalid b= tag", -1;
	if (mail_base64_decode(bh->value, bh->value_len, MAIL_B64_DKIM, sig->bh, sizeof(sig->bh),
	            &sig->bh_len) < 0 ||
	        sig->bh_len == 0)
		return *error_r = "invalid bh= tag", -1;
	if ((t = mail_dkim_tag_find(tags, n, "c")) != NULL && mail_dkim_parse_c(t, sig) < 0)
		return *error_r = "invalid c= tag", -1;
	if ((t = mail_dkim_tag_find(tags, n, "i")) != NULL && mail_dkim_parse_i(t, sig) < 0)
		return *error_r = "i= is not within d=", -1;
	if ((t = mail_dkim_tag_find(tags, n, "q")) != NULL &&
	        !mail_dkim_list_has(t->value, t->value_len, "dns/txt"))
		return *error_r = "q= does not offer dns/txt", -1;
	return mail_dkim_sig_times(tags, n, sig, error_r);
}

/* mail_dkim_key_flags - t=, h= and s= of a key record (3.6.1). */
static void
mail_dkim_key_flags(const struct mail_dkim_tag *tags, size_t n, struct mail_dkim_key *key)
{
	const struct mail_dkim_tag *t;

	if ((t = mail_dkim_tag_find(tags, n, "t")) != NULL) {
		key->is_testing = mail_dkim_list_has(t->value, t->value_len, "y");
		key->is_strict = mail_dkim_list_has(t->value, t->value_len, "s");
	}
	t = mail_dkim_tag_find(tags, n, "h");
	key->allows_sha256 = t == NULL || mail_dkim_list_has(t->value, t->value_len, "sha256");
	t = mail_dkim_tag_find(tags, n, "s");
	key->allows_email = t == NULL || mail_dkim_list_has(t->value, t->value_len, "*") ||
	        mail_dkim_list_has(t->value, t->value_len, "email");
}

int
mail_dkim_key_parse(const char *record, size_t len, struct mail_dkim_key *key, const char **error_r)
{
	struct mail_dkim_tag tags[DKIM_TAGS_MAX];
	const struct mail_dkim_tag *t;
	size_t n;

	memset(key, 0, sizeof(*key));
	if (len > DKIM_KEY_RECORD_MAX || mail_dkim_tags_parse(record, len, tags, &n) < 0)
		return *error_r = "malformed key record", -1;
	if ((t = mail_dkim_tag_find(tags, n, "v")) != NULL && !mail_dkim_value_is(t, "DKIM1"))
		return *error_r = "key record version is not DKIM1", -1;
	key->k = MAIL_DKIM_KEY_RSA; /* 3.6.1: k= defaults to rsa */
	if ((t = mail_dkim_tag_find(tags, n, "k")) != NULL) {
		if (mail_dkim_value_is(t, "rsa"))
			key->k = MAIL_DKIM_KEY_RSA;
		else if (mail_dkim_value_is(t, "ed25519"))
			key->k = MAIL_DKIM_KEY_ED25519;
		else
			key->k = MAIL_DKIM_KEY_UNKNOWN;
	}
	if ((t = mail_dkim_tag_find(tags, n, "p")) == NULL)
		return *error_r = "key record without p=", -1;
	if (mail_base64_decode(
	            t->value, t->value_len, MAIL_B64_DKIM, key->p, sizeof(key->p), &key->p_len) < 0)
		return *error_r = "invalid p= in key record", -1;
	key->is_revoked = key->p_len == 0;
	mail_dkim_key_flags(tags, n, key);
	return 0;
}

int
mail_dkim_strip_b(const char *field, size_t len, char **out_r, size_t *out_len_r)
{
	struct mail_dkim_tag t;
	const char *colon = memchr(field, ':', len);
	size_t vstart, vlen, pos = 0, end = len;
	char *out;

	*out_r = NULL;
	if (colon == NULL) {
		errno = EINVAL;
		return -1;
	}
	/* The field's own line end stays; only the b= value is cut out. */
	if (end > 0 && field[end - 1] == '\n')
		end--;
	if (end > 0 && field[end - 1] == '\r')
		end--;
	vstart = (size_t)(colon - field) + 1;
	vlen = end - vstart;
	while (mail_dkim_tag_next(field + vstart, vlen, &pos, &t) > 0) {
		if (t.name_len != 1 || t.name[0] != 'b')
			continue;
		out = malloc(len + 1);
		if (out == NULL)
			return -1;
		memcpy(out, field, vstart + t.value_off);
		memcpy(out + vstart + t.value_off, field + vstart + t.value_end,
		        len - vstart - t.value_end);
		*out_len_r = len - (t.value_end - t.value_off);
		out[*out_len_r] = '\0';
		*out_r = out;
		return 0;
	}
	errno = EINVAL;
	return -1;
}

int
mail_dkim_sign_names(const char *buf, const struct mail_dkim_header *h,
        char names[][DKIM_FIELD_NAME_MAX + 1], size_t max, size_t *count_r)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(mail_dkim_signed_names) / sizeof(*mail_dkim_signed_names);
	        i++) {
		const char *name = mail_dkim_signed_names[i];
		size_t name_len = strlen(name), copies = 1;

		/* DKIM-2: once per occurrence plus once more, so none can be added. */
		for (size_t k = 0; k < h->count; k++)
			if (mail_dkim_field_is(buf, &h->fields[k], name, name_len))
				copies++;
		for (; copies > 0; copies--) {
			if (n == max)
				return -1;
			memcpy(names[n++], name, name_len + 1);
		}
	}
	*count_r = n;
	return 0;
}

void
mail_dkim_select(const char *buf, const struct mail_dkim_header *h,
        const char names[][DKIM_FIELD_NAME_MAX + 1], size_t count, long skip, long *idx_r)
{
	bool is_used[DKIM_FIELDS_MAX] = {false};

	for (size_t i = 0; i < count; i++) {
		size_t name_len = strlen(names[i]);

		idx_r[i] = -1;
		/* 5.4.2: the next instance from the bottom not already used by this name. */
		for (long k = (long)h->count - 1; k >= 0; k--) {
			if (k == skip || is_used[k] ||
			        !mail_dkim_field_is(buf, &h->fields[k], names[i], name_len))
				continue;
			is_used[k] = true;
			idx_r[i] = k;
			break;
		}
	}
}

/* mail_dkim_append - append n octets to a growing buffer. */
static int
mail_dkim_append(char **buf, size_t *len, size_t *cap, const char *data, size_t n)
{
	if (*buf == NULL || *len + n + 1 > *cap) {
		size_t ncap = (*len + n + 1) * 2;
		char *p = realloc(*buf, ncap);

		if (p == NULL)
			return -1;
		*buf = p;
		*cap = ncap;
	}
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

int
mail_dkim_header_input(const char *buf, const struct mail_dkim_header *h, const long *idx,
        size_t count, enum mail_dkim_canon canon, const char *sig_field, size_t sig_len,
        char **out_r, size_t *out_len_r)
{
	char *out = NULL, *c = NULL;
	size_t len = 0, cap = 0, clen;

	for (size_t i = 0; i < count; i++) {
		const struct mail_dkim_field *f;

		if (idx[i] < 0)
			continue; /* 5.4.2: a name with no instance left signs the null string */
		f = &h->fields[idx[i]];
		if (mail_dkim_canon_header(canon, buf + f->off, f->len, &c, &clen) < 0 ||
		        mail_dkim_append(&out, &len, &cap, c, clen) < 0)
			goto fail;
		free(c);
		c = NULL;
	}
	if (mail_dkim_canon_header(canon, sig_field, sig_len, &c, &clen) < 0 ||
	        mail_dkim_append(&out, &len, &cap, c, clen - 2) < 0) /* 3.7: no final CRLF */
		goto fail;
	free(c);
	*out_r = out;
	*out_len_r = len;
	return 0;
fail:
	free(c);
	free(out);
	*out_r = NULL;
	return -1;
}
