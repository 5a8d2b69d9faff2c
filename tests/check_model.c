/* check_model.c - the llama forward pass against the reference pass
 * (tests/util/ref_forward.c) on synthetic models written with the shared
 * writer (examples/common/synth_model.c): shapes, weight types, decode vs
 * prefill, truncation, context shift, errors. Golden files: check_model_golden.c.
 */
#include <check.h>
#include <math.h>   /* fabsf */
#include <stdio.h>  /* snprintf */
#include <stdlib.h> /* free, malloc */
#include <string.h> /* memcmp, strstr */

#include "hearth.h"
#include "kernels/kernels.h" /* hearth_kernels_ref: which types have kernels; ref quantizers */
#include "synth_model.h"
#include "util/synth_testutil.h"
#include "util/ref_forward.h"
#include "util/testutil.h"

/* ---- Runtime vs reference over shapes and types ------------------------ */

typedef struct shape_case {
    const char *what;
    int32_t n_embd, n_layer, n_ff, n_head, n_head_kv;
    bool tied;
    bool rope_freqs;     /* rope_freqs.weight divisors (Llama 3.1+) */
    float rope_scale;    /* linear rope scaling factor, 0 = none */
} shape_case;

static const shape_case shapes[] = {
    {"n_head/n_head_kv = 4, ffn 172", 64, 2, 172, 4, 1, false, false, 0.0f},
    {"n_head/n_head_kv = 3", 96, 2, 160, 6, 2, false, false, 0.0f},
    {"9 heads of 64", 576, 1, 128, 9, 3, false, false, 0.0f},
    {"head dim 8 (stories260K-like)", 64, 2, 172, 8, 4, false, false, 0.0f},
    {"head dim 128", 256, 1, 256, 2, 1, false, false, 0.0f},
    {"tied embeddings", 64, 2, 96, 4, 2, true, false, 0.0f},
    {"rope_freqs and linear rope scaling x4", 64, 2, 172, 4, 2, false, true, 4.0f},
};
#define N_SHAPES ((int)(sizeof shapes / sizeof shapes[0]))

static const int32_t prompt[] = {1, 300, 17, 45, 301, 259, 260, 3, 310, 99, 150, 200};
#define N_PROMPT ((int)(sizeof prompt / sizeof prompt[0]))

static void check_against_ref(const char *path, hearth_isa isa, double bound, const char *what) {
    float *ref;
    int n_vocab;
    ck_assert_msg(ref_forward(path, prompt, N_PROMPT, true, &ref, &n_vocab), "%s: reference",
                  what);
    float *got = mt_logits_all(path, prompt, N_PROMPT, isa, HEARTH_KV_F16);
    ck_assert_msg(got != NULL, "%s: %s", what, hearth_last_error());
    double rr = test_relrms(got, ref, (size_t)N_PROMPT * n_vocab);
    int mismatched = mt_argmax_mismatches(got, ref, N_PROMPT, n_vocab, rr);
    fprintf(stderr, "  %-40s %-10s relrms %.3e\n", what, hearth_isa_name(isa), rr);
    ck_assert_msg(rr <= bound, "%s (%s): relrms %.3e > %.1e", what, hearth_isa_name(isa), rr,
                  bound);
    ck_assert_msg(mismatched == 0, "%s (%s): %d positions with a different argmax", what,
                  hearth_isa_name(isa), mismatched);
    free(ref);
    free(got);
}

START_TEST(test_model_shapes_match_reference) {
    const shape_case *s = &shapes[_i];
    synth_model_params p = synth_model_default_params();
    p.n_embd = s->n_embd, p.n_layer = s->n_layer, p.n_ff = s->n_ff;
    p.n_head = s->n_head, p.n_head_kv = s->n_head_kv, p.tied = s->tied;
    p.rope_freqs = s->rope_freqs, p.rope_scale_linear = s->rope_scale;
    p.seed = 100 + (uint64_t)_i;
    char path[512];
    snprintf(path, sizeof path, "%s/shape%d.gguf", test_tmpdir(), _i);
    ck_assert_int_eq(synth_model_write(path, &p), HEARTH_OK);
    check_against_ref(path, HEARTH_ISA_AUTO, 1e-4, s->what);
}
END_TEST

/* Every weight type the kernel table computes, on a shape whose rows fit
 * every block size (256). Bounds: activations are converted to the weight's
 * vec_dot type (CONVENTIONS §5), the reference keeps them exact. */
