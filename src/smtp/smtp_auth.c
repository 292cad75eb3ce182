/*
 * smtp_auth.c - AUTH PLAIN and AUTH LOGIN (RFC 4954, SUB-2) with the exact
 * replies of SUB-2 and the temporary errors of AUTH-3/AUTH-9, and the
 * ACC-7 goodbye. Secrets are wiped after use and never logged.
 */
#include "smtp/smtp_auth.h"
#include "smtp/smtp_int.h"

#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "auth/auth_sasl.h"
#include "core/core_conf.h"
#include "core/core_limits.h"
#include "core/core_str.h"
#include "net/net_server.h"

/* smtp_auth_kick - ACC-7: the account was deleted or blocked. */
static void
smtp_auth_kick(struct conn *c)
{
	conn_printf(c, "421 4.7.0 %s Account deleted\r\n", c->srv->conf->hostname);
	conn_close(c);
}

static void
smtp_auth_done_cb(struct conn *c, enum auth_result result, const char *address)
{
	struct smtp_auth *sa = smtp_session_auth(c);

	if (sa == NULL)
		return;
	sa->is_pending = false;
	switch (result) {
	case AUTH_RESULT_OK:
		snprintf(sa->address, sizeof(sa->address), "%s", address);
		if (auth_session_add(c->srv->auth, address, c->id, smtp_auth_kick) < 0) {
			smtp_reply(
			        c, "454 4.7.0 Temporary authentication failure, try again later");
			break;
		}
		sa->is_authenticated = true;
		smtp_reply(c, "235 2.7.0 Authentication successful");
		break;
	case AUTH_RESULT_FAIL: smtp_reply(c, "535 5.7.8 Authentication credentials invalid"); break;
	case AUTH_RESULT_THROTTLED:
		smtp_reply(c, "454 4.7.0 Too many failed authentication attempts, try again later");
		break;
	case AUTH_RESULT_UNAVAILABLE:
		smtp_reply(c, "454 4.7.0 Temporary authentication failure, try again later");
		break;
	}
	smtp_session_resume(c);
}

static bool
smtp_auth_start(
        struct conn *c, struct smtp_auth *sa, const char *user, const char *pw, size_t pwlen)
{
	sa->step = SMTP_AUTH_STEP_NONE;
	if (auth_request(c->srv->auth, c, user, pw, pwlen, smtp_auth_done_cb) < 0) {
		smtp_reply(c, "454 4.7.0 Temporary authentication failure, try again later");
		return true;
	}
	sa->is_pending = true;
	conn_pause_reading(c);
	return false;
}

/* smtp_auth_plain - decode a PLAIN response ("=" is empty). */
static bool
smtp_auth_plain(struct conn *c, struct smtp_auth *sa, const char *b64)
{
	unsigned char msg[SMTP_AUTH_LINE_MAX];
	struct auth_sasl_plain creds;
	size_t len = 0;
	bool rc = true;

	sa->step = SMTP_AUTH_STEP_NONE;
	if (auth_sasl_plain(b64, msg, sizeof(msg), &len, &creds) < 0)
		smtp_reply(c, "501 5.5.2 Cannot decode response");
	else
		rc = smtp_auth_start(c, sa, creds.user, creds.password, creds.password_len);
	str_wipe(msg, len);
	return rc;
}

/* smtp_auth_login_user - AUTH LOGIN user name (base64), then the password prompt. */
static void
smtp_auth_login_user(struct conn *c, struct smtp_auth *sa, const char *b64)
{
	size_t len;

	if (auth_sasl_decode(b64, (unsigned char *)sa->user, sizeof(sa->user), &len) < 0 ||
	        memchr(sa->user, '\0', len) != NULL) {
		sa->step = SMTP_AUTH_STEP_NONE;
		smtp_reply(c, "501 5.5.2 Cannot decode response");
		return;
	}
	sa->step = SMTP_AUTH_STEP_LOGIN_PASS;
	smtp_reply(c, "334 UGFzc3dvcmQ6");
}

