/* bench_kernels.c - hearth-bench-kernels: throughput of the kernel tables
 * (issue 4 item 5, BENCH.md "Microbenchmarks").
 *
 * For each weight type and ISA tier: matvec GB/s of weight bytes on a matrix
 * of >= 128 MiB (4x the L3 here) and as % of the read bandwidth measured
 * next to it, rep for rep, by the streaming-read loops of roofline.c (same
 * threads, same buffer size, the best loop); matmul
 * GFLOP/s at batch 32 and 512; quantize and dequantize throughput. Each
 * kernel is checked against the scalar reference before it is timed.
 * Markdown by default, --json for scripts. Threads are plain pthreads here
 * (rows split in equal contiguous slices), independent of lib/'s pool.
 */
#include <float.h>   /* FLT_EPSILON */
#include <math.h>    /* fabs */
#include <pthread.h> /* the worker threads */
#include <stdint.h>
#include <stdio.h>  /* printf, fprintf */
#include <stdlib.h> /* malloc, strtol, getenv */
#include <string.h> /* strcmp, strstr, memcpy */
#include <time.h>   /* clock_gettime */
#include <unistd.h> /* sysconf */

#include "bench/common/roofline.h" /* the read loops */
#include "hearth.h"
#include "kernels/kernels.h"
#include "kernels/layout.h" /* repacked rows */

/* ---- Options -------------------------------------------------------------- */
typedef struct {
    hearth_isa isas[8];
    int n_isas;
    int threads[4];
    int n_threads;
    const char *filter; /* substring of the type name, or NULL */
    bool json;
    int64_t min_mib;   /* matvec matrix size */
    int reps;          /* timed repetitions (best is reported) */
    bool skip_matmul;
} options;

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ---- Seeded data ------------------------------------------------------------ */
static uint64_t rng_state = 0x1234567887654321ull;
static float rnd(void) { /* roughly N(0,1): sum of 4 uniforms, centred */
    float s = 0;
    for (int i = 0; i < 4; i++) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        s += (float)(rng_state >> 40) / 16777216.0f;
    }
    return (s - 2.0f) * 1.7f;
}

/* p, or the end of the program when an allocation of n bytes failed. */
static void *or_die(void *p, size_t n) {
    if (!p) {
        fprintf(stderr, "hearth-bench-kernels: out of memory (%zu bytes)\n", n);
        exit(1);
    }
    return p;
}

static void *xmalloc(size_t n) { return or_die(malloc(n), n); }

/* Big buffers (weight matrices, the read loop's) in huge pages (roofline_alloc_huge). */
static void *alloc_big(size_t n) { return or_die(roofline_alloc_huge(n), n); }

/* ---- A parallel region: run fn(job, t, T) on T threads and time it ------- */
/* The threads are started first and released together by a barrier; the
 * region lasts from the first thread's start to the last one's end, so
 * thread creation is not timed (it is ~5 % of a 128 MiB pass at 80 GB/s). */
typedef void (*work_fn)(void *job, int t, int n_threads);
typedef struct {
    work_fn fn;
    void *job;
    int t, n;
    pthread_barrier_t *gate;
    double start, end;
} thread_arg;

static void *thread_main(void *p) {
    thread_arg *a = p;
    pthread_barrier_wait(a->gate);
    a->start = now_s();
    a->fn(a->job, a->t, a->n);
    a->end = now_s();
    return NULL;
}

static double run_parallel(work_fn fn, void *job, int n_threads) {
    pthread_t th[64];
    thread_arg args[64];
    pthread_barrier_t gate;
    pthread_barrier_init(&gate, NULL, (unsigned)n_threads);
    for (int t = 0; t < n_threads; t++)
        args[t] = (thread_arg){fn, job, t, n_threads, &gate, 0, 0};
    for (int t = 1; t < n_threads; t++)
        pthread_create(&th[t], NULL, thread_main, &args[t]);
    thread_main(&args[0]);
    double start = args[0].start, end = args[0].end;
    for (int t = 1; t < n_threads; t++) {
        pthread_join(th[t], NULL);
        start = args[t].start < start ? args[t].start : start;
        end = args[t].end > end ? args[t].end : end;
    }
    pthread_barrier_destroy(&gate);
    return end - start;
}

