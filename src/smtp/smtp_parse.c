/*
 * smtp_parse.c - SMTP command line parser. PURE: libc and core/ only.
 *
 * Responsible for the syntax of one command line: verb, MAIL/RCPT paths
 * (RFC 5321 4.1.2, RFC 6531 3.3), ESMTP parameters (SMTP-6), AUTH
 * arguments (RFC 4954). SASL payloads are auth/auth_sasl.c's (RFC 4616,
 * AUTH-1), shared with IMAP. Does not know the
 * session state, accounts or policy: the session decides sequencing
 * (SMTP-7) and who may send where (SUB-*, MX-*).
 */
#include "smtp/smtp_parse.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	enum smtp_verb verb;
} smtp_verbs[] = {
        {"HELO", SMTP_VERB_HELO},
        {"EHLO", SMTP_VERB_EHLO},
        {"MAIL", SMTP_VERB_MAIL},
        {"RCPT", SMTP_VERB_RCPT},
        {"DATA", SMTP_VERB_DATA},
        {"RSET", SMTP_VERB_RSET},
        {"NOOP", SMTP_VERB_NOOP},
        {"QUIT", SMTP_VERB_QUIT},
        {"VRFY", SMTP_VERB_VRFY},
        {"EXPN", SMTP_VERB_EXPN},
        {"HELP", SMTP_VERB_HELP},
        {"STARTTLS", SMTP_VERB_STARTTLS},
        {"AUTH", SMTP_VERB_AUTH},
        {"BDAT", SMTP_VERB_BDAT},
};

const char *
smtp_verb_name(enum smtp_verb verb)
{
	for (size_t i = 0; i < sizeof(smtp_verbs) / sizeof(smtp_verbs[0]); i++)
		if (smtp_verbs[i].verb == verb)
			return smtp_verbs[i].name;
	return "UNKNOWN";
}

void
smtp_parse_command(const char *line, size_t len, struct smtp_cmd *cmd_r)
{
	size_t vlen = 0, i;

	while (vlen < len && line[vlen] != ' ')
		vlen++;
	cmd_r->verb = SMTP_VERB_UNKNOWN;
	for (i = 0; i < sizeof(smtp_verbs) / sizeof(smtp_verbs[0]); i++) {
		if (strlen(smtp_verbs[i].name) == vlen &&
		        strncasecmp(line, smtp_verbs[i].name, vlen) == 0) {
			cmd_r->verb = smtp_verbs[i].verb;
			break;
		}
	}
	i = vlen;
	while (i < len && line[i] == ' ')
		i++;
	cmd_r->arg = line + i;
	cmd_r->arg_len = len - i;
	while (cmd_r->arg_len > 0 &&
	        (cmd_r->arg[cmd_r->arg_len - 1] == ' ' || cmd_r->arg[cmd_r->arg_len - 1] == '\t' ||
	                cmd_r->arg[cmd_r->arg_len - 1] == '\r'))
		cmd_r->arg_len--;
}

int
smtp_parse_line_len(const struct smtp_cmd *cmd, size_t len, const char **reply_r)
{
	size_t max = cmd->verb == SMTP_VERB_AUTH ? SMTP_AUTH_LINE_MAX : SMTP_LINE_MAX;

	/* the limits include CRLF (RFC 5321 4.5.3.1.4) */
	if (len + 2 > max) {
		*reply_r = SMTP_REPLY_LINE_TOO_LONG;
		return -1;
	}
	return 0;
}

int
smtp_parse_helo(const struct smtp_cmd *cmd, const char **reply_r)
{
	if (cmd->arg_len == 0) {
		*reply_r = SMTP_REPLY_HELO_SYNTAX;
		return -1;
	}
	return 0;
}

int
smtp_parse_noarg(const struct smtp_cmd *cmd, const char **reply_r)
{
	if (cmd->arg_len != 0) {
		*reply_r = SMTP_REPLY_SYNTAX;
		return -1;
	}
	return 0;
}

/* smtp_is_alnum8 - ASCII letter/digit, or a UTF-8 octet (RFC 6531 3.3). */
static bool
smtp_is_alnum8(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	        c >= 0x80;
}