static double type_bound(uint32_t type) {
    switch (type) {
    case HEARTH_TYPE_F32:
        return 1e-4;
    case HEARTH_TYPE_F16: /* measured 4.7e-4: F16 activations */
        return 1.5e-3;
    case HEARTH_TYPE_BF16: /* measured 3.0e-3: BF16 activations */
        return 1e-2;
    default: /* measured 1.0e-2 (Q4_0) .. 1.4e-2 (IQ4_XS): 8-bit activations */
        return 2.5e-2;
    }
}

START_TEST(test_model_types_match_reference) {
    uint32_t type = (uint32_t)_i;
    const hearth_type_traits *tt = hearth_type_traits_of((int)type);
    if (!hearth_kernels_ref.vec_dot[type] || !hearth_kernels_ref.quantize_row[type] ||
        tt->vec_dot_type < 0)
        return; /* not a weight type hearth computes with (yet) */
    synth_model_params p = synth_model_default_params();
    p.n_embd = 256, p.n_ff = 512, p.n_head = 4, p.n_head_kv = 2;
    p.type = p.embd_type = type;
    p.quantize = mt_ref_quantize;
    p.seed = 7;
    char path[512], what[64];
    snprintf(path, sizeof path, "%s/type%u.gguf", test_tmpdir(), type);
    snprintf(what, sizeof what, "weights %s", tt->name);
    ck_assert_int_eq(synth_model_write(path, &p), HEARTH_OK);
    for (int isa = HEARTH_ISA_SCALAR; isa <= HEARTH_ISA_NEON_DOTPROD; isa++)
        if (hearth_isa_supported((hearth_isa)isa))
            check_against_ref(path, (hearth_isa)isa, type_bound(type), what);
}
END_TEST

/* ---- Decode, truncate, shift -------------------------------------------- */

static char small_path[512];

static void write_small_model(void) {
    synth_model_params p = synth_model_default_params();
    p.seed = 3;
    snprintf(small_path, sizeof small_path, "%s/small.gguf", test_tmpdir());
    ck_assert_int_eq(synth_model_write(small_path, &p), HEARTH_OK);
}

START_TEST(test_model_decode_after_prefill_matches_full_pass) {
    write_small_model();
    float *full = mt_logits_all(small_path, prompt, N_PROMPT, HEARTH_ISA_AUTO, HEARTH_KV_F16);
    ck_assert_ptr_nonnull(full);
    hearth_model *m = mt_load(small_path);
    hearth_ctx *c = mt_ctx(m, 64, false, false, 0);
    int32_t n_vocab = hearth_vocab_size(m);
    const int n_prefill = 7;
    ck_assert_int_eq(hearth_ctx_decode(c, prompt, n_prefill), HEARTH_OK);
    double rr = test_relrms(hearth_ctx_logits(c, -1), full + (n_prefill - 1) * n_vocab,
                            (size_t)n_vocab);
    ck_assert_msg(rr <= 1e-4, "prefill last position: relrms %.3e", rr);
    for (int t = n_prefill; t < N_PROMPT; t++) {
        ck_assert_int_eq(hearth_ctx_decode(c, &prompt[t], 1), HEARTH_OK);
        rr = test_relrms(hearth_ctx_logits(c, 0), full + t * n_vocab, (size_t)n_vocab);
        ck_assert_msg(rr <= 1e-4, "decode at position %d: relrms %.3e", t, rr);
    }
    hearth_ctx_info info;
    ck_assert_int_eq(hearth_ctx_info_get(c, &info), HEARTH_OK);
    ck_assert_int_eq(info.n_past, N_PROMPT);
    hearth_ctx_free(c);
    hearth_model_free(m);
    free(full);
}
END_TEST

