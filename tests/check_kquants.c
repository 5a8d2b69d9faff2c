/* check_kquants.c - the K-quant family (Q2_K..Q6_K, Q8_K) and IQ4_XS, every tier.
 *
 * The reference (kernels/ref) is checked against independent expectations:
 * hand-built blocks with known values, a float64 dot of the dequantized
 * operands, and the RMSE llama.cpp's own quantizers reach on the same seeded
 * data (measured once, recorded below). Every SIMD tier the CPU has is then
 * checked against the reference: Q8_K quantize bit-exact, vec_dot within the
 * STYLE §8 float bound, and mat_dot bit-identical to that tier's vec_dot.
 */
#include <check.h>
#include <float.h>  /* FLT_EPSILON */
#include <math.h>   /* fabs, sqrt, isfinite */
#include <stdio.h>  /* fprintf for skip notes */
#include <stdlib.h> /* malloc */
#include <string.h>

#include "hearth.h"                /* hearth_isa_supported */
#include "kernels/cpu.h"       /* hearth_cpu_features: GFNI */
#include "kernels/ref/kquant_util.h"
#include "util/testutil.h"

/* ---- Tiers and types ------------------------------------------------------ */

typedef void (*vec_fn)(KQ_VEC_DOT_ARGS);
typedef void (*mat_fn)(KQ_MAT_DOT_ARGS);
typedef void (*quant_fn)(const float *restrict, void *restrict, int64_t);
typedef void (*dequant_fn)(const void *restrict, float *restrict, int64_t);

/* TIER_VNNI_GFNI is not a tier of its own: the avx512vnni tier's kernels that
 * replace its plain ones where the CPU also has GFNI (kernels/cpu.h). */
enum { TIER_REF, TIER_AVX2, TIER_AVX512, TIER_AVX512VNNI, TIER_VNNI_GFNI, N_TIERS };
static const char *const tier_names[N_TIERS] = {"ref", "avx2", "avx512", "avx512vnni",
                                                "avx512vnni+gfni"};

/* The library's own detection (cpuid + xgetbv), as the dispatcher uses it. */
static bool tier_available(int tier) {
    static const hearth_isa isa[N_TIERS] = {HEARTH_ISA_SCALAR, HEARTH_ISA_AVX2, HEARTH_ISA_AVX512,
                                            HEARTH_ISA_AVX512VNNI, HEARTH_ISA_AVX512VNNI};
    if (tier == TIER_VNNI_GFNI && !(hearth_cpu_features() & HEARTH_CPU_GFNI))
        return false;
    return hearth_isa_supported(isa[tier]);
}

/* x86 tier kernels exist only in x86 builds; elsewhere their entries are NULL. */
#if defined(__x86_64__)
#define X86_ONLY(f) f
#else
#define X86_ONLY(f) NULL
#endif

static const quant_fn q8k_quant[N_TIERS] = {
    hearth_quantize_row_q8_k_ref, X86_ONLY(hearth_quantize_row_q8_k_avx2), NULL, NULL};

typedef struct kq_type {
    const char *name;
    size_t type_size;
    quant_fn quant;
    dequant_fn dequant;
    vec_fn vec[N_TIERS]; /* NULL: the tier keeps the reference */
    mat_fn mat[N_TIERS];
    /* RMSE of llama.cpp's quantize_row_*_ref -> dequantize_row_* on the seeded
     * data of rmse_data() (32768 values, seed 20261123; N(0,1), then the same
     * with one x20 outlier per block). Measured once with a throwaway program
     * linking libggml-base.so of the llama.cpp checkout in /work/scratch (b4747-1,
     * commit c392e50; printed with %.9g); our quantizers reproduced its blocks
     * byte for byte on both sets. */
    double rmse_llama[2];
    /* The VNNI tier reaches the avx512 tier's int32 lanes (IQ4_XS's biases
     * its levels to unsigned for vpdpbusd and sums other lanes). */
    bool vnni_same_lanes;
} kq_type;

/* Tier entries are listed where a kernel exists; NULL means the tier keeps the
 * reference for that slot (reported as a skip). */

