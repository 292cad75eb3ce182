/*
 * imap_cmd_mailbox.c - STATUS, CREATE, DELETE, SUBSCRIBE, UNSUBSCRIBE and
 * LIST, LSUB, RENAME (IMAP-14, IMAP-23..29).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap/imap_args_parse.h"
#include "imap/imap_buf.h"
#include "imap/imap_job.h"
#include "imap/imap_mbname.h"
#include "imap/imap_session_int.h"
#include "net/net_server.h"

enum imap_mbop { IMAP_MBOP_STATUS, IMAP_MBOP_CREATE, IMAP_MBOP_DELETE, IMAP_MBOP_SUB,
	IMAP_MBOP_UNSUB, IMAP_MBOP_LIST, IMAP_MBOP_LSUB, IMAP_MBOP_RENAME };

struct imap_mb_job {
	struct imap_job j;
	enum imap_mbop op;
	struct imap_status_args status; /* borrowed items (parser arena) */
	struct store_status st;
	char pattern[IMAP_LIST_PATTERN_MAX + 1];
	char new_name[256]; /* RENAME target */
	char **names; /* owned (store_names_free) */
	size_t n;
};

static void
imap_mb_work(struct store *st, void *arg, struct store_changes *ch)
{
	struct imap_mb_job *mj = arg;
	int rc = 0;

	switch (mj->op) {
	case IMAP_MBOP_STATUS:
		if (imap_job_open(&mj->j) == 0 && store_mailbox_status(mj->j.mb, ch, &mj->st) < 0)
			mj->j.error = errno;
		return;
	case IMAP_MBOP_CREATE:
		rc = store_mailbox_create(st, mj->j.account, mj->j.mailbox);
		break;
	case IMAP_MBOP_DELETE:
		rc = store_mailbox_delete(st, mj->j.account, mj->j.mailbox, ch);
		break;
	case IMAP_MBOP_SUB:
	case IMAP_MBOP_UNSUB:
		rc = store_subscribe(st, mj->j.account, mj->j.mailbox, mj->op == IMAP_MBOP_SUB);
		break;
	case IMAP_MBOP_LIST:
		rc = store_mailbox_list(st, mj->j.account, &mj->names, &mj->n);
		break;
	case IMAP_MBOP_LSUB:
		rc = store_subscriptions(st, mj->j.account, &mj->names, &mj->n);
		break;
	case IMAP_MBOP_RENAME:
		rc = store_mailbox_rename(st, mj->j.account, mj->j.mailbox, mj->new_name, ch);
		break;
	}
	if (rc < 0)
		mj->j.error = errno != 0 ? errno : EIO;
}

static void
imap_mb_release(struct imap_job *j)
{
	struct imap_mb_job *mj = (struct imap_mb_job *)j;

	if (mj->names != NULL)
		store_names_free(mj->names, mj->n);
}

static void
imap_mb_status_reply(struct imap_session *s, struct imap_mb_job *mj)
{
	struct imap_buf b;

	imap_buf_init(&b);
	imap_buf_str(&b, "* STATUS ");
	imap_buf_quote(&b, mj->j.mailbox, strlen(mj->j.mailbox), IMAP_QUOTE_ASTRING);
	imap_buf_str(&b, " (");
	for (size_t i = 0; i < mj->status.count; i++) {
		static const char *const fmt[] = { "MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY",
			"UNSEEN", "HIGHESTMODSEQ" };
		unsigned long long v[] = { mj->st.messages, mj->st.recent, mj->st.uidnext,
			mj->st.uidvalidity, mj->st.unseen, mj->st.highestmodseq };

		imap_buf_printf(&b, "%s%s %llu", i ? " " : "", fmt[mj->status.items[i]],
		        v[mj->status.items[i]]);
	}
	imap_buf_str(&b, ")\r\n");
	conn_write(s->c, b.data, b.len);
	imap_buf_reset(&b);
}

