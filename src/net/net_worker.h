/*
 * net_worker.h - the worker pool (GEN-4, ARCHITECTURE "Threads").
 *
 * Blocking work (fsync, crypt, SQLite writes, directory scans) runs here.
 * A job carries the 64-bit id of whoever asked. Its completion runs on the
 * loop thread and receives that id back; the completion looks the requester
 * up by id (the session may be gone) and must free the job's arg either way.
 *
 * worker_submit() is called from the loop thread; work functions must not
 * touch loop-owned state.
 */
#ifndef CHATRELAY_NET_WORKER_H
#define CHATRELAY_NET_WORKER_H

#include <stdint.h>

struct event_base;
struct worker_pool;

typedef void worker_work_fn(void *arg);
typedef void worker_done_fn(void *arg, uint64_t requester_id);

/* worker_pool_new - start threads (1..64) posting completions to base. NULL on failure. */
struct worker_pool *worker_pool_new(struct event_base *base, int threads);

/*
 * worker_submit - queue work(arg) on a worker, then done(arg, requester_id)
 * on the loop. done may be NULL. Returns 0, or -1 (out of memory / shutting
 * down) in which case nothing runs and arg stays the caller's.
 */
int worker_submit(struct worker_pool *p, uint64_t requester_id, worker_work_fn *work,
	worker_done_fn *done, void *arg);

/* worker_pool_pending - jobs queued or running or awaiting completion. */
unsigned worker_pool_pending(const struct worker_pool *p);

/*
 * worker_pool_stop - refuse new jobs from now on (worker_submit fails); the
 * queued ones still run. Lets several pools stop together before any is
 * freed, so a completion of one never submits into another already gone.
 */
void worker_pool_stop(struct worker_pool *p);

/* worker_pool_trims - how often idle memory was handed back (malloc_trim), for tests. */
unsigned worker_pool_trims(const struct worker_pool *p);

/* worker_pool_free - finish queued jobs, run their completions, join threads. */
void worker_pool_free(struct worker_pool **pp);

#endif