static const kq_type types[] = {
    {"Q4_K", sizeof(block_q4_K), hearth_quantize_row_q4_k_ref, hearth_dequantize_row_q4_k_ref,
     {hearth_vec_dot_q4_k_q8_k_ref, X86_ONLY(hearth_vec_dot_q4_k_q8_k_avx2),
      X86_ONLY(hearth_vec_dot_q4_k_q8_k_avx512), X86_ONLY(hearth_vec_dot_q4_k_q8_k_avx512vnni)},
     {hearth_mat_dot_q4_k_q8_k_ref, X86_ONLY(hearth_mat_dot_q4_k_q8_k_avx2),
      X86_ONLY(hearth_mat_dot_q4_k_q8_k_avx512), X86_ONLY(hearth_mat_dot_q4_k_q8_k_avx512vnni)},
     {0.0710845972, 0.136553393}, true},
    {"Q6_K", sizeof(block_q6_K), hearth_quantize_row_q6_k_ref, hearth_dequantize_row_q6_k_ref,
     {hearth_vec_dot_q6_k_q8_k_ref, X86_ONLY(hearth_vec_dot_q6_k_q8_k_avx2),
      X86_ONLY(hearth_vec_dot_q6_k_q8_k_avx512), X86_ONLY(hearth_vec_dot_q6_k_q8_k_avx512vnni),
      X86_ONLY(hearth_vec_dot_q6_k_q8_k_avx512vnni_gfni)},
     {hearth_mat_dot_q6_k_q8_k_ref, X86_ONLY(hearth_mat_dot_q6_k_q8_k_avx2),
      X86_ONLY(hearth_mat_dot_q6_k_q8_k_avx512), X86_ONLY(hearth_mat_dot_q6_k_q8_k_avx512vnni),
      X86_ONLY(hearth_mat_dot_q6_k_q8_k_avx512vnni_gfni)},
     {0.0176916987, 0.0448016534}, true},
    {"Q5_K", sizeof(block_q5_K), hearth_quantize_row_q5_k_ref, hearth_dequantize_row_q5_k_ref,
     {hearth_vec_dot_q5_k_q8_k_ref, X86_ONLY(hearth_vec_dot_q5_k_q8_k_avx2),
      X86_ONLY(hearth_vec_dot_q5_k_q8_k_avx512), X86_ONLY(hearth_vec_dot_q5_k_q8_k_avx512vnni)},
     {hearth_mat_dot_q5_k_q8_k_ref, X86_ONLY(hearth_mat_dot_q5_k_q8_k_avx2),
      X86_ONLY(hearth_mat_dot_q5_k_q8_k_avx512), X86_ONLY(hearth_mat_dot_q5_k_q8_k_avx512vnni)},
     {0.0358793613, 0.0703636829}, true},
    {"IQ4_XS", sizeof(block_iq4_xs), hearth_quantize_row_iq4_xs_ref,
     hearth_dequantize_row_iq4_xs_ref,
     {hearth_vec_dot_iq4_xs_q8_k_ref, X86_ONLY(hearth_vec_dot_iq4_xs_q8_k_avx2),
      X86_ONLY(hearth_vec_dot_iq4_xs_q8_k_avx512), X86_ONLY(hearth_vec_dot_iq4_xs_q8_k_avx512vnni)},
     {hearth_mat_dot_iq4_xs_q8_k_ref, X86_ONLY(hearth_mat_dot_iq4_xs_q8_k_avx2),
      X86_ONLY(hearth_mat_dot_iq4_xs_q8_k_avx512), X86_ONLY(hearth_mat_dot_iq4_xs_q8_k_avx512vnni)},
     {0.0764970361, 0.172288922}, false},
    {"Q3_K", sizeof(block_q3_K), hearth_quantize_row_q3_k_ref, hearth_dequantize_row_q3_k_ref,
     {hearth_vec_dot_q3_k_q8_k_ref, X86_ONLY(hearth_vec_dot_q3_k_q8_k_avx2),
      X86_ONLY(hearth_vec_dot_q3_k_q8_k_avx512), X86_ONLY(hearth_vec_dot_q3_k_q8_k_avx512vnni)},
     {hearth_mat_dot_q3_k_q8_k_ref, X86_ONLY(hearth_mat_dot_q3_k_q8_k_avx2),
      X86_ONLY(hearth_mat_dot_q3_k_q8_k_avx512), X86_ONLY(hearth_mat_dot_q3_k_q8_k_avx512vnni)},
     {0.151052399, 0.234191811}, true},
    {"Q2_K", sizeof(block_q2_K), hearth_quantize_row_q2_k_ref, hearth_dequantize_row_q2_k_ref,
     {hearth_vec_dot_q2_k_q8_k_ref, X86_ONLY(hearth_vec_dot_q2_k_q8_k_avx2),
      X86_ONLY(hearth_vec_dot_q2_k_q8_k_avx512), X86_ONLY(hearth_vec_dot_q2_k_q8_k_avx512vnni)},
     {hearth_mat_dot_q2_k_q8_k_ref, X86_ONLY(hearth_mat_dot_q2_k_q8_k_avx2),
      X86_ONLY(hearth_mat_dot_q2_k_q8_k_avx512), X86_ONLY(hearth_mat_dot_q2_k_q8_k_avx512vnni)},
     {0.296819238, 0.419110844}, true},
};
enum { N_TYPES = sizeof types / sizeof types[0] };