static bool
imap_mb_special(const char *name, const char **attr_r)
{
	static const char *const names[][2] = { { "Sent", "\\Sent" }, { "Drafts", "\\Drafts" },
		{ "Trash", "\\Trash" }, { "Junk", "\\Junk" }, { "Archive", "\\Archive" } };

	for (size_t i = 0; i < 5; i++)
		if (strcmp(name, names[i][0]) == 0) {
			*attr_r = names[i][1];
			return true;
		}
	return false;
}

/* imap_mb_lsub_reply - IMAP-27: subscribed names matching the pattern. */
static void
imap_mb_lsub_reply(struct imap_session *s, struct imap_mb_job *mj)
{
	struct imap_buf b;
	const char *special;

	imap_buf_init(&b);
	for (size_t i = 0; i < mj->n; i++) {
		const char *name = mj->names[i];

		if (!imap_mbname_match(mj->pattern, strlen(mj->pattern), name, strlen(name)))
			continue;
		imap_buf_str(&b, "* LSUB (");
		if (imap_mb_special(name, &special))
			imap_buf_str(&b, special);
		imap_buf_str(&b, ") \".\" ");
		imap_buf_quote(&b, name, strlen(name), IMAP_QUOTE_ASTRING);
		imap_buf_str(&b, "\r\n");
	}
	conn_write(s->c, b.data, b.len);
	imap_buf_reset(&b);
}

/* imap_mb_has - name[0..len) is an existing mailbox of the list. */
static bool
imap_mb_has(const struct imap_mb_job *mj, const char *name, size_t len)
{
	for (size_t k = 0; k < mj->n; k++)
		if (strlen(mj->names[k]) == len && strncmp(mj->names[k], name, len) == 0)
			return true;
	return false;
}

/*
 * imap_mb_list_virtual - IMAP-28: a missing parent of names[i] where `%`
 * stops is listed as \Noselect, once (names are sorted: an earlier name
 * with the same prefix already listed it).
 */
static void
imap_mb_list_virtual(struct imap_buf *b, const struct imap_mb_job *mj, size_t i)
{
	const char *name = mj->names[i];
	size_t plen = strlen(mj->pattern);

	if (strchr(mj->pattern, '%') == NULL)
		return;
	for (const char *dot = strchr(name, '.'); dot != NULL; dot = strchr(dot + 1, '.')) {
		size_t len = (size_t)(dot - name);
		bool is_listed = false;

		if (imap_mb_has(mj, name, len) || !imap_mbname_match(mj->pattern, plen, name, len))
			continue;
		for (size_t k = 0; k < i && !is_listed; k++)
			is_listed = strncmp(mj->names[k], name, len + 1) == 0;
		if (is_listed)
			continue;
		imap_buf_str(b, "* LIST (\\Noselect \\HasChildren) \".\" ");
		imap_buf_quote(b, name, len, IMAP_QUOTE_ASTRING);
		imap_buf_str(b, "\r\n");
	}
}

/* imap_mb_list_reply - IMAP-28: matches with children attributes and special use. */
static void
imap_mb_list_reply(struct imap_session *s, struct imap_mb_job *mj)
{
	struct imap_buf b;
	size_t plen = strlen(mj->pattern);

	imap_buf_init(&b);
	for (size_t i = 0; i < mj->n; i++) {
		const char *name = mj->names[i], *special = NULL;
		size_t nlen = strlen(name);
		bool has_children = false;

		imap_mb_list_virtual(&b, mj, i);
		if (!imap_mbname_match(mj->pattern, plen, name, nlen))
			continue;
		for (size_t k = 0; k < mj->n && !has_children; k++)
			has_children = strlen(mj->names[k]) > nlen + 1 &&
			        strncmp(mj->names[k], name, nlen) == 0 && mj->names[k][nlen] == '.';
		imap_buf_str(&b, has_children ? "* LIST (\\HasChildren" : "* LIST (\\HasNoChildren");
		if (imap_mb_special(name, &special))
			imap_buf_printf(&b, " %s", special);
		imap_buf_str(&b, ") \".\" ");
		imap_buf_quote(&b, name, nlen, IMAP_QUOTE_ASTRING);
		imap_buf_str(&b, "\r\n");
	}
	conn_write(s->c, b.data, b.len);
	imap_buf_reset(&b);
}

