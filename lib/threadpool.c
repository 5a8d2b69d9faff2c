/* threadpool.c - persistent worker threads for one context (interface: threadpool.h).
 *
 * One job at a time: the caller publishes (fn, arg, n_tasks), bumps a generation
 * counter, works through the tasks itself alongside the workers (tasks are taken
 * from one atomic counter, so a slow or descheduled thread never stalls the
 * others), then waits until every worker has checked out of that generation.
 * Idle workers spin for a few microseconds (a forward pass issues jobs back to
 * back) and then sleep on a condition variable, so an idle pool costs no CPU.
 * Topology (physical cores, pinning) comes from hwloc when the build has it.
 */
#include <pthread.h> /* pthread_*, cond, mutex */
#include <sched.h>   /* sched_getaffinity, sched_yield, CPU_* */
#include <stdatomic.h>
#include <stdlib.h> /* calloc, free */
#include <unistd.h> /* sysconf */

#ifdef HEARTH_HAVE_HWLOC
#include <hwloc.h>
#endif

#include "threadpool.h"

/* Spin iterations before a worker sleeps (each is one pause, ~10-40 ns on
 * current x86): about 50-100 us, longer than the serial gaps between the jobs
 * of one forward pass, far shorter than the gap between user calls. */
enum { SPIN_WAIT_ITERS = 4096 };

/* The atomics each get their own cache line: workers hammer `next_task` while
 * they poll `generation`, and false sharing between them would cost more than
 * the work of a small job. */
struct threadpool {
    int n_threads;   /* caller + workers */
    pthread_t *workers; /* n_threads - 1 */
    int n_started;   /* workers actually created (for cleanup on failure) */

    _Alignas(64) atomic_uint_fast64_t generation; /* bumped once per job; workers poll it */
    _Alignas(64) atomic_int_fast64_t next_task;   /* next task index to hand out */
    _Alignas(64) atomic_int pending;              /* workers not yet done with this job */
    _Alignas(64) atomic_int n_sleeping;           /* workers blocked on `wake` */
    atomic_int caller_sleeping;                   /* caller blocked on `done` */
    atomic_bool stop;

    /* The job; written by the caller before the generation bump (release),
     * read by workers after they observe it (acquire). */
    tp_task_fn fn;
    void *arg;
    int64_t n_tasks;

    pthread_mutex_t lock;
    pthread_cond_t wake; /* workers wait here for a new generation or stop */
    pthread_cond_t done; /* the caller waits here for pending == 0 */

    bool pin_threads;
    int n_cpus;        /* entries in cpu_of_thread */
    int *cpu_of_thread; /* pinning target per worker index (1..), or NULL */
};

typedef struct worker_start {
    threadpool *tp;
    int index; /* 1..n_threads-1 */
} worker_start;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Hands out tasks until none are left. */
static void run_tasks(threadpool *tp, int thread) {
    const int64_t n = tp->n_tasks;
    tp_task_fn fn = tp->fn;
    void *arg = tp->arg;
    for (;;) {
        int64_t task = atomic_fetch_add_explicit(&tp->next_task, 1, memory_order_relaxed);
        if (task >= n)
            break;
        fn(arg, task, thread);
    }
}

/* Blocks until the generation differs from `seen` or the pool stops; returns
 * the new generation. Spins first, then sleeps (Dekker pattern with
 * n_sleeping: either the caller sees us sleeping, or we see its new value). */
static uint_fast64_t wait_for_job(threadpool *tp, uint_fast64_t seen) {
    for (int i = 0; i < SPIN_WAIT_ITERS; i++) {
        uint_fast64_t g = atomic_load_explicit(&tp->generation, memory_order_acquire);
        if (g != seen || atomic_load_explicit(&tp->stop, memory_order_acquire))
            return g;
        cpu_relax();
    }
    pthread_mutex_lock(&tp->lock);
    atomic_fetch_add(&tp->n_sleeping, 1); /* seq_cst: pairs with the caller's bump */
    uint_fast64_t g;
    while ((g = atomic_load(&tp->generation)) == seen && !atomic_load(&tp->stop))
        pthread_cond_wait(&tp->wake, &tp->lock);
    atomic_fetch_sub(&tp->n_sleeping, 1);
    pthread_mutex_unlock(&tp->lock);
    return g;
}