/* Lengths: one block, odd block counts, and powers of two. */
static const int64_t sizes[] = {256, 3 * 256, 7 * 256, 16 * 256};
enum { N_SIZES = sizeof sizes / sizeof sizes[0] };

/* ---- Data ------------------------------------------------------------------ */

/* kind 0: N(0,1); kind 1: N(0,1) with value 17 of each block x20 (the RMSE sets). */
static void rmse_data(float *x, int64_t n, int kind) {
    test_rng r;
    test_rng_seed(&r, 20261123);
    for (int64_t i = 0; i < n; i++) {
        x[i] = test_rng_normal(&r);
        if (kind == 1 && i % 256 == 17)
            x[i] *= 20.f;
    }
}

enum { DATA_NORMAL, DATA_ZEROS, DATA_OUTLIER, DATA_HUGE, DATA_TINY, DATA_TIES, N_DATA };
static const char *const data_names[N_DATA] = {"normal", "zeros", "outlier",
                                               "huge",   "tiny",  "ties"};

/* Seeded test inputs; the seed is printed by callers on failure. */
static void fill(float *x, int64_t n, int kind, uint64_t seed) {
    test_rng r;
    test_rng_seed(&r, seed);
    for (int64_t i = 0; i < n; i++) {
        float v = test_rng_normal(&r);
        switch (kind) {
        case DATA_ZEROS: v = 0; break;
        case DATA_OUTLIER: v = (i % 256 == (int64_t)(seed % 256)) ? 1000.f : v; break;
        case DATA_HUGE: v *= 3e4f; break;  /* scales near the top of f16 */
        case DATA_TINY: v *= 1e-6f; break; /* scales in f16's subnormal range */
        case DATA_TIES: v = (i % 3 == 0) ? -4.f : (i % 3 == 1 ? 4.f : 0.5f * v); break;
        default: break;
        }
        x[i] = v;
    }
}

static void *xmalloc(size_t bytes) {
    void *p = malloc(bytes ? bytes : 1);
    ck_assert_ptr_nonnull(p);
    return p;
}

/* ---- Reference: known blocks ------------------------------------------------ */

/* A hand-built Q4_K block: d = 0.5, dmin = 0.25; sub-blocks 0-3 get scale j + 1
 * and min 2j, sub-blocks 4-7 scale 40 + j and min 50 + j (>= 16, so the packed
 * top bits are exercised); levels l % 16 (even j) or (l + 5) % 16 (odd j).
 * value = 0.5 * sc * q - 0.25 * m, exact in float. */
START_TEST(test_kquants_q4_k_dequantizes_known_block) {
    block_q4_K b;
    memset(&b, 0, sizeof b);
    uint8_t sc[8], m[8];
    for (int j = 0; j < 8; j++) {
        sc[j] = (uint8_t)(j < 4 ? j + 1 : 40 + j);
        m[j] = (uint8_t)(j < 4 ? 2 * j : 50 + j);
    }
    kquant_pack_scale_min(b.scales, sc, m);
    b.d = kq_f32_to_f16(0.5f);
    b.dmin = kq_f32_to_f16(0.25f);
    for (int c = 0; c < 4; c++)
        for (int l = 0; l < 32; l++)
            b.qs[32 * c + l] = (uint8_t)((l % 16) | (((l + 5) % 16) << 4));
    float y[QK_K];
    hearth_dequantize_row_q4_k_ref(&b, y, QK_K);
    for (int j = 0; j < 8; j++) {
        for (int l = 0; l < 32; l++) {
            int q = j % 2 == 0 ? l % 16 : (l + 5) % 16;
            double expect = 0.5 * sc[j] * q - 0.25 * m[j];
            ck_assert_msg(y[32 * j + l] == (float)expect, "value %d: %g != %g", 32 * j + l,
                          y[32 * j + l], expect);
        }
    }
}
END_TEST

