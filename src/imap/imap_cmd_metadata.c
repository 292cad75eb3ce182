/*
 * imap_cmd_metadata.c - GETMETADATA / SETMETADATA (RFC 5464; SPEC META-1..6,
 * DC-2 steps 5 and 6).
 *
 * Server entries come from the configuration (META-2, META-3 through
 * meta_turn). Device tokens (/private/devicetoken on INBOX) are kept by the
 * meta module (meta.h): its asynchronous completions find the session by
 * id and answer (META-5..7).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/core_conf.h"
#include "imap/imap_args_parse.h"
#include "core/core_str.h"
#include "imap/imap_buf.h"
#include "imap/imap_mbname.h"
#include "imap/imap_session_int.h"
#include "meta/meta.h"
#include "meta/meta_turn.h"
#include "net/net_server.h"

/* META-5 / META-6: the largest device token. */
#define IMAP_METADATA_TOKEN_MAX 8192

enum { IMAP_META_TURN, IMAP_META_IROH, IMAP_META_ADMIN, IMAP_META_MAXRCPT, IMAP_META_COUNT };

static const char *const imap_meta_names[IMAP_META_COUNT] = {
	"/shared/vendor/deltachat/turn",
	"/shared/vendor/deltachat/irohrelay",
	"/shared/admin",
	"/shared/vendor/deltachat/maxsmtprecipients",
};

/* imap_meta_value - the served value of server entry i (caller frees), NULL when not served. */
static char *
imap_meta_value(const struct conf *conf, int i)
{
	char *v = NULL;

	switch (i) {
	case IMAP_META_TURN:
		if (conf->turn_secret != NULL && conf->turn_secret[0] != '\0' &&
		        meta_turn_value(conf->turn_host, conf->turn_port, conf->turn_secret,
		                conf->turn_lifetime, time(NULL), &v) < 0)
			v = NULL;
		break;
	case IMAP_META_IROH:
		if (conf->iroh_relay != NULL && conf->iroh_relay[0] != '\0')
			v = strdup(conf->iroh_relay);
		break;
	case IMAP_META_ADMIN:
		if (conf->privacy_mail != NULL && conf->privacy_mail[0] != '\0' &&
		        str_printf(&v, "mailto:%s", conf->privacy_mail) < 0)
			v = NULL;
		break;
	case IMAP_META_MAXRCPT:
		if (str_printf(&v, "%ld", conf->max_recipients) < 0)
			v = NULL;
		break;
	default:
		break;
	}
	return v;
}

/* imap_meta_matches - served entry name is selected by requested entry e with depth (META-1). */
static bool
imap_meta_matches(const char *name, const char *e, int depth)
{
	size_t n = strlen(e);
	const char *rest;

	if (strcasecmp(name, e) == 0)
		return true;
	if (depth == 0 || strncasecmp(name, e, n) != 0 || name[n] != '/')
		return false;
	rest = name + n + 1;
	return depth < 0 || strchr(rest, '/') == NULL;
}

/* imap_meta_wants_token - the request selects /private/devicetoken (with DEPTH, META-1). */
static bool
imap_meta_wants_token(const struct imap_getmetadata_args *args)
{
	for (size_t k = 0; k < args->count; k++)
		if (imap_meta_matches("/private/devicetoken", args->entries[k], args->depth))
			return true;
	return false;
}

