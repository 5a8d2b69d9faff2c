/* check_parallel.c - parallel stages are deterministic and race-free.
 *
 * Kernel level: the parallel matmul (lib/prefill.c) gives, at 1, 2, 3 and 7
 * threads, exactly the bits of one vec_dot per output value, for decode
 * (1 token) and batches, on shapes that split into many chunks and tiles,
 * for every weight type the best kernel tier computes. Model level: logits
 * are bit-identical at 1, 2, 3 and 7 threads, and two contexts over one model
 * decoding on two threads at once give the logits of one after the other,
 * also while they move the weights into huge pages (lib/weight_home.h) at the
 * same time. Also run under `make test SANITIZE=thread`.
 */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/layout.h"
#include "lib/model.h" /* the weights' homes */
#include "lib/prefill.h"
#include "lib/prefill_attn.h"
#include "synth_model.h"
#include "util/synth_testutil.h" /* mt_ref_quantize */
#include "util/testutil.h"

static const int thread_counts[] = {1, 2, 3, 7};

/* Random weights of `type`: quantized from N(0,1) floats with the reference
 * quantizer, so that every block is valid (finite scales). */
static void *random_weights(const hearth_kernels *k, int type, int64_t n_in, int64_t n_out,
                            test_rng *r) {
    size_t row = hearth_row_bytes(type, n_in);
    char *w = malloc(row * (size_t)n_out);
    float *f = malloc((size_t)n_in * sizeof *f);
    ck_assert_ptr_nonnull(w);
    ck_assert_ptr_nonnull(f);
    for (int64_t o = 0; o < n_out; o++) {
        for (int64_t i = 0; i < n_in; i++)
            f[i] = test_rng_normal(r);
        k->quantize_row[type](f, w + (size_t)o * row, n_in);
    }
    free(f);
    return w;
}

/* Expected y[t][o]: the product's fixed grid of tiles computed one after
 * the other on the caller's thread (each tile's values are checked against
 * vec_dot, or the reference for batch layouts, by the kernel tests). */
static void serial_matmul(const hearth_kernels *k, int type, const void *w, int64_t n_in,
                          int64_t n_out, const void *qx, int64_t n_tok, float *y) {
    int at = hearth_type_traits_of(type)->vec_dot_type;
    size_t w_row = hearth_row_bytes(type, n_in), a_row = hearth_row_bytes(at, n_in);
    int64_t rows, tokens;
    pf_matmul_grid(n_out, n_tok, &rows, &tokens);
    for (int64_t t = 0; t < n_tok; t += tokens)
        for (int64_t o = 0; o < n_out; o += rows)
            k->mat_dot[type](n_in, n_out - o < rows ? n_out - o : rows,
                             n_tok - t < tokens ? n_tok - t : tokens, &y[t * n_out + o], n_out,
                             (const char *)w + (size_t)o * w_row,
                             w_row, (const char *)qx + (size_t)t * a_row, a_row);
}

static void check_matmul_type(const hearth_kernels *k, int type, int64_t n_in, int64_t n_out,
                              int64_t n_tok) {
    test_rng r;
    test_rng_seed(&r, 1000 + (uint64_t)type * 7 + (uint64_t)n_tok);
    void *w = random_weights(k, type, n_in, n_out, &r);
    float *x = malloc((size_t)(n_in * n_tok) * sizeof *x);
    float *want = malloc((size_t)(n_out * n_tok) * sizeof *want);
    float *got = malloc((size_t)(n_out * n_tok) * sizeof *got);
    void *qx = malloc(pf_act_bytes(type, n_in, n_tok));
    void *qx1 = malloc(pf_act_bytes(type, n_in, n_tok));
    ck_assert(x && want && got && qx && qx1);
    for (int64_t i = 0; i < n_in * n_tok; i++)
        x[i] = test_rng_normal(&r);

    /* Reference: serial conversion, one vec_dot per value. */
    int at = hearth_type_traits_of(type)->vec_dot_type;
    for (int64_t t = 0; t < n_tok; t++)
        k->quantize_act[at](x + t * n_in, (char *)qx1 + (size_t)t * hearth_row_bytes(at, n_in),
                            n_in);
    serial_matmul(k, type, w, n_in, n_out, qx1, n_tok, want);

    for (size_t ti = 0; ti < sizeof thread_counts / sizeof thread_counts[0]; ti++) {
        threadpool *tp = NULL;
        ck_assert_int_eq(tp_create(&tp, thread_counts[ti], false, NULL), HEARTH_OK);
        memset(got, 0xFF, (size_t)(n_out * n_tok) * sizeof *got); /* NaN: unwritten shows */
        pf_matmul(tp, k, NULL, w, type, n_in, n_out, x, n_in, n_tok, qx, got, n_out);
        ck_assert_msg(memcmp(qx, qx1, pf_act_bytes(type, n_in, n_tok)) == 0,
                      "%s: parallel activation conversion differs at %d threads",
                      hearth_type_traits_of(type)->name, thread_counts[ti]);
        ck_assert_msg(memcmp(got, want, (size_t)(n_out * n_tok) * sizeof *got) == 0,
                      "%s %lldx%lld x %lld tokens: not bit-identical at %d threads",
                      hearth_type_traits_of(type)->name, (long long)n_out, (long long)n_in,
                      (long long)n_tok, thread_counts[ti]);
        tp_free(tp);
    }
    free(w);
    free(x);
    free(want);
    free(got);
    free(qx);
    free(qx1);
}