/* Q6_K: value v = 128h + 32k + l has q = (v * 7) % 64, scale (j - 8) * 3. */
START_TEST(test_kquants_q6_k_dequantizes_known_block) {
    block_q6_K b;
    memset(&b, 0, sizeof b);
    b.d = kq_f32_to_f16(0.125f);
    for (int j = 0; j < 16; j++)
        b.scales[j] = (int8_t)((j - 8) * 3);
    for (int v = 0; v < QK_K; v++) {
        int q = (v * 7) % 64, h = v / 128, k = (v / 32) % 4, l = v % 32;
        b.ql[64 * h + 32 * (k % 2) + l] |= (uint8_t)((q & 0xf) << (4 * (k / 2)));
        b.qh[32 * h + l] |= (uint8_t)((q >> 4) << (2 * k));
    }
    float y[QK_K];
    hearth_dequantize_row_q6_k_ref(&b, y, QK_K);
    for (int v = 0; v < QK_K; v++) {
        double expect = 0.125 * ((v / 16 - 8) * 3) * ((v * 7) % 64 - 32);
        ck_assert_msg(y[v] == (float)expect, "value %d: %g != %g", v, y[v], expect);
    }
}
END_TEST

/* IQ4_XS: sub-block j scale ls - 32 = j * 7 - 20, index (v * 5) % 16. */
START_TEST(test_kquants_iq4_xs_dequantizes_known_block) {
    block_iq4_xs b;
    memset(&b, 0, sizeof b);
    b.d = kq_f32_to_f16(0.5f);
    for (int j = 0; j < 8; j++) {
        int biased = j * 7 - 20 + 32;
        b.scales_l[j / 2] |= (uint8_t)((biased & 0xf) << (4 * (j % 2)));
        b.scales_h |= (uint16_t)((biased >> 4) << (2 * j));
        for (int l = 0; l < 32; l++) {
            int idx = ((32 * j + l) * 5) % 16;
            b.qs[16 * j + l % 16] |= (uint8_t)(idx << (l < 16 ? 0 : 4));
        }
    }
    float y[QK_K];
    hearth_dequantize_row_iq4_xs_ref(&b, y, QK_K);
    for (int v = 0; v < QK_K; v++) {
        double expect = 0.5 * ((v / 32) * 7 - 20) * hearth_kvalues_iq4nl[(v * 5) % 16];
        ck_assert_msg(y[v] == (float)expect, "value %d: %g != %g", v, y[v], expect);
    }
}
END_TEST

/* Q3_K and Q2_K: the low-bit layouts, value v = 128h + 32k + l. */
START_TEST(test_kquants_q3_q2_dequantize_known_blocks) {
    block_q3_K b3;
    memset(&b3, 0, sizeof b3);
    b3.d = kq_f32_to_f16(0.25f);
    for (int j = 0; j < 16; j++) {
        int biased = (j * 5) % 64; /* scale biased - 32 */
        b3.scales[j % 8] |= (uint8_t)((biased & 0xf) << (4 * (j / 8)));
        b3.scales[8 + j % 4] |= (uint8_t)((biased >> 4) << (2 * (j / 4)));
    }
    block_q2_K b2;
    memset(&b2, 0, sizeof b2);
    b2.d = kq_f32_to_f16(2.f);
    b2.dmin = kq_f32_to_f16(0.5f);
    for (int j = 0; j < 16; j++)
        b2.scales[j] = (uint8_t)((j % 16) | (((15 - j) % 16) << 4));
    for (int v = 0; v < QK_K; v++) {
        int h = v / 128, k = (v / 32) % 4, l = v % 32;
        int q3 = (v * 3) % 8; /* stored level; value q3 - 4 */
        b3.qs[32 * h + l] |= (uint8_t)((q3 & 3) << (2 * k));
        b3.hmask[l] |= (uint8_t)((q3 >> 2) << (v / 32));
        b2.qs[32 * h + l] |= (uint8_t)(((v * 5) % 4) << (2 * k));
    }
    float y3[QK_K], y2[QK_K];
    hearth_dequantize_row_q3_k_ref(&b3, y3, QK_K);
    hearth_dequantize_row_q2_k_ref(&b2, y2, QK_K);
    for (int v = 0; v < QK_K; v++) {
        int j = v / 16;
        double e3 = 0.25 * ((j * 5) % 64 - 32) * ((v * 3) % 8 - 4);
        double e2 = 2.0 * j * ((v * 5) % 4) - 0.5 * (15 - j);
        ck_assert_msg(y3[v] == (float)e3, "Q3_K value %d: %g != %g", v, y3[v], e3);
        ck_assert_msg(y2[v] == (float)e2, "Q2_K value %d: %g != %g", v, y2[v], e2);
    }
}
END_TEST

