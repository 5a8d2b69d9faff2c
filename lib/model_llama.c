/* model_llama.c - binds a "llama" GGUF file: hyper-parameters and tensor views.
 *
 * Reads the llama.* metadata, then finds every tensor the forward pass needs,
 * checks its shape against the hyper-parameters and checks that the kernels
 * can compute with its type. Every failure names the key or tensor and what
 * was expected. Weights are views into the mapping: nothing is copied.
 * No math here (lib/forward_llama.c runs the model).
 */
#include <math.h>   /* isfinite */
#include <stdio.h>  /* snprintf */
#include <stdlib.h> /* calloc, free */
#include <string.h> /* strcmp */

#include "model.h"

/* ---- Metadata ------------------------------------------------------------ */

/* Reads an integer key into *out; absent keys keep *out (the default) unless
 * required. Present keys of a non-integer type are a format error. */
static hearth_status meta_int(const hearth_gguf *g, const char *key, bool required, int64_t *out,
                              hearth_errbuf *err) {
    int64_t idx = hearth_gguf_find_key(g, key);
    if (idx < 0) {
        if (required)
            return hearth_fail(err, HEARTH_ERR_FORMAT, "missing metadata key %s", key);
        return HEARTH_OK;
    }
    hearth_gguf_value v;
    hearth_gguf_value_at(g, idx, &v);
    switch (v.type) {
    case HEARTH_GGUF_UINT8:
    case HEARTH_GGUF_UINT16:
    case HEARTH_GGUF_UINT32:
    case HEARTH_GGUF_UINT64:
        if (v.v.u64 > (uint64_t)INT32_MAX)
            return hearth_fail(err, HEARTH_ERR_FORMAT, "metadata %s = %llu: too large", key,
                               (unsigned long long)v.v.u64);
        *out = (int64_t)v.v.u64;
        return HEARTH_OK;
    case HEARTH_GGUF_INT8:
    case HEARTH_GGUF_INT16:
    case HEARTH_GGUF_INT32:
    case HEARTH_GGUF_INT64:
        if (v.v.i64 < 0 || v.v.i64 > INT32_MAX)
            return hearth_fail(err, HEARTH_ERR_FORMAT, "metadata %s = %lld: out of range", key,
                               (long long)v.v.i64);
        *out = v.v.i64;
        return HEARTH_OK;
    default:
        return hearth_fail(err, HEARTH_ERR_FORMAT, "metadata %s: expected an integer", key);
    }
}

static hearth_status meta_float(const hearth_gguf *g, const char *key, float *out,
                                hearth_errbuf *err) {
    int64_t idx = hearth_gguf_find_key(g, key);
    if (idx < 0)
        return HEARTH_OK;
    hearth_gguf_value v;
    hearth_gguf_value_at(g, idx, &v);
    if (v.type != HEARTH_GGUF_FLOAT32 && v.type != HEARTH_GGUF_FLOAT64)
        return hearth_fail(err, HEARTH_ERR_FORMAT, "metadata %s: expected a float", key);
    if (!isfinite(v.v.f64))
        return hearth_fail(err, HEARTH_ERR_FORMAT, "metadata %s: not a finite number", key);
    *out = (float)v.v.f64;
    return HEARTH_OK;
}

static const char *meta_str(const hearth_gguf *g, const char *key) {
    int64_t idx = hearth_gguf_find_key(g, key);
    hearth_gguf_value v;
    if (idx < 0 || hearth_gguf_value_at(g, idx, &v) != HEARTH_OK || v.type != HEARTH_GGUF_STRING)
        return NULL;
    return v.v.s.str;
}

/* Rope scaling: none, or linear (positions divided by the factor). YaRN and
 * other schemes change the attention math and are refused by name. */
