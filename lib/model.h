/* model.h - the loaded model: GGUF file, tokenizer, hyper-parameters, weights.
 *
 * A hearth_model is immutable after hearth_model_load() returns; every field is
 * read-only from then on, which is what makes it shareable between threads and
 * contexts. Weights point into the GGUF mapping; the one thing that changes
 * after load is where a matmul weight lives, through atomics (weight_home.h).
 */
#ifndef HEARTH_MODEL_H
#define HEARTH_MODEL_H

#include "internal.h"
#include "tokenizer.h"
#include "weight_home.h" /* weight_place, weight_homes */

/* One weight matrix or vector: a view into the mapping. A matrix of `rows`
 * rows of `cols` values in GGUF type `type` (row r starts at data + r * row_bytes).
 * Matmuls read it through weight_bytes(), which may give its huge-page home. */
typedef struct weight {
    const void *data;
    weight_place place; /* home and state (lib/weight_home.h); home NULL: none */
    uint32_t type;    /* GGUF type id */
    int64_t cols;     /* ne[0]: values per row */
    int64_t rows;     /* ne[1] (1 for a vector) */
    size_t row_bytes; /* bytes of one row */
} weight;

/* Hyper-parameters of a llama-architecture model (GGUF "llama.*" keys). */
typedef struct llama_hparams {
    int64_t n_vocab;     /* rows of token_embd */
    int64_t n_embd;      /* embedding_length */
    int64_t n_layer;     /* block_count */
    int64_t n_ff;        /* feed_forward_length */
    int64_t n_head;      /* attention.head_count */
    int64_t n_head_kv;   /* attention.head_count_kv (default n_head) */
    int64_t head_dim;    /* n_embd / n_head */
    int64_t n_rot;       /* rope.dimension_count (default head_dim): leading dims rotated */
    int64_t n_ctx_train; /* context_length */
    float rope_base;     /* rope.freq_base (default 10000) */
    float rope_freq_scale; /* 1 / rope scaling factor for linear scaling, else 1 */
    float rms_eps;       /* attention.layer_norm_rms_epsilon (default 1e-5) */
} llama_hparams;

typedef struct llama_layer {
    weight attn_norm; /* (n_embd) F32 */
    weight wq;        /* (n_embd rows, n_embd cols) */
    weight wk;        /* (n_head_kv * head_dim rows, n_embd cols) */
    weight wv;        /* (n_head_kv * head_dim rows, n_embd cols) */
    weight wo;        /* (n_embd rows, n_embd cols) */
    weight ffn_norm;  /* (n_embd) F32 */
    weight w_gate;    /* (n_ff rows, n_embd cols) */
    weight w_up;      /* (n_ff rows, n_embd cols) */
    weight w_down;    /* (n_embd rows, n_ff cols) */
} llama_layer;

typedef struct llama_weights {
    llama_hparams hp;
    weight token_embd;  /* (n_vocab rows, n_embd cols) */
    weight output_norm; /* (n_embd) F32 */
    weight output;      /* (n_vocab rows, n_embd cols); token_embd when tied */
    bool tied_output;   /* output.weight absent: logits use token_embd */
    const float *rope_freqs; /* (n_rot / 2) divisors of the rope frequencies, or NULL */
    llama_layer *layers;     /* (n_layer) */
    int64_t n_params;        /* weight values of all tensors */
    uint64_t weight_bytes;   /* bytes of all tensors */
} llama_weights;

struct hearth_model {
    hearth_gguf *gguf;           /* owns the mapping every weight points into */
    hearth_model_params params;  /* as passed at load (log callback included) */
    tokenizer *tok;              /* always present (vocab_only loads only this) */
    char *path;                  /* file path, for messages */

    /* Filled for a full load of a supported architecture (NULL when vocab_only). */
    struct llama_weights *llama;
    weight_homes *homes; /* huge-page homes of the matmul weights, or NULL */
};

/* lib/model_llama.c: reads hyper-parameters and binds every tensor of a
 * "llama" GGUF, validating names, shapes and that each weight type has kernels.
 * Errors name the tensor or key and what was expected. */
hearth_status llama_weights_load(llama_weights **out, const hearth_gguf *g, hearth_errbuf *err);
void llama_weights_free(llama_weights *w); /* NULL is a no-op */

#endif /* HEARTH_MODEL_H */
