/* model_load.c - opening a model file: GGUF, tokenizer, hyper-parameters, weights.
 *
 * vocab_only loads stop after the tokenizer (any architecture). A full load
 * binds the weights of a supported architecture (llama: lib/model_llama.c) and
 * refuses any other with HEARTH_ERR_UNSUPPORTED naming it. The model is
 * immutable once hearth_model_load() returns.
 */
#include <stdio.h>  /* snprintf */
#include <stdlib.h> /* calloc, free */
#include <string.h> /* strdup */

#include "gguf.h" /* whether the image is mapped */
#include "model.h"

hearth_model_params hearth_model_default_params(void) {
    hearth_model_params p;
    memset(&p, 0, sizeof p);
    p.use_mmap = true;
    p.hugepage_weights = true;
    return p;
}

void hearth_model_free(hearth_model *model) {
    if (!model)
        return;
    tokenizer_free(model->tok);
    weight_homes_free(model->homes);
    llama_weights_free(model->llama);
    hearth_gguf_close(model->gguf);
    free(model->path);
    free(model);
}

/* Every matrix the forward pass multiplies with gets a huge-page home. The
 * token embeddings are read a row per token and stay in place (unless they
 * double as the output matrix: then the output's copy of the view moves). */
static hearth_status give_homes(hearth_model *m, hearth_errbuf *err) {
    llama_weights *lw = m->llama;
    const int64_t n = lw->hp.n_layer * 7 + 1;
    weight **ws = calloc((size_t)n, sizeof *ws);
    if (!ws)
        return hearth_fail(err, HEARTH_ERR_NOMEM, "weight homes: out of memory");
    int64_t k = 0;
    for (int64_t l = 0; l < lw->hp.n_layer; l++) {
        llama_layer *L = &lw->layers[l];
        ws[k++] = &L->wq;
        ws[k++] = &L->wk;
        ws[k++] = &L->wv;
        ws[k++] = &L->wo;
        ws[k++] = &L->w_gate;
        ws[k++] = &L->w_up;
        ws[k++] = &L->w_down;
    }
    ws[k++] = &lw->output;
    hearth_status st = weight_homes_create(&m->homes, ws, k, m->gguf->file.mapped, err);
    free(ws);
    return st;
}

hearth_status hearth_model_load(const char *path, const hearth_model_params *params,
                                hearth_model **out) {
    if (out)
        *out = NULL;
    if (!path || !out)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "hearth_model_load: NULL path or out");
    hearth_model *m = calloc(1, sizeof *m);
    if (!m)
        return hearth_set_error(HEARTH_ERR_NOMEM, "hearth_model_load: out of memory");
    m->params = params ? *params : hearth_model_default_params();
    m->path = strdup(path);
    if (!m->path) {
        hearth_model_free(m);
        return hearth_set_error(HEARTH_ERR_NOMEM, "hearth_model_load: out of memory");
    }
    hearth_gguf_params gp = hearth_gguf_default_params();
    gp.use_mmap = m->params.use_mmap;
    hearth_status st = hearth_gguf_open(path, &gp, &m->gguf);
    if (st != HEARTH_OK) {
        hearth_model_free(m); /* hearth_gguf_open() has set the last error */
        return st;
    }
    const char *arch = "";
    if (hearth_gguf_find_key(m->gguf, "general.architecture") >= 0)
        hearth_gguf_get_str(m->gguf, "general.architecture", &arch);

    hearth_errbuf err = {""};
    st = tokenizer_load(&m->tok, m->gguf, m->params.log_fn, m->params.log_user, &err);
    if (st != HEARTH_OK) {
        hearth_model_free(m);
        return hearth_set_error(st, "%s: %s", path, err.msg);
    }
    if (!m->params.vocab_only) {
        if (strcmp(arch, "llama") != 0) /* arch lives in the mapping: format first */
            st = hearth_fail(&err, HEARTH_ERR_UNSUPPORTED,
                             "architecture '%s' is not supported (supported: llama; vocab_only "
                             "loads work for any architecture)",
                             arch);
        else
            st = llama_weights_load(&m->llama, m->gguf, &err);
        if (st == HEARTH_OK && m->llama->hp.n_vocab != tokenizer_n_vocab(m->tok))
            st = hearth_fail(&err, HEARTH_ERR_FORMAT,
                             "tensor token_embd.weight has %lld rows: expected the vocabulary "
                             "size %d",
                             (long long)m->llama->hp.n_vocab, (int)tokenizer_n_vocab(m->tok));
        if (st == HEARTH_OK && m->params.hugepage_weights)
            st = give_homes(m, &err);
        if (st != HEARTH_OK) {
            hearth_model_free(m);
            return hearth_set_error(st, "%s: %s", path, err.msg);
        }
    }
    *out = m;
    return HEARTH_OK;
}

const hearth_gguf *hearth_model_gguf(const hearth_model *model) {
    return model ? model->gguf : NULL;
}

/* "<arch>.<suffix>" as an int32, 0 when absent. */
static int32_t arch_i32(const hearth_gguf *g, const char *arch, const char *suffix) {
    char key[160];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    uint32_t v;
    if (hearth_gguf_find_key(g, key) < 0 || hearth_gguf_get_u32(g, key, &v) != HEARTH_OK)
        return 0;
    return v > (uint32_t)INT32_MAX ? INT32_MAX : (int32_t)v;
}

hearth_status hearth_model_info_get(const hearth_model *model, hearth_model_info *out) {
    if (!model || !out)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "hearth_model_info_get: NULL argument");
    memset(out, 0, sizeof *out);
    const hearth_gguf *g = model->gguf;
    out->arch = "";
    out->name = "";
    if (hearth_gguf_find_key(g, "general.architecture") >= 0)
        hearth_gguf_get_str(g, "general.architecture", &out->arch);
    if (hearth_gguf_find_key(g, "general.name") >= 0)
        hearth_gguf_get_str(g, "general.name", &out->name);
    out->n_vocab = tokenizer_n_vocab(model->tok);
    out->n_ctx_train = arch_i32(g, out->arch, "context_length");
    out->n_embd = arch_i32(g, out->arch, "embedding_length");
    out->n_layer = arch_i32(g, out->arch, "block_count");
    out->n_head = arch_i32(g, out->arch, "attention.head_count");
    out->n_head_kv = arch_i32(g, out->arch, "attention.head_count_kv");
    out->n_ff = arch_i32(g, out->arch, "feed_forward_length");
    out->vocab_only = model->params.vocab_only;
    if (model->llama) { /* the values the forward pass uses, defaults applied */
        const llama_hparams *hp = &model->llama->hp;
        out->n_ctx_train = (int32_t)hp->n_ctx_train;
        out->n_head_kv = (int32_t)hp->n_head_kv;
        out->n_params = model->llama->n_params;
        out->weight_bytes = model->llama->weight_bytes;
    }
    return HEARTH_OK;
}