/* Weight types with a full set of slots in the table `k`. */
static bool computable(const hearth_kernels *k, int type) {
    int at = hearth_type_traits_of(type)->vec_dot_type;
    return at >= 0 && k->vec_dot[type] && k->mat_dot[type] && k->quantize_row[type] &&
           k->quantize_act[at];
}

/* 300 rows -> 19 row chunks with a ragged last one; 70 and 133 tokens -> 3 and
 * 5 token tiles with ragged ends; 1 token = decode. */
START_TEST(test_parallel_matmul_bit_identical_across_threads) {
    hearth_kernels k;
    hearth_kernels_init(&k, HEARTH_ISA_AUTO);
    static const int64_t batches[] = {1, 5, 70, 133};
    int n_types = 0;
    for (int type = 0; type < HEARTH_TYPE_COUNT; type++) {
        if (!computable(&k, type))
            continue;
        int64_t n_in = hearth_type_traits_of(type)->block_size >= 256 ? 512 : 320;
        for (size_t b = 0; b < sizeof batches / sizeof batches[0]; b++)
            check_matmul_type(&k, type, n_in, 300, batches[b]);
        n_types++;
    }
    ck_assert_int_ge(n_types, 3); /* at least F32, F16, Q8_0 exist on main */
}
END_TEST


/* The float-weight path through BLAS (when built with it): every thread count
 * gives the same bits, and the values match a double-precision product. */
