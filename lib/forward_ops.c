/* forward_ops.c - the parallel building blocks of the forward pass: matmul,
 * rope and causal attention.
 *
 * Work is split through the context's thread pool into tasks whose results
 * depend only on the task index (rows of a matmul, a block of attention
 * rows), never on which thread runs them: logits are bit-identical at
 * any thread count (CONVENTIONS §5). All arithmetic goes through c->kern.
 */
#include <math.h>   /* pow, cos, sin, sqrtf */

#include "ctx.h"
#include "prefill.h"      /* pf_quantize, pf_matmul_q: tiled parallel matmul */
#include "prefill_attn.h" /* pf_attention: blockwise batch attention */

/* ---- Matmul ------------------------------------------------------------- */

/* The activations of x for W's kernels: the floats themselves for F32
 * weights, else x converted into c->act, which is kept when `reuse` says the
 * previous call had the same input and it is already of the right type. */
static const void *matmul_input(hearth_ctx *c, const weight *W, const float *x, int64_t n,
                                bool reuse) {
    const int act_type = hearth_type_traits_of((int)W->type)->vec_dot_type;
    if (act_type == HEARTH_TYPE_F32) {
        c->act_type = -1; /* c->act still holds an older input: never reuse it after this */
        return x;
    }
    if (!reuse || c->act_type != act_type)
        pf_quantize(c->tp, &c->kern, (int)W->type, x, W->cols, W->cols, n, c->act);
    c->act_type = act_type;
    return c->act;
}

/* The row/token tiling and the thread split are lib/prefill.c's (issue 6);
 * this wrapper only decides when activations need converting. */
void fwd_matmul(hearth_ctx *c, float *out, int64_t ldo, const weight *W, const float *x,
                int64_t n, bool same_input) {
    /* its huge-page home once moved, maybe repacked */
    const weight_view wv = weight_bytes(c->tp, &c->kern, W);
    if (pf_use_blas(&c->kern, (int)W->type, n)) { /* float weights, large batch: sgemm tiles */
        HEARTH_ASSERT(wv.layout == HEARTH_LAYOUT_GGUF); /* float types are never repacked */
        pf_matmul(c->tp, &c->kern, c->pfws, wv.data, (int)W->type, W->cols, W->rows, x, W->cols,
                  n, c->act, out, ldo);
        c->act_type = -1; /* c->act was not written: the next same_input call converts */
        return;
    }
    const void *act = matmul_input(c, W, x, n, same_input);
    pf_matmul_q(c->tp, &c->kern, wv.data, (int)W->type, wv.layout, W->cols, W->rows, act, n,
                out, ldo);
}

void fwd_matmul_shared(hearth_ctx *c, int n_mats, float *const *outs, const int64_t *ldos,
                       const weight *const *Ws, const float *x, int64_t n) {
    const int at = hearth_type_traits_of((int)Ws[0]->type)->vec_dot_type;
    bool one_job = n_mats <= PF_MAX_MATS;
    for (int i = 0; i < n_mats && one_job; i++)
        one_job = !pf_use_blas(&c->kern, (int)Ws[i]->type, n) &&
                  hearth_type_traits_of((int)Ws[i]->type)->vec_dot_type == at &&
                  Ws[i]->cols == Ws[0]->cols;
    if (!one_job) { /* mixed activation formats or sgemm tiles: one matmul each */
        for (int i = 0; i < n_mats; i++)
            fwd_matmul(c, outs[i], ldos[i], Ws[i], x, n, i > 0);
        return;
    }
    const void *act = matmul_input(c, Ws[0], x, n, false);
    pf_mat mats[PF_MAX_MATS];
    for (int i = 0; i < n_mats; i++) {
        const weight_view wv = weight_bytes(c->tp, &c->kern, Ws[i]);
        mats[i] = (pf_mat){wv.data, (int)Ws[i]->type, wv.layout, Ws[i]->rows, outs[i], ldos[i]};
    }
    pf_matmul_q_many(c->tp, &c->kern, mats, n_mats, Ws[0]->cols, act, n);
}

