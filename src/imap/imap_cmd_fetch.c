/*
 * imap_cmd_fetch.c - FETCH and UID FETCH (IMAP-35..40, IMAP-48, NET-6).
 *
 * The messages are rendered on a worker in batches of bounded size (the
 * message files are read there, never on the loop); each batch's output is
 * moved into the connection on the loop. While the client's output is
 * above NET_OUTPUT_HIGH_WATER the command is parked and continues from
 * on_drain ("call me again"). Header-only requests (Delta Chat's
 * HEADER.FIELDS fetch, DC-2 step 9) read only the header of each file.
 */
#include <errno.h>
#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core_limits.h"
#include "imap/imap_fetch_render.h"
#include "imap/imap_job.h"
#include "imap/imap_seqset.h"
#include "imap/imap_session_int.h"
#include "imap/imap_view.h"
#include "net/net_server.h"

/* Rendered octets per batch before the loop gets it (one message may exceed it). */
#define IMAP_FETCH_BATCH_BYTES (256UL * 1024)
/* Header-only reads stop here (a header larger than this is cut). */
#define IMAP_FETCH_HEADER_MAX (1024UL * 1024)

struct imap_fetch_job {
	struct imap_job j;
	struct imap_fetch_ctx fc;
	char **kw; /* owned: keyword table copy */
	size_t kw_count;
	struct imap_fetch_msg *msgs; /* owned */
	size_t count, next;
	bool sets_seen;
	bool needs_data, only_header;
	bool has_expunged;    /* IMAP-40: EXPUNGEISSUED */
	struct evbuffer *out; /* owned: the batch rendered on the worker */
};