/* Best time of `reps` runs after one warm-up. */
static double best_time(work_fn fn, void *job, int n_threads, int reps) {
    run_parallel(fn, job, n_threads);
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        const double t = run_parallel(fn, job, n_threads);
        if (t < best)
            best = t;
    }
    return best;
}

/* The streaming-read loops of bench/common/roofline.c over one buffer; the
 * limit of a run is the best pass of any of them. */
typedef struct {
    const char *buf;
    size_t bytes;
    roofline_read_fn fn;
    volatile uint64_t sink[64];
} read_job;

static void read_work(void *p, int t, int n_threads) {
    read_job *j = p;
    /* 4 KiB-aligned slices so that every thread streams whole pages */
    const size_t slice = (j->bytes / (size_t)n_threads) & ~(size_t)4095;
    j->sink[t] = j->fn((const uint64_t *)(j->buf + (size_t)t * slice), slice / sizeof(uint64_t));
}

/* Read bandwidth with n_threads threads: best single pass of each loop. */
typedef struct {
    char *buf;
    size_t bytes;
    roofline_read_fn loops[4];
    const char *names[4];
    int n_loops;
} read_limit;

static double read_pass(read_limit *rl, int n_threads) {
    double best = 0;
    for (int l = 0; l < rl->n_loops; l++) {
        read_job rj = {rl->buf, rl->bytes, rl->loops[l], {0}};
        const double t = run_parallel(read_work, &rj, n_threads);
        const double gbs = (double)(rl->bytes & ~(size_t)4095) / t / 1e9;
        if (gbs > best)
            best = gbs;
    }
    return best;
}

/* ---- matvec / matmul jobs ------------------------------------------------- */
typedef struct {
    const hearth_kernels *k;
    int type;
    int64_t n, rows, nc;
    const char *w;
    size_t row_bytes;
    const char *a;
    size_t a_bytes;
    float *out;
    hearth_mat_dot_fn fn;   /* k's mat_dot for w's layout */
    const char *w_gguf;     /* w's first rows in GGUF order (== w unless repacked) */
} mat_job;

enum { ROW_CHUNK = 64 }; /* rows per mat_dot call */

static void mat_work(void *p, int t, int n_threads) {
    mat_job *j = p;
    const int64_t per = (j->rows + n_threads - 1) / n_threads;
    const int64_t r0 = t * per, r1 = r0 + per < j->rows ? r0 + per : j->rows;
    for (int64_t r = r0; r < r1; r += ROW_CHUNK) {
        const int64_t m = r1 - r < ROW_CHUNK ? r1 - r : ROW_CHUNK;
        j->fn(j->n, m, j->nc, j->out + r, j->rows, j->w + (size_t)r * j->row_bytes, j->row_bytes,
              j->a, j->a_bytes);
    }
}

/* Fills `rows` rows: a few distinct quantized rows repeated (speed does not
 * depend on the values, and quantizing 128 MiB with the reference is slow). */
static void fill_rows(const hearth_kernels *k, int type, int64_t n, int64_t rows, char *w) {
    const size_t rb = hearth_row_bytes(type, n);
    float *x = xmalloc((size_t)n * sizeof(float));
    const int64_t distinct = rows < 16 ? rows : 16;
    for (int64_t r = 0; r < distinct; r++) {
        for (int64_t i = 0; i < n; i++)
            x[i] = rnd();
        k->quantize_row[type](x, w + (size_t)r * rb, n);
    }
    for (int64_t r = distinct; r < rows; r++)
        memcpy(w + (size_t)r * rb, w + (size_t)(r % distinct) * rb, rb);
    free(x);
}

/* A weight matrix to time: GGUF rows, or (layout != GGUF) the same rows
 * repacked as lib/weight_home.c does for a tier that prefers the layout;
 * the first VERIFY_ROWS rows are also kept in GGUF order for verify(). */
enum { VERIFY_ROWS = 16 };
typedef struct {
    char *w, *w_gguf;
    hearth_mat_dot_fn fn;
} weights;