/* ---- RoPE --------------------------------------------------------------- */

/* Angle of pair i at position p: p * freq_scale * base^(-2i/n_rot) / rope_freqs[i],
 * evaluated in double so that long positions keep their precision. */
static double rope_angle(const llama_weights *w, double pos, int64_t i) {
    const llama_hparams *hp = &w->hp;
    double freq = pow((double)hp->rope_base, -2.0 * (double)i / (double)hp->n_rot);
    if (w->rope_freqs)
        freq /= (double)w->rope_freqs[i];
    return pos * (double)hp->rope_freq_scale * freq;
}

void fwd_rope_angles(hearth_ctx *c, int64_t pos0, int64_t n) {
    const int64_t half = c->w->hp.n_rot / 2;
    for (int64_t t = 0; t < n; t++)
        for (int64_t i = 0; i < half; i++) {
            double a = rope_angle(c->w, (double)(pos0 + t), i);
            c->rope_cos[t * half + i] = (float)cos(a);
            c->rope_sin[t * half + i] = (float)sin(a);
        }
}

void fwd_rope_rotate(float *vec, int64_t n_heads, int64_t head_dim, int64_t n_rot,
                     const float *cos_, const float *sin_) {
    for (int64_t h = 0; h < n_heads; h++) {
        float *v = vec + h * head_dim;
        for (int64_t i = 0; i < n_rot / 2; i++) { /* adjacent pairs (x[2i], x[2i+1]) */
            float x0 = v[2 * i], x1 = v[2 * i + 1];
            v[2 * i] = x0 * cos_[i] - x1 * sin_[i];
            v[2 * i + 1] = x0 * sin_[i] + x1 * cos_[i];
        }
    }
}

void fwd_rerotate_keys(hearth_ctx *c, int64_t from, int64_t to, int64_t delta) {
    const llama_hparams *hp = &c->w->hp;
    const int64_t half = hp->n_rot / 2;
    /* One position's worth of angles: every moved key turns by the same delta. */
    float *cs = c->rope_cos, *sn = c->rope_sin;
    for (int64_t i = 0; i < half; i++) {
        double a = rope_angle(c->w, (double)delta, i);
        cs[i] = (float)cos(a);
        sn[i] = (float)sin(a);
    }
    for (int64_t l = 0; l < hp->n_layer; l++)
        for (int64_t p = from; p < to; p++) {
            kv_load_k(&c->kv, l, p, c->key_tmp, c->kern.dequantize_row[HEARTH_TYPE_F16]);
            fwd_rope_rotate(c->key_tmp, hp->n_head_kv, hp->head_dim, hp->n_rot, cs, sn);
            kv_store_k(&c->kv, l, p, c->key_tmp, c->kern.quantize_row[HEARTH_TYPE_F16]);
        }
}

/* ---- Attention ---------------------------------------------------------- */

/* Decode tokens and prompt batches alike: lib/prefill_attn.c, per (KV head,
 * block of tokens), so batch and decode give a token the same bits. */
void fwd_attention(hearth_ctx *c, int64_t layer, int64_t n, int64_t pos0) {
    const llama_hparams *hp = &c->w->hp;
    const size_t elt = c->kv.elt_bytes, head_bytes = (size_t)hp->head_dim * elt;
    pf_attn a = {
        .n_head = hp->n_head, .n_head_kv = hp->n_head_kv, .head_dim = hp->head_dim,
        .n_tok = n, .pos0 = pos0, .q = c->q, .ldq = hp->n_embd,
        .k = kv_k_row(&c->kv, layer, 0), .v = kv_v_row(&c->kv, layer, 0),
        .kv_f16 = c->kv.type == HEARTH_KV_F16,
        .k_pos_stride = (size_t)c->kv.kv_dim * elt, .k_head_stride = head_bytes,
        .v_pos_stride = (size_t)c->kv.kv_dim * elt, .v_head_stride = head_bytes,
        .scale = 1.0f / sqrtf((float)hp->head_dim), .out = c->att, .ldo = hp->n_embd,
    };
    pf_attention(c->tp, &c->kern, c->pfws, &a);
}
