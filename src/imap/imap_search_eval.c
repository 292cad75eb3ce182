/*
 * imap_search_eval.c - SEARCH key evaluation (RFC 3501 6.4.4, SPEC IMAP-46).
 * PURE. String keys are ASCII case-insensitive substring matches on the
 * unfolded header values. BODY and TEXT match the raw octets, and else the
 * body of every base64 or quoted-printable part decoded (RFC 3501 6.4.4:
 * the search is on the content, not its transfer encoding); charsets are
 * not converted (US-ASCII and UTF-8 match as they are).
 */
#include "imap/imap_search_eval.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap/imap_quote.h"
#include "mail/mail_codec.h"
#include "mail/mail_header.h"
#include "mail/mail_mime.h"

#define IMAP_SEARCH_FLAG_ANSWERED 0x01u
#define IMAP_SEARCH_FLAG_FLAGGED 0x02u
#define IMAP_SEARCH_FLAG_DELETED 0x04u
#define IMAP_SEARCH_FLAG_SEEN 0x08u
#define IMAP_SEARCH_FLAG_DRAFT 0x10u

bool
imap_search_needs_data(const struct imap_search_key *k)
{
	switch (k->op) {
	case IMAP_SEARCH_FROM: case IMAP_SEARCH_TO: case IMAP_SEARCH_CC: case IMAP_SEARCH_BCC:
	case IMAP_SEARCH_SUBJECT: case IMAP_SEARCH_HEADER: case IMAP_SEARCH_BODY:
	case IMAP_SEARCH_TEXT: case IMAP_SEARCH_SENTBEFORE: case IMAP_SEARCH_SENTON:
	case IMAP_SEARCH_SENTSINCE:
		return true;
	default:
		break;
	}
	for (size_t i = 0; i < k->child_count; i++)
		if (imap_search_needs_data(&k->children[i]))
			return true;
	return false;
}

bool
imap_search_check(const struct imap_search_key *k, uint32_t max_seq)
{
	if (k->op == IMAP_SEARCH_SEQSET) {
		struct imap_seqset out;
		const char *err;
		bool is_ok;

		imap_seqset_init(&out);
		is_ok = imap_seqset_resolve(&k->set, max_seq, false, &out, &err) == 0;
		imap_seqset_reset(&out);
		return is_ok;
	}
	for (size_t i = 0; i < k->child_count; i++)
		if (!imap_search_check(&k->children[i], max_seq))
			return false;
	return true;
}

/* imap_search_in_set - n in a parsed set with `*` = max (ranges in either order). */
static bool
imap_search_in_set(const struct imap_seqset *set, uint32_t n, uint32_t max)
{
	for (size_t i = 0; i < set->count; i++) {
		uint32_t lo = set->ranges[i].lo == IMAP_SEQ_STAR ? max : set->ranges[i].lo;
		uint32_t hi = set->ranges[i].hi == IMAP_SEQ_STAR ? max : set->ranges[i].hi;

		if (lo > hi) {
			uint32_t t = lo;

			lo = hi;
			hi = t;
		}
		if (n >= lo && n <= hi)
			return true;
	}
	return false;
}

/* imap_search_contains - ASCII case-insensitive substring (empty needle matches). */
static bool
imap_search_contains(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	if (nlen == 0)
		return true;
	for (size_t i = 0; i + nlen <= hlen; i++)
		if (tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[0]) &&
		        strncasecmp(hay + i, needle, nlen) == 0)
			return true;
	return false;
}

/* imap_search_decoded - a base64 or quoted-printable leaf body decoded contains str. */
static bool
imap_search_decoded(const char *data, const struct mail_part *p, const char *str, size_t len)
{
	const char *in = data + p->body_off;
	unsigned char *out;
	size_t n = 0;
	bool is_hit = false;

	if (p->encoding == NULL || p->body_len == 0)
		return false;
	if (strcmp(p->encoding, "base64") != 0 && strcmp(p->encoding, "quoted-printable") != 0)
		return false;
	out = malloc(p->body_len);
	if (out == NULL)
		return false;
	if (p->encoding[0] == 'q')
		n = mail_qp_decode(in, p->body_len, out);
	else if (mail_base64_decode(in, p->body_len, MAIL_B64_MIME, out, p->body_len, &n) < 0)
		n = 0; /* broken base64: only the raw octets were searchable */
	is_hit = imap_search_contains((const char *)out, n, str, len);
	free(out);
	return is_hit;
}

