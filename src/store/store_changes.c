/*
 * store_changes.c - collecting change events on workers and publishing
 * them on the loop in commit order (IMAP-49..51, IMAP-54).
 *
 * Every event of a mailbox takes the next value of the mailbox's commit
 * sequence while its lock is held, so the sequence is the commit order.
 * Jobs complete on the loop in any order; an event is published only when
 * its predecessor in that mailbox has been, and a job's done callback runs
 * only after all its events are out, so a session never sees UIDs out of
 * order and sees its own changes before its own tagged reply. Events
 * collected without a collector (ch NULL: index rebuilds, rescans while
 * opening a message) go to the store's orphan collector, published with
 * the next job.
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_log.h"

struct store_held {
	struct store_changes *ch; /* owned */
	worker_done_fn *done;
	void *arg; /* the caller's */
	uint64_t requester_id;
	struct store_held *next;
};

struct store_job {
	struct store *st; /* borrowed */
	store_work_fn *work;
	worker_done_fn *done;
	void *arg;
	struct store_changes *ch; /* owned until handed to the held list */
};

void
store_bus_msg_from(struct bus_msg *m, const struct store_index_entry *e)
{
	m->uid = e->uid;
	m->flags = e->flags & ~(uint32_t)STORE_FLAG_IN_NEW;
	m->keywords = e->keywords;
	m->modseq = e->modseq;
	m->size = e->size;
	m->internaldate = e->internaldate;
}

static struct store_changes *
store_changes_new(struct store *st)
{
	struct store_changes *ch = calloc(1, sizeof(*ch));

	if (ch != NULL)
		ch->st = st;
	return ch;
}

static void
store_change_free(struct store_change *c)
{
	store_mailbox_close(&c->mb);
	free(c->account);
	free(c->mailbox);
	free(c->new_name);
	free(c->msgs);
	if (c->keywords != NULL)
		store_names_free(c->keywords, c->ev.keyword_count);
	free(c);
}

static void
store_changes_free(struct store_changes **chp)
{
	struct store_changes *ch = *chp;

	if (ch == NULL)
		return;
	while (ch->head != NULL) {
		struct store_change *c = ch->head;

		ch->head = c->next;
		store_change_free(c);
	}
	store_names_free(ch->trim, ch->trim_count);
	free(ch);
	*chp = NULL;
}

void
store_changes_set_origin(struct store_changes *ch, uint64_t origin_id)
{
	if (ch != NULL)
		ch->origin_id = origin_id;
}

/* store_changes_link - append c to ch, or to the orphans when ch is NULL. */
static void
store_changes_link(struct store *st, struct store_changes *ch, struct store_change *c)
{
	bool is_orphan = ch == NULL;

	if (is_orphan) {
		pthread_mutex_lock(&st->lock);
		if (st->orphans == NULL)
			st->orphans = store_changes_new(st);
		ch = st->orphans;
	}
	if (ch == NULL) {
		/* Out of memory: the event is lost, sessions catch up at their next sync. */
		if (is_orphan)
			pthread_mutex_unlock(&st->lock);
		store_change_free(c);
		return;
	}
	c->ev.origin_id = ch->origin_id;
	/*
	 * The caller holds the mailbox lock: the sequence is the commit order.
	 * Taken only once the event is linked, so no sequence is ever skipped.
	 */
	if (c->mb != NULL)
		c->seq = ++c->mb->commit_seq;
	if (ch->tail != NULL)
		ch->tail->next = c;
	else
		ch->head = c;
	ch->tail = c;
	if (is_orphan)
		pthread_mutex_unlock(&st->lock);
}

static struct store_change *
store_change_new(
        const char *account, const char *mailbox, const char *new_name, enum bus_event_kind kind)
{
	struct store_change *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->account = strdup(account);
	c->mailbox = mailbox != NULL ? strdup(mailbox) : NULL;
	c->new_name = new_name != NULL ? strdup(new_name) : NULL;
	if (c->account == NULL || (mailbox != NULL && c->mailbox == NULL) ||
	        (new_name != NULL && c->new_name == NULL)) {
		store_change_free(c);
		return NULL;
	}
	c->ev.kind = kind;
	c->ev.account = c->account;
	c->ev.mailbox = c->mailbox;
	c->ev.new_name = c->new_name;
	return c;
}

