/* prefill_attn.c - causal grouped-query attention, parallel and deterministic
 * (interface and layout: prefill_attn.h).
 *
 * One task per (KV head, block of QBLOCK tokens[, part of the head group]):
 * its rows are the (token, query head) pairs of the block that read that KV
 * head, token-major. The task works blockwise over KBLOCK keys:
 *   scores  S = (q * scale) . K^T   the K block turned into float columns once
 *                                   (transpose slot), then one register-tiled
 *                                   product for all rows (gemm_f32 slot);
 *   softmax per row over the keys its token sees (SIMD exp in the tiers);
 *   sums    O = P . V               the V block converted to float once, one
 *                                   product for the rows that see the whole
 *                                   block, one per token on the diagonal.
 * gemm_f32 computes every output as one fused multiply-add chain in term order,
 * whatever the tile (kernels.h), and softmax depends only on its row: so each
 * (token, head) output depends only on its own query and the cache, never on
 * the block, the task split or the thread. A token gets the same bits alone
 * (decode) as in a batch, and at any thread count.
 *
 * Not BLAS: sgemm's result for a row depends on the batch shape (measured),
 * and Debian's serial OpenBLAS 0.3.21 corrupts results when two threads call
 * it at once (see README); the tiles here are small enough for registers.
 */
#include "prefill_attn.h"

#include <string.h> /* memset, memcpy */

/* QBLOCK tokens x group query heads = 128 rows for TinyLlama's 8:1 GQA; a
 * KBLOCK x head_dim block of K (transposed) or V is 16 KB at head_dim 64, in
 * L1 while all the rows go past it. */
enum { QBLOCK = 16, KBLOCK = 64 };

static size_t round16(size_t n) { return (n + 15) / 16 * 16; } /* 64-byte slices */

/* Thread slice (prefill.c sizes it with pf_attn_floats()): one task's scores
 * [rows x n_ctx], scaled queries and outputs [rows x hd] each, a K and a V
 * block [KBLOCK x hd] each, rows <= group * QBLOCK. */
size_t pf_attn_floats(int64_t n_ctx, int64_t hd, int64_t group) {
    const size_t rows = (size_t)(group * QBLOCK);
    return round16(rows * (size_t)n_ctx) + 2 * round16(rows * (size_t)hd) +
           2 * round16((size_t)(KBLOCK * hd));
}

typedef struct attn_job {
    const pf_attn *a;
    const hearth_kernels *k;
    pf_workspace *ws;
    int64_t group;          /* query heads per KV head */
    int64_t n_qblocks;      /* blocks of QBLOCK tokens */
    int64_t heads_per_task; /* query heads of one group in one task */
    int64_t n_parts;        /* tasks per (KV head, token block) */
} attn_job;

static const void *k_row(const pf_attn *a, int64_t p, int64_t g) {
    return (const char *)a->k + (size_t)p * a->k_pos_stride + (size_t)g * a->k_head_stride;
}
static const void *v_row(const pf_attn *a, int64_t p, int64_t g) {
    return (const char *)a->v + (size_t)p * a->v_pos_stride + (size_t)g * a->v_head_stride;
}

static int64_t min64(int64_t x, int64_t y) { return x < y ? x : y; }
static int64_t max64(int64_t x, int64_t y) { return x > y ? x : y; }

/* Task numbering puts the last token blocks (the most keys) first, so that
 * dynamic claiming ends with the small tasks. */
