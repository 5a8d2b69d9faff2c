/* threadpool.h - persistent worker threads for one context (owned by lib/threadpool.c).
 *
 * Created once per context; workers spin briefly, then sleep, between jobs.
 * tp_parallel_for() runs fn(arg, task, thread) for every task in [0, n_tasks)
 * exactly once, on the caller plus the workers, and returns when all are done.
 * Tasks are handed out dynamically (an atomic counter), so which thread runs a
 * task must never change its result: callers make each task's output depend
 * only on the task index (determinism, CONVENTIONS §5).
 */
#ifndef HEARTH_THREADPOOL_H
#define HEARTH_THREADPOOL_H

#include "internal.h"

typedef struct threadpool threadpool;

/* fn is called with the task index and the id (0..n_threads-1) of the thread
 * running it, so that a task can use per-thread scratch. */
typedef void (*tp_task_fn)(void *arg, int64_t task, int thread);

/* n_threads >= 1 (1 = no workers: everything runs on the caller). */
hearth_status tp_create(threadpool **out, int n_threads, bool pin_threads, hearth_errbuf *err);
void tp_free(threadpool *tp); /* NULL is a no-op */
int tp_n_threads(const threadpool *tp);
void tp_parallel_for(threadpool *tp, int64_t n_tasks, tp_task_fn fn, void *arg);

/* Physical cores of this machine (hwloc; fallback: online CPUs), at least 1. */
int tp_default_threads(void);

#endif /* HEARTH_THREADPOOL_H */
