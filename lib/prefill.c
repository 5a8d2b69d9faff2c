/* prefill.c - parallel matmuls and norms for decode and prompt batches (prefill.h).
 *
 * A matmul is cut into tasks of (a chunk of weight rows) x (a tile of tokens).
 * Row chunks are a few dozen rows: small enough that there are several tasks
 * per thread for dynamic balancing even for the 256-row K/V projections, large
 * enough that the per-task overhead (one atomic increment) is noise. The
 * kernel's mat_dot reuses each weight block across the tile's tokens in
 * registers. Float weights in large batches may instead go through BLAS.
 * Chunk sizes depend on the shapes only, so results never depend on the thread
 * count (and mat_dot gives vec_dot's bits for every value anyway).
 */
#include "prefill.h"

#include <stdlib.h> /* aligned_alloc, free */
#include <string.h> /* memcpy */

#include "prefill_attn.h"

#ifdef HEARTH_HAVE_BLAS
#include <cblas.h>
#include <pthread.h> /* the OpenBLAS call lock */
#endif

/* Tokens per mat_dot call: the activations of one tile (64 x 2048 values =
 * 136 KB in Q8_0) stay in L2 while weight rows are swept across them, and
 * batch layouts that rearrange weights per call (avx512vnni rows16.c) spread
 * that work over 64 tokens (measured +12 % in cache over 32). */
enum { TOKEN_TILE = 64 };
/* Weight rows per BLAS task: 64 x 5632 floats = 1.4 MiB of converted weights,
 * multiplied against the whole batch in one sgemm. */
enum { BLAS_ROWS = 64 };

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* Rows per task: about n_out / 32 (so even 256-row outputs give 16 tasks),
 * rounded to 16 and kept in 16..128. A function of the shape only. */
static int64_t rows_per_chunk(int64_t n_out, int64_t n_tok) {
    int64_t r = ceil_div(n_out, 32);
    r = ceil_div(r, 16) * 16;
    int64_t max_rows = n_tok > 1 ? 64 : 128;
    if (r > max_rows)
        r = max_rows;
    if (r < 16)
        r = 16;
    return r;
}

void pf_matmul_grid(int64_t n_out, int64_t n_tok, int64_t *rows, int64_t *tokens) {
    *rows = rows_per_chunk(n_out, n_tok);
    *tokens = TOKEN_TILE;
}

size_t pf_act_bytes(int wtype, int64_t n_in, int64_t n_tok) {
    int at = hearth_type_traits_of(wtype)->vec_dot_type;
    if (at < 0)
        return 0;
    return hearth_row_bytes(at, n_in) * (size_t)n_tok;
}

/* ---- Activation conversion ---------------------------------------------- */

typedef struct quantize_job {
    hearth_quantize_row_fn fn;
    const float *x;
    int64_t ldx, n_in, rows_per_task, n_tok;
    char *qx;
    size_t q_row;
} quantize_job;

static void quantize_task(void *arg, int64_t task, int thread) {
    const quantize_job *j = arg;
    int64_t t0 = task * j->rows_per_task, t1 = t0 + j->rows_per_task;
    if (t1 > j->n_tok)
        t1 = j->n_tok;
    for (int64_t t = t0; t < t1; t++)
        j->fn(j->x + t * j->ldx, j->qx + (size_t)t * j->q_row, j->n_in);
}

void pf_quantize(threadpool *tp, const hearth_kernels *k, int wtype, const float *x,
                 int64_t ldx, int64_t n_in, int64_t n_tok, void *qx) {
    int at = hearth_type_traits_of(wtype)->vec_dot_type;
    HEARTH_ASSERT(at >= 0 && k->quantize_act[at]);
    quantize_job j = {k->quantize_act[at], x, ldx, n_in, 8, n_tok, qx,
                      hearth_row_bytes(at, n_in)};
    /* One row is a few microseconds: only batches are worth a handoff. */
    int64_t n_tasks = ceil_div(n_tok, j.rows_per_task);
    if (n_tok < 16) {
        for (int64_t t = 0; t < n_tasks; t++)
            quantize_task(&j, t, 0);
        return;
    }
    tp_parallel_for(tp, n_tasks, quantize_task, &j);
}