static weights make_weights(const hearth_kernels *k, int type, int layout, int64_t n,
                            int64_t rows, bool big) {
    const size_t rb = hearth_row_bytes(type, n);
    weights ws = {big ? alloc_big(rb * (size_t)rows) : xmalloc(rb * (size_t)rows), NULL,
                  layout ? k->layout_mat_dot[layout] : k->mat_dot[type]};
    fill_rows(k, type, n, rows, ws.w);
    if (layout == HEARTH_LAYOUT_GGUF) {
        ws.w_gguf = ws.w;
        return ws;
    }
    const int64_t keep = rows < VERIFY_ROWS ? rows : VERIFY_ROWS;
    ws.w_gguf = xmalloc(rb * (size_t)keep);
    memcpy(ws.w_gguf, ws.w, rb * (size_t)keep);
    char *tmp = xmalloc(rb);
    for (int64_t r = 0; r < rows; r++) {
        memcpy(tmp, ws.w + (size_t)r * rb, rb);
        hearth_layout_pack_row(layout, tmp, ws.w + (size_t)r * rb, n);
    }
    free(tmp);
    return ws;
}

static void free_weights(weights *ws, size_t bytes, bool big) {
    if (ws->w_gguf != ws->w)
        free(ws->w_gguf);
    if (big)
        roofline_free_huge(ws->w, bytes);
    else
        free(ws->w);
}

/* "Q4_0", or "Q4_0x16" for a repacked layout */
static const char *bench_type_name(int type, int layout, char buf[32]) {
    snprintf(buf, 32, "%s%s", hearth_type_traits_of(type)->name, hearth_layout_suffix(layout));
    return buf;
}

/* mat_dot of the tier vs the reference vec_dot on the first rows, within
 * 2 * n * FLT_EPSILON * sum|w_i a_i| (STYLE §8) plus slack for offset terms. */
static bool verify(const mat_job *j, int64_t rows, int64_t cols) {
    const hearth_kernels *ref = &hearth_kernels_ref;
    const int at = hearth_type_traits_of(j->type)->vec_dot_type;
    float *wf = xmalloc((size_t)j->n * sizeof(float)), *af = xmalloc((size_t)j->n * sizeof(float));
    float *out = xmalloc((size_t)(rows * cols) * sizeof(float));
    j->fn(j->n, rows, cols, out, rows, j->w, j->row_bytes, j->a, j->a_bytes);
    bool ok = true;
    for (int64_t c = 0; c < cols && ok; c++) {
        ref->dequantize_row[at](j->a + (size_t)c * j->a_bytes, af, j->n);
        for (int64_t r = 0; r < rows && ok; r++) {
            float want;
            ref->vec_dot[j->type](j->n, &want, j->w_gguf + (size_t)r * j->row_bytes,
                                  j->a + (size_t)c * j->a_bytes);
            ref->dequantize_row[j->type](j->w_gguf + (size_t)r * j->row_bytes, wf, j->n);
            double s = 0, m = 0;
            for (int64_t i = 0; i < j->n; i++)
                m = fmax(m, fabs(wf[i]));
            for (int64_t i = 0; i < j->n; i++)
                s += (fabs(wf[i]) + 2 * m) * fabs(af[i]);
            const double bound = 2.0 * (double)j->n * FLT_EPSILON * s;
            if (!(fabs((double)out[c * rows + r] - want) <= bound)) {
                fprintf(stderr, "VERIFY FAILED %s %s: row %lld col %lld: %g, ref %g\n",
                        hearth_type_traits_of(j->type)->name, hearth_isa_name(j->k->isa),
                        (long long)r, (long long)c, out[c * rows + r], want);
                ok = false;
            }
        }
    }
    free(wf);
    free(af);
    free(out);
    return ok;
}

/* ---- Output ----------------------------------------------------------------- */
static bool first_json = true;

static void emit(const options *o, const char *kernel, const char *type, hearth_isa isa,
                 int threads, const char *shape, double gbs, double pct, double gflops) {
    if (o->json) {
        printf("%s  {\"kernel\": \"%s\", \"type\": \"%s\", \"isa\": \"%s\", \"threads\": %d, "
               "\"shape\": \"%s\", \"gb_per_s\": %.3f, \"pct_read_bw\": %.1f, "
               "\"gflop_per_s\": %.3f}",
               first_json ? "" : ",\n", kernel, type, hearth_isa_name(isa), threads, shape, gbs,
               pct, gflops);
        first_json = false;
        return;
    }
    char pct_s[16] = "", gf_s[16] = "";
    if (pct >= 0)
        snprintf(pct_s, sizeof pct_s, "%.0f %%", pct);
    if (gflops > 0)
        snprintf(gf_s, sizeof gf_s, "%.1f", gflops);
    printf("| %-10s | %-7s | %-10s | %2d | %-18s | %8.2f | %6s | %8s |\n", kernel, type,
           hearth_isa_name(isa), threads, shape, gbs, pct_s, gf_s);
}

