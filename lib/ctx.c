/* ctx.c - hearth_ctx_*: context creation, decode, logits, KV truncation and
 * context shifting.
 *
 * Creation resolves every default (n_ctx, threads, ISA), builds the context's
 * own kernel table and allocates the KV cache and all scratch once. Decode
 * validates its input completely before changing anything, then runs the
 * forward pass in steps of at most n_ubatch tokens.
 */
#include <stdlib.h> /* calloc, free */
#include <string.h> /* memset */

#include "ctx.h"

/* Tokens per forward step: bounds the (n, n_ff) scratch of long prompts. */
#define MAX_UBATCH 512

hearth_ctx_params hearth_ctx_default_params(void) {
    hearth_ctx_params p;
    memset(&p, 0, sizeof p);
    p.isa = HEARTH_ISA_AUTO;
    p.kv_type = HEARTH_KV_F16;
    return p;
}

void hearth_ctx_free(hearth_ctx *c) {
    if (!c)
        return;
    tp_free(c->tp);
    pf_workspace_free(c->pfws);
    kv_free(&c->kv);
    free(c->x);
    free(c->xb);
    free(c->q);
    free(c->k);
    free(c->v);
    free(c->att);
    free(c->hb);
    free(c->hb2);
    free(c->act);
    free(c->rope_cos);
    free(c->rope_sin);
    free(c->key_tmp);
    free(c->logits);
    free(c);
}

static float *alloc_floats(int64_t a, int64_t b, bool *ok) {
    float *p = calloc((size_t)(a * b > 0 ? a * b : 1), sizeof(float));
    if (!p)
        *ok = false;
    return p;
}

static hearth_status alloc_scratch(hearth_ctx *c, hearth_errbuf *err) {
    const llama_hparams *hp = &c->w->hp;
    const int64_t u = c->n_ubatch, kv_dim = hp->n_head_kv * hp->head_dim;
    const int64_t widest = hp->n_ff > hp->n_embd ? hp->n_ff : hp->n_embd;
    bool ok = true;
    c->x = alloc_floats(u, hp->n_embd, &ok);
    c->xb = alloc_floats(u, hp->n_embd, &ok);
    c->q = alloc_floats(u, hp->n_embd, &ok);
    c->k = alloc_floats(u, kv_dim, &ok);
    c->v = alloc_floats(u, kv_dim, &ok);
    c->att = alloc_floats(u, hp->n_embd, &ok);
    c->hb = alloc_floats(u, hp->n_ff, &ok);
    c->hb2 = alloc_floats(u, hp->n_ff, &ok);
    /* Converted activations take at most 4 bytes per value (F32; every block
     * activation format is smaller). */
    c->act = alloc_floats(u, widest, &ok);
    c->rope_cos = alloc_floats(u, hp->n_rot / 2, &ok);
    c->rope_sin = alloc_floats(u, hp->n_rot / 2, &ok);
    c->key_tmp = alloc_floats(kv_dim, 1, &ok);
    c->logits = alloc_floats(c->logits_cap, hp->n_vocab, &ok);
    if (!ok)
        return hearth_fail(err, HEARTH_ERR_NOMEM, "context: out of memory for scratch buffers");
    return HEARTH_OK;
}