/* ---- Matmul ------------------------------------------------------------- */

/* One matrix of a job: its share of the tasks starts at `first_task`. */
typedef struct matmul_part {
    hearth_mat_dot_fn mat_dot;
    const char *w;
    size_t w_row;
    int64_t n_out, rows, n_chunks, first_task;
    float *y;
    int64_t ldy;
} matmul_part;

typedef struct matmul_job {
    matmul_part part[PF_MAX_MATS];
    int n_parts;
    int64_t n_in;
    const char *qx;
    size_t a_row;
    int64_t n_tok;
} matmul_job;

/* Task = one row chunk x one token tile of one matrix; a matrix's tasks are
 * numbered tile-major: consecutive tasks share the token tile, whose
 * converted activations stay in L2 while the weight rows stream past
 * (measured slightly faster than chunk-major at pp512, on a noisy machine). */
static void matmul_task(void *arg, int64_t task, int thread) {
    (void)thread;
    const matmul_job *j = arg;
    int p = 0;
    while (p + 1 < j->n_parts && task >= j->part[p + 1].first_task)
        p++;
    const matmul_part *m = &j->part[p];
    const int64_t local = task - m->first_task;
    const int64_t tile = local / m->n_chunks, chunk = local % m->n_chunks;
    const int64_t r0 = chunk * m->rows, nr = m->n_out - r0 < m->rows ? m->n_out - r0 : m->rows;
    const int64_t c0 = tile * TOKEN_TILE,
                  nc = j->n_tok - c0 < TOKEN_TILE ? j->n_tok - c0 : TOKEN_TILE;
    m->mat_dot(j->n_in, nr, nc, m->y + c0 * m->ldy + r0, m->ldy, m->w + (size_t)r0 * m->w_row,
               m->w_row, j->qx + (size_t)c0 * j->a_row, j->a_row);
}

void pf_matmul_q_many(threadpool *tp, const hearth_kernels *k, const pf_mat *mats, int n_mats,
                      int64_t n_in, const void *qx, int64_t n_tok) {
    HEARTH_ASSERT(n_mats >= 1 && n_mats <= PF_MAX_MATS);
    const int at = hearth_type_traits_of(mats[0].wtype)->vec_dot_type;
    matmul_job j = {.n_parts = n_mats, .n_in = n_in, .qx = qx,
                    .a_row = hearth_row_bytes(at, n_in), .n_tok = n_tok};
    const int64_t n_tiles = ceil_div(n_tok, TOKEN_TILE);
    /* Each matrix its own grid, except that one thread decoding takes each
     * matrix in one call. Why: every call prepares its activation column
     * again and the weight stream stalls meanwhile; on one Zen 4 core Q8_0
     * rows of 2048 values streamed from DRAM at 22.2 GB/s in calls of 64
     * rows, 24.1 in calls of 128 and 24.6 in calls of 512 (scratch harness),
     * and tg on one thread rose 3-17 % (Q4_0), 8-14 % (Q8_0) and 3-12 %
     * (Q4_K_M). The bits stay: below HEARTH_MAT_DOT_REF_MIN_COLS columns
     * every output is vec_dot's whatever the call's rows (kernels.h). Two or
     * more threads keep the grid: longer tasks measured slower there (Q4_K_M
     * at 2 threads, interleaved A/B). */
    const bool one_task_each = n_tok < HEARTH_MAT_DOT_REF_MIN_COLS && tp_n_threads(tp) == 1;
    int64_t n_tasks = 0;
    for (int i = 0; i < n_mats; i++) {
        const hearth_mat_dot_fn md = mats[i].layout != HEARTH_LAYOUT_GGUF
                                         ? k->layout_mat_dot[mats[i].layout]
                                         : k->mat_dot[mats[i].wtype];
        HEARTH_ASSERT(hearth_type_traits_of(mats[i].wtype)->vec_dot_type == at && md);
        matmul_part *m = &j.part[i];
        m->mat_dot = md;
        m->w = mats[i].w;
        m->w_row = hearth_row_bytes(mats[i].wtype, n_in);
        m->n_out = mats[i].n_out;
        m->rows = one_task_each ? mats[i].n_out : rows_per_chunk(mats[i].n_out, n_tok);
        m->n_chunks = ceil_div(mats[i].n_out, m->rows);
        m->first_task = n_tasks;
        m->y = mats[i].y;
        m->ldy = mats[i].ldy;
        n_tasks += m->n_chunks * n_tiles;
    }
    tp_parallel_for(tp, n_tasks, matmul_task, &j);
}

