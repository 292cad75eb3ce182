/*
 * net_worker.c - a fixed pool of threads with a FIFO job queue and a
 * completion queue drained on the loop thread through an eventfd.
 *
 * When the pool falls idle after a burst it hands free heap pages back to
 * the OS (malloc_trim): the workers' arenas keep the peak of transient
 * allocations (mailbox snapshots of a login storm) otherwise, and that
 * shows up as resident memory of every idle session (issue 9).
 */
#include "net/net_worker.h"

#include <errno.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "core/core_limits.h"
#include "core/core_log.h"
#include "core/core_time.h"

struct worker_job {
	uint64_t requester_id;
	worker_work_fn *work;
	worker_done_fn *done;
	void *arg;
	struct worker_job *next;
};

struct worker_queue {
	struct worker_job *head, *tail;
};

struct worker_pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct worker_queue jobs;     /* protected by lock */
	struct worker_queue finished; /* protected by lock */
	bool is_stopping;             /* protected by lock */
	unsigned pending;             /* loop thread only */
	int efd;
	struct event *ev; /* owned */
	struct event *trim_ev; /* owned: malloc_trim once idle (loop thread) */
	int64_t last_trim_ms;  /* monotonic, loop thread only; 0 never */
	unsigned trims;        /* loop thread only */
	pthread_t *threads; /* owned */
	int nthreads;
};

static void
worker_queue_push(struct worker_queue *q, struct worker_job *j)
{
	j->next = NULL;
	if (q->tail != NULL)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
}

static struct worker_job *
worker_queue_take_all(struct worker_queue *q)
{
	struct worker_job *j = q->head;

	q->head = q->tail = NULL;
	return j;
}

static void *
worker_thread_main(void *arg)
{
	struct worker_pool *p = arg;
	const uint64_t one = 1;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct worker_job *j;

		while (p->jobs.head == NULL && !p->is_stopping)
			pthread_cond_wait(&p->cond, &p->lock);
		j = p->jobs.head;
		if (j == NULL)
			break;
		p->jobs.head = j->next;
		if (p->jobs.head == NULL)
			p->jobs.tail = NULL;
		pthread_mutex_unlock(&p->lock);
		j->work(j->arg);
		pthread_mutex_lock(&p->lock);
		worker_queue_push(&p->finished, j);
		if (write(p->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			log_error("worker: cannot signal completion");
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* worker_trim_cb - still idle: give free heap pages back. */
static void
worker_trim_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker_pool *p = arg;

	(void)fd;
	(void)what;
	if (p->pending > 0)
		return; /* busy again: the next idle moment re-arms */
	p->last_trim_ms = core_monotonic_ms();
	p->trims++;
#ifdef __GLIBC__
	(void)malloc_trim(0);
#endif
}

/* worker_trim_arm - the pool fell idle: trim after the quiet time, not more often than the interval. */
static void
worker_trim_arm(struct worker_pool *p)
{
	const int64_t quiet = (int64_t)WORKER_TRIM_QUIET_SECS * 1000;
	const int64_t interval = (int64_t)WORKER_TRIM_INTERVAL_SECS * 1000;
	int64_t wait = quiet, since;
	struct timeval tv;

	if (p->trim_ev == NULL || evtimer_pending(p->trim_ev, NULL))
		return;
	since = core_monotonic_ms() - p->last_trim_ms;
	if (p->last_trim_ms != 0 && interval - since > wait)
		wait = interval - since;
	tv.tv_sec = (time_t)(wait / 1000);
	tv.tv_usec = (suseconds_t)(wait % 1000 * 1000);
	evtimer_add(p->trim_ev, &tv);
}

/* worker_run_completions - on the loop: every finished job's done callback. */
static void
worker_run_completions(struct worker_pool *p)
{
	struct worker_job *j;

	pthread_mutex_lock(&p->lock);
	j = worker_queue_take_all(&p->finished);
	pthread_mutex_unlock(&p->lock);
	while (j != NULL) {
		struct worker_job *next = j->next;

		if (j->done != NULL)
			j->done(j->arg, j->requester_id);
		p->pending--;
		free(j);
		j = next;
	}
	if (p->pending == 0)
		worker_trim_arm(p);
}

static void
worker_event_cb(evutil_socket_t fd, short what, void *arg)
{
	uint64_t n;

	(void)what;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_error("worker: eventfd read failed");
	worker_run_completions(arg);
}

struct worker_pool *
worker_pool_new(struct event_base *base, int threads)
{
	struct worker_pool *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	if (threads < 1)
		threads = 1;
	if (threads > WORKER_THREADS_MAX)
		threads = WORKER_THREADS_MAX;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	p->threads = calloc((size_t)threads, sizeof(*p->threads));
	if (p->efd < 0 || p->threads == NULL)
		goto fail;
	p->ev = event_new(base, p->efd, EV_READ | EV_PERSIST, worker_event_cb, p);
	if (p->ev == NULL || event_add(p->ev, NULL) < 0)
		goto fail;
	p->trim_ev = evtimer_new(base, worker_trim_cb, p);
	if (p->trim_ev == NULL)
		goto fail;
	for (; p->nthreads < threads; p->nthreads++)
		if (pthread_create(&p->threads[p->nthreads], NULL, worker_thread_main, p) != 0)
			goto fail;
	return p;
fail:
	worker_pool_free(&p);
	return NULL;
}

int
worker_submit(struct worker_pool *p, uint64_t requester_id, worker_work_fn *work,
	worker_done_fn *done, void *arg)
{
	struct worker_job *j = malloc(sizeof(*j));

	if (j == NULL)
		return -1;
	j->requester_id = requester_id;
	j->work = work;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&p->lock);
	if (p->is_stopping) {
		pthread_mutex_unlock(&p->lock);
		free(j);
		return -1;
	}
	worker_queue_push(&p->jobs, j);
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	p->pending++;
	return 0;
}

unsigned
worker_pool_pending(const struct worker_pool *p)
{
	return p->pending;
}

unsigned
worker_pool_trims(const struct worker_pool *p)
{
	return p->trims;
}

void
worker_pool_stop(struct worker_pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->is_stopping = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

void
worker_pool_free(struct worker_pool **pp)
{
	struct worker_pool *p = *pp;

	if (p == NULL)
		return;
	worker_pool_stop(p);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	/* Queued jobs were run by the exiting threads; deliver their completions. */
	worker_run_completions(p);
	if (p->ev != NULL)
		event_free(p->ev);
	if (p->trim_ev != NULL)
		event_free(p->trim_ev);
	if (p->efd >= 0)
		close(p->efd);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p->threads);
	free(p);
	*pp = NULL;
}