START_TEST(test_parallel_blas_matmul_thread_independent) {
    hearth_kernels k;
    /* The scalar table: SIMD tiers with register-tiled float kernels never take
     * the BLAS path, the reference tier does whenever BLAS is built in. */
    hearth_kernels_init(&k, HEARTH_ISA_SCALAR);
    static const int types[] = {HEARTH_TYPE_F32, HEARTH_TYPE_F16, HEARTH_TYPE_BF16};
    const int64_t n_in = 96, n_out = 200, n_tok = 70;
    for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
        int type = types[ti];
        if (!computable(&k, type))
            continue;
        if (!pf_use_blas(&k, type, n_tok))
            printf("note: %s x %lld tokens does not use BLAS in this build\n",
                   hearth_type_traits_of(type)->name, (long long)n_tok);
        test_rng r;
        test_rng_seed(&r, 99 + (uint64_t)type);
        void *w = random_weights(&k, type, n_in, n_out, &r);
        float *x = malloc((size_t)(n_in * n_tok) * sizeof *x);
        float *wf = malloc((size_t)(n_in * n_out) * sizeof *wf);
        float *first = malloc((size_t)(n_out * n_tok) * sizeof *first);
        float *got = malloc((size_t)(n_out * n_tok) * sizeof *got);
        void *qx = malloc(pf_act_bytes(type, n_in, n_tok));
        for (int64_t i = 0; i < n_in * n_tok; i++)
            x[i] = test_rng_normal(&r);
        for (int64_t o = 0; o < n_out; o++)
            k.dequantize_row[type]((const char *)w + (size_t)o * hearth_row_bytes(type, n_in),
                                   wf + o * n_in, n_in);
        for (size_t c = 0; c < sizeof thread_counts / sizeof thread_counts[0]; c++) {
            threadpool *tp = NULL;
            pf_workspace *ws = NULL;
            ck_assert_int_eq(tp_create(&tp, thread_counts[c], false, NULL), HEARTH_OK);
            ck_assert_int_eq(pf_workspace_create(&ws, thread_counts[c], 16, 8, 2, 1, n_in, NULL),
                             HEARTH_OK);
            memset(got, 0xFF, (size_t)(n_out * n_tok) * sizeof *got);
            pf_matmul(tp, &k, ws, w, type, n_in, n_out, x, n_in, n_tok, qx, got, n_out);
            double err2 = 0, ref2 = 0;
            for (int64_t t = 0; t < n_tok; t++)
                for (int64_t o = 0; o < n_out; o++) {
                    double d = 0;
                    for (int64_t i = 0; i < n_in; i++)
                        d += (double)wf[o * n_in + i] * x[t * n_in + i];
                    err2 += (got[t * n_out + o] - d) * (got[t * n_out + o] - d);
                    ref2 += d * d;
                }
            /* F16/BF16 activations on the kernel path round x too: 1e-2 bounds both. */
            ck_assert_msg(sqrt(err2 / ref2) < (type == HEARTH_TYPE_F32 ? 1e-6 : 1e-2),
                          "%s: relrms %g", hearth_type_traits_of(type)->name,
                          sqrt(err2 / ref2));
            if (c == 0)
                memcpy(first, got, (size_t)(n_out * n_tok) * sizeof *got);
            else
                ck_assert_msg(memcmp(first, got, (size_t)(n_out * n_tok) * sizeof *got) == 0,
                              "%s: differs at %d threads", hearth_type_traits_of(type)->name,
                              thread_counts[c]);
            pf_workspace_free(ws);
            tp_free(tp);
        }
        free(w);
        free(x);
        free(wf);
        free(first);
        free(got);
        free(qx);
    }
}
END_TEST

START_TEST(test_parallel_rmsnorm_matches_serial) {
    hearth_kernels k;
    hearth_kernels_init(&k, HEARTH_ISA_AUTO);
    const int64_t n = 96, n_tok = 37;
    test_rng r;
    test_rng_seed(&r, 77);
    float *x = malloc((size_t)(n * n_tok) * sizeof *x), *w = malloc((size_t)n * sizeof *w);
    float *want = malloc((size_t)(n * n_tok) * sizeof *want);
    float *got = malloc((size_t)(n * n_tok) * sizeof *got);
    for (int64_t i = 0; i < n * n_tok; i++)
        x[i] = test_rng_normal(&r);
    for (int64_t i = 0; i < n; i++)
        w[i] = 1 + 0.1f * test_rng_normal(&r);
    for (int64_t t = 0; t < n_tok; t++)
        k.rmsnorm(want + t * n, x + t * n, w, n, 1e-5f);
    for (size_t ti = 0; ti < sizeof thread_counts / sizeof thread_counts[0]; ti++) {
        threadpool *tp = NULL;
        ck_assert_int_eq(tp_create(&tp, thread_counts[ti], false, NULL), HEARTH_OK);
        memcpy(got, x, (size_t)(n * n_tok) * sizeof *got);
        pf_rmsnorm(tp, &k, got, got, w, n, n_tok, n, 1e-5f); /* in place */
        ck_assert(memcmp(got, want, (size_t)(n * n_tok) * sizeof *got) == 0);
        tp_free(tp);
    }
    free(x);
    free(w);
    free(want);
    free(got);
}
END_TEST