/* ---- The benchmarks ----------------------------------------------------------- */

static const int bench_types[] = {HEARTH_TYPE_Q4_0, HEARTH_TYPE_Q4_1, HEARTH_TYPE_Q5_0,
                                  HEARTH_TYPE_Q5_1, HEARTH_TYPE_Q8_0, HEARTH_TYPE_IQ4_NL,
                                  HEARTH_TYPE_Q2_K, HEARTH_TYPE_Q3_K, HEARTH_TYPE_Q4_K,
                                  HEARTH_TYPE_Q5_K, HEARTH_TYPE_Q6_K, HEARTH_TYPE_IQ4_XS,
                                  HEARTH_TYPE_F16,  HEARTH_TYPE_BF16, HEARTH_TYPE_F32};

static bool wanted(const options *o, int type) {
    return !o->filter || strstr(hearth_type_traits_of(type)->name, o->filter) != NULL;
}

/* matvec on >= min_mib of weights, n = 4096 columns */
static void bench_matvec(const options *o, const hearth_kernels *k, int type, int layout,
                         int threads, read_limit *rl) {
    const int64_t n = 4096;
    const int at = hearth_type_traits_of(type)->vec_dot_type;
    const size_t rb = hearth_row_bytes(type, n);
    const int64_t rows = ((o->min_mib << 20) + (int64_t)rb - 1) / (int64_t)rb;
    weights ws = make_weights(k, type, layout, n, rows, true);
    char name[32];
    float *x = xmalloc((size_t)n * sizeof(float));
    for (int64_t i = 0; i < n; i++)
        x[i] = rnd();
    const size_t ab = hearth_row_bytes(at, n);
    char *a = xmalloc(ab);
    k->quantize_act[at](x, a, n);
    float *out = xmalloc((size_t)rows * sizeof(float));
    mat_job j = {k, type, n, rows, 1, ws.w, rb, a, ab, out, ws.fn, ws.w_gguf};
    if (verify(&j, 9, 1)) {
        /* Interleaved with the read loops (read, kernel, read, kernel ...): the
         * machine's bandwidth drifts, so the limit is measured next to each rep. */
        run_parallel(mat_work, &j, threads);
        double t = 1e30, read_gbs = 0;
        for (int r = 0; r < o->reps; r++) {
            const double g = read_pass(rl, threads), tk = run_parallel(mat_work, &j, threads);
            read_gbs = g > read_gbs ? g : read_gbs;
            t = tk < t ? tk : t;
        }
        const double gbs = (double)rb * (double)rows / t / 1e9;
        char rshape[32];
        snprintf(rshape, sizeof rshape, "%lld MiB", (long long)o->min_mib);
        emit(o, "read", "-", k->isa, threads, rshape, read_gbs, 100.0, 0);
        char shape[32];
        snprintf(shape, sizeof shape, "%lldx%lld", (long long)rows, (long long)n);
        emit(o, "matvec", bench_type_name(type, layout, name), k->isa, threads, shape, gbs,
             100.0 * gbs / read_gbs, 2.0 * (double)rows * (double)n / t / 1e9);
    }
    free_weights(&ws, rb * (size_t)rows, true);
    free(x);
    free(a);
    free(out);
}

