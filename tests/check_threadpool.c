/* check_threadpool.c - the thread pool runs every task exactly once, on a valid
 * thread id, never two tasks at once on one id, with results visible to the
 * caller; across many task counts, thread counts (1, 2, 3, 7, more than the
 * cores), repeated jobs and create/free cycles; idle workers sleep. Run it under
 * `make test SANITIZE=thread` as well: TSan checks the memory ordering.
 */
#include <check.h>
#include <sched.h>     /* sched_getaffinity */
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>      /* clock_gettime, nanosleep */
#include <unistd.h>    /* sysconf */

#include "lib/threadpool.h"

enum { MAX_TASKS = 5000, MAX_THREADS = 16 };

typedef struct count_job {
    atomic_int hits[MAX_TASKS];   /* times each task ran */
    int64_t value[MAX_TASKS];     /* plain writes; read by the caller after the job */
    atomic_int busy[MAX_THREADS]; /* 1 while a task runs on that thread id */
    atomic_int bad_thread;        /* a task saw an id out of range or already busy */
    int n_threads;
    int64_t salt;
} count_job;

/* An LCG walk of task-dependent length: uneven work, so that threads interleave. */
static int64_t expected_value(int64_t task, int64_t salt) {
    uint64_t v = (uint64_t)task * 7919u + (uint64_t)salt;
    for (int i = 0; i < (int)(task % 13); i++)
        v = v * 6364136223846793005ull + 1442695040888963407ull;
    return (int64_t)(v >> 1);
}

static void count_task(void *arg, int64_t task, int thread) {
    count_job *job = arg;
    if (thread < 0 || thread >= job->n_threads) {
        atomic_store(&job->bad_thread, 1);
        return;
    }
    if (atomic_exchange(&job->busy[thread], 1) != 0)
        atomic_store(&job->bad_thread, 1);
    atomic_fetch_add(&job->hits[task], 1);
    job->value[task] = expected_value(task, job->salt);
    atomic_store(&job->busy[thread], 0);
}


/* Runs one job of n_tasks on tp and checks every task ran once with its result. */
static void run_and_check(threadpool *tp, count_job *job, int64_t n_tasks, int64_t salt) {
    for (int64_t i = 0; i < n_tasks; i++)
        atomic_store(&job->hits[i], 0);
    job->n_threads = tp_n_threads(tp);
    job->salt = salt;
    atomic_store(&job->bad_thread, 0);
    tp_parallel_for(tp, n_tasks, count_task, job);
    ck_assert_int_eq(atomic_load(&job->bad_thread), 0);
    for (int64_t i = 0; i < n_tasks; i++) {
        ck_assert_msg(atomic_load(&job->hits[i]) == 1, "task %lld of %lld ran %d times",
                      (long long)i, (long long)n_tasks, atomic_load(&job->hits[i]));
        ck_assert_msg(job->value[i] == expected_value(i, salt), "task %lld: wrong result",
                      (long long)i);
    }
}

static const int64_t task_counts[] = {0, 1, 2, 3, 5, 7, 8, 31, 64, 100, 257, 1000, MAX_TASKS};

static void every_task_once_at(int n_threads) {
    threadpool *tp = NULL;
    hearth_errbuf err = {{0}};
    ck_assert_int_eq(tp_create(&tp, n_threads, false, &err), HEARTH_OK);
    ck_assert_int_eq(tp_n_threads(tp), n_threads);
    count_job *job = calloc(1, sizeof *job);
    ck_assert_ptr_nonnull(job);
    for (size_t k = 0; k < sizeof task_counts / sizeof task_counts[0]; k++)
        run_and_check(tp, job, task_counts[k], (int64_t)k);
    free(job);
    tp_free(tp);
}

START_TEST(test_threadpool_every_task_once_1) { every_task_once_at(1); }
END_TEST
START_TEST(test_threadpool_every_task_once_2) { every_task_once_at(2); }
END_TEST
START_TEST(test_threadpool_every_task_once_3) { every_task_once_at(3); }
END_TEST
START_TEST(test_threadpool_every_task_once_7) { every_task_once_at(7); }
END_TEST

/* Many short jobs back to back: the generation handoff must never lose or
 * repeat a job, including when workers fall asleep between some of them. */