/* smtp_is_atext - RFC 5322 atext, extended by UTF-8 octets (RFC 6531). */
static bool
smtp_is_atext(unsigned char c)
{
	return smtp_is_alnum8(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* smtp_path_literal - "[IPv4]" or "[IPv6:...]" at s[*i] == '[' (RFC 5321 4.1.3). */
static int
smtp_path_literal(const char *s, size_t n, size_t *i)
{
	const char *close = memchr(s + *i, ']', n - *i);
	char buf[INET6_ADDRSTRLEN + 8];
	unsigned char addr[16];
	size_t len;

	if (close == NULL)
		return -1;
	len = (size_t)(close - (s + *i)) - 1;
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s + *i + 1, len);
	buf[len] = '\0';
	*i += len + 2;
	if (strncasecmp(buf, "IPv6:", 5) == 0)
		return inet_pton(AF_INET6, buf + 5, addr) == 1 ? 0 : -1;
	return inet_pton(AF_INET, buf, addr) == 1 ? 0 : -1;
}

/* smtp_path_domain - LDH labels (U-labels allowed) or an address literal. */
static int
smtp_path_domain(const char *s, size_t n, size_t *i)
{
	if (*i < n && s[*i] == '[')
		return smtp_path_literal(s, n, i);
	for (;;) {
		size_t start = *i;

		while (*i < n && (smtp_is_alnum8((unsigned char)s[*i]) || s[*i] == '-'))
			(*i)++;
		/* RFC 5321 4.1.2 Let-dig: no hyphen at either end; RFC 1035 63 octets */
		if (*i == start || *i - start > 63 || s[start] == '-' || s[*i - 1] == '-')
			return -1;
		if (*i < n && s[*i] == '.' && *i + 1 < n &&
		        (smtp_is_alnum8((unsigned char)s[*i + 1])))
			(*i)++;
		else
			return 0;
	}
}

/* smtp_path_local - dot-string or quoted-string (RFC 5321 4.1.2). */
static int
smtp_path_local(const char *s, size_t n, size_t *i)
{
	if (*i < n && s[*i] == '"') {
		for ((*i)++; *i < n && s[*i] != '"'; (*i)++) {
			unsigned char c = (unsigned char)s[*i];

			if (c == '\\') {
				/* quoted-pairSMTP: %d92 %d32-126 */
				if (*i + 1 >= n || (unsigned char)s[*i + 1] < 32 ||
				        (unsigned char)s[*i + 1] == 127)
					return -1;
				(*i)++;
			} else if (c < 32 || c == 127) {
				return -1;
			}
		}
		if (*i >= n)
			return -1;
		(*i)++;
		return 0;
	}
	for (;;) {
		size_t start = *i;

		while (*i < n && smtp_is_atext((unsigned char)s[*i]))
			(*i)++;
		if (*i == start)
			return -1;
		if (*i < n && s[*i] == '.')
			(*i)++;
		else
			return 0;
	}
}

/* smtp_path_route - skip an obsolete source route "@a,@b:" (RFC 5321 4.1.2, C). */
static int
smtp_path_route(const char *s, size_t n, size_t *i)
{
	for (;;) {
		if (*i >= n || s[*i] != '@')
			return -1;
		(*i)++;
		if (smtp_path_domain(s, n, i) < 0)
			return -1;
		if (*i < n && s[*i] == ',') {
			(*i)++;
			continue;
		}
		if (*i < n && s[*i] == ':') {
			(*i)++;
			return 0;
		}
		return -1;
	}
}

/* smtp_path_mailbox - Local-part "@" domain, copied into p. */
static int
smtp_path_mailbox(const char *s, size_t n, size_t *i, struct smtp_path *p)
{
	size_t start = *i;

	if (smtp_path_local(s, n, i) < 0 || *i >= n || s[*i] != '@')
		return -1;
	(*i)++;
	if (smtp_path_domain(s, n, i) < 0)
		return -1;
	p->len = *i - start;
	if (p->len > SMTP_PATH_MAX)
		return -1;
	memcpy(p->addr, s + start, p->len);
	p->addr[p->len] = '\0';
	p->is_ascii = true;
	for (size_t k = 0; k < p->len; k++)
		if ((unsigned char)p->addr[k] >= 0x80)
			p->is_ascii = false;
	return 0;
}

/*
 * smtp_path_parse - "<path>", "<>" or a bare path at s[*i]; afterwards *i
 * is at the end or at the space before the parameters.
 */
static int
smtp_path_parse(const char *s, size_t n, size_t *i, struct smtp_path *p)
{
	memset(p, 0, sizeof(*p));
	if (*i < n && s[*i] == '<') {
		(*i)++;
		if (*i < n && s[*i] == '>') {
			(*i)++;
			p->is_null = true;
			p->is_ascii = true;
		} else {
			if (*i < n && s[*i] == '@' && smtp_path_route(s, n, i) < 0)
				return -1;
			if (smtp_path_mailbox(s, n, i, p) < 0 || *i >= n || s[*i] != '>')
				return -1;
			(*i)++;
		}
	} else if (smtp_path_mailbox(s, n, i, p) < 0) {
		return -1;
	}
	return *i == n || s[*i] == ' ' ? 0 : -1;
}

/* smtp_path_prefix - "FROM:" / "TO:" (case-insensitive) and spaces after it. */
static int
smtp_path_prefix(const struct smtp_cmd *cmd, const char *prefix, size_t *i)
{
	size_t plen = strlen(prefix);

	if (cmd->arg_len < plen || strncasecmp(cmd->arg, prefix, plen) != 0)
		return -1;
	*i = plen;
	while (*i < cmd->arg_len && cmd->arg[*i] == ' ')
		(*i)++;
	return 0;
}

/* One "keyword[=value]" of the parameter list (RFC 5321 4.1.2 esmtp-param). */
struct smtp_param {
	const char *key;
	size_t key_len;
	const char *value; /* NULL when there is no '=' */
	size_t value_len;
};

/* smtp_param_next - the next parameter at s[*i]; returns 1, 0 at the end, -1 on syntax. */
static int
smtp_param_next(const char *s, size_t n, size_t *i, struct smtp_param *p)
{
	size_t start;

	while (*i < n && s[*i] == ' ')
		(*i)++;
	if (*i == n)
		return 0;
	start = *i;
	while (*i < n && s[*i] != ' ' && s[*i] != '=')
		(*i)++;
	p->key = s + start;
	p->key_len = *i - start;
	p->value = NULL;
	p->value_len = 0;
	if (*i < n && s[*i] == '=') {
		start = ++(*i);
		while (*i < n && s[*i] != ' ')
			(*i)++;
		p->value = s + start;
		p->value_len = *i - start;
	}
	return p->key_len > 0 ? 1 : -1;
}

/* smtp_param_is - case-insensitive keyword compare. */
static bool
smtp_param_is(const struct smtp_param *p, const char *key)
{
	return p->key_len == strlen(key) && strncasecmp(p->key, key, p->key_len) == 0;
}

/* smtp_value_is - case-insensitive value compare. */
static bool
smtp_value_is(const struct smtp_param *p, const char *v)
{
	return p->value != NULL && p->value_len == strlen(v) &&
	        strncasecmp(p->value, v, p->value_len) == 0;
}

/* smtp_mail_size - SIZE=digits (RFC 1870), saturating. */
static int
smtp_mail_size(const struct smtp_param *p, const struct smtp_parse_ctx *ctx, struct smtp_mail *m,
        const char **reply_r)
{
	uint64_t v = 0;

	if (p->value == NULL || p->value_len == 0) {
		*reply_r = SMTP_REPLY_BAD_SIZE;
		return -1;
	}
	for (size_t k = 0; k < p->value_len; k++) {
		unsigned d = (unsigned char)p->value[k] - '0';

		if (d > 9) {
			*reply_r = SMTP_REPLY_BAD_SIZE;
			return -1;
		}
		v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
	}
	m->has_size = true;
	m->size = v;
	if (v > ctx->max_message_size) {
		*reply_r = SMTP_REPLY_TOO_BIG;
		return -1;
	}
	return 0;
}

/* smtp_mail_param - apply one MAIL parameter (SMTP-6). */
static int
smtp_mail_param(const struct smtp_param *p, const struct smtp_parse_ctx *ctx, struct smtp_mail *m,
        const char **reply_r)
{
	*reply_r = SMTP_REPLY_BAD_PARAM;
	if (smtp_param_is(p, "SIZE"))
		return smtp_mail_size(p, ctx, m, reply_r);
	if (smtp_param_is(p, "BODY")) {
		if (smtp_value_is(p, "7BIT"))
			m->body = SMTP_BODY_7BIT;
		else if (smtp_value_is(p, "8BITMIME"))
			m->body = SMTP_BODY_8BITMIME;
		else
			return -1;
		return 0;
	}
	if (smtp_param_is(p, "SMTPUTF8") && p->value == NULL) {
		m->is_smtputf8 = true;
		return 0;
	}
	if (smtp_param_is(p, "AUTH") && ctx->is_submission && p->value_len > 0) {
		m->has_auth = true;
		return 0;
	}
	return -1;
}

int
smtp_parse_mail(const struct smtp_cmd *cmd, const struct smtp_parse_ctx *ctx,
        struct smtp_mail *mail_r, const char **reply_r)
{
	struct smtp_param p;
	size_t i;
	int r;

	memset(mail_r, 0, sizeof(*mail_r));
	if (smtp_path_prefix(cmd, "FROM:", &i) < 0 ||
	        smtp_path_parse(cmd->arg, cmd->arg_len, &i, &mail_r->path) < 0) {
		*reply_r = SMTP_REPLY_BAD_SENDER;
		return -1;
	}
	while ((r = smtp_param_next(cmd->arg, cmd->arg_len, &i, &p)) != 0) {
		/* SMTP-3: after HELO no parameter is accepted at all */
		if (r < 0 || !ctx->is_ehlo) {
			*reply_r = SMTP_REPLY_BAD_PARAM;
			return -1;
		}
		if (smtp_mail_param(&p, ctx, mail_r, reply_r) < 0)
			return -1;
	}
	if (!mail_r->path.is_ascii && !mail_r->is_smtputf8) {
		*reply_r = SMTP_REPLY_NEED_UTF8;
		return -1;
	}
	return 0;
}

int
smtp_parse_rcpt(const struct smtp_cmd *cmd, bool is_smtputf8, struct smtp_path *path_r,
        const char **reply_r)
{
	struct smtp_param p;
	size_t i;

	if (smtp_path_prefix(cmd, "TO:", &i) < 0 ||
	        smtp_path_parse(cmd->arg, cmd->arg_len, &i, path_r) < 0 || path_r->is_null) {
		*reply_r = SMTP_REPLY_BAD_RCPT;
		return -1;
	}
	if (smtp_param_next(cmd->arg, cmd->arg_len, &i, &p) != 0) {
		*reply_r = SMTP_REPLY_BAD_PARAM;
		return -1;
	}
	if (!path_r->is_ascii && !is_smtputf8) {
		*reply_r = SMTP_REPLY_NEED_UTF8;
		return -1;
	}
	return 0;
}

int
smtp_parse_auth(const struct smtp_cmd *cmd, struct smtp_auth_arg *auth_r, const char **reply_r)
{
	const char *s = cmd->arg;
	size_t n = cmd->arg_len, mlen = 0, i;

	memset(auth_r, 0, sizeof(*auth_r));
	while (mlen < n && s[mlen] != ' ')
		mlen++;
	if (mlen == 0) {
		*reply_r = SMTP_REPLY_AUTH_SYNTAX;
		return -1;
	}
	if (mlen == 5 && strncasecmp(s, "PLAIN", 5) == 0) {
		auth_r->mech = SMTP_AUTH_PLAIN;
	} else if (mlen == 5 && strncasecmp(s, "LOGIN", 5) == 0) {
		auth_r->mech = SMTP_AUTH_LOGIN;
	} else {
		*reply_r = SMTP_REPLY_AUTH_MECH;
		return -1;
	}
	i = mlen;
	while (i < n && s[i] == ' ')
		i++;
	if (i == n)
		return 0;
	if (memchr(s + i, ' ', n - i) != NULL) {
		*reply_r = SMTP_REPLY_AUTH_SYNTAX;
		return -1;
	}
	auth_r->has_initial = true;
	auth_r->initial = s + i;
	auth_r->initial_len = n - i;
	/* RFC 4954 4: "=" is an empty initial response */
	if (auth_r->initial_len == 1 && s[i] == '=')
		auth_r->initial_len = 0;
	return 0;
}