/* matmul: 4096 x 4096 weights times a batch of columns */
static void bench_matmul(const options *o, const hearth_kernels *k, int type, int layout,
                         int threads, int64_t batch) {
    const int64_t n = 4096, rows = 4096;
    const int at = hearth_type_traits_of(type)->vec_dot_type;
    const size_t rb = hearth_row_bytes(type, n), ab = hearth_row_bytes(at, n);
    weights ws = make_weights(k, type, layout, n, rows, false);
    char *a = xmalloc(ab * (size_t)batch), name[32];
    fill_rows(k, at, n, batch, a);
    float *out = xmalloc((size_t)(rows * batch) * sizeof(float));
    mat_job j = {k, type, n, rows, batch, ws.w, rb, a, ab, out, ws.fn, ws.w_gguf};
    if (verify(&j, 5, 6)) {
        const double t = best_time(mat_work, &j, threads, o->reps > 3 ? 3 : o->reps);
        char shape[32];
        snprintf(shape, sizeof shape, "%lldx%lld b%lld", (long long)rows, (long long)n,
                 (long long)batch);
        emit(o, "matmul", bench_type_name(type, layout, name), k->isa, threads, shape,
             (double)rb * (double)rows / t / 1e9, -1,
             2.0 * (double)rows * (double)n * (double)batch / t / 1e9);
    }
    free_weights(&ws, rb * (size_t)rows, false);
    free(a);
    free(out);
}

/* quantize / dequantize of 16 Mi values on one thread (GB/s of floats) */
static void bench_convert(const options *o, const hearth_kernels *k, int type) {
    const int64_t n = 1 << 24;
    float *x = xmalloc((size_t)n * sizeof(float)), *y = xmalloc((size_t)n * sizeof(float));
    char *q = xmalloc(hearth_row_bytes(type, n));
    for (int64_t i = 0; i < 4096; i++)
        x[i] = rnd();
    for (int64_t i = 4096; i < n; i++)
        x[i] = x[i % 4096];
    double best_q = 1e30, best_d = 1e30;
    for (int r = 0; r <= o->reps; r++) {
        double t = now_s();
        k->quantize_row[type](x, q, n);
        t = now_s() - t;
        if (r > 0 && t < best_q)
            best_q = t;
        t = now_s();
        k->dequantize_row[type](q, y, n);
        t = now_s() - t;
        if (r > 0 && t < best_d)
            best_d = t;
    }
    /* quantize must match the reference byte for byte */
    char *qr = xmalloc(hearth_row_bytes(type, 4096));
    hearth_kernels_ref.quantize_row[type](x, qr, 4096);
    if (memcmp(qr, q, hearth_row_bytes(type, 4096)) != 0) {
        fprintf(stderr, "VERIFY FAILED quantize %s %s\n", hearth_type_traits_of(type)->name,
                hearth_isa_name(k->isa));
    } else {
        emit(o, "quantize", hearth_type_traits_of(type)->name, k->isa, 1, "16Mi values",
             (double)n * 4 / best_q / 1e9, -1, 0);
        emit(o, "dequantize", hearth_type_traits_of(type)->name, k->isa, 1, "16Mi values",
             (double)n * 4 / best_d / 1e9, -1, 0);
    }
    free(x);
    free(y);
    free(q);
    free(qr);
}

static void usage(void) {
    fprintf(stderr,
            "usage: hearth-bench-kernels [--isa NAME|best|all] [--threads 1,2] [--filter TYPE]\n"
            "                            [--mib 128] [--reps 5] [--no-matmul] [--json]\n"
            "HEARTH_ISA=NAME in the environment is the same as --isa NAME.\n");
}

static int parse_list(const char *s, int *out, int max) {
    int n = 0;
    while (*s && n < max) {
        char *end;
        const long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > 64)
            return -1;
        out[n++] = (int)v;
        s = *end == ',' ? end + 1 : end;
    }
    return n;
}

static bool parse_isas(const char *s, options *o) {
    if (strcmp(s, "best") == 0) {
        o->isas[0] = hearth_isa_best();
        o->n_isas = 1;
        return true;
    }
    if (strcmp(s, "all") == 0) {
        o->n_isas = 0;
        for (int i = HEARTH_ISA_SCALAR; i <= HEARTH_ISA_NEON_DOTPROD; i++)
            if (hearth_isa_supported((hearth_isa)i))
                o->isas[o->n_isas++] = (hearth_isa)i;
        return true;
    }
    hearth_isa isa;
    if (hearth_isa_from_name(s, &isa) != HEARTH_OK)
        return false;
    o->isas[0] = isa == HEARTH_ISA_AUTO ? hearth_isa_best() : isa;
    o->n_isas = 1;
    return true;
}