static void attn_task(void *arg, int64_t task, int thread) {
    const attn_job *j = arg;
    const pf_attn *a = j->a;
    const hearth_kernels *k = j->k;
    const int64_t hd = a->head_dim, per_block = a->n_head_kv * j->n_parts;
    const int64_t qb = j->n_qblocks - 1 - task / per_block;
    const int64_t g = task % per_block / j->n_parts, part = task % j->n_parts;
    const int64_t h0 = g * j->group + part * j->heads_per_task;
    const int64_t nh = min64(j->heads_per_task, j->group - part * j->heads_per_task);
    const int64_t t0 = qb * QBLOCK, nt = min64(QBLOCK, a->n_tok - t0);
    const int64_t p0 = a->pos0 + t0;   /* position of the block's first token */
    const int64_t rows = nt * nh;      /* row r: token t0 + r / nh, head h0 + r % nh */
    const int64_t len = p0 + nt;       /* keys the block's last token sees */

    float *s = j->ws->mem + (size_t)thread * j->ws->floats_per_thread; /* [rows x len] */
    float *qs = s + round16((size_t)(rows * len));                      /* [rows x hd] */
    float *o = qs + round16((size_t)(rows * hd));                       /* [rows x hd] */
    float *kt = o + round16((size_t)(rows * hd));                       /* [hd x KBLOCK] */
    float *vb = kt + round16((size_t)(KBLOCK * hd));                    /* [KBLOCK x hd] */

    for (int64_t r = 0; r < rows; r++) {
        const float *q = a->q + (t0 + r / nh) * a->ldq + (h0 + r % nh) * hd;
        for (int64_t i = 0; i < hd; i++)
            qs[r * hd + i] = q[i] * a->scale;
    }

    /* Scores. Token tl sees key p when p <= p0 + tl: rows before r0 see none
     * of the block and skip it; rows past r0 may compute a few scores beyond
     * their own last key, which their softmax never reads. */
    for (int64_t kb = 0; kb < len; kb += KBLOCK) {
        const int64_t np = min64(KBLOCK, len - kb);
        const int64_t r0 = max64(0, kb - p0) * nh;
        if (a->kv_f16)
            k->transpose_f16_f32(kt, KBLOCK, k_row(a, kb, g), a->k_pos_stride, np, hd);
        else
            k->transpose_f32(kt, KBLOCK, k_row(a, kb, g), a->k_pos_stride, np, hd);
        k->gemm_f32(rows - r0, np, hd, qs + r0 * hd, hd, kt, KBLOCK, s + r0 * len + kb, len,
                    false);
    }
    for (int64_t r = 0; r < rows; r++)
        k->softmax(s + r * len, p0 + r / nh + 1);

    /* Weighted sums: every output continues its chain block after block. */
    memset(o, 0, (size_t)(rows * hd) * sizeof *o);
    for (int64_t kb = 0; kb < len; kb += KBLOCK) {
        const int64_t np = min64(KBLOCK, len - kb);
        const float *vs = vb;
        int64_t ldv = hd;
        if (a->kv_f16) {
            for (int64_t p = 0; p < np; p++)
                k->dequantize_row[HEARTH_TYPE_F16](v_row(a, kb + p, g), vb + p * hd, hd);
        } else {
            vs = v_row(a, kb, g);
            ldv = (int64_t)(a->v_pos_stride / sizeof(float));
        }
        /* tokens before tl_first see none of the block, from tl_full on all */
        const int64_t tl_first = max64(0, kb - p0);
        const int64_t tl_full = min64(nt, max64(tl_first, kb + np - 1 - p0));
        for (int64_t tl = tl_first; tl < tl_full; tl++)
            k->gemm_f32(nh, hd, p0 + tl + 1 - kb, s + tl * nh * len + kb, len, vs, ldv,
                        o + tl * nh * hd, hd, true);
        if (tl_full < nt)
            k->gemm_f32((nt - tl_full) * nh, hd, np, s + tl_full * nh * len + kb, len, vs, ldv,
                        o + tl_full * nh * hd, hd, true);
    }
    for (int64_t r = 0; r < rows; r++)
        memcpy(a->out + (t0 + r / nh) * a->ldo + (h0 + r % nh) * hd, o + r * hd,
               (size_t)hd * sizeof *o);
}

void pf_attention(threadpool *tp, const hearth_kernels *k, pf_workspace *ws, const pf_attn *a) {
    HEARTH_ASSERT(a->pos0 + a->n_tok <= ws->n_ctx && a->head_dim == ws->head_dim);
    HEARTH_ASSERT(tp_n_threads(tp) <= ws->n_threads && a->n_head / a->n_head_kv == ws->group);
    attn_job j = {a, k, ws, a->n_head / a->n_head_kv, (a->n_tok + QBLOCK - 1) / QBLOCK, 0, 0};
    /* Decode-sized batches have one task per KV head; when that is fewer
     * tasks than threads, the head group is split (each part converts the
     * K/V blocks again). Results do not depend on this choice. */
    const int64_t base = a->n_head_kv * j.n_qblocks, n_threads = tp_n_threads(tp);
    int64_t parts = base < n_threads ? (n_threads + base - 1) / base : 1;
    parts = min64(parts, j.group);
    j.heads_per_task = (j.group + parts - 1) / parts;
    j.n_parts = (j.group + j.heads_per_task - 1) / j.heads_per_task;
    tp_parallel_for(tp, base * j.n_parts, attn_task, &j);
}