static hearth_status read_rope_scaling(const hearth_gguf *g, llama_hparams *hp,
                                       hearth_errbuf *err) {
    float factor = 0.0f;
    HEARTH_TRY(meta_float(g, "llama.rope.scale_linear", &factor, err)); /* older files */
    const char *type = meta_str(g, "llama.rope.scaling.type");
    if (type && strcmp(type, "none") != 0 && strcmp(type, "linear") != 0)
        return hearth_fail(err, HEARTH_ERR_UNSUPPORTED,
                           "llama.rope.scaling.type '%s': only none and linear are supported",
                           type);
    if (type && strcmp(type, "none") == 0)
        factor = 0.0f;
    else
        HEARTH_TRY(meta_float(g, "llama.rope.scaling.factor", &factor, err));
    if (factor < 0.0f)
        return hearth_fail(err, HEARTH_ERR_FORMAT, "rope scaling factor %g: expected > 0",
                           (double)factor);
    hp->rope_freq_scale = factor > 0.0f ? 1.0f / factor : 1.0f;
    return HEARTH_OK;
}

static hearth_status read_hparams(const hearth_gguf *g, llama_hparams *hp, hearth_errbuf *err) {
    memset(hp, 0, sizeof *hp);
    HEARTH_TRY(meta_int(g, "llama.embedding_length", true, &hp->n_embd, err));
    HEARTH_TRY(meta_int(g, "llama.block_count", true, &hp->n_layer, err));
    HEARTH_TRY(meta_int(g, "llama.feed_forward_length", true, &hp->n_ff, err));
    HEARTH_TRY(meta_int(g, "llama.attention.head_count", true, &hp->n_head, err));
    hp->n_head_kv = hp->n_head;
    HEARTH_TRY(meta_int(g, "llama.attention.head_count_kv", false, &hp->n_head_kv, err));
    hp->n_ctx_train = 2048;
    HEARTH_TRY(meta_int(g, "llama.context_length", false, &hp->n_ctx_train, err));
    if (hp->n_embd <= 0 || hp->n_layer <= 0 || hp->n_ff <= 0 || hp->n_head <= 0 ||
        hp->n_head_kv <= 0 || hp->n_ctx_train <= 0)
        return hearth_fail(err, HEARTH_ERR_FORMAT,
                           "llama hyper-parameters: embedding_length %lld, block_count %lld, "
                           "feed_forward_length %lld, head_count %lld, head_count_kv %lld, "
                           "context_length %lld: expected all > 0",
                           (long long)hp->n_embd, (long long)hp->n_layer, (long long)hp->n_ff,
                           (long long)hp->n_head, (long long)hp->n_head_kv,
                           (long long)hp->n_ctx_train);
    if (hp->n_embd % hp->n_head != 0 || hp->n_head % hp->n_head_kv != 0)
        return hearth_fail(err, HEARTH_ERR_FORMAT,
                           "llama: embedding_length %lld, head_count %lld, head_count_kv %lld: "
                           "expected heads to divide the embedding and KV heads the heads",
                           (long long)hp->n_embd, (long long)hp->n_head,
                           (long long)hp->n_head_kv);
    hp->head_dim = hp->n_embd / hp->n_head;
    if (hp->head_dim % 2 != 0)
        return hearth_fail(err, HEARTH_ERR_FORMAT, "llama: head dimension %lld: expected even",
                           (long long)hp->head_dim);
    hp->n_rot = hp->head_dim;
    HEARTH_TRY(meta_int(g, "llama.rope.dimension_count", false, &hp->n_rot, err));
    if (hp->n_rot <= 0 || hp->n_rot > hp->head_dim || hp->n_rot % 2 != 0)
        return hearth_fail(err, HEARTH_ERR_FORMAT,
                           "llama.rope.dimension_count %lld: expected even, 2..%lld",
                           (long long)hp->n_rot, (long long)hp->head_dim);
    hp->rope_base = 10000.0f;
    HEARTH_TRY(meta_float(g, "llama.rope.freq_base", &hp->rope_base, err));
    hp->rms_eps = 1e-5f;
    HEARTH_TRY(meta_float(g, "llama.attention.layer_norm_rms_epsilon", &hp->rms_eps, err));
    if (!(hp->rope_base > 0.0f) || !(hp->rms_eps >= 0.0f))
        return hearth_fail(err, HEARTH_ERR_FORMAT,
                           "llama: rope.freq_base %g, layer_norm_rms_epsilon %g: expected > 0",
                           (double)hp->rope_base, (double)hp->rms_eps);
    return read_rope_scaling(g, hp, err);
}

