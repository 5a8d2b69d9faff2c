/* threadpool.c - persistent worker threads for one context (interface: threadpool.h).
 *
 * One job at a time: the caller publishes (fn, arg, n_tasks) and a new epoch,
 * then works through the tasks itself alongside the workers. Each thread owns
 * a contiguous range of the tasks and runs it front to back, so that a matmul
 * streams its share of the weights as one sequential run (measured: dynamic
 * claiming from one shared counter, which interleaves the two threads' rows,
 * read 15 % slower at 2 threads here). A thread that runs out steals from the
 * back of the others' ranges, so a slow or descheduled core never holds the
 * job up. A range is one atomic word (epoch, front, back): a claim can only
 * succeed for the job it was meant for. The caller waits only until every
 * task has finished, never for a worker that did not show up.
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

/* Units of work per job that a range word can count (16 bits each end). */
enum { MAX_UNITS = 0xffff };

typedef struct task_range {
    _Alignas(64) atomic_uint_fast64_t word;
} task_range;

/* The atomics each get their own cache line: workers hammer `next_task` while
 * they poll the epoch, and false sharing between them would cost more than
 * the work of a small job. */
struct threadpool {
    int n_threads;   /* caller + workers */
    pthread_t *workers; /* n_threads - 1 */
    int n_started;   /* workers actually created (for cleanup on failure) */

    /* The job's epoch: workers poll it (the low 32 bits are unused). */
    _Alignas(64) atomic_uint_fast64_t claim;
    _Alignas(64) atomic_int_fast64_t n_done; /* tasks of this job finished */
    _Alignas(64) atomic_int n_sleeping;           /* workers blocked on `wake` */
    atomic_int caller_sleeping;                   /* caller blocked on `done` */
    atomic_bool stop;

    /* The job; written by the caller before the epoch bump. Atomic because a
     * late worker may still read them while the next job is being written; its
     * claim then fails on the epoch, so it never runs a torn job. */
    _Atomic(tp_task_fn) fn;
    _Atomic(void *) arg;
    atomic_int_fast64_t n_tasks;

    pthread_mutex_t lock;
    pthread_cond_t wake; /* workers wait here for a new epoch or stop */
    pthread_cond_t done; /* the caller waits here for n_done == n_tasks */

