/*
 * imap_cmd_search.c - SEARCH / UID SEARCH (IMAP-45, IMAP-46, IMAP-48).
 *
 * Programs that need only index data (flags, sizes, dates, sets, modseq)
 * are evaluated on the loop at once; programs reading headers or bodies
 * run on a worker, which reads each message file. No EXPUNGE responses are
 * sent during SEARCH (IMAP-50).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imap/imap_buf.h"
#include "imap/imap_job.h"
#include "imap/imap_search_eval.h"
#include "imap/imap_session_int.h"
#include "imap/imap_view.h"
#include "net/net_server.h"

struct imap_search_job {
	struct imap_job j;
	const struct imap_search_program *prog; /* borrowed (parser arena) */
	struct imap_search_env env;
	char **kw; /* owned */
	struct imap_search_msg *msgs; /* owned */
	bool *hits;                   /* owned */
	size_t count;
	bool is_uid;
};

static int
imap_search_read(struct store_mailbox *mb, uint32_t uid, char **data_r, size_t *len_r)
{
	uint64_t size;
	size_t got = 0;
	char *buf;
	int fd;

	if (store_mailbox_open_msg(mb, uid, &fd, &size) < 0)
		return -1;
	buf = malloc((size_t)size + 1);
	while (buf != NULL && got < size) {
		ssize_t n = read(fd, buf + got, (size_t)size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (buf == NULL)
		return -1;
	buf[got] = '\0';
	*data_r = buf;
	*len_r = got;
	return 0;
}

static void
imap_search_work(struct store *st, void *arg, struct store_changes *ch)
{
	struct imap_search_job *sj = arg;

	(void)st;
	(void)ch;
	if (imap_job_open(&sj->j) < 0)
		return;
	for (size_t i = 0; i < sj->count; i++) {
		struct imap_search_msg *m = &sj->msgs[i];
		char *data = NULL;

		if (imap_search_read(sj->j.mb, m->uid, &data, &m->len) < 0)
			continue; /* vanished: not a match */
		m->data = data;
		sj->hits[i] = imap_search_match(&sj->prog->root, &sj->env, m);
		m->data = NULL;
		free(data);
	}
}

static void
imap_search_release(struct imap_job *j)
{
	struct imap_search_job *sj = (struct imap_search_job *)j;

	for (size_t i = 0; sj->kw != NULL && i < sj->env.keyword_count; i++)
		free(sj->kw[i]);
	free(sj->kw);
	free(sj->msgs);
	free(sj->hits);
}

/* imap_search_reply - `* SEARCH ...` [(MODSEQ m)] and the tagged OK. */
static void
imap_search_reply(struct imap_session *s, struct imap_search_job *sj)
{
	struct imap_buf b;
	uint64_t highest = 0;

	imap_buf_init(&b);
	imap_buf_str(&b, "* SEARCH");
	for (size_t i = 0; i < sj->count; i++) {
		if (!sj->hits[i])
			continue;
		imap_buf_printf(&b, " %u", sj->is_uid ? sj->msgs[i].uid : sj->msgs[i].seq);
		if (sj->msgs[i].modseq > highest)
			highest = sj->msgs[i].modseq;
	}
	if (sj->prog->has_modseq && highest > 0)
		imap_buf_printf(&b, " (MODSEQ %llu)", (unsigned long long)highest);
	imap_buf_str(&b, "\r\n");
	conn_write(s->c, b.data, b.len);
	imap_buf_reset(&b);
	imap_send_updates(s, false);
	imap_reply(s, s->tag, sj->j.error != 0 ? "NO [SERVERBUG] Internal error." :
	                                        "OK Search completed.");
}

static void
imap_search_finish(struct imap_session *s, struct imap_job *j)
{
	imap_search_reply(s, (struct imap_search_job *)j);
	imap_cmd_finish(s);
}

/* imap_search_setup - copy the view's messages and keyword table into the job. */
static int
imap_search_setup(struct imap_search_job *sj, const struct imap_view *v)
{
	sj->msgs = calloc(v->count + 1, sizeof(*sj->msgs));
	sj->hits = calloc(v->count + 1, sizeof(*sj->hits));
	sj->kw = calloc(v->keyword_count + 1, sizeof(*sj->kw));
	if (sj->msgs == NULL || sj->hits == NULL || sj->kw == NULL)
		return -1;
	for (size_t i = 0; i < v->keyword_count; i++)
		if ((sj->kw[i] = strdup(v->keywords[i] != NULL ? v->keywords[i] : "")) == NULL)
			return -1;
	sj->env.keywords = sj->kw;
	sj->env.keyword_count = v->keyword_count;
	sj->env.max_seq = (uint32_t)v->count;
	sj->env.max_uid = v->count ? v->msgs[v->count - 1].uid : 0;
	for (size_t i = 0; i < v->count; i++) {
		const struct imap_vmsg *vm = &v->msgs[i];
		struct imap_search_msg *m = &sj->msgs[i];

		m->seq = (uint32_t)(i + 1);
		m->uid = vm->uid;
		m->flags = vm->flags;
		m->keywords = vm->keywords;
		m->modseq = vm->modseq;
		m->size = vm->size;
		m->internaldate = vm->internaldate;
		m->is_recent = vm->is_recent;
	}
	sj->count = v->count;
	return 0;
}

enum imap_cmd_result
imap_cmd_search(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	struct imap_search_program *prog = NULL;
	struct imap_search_job *sj;
	bool is_badcharset = false;
	const char *error = NULL;

	if (imap_search_parse(imap_parser_arena(s->parser), cmd->args, cmd->count, &prog,
	            &is_badcharset, &error) < 0) {
		if (is_badcharset)
			imap_reply(s, cmd->tag, "NO [BADCHARSET (US-ASCII UTF-8)] Unsupported charset.");
		else
			imap_reply(s, cmd->tag, "BAD %s", error);
		return IMAP_CMD_DONE;
	}
	if (!imap_search_check(&prog->root, (uint32_t)s->sel->view->count)) {
		imap_reply(s, cmd->tag, "BAD Invalid message sequence number.");
		return IMAP_CMD_DONE;
	}
	if (prog->has_modseq)
		s->is_condstore = true;
	sj = calloc(1, sizeof(*sj));
	if (sj == NULL) {
		imap_reply(s, cmd->tag, "NO [SERVERBUG] Internal error.");
		return IMAP_CMD_DONE;
	}
	sj->prog = prog;
	sj->is_uid = is_uid;
	imap_job_init(&sj->j, s, NULL, imap_search_finish, imap_search_release);
	if (imap_search_setup(sj, s->sel->view) < 0) {
		imap_job_free(&sj->j);
		imap_reply(s, cmd->tag, "NO [SERVERBUG] Internal error.");
		return IMAP_CMD_DONE;
	}
	if (!imap_search_needs_data(&prog->root)) {
		for (size_t i = 0; i < sj->count; i++)
			sj->hits[i] = imap_search_match(&prog->root, &sj->env, &sj->msgs[i]);
		imap_search_reply(s, sj);
		imap_job_free(&sj->j);
		return IMAP_CMD_DONE;
	}
	return imap_job_submit(s, &sj->j, imap_search_work);
}