/* imap_meta_get_done - the account's tokens arrived (arg: the server): answer (META-4, META-7). */
static void
imap_meta_get_done(enum meta_status status, const char *tokens, uint64_t requester_id, void *arg)
{
	struct imap_session *s = imap_session_get(arg, requester_id);
	size_t n = tokens != NULL ? strlen(tokens) : 0;
	struct imap_buf b;

	if (s == NULL)
		return;
	if (status != META_OK) {
		imap_reply(s, s->tag, "NO [SERVERBUG] Internal error.");
		imap_cmd_finish(s);
		return;
	}
	if (n > 0 && s->meta_get.has_maxsize && n > s->meta_get.maxsize) {
		imap_send_updates(s, true);
		imap_reply(s, s->tag, "OK [METADATA LONGENTRIES %zu] Getmetadata completed.", n);
		imap_cmd_finish(s);
		return;
	}
	if (n > 0) {
		imap_buf_init(&b);
		imap_buf_str(&b, "* METADATA INBOX (/private/devicetoken ");
		imap_buf_quote(&b, tokens, n, IMAP_QUOTE_LITERAL);
		imap_buf_str(&b, ")\r\n");
		conn_write(s->c, b.data, b.len);
		imap_buf_reset(&b);
	}
	imap_send_updates(s, true);
	imap_reply(s, s->tag, "OK Getmetadata completed.");
	imap_cmd_finish(s);
}

/* imap_meta_get_tokens - GETMETADATA on INBOX: only the device tokens exist there. */
static enum imap_cmd_result
imap_meta_get_tokens(struct imap_session *s, const struct imap_getmetadata_args *args)
{
	struct server *srv = s->c->srv;

	if (!imap_meta_wants_token(args) || srv->meta == NULL) {
		imap_send_updates(s, true);
		imap_reply(s, s->tag, "OK Getmetadata completed.");
		return IMAP_CMD_DONE;
	}
	s->meta_get = *args;
	if (meta_token_get(srv->meta, s->c->id, imap_account(s), imap_meta_get_done, srv) < 0) {
		imap_reply(s, s->tag, "NO [SERVERBUG] Internal error.");
		return IMAP_CMD_DONE;
	}
	return IMAP_CMD_ASYNC;
}

enum imap_cmd_result
imap_cmd_getmetadata(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	struct imap_getmetadata_args args;
	const struct conf *conf = s->c->srv->conf;
	const char *error;
	struct imap_buf b;
	size_t longest = 0, shown = 0;

	(void)is_uid;
	if (imap_getmetadata_parse(imap_parser_arena(s->parser), cmd->args, cmd->count, &args,
	            &error) < 0) {
		imap_reply(s, cmd->tag, "BAD %s", error);
		return IMAP_CMD_DONE;
	}
	if (imap_mbname_is_inbox(args.mailbox, args.mailbox_len))
		return imap_meta_get_tokens(s, &args);
	imap_buf_init(&b);
	imap_buf_str(&b, "* METADATA ");
	imap_buf_quote(&b, args.mailbox, args.mailbox_len,
	        args.mailbox_len ? IMAP_QUOTE_ASTRING : IMAP_QUOTE_STRING);
	imap_buf_str(&b, " (");
	/* Server entries exist on mailbox "" only; INBOX tokens come with the meta module. */
	for (int i = 0; args.mailbox_len == 0 && i < IMAP_META_COUNT; i++) {
		bool is_wanted = false;
		char *v;

		for (size_t k = 0; k < args.count && !is_wanted; k++)
			is_wanted = imap_meta_matches(imap_meta_names[i], args.entries[k], args.depth);
		if (!is_wanted || (v = imap_meta_value(conf, i)) == NULL)
			continue;
		if (args.has_maxsize && strlen(v) > args.maxsize) {
			if (strlen(v) > longest)
				longest = strlen(v);
		} else {
			imap_buf_printf(&b, "%s%s ", shown ? " " : "", imap_meta_names[i]);
			imap_buf_quote(&b, v, strlen(v), IMAP_QUOTE_LITERAL); /* META-4 */
			shown++;
		}
		free(v);
	}
	imap_buf_str(&b, ")\r\n");
	if (shown > 0)
		conn_write(s->c, b.data, b.len);
	imap_buf_reset(&b);
	imap_send_updates(s, true);
	if (longest > 0)
		imap_reply(s, cmd->tag, "OK [METADATA LONGENTRIES %zu] Getmetadata completed.",
		        longest);
	else
		imap_reply(s, cmd->tag, "OK Getmetadata completed.");
	return IMAP_CMD_DONE;
}

