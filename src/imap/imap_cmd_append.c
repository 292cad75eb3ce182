/*
 * imap_cmd_append.c - APPEND (IMAP-44, IMAP-11): the message literal is
 * streamed into an unlinked temporary file under data_dir while it
 * arrives, then stored by a worker job (store_mailbox_append, durable
 * before the OK). Not gated (GATE-1). MULTIAPPEND is refused (BAD).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/core_conf.h"
#include "imap/imap_args_parse.h"
#include "imap/imap_job.h"
#include "imap/imap_mbname.h"
#include "imap/imap_session_int.h"
#include "net/net_server.h"

struct imap_append {
	int fd; /* owned: unlinked temporary file */
	uint64_t size, written;
	bool is_failed; /* a write failed: the command ends with SERVERBUG */
};

void
imap_append_free(struct imap_append **ap)
{
	struct imap_append *a = ap != NULL ? *ap : NULL;

	if (a == NULL)
		return;
	if (a->fd >= 0)
		close(a->fd);
	free(a);
	*ap = NULL;
}

int
imap_append_literal_begin(struct imap_session *s, uint64_t size, bool is_sync, const char **reply_r)
{
	const struct conf *conf = s->c->srv->conf;
	struct imap_append *a;
	char path[4096];

	if (conf->max_message_size > 0 && size > conf->max_message_size) {
		*reply_r = "NO [TOOBIG] Message too large.";
		return -1;
	}
	/* IMAP-44: a synchronising literal already over quota is refused before the "+". */
	if (is_sync && s->has_quota_limit && s->c->srv->store != NULL &&
	        store_quota_would_exceed(s->c->srv->store, imap_account(s), size, true,
	                s->quota_limit)) {
		*reply_r = "NO [OVERQUOTA] Quota exceeded.";
		return -1;
	}
	imap_append_free(&s->append);
	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		*reply_r = "NO [SERVERBUG] Internal error.";
		return -1;
	}
	snprintf(path, sizeof(path), "%s/.imap-append-XXXXXX", conf->data_dir);
	a->fd = mkstemp(path);
	if (a->fd < 0) {
		free(a);
		*reply_r = "NO [SERVERBUG] Internal error.";
		return -1;
	}
	unlink(path); /* anonymous: nothing to clean up after a crash */
	a->size = size;
	s->append = a;
	return 0;
}

int
imap_append_literal_data(struct imap_session *s, const unsigned char *data, size_t len)
{
	struct imap_append *a = s->append;

	if (a == NULL || a->is_failed)
		return 0;
	while (len > 0) {
		ssize_t n = write(a->fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			a->is_failed = true;
			return 0;
		}
		data += n;
		len -= (size_t)n;
		a->written += (uint64_t)n;
	}
	return 0;
}

struct imap_append_job {
	struct imap_job j;
	struct imap_append_args args; /* borrowed (parser arena) */
	struct imap_append *a;        /* owned */
	uint32_t uid, uidvalidity;
};

static void
imap_append_work(struct store *st, void *arg, struct store_changes *ch)
{
	struct imap_append_job *aj = arg;
	struct store_status status;

	(void)st;
	if (imap_job_open(&aj->j) < 0)
		return;
	if (store_mailbox_append(aj->j.mb, aj->a->fd, aj->a->written,
	            aj->args.has_date ? aj->args.date : time(NULL), aj->args.flags.system,
	            aj->args.flags.keywords, aj->args.flags.keyword_count,
	            imap_quota_limit(aj->j.srv, aj->j.account), ch, &aj->uid) < 0) {
		aj->j.error = errno != 0 ? errno : EIO;
		return;
	}
	if (store_mailbox_status(aj->j.mb, ch, &status) == 0)
		aj->uidvalidity = status.uidvalidity;
}

static void
imap_append_release(struct imap_job *j)
{
	imap_append_free(&((struct imap_append_job *)j)->a);
}

static void
imap_append_finish(struct imap_session *s, struct imap_job *j)
{
	struct imap_append_job *aj = (struct imap_append_job *)j;

	imap_send_updates(s, true); /* IMAP-44: EXISTS before the OK when selected */
	if (j->error == ENOENT)
		imap_reply(s, s->tag, "NO [TRYCREATE] Mailbox doesn't exist.");
	else if (j->error == EFBIG)
		imap_reply(s, s->tag, "NO [TOOBIG] Message too large.");
	else if (j->error != 0)
		imap_reply_errno(s, s->tag, j->error);
	else
		imap_reply(s, s->tag, "OK [APPENDUID %u %u] Append completed.", aj->uidvalidity,
		        aj->uid);
	imap_cmd_finish(s);
}

enum imap_cmd_result
imap_cmd_append(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	struct imap_append_job *aj;
	struct imap_append_args args;
	const char *error;
	char name[256];

	(void)is_uid;
	if (imap_append_parse(imap_parser_arena(s->parser), cmd->args, cmd->count, &args, &error) <
	        0) {
		imap_append_free(&s->append);
		imap_reply(s, cmd->tag, "BAD %s", error);
		return IMAP_CMD_DONE;
	}
	if (s->append == NULL || !args.message->is_streamed || s->append->is_failed ||
	        s->append->written != s->append->size) {
		imap_append_free(&s->append);
		imap_reply(s, cmd->tag, "NO [SERVERBUG] Internal error.");
		return IMAP_CMD_DONE;
	}
	if (s->append->size == 0) {
		imap_append_free(&s->append);
		imap_reply(s, cmd->tag, "NO Empty message.");
		return IMAP_CMD_DONE;
	}
	if (imap_mbname_normalize(args.mailbox, args.mailbox_len, IMAP_MBNAME_LOOKUP, name) < 0) {
		imap_append_free(&s->append);
		imap_reply(s, cmd->tag, "NO [TRYCREATE] Mailbox doesn't exist.");
		return IMAP_CMD_DONE;
	}
	aj = calloc(1, sizeof(*aj));
	if (aj == NULL) {
		imap_append_free(&s->append);
		imap_reply(s, cmd->tag, "NO [SERVERBUG] Internal error.");
		return IMAP_CMD_DONE;
	}
	aj->args = args;
	aj->a = s->append;
	s->append = NULL;
	imap_job_init(&aj->j, s, name, imap_append_finish, imap_append_release);
	return imap_job_submit(s, &aj->j, imap_append_work);
}