START_TEST(test_model_truncate_redecode_is_bit_identical) {
    write_small_model();
    hearth_model *m = mt_load(small_path);
    hearth_ctx *c = mt_ctx(m, 64, false, false, 0);
    int32_t n_vocab = hearth_vocab_size(m);
    float *first = malloc((size_t)n_vocab * sizeof(float));
    ck_assert_int_eq(hearth_ctx_decode(c, prompt, 10), HEARTH_OK);
    memcpy(first, hearth_ctx_logits(c, -1), (size_t)n_vocab * sizeof(float));
    /* Rewind, take a detour with other tokens, rewind again, redo the same tokens. */
    ck_assert_int_eq(hearth_ctx_kv_truncate(c, 6), HEARTH_OK);
    ck_assert_ptr_null(hearth_ctx_logits(c, -1));
    const int32_t detour[] = {5, 6, 7};
    ck_assert_int_eq(hearth_ctx_decode(c, detour, 3), HEARTH_OK);
    ck_assert_int_eq(hearth_ctx_kv_truncate(c, 6), HEARTH_OK);
    for (int t = 6; t < 10; t++)
        ck_assert_int_eq(hearth_ctx_decode(c, &prompt[t], 1), HEARTH_OK);
    ck_assert_msg(memcmp(first, hearth_ctx_logits(c, -1), (size_t)n_vocab * sizeof(float)) == 0,
                  "logits after truncate + redecode differ");
    ck_assert_int_eq(hearth_ctx_kv_truncate(c, 11), HEARTH_ERR_INVALID_ARG);
    ck_assert_int_eq(hearth_ctx_reset(c), HEARTH_OK);
    ck_assert_int_eq(hearth_ctx_decode(c, prompt, 10), HEARTH_OK);
    ck_assert(memcmp(first, hearth_ctx_logits(c, -1), (size_t)n_vocab * sizeof(float)) == 0);
    free(first);
    hearth_ctx_free(c);
    hearth_model_free(m);
}
END_TEST

/* One layer: its keys and values depend only on the token and its position,
 * so after a shift the cache must equal a fresh one fed the kept tokens (in
 * deeper layers the kept tokens' states still remember the dropped ones). */
START_TEST(test_model_context_shift_matches_fresh_context) {
    synth_model_params p = synth_model_default_params();
    p.n_layer = 1;
    p.seed = 5;
    char path[512];
    snprintf(path, sizeof path, "%s/one_layer.gguf", test_tmpdir());
    ck_assert_int_eq(synth_model_write(path, &p), HEARTH_OK);
    hearth_model *m = mt_load(path);
    int32_t n_vocab = hearth_vocab_size(m);
    const int n_ctx = 16, n_keep = 4;
    hearth_ctx *c = mt_ctx(m, n_ctx, false, true, n_keep);
    int32_t seq[17];
    for (int i = 0; i < 17; i++)
        seq[i] = 3 + (i * 37) % 300;
    ck_assert_int_eq(hearth_ctx_decode(c, seq, 16), HEARTH_OK);
    ck_assert_int_eq(hearth_ctx_decode(c, &seq[16], 1), HEARTH_OK); /* forces one shift */
    hearth_ctx_info info;
    hearth_ctx_info_get(c, &info);
    /* n_discard = (16 - 4) / 2 = 6: kept 0..3 and 10..15, then the new token. */
    ck_assert_int_eq(info.n_shifts, 1);
    ck_assert_int_eq(info.n_past, 11);
    int32_t kept[11];
    int nk = 0;
    for (int i = 0; i < 4; i++)
        kept[nk++] = seq[i];
    for (int i = 10; i < 17; i++)
        kept[nk++] = seq[i];
    hearth_ctx *fresh = mt_ctx(m, n_ctx, false, false, 0);
    ck_assert_int_eq(hearth_ctx_decode(fresh, kept, nk), HEARTH_OK);
    double rr = test_relrms(hearth_ctx_logits(c, -1), hearth_ctx_logits(fresh, -1),
                            (size_t)n_vocab);
    fprintf(stderr, "  context shift vs fresh context: relrms %.3e\n", rr);
    ck_assert_msg(rr <= 1e-3, "after a context shift: relrms %.3e > 1e-3", rr);
    hearth_ctx_free(fresh);
    hearth_ctx_free(c);
    hearth_model_free(m);
}
END_TEST