/* imap_search_parts - some encoded leaf of the tree under p matches, decoded. */
static bool
imap_search_parts(const char *data, const struct mail_part *p, const char *str, size_t len)
{
	for (; p != NULL; p = p->next) {
		if (p->children != NULL && imap_search_parts(data, p->children, str, len))
			return true;
		if (p->message != NULL && imap_search_parts(data, p->message, str, len))
			return true;
		if (p->children == NULL && p->message == NULL &&
		        imap_search_decoded(data, p, str, len))
			return true;
	}
	return false;
}

/* imap_search_body - BODY (from the body on) or TEXT (the whole message) contains str. */
static bool
imap_search_body(const struct imap_search_msg *m, bool is_text, const char *str, size_t len)
{
	struct mail_part *root = NULL;
	const char *error;
	size_t body_off = m->len;
	bool is_hit;

	if (m->data == NULL)
		return false;
	(void)mail_header_end(m->data, m->len, &body_off);
	if (is_text ? imap_search_contains(m->data, m->len, str, len)
	            : imap_search_contains(m->data + body_off, m->len - body_off, str, len))
		return true;
	if (mail_mime_parse(m->data, m->len, &root, &error) < 0)
		return false;
	is_hit = imap_search_parts(m->data, root, str, len);
	mail_part_free(&root);
	return is_hit;
}

/* imap_search_header - some field called name contains str (unfolded value). */
static bool
imap_search_header(const struct imap_search_msg *m, const char *name, const char *str,
        size_t len)
{
	struct mail_field f;
	size_t body_off, hlen, pos = 0;

	if (m->data == NULL)
		return false;
	hlen = mail_header_end(m->data, m->len, &body_off);
	while (mail_header_next(m->data, hlen, &pos, &f)) {
		char *v;
		bool is_hit;

		if (f.name_len == 0 || !mail_field_is(&f, name))
			continue;
		v = mail_header_unfold(f.value, f.value_len);
		is_hit = v != NULL && imap_search_contains(v, strlen(v), str, len);
		free(v);
		if (is_hit)
			return true;
	}
	return false;
}

/* imap_search_sent_date - the Date header's day as 00:00 UTC, or -1. */
static time_t
imap_search_sent_date(const struct imap_search_msg *m)
{
	struct mail_field f;
	size_t body_off, hlen;
	char *v, *p, buf[32];
	int day, year;
	char mon[4];
	time_t t = -1;

	if (m->data == NULL)
		return -1;
	hlen = mail_header_end(m->data, m->len, &body_off);
	if (!mail_header_find(m->data, hlen, "Date", &f) ||
	        (v = mail_header_unfold(f.value, f.value_len)) == NULL)
		return -1;
	p = strchr(v, ',');
	p = p != NULL ? p + 1 : v;
	if (sscanf(p, "%d %3s %d", &day, mon, &year) == 3) {
		snprintf(buf, sizeof(buf), "%d-%s-%d", day, mon, year);
		if (imap_date_parse(buf, strlen(buf), &t) < 0)
			t = -1;
	}
	free(v);
	return t;
}

static bool
imap_search_keyword(const struct imap_search_key *k, const struct imap_search_env *env,
        const struct imap_search_msg *m)
{
	for (size_t i = 0; i < env->keyword_count && i < 64; i++)
		if (env->keywords[i] != NULL && strcasecmp(env->keywords[i], k->str) == 0)
			return (m->keywords & (1ULL << i)) != 0;
	return false;
}

static bool
imap_search_date(const struct imap_search_key *k, time_t t)
{
	time_t day = t - ((t % 86400) + 86400) % 86400;

	if (t < 0)
		return false;
	switch (k->op) {
	case IMAP_SEARCH_BEFORE: case IMAP_SEARCH_SENTBEFORE:
		return day < k->date;
	case IMAP_SEARCH_ON: case IMAP_SEARCH_SENTON:
		return day == k->date;
	default:
		return day >= k->date;
	}
}