/* imap_meta_token_ok - META-5: 1..8192 octets of '!'..'~'. */
static bool
imap_meta_token_ok(const char *v, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)v[i] < '!' || (unsigned char)v[i] > '~')
			return false;
	return true;
}

static bool imap_meta_set_next(struct imap_session *s);

/* imap_meta_set_done - one pair applied (arg: the server); go on or answer (META-5, META-6). */
static void
imap_meta_set_done(enum meta_status status, const char *tokens, uint64_t requester_id, void *arg)
{
	struct imap_session *s = imap_session_get(arg, requester_id);

	(void)tokens;
	if (s == NULL)
		return;
	if (status == META_OK && s->meta_next < s->meta_set.count) {
		(void)imap_meta_set_next(s); /* answers by itself when refused */
		return;
	}
	imap_send_updates(s, true);
	if (status == META_INVALID)
		imap_reply(s, s->tag, "NO [CANNOT] Invalid device token.");
	else if (status == META_TOOBIG)
		imap_reply(s, s->tag, "NO [METADATA MAXSIZE %d]", IMAP_METADATA_TOKEN_MAX);
	else if (status != META_OK)
		imap_reply(s, s->tag, "NO [SERVERBUG] Internal error.");
	else
		imap_reply(s, s->tag, "OK Setmetadata completed.");
	imap_cmd_finish(s);
}

/* imap_meta_set_next - hand the next pair to meta; false when it was refused (answered). */
static bool
imap_meta_set_next(struct imap_session *s)
{
	const struct imap_metadata_pair *p = &s->meta_set.pairs[s->meta_next++];
	struct server *srv = s->c->srv;
	int rc;

	if (p->value == NULL)
		rc = meta_token_del(srv->meta, s->c->id, imap_account(s), imap_meta_set_done, srv);
	else
		rc = meta_token_set(srv->meta, s->c->id, imap_account(s), p->value, p->value_len,
		        imap_meta_set_done, srv);
	if (rc < 0) {
		imap_reply(s, s->tag, "NO [SERVERBUG] Internal error.");
		if (s->is_busy)
			imap_cmd_finish(s);
		return false;
	}
	return true;
}

enum imap_cmd_result
imap_cmd_setmetadata(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	struct imap_setmetadata_args args;
	const char *error;

	(void)is_uid;
	if (imap_setmetadata_parse(imap_parser_arena(s->parser), cmd->args, cmd->count, &args,
	            &error) < 0) {
		imap_reply(s, cmd->tag, "BAD %s", error);
		return IMAP_CMD_DONE;
	}
	/* All-or-nothing (META-5): validate every pair before anything is applied. */
	for (size_t i = 0; i < args.count; i++) {
		const struct imap_metadata_pair *p = &args.pairs[i];

		if (!imap_mbname_is_inbox(args.mailbox, args.mailbox_len) ||
		        strcasecmp(p->entry, "/private/devicetoken") != 0) {
			imap_reply(s, cmd->tag, "NO [CANNOT] This entry cannot be set.");
			return IMAP_CMD_DONE;
		}
		if (p->value != NULL && p->value_len > IMAP_METADATA_TOKEN_MAX) {
			imap_reply(s, cmd->tag, "NO [METADATA MAXSIZE %d]", IMAP_METADATA_TOKEN_MAX);
			return IMAP_CMD_DONE;
		}
		if (p->value != NULL && !imap_meta_token_ok(p->value, p->value_len)) {
			imap_reply(s, cmd->tag, "NO [CANNOT] Invalid device token.");
			return IMAP_CMD_DONE;
		}
	}
	if (s->c->srv->meta == NULL || args.count == 0) {
		imap_send_updates(s, true);
		imap_reply(s, cmd->tag, "OK Setmetadata completed.");
		return IMAP_CMD_DONE;
	}
	s->meta_set = args;
	s->meta_next = 0;
	return imap_meta_set_next(s) ? IMAP_CMD_ASYNC : IMAP_CMD_DONE;
}