/* Attention: exact double-precision causal GQA as the independent expectation. */
static void reference_attention(const pf_attn *a, double *out) {
    int64_t hd = a->head_dim, group = a->n_head / a->n_head_kv;
    size_t esz = a->kv_f16 ? 2 : 4;
    for (int64_t t = 0; t < a->n_tok; t++)
        for (int64_t h = 0; h < a->n_head; h++) {
            int64_t g = h / group, len = a->pos0 + t + 1;
            double *sc = malloc((size_t)len * sizeof *sc), mx = -1e300, sum = 0;
            for (int64_t p = 0; p < len; p++) {
                const char *kr = (const char *)a->k + p * a->k_pos_stride + g * a->k_head_stride;
                double d = 0;
                for (int64_t i = 0; i < hd; i++) {
                    float kv;
                    if (esz == 2)
                        kv = hearth_f16_to_f32(((const hearth_f16 *)kr)[i]);
                    else
                        kv = ((const float *)kr)[i];
                    d += (double)kv * a->q[t * a->ldq + h * hd + i];
                }
                sc[p] = d * a->scale;
                if (sc[p] > mx)
                    mx = sc[p];
            }
            for (int64_t p = 0; p < len; p++)
                sum += sc[p] = exp(sc[p] - mx);
            for (int64_t i = 0; i < hd; i++) {
                double o = 0;
                for (int64_t p = 0; p < len; p++) {
                    const char *vr =
                        (const char *)a->v + p * a->v_pos_stride + g * a->v_head_stride;
                    float vv = esz == 2 ? hearth_f16_to_f32(((const hearth_f16 *)vr)[i])
                                        : ((const float *)vr)[i];
                    o += sc[p] / sum * vv;
                }
                out[t * a->n_head * hd + h * hd + i] = o;
            }
            free(sc);
        }
}

static void check_attention(bool kv_f16, int64_t n_tok, int64_t pos0, int64_t n_head,
                            int64_t n_head_kv, int64_t hd) {
    hearth_kernels k;
    hearth_kernels_init(&k, HEARTH_ISA_AUTO);
    test_rng r;
    test_rng_seed(&r, 4242 + (uint64_t)n_tok);
    int64_t n_pos = pos0 + n_tok, n_q = n_tok * n_head * hd;
    size_t esz = kv_f16 ? 2 : 4, row = (size_t)(n_head_kv * hd) * esz;
    char *kc = malloc(row * (size_t)n_pos), *vc = malloc(row * (size_t)n_pos);
    float *q = malloc((size_t)n_q * sizeof *q);
    for (int64_t i = 0; i < n_pos * n_head_kv * hd; i++) {
        float kv = test_rng_normal(&r), vv = test_rng_normal(&r);
        if (kv_f16) {
            ((hearth_f16 *)kc)[i] = hearth_f32_to_f16(kv);
            ((hearth_f16 *)vc)[i] = hearth_f32_to_f16(vv);
        } else {
            ((float *)kc)[i] = kv;
            ((float *)vc)[i] = vv;
        }
    }
    for (int64_t i = 0; i < n_q; i++)
        q[i] = test_rng_normal(&r);
    float *first = malloc((size_t)n_q * sizeof *first), *got = malloc((size_t)n_q * sizeof *got);
    double *want = malloc((size_t)n_q * sizeof *want);
    pf_attn a = {.n_head = n_head, .n_head_kv = n_head_kv, .head_dim = hd, .n_tok = n_tok,
                 .pos0 = pos0, .q = q, .ldq = n_head * hd, .k = kc, .v = vc, .kv_f16 = kv_f16,
                 .k_pos_stride = row, .k_head_stride = (size_t)hd * esz, .v_pos_stride = row,
                 .v_head_stride = (size_t)hd * esz, .scale = 1.0f / sqrtf((float)hd),
                 .out = got, .ldo = n_head * hd};
    reference_attention(&a, want);
    for (size_t ti = 0; ti < sizeof thread_counts / sizeof thread_counts[0]; ti++) {
        threadpool *tp = NULL;
        pf_workspace *ws = NULL;
        ck_assert_int_eq(tp_create(&tp, thread_counts[ti], false, NULL), HEARTH_OK);
        ck_assert_int_eq(pf_workspace_create(&ws, thread_counts[ti], n_pos + 3, hd, n_head,
                                             n_head_kv, 64, NULL),
                         HEARTH_OK);
        memset(got, 0xFF, (size_t)n_q * sizeof *got);
        pf_attention(tp, &k, ws, &a);
        double err2 = 0, ref2 = 0;
        for (int64_t i = 0; i < n_q; i++) {
            err2 += (got[i] - want[i]) * (got[i] - want[i]);
            ref2 += want[i] * want[i];
        }
        ck_assert_msg(sqrt(err2 / ref2) < 1e-5, "attention relrms %g vs exact (%lld tokens)",
                      sqrt(err2 / ref2), (long long)n_tok);
        if (ti == 0)
            memcpy(first, got, (size_t)n_q * sizeof *got);
        else
            ck_assert_msg(memcmp(first, got, (size_t)n_q * sizeof *got) == 0,
                          "attention differs at %d threads", thread_counts[ti]);
        pf_workspace_free(ws);
        tp_free(tp);
    }
    /* Batch invariance: each token alone (decode path) gives the batch's bits. */
    threadpool *tp1 = NULL;
    pf_workspace *ws1 = NULL;
    ck_assert_int_eq(tp_create(&tp1, 2, false, NULL), HEARTH_OK);
    ck_assert_int_eq(pf_workspace_create(&ws1, 2, n_pos + 3, hd, n_head, n_head_kv, 64, NULL),
                     HEARTH_OK);
    for (int64_t t = 0; t < n_tok; t++) {
        pf_attn one = a;
        one.n_tok = 1;
        one.pos0 = pos0 + t;
        one.q = q + t * a.ldq;
        one.out = got;
        pf_attention(tp1, &k, ws1, &one);
        ck_assert_msg(memcmp(got, first + t * a.ldo, (size_t)a.ldo * sizeof *got) == 0,
                      "token %lld alone differs from the batch of %lld", (long long)t,
                      (long long)n_tok);
    }
    pf_workspace_free(ws1);
    tp_free(tp1);
    free(kc);
    free(vc);
    free(q);
    free(first);
    free(got);
    free(want);
}

