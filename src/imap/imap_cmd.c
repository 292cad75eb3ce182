/*
 * imap_cmd.c - the command table (IMAP-2) and the small commands:
 * CAPABILITY, NOOP, CHECK, LOGOUT, ID, ENABLE, NAMESPACE, STARTTLS, LOGIN,
 * AUTHENTICATE, COMPRESS (IMAP-4..6, IMAP-15..22).
 *
 * Larger commands live in imap_cmd_<name>.c. Handlers answer protocol
 * errors themselves and never block.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/core_conf.h"
#include "core/core_str.h"
#include "imap/imap_args_parse.h"
#include "imap/imap_seqset.h"
#include "imap/imap_session.h"
#include "imap/imap_session_int.h"
#include "imap/imap_view.h"
#include "net/net_server.h"

/* imap_cmd_wipe - wipe a secret the parser arena handed out as const (it owns the memory). */
static void
imap_cmd_wipe(const char *s, size_t len)
{
	char *w;

	memcpy(&w, &s, sizeof(w));
	str_wipe(w, len);
}

static const struct imap_cmd imap_cmd_table[] = {
	{ "CAPABILITY", IMAP_STATES_ANY, false, false, imap_cmd_capability },
	{ "NOOP", IMAP_STATES_ANY, false, true, imap_cmd_noop },
	{ "LOGOUT", IMAP_STATES_ANY, false, false, imap_cmd_logout },
	{ "ID", IMAP_STATES_ANY, false, false, imap_cmd_id },
	{ "STARTTLS", IMAP_STATE_NOT_AUTH, false, false, imap_cmd_starttls },
	{ "LOGIN", IMAP_STATE_NOT_AUTH, false, false, imap_cmd_login },
	{ "AUTHENTICATE", IMAP_STATE_NOT_AUTH, false, false, imap_cmd_authenticate },
	{ "ENABLE", IMAP_STATES_AUTHED, false, false, imap_cmd_enable },
	{ "SELECT", IMAP_STATES_AUTHED, false, false, imap_cmd_select },
	{ "EXAMINE", IMAP_STATES_AUTHED, false, false, imap_cmd_select },
	{ "CREATE", IMAP_STATES_AUTHED, false, true, imap_cmd_create },
	{ "DELETE", IMAP_STATES_AUTHED, false, true, imap_cmd_delete },
	{ "SUBSCRIBE", IMAP_STATES_AUTHED, false, true, imap_cmd_subscribe },
	{ "UNSUBSCRIBE", IMAP_STATES_AUTHED, false, true, imap_cmd_subscribe },
	{ "LIST", IMAP_STATES_AUTHED, false, true, imap_cmd_list },
	{ "LSUB", IMAP_STATES_AUTHED, false, true, imap_cmd_list },
	{ "RENAME", IMAP_STATES_AUTHED, false, true, imap_cmd_rename },
	{ "NAMESPACE", IMAP_STATES_AUTHED, false, true, imap_cmd_namespace },
	{ "STATUS", IMAP_STATES_AUTHED, false, true, imap_cmd_status },
	{ "APPEND", IMAP_STATES_AUTHED, false, true, imap_cmd_append },
	{ "IDLE", IMAP_STATES_AUTHED, false, true, imap_cmd_idle },
	{ "COMPRESS", IMAP_STATES_AUTHED, false, true, imap_cmd_compress },
	{ "GETQUOTA", IMAP_STATES_AUTHED, false, true, imap_cmd_getquota },
	{ "GETQUOTAROOT", IMAP_STATES_AUTHED, false, true, imap_cmd_getquotaroot },
	{ "GETMETADATA", IMAP_STATES_AUTHED, false, true, imap_cmd_getmetadata },
	{ "SETMETADATA", IMAP_STATES_AUTHED, false, true, imap_cmd_setmetadata },
	{ "CHECK", IMAP_STATE_SELECTED, false, true, imap_cmd_noop },
	{ "CLOSE", IMAP_STATE_SELECTED, false, false, imap_cmd_close },
	{ "UNSELECT", IMAP_STATE_SELECTED, false, false, imap_cmd_unselect },
	{ "EXPUNGE", IMAP_STATE_SELECTED, true, true, imap_cmd_expunge },
	{ "FETCH", IMAP_STATE_SELECTED, true, false, imap_cmd_fetch },
	{ "STORE", IMAP_STATE_SELECTED, true, false, imap_cmd_store },
	{ "SEARCH", IMAP_STATE_SELECTED, true, false, imap_cmd_search },
	{ "COPY", IMAP_STATE_SELECTED, true, false, imap_cmd_copy },
	{ "MOVE", IMAP_STATE_SELECTED, true, true, imap_cmd_copy },
};