static void
imap_mb_finish(struct imap_session *s, struct imap_job *j)
{
	struct imap_mb_job *mj = (struct imap_mb_job *)j;
	static const char *const ok[] = { "OK Status completed.", "OK Create completed.",
		"OK Delete completed.", "OK Subscribe completed.", "OK Unsubscribe completed.",
		"OK List completed.", "OK Lsub completed.", "OK Rename completed." };

	if (j->error == 0 && mj->op == IMAP_MBOP_STATUS)
		imap_mb_status_reply(s, mj);
	if (j->error == 0 && mj->op == IMAP_MBOP_LIST)
		imap_mb_list_reply(s, mj);
	if (j->error == 0 && mj->op == IMAP_MBOP_LSUB)
		imap_mb_lsub_reply(s, mj);
	if (j->error == 0 && mj->op == IMAP_MBOP_DELETE && s->sel != NULL &&
	        strcmp(s->sel->name, j->mailbox) == 0)
		imap_selected_close(s); /* IMAP-25: the deleting session goes back to authenticated */
	imap_send_updates(s, true);
	if (j->error == 0)
		imap_reply(s, s->tag, "%s", ok[mj->op]);
	else if (mj->op == IMAP_MBOP_UNSUB && j->error == ENOENT)
		imap_reply(s, s->tag, "NO [NONEXISTENT] Not subscribed.");
	else if (mj->op == IMAP_MBOP_DELETE && j->error == EPERM)
		imap_reply(s, s->tag, "NO [CANNOT] INBOX cannot be deleted.");
	else if (mj->op == IMAP_MBOP_RENAME && j->error == EEXIST)
		imap_reply(s, s->tag, "NO [ALREADYEXISTS] Mailbox already exists.");
	else if ((mj->op == IMAP_MBOP_CREATE || mj->op == IMAP_MBOP_RENAME) && j->error == EINVAL)
		imap_reply(s, s->tag, "NO [CANNOT] Invalid mailbox name.");
	else
		imap_reply_errno(s, s->tag, j->error);
	imap_cmd_finish(s);
}

static enum imap_cmd_result
imap_mb_submit(struct imap_session *s, enum imap_mbop op, const char *name,
        const struct imap_status_args *status, const char *pattern)
{
	struct imap_mb_job *mj = calloc(1, sizeof(*mj));

	if (mj == NULL) {
		imap_reply(s, s->tag, "NO [SERVERBUG] Internal error.");
		return IMAP_CMD_DONE;
	}
	mj->op = op;
	if (status != NULL)
		mj->status = *status;
	/* RENAME carries its target in the pattern argument. */
	if (pattern != NULL && op == IMAP_MBOP_RENAME)
		snprintf(mj->new_name, sizeof(mj->new_name), "%s", pattern);
	else if (pattern != NULL)
		snprintf(mj->pattern, sizeof(mj->pattern), "%s", pattern);
	imap_job_init(&mj->j, s, name != NULL ? name : "", imap_mb_finish, imap_mb_release);
	return imap_job_submit(s, &mj->j, imap_mb_work);
}

enum imap_cmd_result
imap_cmd_status(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	struct imap_status_args args;
	const char *error;
	char name[256];

	(void)is_uid;
	if (imap_status_parse(imap_parser_arena(s->parser), cmd->args, cmd->count, &args, &error) <
	        0) {
		imap_reply(s, cmd->tag, "BAD %s", error);
		return IMAP_CMD_DONE;
	}
	if (!imap_mailbox_arg(&cmd->args[0], name)) {
		imap_reply(s, cmd->tag, "NO [NONEXISTENT] Mailbox doesn't exist.");
		return IMAP_CMD_DONE;
	}
	for (size_t i = 0; i < args.count; i++)
		if (args.items[i] == IMAP_STATUS_HIGHESTMODSEQ)
			s->is_condstore = true; /* IMAP-48 */
	return imap_mb_submit(s, IMAP_MBOP_STATUS, name, &args, NULL);
}

