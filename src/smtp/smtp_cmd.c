/*
 * smtp_cmd.c - the SMTP command table (SMTP-3..7, SMTP-11, SUB-2, SUB-3,
 * MX-1).
 *
 * Every row pairs a check (state, sequence and argument errors, answered
 * with the exact SPEC reply; no side effects besides filling the parsed
 * arguments) with a proceed (the state change and reply). The envelope
 * policy of MAIL/RCPT lives in smtp_rcpt.c, DATA in smtp_txn.c.
 */
#include <string.h>

#include "core/core_conf.h"
#include "net/net_server.h"
#include "smtp/smtp_int.h"

/* Parsed arguments handed from check to proceed. */
struct smtp_args {
	struct smtp_cmd cmd;
	struct smtp_mail mail;
	struct smtp_path path;
};

/* check: NULL when the command may proceed, else the exact reply line. */
typedef const char *smtp_check_fn(
        const struct conn *c, const struct smtp_session *s, struct smtp_args *a);
/* proceed: false when reading must stop (closing, waiting for a job). */
typedef bool smtp_proceed_fn(struct conn *c, struct smtp_session *s, struct smtp_args *a);

struct smtp_cmd_row {
	enum smtp_verb verb;
	smtp_check_fn *check;
	smtp_proceed_fn *proceed;
};

#define SMTP_REPLY_OK "250 2.0.0 OK"
#define SMTP_REPLY_NEED_HELO "503 5.5.1 Send HELO/EHLO first"
#define SMTP_REPLY_NESTED "503 5.5.1 Nested MAIL command"
#define SMTP_REPLY_NEED_MAIL "503 5.5.1 Need MAIL command"
#define SMTP_REPLY_NO_RCPTS "554 5.5.1 No valid recipients"
#define SMTP_REPLY_NOT_IMPL "502 5.5.1 Command not implemented"
#define SMTP_REPLY_AUTH_REQUIRED "530 5.7.0 Authentication required"
#define SMTP_REPLY_TOO_MANY_RCPTS "452 4.5.3 Too many recipients"

static bool
smtp_has_tx(const struct smtp_session *s)
{
	return s->tx != NULL;
}

/* ---- checks ------------------------------------------------------------------------ */

static const char *
smtp_check_helo(const struct conn *c, const struct smtp_session *s, struct smtp_args *a)
{
	const char *reply = NULL;

	(void)c;
	(void)s;
	return smtp_parse_helo(&a->cmd, &reply) < 0 ? reply : NULL;
}

static const char *
smtp_check_noarg(const struct conn *c, const struct smtp_session *s, struct smtp_args *a)
{
	const char *reply = NULL;

	(void)c;
	(void)s;
	return smtp_parse_noarg(&a->cmd, &reply) < 0 ? reply : NULL;
}

static const char *
smtp_check_none(const struct conn *c, const struct smtp_session *s, struct smtp_args *a)
{
	(void)c;
	(void)s;
	(void)a;
	return NULL;
}

static const char *
smtp_check_mail(const struct conn *c, const struct smtp_session *s, struct smtp_args *a)
{
	struct smtp_parse_ctx ctx = {
	        .is_ehlo = s->is_ehlo,
	        .is_submission = smtp_is_submission(c),
	        .max_message_size = c->srv->conf->max_message_size,
	};
	const char *reply = NULL;

	if (s->state == SMTP_STATE_GREETED)
		return SMTP_REPLY_NEED_HELO;
	if (smtp_has_tx(s))
		return SMTP_REPLY_NESTED;
	if (smtp_is_submission(c) && !s->auth.is_authenticated)
		return SMTP_REPLY_AUTH_REQUIRED;
	return smtp_parse_mail(&a->cmd, &ctx, &a->mail, &reply) < 0 ? reply : NULL;
}

static const char *
smtp_check_rcpt(const struct conn *c, const struct smtp_session *s, struct smtp_args *a)
{
	const char *reply = NULL;

	if (!smtp_has_tx(s))
		return SMTP_REPLY_NEED_MAIL;
	if (smtp_parse_rcpt(&a->cmd, s->tx->is_smtputf8, &a->path, &reply) < 0)
		return reply;
	if (c->srv->conf->max_recipients > 0 &&
	        s->tx->nrcpts >= (size_t)c->srv->conf->max_recipients)
		return SMTP_REPLY_TOO_MANY_RCPTS;
	return NULL;
}