START_TEST(test_model_context_full_and_bad_tokens) {
    write_small_model();
    hearth_model *m = mt_load(small_path);
    int32_t n_vocab = hearth_vocab_size(m);
    hearth_ctx *c = mt_ctx(m, 8, false, false, 0);
    ck_assert_int_eq(hearth_ctx_decode(c, prompt, 6), HEARTH_OK);
    ck_assert_int_eq(hearth_ctx_decode(c, prompt, 3), HEARTH_ERR_CONTEXT_FULL);
    ck_assert_ptr_nonnull(strstr(hearth_last_error(), "do not fit"));
    hearth_ctx_info info;
    hearth_ctx_info_get(c, &info);
    ck_assert_int_eq(info.n_past, 6); /* nothing changed */
    ck_assert_int_eq(hearth_ctx_decode(c, prompt, 2), HEARTH_OK);
    ck_assert_int_eq(hearth_ctx_decode(c, prompt, 1), HEARTH_ERR_CONTEXT_FULL);
    /* Shifting cannot help when n_keep leaves nothing to drop. */
    hearth_ctx *s = mt_ctx(m, 8, false, true, 8);
    ck_assert_int_eq(hearth_ctx_decode(s, prompt, 8), HEARTH_OK);
    ck_assert_int_eq(hearth_ctx_decode(s, prompt, 1), HEARTH_ERR_CONTEXT_FULL);
    hearth_ctx_free(s);
    ck_assert_int_eq(hearth_ctx_reset(c), HEARTH_OK);
    const int32_t bad1[] = {1, -1}, bad2[] = {n_vocab};
    ck_assert_int_eq(hearth_ctx_decode(c, bad1, 2), HEARTH_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(hearth_last_error(), "-1"));
    ck_assert_int_eq(hearth_ctx_decode(c, bad2, 1), HEARTH_ERR_INVALID_ARG);
    ck_assert_int_eq(hearth_ctx_decode(c, prompt, 0), HEARTH_ERR_INVALID_ARG);
    ck_assert_int_eq(hearth_ctx_decode(c, prompt, 9), HEARTH_ERR_INVALID_ARG); /* > n_batch */
    ck_assert_int_eq(hearth_ctx_decode(c, NULL, 1), HEARTH_ERR_INVALID_ARG);
    hearth_ctx_info_get(c, &info);
    ck_assert_int_eq(info.n_past, 0);
    hearth_ctx_free(c);
    hearth_model_free(m);
}
END_TEST

START_TEST(test_model_ctx_info_and_defaults) {
    write_small_model();
    hearth_model *m = mt_load(small_path);
    hearth_model_info mi;
    ck_assert_int_eq(hearth_model_info_get(m, &mi), HEARTH_OK);
    ck_assert_str_eq(mi.arch, "llama");
    ck_assert_int_eq(mi.n_embd, 64);
    ck_assert_int_eq(mi.n_layer, 2);
    ck_assert_int_eq(mi.n_ff, 172);
    ck_assert_int_eq(mi.n_head, 4);
    ck_assert_int_eq(mi.n_head_kv, 2);
    ck_assert_int_eq(mi.n_vocab, 320);
    /* token_embd + output (64 x 320 each), 3 norms of 64, 2 layers of
     * q, o (64 x 64), k, v (64 x 32), gate, up, down (64 x 172). */
    int64_t per_layer = 2 * 64 * 64 + 2 * 64 * 32 + 3 * 64 * 172 + 2 * 64;
    ck_assert_int_eq(mi.n_params, 2 * 64 * 320 + 64 + 2 * per_layer);
    ck_assert_uint_eq(mi.weight_bytes, (uint64_t)mi.n_params * 4);

    hearth_ctx *c;
    ck_assert_int_eq(hearth_ctx_create(m, NULL, &c), HEARTH_OK);
    hearth_ctx_info info;
    ck_assert_int_eq(hearth_ctx_info_get(c, &info), HEARTH_OK);
    ck_assert_int_eq(info.n_ctx, 256); /* min(4096, trained 256) */
    ck_assert_uint_eq(info.kv_bytes, 2ull * 2 * 256 * 32 * 2); /* K+V, layers, ctx, kv_dim, F16 */
    ck_assert_int_eq(info.isa, hearth_isa_best());
    ck_assert_int_ge(info.n_threads, 1);
    hearth_ctx_free(c);

    hearth_ctx_params cp = hearth_ctx_default_params();
    cp.kv_type = HEARTH_KV_F32;
    cp.n_ctx = 100;
    ck_assert_int_eq(hearth_ctx_create(m, &cp, &c), HEARTH_OK);
    hearth_ctx_info_get(c, &info);
    ck_assert_uint_eq(info.kv_bytes, 2ull * 2 * 100 * 32 * 4);
    hearth_ctx_free(c);

    for (int isa = HEARTH_ISA_SCALAR; isa <= HEARTH_ISA_NEON_DOTPROD; isa++) {
        cp = hearth_ctx_default_params();
        cp.isa = (hearth_isa)isa;
        hearth_status st = hearth_ctx_create(m, &cp, &c);
        ck_assert_int_eq(st, hearth_isa_supported((hearth_isa)isa) ? HEARTH_OK
                                                                   : HEARTH_ERR_UNSUPPORTED);
        if (st == HEARTH_OK) {
            hearth_ctx_info_get(c, &info);
            ck_assert_int_eq(info.isa, isa);
        } else {
            ck_assert_ptr_null(c);
        }
        hearth_ctx_free(c);
    }
    cp = hearth_ctx_default_params();
    cp.n_ctx = -1;
    ck_assert_int_eq(hearth_ctx_create(m, &cp, &c), HEARTH_ERR_INVALID_ARG);
    ck_assert_ptr_null(c);
    hearth_model_free(m);
}
END_TEST