void
store_changes_emit(struct store_changes *ch, struct store_mailbox *mb, enum bus_event_kind kind,
        const struct bus_msg *msgs, size_t count)
{
	struct store *st = mb->st;
	const struct store_index *idx = &mb->idx;
	struct store_change *c;

	if (st->bus == NULL)
		return;
	c = store_change_new(mb->account, mb->name, NULL, kind);
	if (c == NULL)
		return;
	c->msgs = count > 0 ? malloc(count * sizeof(*msgs)) : NULL;
	c->keywords = calloc(idx->keyword_count + 1, sizeof(char *));
	if ((count > 0 && c->msgs == NULL) || c->keywords == NULL) {
		store_change_free(c);
		return;
	}
	if (count > 0)
		memcpy(c->msgs, msgs, count * sizeof(*msgs));
	for (size_t i = 0; i < idx->keyword_count; i++)
		if ((c->keywords[c->ev.keyword_count] = strdup(idx->keywords[i])) != NULL)
			c->ev.keyword_count++;
	c->ev.msgs = c->msgs;
	c->ev.count = count;
	c->ev.keywords = (const char *const *)c->keywords;
	c->ev.uidvalidity = idx->uidvalidity;
	c->ev.uidnext = idx->uidnext;
	c->ev.highestmodseq = idx->highestmodseq;
	store_mailbox_ref(mb);
	c->mb = mb;
	store_changes_link(st, ch, c);
}

void
store_changes_emit_account(struct store *st, struct store_changes *ch, const char *account,
        const char *mailbox, const char *new_name, enum bus_event_kind kind)
{
	struct store_change *c;

	if (st->bus == NULL)
		return;
	c = store_change_new(account, mailbox, new_name, kind);
	if (c != NULL)
		store_changes_link(st, ch, c);
}

void
store_changes_request_trim(struct store_changes *ch, const char *account)
{
	char **v;

	if (ch == NULL)
		return;
	for (size_t i = 0; i < ch->trim_count; i++)
		if (strcmp(ch->trim[i], account) == 0)
			return;
	v = realloc(ch->trim, (ch->trim_count + 1) * sizeof(*v));
	if (v == NULL)
		return;
	ch->trim = v;
	if ((v[ch->trim_count] = strdup(account)) != NULL)
		ch->trim_count++;
}

/* store_publish_job - publish what is in order; true when every event is out. */
static bool
store_publish_job(struct store *st, struct store_held *h, bool *progressed)
{
	for (struct store_change *c = h->ch->head; c != NULL; c = c->next) {
		if (c->is_published)
			continue;
		if (c->mb != NULL && c->seq != c->mb->published_seq + 1)
			return false; /* an earlier commit of that mailbox is still on a worker */
		if (st->bus != NULL)
			bus_publish(st->bus, &c->ev);
		if (c->mb != NULL)
			c->mb->published_seq = c->seq;
		c->is_published = true;
		*progressed = true;
	}
	return true;
}

static void store_schedule_trims(struct store *st, const struct store_changes *ch);

