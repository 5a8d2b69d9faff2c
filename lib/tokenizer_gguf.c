/* tokenizer_gguf.c - reads a tokenizer from GGUF metadata (tokenizer.ggml.*).
 *
 * Keys: model (required: "llama", "gpt2" or "bert"), tokens (required),
 * scores, token_type, merges (required for gpt2), pre, bos/eos/eot/eom/
 * unknown/seperator/padding_token_id, add_bos_token, add_eos_token,
 * add_space_prefix; general.name. Token strings and merges are read straight
 * from the mapping. Errors name the key; an out-of-range special id is a
 * warning (through the log callback), as a wrong id must not make a model
 * unusable.
 */
#include <string.h> /* strcmp */

#include "tokenizer_impl.h"

static hearth_status get_array(const hearth_gguf *g, const char *key, hearth_gguf_type elem,
                               hearth_gguf_value *v, bool required, bool *present,
                               hearth_errbuf *err) {
    *present = false;
    if (hearth_gguf_find_key(g, key) < 0) {
        if (required)
            return hearth_fail(err, HEARTH_ERR_FORMAT, "tokenizer: key %s is missing", key);
        return HEARTH_OK;
    }
    if (hearth_gguf_get_array(g, key, v) != HEARTH_OK || v->type != HEARTH_GGUF_ARRAY)
        return hearth_fail(err, HEARTH_ERR_FORMAT, "tokenizer: key %s is not an array", key);
    bool int_ok = elem == HEARTH_GGUF_INT32 &&
                  (v->v.arr.elem_type == HEARTH_GGUF_INT32 ||
                   v->v.arr.elem_type == HEARTH_GGUF_UINT32 ||
                   v->v.arr.elem_type == HEARTH_GGUF_INT64 ||
                   v->v.arr.elem_type == HEARTH_GGUF_UINT8 ||
                   v->v.arr.elem_type == HEARTH_GGUF_INT8);
    if (v->v.arr.elem_type != elem && !int_ok)
        return hearth_fail(err, HEARTH_ERR_FORMAT, "tokenizer: key %s has elements of type %d",
                           key, (int)v->v.arr.elem_type);
    *present = true;
    return HEARTH_OK;
}

static int32_t opt_id(const hearth_gguf *g, const char *key) {
    uint32_t v;
    if (hearth_gguf_find_key(g, key) < 0 || hearth_gguf_get_u32(g, key, &v) != HEARTH_OK)
        return TOK_UNSET;
    if (v == UINT32_MAX)
        return -1; /* converters write (uint32)-1 for "this model has none" */
    return v > (uint32_t)INT32_MAX ? INT32_MAX : (int32_t)v;
}

static int opt_bool(const hearth_gguf *g, const char *key) {
    bool v;
    if (hearth_gguf_find_key(g, key) < 0 || hearth_gguf_get_bool(g, key, &v) != HEARTH_OK)
        return TOK_UNSET;
    return v;
}

static const char *opt_str(const hearth_gguf *g, const char *key) {
    const char *s;
    if (hearth_gguf_find_key(g, key) < 0 || hearth_gguf_get_str(g, key, &s) != HEARTH_OK)
        return NULL;
    return s;
}

