/* prefill.h - the parallel, deterministic compute stages of the forward pass
 * (owned by lib/prefill.c; the model code calls them, issue 6).
 *
 * Matmuls take a batch of activations: n_tok = 1 is decode (matrix x vector),
 * n_tok > 1 is prompt processing (matrix x matrix: each weight block is loaded
 * once per tile of tokens, not once per token). Activations are converted to
 * the weight type's activation format once per batch (pf_quantize) and may feed
 * several matmuls that share the input (q/k/v, gate/up).
 *
 * Determinism: work is split into tasks whose boundaries depend only on the
 * shapes, never on the thread count, and every output value is computed by one
 * task in a fixed order; so results are bit-identical at any thread count.
 */
#ifndef HEARTH_PREFILL_H
#define HEARTH_PREFILL_H

#include "internal.h"
#include "threadpool.h"

/* Bytes pf_quantize() writes for n_tok rows of n_in values multiplying weight
 * type `wtype` (its activation format, kernels/quant.h vec_dot_type). */
size_t pf_act_bytes(int wtype, int64_t n_in, int64_t n_tok);

/* The fixed grid pf_matmul_q cuts an n_out x n_tok product into (rows x
 * tokens per mat_dot call, ragged at the ends): it depends on the shape only,
 * never on the thread count, so neither do the results. (One thread with
 * fewer than HEARTH_MAT_DOT_REF_MIN_COLS tokens makes each matrix one call
 * instead: there every output is vec_dot's whatever the call's rows.) */
void pf_matmul_grid(int64_t n_out, int64_t n_tok, int64_t *rows, int64_t *tokens);

/* x: [n_tok][n_in] floats (row stride ldx floats) -> qx: n_tok rows in the
 * activation format of `wtype` (kernel slot quantize_act), packed (row stride
 * pf_act_bytes(wtype, n_in, 1)).
 * Parallel over tokens. */
void pf_quantize(threadpool *tp, const hearth_kernels *k, int wtype, const float *x,
                 int64_t ldx, int64_t n_in, int64_t n_tok, void *qx);

/* y[t][o] = dot(row o of w, activation row t of qx), t < n_tok, o < n_out.
 * w: n_out rows of n_in values of type wtype (row stride hearth_row_bytes)
 * in layout `layout` (hearth_layout); y: row stride ldy floats. qx as
 * written by pf_quantize(). */
void pf_matmul_q(threadpool *tp, const hearth_kernels *k, const void *w, int wtype, int layout,
                 int64_t n_in, int64_t n_out, const void *qx, int64_t n_tok, float *y,
                 int64_t ldy);

/* Matrices that multiply the same activations (q/k/v, gate/up) run as one job
 * (one handoff and one end-of-job wait instead of several): each keeps the
 * task grid it has alone, so the results are pf_matmul_q's bits. All must have
 * the same activation format and n_in values per row. */
enum { PF_MAX_MATS = 3 };
typedef struct pf_mat {
    const void *w;
    int wtype;
    int layout; /* hearth_layout of w's rows (layout_mat_dot), GGUF = 0 */
    int64_t n_out;
    float *y;    /* y[t][o], row stride ldy floats */
    int64_t ldy;
} pf_mat;
void pf_matmul_q_many(threadpool *tp, const hearth_kernels *k, const pf_mat *mats, int n_mats,
                      int64_t n_in, const void *qx, int64_t n_tok);

/* Per-thread scratch of the parallel stages (attention rows, weight chunks
 * converted to float for BLAS), sized once per context. Thread i owns floats
 * [i * floats_per_thread, (i + 1) * floats_per_thread) of mem. */
typedef struct pf_workspace {
    int n_threads;
    int64_t n_ctx, head_dim, group, max_n_in;
    size_t floats_per_thread;
    float *mem;
} pf_workspace;

/* For up to n_ctx cached positions, heads of head_dim values, n_head query
 * heads over n_head_kv KV heads, weight rows up to max_n_in values, and up to
 * n_threads threads. */
hearth_status pf_workspace_create(pf_workspace **out, int n_threads, int64_t n_ctx,
                                  int64_t head_dim, int64_t n_head, int64_t n_head_kv,
                                  int64_t max_n_in, hearth_errbuf *err);
void pf_workspace_free(pf_workspace *ws); /* NULL is a no-op */

/* True when pf_matmul() takes the BLAS path for this weight type and batch
 * (float weights at batches past the measured crossover; see README). */
bool pf_use_blas(const hearth_kernels *k, int wtype, int64_t n_tok);

/* Either pf_use_blas(): each task converts a chunk of weight rows to float in
 * its thread's slice of `ws` and multiplies it with cblas_sgemm (Debian's serial
 * OpenBLAS, called from our workers, CONVENTIONS §7); or pf_quantize() into
 * `scratch` (at least pf_act_bytes(wtype, n_in, n_tok)), then pf_matmul_q().
 * w is in GGUF layout (the model's BLAS path takes float weights, which are
 * never repacked). */
void pf_matmul(threadpool *tp, const hearth_kernels *k, pf_workspace *ws, const void *w,
               int wtype, int64_t n_in, int64_t n_out, const float *x, int64_t ldx, int64_t n_tok,
               void *scratch, float *y, int64_t ldy);

/* out[t] = rmsnorm(x[t]) * w for every token row (stride ld floats, out may
 * alias x), in parallel over tokens when the batch is large enough to pay. */
void pf_rmsnorm(threadpool *tp, const hearth_kernels *k, float *out, const float *x,
                const float *w, int64_t n, int64_t n_tok, int64_t ld, float eps);

#endif /* HEARTH_PREFILL_H */