    /* The job's tasks are grouped into at most MAX_UNITS claim units of
     * `unit` consecutive tasks (1 for every job hearth runs today). */
    atomic_int_fast64_t unit;
    /* ranges[t]: thread t's units, (epoch << 32) | (front << 16) | back. */
    task_range *ranges;

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

static inline uint32_t epoch_of(uint_fast64_t claim) { return (uint32_t)(claim >> 32); }

static inline uint_fast64_t range_word(uint32_t epoch, uint32_t front, uint32_t back) {
    return (uint_fast64_t)epoch << 32 | (uint_fast64_t)front << 16 | back;
}

/* Claims one unit of job `epoch` from range r: the front one for its owner,
 * the back one for a thief. Returns the unit, or -1 when the range is empty
 * or belongs to another job. */
static int64_t claim_unit(task_range *r, uint32_t epoch, bool from_back) {
    uint_fast64_t w = atomic_load_explicit(&r->word, memory_order_acquire);
    for (;;) {
        const uint32_t front = (uint32_t)(w >> 16) & 0xffff, back = (uint32_t)w & 0xffff;
        if (epoch_of(w) != epoch || front >= back)
            return -1;
        const uint_fast64_t next =
            from_back ? range_word(epoch, front, back - 1) : range_word(epoch, front + 1, back);
        if (atomic_compare_exchange_weak_explicit(&r->word, &w, next, memory_order_acq_rel,
                                                  memory_order_acquire))
            return from_back ? (int64_t)back - 1 : (int64_t)front;
    }
}

/* Runs the tasks of one unit; returns how many. */
static int64_t run_unit(tp_task_fn fn, void *arg, int64_t unit, int64_t n, int64_t u,
                        int thread) {
    const int64_t t0 = u * unit, t1 = t0 + unit < n ? t0 + unit : n;
    for (int64_t task = t0; task < t1; task++)
        fn(arg, task, thread);
    return t1 - t0;
}

/* Runs units of job `epoch`: this thread's own range front to back, then the
 * others' from their backs, until none are left (or the job is already over,
 * for a worker that woke late). The finished tasks are counted once at the
 * end, not per unit: n_done is the one line every thread writes, and adding
 * to it per unit bounced it between the cores dozens of times per matmul.
 * The thread that completes the job wakes a sleeping caller. */
static void run_tasks(threadpool *tp, uint32_t epoch, int thread) {
    tp_task_fn fn = atomic_load_explicit(&tp->fn, memory_order_relaxed);
    void *arg = atomic_load_explicit(&tp->arg, memory_order_relaxed);
    const int64_t n = atomic_load_explicit(&tp->n_tasks, memory_order_relaxed);
    const int64_t unit = atomic_load_explicit(&tp->unit, memory_order_relaxed);
    int64_t u, done = 0;
    while ((u = claim_unit(&tp->ranges[thread], epoch, false)) >= 0)
        done += run_unit(fn, arg, unit, n, u, thread);
    for (int k = 1; k < tp->n_threads; k++) {
        task_range *victim = &tp->ranges[(thread + k) % tp->n_threads];
        while ((u = claim_unit(victim, epoch, true)) >= 0)
            done += run_unit(fn, arg, unit, n, u, thread);
    }
    if (done == 0)
        return;
    /* seq_cst on both sides (here and the caller's caller_sleeping store) so
     * that either it sees the count or we see it sleeping. */
    if (atomic_fetch_add(&tp->n_done, done) + done == n && thread != 0 &&
        atomic_load(&tp->caller_sleeping)) {
        pthread_mutex_lock(&tp->lock);
        pthread_cond_signal(&tp->done);
        pthread_mutex_unlock(&tp->lock);
    }
}

/* Blocks until the epoch differs from `seen` or the pool stops; returns the
 * new epoch. Spins first, then sleeps (Dekker pattern with n_sleeping: either
 * the caller sees us sleeping, or we see its new epoch). */
static uint32_t wait_for_job(threadpool *tp, uint32_t seen) {
    for (int i = 0; i < SPIN_WAIT_ITERS; i++) {
        uint32_t e = epoch_of(atomic_load_explicit(&tp->claim, memory_order_acquire));
        if (e != seen || atomic_load_explicit(&tp->stop, memory_order_acquire))
            return e;
        cpu_relax();
    }
    pthread_mutex_lock(&tp->lock);
    atomic_fetch_add(&tp->n_sleeping, 1); /* seq_cst: pairs with the caller's bump */
    uint32_t e;
    while ((e = epoch_of(atomic_load(&tp->claim))) == seen && !atomic_load(&tp->stop))
        pthread_cond_wait(&tp->wake, &tp->lock);
    atomic_fetch_sub(&tp->n_sleeping, 1);
    pthread_mutex_unlock(&tp->lock);
    return e;
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
    uint32_t seen = 0;
    for (;;) {
        seen = wait_for_job(tp, seen);
        if (atomic_load_explicit(&tp->stop, memory_order_acquire))
            break;
        run_tasks(tp, seen, start.index);
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
    free(tp->ranges);
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
    atomic_init(&tp->claim, 0);
    atomic_init(&tp->n_done, 0);
    atomic_init(&tp->fn, NULL);
    atomic_init(&tp->arg, NULL);
    atomic_init(&tp->n_tasks, 0);
    atomic_init(&tp->unit, 1);
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
    tp->ranges = aligned_alloc(64, sizeof *tp->ranges * (size_t)n_threads);
    if (tp->ranges)
        for (int t = 0; t < n_threads; t++)
            atomic_init(&tp->ranges[t].word, 0);
    if (n_threads > 1 || !tp->ranges) {
        tp->workers = n_threads > 1 ? calloc((size_t)n_threads - 1, sizeof *tp->workers) : NULL;
        if (!tp->workers || !tp->ranges) {
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
    /* Every task of the previous job has finished, so no worker can claim
     * anything until the range words below carry the new epoch. */
    const int64_t unit = (n_tasks + MAX_UNITS - 1) / MAX_UNITS;
    const int64_t n_units = (n_tasks + unit - 1) / unit;
    atomic_store_explicit(&tp->fn, fn, memory_order_relaxed);
    atomic_store_explicit(&tp->arg, arg, memory_order_relaxed);
    atomic_store_explicit(&tp->n_tasks, n_tasks, memory_order_relaxed);
    atomic_store_explicit(&tp->unit, unit, memory_order_relaxed);
    atomic_store_explicit(&tp->n_done, 0, memory_order_relaxed);
    uint32_t epoch = epoch_of(atomic_load_explicit(&tp->claim, memory_order_relaxed)) + 1;
    for (int t = 0; t < tp->n_threads; t++) { /* contiguous shares, in thread order */
        const int64_t front = n_units * t / tp->n_threads;
        const int64_t back = n_units * (t + 1) / tp->n_threads;
        atomic_store_explicit(&tp->ranges[t].word,
                              range_word(epoch, (uint32_t)front, (uint32_t)back),
                              memory_order_relaxed);
    }
    /* seq_cst publish, then the sleeper check (pairs with wait_for_job). */
    atomic_store(&tp->claim, (uint_fast64_t)epoch << 32);
    if (atomic_load(&tp->n_sleeping) > 0) {
        pthread_mutex_lock(&tp->lock);
        pthread_cond_broadcast(&tp->wake);
        pthread_mutex_unlock(&tp->lock);
    }

    run_tasks(tp, epoch, 0);

    /* Wait for tasks other threads claimed: spin while they are likely
     * finishing, then sleep (oversubscribed pools must not burn the CPU they
     * need). */
    for (int i = 0; i < SPIN_WAIT_ITERS; i++) {
        if (atomic_load_explicit(&tp->n_done, memory_order_acquire) == n_tasks)
            return;
        cpu_relax();
    }
    pthread_mutex_lock(&tp->lock);
    atomic_store(&tp->caller_sleeping, 1);
    while (atomic_load(&tp->n_done) != n_tasks)
        pthread_cond_wait(&tp->done, &tp->lock);
    atomic_store(&tp->caller_sleeping, 0);
    pthread_mutex_unlock(&tp->lock);
}
