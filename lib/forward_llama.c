/* forward_llama.c - the llama forward pass, straight-line (llama2.c style).
 *
 * One code path for a batch of prompt tokens and for a single decode token:
 * every tensor is (n tokens, features), every matmul runs through the
 * context's kernel table (fwd_matmul) and every costly stage through the
 * thread pool. Nothing here allocates; the scratch lives in the context.
 */
#include "ctx.h"
#include "prefill.h" /* pf_rmsnorm */

void llama_forward(hearth_ctx *c, const int32_t *tokens, int64_t n, int64_t pos0,
                   float *logits_out, int64_t first_logit) {
    const llama_weights *w = c->w;
    const llama_hparams *hp = &w->hp;
    const hearth_kernels *k = &c->kern;
    const int64_t dim = hp->n_embd, kv_dim = hp->n_head_kv * hp->head_dim, ff = hp->n_ff;
    const int64_t half = hp->n_rot / 2;

    /* x (n, dim) = token embeddings */
    for (int64_t t = 0; t < n; t++)
        k->dequantize_row[w->token_embd.type](
            (const char *)w->token_embd.data + (size_t)tokens[t] * w->token_embd.row_bytes,
            c->x + t * dim, dim);
    fwd_rope_angles(c, pos0, n); /* rope_cos/sin (n, n_rot/2) */

    for (int64_t l = 0; l < hp->n_layer; l++) {
        const llama_layer *L = &w->layers[l];

        /* ---- attention block ---- */
        /* xb (n, dim) = rmsnorm(x) * attn_norm */
        pf_rmsnorm(c->tp, k, c->xb, c->x, L->attn_norm.data, dim, n, dim, hp->rms_eps);
        /* q (n, dim), k (n, kv_dim), v (n, kv_dim) from the same xb */
        fwd_matmul_shared(c, 3, (float *const[]){c->q, c->k, c->v},
                          (const int64_t[]){dim, kv_dim, kv_dim},
                          (const weight *const[]){&L->wq, &L->wk, &L->wv}, c->xb, n);
        for (int64_t t = 0; t < n; t++) {
            fwd_rope_rotate(c->q + t * dim, hp->n_head, hp->head_dim, hp->n_rot,
                            c->rope_cos + t * half, c->rope_sin + t * half);
            fwd_rope_rotate(c->k + t * kv_dim, hp->n_head_kv, hp->head_dim, hp->n_rot,
                            c->rope_cos + t * half, c->rope_sin + t * half);
            kv_store(&c->kv, l, pos0 + t, c->k + t * kv_dim, c->v + t * kv_dim,
                     k->quantize_row[HEARTH_TYPE_F16]);
        }
        fwd_attention(c, l, n, pos0);                   /* att (n, dim) */
        fwd_matmul(c, c->xb, dim, &L->wo, c->att, n, false); /* xb (n, dim) */
        k->add(c->x, c->x, c->xb, n * dim);             /* residual */

        /* ---- feed-forward block (SwiGLU) ---- */
        /* xb (n, dim) = rmsnorm(x) * ffn_norm */
        pf_rmsnorm(c->tp, k, c->xb, c->x, L->ffn_norm.data, dim, n, dim, hp->rms_eps);
        /* hb (n, ff) = gate, hb2 (n, ff) = up, from the same xb */
        fwd_matmul_shared(c, 2, (float *const[]){c->hb, c->hb2}, (const int64_t[]){ff, ff},
                          (const weight *const[]){&L->w_gate, &L->w_up}, c->xb, n);
        k->silu_mul(c->hb, c->hb, c->hb2, n * ff);      /* hb = silu(gate) * up */
        fwd_matmul(c, c->xb, dim, &L->w_down, c->hb, n, false); /* xb (n, dim) */
        k->add(c->x, c->x, c->xb, n * dim);              /* residual */
    }

    /* ---- logits of tokens [first_logit, n) ---- */
    const int64_t n_logits = n - first_logit;
    if (n_logits <= 0)
        return;
    for (int64_t t = 0; t < n_logits; t++) /* xb (n_logits, dim) = final norm */
        k->rmsnorm(c->xb + t * dim, c->x + (first_logit + t) * dim, w->output_norm.data, dim,
                   hp->rms_eps);
    fwd_matmul(c, logits_out, hp->n_vocab, &w->output, c->xb, n_logits,
               false); /* (n_logits, n_vocab) */
}