START_TEST(test_threadpool_repeated_jobs) {
    threadpool *tp = NULL;
    ck_assert_int_eq(tp_create(&tp, 3, false, NULL), HEARTH_OK);
    count_job *job = calloc(1, sizeof *job);
    ck_assert_ptr_nonnull(job);
    for (int rep = 0; rep < 2000; rep++) {
        run_and_check(tp, job, 1 + rep % 37, rep);
        if (rep % 500 == 0) { /* let the workers go to sleep, then wake them */
            struct timespec ts = {0, 5 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    free(job);
    tp_free(tp);
}
END_TEST

/* Jobs of more tasks than a range word counts (65535 claim units: tasks are
 * then claimed in groups) still run every task exactly once. */
typedef struct big_job {
    atomic_uchar *hits;
} big_job;

static void big_task(void *arg, int64_t task, int thread) {
    (void)thread;
    atomic_fetch_add(&((big_job *)arg)->hits[task], 1);
}

START_TEST(test_threadpool_more_tasks_than_units) {
    enum { N = 200003 };
    threadpool *tp = NULL;
    ck_assert_int_eq(tp_create(&tp, 3, false, NULL), HEARTH_OK);
    big_job job = {calloc(N, sizeof(atomic_uchar))};
    ck_assert_ptr_nonnull(job.hits);
    const int64_t counts[] = {65535, 65536, 131071, N};
    for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
        for (int64_t i = 0; i < N; i++)
            atomic_store(&job.hits[i], 0);
        tp_parallel_for(tp, counts[k], big_task, &job);
        for (int64_t i = 0; i < N; i++)
            ck_assert_msg(atomic_load(&job.hits[i]) == (i < counts[k] ? 1 : 0),
                          "job of %lld tasks: task %lld ran %d times", (long long)counts[k],
                          (long long)i, (int)atomic_load(&job.hits[i]));
    }
    free(job.hits);
    tp_free(tp);
}
END_TEST

/* More threads than this machine has CPUs: still exact, and no deadlock. */
START_TEST(test_threadpool_more_threads_than_cores) {
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    int n = (int)(online > 0 ? online : 1) * 4 + 1;
    if (n > MAX_THREADS)
        n = MAX_THREADS;
    threadpool *tp = NULL;
    ck_assert_int_eq(tp_create(&tp, n, false, NULL), HEARTH_OK);
    count_job *job = calloc(1, sizeof *job);
    ck_assert_ptr_nonnull(job);
    for (int rep = 0; rep < 50; rep++)
        run_and_check(tp, job, 3 + rep * 17, rep);
    free(job);
    tp_free(tp);
}
END_TEST

START_TEST(test_threadpool_create_free_cycles) {
    count_job *job = calloc(1, sizeof *job);
    ck_assert_ptr_nonnull(job);
    for (int cycle = 0; cycle < 60; cycle++) {
        threadpool *tp = NULL;
        ck_assert_int_eq(tp_create(&tp, 1 + cycle % 5, cycle % 2 == 0, NULL), HEARTH_OK);
        if (cycle % 3 != 0) /* some pools are freed without ever running a job */
            run_and_check(tp, job, 50 + cycle, cycle);
        tp_free(tp);
    }
    tp_free(NULL);
    free(job);
}
END_TEST

START_TEST(test_threadpool_rejects_bad_thread_count) {
    threadpool *tp = (threadpool *)&tp; /* must be overwritten with NULL */
    hearth_errbuf err = {{0}};
    ck_assert_int_eq(tp_create(&tp, 0, false, &err), HEARTH_ERR_INVALID_ARG);
    ck_assert_ptr_null(tp);
    ck_assert_msg(err.msg[0] != '\0', "no error message");
}
END_TEST

START_TEST(test_threadpool_default_threads_in_range) {
    int n = tp_default_threads();
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    ck_assert_int_ge(n, 1);
    if (online > 0)
        ck_assert_int_le(n, online); /* physical cores never exceed logical CPUs */
}
END_TEST

typedef struct pin_job {
    atomic_int n_cpus_seen[MAX_THREADS]; /* CPUs in the affinity mask of each id */
} pin_job;

static void record_affinity(void *arg, int64_t task, int thread) {
    pin_job *job = arg;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        atomic_store(&job->n_cpus_seen[thread], CPU_COUNT(&set));
    /* Enough work per task that workers get a share. */
    volatile double x = 0;
    for (int i = 0; i < 20000; i++)
        x = x + i;
}

/* With pinning, every worker that ran a task is bound to exactly one CPU. */
START_TEST(test_threadpool_pinned_workers_bound_to_one_cpu) {
    threadpool *tp = NULL;
    ck_assert_int_eq(tp_create(&tp, 2, true, NULL), HEARTH_OK);
    pin_job job;
    for (int i = 0; i < MAX_THREADS; i++)
        atomic_init(&job.n_cpus_seen[i], 0);
    for (int rep = 0; rep < 20; rep++)
        tp_parallel_for(tp, 64, record_affinity, &job);
    int seen = atomic_load(&job.n_cpus_seen[1]);
    ck_assert_msg(seen == 0 || seen == 1, "pinned worker may run on %d CPUs", seen);
    tp_free(tp);
}
END_TEST

static double process_cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void noop_task(void *arg, int64_t task, int thread) {}

/* Idle workers sleep: 300 ms of idle time with 4 workers costs far less than
 * 300 ms of CPU (a busy-waiting pool would burn up to 4 x 300 ms). */
START_TEST(test_threadpool_idle_workers_sleep) {
    threadpool *tp = NULL;
    ck_assert_int_eq(tp_create(&tp, 5, false, NULL), HEARTH_OK);
    tp_parallel_for(tp, 100, noop_task, NULL);
    struct timespec settle = {0, 50 * 1000 * 1000};
    nanosleep(&settle, NULL); /* past the spin phase */
    double before = process_cpu_seconds();
    struct timespec idle = {0, 300 * 1000 * 1000};
    nanosleep(&idle, NULL);
    double used = process_cpu_seconds() - before;
    ck_assert_msg(used < 0.05, "idle pool used %.3f s of CPU in 0.3 s", used);
    tp_free(tp);
}
END_TEST

Suite *threadpool_suite(void); /* registered by check_main.c */
Suite *threadpool_suite(void) {
    Suite *s = suite_create("threadpool");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_threadpool_every_task_once_1);
    tcase_add_test(tc, test_threadpool_more_tasks_than_units);
    tcase_add_test(tc, test_threadpool_every_task_once_2);
    tcase_add_test(tc, test_threadpool_every_task_once_3);
    tcase_add_test(tc, test_threadpool_every_task_once_7);
    tcase_add_test(tc, test_threadpool_repeated_jobs);
    tcase_add_test(tc, test_threadpool_more_threads_than_cores);
    tcase_add_test(tc, test_threadpool_create_free_cycles);
    tcase_add_test(tc, test_threadpool_rejects_bad_thread_count);
    tcase_add_test(tc, test_threadpool_default_threads_in_range);
    tcase_add_test(tc, test_threadpool_pinned_workers_bound_to_one_cpu);
    tcase_add_test(tc, test_threadpool_idle_workers_sleep);
    suite_add_tcase(s, tc);
    return s;
}