static void pin_current_thread(const threadpool *tp, int index) {
    if (!tp->pin_threads || !tp->cpu_of_thread || tp->n_cpus <= 0)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(tp->cpu_of_thread[index % tp->n_cpus], &set);
    /* Best effort: a refused affinity (cgroup, container) only costs speed. */
    (void)pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static void *worker_main(void *p) {
    worker_start start = *(worker_start *)p;
    free(p);
    threadpool *tp = start.tp;
    pin_current_thread(tp, start.index);
    uint_fast64_t seen = 0;
    for (;;) {
        seen = wait_for_job(tp, seen);
        if (atomic_load_explicit(&tp->stop, memory_order_acquire))
            break;
        run_tasks(tp, start.index);
        /* Our last touch of the job: after this the caller may post the next. */
        if (atomic_fetch_sub(&tp->pending, 1) == 1 && atomic_load(&tp->caller_sleeping)) {
            pthread_mutex_lock(&tp->lock);
            pthread_cond_signal(&tp->done);
            pthread_mutex_unlock(&tp->lock);
        }
    }
    return NULL;
}

/* ---- Topology ------------------------------------------------------------ */

/* CPUs this process may run on, in order; returns how many (0 if unknown). */
static int allowed_cpus(int *cpus, int max) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 0;
    int n = 0;
    for (int c = 0; c < CPU_SETSIZE && n < max; c++)
        if (CPU_ISSET(c, &set))
            cpus[n++] = c;
    return n;
}

#ifdef HEARTH_HAVE_HWLOC
/* One CPU per physical core (the first allowed PU of each), so that pinned
 * threads never share a core with an SMT sibling; returns how many. */
static int hwloc_core_cpus(int *cpus, int max) {
    hwloc_topology_t topo;
    if (hwloc_topology_init(&topo) != 0)
        return 0;
    int n = 0;
    if (hwloc_topology_load(topo) == 0) {
        int n_cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
        for (int i = 0; i < n_cores && n < max; i++) {
            hwloc_obj_t core = hwloc_get_obj_by_type(topo, HWLOC_OBJ_CORE, (unsigned)i);
            if (!core || !core->cpuset)
                continue;
            int pu = hwloc_bitmap_first(core->cpuset);
            if (pu >= 0)
                cpus[n++] = pu;
        }
    }
    hwloc_topology_destroy(topo);
    return n;
}
#endif

/* Physical-core CPUs when hwloc knows them, else every allowed CPU. */
static int core_cpus(int *cpus, int max) {
    int n = 0;
#ifdef HEARTH_HAVE_HWLOC
    n = hwloc_core_cpus(cpus, max);
#endif
    if (n <= 0)
        n = allowed_cpus(cpus, max);
    return n;
}

int tp_default_threads(void) {
    int n = 0;
#ifdef HEARTH_HAVE_HWLOC
    int cpus[CPU_SETSIZE];
    n = hwloc_core_cpus(cpus, CPU_SETSIZE);
#endif
    if (n <= 0) {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        n = online > 0 ? (int)online : 1;
    }
    return n;
}

/* ---- Pool ---------------------------------------------------------------- */

static void stop_workers(threadpool *tp) {
    pthread_mutex_lock(&tp->lock);
    atomic_store(&tp->stop, true);
    pthread_cond_broadcast(&tp->wake);
    pthread_mutex_unlock(&tp->lock);
    for (int i = 0; i < tp->n_started; i++)
        pthread_join(tp->workers[i], NULL);
    tp->n_started = 0;
}

void tp_free(threadpool *tp) {
    if (!tp)
        return;
    stop_workers(tp);
    pthread_cond_destroy(&tp->done);
    pthread_cond_destroy(&tp->wake);
    pthread_mutex_destroy(&tp->lock);
    free(tp->workers);
    free(tp->cpu_of_thread);
    free(tp);
}

