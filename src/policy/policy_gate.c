/*
 * policy_gate.c - the encryption gate's decision (GATE-1..11). PURE:
 * libc, core/, mail/ and policy/ only.
 *
 * Responsible for reading the MIME structure the way GATE-3 says, for the
 * encrypted shape (GATE-4; armor and packets in policy_gate_pgp.c) and for
 * the exceptions of each direction (GATE-7..10). Does not log, does not
 * read configuration, does not modify the message. Every malformation
 * counts against the message (GATE-3): when in doubt, reject.
 */
#include "policy/policy_gate.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core_limits.h"
#include "mail/mail_address.h"
#include "mail/mail_codec.h"
#include "mail/mail_header.h"
#include "mail/mail_mime.h"
#include "policy/policy_address.h"

/* What GATE-3 calls malformed. */
#define GATE_BAD_FLAGS                                                                             \
	(MAIL_PART_BAD_CONTENT_TYPE | MAIL_PART_DUP_CONTENT_FIELD | MAIL_PART_NO_BOUNDARY |        \
	        MAIL_PART_NO_CLOSE | MAIL_PART_NO_PARTS | MAIL_PART_TRUNCATED)

/* Everything one decision needs, borrowed from gate_check()'s arguments. */
struct gate_msg {
	const char *msg;
	size_t len;
	const char *hdr; /* top-level header section */
	size_t hdr_len;
	struct mail_part *root; /* owned by gate_check() */
	bool is_oom;
};

const char *
gate_verdict_name(enum gate_verdict v)
{
	switch (v) {
	case GATE_REJECT: return "reject";
	case GATE_PASS_ENCRYPTED: return "encrypted";
	case GATE_PASS_SECUREJOIN: return "securejoin";
	case GATE_PASS_SETUP: return "setup-message";
	case GATE_PASS_PASSTHROUGH: return "passthrough";
	case GATE_PASS_BOUNCE: return "bounce";
	}
	return "?";
}

/*
 * gate_decode - GATE-3: the body of part p decoded by its
 * Content-Transfer-Encoding into a heap buffer (NUL-terminated). Returns
 * NULL when the encoding is unknown or broken (or memory ran out: m->is_oom).
 */
static char *
gate_decode(struct gate_msg *m, const struct mail_part *p, size_t *len_r)
{
	const char *body = m->msg + p->body_off;
	const char *e = p->encoding;
	char *out = malloc(p->body_len + 1);
	bool is_ok = true;

	if (out == NULL) {
		m->is_oom = true;
		return NULL;
	}
	if (e == NULL || strcmp(e, "7bit") == 0 || strcmp(e, "8bit") == 0 ||
	        strcmp(e, "binary") == 0) {
		memcpy(out, body, p->body_len);
		*len_r = p->body_len;
	} else if (strcmp(e, "base64") == 0) {
		is_ok = mail_base64_decode(body, p->body_len, MAIL_B64_MIME, (unsigned char *)out,
		                p->body_len, len_r) == 0;
	} else if (strcmp(e, "quoted-printable") == 0) {
		*len_r = mail_qp_decode(body, p->body_len, (unsigned char *)out);
	} else {
		is_ok = false;
	}
	if (!is_ok) {
		free(out);
		return NULL;
	}
	out[*len_r] = '\0';
	return out;
}

/* gate_trimmed_equal - s[0..n) without surrounding white space equals want. */
static bool
gate_trimmed_equal(const char *s, size_t n, const char *want, bool fold_case)
{
	size_t wl = strlen(want);

	while (n > 0 && strchr(" \t\r\n", s[n - 1]) != NULL && s[n - 1] != '\0')
		n--;
	while (n > 0 && strchr(" \t\r\n", s[0]) != NULL && s[0] != '\0') {
		s++;
		n--;
	}
	if (n != wl)
		return false;
	return fold_case ? strncasecmp(s, want, n) == 0 : memcmp(s, want, n) == 0;
}

/* gate_encrypted - GATE-4 (structure) and GATE-5/6 on part 2. */
static bool
gate_encrypted(struct gate_msg *m, enum gate_direction dir, const char **why_r)
{
	const struct mail_part *r = m->root, *p1, *p2;
	char *body;
	size_t n;
	bool is_ok;

	if (!mail_part_is(r, "multipart", "encrypted")) {
		*why_r = "not multipart/encrypted";
		return false;
	}
	p1 = r->children;
	p2 = p1 != NULL ? p1->next : NULL;
	if (r->nchildren != 2 || p1 == NULL || p2 == NULL) {
		*why_r = "multipart/encrypted without exactly two parts";
		return false;
	}
	if (!mail_part_is(p1, "application", "pgp-encrypted") ||
	        !mail_part_is(p2, "application", "octet-stream")) {
		*why_r = "multipart/encrypted part types";
		return false;
	}
	body = gate_decode(m, p1, &n);
	is_ok = body != NULL && gate_trimmed_equal(body, n, "Version: 1", false);
	free(body);
	if (!is_ok) {
		*why_r = "pgp-encrypted part is not Version: 1";
		return false;
	}
	body = gate_decode(m, p2, &n);
	if (body == NULL) {
		*why_r = "octet-stream part undecodable";
		return false;
	}
	is_ok = gate_armor_check(body, n, dir, why_r);
	if (!is_ok && strcmp(*why_r, GATE_WHY_OOM) == 0)
		m->is_oom = true;
	free(body);
	return is_ok;
}

/* gate_header_value - the only field called name, unfolded (caller frees), or NULL. */
static char *
gate_header_value(struct gate_msg *m, const char *name)
{
	struct mail_field f;
	char *v;

	if (mail_header_count(m->hdr, m->hdr_len, name) != 1 ||
	        !mail_header_find(m->hdr, m->hdr_len, name, &f))
		return NULL;
	v = mail_header_unfold(f.value, f.value_len);
	if (v == NULL)
		m->is_oom = true;
	return v;
}