static hearth_status load_tokens(tokenizer *t, const hearth_gguf *g, hearth_errbuf *err) {
    hearth_gguf_value tokens, scores, types, merges;
    bool have_tokens, have_scores, have_types, have_merges;
    HEARTH_TRY(get_array(g, "tokenizer.ggml.tokens", HEARTH_GGUF_STRING, &tokens, true,
                         &have_tokens, err));
    HEARTH_TRY(get_array(g, "tokenizer.ggml.scores", HEARTH_GGUF_FLOAT32, &scores, false,
                         &have_scores, err));
    HEARTH_TRY(get_array(g, "tokenizer.ggml.token_type", HEARTH_GGUF_INT32, &types, false,
                         &have_types, err));
    uint64_t n = tokens.v.arr.count;
    if ((have_scores && scores.v.arr.count != n) || (have_types && types.v.arr.count != n))
        return hearth_fail(err, HEARTH_ERR_FORMAT,
                           "tokenizer: %llu tokens but %llu scores and %llu token types",
                           (unsigned long long)n,
                           (unsigned long long)(have_scores ? scores.v.arr.count : n),
                           (unsigned long long)(have_types ? types.v.arr.count : n));
    /* One pass for the sizes first: the buffers are then allocated once. */
    size_t text_bytes = 0;
    for (uint64_t i = 0; i < n; i++) {
        hearth_gguf_value s;
        if (hearth_gguf_array_get(&tokens, i, &s) == HEARTH_OK)
            text_bytes += (size_t)s.v.s.len;
    }
    if (t->model == TOK_MODEL_BPE)
        HEARTH_TRY(get_array(g, "tokenizer.ggml.merges", HEARTH_GGUF_STRING, &merges, true,
                             &have_merges, err));
    HEARTH_TRY(tokenizer_reserve(t, text_bytes, t->model == TOK_MODEL_BPE ? merges.v.arr.count : 0,
                                 err));
    for (uint64_t i = 0; i < n; i++) {
        hearth_gguf_value s, e;
        if (hearth_gguf_array_get(&tokens, i, &s) != HEARTH_OK)
            return hearth_fail(err, HEARTH_ERR_FORMAT, "tokenizer.ggml.tokens[%llu] unreadable",
                               (unsigned long long)i);
        float score = 0.0f;
        uint16_t attr = TOK_ATTR_NORMAL;
        if (have_scores && hearth_gguf_array_get(&scores, i, &e) == HEARTH_OK)
            score = (float)e.v.f64;
        if (have_types && hearth_gguf_array_get(&types, i, &e) == HEARTH_OK) {
            bool is_signed = e.type == HEARTH_GGUF_INT32 || e.type == HEARTH_GGUF_INT64 ||
                             e.type == HEARTH_GGUF_INT8;
            attr = tokenizer_attr_from_gguf_type(is_signed ? e.v.i64 : (int64_t)e.v.u64);
        }
        HEARTH_TRY(tokenizer_set_token(t, (int32_t)i, s.v.s.str, (size_t)s.v.s.len, score, attr,
                                       err));
    }
    if (t->model != TOK_MODEL_BPE)
        return HEARTH_OK;
    for (uint64_t i = 0; i < merges.v.arr.count; i++) {
        hearth_gguf_value s;
        if (hearth_gguf_array_get(&merges, i, &s) != HEARTH_OK)
            return hearth_fail(err, HEARTH_ERR_FORMAT, "tokenizer.ggml.merges[%llu] unreadable",
                               (unsigned long long)i);
        HEARTH_TRY(tokenizer_add_merge(t, s.v.s.str, (size_t)s.v.s.len, err));
    }
    return HEARTH_OK;
}

hearth_status tokenizer_load(tokenizer **out, const hearth_gguf *g, hearth_log_fn log_fn,
                             void *log_user, hearth_errbuf *err) {
    *out = NULL;
    const char *model = opt_str(g, "tokenizer.ggml.model");
    if (!model)
        return hearth_fail(err, HEARTH_ERR_FORMAT,
                           "tokenizer: key tokenizer.ggml.model is missing or not a string");
    tok_model m;
    if (!strcmp(model, "llama"))
        m = TOK_MODEL_SPM;
    else if (!strcmp(model, "gpt2"))
        m = TOK_MODEL_BPE;
    else if (!strcmp(model, "bert"))
        m = TOK_MODEL_WPM;
    else
        return hearth_fail(err, HEARTH_ERR_UNSUPPORTED,
                           "tokenizer: tokenizer.ggml.model '%s' is not supported "
                           "(llama, gpt2 and bert are)",
                           model);
    hearth_gguf_value tokens;
    if (hearth_gguf_find_key(g, "tokenizer.ggml.tokens") < 0 ||
        hearth_gguf_get_array(g, "tokenizer.ggml.tokens", &tokens) != HEARTH_OK)
        return hearth_fail(err, HEARTH_ERR_FORMAT, "tokenizer: key tokenizer.ggml.tokens is "
                                                   "missing or not an array");
    if (tokens.v.arr.count == 0 || tokens.v.arr.count > (uint64_t)INT32_MAX)
        return hearth_fail(err, HEARTH_ERR_FORMAT, "tokenizer: %llu tokens",
                           (unsigned long long)tokens.v.arr.count);
    tokenizer *t;
    HEARTH_TRY(tokenizer_create(&t, m, (int32_t)tokens.v.arr.count, err));
    hearth_status st = load_tokens(t, g, err);
    if (st == HEARTH_OK) {
        tokenizer_opts o = tokenizer_default_opts();
        o.pre = opt_str(g, "tokenizer.ggml.pre");
        o.model_name = opt_str(g, "general.name");
        o.bos = opt_id(g, "tokenizer.ggml.bos_token_id");
        o.eos = opt_id(g, "tokenizer.ggml.eos_token_id");
        o.eot = opt_id(g, "tokenizer.ggml.eot_token_id");
        o.eom = opt_id(g, "tokenizer.ggml.eom_token_id");
        o.unk = opt_id(g, "tokenizer.ggml.unknown_token_id");
        o.sep = opt_id(g, "tokenizer.ggml.seperator_token_id"); /* sic, as GGUF spells it */
        o.pad = opt_id(g, "tokenizer.ggml.padding_token_id");
        o.add_bos = opt_bool(g, "tokenizer.ggml.add_bos_token");
        o.add_eos = opt_bool(g, "tokenizer.ggml.add_eos_token");
        o.add_space_prefix = opt_bool(g, "tokenizer.ggml.add_space_prefix");
        o.log_fn = log_fn;
        o.log_user = log_user;
        st = tokenizer_finish(t, &o, err);
    }
    if (st != HEARTH_OK) {
        tokenizer_free(t);
        return st;
    }
    *out = t;
    return HEARTH_OK;
}
