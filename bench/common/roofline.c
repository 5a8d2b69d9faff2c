/* roofline.c - read bandwidth and peak arithmetic, measured by the fastest loops
 * we can write, so that "% of limit" figures are honest (a slow loop would
 * flatter them). Read loop: all threads, each streaming its own slice of a
 * huge-page buffer with the widest loads the CPU has and eight independent
 * XOR chains (XOR is one cycle and keeps the loads live). Peaks: twelve
 * independent FMA / vpdpbusd chains per thread, never touching memory.
 * ISA-specific loops use __attribute__((target)) and run only after cpuid says
 * the CPU has the extension (the bench binary is built without -m flags).
 */
#include "roofline.h"

#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#if defined(__x86_64__)
static int cpu_has_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
}
static int cpu_has_avx512vnni(void) {
    return cpu_has_avx512() && __builtin_cpu_supports("avx512vnni");
}
static int cpu_has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#else
static int cpu_has_avx512(void) { return 0; }
static int cpu_has_avx512vnni(void) { return 0; }
static int cpu_has_avx2(void) { return 0; }
#endif

/* ---- Read loops: XOR of every 64-bit word -------------------------------- */

static uint64_t xor_scalar(const uint64_t *p, size_t n) {
    uint64_t a = 0, b = 0, c = 0, d = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        a ^= p[i];
        b ^= p[i + 1];
        c ^= p[i + 2];
        d ^= p[i + 3];
    }
    for (; i < n; i++)
        a ^= p[i];
    return a ^ b ^ c ^ d;
}

typedef roofline_read_fn xor_fn;

#if defined(__x86_64__)
__attribute__((target("avx2"))) static uint64_t xor_avx2(const uint64_t *p, size_t n) {
    __m256i acc[8];
    for (int k = 0; k < 8; k++)
        acc[k] = _mm256_setzero_si256();
    size_t i = 0;
    /* 8 x 32 bytes per step: two cache lines per chain pair, loads unaligned-safe. */
    for (; i + 32 <= n; i += 32)
        for (int k = 0; k < 8; k++)
            acc[k] = _mm256_xor_si256(acc[k],
                                      _mm256_loadu_si256((const __m256i *)(p + i + 4 * k)));
    for (int k = 1; k < 8; k++)
        acc[0] = _mm256_xor_si256(acc[0], acc[k]);
    uint64_t lanes[4];
    _mm256_storeu_si256((__m256i *)lanes, acc[0]);
    return lanes[0] ^ lanes[1] ^ lanes[2] ^ lanes[3] ^ xor_scalar(p + i, n - i);
}

/* 8 cache lines per step, one per chain. With `ahead` > 0, the line `ahead`
 * bytes further is prefetched non-temporally first: on some machines (this
 * one) that keeps more misses in flight than the hardware prefetchers alone
 * (measured from huge pages: 31 GB/s plain, 32 with 4 KiB, 40-42 with 8-32
 * KiB ahead, one thread); elsewhere it costs a little. Every loop runs and the
 * fastest sets the limit. */
__attribute__((target("avx512f"))) static inline uint64_t xor_avx512_body(const uint64_t *p,
                                                                           size_t n,
                                                                           size_t ahead) {
    __m512i acc[8];
    for (int k = 0; k < 8; k++)
        acc[k] = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 64 <= n; i += 64)
        for (int k = 0; k < 8; k++) {
            if (ahead)
                _mm_prefetch((const char *)(p + i + 8 * k) + ahead, _MM_HINT_NTA);
            acc[k] = _mm512_xor_si512(acc[k], _mm512_loadu_si512(p + i + 8 * k));
        }
    for (int k = 1; k < 8; k++)
        acc[0] = _mm512_xor_si512(acc[0], acc[k]);
    uint64_t lanes[8];
    _mm512_storeu_si512(lanes, acc[0]);
    uint64_t r = 0;
    for (int k = 0; k < 8; k++)
        r ^= lanes[k];
    return r ^ xor_scalar(p + i, n - i);
}
__attribute__((target("avx512f"))) static uint64_t xor_avx512(const uint64_t *p, size_t n) {
    return xor_avx512_body(p, n, 0);
}
__attribute__((target("avx512f"))) static uint64_t xor_avx512_ahead4k(const uint64_t *p,
                                                                       size_t n) {
    return xor_avx512_body(p, n, 4096);
}
__attribute__((target("avx512f"))) static uint64_t xor_avx512_ahead16k(const uint64_t *p,
                                                                        size_t n) {
    return xor_avx512_body(p, n, 16384);
}
#endif

