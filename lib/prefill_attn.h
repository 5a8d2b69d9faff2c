/* prefill_attn.h - causal grouped-query attention over the KV cache, parallel
 * and deterministic, for a decode token or a whole prompt batch (owned by
 * lib/prefill_attn.c, issue 6).
 *
 * The caller has already written the batch's K and V rows into the cache; token
 * t of the batch (position pos0 + t) attends to positions 0..pos0+t. Query head
 * h reads KV head h / (n_head / n_head_kv).
 */
#ifndef HEARTH_PREFILL_ATTN_H
#define HEARTH_PREFILL_ATTN_H

#include "internal.h"
#include "prefill.h"

typedef struct pf_attn {
    int64_t n_head, n_head_kv, head_dim;
    int64_t n_tok, pos0;
    const float *q; /* q[t * ldq + h * head_dim + i], RoPE applied */
    int64_t ldq;
    /* Cache rows of this layer: K of position p, KV head g starts at
     * (const char *)k + p * k_pos_stride + g * k_head_stride; same for V. */
    const void *k, *v;
    bool kv_f16; /* F16 rows, else F32 */
    size_t k_pos_stride, k_head_stride, v_pos_stride, v_head_stride;
    float scale;  /* usually 1 / sqrt(head_dim) */
    float *out;   /* out[t * ldo + h * head_dim + i] */
    int64_t ldo;
} pf_attn;

/* Floats of per-thread scratch pf_attention needs (for pf_workspace_create). */
size_t pf_attn_floats(int64_t n_ctx, int64_t head_dim, int64_t group);

/* out = softmax((q * scale) . K^T, causal) . V for every token and head, in
 * tasks per (KV head, block of 16 tokens), blockwise over the keys through the
 * kernel table's gemm_f32, transpose and softmax slots. Each (token, head)
 * output depends only on its query and the cache: results depend neither on
 * the thread count nor on how tokens were split into batches (a decode token
 * gets the bits it would get in a prompt batch). */
void pf_attention(threadpool *tp, const hearth_kernels *k, pf_workspace *ws, const pf_attn *a);

#endif /* HEARTH_PREFILL_ATTN_H */