/* ---- Reference: quantizer quality ------------------------------------------ */

/* RMSE of quantize -> dequantize is no worse than llama.cpp's on the same data. */
START_TEST(test_kquants_rmse_no_worse_than_llama) {
    const kq_type *t = &types[_i / 2];
    int kind = _i % 2;
    const int64_t n = 32768;
    float *x = xmalloc(n * sizeof *x), *y = xmalloc(n * sizeof *y);
    void *q = xmalloc((size_t)(n / QK_K) * t->type_size);
    rmse_data(x, n, kind);
    t->quant(x, q, n);
    t->dequant(q, y, n);
    double s = 0;
    for (int64_t i = 0; i < n; i++)
        s += ((double)y[i] - x[i]) * ((double)y[i] - x[i]);
    double rmse = sqrt(s / n);
    ck_assert_msg(rmse <= t->rmse_llama[kind] * (1 + 1e-6), "%s set %d: rmse %.9g > llama %.9g",
                  t->name, kind, rmse, t->rmse_llama[kind]);
    free(x), free(y), free(q);
}
END_TEST

/* Edge inputs: zeros give zeros; outliers, huge and tiny values stay finite
 * with an error bounded relative to the block's largest value. */
START_TEST(test_kquants_quantize_edge_inputs) {
    const kq_type *t = &types[_i / N_DATA];
    int kind = _i % N_DATA;
    const int64_t n = 4 * QK_K;
    float *x = xmalloc(n * sizeof *x), *y = xmalloc(n * sizeof *y);
    void *q = xmalloc((size_t)(n / QK_K) * t->type_size);
    uint64_t seed = 77 + (uint64_t)_i;
    fill(x, n, kind, seed);
    t->quant(x, q, n);
    t->dequant(q, y, n);
    for (int64_t b = 0; b < n / QK_K; b++) {
        float amax = 0;
        for (int i = 0; i < QK_K; i++)
            amax = fmaxf(amax, fabsf(x[b * QK_K + i]));
        for (int i = 0; i < QK_K; i++) {
            float v = y[b * QK_K + i], ref = x[b * QK_K + i];
            ck_assert_msg(isfinite(v), "%s %s seed %llu: value %lld not finite", t->name,
                          data_names[kind], (unsigned long long)seed, (long long)(b * QK_K + i));
            if (kind == DATA_ZEROS)
                ck_assert_msg(v == 0, "%s zeros: value %d = %g", t->name, i, v);
            /* a 2-bit format can be off by the whole block range at worst; with
             * tiny data d and dmin are f16 subnormals with 1-3 significant bits,
             * and rounding each up by a step can add a block range (llama.cpp's
             * quantizers give the same blocks) */
            float tol = kind == DATA_TINY ? 3.f * amax : 1.01f * amax;
            ck_assert_msg(fabsf(v - ref) <= tol + 1e-30f, "%s %s: |%g - %g| vs max %g",
                          t->name, data_names[kind], v, ref, amax);
        }
    }
    free(x), free(y), free(q);
}
END_TEST

/* ---- Q8_K ------------------------------------------------------------------ */

/* The reference against its definition: |q| <= 127, the largest value maps to
 * -127 * sign, d * q within d/2 of x, bsums = sums of 16. */
START_TEST(test_kquants_q8_k_ref_definition) {
    int kind = _i % N_DATA;
    const int64_t n = 4 * QK_K;
    float *x = xmalloc(n * sizeof *x);
    block_q8_K *q = xmalloc((size_t)(n / QK_K) * sizeof *q);
    fill(x, n, kind, 5 + (uint64_t)_i);
    hearth_quantize_row_q8_k_ref(x, q, n);
    for (int64_t b = 0; b < n / QK_K; b++) {
        for (int j = 0; j < 16; j++) {
            int s = 0;
            for (int i = 0; i < 16; i++)
                s += q[b].qs[16 * j + i];
            ck_assert_int_eq(q[b].bsums[j], s);
        }
        for (int i = 0; i < QK_K; i++) {
            double err = fabs((double)q[b].d * q[b].qs[i] - x[b * QK_K + i]);
            ck_assert_msg(err <= fabs(q[b].d) * 0.5001 + 1e-30, "%s: value %d err %g d %g",
                          data_names[kind], i, err, q[b].d);
            ck_assert_int_ge(q[b].qs[i], -127);
        }
    }
    free(x), free(q);
}
END_TEST