/* ---- Tensors ------------------------------------------------------------- */

typedef enum { USE_MATMUL, USE_EMBED, USE_NORM } tensor_use;

/* Finds `name`, checks it has shape (cols) or (cols, rows) and that its type can
 * be used as `use` says; fills *w. rows == 0 means a vector. */
static hearth_status bind(llama_weights *lw, const hearth_gguf *g, const char *name, int64_t cols,
                          int64_t rows, tensor_use use, weight *w, hearth_errbuf *err) {
    char shape[64];
    if (rows)
        snprintf(shape, sizeof shape, "[%lld, %lld]", (long long)cols, (long long)rows);
    else
        snprintf(shape, sizeof shape, "[%lld]", (long long)cols);
    const hearth_gguf_tensor *t = hearth_gguf_find_tensor(g, name);
    if (!t)
        return hearth_fail(err, HEARTH_ERR_FORMAT, "missing tensor %s (expected shape %s)", name,
                           shape);
    int64_t want_rows = rows ? rows : 1;
    bool ok = t->ne[0] == cols && t->ne[1] == want_rows && t->ne[2] == 1 && t->ne[3] == 1;
    if (!ok || (rows == 0 && t->n_dims != 1))
        return hearth_fail(err, HEARTH_ERR_FORMAT,
                           "tensor %s has shape [%lld, %lld, %lld, %lld] (%u dims): "
                           "expected %s",
                           name, (long long)t->ne[0], (long long)t->ne[1], (long long)t->ne[2],
                           (long long)t->ne[3], t->n_dims, shape);
    const hearth_kernels *k = &hearth_kernels_ref; /* every tier starts from it */
    const hearth_type_traits *tt = hearth_type_traits_of((int)t->type);
    bool computable;
    if (use == USE_NORM)
        computable = t->type == HEARTH_TYPE_F32;
    else if (use == USE_EMBED)
        computable = k->dequantize_row[t->type] != NULL;
    else
        computable = tt->vec_dot_type >= 0 && k->vec_dot[t->type] && k->mat_dot[t->type] &&
                     k->quantize_act[tt->vec_dot_type];
    if (!computable)
        return hearth_fail(err, HEARTH_ERR_UNSUPPORTED,
                           "tensor %s: type %s is not supported (%s)", name, tt->name,
                           use == USE_NORM ? "norm weights must be F32"
                                           : "hearth has no kernels for it");
    w->data = t->data;
    w->type = t->type;
    w->cols = cols;
    w->rows = want_rows;
    w->row_bytes = hearth_row_bytes((int)t->type, cols);
    lw->n_params += cols * want_rows;
    lw->weight_bytes += t->n_bytes;
    return HEARTH_OK;
}

static hearth_status bind_layer(llama_weights *lw, const hearth_gguf *g, int64_t il,
                                hearth_errbuf *err) {
    const llama_hparams *hp = &lw->hp;
    llama_layer *L = &lw->layers[il];
    const int64_t kv_dim = hp->n_head_kv * hp->head_dim;
    char name[96];
#define BIND(suffix, cols, rows, use, field)                                                  \
    do {                                                                                      \
        snprintf(name, sizeof name, "blk.%lld.%s.weight", (long long)il, suffix);           \
        HEARTH_TRY(bind(lw, g, name, cols, rows, use, &L->field, err));                        \
    } while (0)
    BIND("attn_norm", hp->n_embd, 0, USE_NORM, attn_norm);
    BIND("attn_q", hp->n_embd, hp->n_embd, USE_MATMUL, wq);
    BIND("attn_k", hp->n_embd, kv_dim, USE_MATMUL, wk);
    BIND("attn_v", hp->n_embd, kv_dim, USE_MATMUL, wv);
    BIND("attn_output", hp->n_embd, hp->n_embd, USE_MATMUL, wo);
    BIND("ffn_norm", hp->n_embd, 0, USE_NORM, ffn_norm);
    BIND("ffn_gate", hp->n_embd, hp->n_ff, USE_MATMUL, w_gate);
    BIND("ffn_up", hp->n_embd, hp->n_ff, USE_MATMUL, w_up);
    BIND("ffn_down", hp->n_ff, hp->n_embd, USE_MATMUL, w_down);
#undef BIND
    return HEARTH_OK;
}

