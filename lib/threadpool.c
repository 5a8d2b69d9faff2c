/* threadpool.c - placeholder pool that runs every task on the calling thread.
 * TODO(#6): persistent workers, hwloc topology, pinning.
 */
#include <stdlib.h> /* calloc, free */
#include <unistd.h> /* sysconf */

#include "threadpool.h"

struct threadpool {
    int n_threads;
};

hearth_status tp_create(threadpool **out, int n_threads, bool pin_threads, hearth_errbuf *err) {
    *out = NULL;
    if (n_threads < 1)
        return hearth_fail(err, HEARTH_ERR_INVALID_ARG, "thread count %d: expected >= 1", n_threads);
    threadpool *tp = calloc(1, sizeof *tp);
    if (!tp)
        return hearth_fail(err, HEARTH_ERR_NOMEM, "thread pool: out of memory");
    tp->n_threads = 1;
    *out = tp;
    return HEARTH_OK;
}

void tp_free(threadpool *tp) { free(tp); }

int tp_n_threads(const threadpool *tp) { return tp->n_threads; }

void tp_parallel_for(threadpool *tp, int64_t n_tasks, tp_task_fn fn, void *arg) {
    for (int64_t i = 0; i < n_tasks; i++)
        fn(arg, i, 0);
}

int tp_default_threads(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}