void pf_matmul_q(threadpool *tp, const hearth_kernels *k, const void *w, int wtype, int layout,
                 int64_t n_in, int64_t n_out, const void *qx, int64_t n_tok, float *y,
                 int64_t ldy) {
    const pf_mat m = {w, wtype, layout, n_out, y, ldy};
    pf_matmul_q_many(tp, k, &m, 1, n_in, qx, n_tok);
}

/* ---- BLAS path ------------------------------------------------------------ */

/* Batch size from which converting float weights to F32 and calling sgemm beats
 * the kernel table's mat_dot (measured on this machine, README "BLAS"); 0 =
 * never. Quantized types stay on the int8 kernels, and so do float types on
 * the x86 tiers, whose float mat_dot is register-tiled: per thread as fast as
 * OpenBLAS's sgemm (AVX2) or ~2x faster (AVX-512) at every batch size, and
 * never serialised behind the BLAS lock. */
static int64_t blas_crossover(const hearth_kernels *k, int wtype) {
#ifdef HEARTH_HAVE_BLAS
    const bool tiled = k->isa == HEARTH_ISA_AVX2 || k->isa == HEARTH_ISA_AVX512 ||
                       k->isa == HEARTH_ISA_AVX512VNNI;
    switch (wtype) {
    case HEARTH_TYPE_F32:
    case HEARTH_TYPE_F16:
    case HEARTH_TYPE_BF16:
        return tiled ? 0 : 16;
    default:
        return 0;
    }
#else
    (void)k;
    (void)wtype;
    return 0;
#endif
}

bool pf_use_blas(const hearth_kernels *k, int wtype, int64_t n_tok) {
    int64_t c = blas_crossover(k, wtype);
    return c > 0 && n_tok >= c;
}

typedef struct blas_job {
    const hearth_kernels *k;
    pf_workspace *ws;
    const char *w;
    int wtype;
    size_t w_row;
    int64_t n_in, n_out, n_tok, ldx, ldy;
    const float *x;
    float *y;
} blas_job;

#ifdef HEARTH_HAVE_BLAS
/* Debian's serial OpenBLAS (0.3.21) returns wrong results when two threads call
 * sgemm at the same time (measured: 3 threads x 20000 calls of 45x64x352 gave
 * ~180 corrupted products), so calls are serialised process-wide: within one
 * context, and across contexts running on different threads. Converting the
 * weight chunk happens outside the lock. */
static pthread_mutex_t blas_lock = PTHREAD_MUTEX_INITIALIZER;

static void blas_task(void *arg, int64_t task, int thread) {
    const blas_job *j = arg;
    int64_t r0 = task * BLAS_ROWS, nr = j->n_out - r0 < BLAS_ROWS ? j->n_out - r0 : BLAS_ROWS;
    float *wf = j->ws->mem + (size_t)thread * j->ws->floats_per_thread; /* [nr x n_in] */
    for (int64_t r = 0; r < nr; r++) {
        const char *src = j->w + (size_t)(r0 + r) * j->w_row;
        if (j->wtype == HEARTH_TYPE_F32)
            memcpy(wf + r * j->n_in, src, (size_t)j->n_in * sizeof *wf);
        else
            j->k->dequantize_row[j->wtype](src, wf + r * j->n_in, j->n_in);
    }
    /* y[:, r0:r0+nr] = x (n_tok x n_in) . wf^T */
    pthread_mutex_lock(&blas_lock);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)j->n_tok, (int)nr, (int)j->n_in,
                1.0f, j->x, (int)j->ldx, wf, (int)j->n_in, 0.0f, j->y + r0, (int)j->ldy);
    pthread_mutex_unlock(&blas_lock);
}
#endif

