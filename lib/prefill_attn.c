/* prefill_attn.c - causal grouped-query attention, parallel and deterministic
 * (interface and layout: prefill_attn.h).
 *
 * Decode (few tokens): one task per (token, query head): scores with the
 * kernel table's F16/F32 dot, softmax, then the weighted sum of V rows with
 * axpy, positions in ascending order.
 * Batch: one task per (KV head, block of QBLOCK queries), same arithmetic per
 * (token, head) as decode but with each K/V row loaded once for the group's
 * query heads and the block's tokens. Not BLAS: sgemm's result for a row
 * depends on the batch shape (measured), which would make a token's logits
 * depend on how its prompt was split into calls, and Debian's serial OpenBLAS
 * 0.3.21 corrupts results when two threads call it at once (measured; see
 * README). Task boundaries depend only on the shapes, so the thread count
 * never changes a result bit.
 */
#include "prefill_attn.h"

#include <string.h> /* memset, memcpy */


enum { QBLOCK = 16, DECODE_MAX_TOKENS = 4 };

/* Thread slice (prefill.c sizes it with pf_attn_floats()): the scores of one
 * task, [group*QBLOCK x n_ctx] (decode uses the first n_ctx). */
size_t pf_attn_floats(int64_t n_ctx, int64_t hd, int64_t group) {
    (void)hd;
    return (size_t)(group * QBLOCK) * (size_t)n_ctx;
}

typedef struct attn_job {
    const pf_attn *a;
    const hearth_kernels *k;
    pf_workspace *ws;
    int64_t group, n_qblocks;
} attn_job;

static const void *k_row(const pf_attn *a, int64_t p, int64_t g) {
    return (const char *)a->k + (size_t)p * a->k_pos_stride + (size_t)g * a->k_head_stride;
}
static const void *v_row(const pf_attn *a, int64_t p, int64_t g) {
    return (const char *)a->v + (size_t)p * a->v_pos_stride + (size_t)g * a->v_head_stride;
}

/* ---- Decode: one (token, head) per task ----------------------------------- */

static void decode_task(void *arg, int64_t task, int thread) {
    const attn_job *j = arg;
    const pf_attn *a = j->a;
    const hearth_kernels *k = j->k;
    int64_t t = task / a->n_head, h = task % a->n_head, g = h / j->group;
    int64_t hd = a->head_dim, len = a->pos0 + t + 1;
    const float *q = a->q + t * a->ldq + h * hd;
    float *s = j->ws->mem + (size_t)thread * j->ws->floats_per_thread;
    for (int64_t p = 0; p < len; p++)
        s[p] = (a->kv_f16 ? k->dot_f16_f32(k_row(a, p, g), q, hd)
                          : k->dot_f32(k_row(a, p, g), q, hd)) *
               a->scale;
    k->softmax(s, len);
    float *o = a->out + t * a->ldo + h * hd;
    memset(o, 0, (size_t)hd * sizeof *o);
    for (int64_t p = 0; p < len; p++) {
        if (a->kv_f16)
            k->axpy_f16(o, s[p], v_row(a, p, g), hd);
        else
            k->axpy_f32(o, s[p], v_row(a, p, g), hd);
    }
}

/* ---- Batch: one (KV head, query block) per task --------------------------- */

/* The same arithmetic as decode_task for every (token, head) -- the same
 * kernel calls on the same operands, positions in the same order -- so a token
 * gets the same bits whether it came in a batch or alone (truncate and
 * redecode reproduce logits exactly). What the block changes is locality: each
 * K and V row is loaded once and used by all group x QBLOCK query rows. */
static void block_task(void *arg, int64_t task, int thread) {
    const attn_job *j = arg;
    const pf_attn *a = j->a;
    const hearth_kernels *k = j->k;
    const int64_t hd = a->head_dim, group = j->group;
    const int64_t g = task / j->n_qblocks, qb = task % j->n_qblocks;
    const int64_t t0 = qb * QBLOCK;
    const int64_t nb = a->n_tok - t0 < QBLOCK ? a->n_tok - t0 : QBLOCK;
    const int64_t len = a->pos0 + t0 + nb; /* positions the block's last query sees */
    const int64_t rows = group * nb;       /* row r = (head g*group + r / nb, token t0 + r % nb) */
    float *s = j->ws->mem + (size_t)thread * j->ws->floats_per_thread; /* [rows x len] */

#define ROW_T(r) (t0 + (r) % nb)
#define ROW_H(r) (g * group + (r) / nb)
#define ROW_VALID(r) (a->pos0 + ROW_T(r) + 1)
    for (int64_t p = 0; p < len; p++) {
        const void *kr = k_row(a, p, g);
        for (int64_t r = 0; r < rows; r++) {
            if (p >= ROW_VALID(r))
                continue;
            const float *q = a->q + ROW_T(r) * a->ldq + ROW_H(r) * hd;
            s[r * len + p] = (a->kv_f16 ? k->dot_f16_f32(kr, q, hd) : k->dot_f32(kr, q, hd)) *
                             a->scale;
        }
    }
    for (int64_t r = 0; r < rows; r++) {
        k->softmax(s + r * len, ROW_VALID(r));
        memset(a->out + ROW_T(r) * a->ldo + ROW_H(r) * hd, 0, (size_t)hd * sizeof(float));
    }
    for (int64_t p = 0; p < len; p++) {
        const void *vr = v_row(a, p, g);
        for (int64_t r = 0; r < rows; r++) {
            if (p >= ROW_VALID(r))
                continue;
            float *o = a->out + ROW_T(r) * a->ldo + ROW_H(r) * hd;
            if (a->kv_f16)
                k->axpy_f16(o, s[r * len + p], vr, hd);
            else
                k->axpy_f32(o, s[r * len + p], vr, hd);
        }
    }
#undef ROW_T
#undef ROW_H
#undef ROW_VALID
}

void pf_attention(threadpool *tp, const hearth_kernels *k, pf_workspace *ws, const pf_attn *a) {
    HEARTH_ASSERT(a->pos0 + a->n_tok <= ws->n_ctx && a->head_dim == ws->head_dim);
    HEARTH_ASSERT(tp_n_threads(tp) <= ws->n_threads && a->n_head / a->n_head_kv == ws->group);
    attn_job j = {a, k, ws, a->n_head / a->n_head_kv, (a->n_tok + QBLOCK - 1) / QBLOCK};
    if (a->n_tok <= DECODE_MAX_TOKENS)
        tp_parallel_for(tp, a->n_tok * a->n_head, decode_task, &j);
    else
        tp_parallel_for(tp, a->n_head_kv * j.n_qblocks, block_task, &j);
}