static hearth_status ctx_init(hearth_ctx *c, const hearth_model *model,
                              const hearth_ctx_params *p, hearth_errbuf *err) {
    c->model = model;
    c->w = model->llama;
    c->params = *p;
    const llama_hparams *hp = &c->w->hp;
    if (p->n_ctx < 0 || p->n_batch < 0 || p->n_threads < 0 || p->n_keep < 0)
        return hearth_fail(err, HEARTH_ERR_INVALID_ARG,
                           "n_ctx %d, n_batch %d, n_threads %d, n_keep %d: expected >= 0",
                           p->n_ctx, p->n_batch, p->n_threads, p->n_keep);
    if (p->kv_type != HEARTH_KV_F16 && p->kv_type != HEARTH_KV_F32)
        return hearth_fail(err, HEARTH_ERR_INVALID_ARG, "kv_type %d: expected F16 or F32",
                           (int)p->kv_type);
    if (!hearth_kernels_init(&c->kern, p->isa))
        return hearth_fail(err, HEARTH_ERR_UNSUPPORTED,
                           "ISA tier '%s' is not supported by this CPU", hearth_isa_name(p->isa));
    c->params.isa = c->kern.isa;
    if (c->params.n_ctx == 0)
        c->params.n_ctx = (int32_t)(hp->n_ctx_train < 4096 ? hp->n_ctx_train : 4096);
    if (c->params.n_ctx > hp->n_ctx_train)
        hearth_log(p->log_fn, p->log_user, HEARTH_LOG_WARN,
                   "n_ctx %d exceeds the trained context length %lld", c->params.n_ctx,
                   (long long)hp->n_ctx_train);
    if (c->params.n_batch == 0 || c->params.n_batch > c->params.n_ctx)
        c->params.n_batch = c->params.n_ctx;
    if (c->params.n_threads == 0)
        c->params.n_threads = tp_default_threads();
    c->n_ubatch = c->params.n_batch < MAX_UBATCH ? c->params.n_batch : MAX_UBATCH;
    c->logits_cap = p->logits_all ? c->params.n_batch : 1;
    HEARTH_TRY(tp_create(&c->tp, c->params.n_threads, p->pin_threads, err));
    HEARTH_TRY(kv_init(&c->kv, p->kv_type, hp->n_layer, c->params.n_ctx,
                       hp->n_head_kv * hp->head_dim, err));
    HEARTH_TRY(pf_workspace_create(&c->pfws, tp_n_threads(c->tp), c->params.n_ctx, hp->head_dim,
                                   hp->n_head, hp->n_head_kv,
                                   hp->n_ff > hp->n_embd ? hp->n_ff : hp->n_embd, err));
    return alloc_scratch(c, err);
}

hearth_status hearth_ctx_create(const hearth_model *model, const hearth_ctx_params *params,
                                hearth_ctx **out) {
    if (out)
        *out = NULL;
    if (!model || !out)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "hearth_ctx_create: NULL model or out");
    if (!model->llama)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG,
                                "hearth_ctx_create: the model was loaded vocab_only");
    hearth_ctx_params p = params ? *params : hearth_ctx_default_params();
    hearth_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return hearth_set_error(HEARTH_ERR_NOMEM, "hearth_ctx_create: out of memory");
    hearth_errbuf err = {""};
    hearth_status st = ctx_init(c, model, &p, &err);
    if (st != HEARTH_OK) {
        hearth_ctx_free(c);
        return hearth_set_error(st, "hearth_ctx_create: %s", err.msg);
    }
    *out = c;
    return HEARTH_OK;
}

/* ---- Context shift ------------------------------------------------------ */

/* How many cells the shifts needed for n_new more tokens would discard in
 * total, or -1 when no sequence of shifts makes room (n_keep too large). */
static int64_t plan_shift(const hearth_ctx *c, int64_t n_new, int64_t n_keep) {
    int64_t n_past = c->kv.n_used, dropped = 0;
    while (n_past + n_new > c->kv.n_ctx) {
        int64_t n_discard = (n_past - n_keep) / 2;
        if (n_discard <= 0)
            return -1;
        n_past -= n_discard;
        dropped += n_discard;
    }
    return dropped;
}

/* Keeps cells [0, n_keep), drops the oldest half of the rest, moves the
 * remainder down and re-rotates their keys to the new positions. */
static void shift_once(hearth_ctx *c, int64_t n_keep) {
    int64_t n_past = c->kv.n_used, n_discard = (n_past - n_keep) / 2;
    int64_t n_moved = n_past - n_keep - n_discard;
    kv_move(&c->kv, n_keep, n_keep + n_discard, n_moved);
    fwd_rerotate_keys(c, n_keep, n_keep + n_moved, -n_discard);
    c->kv.n_used = n_past - n_discard;
    c->n_shifts++;
    hearth_log(c->params.log_fn, c->params.log_user, HEARTH_LOG_INFO,
               "context shifted: kept %lld, discarded %lld tokens", (long long)n_keep,
               (long long)n_discard);
}

