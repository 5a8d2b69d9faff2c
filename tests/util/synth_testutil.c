/* synth_testutil.c - helpers for the model tests (see synth_testutil.h). */
#include <check.h>
#include <math.h>   /* sqrt */
#include <stdlib.h> /* malloc */
#include <string.h> /* memcpy, memset */

#include "kernels/kernels.h" /* hearth_kernels_ref quantizers */
#include "synth_testutil.h"

hearth_model *mt_load(const char *path) {
    hearth_model *m;
    hearth_status st = hearth_model_load(path, NULL, &m);
    ck_assert_msg(st == HEARTH_OK, "load %s: %s", path, hearth_last_error());
    return m;
}

hearth_ctx *mt_ctx(hearth_model *m, int32_t n_ctx, bool logits_all, bool ctx_shift,
                   int32_t n_keep) {
    hearth_ctx_params cp = hearth_ctx_default_params();
    cp.n_ctx = n_ctx;
    cp.logits_all = logits_all;
    cp.ctx_shift = ctx_shift;
    cp.n_keep = n_keep;
    hearth_ctx *c;
    hearth_status st = hearth_ctx_create(m, &cp, &c);
    ck_assert_msg(st == HEARTH_OK, "ctx: %s", hearth_last_error());
    return c;
}

float *mt_logits_all(const char *path, const int32_t *tokens, int n, hearth_isa isa,
                     hearth_kv_type kv) {
    hearth_model *m;
    if (hearth_model_load(path, NULL, &m) != HEARTH_OK)
        return NULL;
    hearth_ctx_params cp = hearth_ctx_default_params();
    cp.n_ctx = n;
    cp.logits_all = true;
    cp.isa = isa;
    cp.kv_type = kv;
    hearth_ctx *c;
    float *out = NULL;
    if (hearth_ctx_create(m, &cp, &c) == HEARTH_OK) {
        int32_t n_vocab = hearth_vocab_size(m);
        if (hearth_ctx_decode(c, tokens, n) == HEARTH_OK) {
            out = malloc((size_t)n * (size_t)n_vocab * sizeof(float));
            for (int t = 0; out && t < n; t++)
                memcpy(out + (size_t)t * n_vocab, hearth_ctx_logits(c, t),
                       (size_t)n_vocab * sizeof(float));
        }
        hearth_ctx_free(c);
    }
    hearth_model_free(m);
    return out;
}

int mt_argmax(const float *x, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best])
            best = i;
    return best;
}

int mt_argmax_mismatches(const float *got, const float *ref, int n, int n_vocab, double relrms) {
    int bad = 0;
    for (int t = 0; t < n; t++) {
        const float *g = got + (size_t)t * n_vocab, *r = ref + (size_t)t * n_vocab;
        int a = mt_argmax(g, n_vocab), b = mt_argmax(r, n_vocab);
        if (a == b)
            continue;
        /* A near-tie in the exact logits is decided by rounding noise, not by a
         * bug: count the position only when the reference's margin between its
         * choice and ours exceeds twice the row's RMS error. */
        double se = 0.0;
        for (int i = 0; i < n_vocab; i++)
            se += ((double)g[i] - r[i]) * ((double)g[i] - r[i]);
        double rms_err = sqrt(se / n_vocab);
        if ((double)r[b] - r[a] > 2.0 * rms_err)
            bad++;
    }
    return bad;
}

bool mt_ref_quantize(uint32_t type, const float *src, void *dst, int64_t n) {
    if (type >= HEARTH_TYPE_COUNT || !hearth_kernels_ref.quantize_row[type])
        return false;
    hearth_kernels_ref.quantize_row[type](src, dst, n);
    return true;
}

bool mt_zero_quantize(uint32_t type, const float *src, void *dst, int64_t n) {
    memset(dst, 0, (size_t)(n / hearth_type_block_size(type)) * hearth_type_block_bytes(type));
    return true;
}
