/*
 * imap_cmd_quota.c - GETQUOTA / GETQUOTAROOT (RFC 2087 / 9208; SPEC
 * IMAP-56, DC-2 step 4): one root "" with STORAGE in KiB, rounded down.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_conf.h"
#include "imap/imap_job.h"
#include "imap/imap_quote.h"
#include "imap/imap_session_int.h"
#include "net/net_server.h"

uint64_t
imap_quota_limit(struct server *srv, const char *account)
{
	return srv->store != NULL ? store_limit_of(srv->store, account) : srv->conf->max_mailbox_size;
}

struct imap_quota_job {
	struct imap_job j;
	bool is_root;   /* GETQUOTAROOT */
	char wire[256]; /* the mailbox name as given back in QUOTAROOT */
	uint64_t limit;
};

static void
imap_quota_work(struct store *st, void *arg, struct store_changes *ch)
{
	struct imap_quota_job *qj = arg;

	(void)st;
	(void)ch;
	if (qj->is_root && imap_job_open(&qj->j) < 0)
		return;
	qj->limit = imap_quota_limit(qj->j.srv, qj->j.account);
}

static void
imap_quota_finish(struct imap_session *s, struct imap_job *j)
{
	struct imap_quota_job *qj = (struct imap_quota_job *)j;
	uint64_t used = store_quota_usage(j->st, j->account);

	if (j->error == 0) {
		s->quota_limit = qj->limit;
		s->has_quota_limit = true;
	}
	if (j->error != 0) {
		imap_reply_errno(s, s->tag, j->error);
		imap_cmd_finish(s);
		return;
	}
	if (qj->is_root)
		conn_printf(s->c, "* QUOTAROOT %s%s\r\n", qj->wire, qj->limit > 0 ? " \"\"" : "");
	if (qj->limit > 0)
		conn_printf(s->c, "* QUOTA \"\" (STORAGE %llu %llu)\r\n",
		        (unsigned long long)(used / 1024), (unsigned long long)(qj->limit / 1024));
	imap_send_updates(s, true);
	imap_reply(s, s->tag, qj->is_root ? "OK Getquotaroot completed." : "OK Getquota completed.");
	imap_cmd_finish(s);
}

/* imap_quota_prefetch_finish - remember the limit (nothing is said), then the next command. */
static void
imap_quota_prefetch_finish(struct imap_session *s, struct imap_job *j)
{
	if (j->error == 0 && !s->has_quota_limit) {
		s->quota_limit = ((struct imap_quota_job *)j)->limit;
		s->has_quota_limit = true;
	}
	imap_cmd_finish(s);
}

int
imap_quota_prefetch(struct imap_session *s)
{
	struct imap_quota_job *qj = calloc(1, sizeof(*qj));

	if (qj == NULL)
		return -1; /* then the limit is learnt at SELECT or GETQUOTAROOT */
	imap_job_init(&qj->j, s, "", imap_quota_prefetch_finish, NULL);
	if (qj->j.st == NULL ||
	        store_submit(qj->j.st, qj->j.conn_id, imap_quota_work, imap_job_done_cb, qj) < 0) {
		free(qj);
		return -1;
	}
	return 0;
}

enum imap_cmd_result
imap_cmd_getquotaroot(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	struct imap_quota_job *qj;
	char name[256];
	size_t n;

	(void)is_uid;
	if (!imap_mailbox_only_arg(s, cmd, name))
		return IMAP_CMD_DONE;
	qj = calloc(1, sizeof(*qj));
	if (qj == NULL) {
		imap_reply(s, cmd->tag, "NO [SERVERBUG] Internal error.");
		return IMAP_CMD_DONE;
	}
	qj->is_root = true;
	n = imap_quote(qj->wire, sizeof(qj->wire), name, strlen(name), IMAP_QUOTE_ASTRING);
	if (n >= sizeof(qj->wire))
		snprintf(qj->wire, sizeof(qj->wire), "INBOX");
	imap_job_init(&qj->j, s, name, imap_quota_finish, NULL);
	return imap_job_submit(s, &qj->j, imap_quota_work);
}

enum imap_cmd_result
imap_cmd_getquota(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	struct imap_quota_job *qj;
	const char *root;
	size_t len;

	(void)is_uid;
	if (cmd->count != 1 || !imap_arg_get_astring(&cmd->args[0], &root, &len)) {
		imap_reply(s, cmd->tag, "BAD Invalid arguments.");
		return IMAP_CMD_DONE;
	}
	if (len != 0) {
		imap_reply(s, cmd->tag, "NO [NONEXISTENT] Quota root doesn't exist.");
		return IMAP_CMD_DONE;
	}
	qj = calloc(1, sizeof(*qj));
	if (qj == NULL) {
		imap_reply(s, cmd->tag, "NO [SERVERBUG] Internal error.");
		return IMAP_CMD_DONE;
	}
	imap_job_init(&qj->j, s, "", imap_quota_finish, NULL);
	return imap_job_submit(s, &qj->j, imap_quota_work);
}