/* Decode-sized (3 tokens after 40) and block-sized batches (45 tokens after 20:
 * 3 query blocks, ragged; 37 from empty), F16 and F32 caches, GQA 4:1 and 3:1,
 * head dims 8 and 64; then several 64-key blocks with the causal diagonal
 * crossing block edges: no GQA (4:4) with head dim 80 (ragged vectors), and
 * 8:1 with head dim 128 (two column groups). */
START_TEST(test_parallel_attention_exact_and_thread_independent) {
    check_attention(true, 3, 40, 8, 2, 64);
    check_attention(false, 3, 40, 6, 2, 8);
    check_attention(true, 45, 20, 8, 2, 64);
    check_attention(false, 45, 20, 6, 2, 8);
    check_attention(true, 37, 0, 4, 1, 64);
    check_attention(true, 150, 70, 4, 4, 80);
    check_attention(false, 70, 130, 8, 1, 128);
}
END_TEST

/* ---- Model level ----------------------------------------------------------- */

/* A model whose every stage splits into many tasks: 8 query heads over 2 KV
 * heads of 32, ffn 352 (22 row chunks), vocab 700 (44 row chunks). */
static synth_model_params parallel_model_params(uint32_t type) {
    synth_model_params p = synth_model_default_params();
    p.n_embd = 256;
    p.n_layer = 2;
    p.n_ff = 352;
    p.n_head = 8;
    p.n_head_kv = 2;
    p.n_vocab = 700;
    p.type = type;
    p.embd_type = type;
    p.weight_std = 0.05f;
    p.seed = 7;
    return p;
}

/* Writes the model of p as `name` in the test folder; returns its path. */
static const char *write_model(const synth_model_params *p, const char *name) {
    static char path[4][512];
    static int next;
    char *buf = path[next++ % 4];
    snprintf(buf, 512, "%s/%s", test_tmpdir(), name);
    ck_assert_int_eq(synth_model_write(buf, p), HEARTH_OK);
    return buf;
}

static const char *write_parallel_model(uint32_t type, const char *name) {
    const synth_model_params p = parallel_model_params(type);
    return write_model(&p, name);
}

enum { N_PROMPT = 45, N_DECODE = 3 };

/* Logits of a 45-token prompt (all positions: the batch path) then of three
 * single-token decodes, on a context of n_threads threads:
 * (N_PROMPT + N_DECODE) x n_vocab floats, malloc'd. */