/* store_held_add - queue a completed job (or the orphans) for ordered publication. */
static void
store_held_add(struct store *st, struct store_changes *ch, worker_done_fn *done, void *arg,
        uint64_t requester_id)
{
	struct store_held *h = calloc(1, sizeof(*h)), **pp;

	if (h == NULL) {
		/* Cannot wait: publish nothing (sessions resync later), answer the requester. */
		log_error("store: out of memory while publishing changes");
		store_changes_free(&ch);
		if (done != NULL)
			done(arg, requester_id);
		return;
	}
	h->ch = ch;
	h->done = done;
	h->arg = arg;
	h->requester_id = requester_id;
	for (pp = &st->held; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = h;
}

/* store_publish_progress - publish every event that is in order; finish complete jobs. */
static void
store_publish_progress(struct store *st)
{
	bool progressed = true;
	struct store_changes *orphans;

	if (st->is_publishing)
		return; /* the outer call loops until nothing moves */
	st->is_publishing = true;
	pthread_mutex_lock(&st->lock);
	orphans = st->orphans;
	st->orphans = NULL;
	pthread_mutex_unlock(&st->lock);
	if (orphans != NULL)
		store_held_add(st, orphans, NULL, NULL, 0);
	while (progressed) {
		progressed = false;
		for (struct store_held **pp = &st->held; *pp != NULL; pp = &(*pp)->next) {
			struct store_held *h = *pp;

			if (!store_publish_job(st, h, &progressed))
				continue;
			*pp = h->next;
			store_schedule_trims(st, h->ch);
			if (h->done != NULL)
				h->done(h->arg, h->requester_id);
			store_changes_free(&h->ch);
			free(h);
			progressed = true;
			break; /* done() may have changed the list: start over */
		}
	}
	st->is_publishing = false;
}

static void
store_job_work(void *arg)
{
	struct store_job *j = arg;

	j->work(j->st, j->arg, j->ch);
}

static void
store_job_done(void *arg, uint64_t requester_id)
{
	struct store_job *j = arg;
	struct store *st = j->st;

	store_held_add(st, j->ch, j->done, j->arg, requester_id);
	free(j);
	store_publish_progress(st);
}

int
store_submit(struct store *st, uint64_t requester_id, store_work_fn *work, worker_done_fn *done,
        void *arg)
{
	struct store_job *j = calloc(1, sizeof(*j));

	if (j == NULL || (j->ch = store_changes_new(st)) == NULL) {
		free(j);
		return -1;
	}
	j->st = st;
	j->work = work;
	j->done = done;
	j->arg = arg;
	j->ch->origin_id = requester_id;
	if (st->workers == NULL) {
		/* Tools and tests without a pool: run inline, complete at once. */
		store_job_work(j);
		store_job_done(j, requester_id);
		return 0;
	}
	if (worker_submit(st->workers, requester_id, store_job_work, store_job_done, j) < 0) {
		store_changes_free(&j->ch);
		free(j);
		return -1;
	}
	return 0;
}

/* ---- background quota trims (QUOTA-5) ---- */

struct store_trim_arg {
	struct store *st; /* borrowed */
	char *account;    /* owned */
};

static void
store_trim_work(struct store *st, void *arg, struct store_changes *ch)
{
	struct store_trim_arg *t = arg;
	long n = store_quota_trim(st, t->account, store_limit_of(st, t->account), ch);

	if (n > 0)
		log_info("quota trim removed %ld messages", n); /* LOG-3: a count only */
}

static void
store_trim_done(void *arg, uint64_t requester_id)
{
	struct store_trim_arg *t = arg;
	struct store *st = t->st;

	(void)requester_id;
	for (size_t i = 0; i < st->trimming_count; i++) {
		if (strcmp(st->trimming[i], t->account) == 0) {
			free(st->trimming[i]);
			st->trimming[i] = st->trimming[--st->trimming_count];
			break;
		}
	}
	free(t->account);
	free(t);
}

static void
store_schedule_trims(struct store *st, const struct store_changes *ch)
{
	for (size_t i = 0; i < ch->trim_count; i++) {
		const char *a = ch->trim[i];
		bool is_running = false;
		struct store_trim_arg *arg;
		char **v;

		for (size_t k = 0; k < st->trimming_count && !is_running; k++)
			is_running = strcmp(st->trimming[k], a) == 0;
		if (is_running)
			continue;
		v = realloc(st->trimming, (st->trimming_count + 1) * sizeof(*v));
		if (v == NULL)
			return;
		st->trimming = v;
		if ((v[st->trimming_count] = strdup(a)) == NULL)
			return;
		arg = calloc(1, sizeof(*arg));
		if (arg == NULL || (arg->account = strdup(a)) == NULL) {
			free(arg);
			free(v[st->trimming_count]);
			return;
		}
		arg->st = st;
		st->trimming_count++;
		if (store_submit(st, 0, store_trim_work, store_trim_done, arg) < 0) {
			free(arg->account);
			free(arg);
			free(st->trimming[--st->trimming_count]);
		}
	}
}

void
store_changes_shutdown(struct store *st)
{
	store_changes_free(&st->orphans);
	while (st->held != NULL) {
		struct store_held *h = st->held;

		/* Only reachable when a job is still waiting at shutdown: answer it. */
		st->held = h->next;
		if (h->done != NULL)
			h->done(h->arg, h->requester_id);
		store_changes_free(&h->ch);
		free(h);
	}
}