/* ---- Decode ------------------------------------------------------------- */

hearth_status hearth_ctx_decode(hearth_ctx *c, const int32_t *tokens, int32_t n_tokens) {
    if (!c || !tokens)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "hearth_ctx_decode: NULL argument");
    if (n_tokens < 1 || n_tokens > c->params.n_batch)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG,
                                "hearth_ctx_decode: %d tokens: expected 1..%d (n_batch)",
                                n_tokens, c->params.n_batch);
    const int64_t n_vocab = c->w->hp.n_vocab;
    for (int32_t i = 0; i < n_tokens; i++)
        if (tokens[i] < 0 || tokens[i] >= n_vocab)
            return hearth_set_error(HEARTH_ERR_INVALID_ARG,
                                    "hearth_ctx_decode: token %d at index %d: expected an id in "
                                    "0..%lld",
                                    tokens[i], i, (long long)n_vocab - 1);
    if (c->kv.n_used + n_tokens > c->kv.n_ctx) {
        int64_t n_keep = c->params.n_keep < c->kv.n_used ? c->params.n_keep : c->kv.n_used;
        if (!c->params.ctx_shift || plan_shift(c, n_tokens, n_keep) < 0)
            return hearth_set_error(HEARTH_ERR_CONTEXT_FULL,
                                    "hearth_ctx_decode: %d tokens do not fit: %lld of %lld "
                                    "positions used%s",
                                    n_tokens, (long long)c->kv.n_used, (long long)c->kv.n_ctx,
                                    c->params.ctx_shift ? " (n_keep leaves no room to shift)"
                                                        : " (ctx_shift is off)");
        while (c->kv.n_used + n_tokens > c->kv.n_ctx)
            shift_once(c, n_keep);
    }
    const bool all = c->params.logits_all;
    for (int64_t off = 0; off < n_tokens; off += c->n_ubatch) {
        int64_t n = n_tokens - off < c->n_ubatch ? n_tokens - off : c->n_ubatch;
        bool last_step = off + n == n_tokens;
        float *dst = all ? c->logits + off * n_vocab : c->logits;
        int64_t first = all ? 0 : (last_step ? n - 1 : n);
        llama_forward(c, tokens + off, n, c->kv.n_used, dst, first);
        c->kv.n_used += n;
    }
    c->n_out = n_tokens;
    c->have_logits = true;
    return HEARTH_OK;
}

const float *hearth_ctx_logits(const hearth_ctx *c, int32_t i) {
    if (!c || !c->have_logits)
        return NULL;
    if (i == -1)
        i = c->n_out - 1;
    if (i < 0 || i >= c->n_out)
        return NULL;
    if (c->params.logits_all)
        return c->logits + (int64_t)i * c->w->hp.n_vocab;
    return i == c->n_out - 1 ? c->logits : NULL;
}

hearth_status hearth_ctx_kv_truncate(hearth_ctx *c, int32_t n) {
    if (!c)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "hearth_ctx_kv_truncate: NULL ctx");
    if (n < 0 || n > c->kv.n_used)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG,
                                "hearth_ctx_kv_truncate: %d: expected 0..%lld (tokens cached)", n,
                                (long long)c->kv.n_used);
    c->kv.n_used = n; /* cells past n are overwritten by the next decode */
    c->have_logits = false;
    return HEARTH_OK;
}

hearth_status hearth_ctx_reset(hearth_ctx *c) {
    if (!c)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "hearth_ctx_reset: NULL ctx");
    return hearth_ctx_kv_truncate(c, 0);
}

hearth_status hearth_ctx_info_get(const hearth_ctx *c, hearth_ctx_info *out) {
    if (!c || !out)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "hearth_ctx_info_get: NULL argument");
    memset(out, 0, sizeof *out);
    out->n_ctx = (int32_t)c->kv.n_ctx;
    out->n_past = (int32_t)c->kv.n_used;
    out->kv_bytes = kv_bytes(&c->kv);
    out->isa = c->kern.isa;
    out->n_threads = tp_n_threads(c->tp);
    out->n_shifts = c->n_shifts;
    return HEARTH_OK;
}