/* imap_fetch_read - the message (or its header) into memory; -1 with errno. */
static int
imap_fetch_read(struct imap_fetch_job *fj, uint32_t uid, char **data_r, size_t *len_r)
{
	uint64_t size = 0;
	size_t want, got = 0;
	char *buf;
	int fd;

	if (store_mailbox_open_msg(fj->j.mb, uid, &fd, &size) < 0)
		return -1;
	want = fj->only_header && size > IMAP_FETCH_HEADER_MAX ? IMAP_FETCH_HEADER_MAX : (size_t)size;
	buf = malloc(want + 1);
	if (buf == NULL) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	while (got < want) {
		size_t chunk = fj->only_header ? 8192 : want - got;
		ssize_t n = read(fd, buf + got, chunk < want - got ? chunk : want - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		/* Header-only: stop at the empty line (files have CRLF, STORE-2). */
		if (fj->only_header && memmem(buf, got, "\r\n\r\n", 4) != NULL)
			break;
	}
	close(fd);
	buf[got] = '\0';
	*data_r = buf;
	*len_r = got;
	return 0;
}

/* imap_fetch_mark_seen - IMAP-39: set \Seen on the batch's unseen messages. */
static void
imap_fetch_mark_seen(struct imap_fetch_job *fj, size_t from, size_t to, struct store_changes *ch)
{
	uint32_t *uids = calloc(to - from + 1, sizeof(*uids));
	struct store_flag_result *res = calloc(to - from + 1, sizeof(*res));
	size_t n = 0;

	if (uids == NULL || res == NULL)
		goto out;
	for (size_t i = from; i < to; i++)
		if (!(fj->msgs[i].flags & STORE_FLAG_SEEN))
			uids[n++] = fj->msgs[i].uid;
	if (n == 0 || store_mailbox_store_flags(fj->j.mb, uids, n, STORE_FLAGS_ADD, STORE_FLAG_SEEN,
	                      NULL, 0, 0, ch, res) < 0)
		goto out;
	for (size_t i = from, k = 0; i < to && k < n; i++) {
		struct imap_fetch_msg *m = &fj->msgs[i];

		if (m->uid != uids[k])
			continue;
		if (res[k].is_changed) {
			m->flags = (res[k].flags & STORE_FLAGS_SYSTEM) | (m->flags & STORE_FLAG_RECENT);
			m->keywords = res[k].keywords;
			m->modseq = res[k].modseq;
			m->is_flags_changed = true;
		}
		k++;
	}
out:
	free(uids);
	free(res);
}

/* imap_fetch_work - worker: render one batch into fj->out. */
static void
imap_fetch_work(struct store *st, void *arg, struct store_changes *ch)
{
	struct imap_fetch_job *fj = arg;
	struct imap_buf b;
	size_t end = fj->next, bytes = 0;

	(void)st;
	if (fj->j.mb == NULL && imap_job_open(&fj->j) < 0)
		return;
	/* The batch: until the size estimate is reached (sizes come from the index). */
	while (end < fj->count && (end == fj->next || bytes < IMAP_FETCH_BATCH_BYTES)) {
		bytes += fj->needs_data && !fj->only_header ? fj->msgs[end].size : 128;
		end++;
	}
	if (fj->sets_seen)
		imap_fetch_mark_seen(fj, fj->next, end, ch);
	imap_buf_init(&b);
	for (size_t i = fj->next; i < end; i++) {
		char *data = NULL;
		size_t len = 0;

		if (fj->needs_data && imap_fetch_read(fj, fj->msgs[i].uid, &data, &len) < 0) {
			if (errno == ENOENT)
				fj->has_expunged = true; /* left out (IMAP-40) */
			else
				fj->j.error = errno;
			continue;
		}
		imap_fetch_render(&b, &fj->fc, &fj->msgs[i], data, len);
		free(data);
		if (b.len >= IMAP_FETCH_BATCH_BYTES) {
			evbuffer_add(fj->out, b.data, b.len);
			b.len = 0;
		}
	}
	if (b.is_oom)
		fj->j.error = ENOMEM;
	evbuffer_add(fj->out, b.data, b.len);
	imap_buf_reset(&b);
	fj->next = end;
}

static void
imap_fetch_release(struct imap_job *j)
{
	struct imap_fetch_job *fj = (struct imap_fetch_job *)j;

	for (size_t i = 0; i < fj->kw_count; i++)
		free(fj->kw[i]);
	free(fj->kw);
	free(fj->msgs);
	if (fj->out != NULL)
		evbuffer_free(fj->out);
}

static void imap_fetch_finish(struct imap_session *s, struct imap_job *j);

/* imap_fetch_resume - on_drain: submit the next batch of the parked FETCH. */
static void
imap_fetch_resume(struct imap_session *s)
{
	struct imap_job *j = s->parked;

	s->parked = NULL;
	s->on_drain = NULL;
	if (imap_job_submit(s, j, imap_fetch_work) == IMAP_CMD_DONE)
		imap_cmd_finish(s); /* could not queue: answered and freed */
}

static void
imap_fetch_finish(struct imap_session *s, struct imap_job *j)
{
	struct imap_fetch_job *fj = (struct imap_fetch_job *)j;

	conn_write_buffer(s->c, fj->out);
	if (j->error == 0 && fj->next < fj->count && !s->c->is_closing) {
		j->is_kept = true;
		s->parked = j;
		s->on_drain = imap_fetch_resume;
		if (conn_output_len(s->c) <= NET_OUTPUT_HIGH_WATER)
			imap_fetch_resume(s);
		return;
	}
	imap_send_updates(s, false); /* never EXPUNGE during FETCH (IMAP-50) */
	if (j->error != 0)
		imap_reply(s, s->tag, "NO [SERVERBUG] Internal error.");
	else if (fj->has_expunged)
		imap_reply(s, s->tag, "NO [EXPUNGEISSUED] Some messages were expunged.");
	else
		imap_reply(s, s->tag, "OK Fetch completed.");
	imap_cmd_finish(s);
}

/* imap_fetch_select - the messages of the set (sequence numbers or UIDs, IMAP-13). */
static int
imap_fetch_select(struct imap_session *s, struct imap_fetch_job *fj, const char *text,
        bool is_uid, const char **error_r)
{
	struct imap_view *v = s->sel->view;
	const struct imap_fetch_request *req = fj->fc.req;
	struct imap_seqset set;
	int rc = -1;

	imap_seqset_init(&set);
	if (imap_cmd_seqset(v, text, is_uid, &set, error_r) < 0)
		goto out;
	fj->msgs = calloc(v->count + 1, sizeof(*fj->msgs));
	if (fj->msgs == NULL) {
		*error_r = "Internal error.";
		goto out;
	}
	for (size_t i = 0; i < v->count; i++) {
		const struct imap_vmsg *vm = &v->msgs[i];
		struct imap_fetch_msg *m;

		if (!imap_seqset_contains(&set, is_uid ? vm->uid : (uint32_t)(i + 1)))
			continue;
		if (req->has_changedsince && vm->modseq <= req->changedsince)
			continue;
		if (vm->is_expunged && fj->needs_data) {
			fj->has_expunged = true;
			continue;
		}
		m = &fj->msgs[fj->count++];
		m->seq = (uint32_t)(i + 1);
		m->uid = vm->uid;
		m->flags = imap_view_msg_flags(vm);
		m->keywords = vm->keywords;
		m->modseq = vm->modseq;
		m->size = vm->size;
		m->internaldate = vm->internaldate;
	}
	rc = 0;
out:
	imap_seqset_reset(&set);
	return rc;
}

static int
imap_fetch_keywords(struct imap_fetch_job *fj, const struct imap_view *v)
{
	fj->kw = calloc(v->keyword_count + 1, sizeof(*fj->kw));
	if (fj->kw == NULL)
		return -1;
	for (size_t i = 0; i < v->keyword_count; i++)
		if ((fj->kw[i] = strdup(v->keywords[i] != NULL ? v->keywords[i] : "")) == NULL)
			return -1;
	fj->kw_count = v->keyword_count;
	fj->fc.keywords = fj->kw;
	fj->fc.keyword_count = fj->kw_count;
	return 0;
}

enum imap_cmd_result
imap_cmd_fetch(struct imap_session *s, const struct imap_command *cmd, bool is_uid)
{
	struct imap_fetch_request *req = NULL;
	struct imap_fetch_job *fj;
	const char *text, *error = NULL;

	if (cmd->count < 2 || !imap_arg_get_atom(&cmd->args[0], &text)) {
		imap_reply(s, cmd->tag, "BAD Invalid arguments.");
		return IMAP_CMD_DONE;
	}
	if (imap_fetch_parse(imap_parser_arena(s->parser), cmd->args + 1, cmd->count - 1, &req,
	            &error) < 0) {
		imap_reply(s, cmd->tag, "BAD %s", error);
		return IMAP_CMD_DONE;
	}
	if (req->has_modseq)
		s->is_condstore = true; /* IMAP-48 */
	fj = calloc(1, sizeof(*fj));
	if (fj == NULL || (fj->out = evbuffer_new()) == NULL) {
		free(fj);
		imap_reply(s, cmd->tag, "NO [SERVERBUG] Internal error.");
		return IMAP_CMD_DONE;
	}
	imap_job_init(&fj->j, s, NULL, imap_fetch_finish, imap_fetch_release);
	fj->fc.req = req;
	fj->fc.is_uid = is_uid;
	fj->fc.is_condstore = s->is_condstore;
	fj->needs_data = req->needs_body;
	fj->only_header = imap_fetch_only_header(req);
	fj->sets_seen = req->sets_seen && !s->sel->is_readonly;
	if (imap_fetch_select(s, fj, text, is_uid, &error) < 0 ||
	        imap_fetch_keywords(fj, s->sel->view) < 0) {
		imap_reply(s, cmd->tag, "BAD %s", error != NULL ? error : "Internal error.");
		imap_job_free(&fj->j);
		return IMAP_CMD_DONE;
	}
	return imap_job_submit(s, &fj->j, imap_fetch_work);
}
