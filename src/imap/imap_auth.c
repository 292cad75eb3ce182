/*
 * imap_auth.c - IMAP LOGIN and AUTHENTICATE PLAIN (IMAP-5, IMAP-15,
 * IMAP-16, AUTH-1, ACC-7). Parses the arguments, calls auth_request() and
 * answers when the completion arrives. Secrets are wiped after use and
 * never logged. Literals in LOGIN come with the IMAP engine.
 */
#include "imap/imap_auth.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "auth/auth_sasl.h"
#include "core/core_conf.h"
#include "core/core_limits.h"
#include "core/core_log.h"
#include "core/core_str.h"
#include "net/net_server.h"

int
imap_auth_parse_astring(const char **pp, char *out, size_t outlen, size_t *len_r)
{
	const char *p = *pp;
	size_t n = 0;

	if (*p == '"') {
		for (p++; *p != '"'; p++) {
			if (*p == '\0' || *p == '\r' || *p == '\n')
				return -1;
			if (*p == '\\') {
				p++;
				if (*p != '"' && *p != '\\')
					return -1;
			}
			if (n + 1 >= outlen)
				return -1;
			out[n++] = *p;
		}
		p++;
	} else {
		for (; *p != '\0' && *p != ' '; p++) {
			/* ATOM-CHAR plus ']' (ASTRING-CHAR, RFC 3501 section 9). */
			if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
			        strchr("(){%*\"\\", *p) != NULL || n + 1 >= outlen)
				return -1;
			out[n++] = *p;
		}
		if (n == 0)
			return -1;
	}
	out[n] = '\0';
	*pp = p;
	*len_r = n;
	return 0;
}

/* imap_auth_kick - ACC-7: the account was deleted or blocked. */
static void
imap_auth_kick(struct conn *c)
{
	conn_printf(c, "* BYE Account deleted.\r\n");
	conn_close(c);
}

/* imap_auth_tag_clear - the command has its tagged reply: drop the tag. */
static void
imap_auth_tag_clear(struct imap_auth *ia)
{
	free(ia->tag);
	ia->tag = NULL;
}

/* imap_auth_done_cb - completion of auth_request (IMAP-15 replies). */
static void
imap_auth_done_cb(struct conn *c, enum auth_result result, const char *address)
{
	struct imap_auth *ia = imap_session_auth(c);
	const struct conf *conf = c->srv->conf;

	if (ia == NULL)
		return;
	ia->is_pending = false;
	switch (result) {
	case AUTH_RESULT_OK:
		if (conf->max_imap_connections_per_account > 0 &&
		        auth_session_count(c->srv->auth, address, imap_auth_kick) >=
		                (unsigned)conf->max_imap_connections_per_account) {
			conn_printf(c, "%s NO [LIMIT] Too many connections for this account.\r\n",
			        ia->tag);
			break;
		}
		free(ia->address);
		ia->address = strdup(address);
		if (ia->address == NULL ||
		        auth_session_add(c->srv->auth, address, c->id, imap_auth_kick) < 0) {
			conn_printf(c, "%s NO [UNAVAILABLE] Internal error.\r\n", ia->tag);
			break;
		}
		ia->is_authenticated = true;
		conn_set_read_timeout(c, conf->imap_timeout);
		conn_printf(c, "%s OK [CAPABILITY %s] Logged in.\r\n", ia->tag,
		        imap_session_capabilities(c));
		break;
	case AUTH_RESULT_FAIL:
		conn_printf(c, "%s NO [AUTHENTICATIONFAILED] Authentication failed.\r\n", ia->tag);
		break;
	case AUTH_RESULT_THROTTLED:
		conn_printf(c, "%s NO [UNAVAILABLE] Too many failed logins, try again later.\r\n",
		        ia->tag);
		break;
	case AUTH_RESULT_UNAVAILABLE:
		conn_printf(c,
		        "%s NO [UNAVAILABLE] Temporary authentication failure, try again "
		        "later.\r\n",
		        ia->tag);
		break;
	}
	imap_auth_tag_clear(ia);
	imap_session_resume(c);
}

/* imap_auth_start - hand (user, password) to auth; false: the session pauses. */
bool
imap_auth_start(
        struct conn *c, struct imap_auth *ia, const char *user, const char *pw, size_t pwlen)
{
	if (auth_request(c->srv->auth, c, user, pw, pwlen, imap_auth_done_cb) < 0) {
		conn_printf(c,
		        "%s NO [UNAVAILABLE] Temporary authentication failure, try again "
		        "later.\r\n",
		        ia->tag);
		imap_auth_tag_clear(ia);
		return true;
	}
	ia->is_pending = true;
	conn_pause_reading(c);
	return false;
}