static float *run_model(const hearth_model *m, int n_threads) {
    hearth_ctx_params cp = hearth_ctx_default_params();
    cp.n_ctx = 64;
    cp.n_batch = 64;
    cp.n_threads = n_threads;
    cp.logits_all = true;
    hearth_ctx *c = NULL;
    ck_assert_msg(hearth_ctx_create(m, &cp, &c) == HEARTH_OK, "%s", hearth_last_error());
    int32_t n_vocab = hearth_vocab_size(m);
    float *out = malloc((size_t)(N_PROMPT + N_DECODE) * (size_t)n_vocab * sizeof *out);
    ck_assert_ptr_nonnull(out);
    int32_t tokens[N_PROMPT];
    for (int i = 0; i < N_PROMPT; i++)
        tokens[i] = (int32_t)((i * 131 + 17) % n_vocab);
    ck_assert_int_eq(hearth_ctx_decode(c, tokens, N_PROMPT), HEARTH_OK);
    for (int i = 0; i < N_PROMPT; i++)
        memcpy(out + (size_t)i * n_vocab, hearth_ctx_logits(c, i), (size_t)n_vocab * sizeof *out);
    for (int d = 0; d < N_DECODE; d++) {
        int32_t t = (int32_t)((d * 57 + 3) % n_vocab);
        ck_assert_int_eq(hearth_ctx_decode(c, &t, 1), HEARTH_OK);
        memcpy(out + (size_t)(N_PROMPT + d) * n_vocab, hearth_ctx_logits(c, -1),
               (size_t)n_vocab * sizeof *out);
    }
    hearth_ctx_free(c);
    return out;
}

static void check_model_threads(uint32_t type, const char *name) {
    const char *path = write_parallel_model(type, name);
    hearth_model *m = NULL;
    ck_assert_msg(hearth_model_load(path, NULL, &m) == HEARTH_OK, "%s", hearth_last_error());
    size_t n = (size_t)(N_PROMPT + N_DECODE) * (size_t)hearth_vocab_size(m);
    float *first = run_model(m, 1);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(isfinite(first[i]), "%s: logit %zu not finite", name, i);
    for (size_t ti = 1; ti < sizeof thread_counts / sizeof thread_counts[0]; ti++) {
        float *got = run_model(m, thread_counts[ti]);
        ck_assert_msg(memcmp(first, got, n * sizeof *got) == 0,
                      "%s: logits differ between 1 and %d threads", name, thread_counts[ti]);
        free(got);
    }
    free(first);
    hearth_model_free(m);
}

START_TEST(test_parallel_logits_bit_identical_q8_0) { check_model_threads(8, "q8_0.gguf"); }
END_TEST
START_TEST(test_parallel_logits_bit_identical_q4_0) { check_model_threads(2, "q4_0.gguf"); }
END_TEST
/* F16 weights take the BLAS path at the 45-token batch when built with BLAS. */
START_TEST(test_parallel_logits_bit_identical_f16) { check_model_threads(1, "f16.gguf"); }
END_TEST

typedef struct ctx_run {
    const hearth_model *m;
    float *logits;
} ctx_run;

static void *ctx_thread(void *p) {
    ctx_run *r = p;
    r->logits = run_model(r->m, 2);
    return NULL;
}