static xor_fn best_xor(const char **isa) {
#if defined(__x86_64__)
    if (cpu_has_avx512()) {
        *isa = "avx512";
        return xor_avx512;
    }
    if (cpu_has_avx2()) {
        *isa = "avx2";
        return xor_avx2;
    }
#endif
    *isa = "scalar";
    return xor_scalar;
}

int roofline_read_loops(roofline_read_fn *fns, const char **names, int max) {
    int n = 0;
#if defined(__x86_64__)
    if (cpu_has_avx512() && max >= 3) {
        fns[n] = xor_avx512;
        names[n++] = "avx512";
        fns[n] = xor_avx512_ahead4k;
        names[n++] = "avx512+prefetch 4K";
        fns[n] = xor_avx512_ahead16k;
        names[n++] = "avx512+prefetch 16K";
        return n;
    }
#endif
    if (max >= 1) {
        const char *isa;
        fns[n] = best_xor(&isa);
        names[n++] = isa;
    }
    return n;
}

uint64_t roofline_xor_words(const uint64_t *buf, size_t n_words) {
    const char *isa;
    return best_xor(&isa)(buf, n_words);
}

/* ---- Threaded passes ------------------------------------------------------ */

/* Threads are started first and wait at this gate; the barrier they use is
 * sized once we know how many really started (pthread_create can fail). */
typedef struct gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int open;
} gate;