/* ---- Load errors -------------------------------------------------------- */

static hearth_status load_variant(synth_model_params *p, const char *name, bool vocab_only) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s.gguf", test_tmpdir(), name);
    ck_assert_int_eq(synth_model_write(path, p), HEARTH_OK);
    hearth_model_params mp = hearth_model_default_params();
    mp.vocab_only = vocab_only;
    hearth_model *m;
    hearth_status st = hearth_model_load(path, &mp, &m);
    if (st != HEARTH_OK)
        ck_assert_ptr_null(m);
    hearth_model_free(m);
    return st;
}

START_TEST(test_model_load_errors_name_the_problem) {
    synth_model_params p = synth_model_default_params();
    p.omit_tensor = "blk.1.ffn_up.weight";
    ck_assert_int_eq(load_variant(&p, "omit", false), HEARTH_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(hearth_last_error(), "blk.1.ffn_up.weight"));
    ck_assert_ptr_nonnull(strstr(hearth_last_error(), "[64, 172]"));

    p = synth_model_default_params();
    p.misshape_tensor = "blk.0.attn_k.weight";
    ck_assert_int_eq(load_variant(&p, "misshape", false), HEARTH_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(hearth_last_error(), "blk.0.attn_k.weight"));
    ck_assert_ptr_nonnull(strstr(hearth_last_error(), "[64, 32]"));

    p = synth_model_default_params();
    p.omit_tensor = "output_norm.weight";
    ck_assert_int_eq(load_variant(&p, "omit_norm", false), HEARTH_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(hearth_last_error(), "output_norm.weight"));

    p = synth_model_default_params();
    p.arch = "qwen2";
    ck_assert_int_eq(load_variant(&p, "arch", false), HEARTH_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(hearth_last_error(), "qwen2"));
    ck_assert_int_eq(load_variant(&p, "arch_vocab", true), HEARTH_OK);

    /* A type the GGUF reader knows but hearth has no kernels for. */
    p = synth_model_default_params();
    p.n_embd = 256, p.n_ff = 256;
    p.type = HEARTH_TYPE_IQ2_XXS;
    p.quantize = mt_zero_quantize;
    ck_assert_int_eq(load_variant(&p, "iq2", false), HEARTH_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(hearth_last_error(), "output.weight"));
    ck_assert_ptr_nonnull(strstr(hearth_last_error(), "IQ2_XXS"));
}
END_TEST

Suite *model_suite(void) {
    Suite *s = suite_create("model");
    TCase *tc = tcase_create("reference");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_model_shapes_match_reference, 0, N_SHAPES);
    tcase_add_loop_test(tc, test_model_types_match_reference, 0, HEARTH_TYPE_COUNT);
    suite_add_tcase(s, tc);
    tc = tcase_create("kv");
    tcase_add_test(tc, test_model_decode_after_prefill_matches_full_pass);
    tcase_add_test(tc, test_model_truncate_redecode_is_bit_identical);
    tcase_add_test(tc, test_model_context_shift_matches_fresh_context);
    tcase_add_test(tc, test_model_context_full_and_bad_tokens);
    tcase_add_test(tc, test_model_ctx_info_and_defaults);
    suite_add_tcase(s, tc);
    tc = tcase_create("load");
    tcase_add_test(tc, test_model_load_errors_name_the_problem);
    suite_add_tcase(s, tc);
    return s;
}