hearth_status tp_create(threadpool **out, int n_threads, bool pin_threads, hearth_errbuf *err) {
    *out = NULL;
    if (n_threads < 1)
        return hearth_fail(err, HEARTH_ERR_INVALID_ARG, "thread count %d: expected >= 1",
                           n_threads);
    threadpool *tp = calloc(1, sizeof *tp);
    if (!tp)
        return hearth_fail(err, HEARTH_ERR_NOMEM, "thread pool: out of memory");
    tp->n_threads = n_threads;
    tp->pin_threads = pin_threads;
    atomic_init(&tp->generation, 0);
    atomic_init(&tp->next_task, 0);
    atomic_init(&tp->pending, 0);
    atomic_init(&tp->n_sleeping, 0);
    atomic_init(&tp->caller_sleeping, 0);
    atomic_init(&tp->stop, false);
    pthread_mutex_init(&tp->lock, NULL);
    pthread_cond_init(&tp->wake, NULL);
    pthread_cond_init(&tp->done, NULL);

    if (pin_threads) {
        int cpus[CPU_SETSIZE];
        int n = core_cpus(cpus, CPU_SETSIZE);
        tp->cpu_of_thread = n > 0 ? malloc((size_t)n * sizeof(int)) : NULL;
        if (tp->cpu_of_thread) {
            for (int i = 0; i < n; i++)
                tp->cpu_of_thread[i] = cpus[i];
            tp->n_cpus = n;
        }
    }
    if (n_threads > 1) {
        tp->workers = calloc((size_t)n_threads - 1, sizeof *tp->workers);
        if (!tp->workers) {
            tp_free(tp);
            return hearth_fail(err, HEARTH_ERR_NOMEM, "thread pool: out of memory");
        }
    }
    for (int i = 1; i < n_threads; i++) {
        worker_start *start = malloc(sizeof *start);
        int rc = start ? 0 : -1;
        if (start) {
            start->tp = tp;
            start->index = i;
            rc = pthread_create(&tp->workers[tp->n_started], NULL, worker_main, start);
            if (rc != 0)
                free(start);
        }
        if (rc != 0) {
            tp_free(tp);
            return hearth_fail(err, HEARTH_ERR_NOMEM,
                               "thread pool: cannot start worker %d of %d", i, n_threads - 1);
        }
        tp->n_started++;
    }
    *out = tp;
    return HEARTH_OK;
}

int tp_n_threads(const threadpool *tp) { return tp->n_threads; }

void tp_parallel_for(threadpool *tp, int64_t n_tasks, tp_task_fn fn, void *arg) {
    if (n_tasks <= 0)
        return;
    /* A job of one task, or a pool of one thread: no handoff at all. */
    if (tp->n_threads == 1 || n_tasks == 1) {
        for (int64_t i = 0; i < n_tasks; i++)
            fn(arg, i, 0);
        return;
    }
    tp->fn = fn;
    tp->arg = arg;
    tp->n_tasks = n_tasks;
    atomic_store_explicit(&tp->next_task, 0, memory_order_relaxed);
    atomic_store_explicit(&tp->pending, tp->n_threads - 1, memory_order_relaxed);
    /* seq_cst bump, then the sleeper check (pairs with wait_for_job). */
    atomic_fetch_add(&tp->generation, 1);
    if (atomic_load(&tp->n_sleeping) > 0) {
        pthread_mutex_lock(&tp->lock);
        pthread_cond_broadcast(&tp->wake);
        pthread_mutex_unlock(&tp->lock);
    }

    run_tasks(tp, 0);

    /* Wait for the workers: spin while they are likely finishing their last
     * task, then sleep (oversubscribed pools must not burn the CPU they need). */
    for (int i = 0; i < SPIN_WAIT_ITERS; i++) {
        if (atomic_load_explicit(&tp->pending, memory_order_acquire) == 0)
            return;
        cpu_relax();
    }
    pthread_mutex_lock(&tp->lock);
    atomic_store(&tp->caller_sleeping, 1);
    while (atomic_load(&tp->pending) != 0)
        pthread_cond_wait(&tp->done, &tp->lock);
    atomic_store(&tp->caller_sleeping, 0);
    pthread_mutex_unlock(&tp->lock);
}