static void gate_init(gate *g) {
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->cond, NULL);
    g->open = 0;
}
static void gate_open(gate *g) {
    pthread_mutex_lock(&g->lock);
    g->open = 1;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->lock);
}
static void gate_pass(gate *g) {
    pthread_mutex_lock(&g->lock);
    while (!g->open)
        pthread_cond_wait(&g->cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
}
static void gate_destroy(gate *g) {
    pthread_cond_destroy(&g->cond);
    pthread_mutex_destroy(&g->lock);
}

typedef struct read_job {
    const uint64_t *buf;
    size_t words_per_thread;
    int passes;
    const roofline_read_fn *loops; /* pass p runs loops[p % n_loops] */
    int n_loops;
    gate gate;
    pthread_barrier_t start, end;
    volatile uint64_t sink[64];
} read_job;

typedef struct read_arg {
    read_job *job;
    int index;
} read_arg;

static void *read_worker(void *p) {
    read_arg *a = p;
    read_job *job = a->job;
    const uint64_t *slice = job->buf + (size_t)a->index * job->words_per_thread;
    uint64_t x = 0;
    gate_pass(&job->gate);
    for (int pass = 0; pass < job->passes; pass++) {
        pthread_barrier_wait(&job->start);
        x ^= job->loops[pass % job->n_loops](slice, job->words_per_thread);
        pthread_barrier_wait(&job->end);
    }
    job->sink[a->index % 64] = x;
    return NULL;
}

void *roofline_alloc_huge(size_t bytes) {
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    (void)madvise(p, bytes, MADV_HUGEPAGE); /* a hint: refused = 4 KiB pages */
    return p;
}

void roofline_free_huge(void *p, size_t bytes) {
    if (p)
        munmap(p, bytes);
}

double roofline_read_bandwidth(int n_threads, size_t bytes, int passes, const char **isa) {
    if (n_threads < 1)
        n_threads = 1;
    roofline_read_fn loops[4];
    const char *loop_names[4];
    const int n_loops = roofline_read_loops(loops, loop_names, 4);
    read_job job;
    memset(&job, 0, sizeof job);
    if (isa)
        *isa = loop_names[0];
    job.passes = passes * n_loops; /* every loop gets `passes` passes, alternating */
    job.loops = loops;
    job.n_loops = n_loops;
    job.words_per_thread = (bytes / (size_t)n_threads) / 4096 * 4096 / sizeof(uint64_t);
    size_t total = job.words_per_thread * sizeof(uint64_t) * (size_t)n_threads;
    if (total == 0)
        return 0;
    /* Huge pages: TLB misses would otherwise cost a few percent of the stream. */
    void *mem = roofline_alloc_huge(total);
    if (!mem)
        return 0;
    /* Distinct non-zero words, so that pages are really backed (not the zero page). */
    uint64_t *w = mem;
    for (size_t i = 0; i < total / sizeof(uint64_t); i++)
        w[i] = i * 0x9E3779B97F4A7C15ull;
    job.buf = w;

    gate_init(&job.gate);
    pthread_t *threads = calloc((size_t)n_threads, sizeof *threads);
    read_arg *args = calloc((size_t)n_threads, sizeof *args);
    double best = 0;
    int started = 1;
    if (threads && args)
        for (int t = 1; t < n_threads; t++) {
            args[t] = (read_arg){&job, t};
            if (pthread_create(&threads[t], NULL, read_worker, &args[t]) != 0)
                break;
            started++;
        }
    /* Every started thread runs every pass; a short crew only measures less. */
    if (started < n_threads)
        job.passes = 0;
    pthread_barrier_init(&job.start, NULL, (unsigned)started);
    pthread_barrier_init(&job.end, NULL, (unsigned)started);
    gate_open(&job.gate);
    uint64_t x = 0;
    for (int pass = 0; pass < job.passes; pass++) {
        pthread_barrier_wait(&job.start);
        double t0 = now_seconds();
        x ^= job.loops[pass % n_loops](job.buf, job.words_per_thread);
        pthread_barrier_wait(&job.end);
        double gbs = (double)total / (now_seconds() - t0) * 1e-9;
        if (pass >= n_loops && gbs > best) { /* the first round warms TLBs and clocks */
            best = gbs;
            if (isa)
                *isa = loop_names[pass % n_loops];
        }
    }
    job.sink[0] = x;
    for (int t = 1; t < started; t++)
        pthread_join(threads[t], NULL);
    gate_destroy(&job.gate);
    free(threads);
    free(args);
    pthread_barrier_destroy(&job.start);
    pthread_barrier_destroy(&job.end);
    roofline_free_huge(mem, total);
    return best;
}

/* ---- Peak arithmetic loops ------------------------------------------------ */

enum { PEAK_STEP = 1 << 14 }; /* inner iterations between clock reads */

#if defined(__x86_64__)
/* Twelve named accumulators (an array would be kept in memory by the compiler
 * and the loop would measure store forwarding): enough independent chains to
 * hide a 4-5 cycle latency on two pipes. OP(acc) is one instruction. The empty
 * asm makes every chain opaque, so the compiler cannot merge equal chains. */
#define TWELVE_CHAINS(T, init, OP)                                                         \
    T c0 = init, c1 = init, c2 = init, c3 = init, c4 = init, c5 = init, c6 = init,         \
      c7 = init, c8 = init, c9 = init, c10 = init, c11 = init;                             \
    for (int64_t i = 0; i < iters; i++) {                                                  \
        OP(c0); OP(c1); OP(c2); OP(c3); OP(c4); OP(c5);                                    \
        OP(c6); OP(c7); OP(c8); OP(c9); OP(c10); OP(c11);                                  \
        __asm__ volatile("" : "+v"(c0), "+v"(c1), "+v"(c2), "+v"(c3), "+v"(c4), "+v"(c5)); \
        __asm__ volatile("" : "+v"(c6), "+v"(c7), "+v"(c8), "+v"(c9), "+v"(c10), "+v"(c11)); \
    }

__attribute__((target("avx512f"))) static float fma_avx512(int64_t iters) {
    const __m512 m = _mm512_set1_ps(0.999999f), a = _mm512_set1_ps(1e-7f);
#define FMA512(c) c = _mm512_fmadd_ps(c, m, a)
    TWELVE_CHAINS(__m512, _mm512_set1_ps(1e-3f), FMA512)
#undef FMA512
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3)),
                             _mm512_add_ps(_mm512_add_ps(c4, c5), _mm512_add_ps(c6, c7)));
    s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(c8, c9), _mm512_add_ps(c10, c11)));
    return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) static float fma_avx2(int64_t iters) {
    const __m256 m = _mm256_set1_ps(0.999999f), a = _mm256_set1_ps(1e-7f);
#define FMA256(c) c = _mm256_fmadd_ps(c, m, a)
    TWELVE_CHAINS(__m256, _mm256_set1_ps(1e-3f), FMA256)
#undef FMA256
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                             _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(c8, c9), _mm256_add_ps(c10, c11)));
    float lanes[8];
    _mm256_storeu_ps(lanes, s);
    return lanes[0] + lanes[7];
}

