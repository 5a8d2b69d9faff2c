/* prefill_attn.c - causal grouped-query attention, parallel and deterministic
 * (interface and layout: prefill_attn.h).
 *
 * Decode (few tokens): one task per (token, query head): scores with the
 * kernel table's F16/F32 dot, softmax, then the weighted sum of V rows with
 * axpy, positions in ascending order.
 * Batch: one task per (KV head, block of QBLOCK queries). The group's query
 * heads share the KV head, so its K and V rows 0..L (L = last position the
 * block sees) are converted to float once into the thread's scratch and used
 * by group x QBLOCK query rows: S = Q K^T (rows x L), causal softmax per row,
 * O = P V. With BLAS both products are cblas_sgemm calls on these small
 * per-task matrices (Debian's serial OpenBLAS, called from our workers,
 * CONVENTIONS §7); without it, the kernel table's f32 dot and axpy.
 * Task boundaries depend only on the shapes, so the thread count never
 * changes a result bit.
 */
#include "prefill_attn.h"

#include <string.h> /* memset, memcpy */

#ifdef HEARTH_HAVE_BLAS
#include <cblas.h>
#endif

enum { QBLOCK = 16, DECODE_MAX_TOKENS = 4 };

/* Thread slice layout (prefill.c sizes it with pf_attn_floats()): Kf [n_ctx x hd],
 * Vf [n_ctx x hd], S [group*QBLOCK x n_ctx], Q and O [group*QBLOCK x hd].
 * Decode uses S's first n_ctx floats. */
size_t pf_attn_floats(int64_t n_ctx, int64_t hd, int64_t group) {
    size_t rows = (size_t)(group * QBLOCK);
    return 2 * (size_t)(n_ctx * hd) + rows * (size_t)n_ctx + 2 * rows * (size_t)hd;
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
        s[p] = a->scale * (a->kv_f16 ? k->dot_f16_f32(k_row(a, p, g), q, hd)
                                     : k->dot_f32(k_row(a, p, g), q, hd));
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

static void to_float_rows(const pf_attn *a, const hearth_kernels *k, bool is_v, int64_t g,
                          int64_t len, float *dst) {
    int64_t hd = a->head_dim;
    for (int64_t p = 0; p < len; p++) {
        const void *src = is_v ? v_row(a, p, g) : k_row(a, p, g);
        if (a->kv_f16)
            k->dequantize_row[HEARTH_TYPE_F16](src, dst + p * hd, hd);
        else
            memcpy(dst + p * hd, src, (size_t)hd * sizeof *dst);
    }
}

static void block_task(void *arg, int64_t task, int thread) {
    const attn_job *j = arg;
    const pf_attn *a = j->a;
    const hearth_kernels *k = j->k;
    const int64_t hd = a->head_dim, group = j->group;
    const int64_t g = task / j->n_qblocks, qb = task % j->n_qblocks;
    const int64_t t0 = qb * QBLOCK;
    const int64_t nb = a->n_tok - t0 < QBLOCK ? a->n_tok - t0 : QBLOCK;
    const int64_t len = a->pos0 + t0 + nb; /* positions the block's last query sees */
    const int64_t rows = group * nb;       /* row r = (head-in-group r / nb, token r % nb) */

    float *kf = j->ws->mem + (size_t)thread * j->ws->floats_per_thread;
    float *vf = kf + j->ws->n_ctx * hd;
    float *s = vf + j->ws->n_ctx * hd; /* [rows x len] */
    float *qbuf = s + (size_t)(group * QBLOCK) * (size_t)j->ws->n_ctx;
    float *obuf = qbuf + group * QBLOCK * hd;
    to_float_rows(a, k, false, g, len, kf);
    to_float_rows(a, k, true, g, len, vf);
    for (int64_t r = 0; r < rows; r++) {
        int64_t h = g * group + r / nb, t = t0 + r % nb;
        memcpy(qbuf + r * hd, a->q + t * a->ldq + h * hd, (size_t)hd * sizeof *qbuf);
    }

    /* S = scale * Q Kf^T */
#ifdef HEARTH_HAVE_BLAS
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)len, (int)hd, a->scale,
                qbuf, (int)hd, kf, (int)hd, 0.0f, s, (int)len);
#else
    for (int64_t r = 0; r < rows; r++) {
        int64_t valid = a->pos0 + t0 + r % nb + 1;
        for (int64_t p = 0; p < valid; p++)
            s[r * len + p] = a->scale * k->dot_f32(kf + p * hd, qbuf + r * hd, hd);
    }
#endif
    /* Causal softmax per row; masked positions become exact zeros. */
    for (int64_t r = 0; r < rows; r++) {
        int64_t valid = a->pos0 + t0 + r % nb + 1;
        k->softmax(s + r * len, valid);
        memset(s + r * len + valid, 0, (size_t)(len - valid) * sizeof *s);
    }
    /* O = P Vf */
#ifdef HEARTH_HAVE_BLAS
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)hd, (int)len, 1.0f, s,
                (int)len, vf, (int)hd, 0.0f, obuf, (int)hd);
#else
    for (int64_t r = 0; r < rows; r++) {
        int64_t valid = a->pos0 + t0 + r % nb + 1;
        float *o = obuf + r * hd;
        memset(o, 0, (size_t)hd * sizeof *o);
        for (int64_t p = 0; p < valid; p++)
            k->axpy_f32(o, s[r * len + p], vf + p * hd, hd);
    }
#endif
    for (int64_t r = 0; r < rows; r++) {
        int64_t h = g * group + r / nb, t = t0 + r % nb;
        memcpy(a->out + t * a->ldo + h * hd, obuf + r * hd, (size_t)hd * sizeof *obuf);
    }
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