bool
imap_search_match(const struct imap_search_key *k, const struct imap_search_env *env,
        const struct imap_search_msg *m)
{
	uint32_t f = m->flags;

	switch (k->op) {
	case IMAP_SEARCH_AND:
		for (size_t i = 0; i < k->child_count; i++)
			if (!imap_search_match(&k->children[i], env, m))
				return false;
		return true;
	case IMAP_SEARCH_OR:
		return k->child_count == 2 && (imap_search_match(&k->children[0], env, m) ||
		                                      imap_search_match(&k->children[1], env, m));
	case IMAP_SEARCH_NOT:
		return k->child_count == 1 && !imap_search_match(&k->children[0], env, m);
	case IMAP_SEARCH_ALL: return true;
	case IMAP_SEARCH_SEQSET: return imap_search_in_set(&k->set, m->seq, env->max_seq);
	case IMAP_SEARCH_UID: return imap_search_in_set(&k->set, m->uid, env->max_uid);
	case IMAP_SEARCH_ANSWERED: return (f & IMAP_SEARCH_FLAG_ANSWERED) != 0;
	case IMAP_SEARCH_DELETED: return (f & IMAP_SEARCH_FLAG_DELETED) != 0;
	case IMAP_SEARCH_DRAFT: return (f & IMAP_SEARCH_FLAG_DRAFT) != 0;
	case IMAP_SEARCH_FLAGGED: return (f & IMAP_SEARCH_FLAG_FLAGGED) != 0;
	case IMAP_SEARCH_SEEN: return (f & IMAP_SEARCH_FLAG_SEEN) != 0;
	case IMAP_SEARCH_RECENT: return m->is_recent;
	case IMAP_SEARCH_NEW: return m->is_recent && !(f & IMAP_SEARCH_FLAG_SEEN);
	case IMAP_SEARCH_OLD: return !m->is_recent;
	case IMAP_SEARCH_UNANSWERED: return !(f & IMAP_SEARCH_FLAG_ANSWERED);
	case IMAP_SEARCH_UNDELETED: return !(f & IMAP_SEARCH_FLAG_DELETED);
	case IMAP_SEARCH_UNDRAFT: return !(f & IMAP_SEARCH_FLAG_DRAFT);
	case IMAP_SEARCH_UNFLAGGED: return !(f & IMAP_SEARCH_FLAG_FLAGGED);
	case IMAP_SEARCH_UNSEEN: return !(f & IMAP_SEARCH_FLAG_SEEN);
	case IMAP_SEARCH_KEYWORD: return imap_search_keyword(k, env, m);
	case IMAP_SEARCH_UNKEYWORD: return !imap_search_keyword(k, env, m);
	case IMAP_SEARCH_FROM: return imap_search_header(m, "From", k->str, k->len);
	case IMAP_SEARCH_TO: return imap_search_header(m, "To", k->str, k->len);
	case IMAP_SEARCH_CC: return imap_search_header(m, "Cc", k->str, k->len);
	case IMAP_SEARCH_BCC: return imap_search_header(m, "Bcc", k->str, k->len);
	case IMAP_SEARCH_SUBJECT: return imap_search_header(m, "Subject", k->str, k->len);
	case IMAP_SEARCH_HEADER: return imap_search_header(m, k->field, k->str, k->len);
	case IMAP_SEARCH_BODY: return imap_search_body(m, false, k->str, k->len);
	case IMAP_SEARCH_TEXT: return imap_search_body(m, true, k->str, k->len);
	case IMAP_SEARCH_BEFORE: case IMAP_SEARCH_ON: case IMAP_SEARCH_SINCE:
		return imap_search_date(k, (time_t)m->internaldate);
	case IMAP_SEARCH_SENTBEFORE: case IMAP_SEARCH_SENTON: case IMAP_SEARCH_SENTSINCE:
		return imap_search_date(k, imap_search_sent_date(m));
	case IMAP_SEARCH_LARGER: return m->size > k->number;
	case IMAP_SEARCH_SMALLER: return m->size < k->number;
	case IMAP_SEARCH_MODSEQ: return m->modseq >= k->number;
	}
	return false;
}