__attribute__((target("avx512f,avx512bw,avx512vnni"))) static float dot_avx512vnni(int64_t iters) {
    const __m512i u = _mm512_set1_epi8(3), w = _mm512_set1_epi8(-2);
#define DP512(c) c = _mm512_dpbusd_epi32(c, u, w)
    TWELVE_CHAINS(__m512i, _mm512_set1_epi32(1), DP512)
#undef DP512
    __m512i s = _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(c0, c1), c2),
                                 _mm512_add_epi32(_mm512_add_epi32(c3, c4), c5));
    s = _mm512_add_epi32(s, _mm512_add_epi32(_mm512_add_epi32(c6, c7), c8));
    s = _mm512_add_epi32(s, _mm512_add_epi32(_mm512_add_epi32(c9, c10), c11));
    return (float)_mm512_reduce_add_epi32(s);
}

/* AVX2 int8 dot as the kernels do it: maddubs (u8 x s8 -> s16 pairs) then
 * madd with ones (s16 pairs -> s32), then add: 3 instructions per 32 products. */
__attribute__((target("avx2"))) static float dot_avx2(int64_t iters) {
    const __m256i u = _mm256_set1_epi8(3), w = _mm256_set1_epi8(-2);
    const __m256i ones = _mm256_set1_epi16(1);
#define DP256(c) c = _mm256_add_epi32(c, _mm256_madd_epi16(_mm256_maddubs_epi16(u, w), ones))
    TWELVE_CHAINS(__m256i, _mm256_set1_epi32(1), DP256)
#undef DP256
    __m256i s = _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(c0, c1), c2),
                                 _mm256_add_epi32(_mm256_add_epi32(c3, c4), c5));
    s = _mm256_add_epi32(s, _mm256_add_epi32(_mm256_add_epi32(c6, c7), c8));
    s = _mm256_add_epi32(s, _mm256_add_epi32(_mm256_add_epi32(c9, c10), c11));
    int lanes[8];
    _mm256_storeu_si256((__m256i *)lanes, s);
    return (float)(lanes[0] + lanes[7]);
}
#endif

static float fma_scalar(int64_t iters) {
    float acc[8];
    for (int k = 0; k < 8; k++)
        acc[k] = (float)k * 1e-3f;
    for (int64_t i = 0; i < iters; i++)
        for (int k = 0; k < 8; k++)
            acc[k] = acc[k] * 0.999999f + 1e-7f;
    return acc[0] + acc[7];
}

typedef float (*peak_fn)(int64_t iters);

typedef struct peak_job {
    peak_fn fn;
    double ops_per_iter;
    double seconds;
    gate gate;
    pthread_barrier_t start;
    double rate[256];
    volatile float sink[256];
} peak_job;

typedef struct peak_arg {
    peak_job *job;
    int index;
} peak_arg;