static const char *
smtp_check_data(const struct conn *c, const struct smtp_session *s, struct smtp_args *a)
{
	if (!smtp_has_tx(s))
		return SMTP_REPLY_NEED_MAIL;
	if (s->tx->nrcpts == 0)
		return SMTP_REPLY_NO_RCPTS;
	return smtp_check_noarg(c, s, a);
}

static const char *
smtp_check_starttls(const struct conn *c, const struct smtp_session *s, struct smtp_args *a)
{
	const char *reply = smtp_check_noarg(c, s, a);

	if (reply != NULL)
		return reply;
	/* submissions never offers STARTTLS: 502 there, 503 after a STARTTLS (SMTP-4) */
	if (!c->lst->offers_starttls || c->srv->tls == NULL)
		return SMTP_REPLY_NOT_IMPL;
	if (c->is_tls)
		return "503 5.5.1 TLS already active";
	return NULL;
}

static const char *
smtp_check_auth(const struct conn *c, const struct smtp_session *s, struct smtp_args *a)
{
	(void)s;
	(void)a;
	return smtp_is_submission(c) ? NULL : SMTP_REPLY_NOT_IMPL; /* MX-1 */
}

static const char *
smtp_check_unknown(const struct conn *c, const struct smtp_session *s, struct smtp_args *a)
{
	(void)c;
	(void)s;
	(void)a;
	return SMTP_REPLY_UNKNOWN; /* SMTP-11: BDAT too */
}

static const char *
smtp_check_expn(const struct conn *c, const struct smtp_session *s, struct smtp_args *a)
{
	(void)c;
	(void)s;
	(void)a;
	return SMTP_REPLY_NOT_IMPL;
}

/* ---- proceeds ---------------------------------------------------------------------- */

static bool
smtp_do_ehlo(struct conn *c, struct smtp_session *s, struct smtp_args *a)
{
	const struct conf *conf = c->srv->conf;

	(void)a;
	conn_printf(c, "250-%s\r\n250-PIPELINING\r\n250-SIZE %llu\r\n", conf->hostname,
	        (unsigned long long)conf->max_message_size);
	if (c->lst->offers_starttls && !c->is_tls)
		conn_printf(c, "250-STARTTLS\r\n");
	if (smtp_is_submission(c) && conn_is_auth_allowed(c))
		conn_printf(c, "250-AUTH PLAIN LOGIN\r\n");
	conn_printf(c, "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n");
	smtp_tx_free(&s->tx);
	s->state = SMTP_STATE_READY;
	s->is_ehlo = true;
	return true;
}

static bool
smtp_do_helo(struct conn *c, struct smtp_session *s, struct smtp_args *a)
{
	(void)a;
	conn_printf(c, "250 %s\r\n", c->srv->conf->hostname);
	smtp_tx_free(&s->tx);
	s->state = SMTP_STATE_READY;
	s->is_ehlo = false;
	return true;
}

static bool
smtp_do_mail(struct conn *c, struct smtp_session *s, struct smtp_args *a)
{
	return smtp_rcpt_mail(c, s, &a->mail);
}

static bool
smtp_do_rcpt(struct conn *c, struct smtp_session *s, struct smtp_args *a)
{
	return smtp_rcpt_rcpt(c, s, &a->path);
}

static bool
smtp_do_data(struct conn *c, struct smtp_session *s, struct smtp_args *a)
{
	(void)a;
	return smtp_txn_begin(c, s);
}

static bool
smtp_do_rset(struct conn *c, struct smtp_session *s, struct smtp_args *a)
{
	(void)a;
	smtp_session_reset_tx(s);
	smtp_reply(c, SMTP_REPLY_OK);
	return true;
}

static bool
smtp_do_noop(struct conn *c, struct smtp_session *s, struct smtp_args *a)
{
	(void)s;
	(void)a;
	smtp_reply(c, SMTP_REPLY_OK);
	return true;
}