static hearth_status bind_all(llama_weights *lw, const hearth_gguf *g, hearth_errbuf *err) {
    llama_hparams *hp = &lw->hp;
    const hearth_gguf_tensor *te = hearth_gguf_find_tensor(g, "token_embd.weight");
    if (!te)
        return hearth_fail(err, HEARTH_ERR_FORMAT,
                           "missing tensor token_embd.weight (expected shape [%lld, n_vocab])",
                           (long long)hp->n_embd);
    hp->n_vocab = te->ne[1];
    if (hp->n_vocab <= 0 || hp->n_vocab > INT32_MAX)
        return hearth_fail(err, HEARTH_ERR_FORMAT, "tensor token_embd.weight: %lld rows: "
                           "expected a vocabulary of 1..2^31-1 tokens", (long long)hp->n_vocab);
    HEARTH_TRY(bind(lw, g, "token_embd.weight", hp->n_embd, hp->n_vocab, USE_EMBED,
                    &lw->token_embd, err));
    HEARTH_TRY(bind(lw, g, "output_norm.weight", hp->n_embd, 0, USE_NORM, &lw->output_norm, err));
    if (hearth_gguf_find_tensor(g, "output.weight")) {
        HEARTH_TRY(bind(lw, g, "output.weight", hp->n_embd, hp->n_vocab, USE_MATMUL, &lw->output,
                        err));
    } else {
        /* Tied embeddings: the logits reuse token_embd, which must then be a
         * matmul type too (it was only checked for dequantization above). */
        lw->tied_output = true;
        lw->output = lw->token_embd;
        const hearth_type_traits *tt = hearth_type_traits_of((int)lw->token_embd.type);
        const hearth_kernels *k = &hearth_kernels_ref;
        if (tt->vec_dot_type < 0 || !k->vec_dot[lw->token_embd.type] ||
            !k->mat_dot[lw->token_embd.type])
            return hearth_fail(err, HEARTH_ERR_UNSUPPORTED,
                               "tensor token_embd.weight (tied output): type %s is not "
                               "supported for the output matmul", tt->name);
    }
    if (hearth_gguf_find_tensor(g, "rope_freqs.weight")) {
        weight rf;
        HEARTH_TRY(bind(lw, g, "rope_freqs.weight", hp->n_rot / 2, 0, USE_NORM, &rf, err));
        lw->rope_freqs = rf.data; /* F32, 4-byte aligned by the GGUF alignment rule */
    }
    lw->layers = calloc((size_t)hp->n_layer, sizeof *lw->layers);
    if (!lw->layers)
        return hearth_fail(err, HEARTH_ERR_NOMEM, "llama: out of memory for %lld layers",
                           (long long)hp->n_layer);
    for (int64_t il = 0; il < hp->n_layer; il++)
        HEARTH_TRY(bind_layer(lw, g, il, err));
    return HEARTH_OK;
}

hearth_status llama_weights_load(llama_weights **out, const hearth_gguf *g, hearth_errbuf *err) {
    *out = NULL;
    llama_weights *lw = calloc(1, sizeof *lw);
    if (!lw)
        return hearth_fail(err, HEARTH_ERR_NOMEM, "llama: out of memory");
    hearth_status st = read_hparams(g, &lw->hp, err);
    if (st == HEARTH_OK)
        st = bind_all(lw, g, err);
    if (st != HEARTH_OK) {
        llama_weights_free(lw);
        return st;
    }
    *out = lw;
    return HEARTH_OK;
}

void llama_weights_free(llama_weights *w) {
    if (!w)
        return;
    free(w->layers);
    free(w);
}