static void *peak_worker(void *p) {
    peak_arg *a = p;
    peak_job *job = a->job;
    gate_pass(&job->gate);
    pthread_barrier_wait(&job->start);
    double t0 = now_seconds(), t = t0;
    int64_t iters = 0;
    float x = 0;
    while (t - t0 < job->seconds) {
        x += job->fn(PEAK_STEP);
        iters += PEAK_STEP;
        t = now_seconds();
    }
    job->rate[a->index] = (double)iters * job->ops_per_iter / (t - t0);
    job->sink[a->index] = x;
    return NULL;
}

/* Sum over n_threads threads of each one's rate, best of three runs. */
static double peak_rate(int n_threads, double seconds, peak_fn fn, double ops_per_iter) {
    if (n_threads < 1)
        n_threads = 1;
    if (n_threads > 256)
        n_threads = 256;
    double best = 0;
    for (int run = 0; run < 3; run++) {
        peak_job job;
        memset(&job, 0, sizeof job);
        job.fn = fn;
        job.ops_per_iter = ops_per_iter;
        job.seconds = seconds / 3;
        gate_init(&job.gate);
        pthread_t threads[256];
        peak_arg args[256];
        int started = 1;
        for (int t = 1; t < n_threads; t++) {
            args[t] = (peak_arg){&job, t};
            if (pthread_create(&threads[t], NULL, peak_worker, &args[t]) != 0)
                break;
            started++;
        }
        pthread_barrier_init(&job.start, NULL, (unsigned)started);
        gate_open(&job.gate);
        args[0] = (peak_arg){&job, 0};
        peak_worker(&args[0]);
        for (int t = 1; t < started; t++)
            pthread_join(threads[t], NULL);
        pthread_barrier_destroy(&job.start);
        gate_destroy(&job.gate);
        if (started < n_threads) /* could not run the crew asked for: no figure */
            break;
        double sum = 0;
        for (int t = 0; t < n_threads; t++)
            sum += job.rate[t];
        if (sum > best)
            best = sum;
    }
    return best * 1e-9;
}

double roofline_peak_fma(int n_threads, double seconds) {
#if defined(__x86_64__)
    if (cpu_has_avx512())
        return peak_rate(n_threads, seconds, fma_avx512, 12 * 16 * 2);
    if (cpu_has_avx2())
        return peak_rate(n_threads, seconds, fma_avx2, 12 * 8 * 2);
#endif
    return peak_rate(n_threads, seconds, fma_scalar, 8 * 2);
}

double roofline_peak_int8(int n_threads, double seconds, const char **isa) {
#if defined(__x86_64__)
    if (cpu_has_avx512vnni()) {
        if (isa)
            *isa = "avx512vnni";
        return peak_rate(n_threads, seconds, dot_avx512vnni, 12 * 64 * 2);
    }
    if (cpu_has_avx2()) {
        if (isa)
            *isa = "avx2";
        return peak_rate(n_threads, seconds, dot_avx2, 12 * 32 * 2);
    }
#endif
    if (isa)
        *isa = "scalar";
    return peak_rate(n_threads, seconds, fma_scalar, 8 * 2);
}

void roofline_measure(roofline_limits *out, int n_threads, size_t read_bytes, int verbose) {
    if (verbose)
        fprintf(stderr, "hearth-bench: measuring limits at %d thread%s (read %zu MiB)...\n",
                n_threads, n_threads == 1 ? "" : "s", read_bytes >> 20);
    out->read_gbs = roofline_read_bandwidth(n_threads, read_bytes, 6, &out->read_isa);
    out->fma_gflops = roofline_peak_fma(n_threads, 0.3);
    out->int8_gops = roofline_peak_int8(n_threads, 0.3, &out->int8_isa);
    if (verbose)
        fprintf(stderr, "hearth-bench:   read %.1f GB/s (%s), f32 FMA %.0f GFLOP/s, "
                        "int8 dot %.0f GOP/s (%s)\n",
                out->read_gbs, out->read_isa, out->fma_gflops, out->int8_gops, out->int8_isa);
}