/* Every tier's Q8_K quantizer writes the reference's bytes. */
START_TEST(test_kquants_q8_k_tiers_bit_exact) {
    int tier = _i / (N_DATA * N_SIZES), kind = (_i / N_SIZES) % N_DATA;
    int64_t n = sizes[_i % N_SIZES];
    if (!tier_available(tier) || !q8k_quant[tier]) {
        if (_i % (N_DATA * N_SIZES) == 0)
            fprintf(stderr, "SKIP q8_k quantize %s: %s\n", tier_names[tier],
                    tier_available(tier) ? "no kernel in this tier" : "tier not on this CPU");
        return;
    }
    float *x = xmalloc(n * sizeof *x);
    size_t bytes = (size_t)(n / QK_K) * sizeof(block_q8_K);
    void *a = xmalloc(bytes), *b = xmalloc(bytes);
    memset(a, 0x55, bytes), memset(b, 0xaa, bytes);
    uint64_t seed = 1000 + (uint64_t)_i;
    fill(x, n, kind, seed);
    hearth_quantize_row_q8_k_ref(x, a, n);
    q8k_quant[tier](x, b, n);
    ck_assert_msg(memcmp(a, b, bytes) == 0, "q8_k %s %s n %lld seed %llu differs", tier_names[tier],
                  data_names[kind], (long long)n, (unsigned long long)seed);
    free(x), free(a), free(b);
}
END_TEST

/* ---- Dot products ------------------------------------------------------------ */

/* Quantized operands for dot tests: weights from `kind` data, activations N(0,1). */
static void make_operands(const kq_type *t, int64_t n, int64_t rows, int64_t cols, int kind,
                          uint64_t seed, void **w, block_q8_K **a) {
    float *x = xmalloc((size_t)(n * (rows > cols ? rows : cols)) * sizeof *x);
    *w = xmalloc((size_t)(rows * (n / QK_K)) * t->type_size);
    *a = xmalloc((size_t)(cols * (n / QK_K)) * sizeof(block_q8_K));
    fill(x, n * rows, kind, seed);
    for (int64_t r = 0; r < rows; r++)
        t->quant(x + r * n, (char *)*w + (size_t)(r * (n / QK_K)) * t->type_size, n);
    fill(x, n * cols, DATA_NORMAL, seed + 1);
    for (int64_t c = 0; c < cols; c++)
        hearth_quantize_row_q8_k_ref(x + c * n, *a + c * (n / QK_K), n);
    free(x);
}

/* The reference dot against float64 over the dequantized operands (an
 * independent path: no block sums, no Q8_K bsums), STYLE §8 bound with
 * n_terms = n and sum|term| = sum |w_i a_i|. */
START_TEST(test_kquants_ref_dot_matches_float64) {
    const kq_type *t = &types[_i / (N_DATA * N_SIZES)];
    int kind = (_i / N_SIZES) % N_DATA;
    int64_t n = sizes[_i % N_SIZES];
    void *w;
    block_q8_K *a;
    uint64_t seed = 3000 + (uint64_t)_i;
    make_operands(t, n, 1, 1, kind, seed, &w, &a);
    float *wf = xmalloc(n * sizeof *wf), *af = xmalloc(n * sizeof *af);
    t->dequant(w, wf, n);
    hearth_dequantize_row_q8_k_ref(a, af, n);
    double exact = 0, abs_sum = 0;
    for (int64_t i = 0; i < n; i++) {
        exact += (double)wf[i] * af[i];
        abs_sum += fabs((double)wf[i] * af[i]);
    }
    float got;
    t->vec[TIER_REF](n, &got, w, a);
    double bound = 2.0 * n * FLT_EPSILON * abs_sum;
    ck_assert_msg(fabs(got - exact) <= bound, "%s %s n %lld seed %llu: %.9g vs %.9g (bound %g)",
                  t->name, data_names[kind], (long long)n, (unsigned long long)seed, got, exact,
                  bound);
    free(w), free(a), free(wf), free(af);
}
END_TEST