const struct imap_cmd *
imap_cmd_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(imap_cmd_table) / sizeof(imap_cmd_table[0]); i++)
		if (strcasecmp(imap_cmd_table[i].name, name) == 0)
			return &imap_cmd_table[i];
	return NULL;
}

enum imap_cmd_result
imap_cmd_capability(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	(void)is_uid;
	conn_printf(s->c, "* CAPABILITY %s\r\n", imap_session_capabilities(s->c));
	imap_reply(s, cmd->tag, "OK Capability completed.");
	return IMAP_CMD_DONE;
}

enum imap_cmd_result
imap_cmd_logout(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	(void)is_uid;
	conn_printf(s->c, "* BYE Logging out.\r\n");
	imap_reply(s, cmd->tag, "OK Logout completed.");
	s->state = IMAP_STATE_LOGOUT;
	conn_close(s->c);
	return IMAP_CMD_DONE;
}

enum imap_cmd_result
imap_cmd_id(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	const char *error = NULL;

	(void)is_uid;
	if (imap_id_check(cmd->args, cmd->count, &error) < 0) {
		imap_reply(s, cmd->tag, "BAD %s", error);
		return IMAP_CMD_DONE;
	}
	conn_printf(s->c, "* ID NIL\r\n"); /* IMAP-1, IMAP-20: no product name */
	imap_reply(s, cmd->tag, "OK ID completed.");
	return IMAP_CMD_DONE;
}

enum imap_cmd_result
imap_cmd_enable(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	bool is_on = false;

	(void)is_uid;
	if (cmd->count == 0) {
		imap_reply(s, cmd->tag, "BAD Missing capability names.");
		return IMAP_CMD_DONE;
	}
	for (size_t i = 0; i < cmd->count; i++) {
		if (imap_arg_is_atom(&cmd->args[i], "CONDSTORE"))
			is_on = true;
		else if (cmd->args[i].type != IMAP_ARG_ATOM) {
			imap_reply(s, cmd->tag, "BAD Invalid capability name.");
			return IMAP_CMD_DONE;
		}
	}
	conn_printf(s->c, "* ENABLED%s\r\n", is_on && !s->is_condstore ? " CONDSTORE" : "");
	if (is_on)
		s->is_condstore = true;
	imap_reply(s, cmd->tag, "OK Enabled.");
	return IMAP_CMD_DONE;
}

enum imap_cmd_result
imap_cmd_namespace(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	(void)is_uid;
	if (cmd->count != 0) {
		imap_reply(s, cmd->tag, "BAD Unexpected arguments.");
		return IMAP_CMD_DONE;
	}
	conn_printf(s->c, "* NAMESPACE ((\"\" \".\")) NIL NIL\r\n");
	imap_reply(s, cmd->tag, "OK Namespace completed.");
	return IMAP_CMD_DONE;
}

enum imap_cmd_result
imap_cmd_starttls(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	(void)is_uid;
	if (s->c->is_tls || !s->c->lst->offers_starttls) {
		imap_reply(s, cmd->tag, "BAD TLS is already active.");
		return IMAP_CMD_DONE;
	}
	imap_reply(s, cmd->tag, "OK Begin TLS negotiation now.");
	if (conn_starttls(s->c) < 0)
		conn_close(s->c);
	return IMAP_CMD_DONE;
}

