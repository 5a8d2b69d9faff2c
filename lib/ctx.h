/* ctx.h - the inference context (lib/ctx.c) and the forward pass entry points
 * (lib/forward_llama.c, lib/forward_ops.c).
 *
 * A context owns its KV cache, its kernel table (a copy, resolved once for the
 * requested ISA tier), its thread pool and every scratch buffer, all allocated
 * at creation: decoding never allocates. One thread at a time per context.
 */
#ifndef HEARTH_CTX_H
#define HEARTH_CTX_H

#include "kv_cache.h"
#include "model.h"
#include "prefill.h"
#include "threadpool.h"

struct hearth_ctx {
    const hearth_model *model;
    const llama_weights *w;
    hearth_ctx_params params; /* with defaults resolved */
    hearth_kernels kern;      /* this context's copy of the kernel table */
    threadpool *tp;
    pf_workspace *pfws; /* per-thread scratch of lib/prefill*.c (attention, BLAS tiles) */
    kv_cache kv;
    int64_t n_ubatch; /* tokens per forward step (a decode call is split into steps) */
    int32_t n_shifts;

    /* Scratch for one step of up to n_ubatch tokens. */
    float *x;        /* (n_ubatch, n_embd) residual stream */
    float *xb;       /* (n_ubatch, n_embd) normalised input of a block */
    float *q;        /* (n_ubatch, n_embd) queries */
    float *k;        /* (n_ubatch, kv_dim) new keys */
    float *v;        /* (n_ubatch, kv_dim) new values */
    float *att;      /* (n_ubatch, n_embd) attention output, all heads */
    float *hb;       /* (n_ubatch, n_ff) gate, then silu(gate) * up */
    float *hb2;      /* (n_ubatch, n_ff) up */
    void *act;       /* (n_ubatch, row bytes of max(n_embd, n_ff) floats) converted activations */
    int act_type;    /* the activation type `act` holds */
    float *rope_cos; /* (n_ubatch, n_rot / 2) */
    float *rope_sin; /* (n_ubatch, n_rot / 2) */
    float *key_tmp;  /* (kv_dim) a key being re-rotated on a context shift */

    float *logits;         /* (logits_cap, n_vocab) */
    int64_t logits_cap;    /* n_batch with logits_all, else 1 */
    int32_t n_out;         /* tokens of the last decode call */
    bool have_logits;      /* a decode call has succeeded since the last truncate/reset */
};

/* lib/forward_llama.c: runs tokens [0, n) at positions pos0.. through the model
 * (n <= n_ubatch; the KV cache must have room). Writes the logits of token
 * first_logit + i to logits_out + i * n_vocab (first_logit = n: no logits). */
void llama_forward(hearth_ctx *c, const int32_t *tokens, int64_t n, int64_t pos0,
                   float *logits_out, int64_t first_logit);

/* lib/forward_ops.c: building blocks of the forward pass, parallel through c->tp. */

/* out[t * ldo + r] = dot(row r of W, x[t]) for t < n, r < W->rows.
 * x is (n, W->cols); activations are converted to W's vec_dot type, unless
 * same_input says x is the unchanged input of the previous call and that
 * conversion is of the right type already (q/k/v and gate/up share one). */
void fwd_matmul(hearth_ctx *c, float *out, int64_t ldo, const weight *W, const float *x,
                int64_t n, bool same_input);
/* out_i (n, ldos[i]) = x W_i^T for matrices that share the input x (q/k/v,
 * gate/up): x converted once and, when their activation formats agree, one
 * parallel job for all of them (prefill.h pf_matmul_q_many); same bits as
 * fwd_matmul on each. */
void fwd_matmul_shared(hearth_ctx *c, int n_mats, float *const *outs, const int64_t *ldos,
                       const weight *const *Ws, const float *x, int64_t n);
/* cos/sin of the rope angles of positions pos0..pos0+n-1 into c->rope_cos/sin. */
void fwd_rope_angles(hearth_ctx *c, int64_t pos0, int64_t n);
/* Rotates adjacent pairs of the first n_rot dims of every head of vec
 * (n_heads * head_dim values) by the angles in cos/sin (n_rot / 2 each). */
void fwd_rope_rotate(float *vec, int64_t n_heads, int64_t head_dim, int64_t n_rot,
                     const float *cos, const float *sin);
/* Causal attention of tokens [0, n) at positions pos0.. over cache layer `layer`:
 * c->att[t] = softmax(q[t] . K[0..pos] / sqrt(head_dim)) . V. */
void fwd_attention(hearth_ctx *c, int64_t layer, int64_t n, int64_t pos0);
/* Re-rotates the keys of cells [from, to) of every layer by `delta` positions
 * (a context shift moved them). */
void fwd_rerotate_keys(hearth_ctx *c, int64_t from, int64_t to, int64_t delta);

#endif /* HEARTH_CTX_H */