/* Each tier's vec_dot against the reference, STYLE §8: the tiers add the same
 * exact integer block sums in a different float order, so
 * |tier - ref| <= 2 * n_terms * FLT_EPSILON * sum|term| with n_terms = n and
 * terms w_i * a_i of the dequantized operands (summed in double). */
START_TEST(test_kquants_vec_dot_tiers_match_ref) {
    int tier = _i / (N_TYPES * N_DATA * N_SIZES);
    const kq_type *t = &types[(_i / (N_DATA * N_SIZES)) % N_TYPES];
    int kind = (_i / N_SIZES) % N_DATA;
    int64_t n = sizes[_i % N_SIZES];
    if (!tier_available(tier) || !t->vec[tier]) {
        if (_i % (N_DATA * N_SIZES) == 0)
            fprintf(stderr, "SKIP vec_dot %s %s: %s\n", t->name, tier_names[tier],
                    tier_available(tier) ? "no kernel in this tier" : "tier not on this CPU");
        return;
    }
    void *w;
    block_q8_K *a;
    uint64_t seed = 5000 + (uint64_t)_i;
    make_operands(t, n, 1, 1, kind, seed, &w, &a);
    float *wf = xmalloc(n * sizeof *wf), *af = xmalloc(n * sizeof *af);
    t->dequant(w, wf, n);
    hearth_dequantize_row_q8_k_ref(a, af, n);
    double abs_sum = 0;
    for (int64_t i = 0; i < n; i++)
        abs_sum += fabs((double)wf[i] * af[i]);
    float ref, got;
    t->vec[TIER_REF](n, &ref, w, a);
    t->vec[tier](n, &got, w, a);
    double bound = 2.0 * n * FLT_EPSILON * abs_sum;
    ck_assert_msg(fabs((double)got - ref) <= bound,
                  "%s %s %s n %lld seed %llu: %.9g vs ref %.9g (bound %g)", t->name,
                  tier_names[tier], data_names[kind], (long long)n, (unsigned long long)seed, got,
                  ref, bound);
    free(w), free(a), free(wf), free(af);
}
END_TEST

/* The VNNI tier compiles the avx512 tier's kernel bodies with fused integer
 * steps (vpdpwssd for vpmaddwd + vpaddd) that must reach the same exact
 * int32 lanes, so its vec_dot gives the avx512 tier's bits, not only bits
 * within the float bound of the reference. */
START_TEST(test_kquants_vnni_gives_avx512_bits) {
    const kq_type *t = &types[_i / (N_DATA * N_SIZES)];
    int kind = (_i / N_SIZES) % N_DATA;
    int64_t n = sizes[_i % N_SIZES];
    if (!t->vnni_same_lanes)
        return;
    if (!tier_available(TIER_AVX512VNNI)) {
        if (_i % (N_DATA * N_SIZES) == 0)
            fprintf(stderr, "SKIP vnni vs avx512 %s: tier not on this CPU\n", t->name);
        return;
    }
    void *w;
    block_q8_K *a;
    uint64_t seed = 9000 + (uint64_t)_i;
    make_operands(t, n, 1, 1, kind, seed, &w, &a);
    float plain, vnni;
    t->vec[TIER_AVX512](n, &plain, w, a);
    for (int tier = TIER_AVX512VNNI; tier <= TIER_VNNI_GFNI; tier++) {
        if (!t->vec[tier] || !tier_available(tier))
            continue; /* no GFNI kernel for the type, or no GFNI: the plain VNNI one is checked */
        t->vec[tier](n, &vnni, w, a);
        ck_assert_msg(memcmp(&plain, &vnni, sizeof plain) == 0,
                      "%s %s n %lld seed %llu: %s %.9g != avx512 %.9g", t->name, data_names[kind],
                      (long long)n, (unsigned long long)seed, tier_names[tier], vnni, plain);
    }
    free(w), free(a);
}
END_TEST

/* mat_dot: every output of an nr x nc tile (odd sizes, ldo > nr, strided rows
 * and columns) is bit-identical to that tier's vec_dot for the pair, and the
 * tile never writes outside its outputs. */