int main(int argc, char **argv) {
    options o = {.n_threads = 0, .min_mib = 128, .reps = 5};
    const long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    o.threads[o.n_threads++] = 1;
    if (ncpu > 1)
        o.threads[o.n_threads++] = ncpu > 64 ? 64 : (int)ncpu;
    const char *env = getenv("HEARTH_ISA");
    if (!parse_isas(env ? env : "best", &o)) {
        fprintf(stderr, "hearth-bench-kernels: unknown HEARTH_ISA '%s'\n", env);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "--json") == 0) {
            o.json = true;
        } else if (strcmp(arg, "--no-matmul") == 0) {
            o.skip_matmul = true;
        } else if (strcmp(arg, "--isa") == 0 && val) {
            if (!parse_isas(val, &o)) {
                fprintf(stderr, "hearth-bench-kernels: unknown ISA '%s'\n", val);
                return 2;
            }
            i++;
        } else if (strcmp(arg, "--threads") == 0 && val) {
            o.n_threads = parse_list(val, o.threads, 4);
            if (o.n_threads <= 0) {
                usage();
                return 2;
            }
            i++;
        } else if (strcmp(arg, "--filter") == 0 && val) {
            o.filter = val;
            i++;
        } else if (strcmp(arg, "--mib") == 0 && val) {
            o.min_mib = strtol(val, NULL, 10);
            if (o.min_mib < 1 || o.min_mib > 1 << 16) {
                usage();
                return 2;
            }
            i++;
        } else if (strcmp(arg, "--reps") == 0 && val) {
            o.reps = (int)strtol(val, NULL, 10);
            if (o.reps < 1 || o.reps > 1000) {
                usage();
                return 2;
            }
            i++;
        } else {
            usage();
            return strcmp(arg, "--help") == 0 ? 0 : 2;
        }
    }
    for (int i = 0; i < o.n_isas; i++) {
        if (!hearth_isa_supported(o.isas[i])) {
            fprintf(stderr, "hearth-bench-kernels: this CPU lacks tier %s\n",
                    hearth_isa_name(o.isas[i]));
            return 2;
        }
    }

    /* The read loops run next to every matvec, on a buffer of the same size. */
    read_limit rl = {.bytes = (size_t)o.min_mib << 20};
    rl.n_loops = roofline_read_loops(rl.loops, rl.names, 4);
    rl.buf = alloc_big(rl.bytes);
    memset(rl.buf, 1, rl.bytes);
    if (o.json)
        printf("[\n");
    else
        printf("| kernel     | type    | isa        |  T | shape              |     GB/s | %% read |  GFLOP/s |\n"
               "|------------|---------|------------|----|--------------------|----------|--------|----------|\n");

    for (int ii = 0; ii < o.n_isas; ii++) {
        hearth_kernels k;
        hearth_kernels_init(&k, o.isas[ii]);
        for (size_t ty = 0; ty < sizeof bench_types / sizeof bench_types[0]; ty++) {
            const int type = bench_types[ty];
            if (!wanted(&o, type) || !k.mat_dot[type])
                continue;
            fprintf(stderr, "bench %s %s...\n", hearth_type_traits_of(type)->name,
                    hearth_isa_name(k.isa));
            /* the tier's preferred layout, as the runtime repacks it, then GGUF order */
            int layouts[2] = {k.preferred_layout[type], HEARTH_LAYOUT_GGUF};
            for (int li = layouts[0] ? 0 : 1; li < 2; li++) {
                for (int ti = 0; ti < o.n_threads; ti++)
                    bench_matvec(&o, &k, type, layouts[li], o.threads[ti], &rl);
                /* the scalar reference is too slow for large batches: one point */
                const bool scalar = k.isa == HEARTH_ISA_SCALAR;
                if (!o.skip_matmul) {
                    const int tmax = o.threads[o.n_threads - 1];
                    bench_matmul(&o, &k, type, layouts[li], tmax, 32);
                    if (!scalar)
                        bench_matmul(&o, &k, type, layouts[li], tmax, 512);
                }
            }
            if (hearth_type_traits_of(type)->quantized)
                bench_convert(&o, &k, type);
        }
        /* the activation format of Q4_1/Q5_1 (Q8_0 is measured as a weight type) */
        if (wanted(&o, HEARTH_TYPE_Q8_1))
            bench_convert(&o, &k, HEARTH_TYPE_Q8_1);
    }
    roofline_free_huge(rl.buf, rl.bytes);
    if (o.json)
        printf("\n]\n");
    return 0;
}