enum imap_cmd_result
imap_cmd_login(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	const char *user, *pw;
	size_t ulen, pwlen;
	bool is_more;

	(void)is_uid;
	if (cmd->count != 2 || !imap_arg_get_astring(&cmd->args[0], &user, &ulen) ||
	        !imap_arg_get_astring(&cmd->args[1], &pw, &pwlen)) {
		imap_reply(s, cmd->tag, "BAD Invalid arguments.");
		return IMAP_CMD_DONE;
	}
	if (!imap_auth_precheck(s->c, &s->auth, cmd->tag)) {
		imap_cmd_wipe(pw, pwlen);
		return IMAP_CMD_DONE;
	}
	/* A NUL inside a literal user name cannot match an account: ACC-1 failure. */
	is_more = imap_auth_start(s->c, &s->auth, strlen(user) == ulen ? user : "", pw, pwlen);
	imap_cmd_wipe(pw, pwlen);
	return is_more ? IMAP_CMD_DONE : IMAP_CMD_ASYNC;
}

enum imap_cmd_result
imap_cmd_authenticate(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	char args[IMAP_LINE_MAX];
	const char *mech, *ir = NULL;
	bool is_more;

	(void)is_uid;
	if (cmd->count < 1 || cmd->count > 2 || !imap_arg_get_atom(&cmd->args[0], &mech) ||
	        (cmd->count == 2 && !imap_arg_get_atom(&cmd->args[1], &ir))) {
		imap_reply(s, cmd->tag, "BAD Invalid arguments.");
		return IMAP_CMD_DONE;
	}
	snprintf(args, sizeof(args), "%s%s%s", mech, ir != NULL ? " " : "", ir != NULL ? ir : "");
	is_more = imap_auth_authenticate(s->c, &s->auth, cmd->tag, args);
	str_wipe(args, sizeof(args));
	if (ir != NULL)
		imap_cmd_wipe(ir, strlen(ir));
	return is_more ? IMAP_CMD_DONE : IMAP_CMD_ASYNC;
}

enum imap_cmd_result
imap_cmd_compress(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	(void)is_uid;
	if (!s->c->srv->conf->imap_compress) {
		imap_reply(s, cmd->tag, "BAD Unknown command.");
		return IMAP_CMD_DONE;
	}
	if (cmd->count != 1 || cmd->args[0].type != IMAP_ARG_ATOM) {
		imap_reply(s, cmd->tag, "BAD Invalid arguments.");
		return IMAP_CMD_DONE;
	}
	if (s->is_compressed) {
		imap_reply(s, cmd->tag, "NO [COMPRESSIONACTIVE] Compression is already active.");
		return IMAP_CMD_DONE;
	}
	if (!imap_arg_is_atom(&cmd->args[0], "DEFLATE")) {
		imap_reply(s, cmd->tag, "BAD Unsupported compression algorithm.");
		return IMAP_CMD_DONE;
	}
	imap_reply(s, cmd->tag, "OK DEFLATE active.");
	if (imap_compress_start(s->c) < 0) {
		conn_close(s->c);
		return IMAP_CMD_DONE;
	}
	s->is_compressed = true;
	return IMAP_CMD_DONE;
}

int
imap_cmd_seqset(const struct imap_view *v, const char *text, bool is_uid,
        struct imap_seqset *set, const char **error_r)
{
	struct imap_seqset parsed;
	uint32_t max = is_uid ? (v->count ? v->msgs[v->count - 1].uid : 0) : (uint32_t)v->count;
	int rc;

	imap_seqset_init(&parsed);
	rc = imap_seqset_parse(text, strlen(text), &parsed, error_r);
	if (rc == 0)
		rc = imap_seqset_resolve(&parsed, max, is_uid, set, error_r);
	imap_seqset_reset(&parsed);
	return rc;
}