/* runs[0] and runs[1] on two threads at once. */
static void run_two_at_once(ctx_run runs[2]) {
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, ctx_thread, &runs[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
}

/* Both runs' n logits equal `want` bit for bit (`what` names the expectation);
 * frees them. */
static void assert_runs_match(const float *want, ctx_run runs[2], size_t n, const char *what) {
    for (int i = 0; i < 2; i++) {
        ck_assert_ptr_nonnull(runs[i].logits);
        ck_assert_msg(memcmp(want, runs[i].logits, n * sizeof *want) == 0,
                      "context %d: logits differ from %s", i, what);
        free(runs[i].logits);
    }
}

/* Two contexts over one model, decoding at the same time on two threads (each
 * with a 2-thread pool), give the logits of the same runs one after the other:
 * the model is read-only and contexts share nothing. */
START_TEST(test_parallel_two_contexts_at_once) {
    const char *path = write_parallel_model(8, "shared.gguf");
    hearth_model *m = NULL;
    ck_assert_msg(hearth_model_load(path, NULL, &m) == HEARTH_OK, "%s", hearth_last_error());
    size_t n = (size_t)(N_PROMPT + N_DECODE) * (size_t)hearth_vocab_size(m);
    float *serial = run_model(m, 2);
    ctx_run runs[2] = {{m, NULL}, {m, NULL}};
    run_two_at_once(runs);
    assert_runs_match(serial, runs, n, "the serial ones");
    free(serial);
    hearth_model_free(m);
}
END_TEST

/* Whether this kernel gives anonymous memory huge pages on request (read
 * here independently of lib/weight_home.c). */
static bool thp_on(void) {
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    char line[128] = "";
    bool on = f && fgets(line, sizeof line, f) &&
              (strstr(line, "[always]") || strstr(line, "[madvise]"));
    if (f)
        fclose(f);
    return on;
}

/* The layout the best tier moves weights of `type` with n_in values per row
 * into (kernels.h preferred_layout; contexts default to the best tier). */
static int expected_layout(uint32_t type, int64_t n_in) {
    hearth_kernels k;
    ck_assert(hearth_kernels_init(&k, HEARTH_ISA_AUTO));
    int layout = k.preferred_layout[type];
    return hearth_layout_fits(layout, (int)type, n_in) ? layout : HEARTH_LAYOUT_GGUF;
}

/* w's home holds the file's rows, repacked into the layout it records. */
static void assert_home_holds_rows(const weight *w) {
    int layout = *w->place.layout;
    ck_assert_int_eq(layout, expected_layout(w->type, w->cols));
    if (layout == HEARTH_LAYOUT_GGUF) {
        ck_assert_int_eq(memcmp(w->place.home, w->data, w->row_bytes * (size_t)w->rows), 0);
        return;
    }
    /* unpacked, the home row is the file's; and it is the file's row packed
     * (the packing itself is checked against the layouts' definitions in
     * check_layout.c), so a row left in GGUF order is caught whenever it has
     * a whole group */
    char *row = malloc(w->row_bytes), *packed = malloc(w->row_bytes);
    ck_assert(row && packed);
    for (int64_t r = 0; r < w->rows; r++) {
        const char *home = (const char *)w->place.home + (size_t)r * w->row_bytes;
        const char *file = (const char *)w->data + (size_t)r * w->row_bytes;
        hearth_layout_unpack_row(layout, home, row, w->cols);
        ck_assert_msg(memcmp(row, file, w->row_bytes) == 0, "home row %lld differs",
                      (long long)r);
        hearth_layout_pack_row(layout, file, packed, w->cols);
        ck_assert_msg(memcmp(home, packed, w->row_bytes) == 0, "row %lld was not repacked",
                      (long long)r);
    }
    free(row);
    free(packed);
}

/* Two contexts meet every weight for the first time at once: one moves it
 * home (repacked when the tier prefers another layout) while the other reads
 * the mapping. Both give exactly the logits of a model that never moves its
 * weights, and afterwards every matmul weight lives in its home and holds
 * the file's rows. */
static void check_move_home(const char *path) {
    hearth_model_params in_place = hearth_model_default_params();
    in_place.hugepage_weights = false;
    hearth_model *m = NULL, *ref_m = NULL;
    ck_assert_msg(hearth_model_load(path, NULL, &m) == HEARTH_OK, "%s", hearth_last_error());
    ck_assert_msg(hearth_model_load(path, &in_place, &ref_m) == HEARTH_OK, "%s",
                  hearth_last_error());
    ck_assert_ptr_null(ref_m->homes);
    if (!thp_on()) {
        ck_assert_ptr_null(m->homes);
        fprintf(stderr, "NOTE: transparent huge pages are off here: weights stay in place\n");
    } else {
        ck_assert_ptr_nonnull(m->homes);
        ck_assert_int_eq(atomic_load(m->llama->layers[0].wq.place.state), WEIGHT_NONE);
    }
    size_t n = (size_t)(N_PROMPT + N_DECODE) * (size_t)hearth_vocab_size(m);
    float *want = run_model(ref_m, 1);
    ctx_run runs[2] = {{m, NULL}, {m, NULL}};
    run_two_at_once(runs);
    assert_runs_match(want, runs, n, "the in-place model's");
    if (m->homes) {
        const llama_weights *lw = m->llama;
        for (int64_t l = 0; l < lw->hp.n_layer; l++) {
            const weight *ws[] = {&lw->layers[l].wq,     &lw->layers[l].wk,
                                  &lw->layers[l].wv,     &lw->layers[l].wo,
                                  &lw->layers[l].w_gate, &lw->layers[l].w_up,
                                  &lw->layers[l].w_down};
            for (int i = 0; i < 7; i++) {
                ck_assert_int_eq(atomic_load(ws[i]->place.state), WEIGHT_HOME);
                ck_assert_ptr_ne(ws[i]->place.home, ws[i]->data);
                assert_home_holds_rows(ws[i]);
            }
        }
        ck_assert_int_eq(atomic_load(lw->output.place.state), WEIGHT_HOME);
        assert_home_holds_rows(&lw->output);
        ck_assert_ptr_null(lw->token_embd.place.home); /* read a row at a time, in place */
    }
    /* The second pass reads the homes only: still the same logits. */
    float *again = run_model(m, 2);
    ck_assert_msg(memcmp(want, again, n * sizeof *want) == 0, "logits changed once home");
    free(again);
    free(want);
    hearth_model_free(ref_m);
    hearth_model_free(m);
}

START_TEST(test_parallel_weights_move_home_during_two_contexts) {
    check_move_home(write_parallel_model(8, "homes.gguf"));
}
END_TEST

/* Rows of 512 values (one whole X16 group) and, in w_down, of 544 (a group
 * and one block after it) of a type with an X16 layout on the AVX-512 tiers. */
static void check_x16_home(uint32_t type, const char *name, uint64_t seed) {
    synth_model_params p = parallel_model_params(type);
    p.n_embd = 512;
    p.n_ff = 544;
    p.seed = seed;
    const char *path = write_model(&p, name);
    if (expected_layout(type, 512) == HEARTH_LAYOUT_GGUF)
        fprintf(stderr, "NOTE: the best kernel tier here keeps %s in GGUF order\n",
                hearth_type_traits_of((int)type)->name);
    check_move_home(path);
}

START_TEST(test_parallel_q4_0_weights_repacked_home) {
    check_x16_home(HEARTH_TYPE_Q4_0, "homes_q4_0.gguf", 11);
}
END_TEST

START_TEST(test_parallel_q8_0_weights_repacked_home) {
    check_x16_home(HEARTH_TYPE_Q8_0, "homes_q8_0.gguf", 12);
}
END_TEST

/* Q4_K rows of 1024 values (one whole X4 group) and, in w_down, of 1280 (a
 * group and one block after it): the repacked layout on the AVX-512 tiers. */
START_TEST(test_parallel_q4_k_weights_repacked_home) {
    synth_model_params p = parallel_model_params(HEARTH_TYPE_Q4_K);
    p.n_embd = 1024;
    p.n_ff = 1280;
    p.seed = 13;
    p.quantize = mt_ref_quantize; /* Q4_K needs the reference quantizer */
    const char *path = write_model(&p, "homes_q4_k.gguf");
    if (expected_layout(HEARTH_TYPE_Q4_K, 1024) == HEARTH_LAYOUT_GGUF)
        fprintf(stderr, "NOTE: the best kernel tier here keeps Q4_K in GGUF order\n");
    check_move_home(path);
}
END_TEST

Suite *parallel_suite(void);
Suite *parallel_suite(void) {
    Suite *s = suite_create("parallel");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_parallel_matmul_bit_identical_across_threads);
    tcase_add_test(tc, test_parallel_blas_matmul_thread_independent);
    tcase_add_test(tc, test_parallel_rmsnorm_matches_serial);
    tcase_add_test(tc, test_parallel_attention_exact_and_thread_independent);
    suite_add_tcase(s, tc);
    TCase *tm = tcase_create("model");
    tcase_set_timeout(tm, 300);
    tcase_add_test(tm, test_parallel_logits_bit_identical_q8_0);
    tcase_add_test(tm, test_parallel_logits_bit_identical_q4_0);
    tcase_add_test(tm, test_parallel_logits_bit_identical_f16);
    tcase_add_test(tm, test_parallel_two_contexts_at_once);
    tcase_add_test(tm, test_parallel_weights_move_home_during_two_contexts);
    tcase_add_test(tm, test_parallel_q4_0_weights_repacked_home);
    tcase_add_test(tm, test_parallel_q8_0_weights_repacked_home);
    tcase_add_test(tm, test_parallel_q4_k_weights_repacked_home);
    suite_add_tcase(s, tm);
    return s;
}