void pf_matmul(threadpool *tp, const hearth_kernels *k, pf_workspace *ws, const void *w,
               int wtype, int64_t n_in, int64_t n_out, const float *x, int64_t ldx, int64_t n_tok,
               void *scratch, float *y, int64_t ldy) {
#ifdef HEARTH_HAVE_BLAS
    if (ws && pf_use_blas(k, wtype, n_tok) && n_in <= ws->max_n_in) {
        blas_job j = {k, ws, w, wtype, hearth_row_bytes(wtype, n_in), n_in, n_out, n_tok, ldx,
                      ldy, x, y};
        tp_parallel_for(tp, (n_out + BLAS_ROWS - 1) / BLAS_ROWS, blas_task, &j);
        return;
    }
#endif
    pf_quantize(tp, k, wtype, x, ldx, n_in, n_tok, scratch);
    pf_matmul_q(tp, k, w, wtype, HEARTH_LAYOUT_GGUF, n_in, n_out, scratch, n_tok, y, ldy);
}

/* ---- Workspace ----------------------------------------------------------- */

hearth_status pf_workspace_create(pf_workspace **out, int n_threads, int64_t n_ctx,
                                  int64_t head_dim, int64_t n_head, int64_t n_head_kv,
                                  int64_t max_n_in, hearth_errbuf *err) {
    *out = NULL;
    if (n_threads < 1 || n_ctx < 1 || head_dim < 1 || n_head_kv < 1 || n_head % n_head_kv ||
        max_n_in < 1)
        return hearth_fail(err, HEARTH_ERR_INVALID_ARG, "parallel workspace: bad shape");
    pf_workspace *ws = calloc(1, sizeof *ws);
    if (!ws)
        return hearth_fail(err, HEARTH_ERR_NOMEM, "parallel workspace: out of memory");
    ws->n_threads = n_threads;
    ws->n_ctx = n_ctx;
    ws->head_dim = head_dim;
    ws->group = n_head / n_head_kv;
    ws->max_n_in = max_n_in;
    size_t per = pf_attn_floats(n_ctx, head_dim, ws->group);
#ifdef HEARTH_HAVE_BLAS
    if ((size_t)(BLAS_ROWS * max_n_in) > per)
        per = (size_t)(BLAS_ROWS * max_n_in);
#endif
    ws->floats_per_thread = (per + 15) / 16 * 16; /* 64-byte aligned slices */
    size_t bytes = ws->floats_per_thread * sizeof(float) * (size_t)n_threads;
    /* Pages are only touched when a stage uses them: decode-only contexts keep
     * most of this virtual. */
    ws->mem = aligned_alloc(64, bytes);
    if (!ws->mem) {
        free(ws);
        return hearth_fail(err, HEARTH_ERR_NOMEM, "parallel workspace: %zu bytes", bytes);
    }
    *out = ws;
    return HEARTH_OK;
}

void pf_workspace_free(pf_workspace *ws) {
    if (!ws)
        return;
    free(ws->mem);
    free(ws);
}

/* ---- Norms --------------------------------------------------------------- */

typedef struct norm_job {
    const hearth_kernels *k;
    float *out;
    const float *x, *w;
    int64_t n, ld;
    float eps;
} norm_job;

static void norm_task(void *arg, int64_t t, int thread) {
    const norm_job *j = arg;
    j->k->rmsnorm(j->out + t * j->ld, j->x + t * j->ld, j->w, j->n, j->eps);
}

void pf_rmsnorm(threadpool *tp, const hearth_kernels *k, float *out, const float *x,
                const float *w, int64_t n, int64_t n_tok, int64_t ld, float eps) {
    norm_job j = {k, out, x, w, n, ld, eps};
    /* A 2048-wide norm is ~1 us: a handoff costs more below a few tokens. */
    if (n_tok < 4) {
        for (int64_t t = 0; t < n_tok; t++)
            norm_task(&j, t, 0);
        return;
    }
    tp_parallel_for(tp, n_tok, norm_task, &j);
}