static bool
smtp_do_quit(struct conn *c, struct smtp_session *s, struct smtp_args *a)
{
	(void)a;
	smtp_reply(c, "221 2.0.0 Bye");
	s->state = SMTP_STATE_CLOSING;
	conn_close(c);
	return false;
}

static bool
smtp_do_vrfy(struct conn *c, struct smtp_session *s, struct smtp_args *a)
{
	(void)s;
	(void)a;
	smtp_reply(c, "252 2.0.0 Cannot verify addresses, send a message to test delivery");
	return true;
}

static bool
smtp_do_help(struct conn *c, struct smtp_session *s, struct smtp_args *a)
{
	(void)s;
	(void)a;
	smtp_reply(c, "214 2.0.0 See RFC 5321");
	return true;
}

/* smtp_do_starttls - SMTP-4: afterwards as after the greeting (NET-5). */
static bool
smtp_do_starttls(struct conn *c, struct smtp_session *s, struct smtp_args *a)
{
	(void)a;
	smtp_reply(c, "220 2.0.0 Ready to start TLS");
	smtp_tx_free(&s->tx);
	s->state = SMTP_STATE_GREETED;
	s->is_ehlo = false;
	smtp_auth_reset(c, &s->auth);
	if (conn_starttls(c) < 0) {
		s->state = SMTP_STATE_CLOSING;
		conn_close(c);
	}
	return false;
}

static bool
smtp_do_auth(struct conn *c, struct smtp_session *s, struct smtp_args *a)
{
	return smtp_auth_command(
	        c, &s->auth, a->cmd.arg, s->state != SMTP_STATE_GREETED, smtp_has_tx(s));
}

static const struct smtp_cmd_row smtp_cmd_table[] = {
        {SMTP_VERB_EHLO, smtp_check_helo, smtp_do_ehlo},
        {SMTP_VERB_HELO, smtp_check_helo, smtp_do_helo},
        {SMTP_VERB_MAIL, smtp_check_mail, smtp_do_mail},
        {SMTP_VERB_RCPT, smtp_check_rcpt, smtp_do_rcpt},
        {SMTP_VERB_DATA, smtp_check_data, smtp_do_data},
        {SMTP_VERB_RSET, smtp_check_noarg, smtp_do_rset},
        {SMTP_VERB_NOOP, smtp_check_none, smtp_do_noop},
        {SMTP_VERB_QUIT, smtp_check_noarg, smtp_do_quit},
        {SMTP_VERB_VRFY, smtp_check_none, smtp_do_vrfy},
        {SMTP_VERB_EXPN, smtp_check_expn, NULL},
        {SMTP_VERB_HELP, smtp_check_none, smtp_do_help},
        {SMTP_VERB_STARTTLS, smtp_check_starttls, smtp_do_starttls},
        {SMTP_VERB_AUTH, smtp_check_auth, smtp_do_auth},
        {SMTP_VERB_BDAT, smtp_check_unknown, NULL},
        {SMTP_VERB_UNKNOWN, smtp_check_unknown, NULL},
};

bool
smtp_cmd_dispatch(struct conn *c, struct smtp_session *s, const char *line, size_t len)
{
	struct smtp_args a;
	const char *reply = NULL;
	size_t i;

	memset(&a, 0, sizeof(a));
	smtp_parse_command(line, len, &a.cmd);
	if (smtp_parse_line_len(&a.cmd, len, &reply) < 0) {
		smtp_reply(c, reply);
		return s->state != SMTP_STATE_CLOSING;
	}
	for (i = 0; i < sizeof(smtp_cmd_table) / sizeof(smtp_cmd_table[0]); i++) {
		const struct smtp_cmd_row *row = &smtp_cmd_table[i];

		if (row->verb != a.cmd.verb)
			continue;
		reply = row->check(c, s, &a);
		if (reply != NULL || row->proceed == NULL) {
			smtp_reply(c, reply != NULL ? reply : SMTP_REPLY_UNKNOWN);
			return s->state != SMTP_STATE_CLOSING;
		}
		return row->proceed(c, s, &a);
	}
	smtp_reply(c, SMTP_REPLY_UNKNOWN);
	return s->state != SMTP_STATE_CLOSING;
}