enum imap_cmd_result
imap_cmd_create(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	const char *raw;
	size_t len;
	char name[256];

	(void)is_uid;
	if (cmd->count != 1 || !imap_arg_get_astring(&cmd->args[0], &raw, &len)) {
		imap_reply(s, cmd->tag, "BAD Invalid arguments.");
		return IMAP_CMD_DONE;
	}
	if (imap_mbname_normalize(raw, len, IMAP_MBNAME_CREATE, name) < 0) {
		imap_reply(s, cmd->tag, "NO [CANNOT] Invalid mailbox name.");
		return IMAP_CMD_DONE;
	}
	return imap_mb_submit(s, IMAP_MBOP_CREATE, name, NULL, NULL);
}

enum imap_cmd_result
imap_cmd_delete(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	char name[256];

	(void)is_uid;
	if (!imap_mailbox_only_arg(s, cmd, name))
		return IMAP_CMD_DONE;
	if (strcmp(name, "INBOX") == 0) {
		imap_reply(s, cmd->tag, "NO [CANNOT] INBOX cannot be deleted.");
		return IMAP_CMD_DONE;
	}
	return imap_mb_submit(s, IMAP_MBOP_DELETE, name, NULL, NULL);
}

enum imap_cmd_result
imap_cmd_subscribe(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	bool is_on = strcasecmp(cmd->name, "SUBSCRIBE") == 0;
	char name[256];

	(void)is_uid;
	if (!imap_mailbox_only_arg(s, cmd, name))
		return IMAP_CMD_DONE;
	return imap_mb_submit(s, is_on ? IMAP_MBOP_SUB : IMAP_MBOP_UNSUB, name, NULL, NULL);
}

enum imap_cmd_result
imap_cmd_list(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	const char *ref, *pat;
	size_t rlen, plen;
	char pattern[IMAP_LIST_PATTERN_MAX + 1];

	(void)is_uid;
	if (cmd->count != 2 || !imap_arg_get_astring(&cmd->args[0], &ref, &rlen) ||
	        !imap_arg_get_astring(&cmd->args[1], &pat, &plen)) {
		imap_reply(s, cmd->tag, "BAD Invalid arguments.");
		return IMAP_CMD_DONE;
	}
	if (plen == 0) {
		conn_printf(s->c, "* LIST (\\Noselect) \".\" \"\"\r\n");
		imap_reply(s, cmd->tag, "OK List completed.");
		return IMAP_CMD_DONE;
	}
	if (rlen + plen > IMAP_LIST_PATTERN_MAX) {
		imap_reply(s, cmd->tag, "OK List completed.");
		return IMAP_CMD_DONE;
	}
	snprintf(pattern, sizeof(pattern), "%s%s", ref, pat);
	/* INBOX matches in any case (IMAP-14). */
	if (strncasecmp(pattern, "INBOX", 5) == 0 && (pattern[5] == '\0' || pattern[5] == '.'))
		memcpy(pattern, "INBOX", 5);
	return imap_mb_submit(s, strcasecmp(cmd->name, "LSUB") == 0 ? IMAP_MBOP_LSUB : IMAP_MBOP_LIST,
	        NULL, NULL, pattern);
}

enum imap_cmd_result
imap_cmd_rename(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	const char *raw;
	size_t len;
	char from[256], to[256];

	(void)is_uid;
	if (cmd->count != 2 || !imap_arg_get_astring(&cmd->args[1], &raw, &len)) {
		imap_reply(s, cmd->tag, "BAD Invalid arguments.");
		return IMAP_CMD_DONE;
	}
	if (!imap_mailbox_arg(&cmd->args[0], from)) {
		imap_reply(s, cmd->tag, "NO [NONEXISTENT] Mailbox doesn't exist.");
		return IMAP_CMD_DONE;
	}
	if (imap_mbname_normalize(raw, len, IMAP_MBNAME_CREATE, to) < 0) {
		imap_reply(s, cmd->tag, "NO [CANNOT] Invalid mailbox name.");
		return IMAP_CMD_DONE;
	}
	return imap_mb_submit(s, IMAP_MBOP_RENAME, from, NULL, to);
}