/* (n, rows, columns): column counts that leave every tile width a remainder
 * (8, 4 and 1 columns; more than one 16-column group), and a row longer than
 * the 64 blocks whose activation sums the AVX-512 kernels prepare per call. */
static const int64_t mat_shapes[][3] = {{256, 1, 1},  {3 * 256, 5, 7},  {8 * 256, 3, 21},
                                        {256, 4, 33}, {65 * 256, 2, 9}, {2 * 256, 7, 16}};
enum { N_MAT_SHAPES = sizeof mat_shapes / sizeof mat_shapes[0] };

START_TEST(test_kquants_mat_dot_matches_vec_dot) {
    int tier = _i / (N_TYPES * N_MAT_SHAPES);
    const kq_type *t = &types[(_i / N_MAT_SHAPES) % N_TYPES];
    const int64_t *shape = mat_shapes[_i % N_MAT_SHAPES];
    int64_t n = shape[0], nr = shape[1], nc = shape[2];
    if (!tier_available(tier) || !t->mat[tier]) {
        if (_i % N_MAT_SHAPES == 0)
            fprintf(stderr, "SKIP mat_dot %s %s: %s\n", t->name, tier_names[tier],
                    tier_available(tier) ? "no kernel in this tier" : "tier not on this CPU");
        return;
    }
    void *w;
    block_q8_K *a;
    make_operands(t, n, nr, nc, DATA_NORMAL, 7000 + (uint64_t)_i, &w, &a);
    size_t w_stride = (size_t)(n / QK_K) * t->type_size;
    size_t a_stride = (size_t)(n / QK_K) * sizeof(block_q8_K);
    int64_t ldo = nr + 2;
    float *out = xmalloc((size_t)(ldo * nc) * sizeof *out);
    for (int64_t i = 0; i < ldo * nc; i++)
        out[i] = -12345.f;
    t->mat[tier](n, nr, nc, out, ldo, w, w_stride, a, a_stride);
    for (int64_t c = 0; c < nc; c++) {
        for (int64_t r = 0; r < ldo; r++) {
            float got = out[c * ldo + r];
            if (r >= nr) {
                ck_assert_msg(got == -12345.f, "%s %s wrote padding", t->name, tier_names[tier]);
                continue;
            }
            float expect;
            t->vec[tier](n, &expect, (const char *)w + r * w_stride,
                         (const char *)a + c * a_stride);
            ck_assert_msg(memcmp(&got, &expect, sizeof got) == 0,
                          "%s %s r %lld c %lld: %.9g != vec_dot %.9g", t->name, tier_names[tier],
                          (long long)r, (long long)c, got, expect);
        }
    }
    free(w), free(a), free(out);
}
END_TEST

Suite *kquants_suite(void) {
    Suite *s = suite_create("kquants");
    TCase *tc = tcase_create("ref");
    tcase_add_test(tc, test_kquants_q4_k_dequantizes_known_block);
    tcase_add_test(tc, test_kquants_q6_k_dequantizes_known_block);
    tcase_add_test(tc, test_kquants_iq4_xs_dequantizes_known_block);
    tcase_add_test(tc, test_kquants_q3_q2_dequantize_known_blocks);
    tcase_add_loop_test(tc, test_kquants_rmse_no_worse_than_llama, 0, N_TYPES * 2);
    tcase_add_loop_test(tc, test_kquants_quantize_edge_inputs, 0, N_TYPES * N_DATA);
    tcase_add_loop_test(tc, test_kquants_q8_k_ref_definition, 0, N_DATA);
    tcase_add_loop_test(tc, test_kquants_ref_dot_matches_float64, 0, N_TYPES * N_DATA * N_SIZES);
    suite_add_tcase(s, tc);

    TCase *tiers = tcase_create("tiers");
    tcase_add_loop_test(tiers, test_kquants_q8_k_tiers_bit_exact, 0, N_TIERS * N_DATA * N_SIZES);
    tcase_add_loop_test(tiers, test_kquants_vec_dot_tiers_match_ref, 0,
                        N_TIERS * N_TYPES * N_DATA * N_SIZES);
    tcase_add_loop_test(tiers, test_kquants_mat_dot_matches_vec_dot, 0,
                        N_TIERS * N_TYPES * N_MAT_SHAPES);
    tcase_add_loop_test(tiers, test_kquants_vnni_gives_avx512_bits, 0, N_TYPES * N_DATA * N_SIZES);
    suite_add_tcase(s, tiers);
    return s;
}