/* imap_auth_precheck - state, NET-3 and the tag; false when already answered. */
bool
imap_auth_precheck(struct conn *c, struct imap_auth *ia, const char *tag)
{
	if (ia->is_authenticated) {
		conn_printf(c, "%s BAD Already authenticated.\r\n", tag);
		return false;
	}
	if (!conn_is_auth_allowed(c)) {
		conn_printf(c,
		        "%s NO [PRIVACYREQUIRED] Plaintext authentication is not allowed "
		        "without TLS.\r\n",
		        tag);
		return false;
	}
	if (strlen(tag) >= IMAP_AUTH_TAG_MAX) {
		conn_printf(c, "%s BAD Tag too long.\r\n", tag);
		return false;
	}
	imap_auth_tag_clear(ia);
	ia->tag = strdup(tag);
	if (ia->tag == NULL) {
		conn_printf(c, "%s NO [UNAVAILABLE] Internal error.\r\n", tag);
		return false;
	}
	return true;
}

bool
imap_auth_login(struct conn *c, struct imap_auth *ia, const char *tag, const char *args)
{
	char user[ADDRESS_MAX * 2],
	        pw[AUTH_PASSWORD_MAX * 4]; /* longer passwords fail in auth (ACC-4) */
	size_t ulen, pwlen = 0;
	bool rc = true;

	if (!imap_auth_precheck(c, ia, tag))
		return true;
	if (imap_auth_parse_astring(&args, user, sizeof(user), &ulen) < 0 || *args++ != ' ' ||
	        imap_auth_parse_astring(&args, pw, sizeof(pw), &pwlen) < 0 || *args != '\0') {
		/* An over-long password is a failure, not a syntax error (ACC-4). */
		if (strchr(args, '{') != NULL)
			conn_printf(c, "%s BAD Literals in LOGIN are not supported yet.\r\n", tag);
		else
			conn_printf(c, "%s BAD Invalid arguments.\r\n", tag);
		imap_auth_tag_clear(ia);
	} else {
		rc = imap_auth_start(c, ia, user, pw, pwlen);
	}
	str_wipe(pw, sizeof(pw));
	return rc;
}

/* imap_auth_plain - decode an initial or continued PLAIN response (IMAP-16). */
static bool
imap_auth_plain(struct conn *c, struct imap_auth *ia, const char *b64)
{
	unsigned char msg[IMAP_LINE_MAX];
	struct auth_sasl_plain creds;
	size_t len = 0;
	bool rc = true;

	if (auth_sasl_plain(b64, msg, sizeof(msg), &len, &creds) < 0) {
		conn_printf(c, "%s BAD Invalid SASL response.\r\n", ia->tag);
		imap_auth_tag_clear(ia);
	} else
		rc = imap_auth_start(c, ia, creds.user, creds.password, creds.password_len);
	str_wipe(msg, len);
	return rc;
}

bool
imap_auth_authenticate(struct conn *c, struct imap_auth *ia, const char *tag, const char *args)
{
	size_t mlen = strcspn(args, " ");

	if (!imap_auth_precheck(c, ia, tag))
		return true;
	if (mlen != 5 || strncasecmp(args, "PLAIN", 5) != 0) {
		conn_printf(c, "%s NO [CANNOT] Unsupported authentication mechanism.\r\n", tag);
		imap_auth_tag_clear(ia);
		return true;
	}
	if (args[5] == ' ')
		return imap_auth_plain(c, ia, args + 6);
	ia->is_sasl_waiting = true;
	conn_printf(c, "+ \r\n");
	return true;
}

bool
imap_auth_continue(struct conn *c, struct imap_auth *ia, char *line)
{
	bool rc;

	ia->is_sasl_waiting = false;
	if (strcmp(line, "*") == 0) {
		conn_printf(c, "%s BAD Authentication aborted.\r\n", ia->tag);
		imap_auth_tag_clear(ia);
		return true;
	}
	rc = imap_auth_plain(c, ia, line);
	str_wipe(line, strlen(line));
	return rc;
}

bool
imap_auth_is_busy(const struct imap_auth *ia)
{
	return ia->is_pending;
}

void
imap_auth_end(struct conn *c, struct imap_auth *ia)
{
	if (ia->is_authenticated && c->srv->auth != NULL)
		auth_session_remove(c->srv->auth, ia->address, c->id);
	ia->is_authenticated = false;
	imap_auth_tag_clear(ia);
	free(ia->address);
	ia->address = NULL;
}