/* smtp_auth_login_pass - AUTH LOGIN password (base64). */
static bool
smtp_auth_login_pass(struct conn *c, struct smtp_auth *sa, const char *b64)
{
	unsigned char pw[SMTP_AUTH_LINE_MAX];
	size_t len = 0;
	bool rc = true;

	sa->step = SMTP_AUTH_STEP_NONE;
	if (auth_sasl_decode(b64, pw, sizeof(pw), &len) < 0)
		smtp_reply(c, "501 5.5.2 Cannot decode response");
	else
		rc = smtp_auth_start(c, sa, sa->user, (const char *)pw, len);
	str_wipe(pw, len);
	return rc;
}

bool
smtp_auth_command(struct conn *c, struct smtp_auth *sa, const char *arg, bool has_helo, bool has_tx)
{
	size_t mlen = strcspn(arg, " ");
	const char *initial = arg[mlen] == ' ' ? arg + mlen + 1 : NULL;

	if (c->lst->kind == LISTENER_SMTP) {
		smtp_reply(c, "502 5.5.1 Command not implemented"); /* MX-1 */
		return true;
	}
	if (!conn_is_auth_allowed(c)) {
		smtp_reply(c, "530 5.7.0 Must issue a STARTTLS command first");
		return true;
	}
	if (sa->is_authenticated) {
		smtp_reply(c, "503 5.5.1 Already authenticated");
		return true;
	}
	if (has_tx || !has_helo) {
		smtp_reply(c,
		        has_tx ? "503 5.5.1 Bad sequence of commands"
		               : "503 5.5.1 Send HELO/EHLO first");
		return true;
	}
	if (mlen == 5 && strncasecmp(arg, "PLAIN", 5) == 0) {
		if (initial != NULL)
			return smtp_auth_plain(c, sa, initial);
		sa->step = SMTP_AUTH_STEP_PLAIN;
		smtp_reply(c, "334 ");
	} else if (mlen == 5 && strncasecmp(arg, "LOGIN", 5) == 0) {
		if (initial != NULL) {
			smtp_auth_login_user(c, sa, initial);
		} else {
			sa->step = SMTP_AUTH_STEP_LOGIN_USER;
			smtp_reply(c, "334 VXNlcm5hbWU6");
		}
	} else if (mlen == 0) {
		smtp_reply(c, "501 5.5.4 Syntax error");
	} else {
		smtp_reply(c, "504 5.5.4 Unrecognized authentication type");
	}
	return true;
}

bool
smtp_auth_continue(struct conn *c, struct smtp_auth *sa, char *line)
{
	enum smtp_auth_step step = sa->step;
	bool rc = true;

	if (strcmp(line, "*") == 0) {
		sa->step = SMTP_AUTH_STEP_NONE;
		str_wipe(sa->user, sizeof(sa->user));
		smtp_reply(c, "501 5.7.0 Authentication aborted");
		return true;
	}
	if (step == SMTP_AUTH_STEP_PLAIN)
		rc = smtp_auth_plain(c, sa, line);
	else if (step == SMTP_AUTH_STEP_LOGIN_USER)
		smtp_auth_login_user(c, sa, line);
	else if (step == SMTP_AUTH_STEP_LOGIN_PASS)
		rc = smtp_auth_login_pass(c, sa, line);
	if (sa->step == SMTP_AUTH_STEP_NONE)
		str_wipe(sa->user, sizeof(sa->user));
	return rc;
}

bool
smtp_auth_is_busy(const struct smtp_auth *sa)
{
	return sa->is_pending;
}

void
smtp_auth_reset(struct conn *c, struct smtp_auth *sa)
{
	if (sa->is_authenticated && c->srv->auth != NULL)
		auth_session_remove(c->srv->auth, sa->address, c->id);
	sa->is_authenticated = false;
	sa->step = SMTP_AUTH_STEP_NONE;
	str_wipe(sa->user, sizeof(sa->user));
}