/* gate_securejoin - GATE-7, both directions. */
static bool
gate_securejoin(struct gate_msg *m)
{
	const struct mail_part *c = m->root->children;
	char *v = gate_header_value(m, "Secure-Join"), *body;
	size_t n;
	bool is_ok;

	is_ok = v != NULL && (strcmp(v, "vc-request") == 0 || strcmp(v, "vg-request") == 0);
	free(v);
	if (!is_ok || strcmp(m->root->type, "multipart") != 0 || m->root->nchildren != 1 ||
	        c == NULL || !mail_part_is(c, "text", "plain"))
		return false;
	body = gate_decode(m, c, &n);
	if (body == NULL)
		return false;
	/* compare lowercased (GATE-7): fold case on the whole text */
	is_ok = gate_trimmed_equal(body, n, "secure-join: vc-request", true) ||
	        gate_trimmed_equal(body, n, "secure-join: vg-request", true);
	free(body);
	return is_ok;
}

/* gate_from - the From address (exactly one field, one mailbox), ACC-1 form. */
static bool
gate_from(struct gate_msg *m, char *out, size_t outsize)
{
	char *v = gate_header_value(m, "From");
	char raw[SMTP_PATH_MAX * 2];
	bool is_ok;

	is_ok = v != NULL && mail_addr_single_mailbox(v, raw, sizeof(raw)) &&
	        policy_address_normalise(raw, strlen(raw), out, outsize) == 0;
	free(v);
	return is_ok;
}

/* gate_setup_message - GATE-8, outgoing only. */
static bool
gate_setup_message(struct gate_msg *m, const struct gate_envelope *env)
{
	char from[SMTP_PATH_MAX + 8];
	char *subject;
	bool is_ok;

	if (env->nrcpts != 1 || !mail_part_is(m->root, "multipart", "mixed") ||
	        !gate_from(m, from, sizeof(from)) || !policy_address_equal(env->rcpts[0], from))
		return false;
	subject = gate_header_value(m, "Subject");
	is_ok = subject != NULL && strcmp(subject, "Autocrypt Setup Message") == 0;
	free(subject);
	return is_ok;
}

/* gate_passthrough - GATE-9, outgoing only. */
static bool
gate_passthrough(const struct gate_envelope *env)
{
	size_t k;

	for (k = 0; k < env->npassthrough_senders; k++)
		if (env->sender[0] != '\0' &&
		        policy_address_equal(env->sender, env->passthrough_senders[k]))
			return true;
	if (env->nrcpts == 0 || env->npassthrough_recipients == 0)
		return false;
	for (k = 0; k < env->nrcpts; k++)
		if (!policy_address_list_match(env->rcpts[k], env->passthrough_recipients,
		            env->npassthrough_recipients, 0))
			return false;
	return true;
}

/* gate_bounce - GATE-10, incoming only. */
static bool
gate_bounce(struct gate_msg *m)
{
	char from[SMTP_PATH_MAX + 8];
	char *v;
	bool is_ok;

	if (!mail_part_is(m->root, "multipart", "report") || !gate_from(m, from, sizeof(from)) ||
	        strncmp(from, "mailer-daemon@", 14) != 0)
		return false;
	v = gate_header_value(m, "Auto-Submitted");
	is_ok = v != NULL && v[0] != '\0' && strcasecmp(v, "no") != 0;
	free(v);
	return is_ok;
}

/* gate_decide - the verdict on a parsed, well-formed message. */
static enum gate_verdict
gate_decide(struct gate_msg *m, enum gate_direction dir, const struct gate_envelope *env,
        const char **why_r)
{
	if (gate_encrypted(m, dir, why_r))
		return GATE_PASS_ENCRYPTED;
	if (m->is_oom)
		return GATE_REJECT;
	if (gate_securejoin(m))
		return GATE_PASS_SECUREJOIN;
	if (dir == GATE_OUTGOING && gate_setup_message(m, env))
		return GATE_PASS_SETUP;
	if (dir == GATE_INCOMING && gate_bounce(m))
		return GATE_PASS_BOUNCE;
	return GATE_REJECT;
}

int
gate_check(const char *msg, size_t len, enum gate_direction dir, const struct gate_envelope *env,
        enum gate_verdict *verdict_r, const char **why_r)
{
	struct gate_msg m = {.msg = msg, .len = len};
	size_t body_off;
	const char *error;

	*why_r = NULL;
	*verdict_r = GATE_REJECT;
	/* passthrough needs no parsing (GATE-9) */
	if (dir == GATE_OUTGOING && gate_passthrough(env)) {
		*verdict_r = GATE_PASS_PASSTHROUGH;
		return 0;
	}
	m.hdr = msg;
	m.hdr_len = mail_header_end(msg, len, &body_off);
	if (mail_mime_parse(msg, len, &m.root, &error) < 0) {
		*why_r = GATE_WHY_OOM;
		return -1;
	}
	if ((mail_part_flags_all(m.root) & GATE_BAD_FLAGS) != 0)
		*why_r = "malformed MIME";
	else
		*verdict_r = gate_decide(&m, dir, env, why_r);
	mail_part_free(&m.root);
	if (m.is_oom) {
		*why_r = GATE_WHY_OOM;
		*verdict_r = GATE_REJECT;
		return -1;
	}
	if (*verdict_r != GATE_REJECT)
		*why_r = NULL;
	else if (*why_r == NULL)
		*why_r = "no exception matched";
	return 0;
}
