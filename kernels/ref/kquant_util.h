/* kquant_util.h - shared pieces of the K-quant family (Q2_K..Q6_K, Q8_K) and IQ4_XS.
 *
 * Holds what the reference files and every ISA tier of these formats agree on:
 * the half-precision conversions they use, the explicit rounding rule, the
 * 6-bit scale packing of Q4_K/Q5_K, the weight-fitting searches the quantizers
 * share, and the prototypes of every K-quant kernel (ref and tiers) so that the
 * tier patch files and the tests can name them. No ISA intrinsics here.
 */
#ifndef HEARTH_KQUANT_UTIL_H
#define HEARTH_KQUANT_UTIL_H

#include <math.h>    /* nearbyintf */
#include <stdbool.h>
#include <stddef.h> /* size_t */
#include <stdint.h>
#include <string.h> /* memcpy */

#include "../quant.h" /* block structs, QK_K */

/* The K-quant kernels promise bit-exact results (dequantize, block sums, and
 * the float epilogue of every dot product); a compiler that fuses a*b + c into
 * one FMA on its own would break that. GCC in ISO C mode never contracts;
 * clang contracts by default, so it is told not to. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

/* ---- Half precision (exact widen; round-to-nearest-even narrow) ---------- */
/* Kept local to the K-quant files so that they depend on nothing but quant.h;
 * same bits as hearth_f16_to_f32 / hearth_f32_to_f16 of kernels.h. */
static inline float kq_f16_to_f32(hearth_f16 h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t man = h & 0x3ff;
    uint32_t bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13); /* inf / NaN */
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    } else if (man == 0) {
        bits = sign;
    } else { /* subnormal: value = man * 2^-24, exact in float */
        float f = (float)man * 0x1p-24f;
        memcpy(&bits, &f, 4);
        bits |= sign;
    }
    float out;
    memcpy(&out, &bits, 4);
    return out;
}

static inline hearth_f16 kq_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) /* NaN stays a quiet NaN */
        return (hearth_f16)(sign | 0x7e00);
    if (ax >= 0x477ff000u) /* rounds to >= 65520: overflow to inf */
        return (hearth_f16)(sign | 0x7c00);
    if (ax < 0x38800000u) { /* below the smallest normal half: subnormal or zero */
        /* value / 2^-24 rounded to nearest even; nearbyintf uses the default mode */
        float a;
        memcpy(&a, &ax, 4);
        return (hearth_f16)(sign | (uint32_t)nearbyintf(a * 0x1p24f));
    }
    /* normal: drop 13 mantissa bits with round-half-to-even */
    uint32_t r = ax + 0xfff + ((ax >> 13) & 1);
    return (hearth_f16)(sign | ((r - (112u << 23)) >> 13));
}

/* ---- Rounding ------------------------------------------------------------ */
/* Every quantizer of this family rounds half to even (nearbyintf in the default
 * rounding mode; the SIMD tiers use their round-to-nearest-even instructions),
 * which is what llama.cpp's nearest_int() computes. Clamping before rounding
 * equals clamping after it for integer bounds, and keeps the cast defined for
 * huge or NaN inputs (NaN goes to lo). */
static inline int kq_round_clamp(float v, int lo, int hi) {
    if (!(v >= (float)lo))
        return lo;
    if (v > (float)hi)
        return hi;
    return (int)nearbyintf(v);
}

/* ---- Q4_K / Q5_K 6-bit scale packing ------------------------------------ */
/* 12 bytes hold 8 scales and 8 mins of 6 bits: bytes 0-3 carry scale 0-3 in
 * bits 0-5, bytes 4-7 carry min 0-3; scales/mins 4-7 keep their low nibbles in
 * bytes 8-11 (scale low, min high) and their top two bits in bits 6-7 of bytes
 * 0-3 (scales) and 4-7 (mins). */
static inline void kq_unpack_scale_min(int j, const uint8_t *packed, uint8_t *sc, uint8_t *m) {
    if (j < 4) {
        *sc = packed[j] & 63;
        *m = packed[j + 4] & 63;
    } else {
        *sc = (uint8_t)((packed[j + 4] & 0xf) | ((packed[j - 4] >> 6) << 4));
        *m = (uint8_t)((packed[j + 4] >> 4) | ((packed[j] >> 6) << 4));
    }
}

/* Unpacks all eight (scale, min) pairs at once: sc[0..7], m[0..7]. */
static inline void kq_unpack_scales_mins(const uint8_t *packed, uint8_t sc[8], uint8_t m[8]) {
    for (int j = 0; j < 8; j++)
        kq_unpack_scale_min(j, packed, &sc[j], &m[j]);
}

/* The same unpacking as four little-endian words for the SIMD tiers: bytes
 * 0-7 of out are the scales sc0..sc7, bytes 8-15 the mins m0..m7 (all 0..63).
 * With w0, w1, w2 the three words of `packed`:
 *     sc0-3 = w0 & 0x3f..,  m0-3 = w1 & 0x3f..,
 *     sc4-7 = (w2 & 0x0f..) | ((w0 >> 6) & 0x03..) << 4,
 *     m4-7  = ((w2 >> 4) & 0x0f..) | ((w1 >> 6) & 0x03..) << 4. */
static inline void kq_unpack_scales_mins_words(const uint8_t *packed, uint32_t out[4]) {
    uint32_t w[3];
    memcpy(w, packed, 12);
    out[0] = w[0] & 0x3f3f3f3fu;
    out[1] = (w[2] & 0x0f0f0f0fu) | (((w[0] >> 6) & 0x03030303u) << 4);
    out[2] = w[1] & 0x3f3f3f3fu;
    out[3] = ((w[2] >> 4) & 0x0f0f0f0fu) | (((w[1] >> 6) & 0x03030303u) << 4);
}

/* One block's float epilogue, shared by every tier so that all of them add
 * exactly what kquant_block_dot_ref adds: sum + ((d*ad)*isum - (dmin*ad)*msum). */
static inline float kq_block_epilogue(float sum, float d, float dmin, float ad, int32_t isum,
                                      int32_t msum) {
    return sum + ((d * ad) * (float)isum - (dmin * ad) * (float)msum);
}

void kquant_pack_scale_min(uint8_t packed[12], const uint8_t sc[8], const uint8_t m[8]);

/* Q3_K: 16 scales of 6 bits (stored biased by 32) in 12 bytes: low nibbles of
 * scales 0-7 in bytes 0-7 bits 0-3, of 8-15 in bytes 0-7 bits 4-7; the top two
 * bits of scale j in byte 8 + j%4 at bit 2*(j/4). Returns the signed scales. */
static inline void kq_unpack_q3_scales(const uint8_t *packed, int8_t out[16]) {
    for (int j = 0; j < 16; j++) {
        int low = j < 8 ? packed[j] & 0xf : packed[j - 8] >> 4;
        int high = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
        out[j] = (int8_t)((low | (high << 4)) - 32);
    }
}

/* The same Q3_K unpacking as four little-endian words of biased scales (byte j
 * of the result = scale j + 32, 0..63), for the SIMD tiers. With w0, w1 the low
 * nibbles (scales 0-7) / high nibbles (8-15) and w2 the top-bit byte quartet:
 *     0-3:   w0 & 0x0f..      | (w2 & 0x03..) << 4
 *     4-7:   w1 & 0x0f..      | (w2 >> 2 & 0x03..) << 4
 *     8-11:  w0 >> 4 & 0x0f.. | (w2 >> 4 & 0x03..) << 4
 *     12-15: w1 >> 4 & 0x0f.. | (w2 >> 6 & 0x03..) << 4 */
static inline void kq_unpack_q3_scales_words(const uint8_t *packed, uint32_t out[4]) {
    uint32_t w[3];
    memcpy(w, packed, 12);
    const uint32_t nib = 0x0f0f0f0fu, two = 0x03030303u;
    out[0] = (w[0] & nib) | ((w[2] & two) << 4);
    out[1] = (w[1] & nib) | (((w[2] >> 2) & two) << 4);
    out[2] = ((w[0] >> 4) & nib) | (((w[2] >> 4) & two) << 4);
    out[3] = ((w[1] >> 4) & nib) | (((w[2] >> 6) & two) << 4);
}

/* IQ4_XS: 6-bit biased scale of sub-block ib (0..7), returned unbiased (-32..31). */
static inline int kq_iq4xs_scale(const block_iq4_xs *b, int ib) {
    int low = (b->scales_l[ib / 2] >> (4 * (ib % 2))) & 0xf;
    int high = (b->scales_h >> (2 * ib)) & 3;
    return (low | (high << 4)) - 32;
}

/* ---- Weight-fitting searches shared by the quantizers (kquant_util.c) ---- */

/* Asymmetric fit x ~ scale * L - min_out with L in 0..nmax, weighted least
 * squares over a grid of nstep + 1 trial inverse scales (see the .c file).
 * Returns scale; *min_out >= 0 is the amount subtracted. */
float kquant_fit_scale_min(int n, int nmax, const float *x, const float *weights, uint8_t *L,
                           float *min_out, float rmin, float rdelta, int nstep, bool use_abs);

/* Symmetric fit x ~ scale * (L - nmax) with L - nmax in -nmax..nmax-1,
 * weights x^2, 19-point search around nmax. Returns scale (may be negative). */
/* Q4_K/Q5_K: levels L[256] (0..nmax), packed 6-bit scales/mins and d/dmin of one
 * 256-value block (see kquant_util.c for the algorithm). */
void kquant_quantize_scale_min_block(const float *x, int nmax, float rmin, float rdelta,
                                     int nstep, uint8_t L[QK_K], uint8_t packed[12],
                                     hearth_f16 *d_out, hearth_f16 *dmin_out);
float kquant_fit_symmetric(int n, int nmax, const float *x, int8_t *L);

/* Q3_K's symmetric fit with coordinate-descent refinement of single levels. */
float kquant_fit_q3(int n, int nmax, const float *x, int8_t *L);

/* Index of the IQ4_NL level nearest to v (a tie goes to the upper level). */
int kquant_nearest_iq4(float v);

/* ---- A decoded weight block: what every reference dot and dequantize uses ---- */
/* Every format of the family is x[i] = (d * sc[j]) * q[i] - (dmin * m[j]) for
 * i in sub-block j, with small integers q, sc, m: decoding a block to this form
 * lets one generic dot product and one dequantizer serve all six weight types. */
typedef struct kq_block {
    int8_t q[QK_K];  /* integer level of each value (e.g. 0..15, -32..31, IQ4 level) */
    int16_t sc[16];  /* sub-block scales */
    int16_t m[16];   /* sub-block mins (0 for the symmetric formats) */
    int n_sub;       /* 8 sub-blocks of 32 or 16 sub-blocks of 16 */
    float d, dmin;   /* super-block scale and min scale (dmin 0 when symmetric) */
} kq_block;

typedef void (*kq_decode_fn)(const void *block, kq_block *out);

/* Dequantize n values of a row of `type_size`-byte blocks through `decode`. */
void kquant_dequantize_ref(const void *src, float *dst, int64_t n, size_t type_size,
                           kq_decode_fn decode);

/* The reference dot of one decoded block with one Q8_K block:
 *     isum = sum_j sc[j] * sum_{i in j} q[i] * a.qs[i]            (int32, exact)
 *     msum = sum_j m[j] * (sum of a.bsums over sub-block j)        (int32, exact)
 *     return (d * a.d) * isum - (dmin * a.d) * msum                 (float) */
float kquant_block_dot_ref(const kq_block *w, const block_q8_K *a);

/* Row dot and tile product built on kquant_block_dot_ref: sum over blocks in
 * order, in float, starting from 0. mat_dot decodes each weight block once and
 * applies it to every column; each output follows vec_dot's exact sequence. */
void kquant_vec_dot_ref(int64_t n, float *out, const void *w, const void *a, size_t type_size,
                        kq_decode_fn decode);
void kquant_mat_dot_ref(int64_t n, int64_t nr, int64_t nc, float *out, int64_t ldo,
                        const void *w, size_t w_stride, const void *a, size_t a_stride,
                        size_t type_size, kq_decode_fn decode);

/* ---- Kernel prototypes --------------------------------------------------- */
/* Signatures are the kernels.h slots: vec_dot, mat_dot, quantize_row, dequantize_row. */
#define KQ_VEC_DOT_ARGS int64_t n, float *restrict out, const void *restrict w, \
                        const void *restrict a
#define KQ_MAT_DOT_ARGS int64_t n, int64_t nr, int64_t nc, float *restrict out, int64_t ldo, \
                        const void *restrict w, size_t w_stride, const void *restrict a,     \
                        size_t a_stride

/* Reference (kernels/ref/). */
void hearth_quantize_row_q8_k_ref(const float *restrict src, void *restrict dst, int64_t n);
void hearth_dequantize_row_q8_k_ref(const void *restrict src, float *restrict dst, int64_t n);
#define KQ_REF_DECLS(t)                                                                       \
    void hearth_quantize_row_##t##_ref(const float *restrict src, void *restrict dst,      \
                                       int64_t n);                                          \
    void hearth_dequantize_row_##t##_ref(const void *restrict src, float *restrict dst,    \
                                         int64_t n);                                        \
    void hearth_vec_dot_##t##_q8_k_ref(KQ_VEC_DOT_ARGS);                                    \
    void hearth_mat_dot_##t##_q8_k_ref(KQ_MAT_DOT_ARGS);
KQ_REF_DECLS(q2_k)
KQ_REF_DECLS(q3_k)
KQ_REF_DECLS(q4_k)
KQ_REF_DECLS(q5_k)
KQ_REF_DECLS(q6_k)
KQ_REF_DECLS(iq4_xs)
#undef KQ_REF_DECLS
/* Q4_K rows in the X4 layout (kernels/layout.h). */
void hearth_vec_dot_q4_k_x4_q8_k_ref(KQ_VEC_DOT_ARGS);
void hearth_mat_dot_q4_k_x4_q8_k_ref(KQ_MAT_DOT_ARGS);

/* SIMD tiers: vec_dot and mat_dot per weight type, plus the Q8_K quantizer. */
#define KQ_TIER_DECLS(t, isa)                                 \
    void hearth_vec_dot_##t##_q8_k_##isa(KQ_VEC_DOT_ARGS); \
    void hearth_mat_dot_##t##_q8_k_##isa(KQ_MAT_DOT_ARGS);
#define KQ_TIER_ALL(isa)                                                                 \
    KQ_TIER_DECLS(q2_k, isa)                                                             \
    KQ_TIER_DECLS(q3_k, isa)                                                             \
    KQ_TIER_DECLS(q4_k, isa)                                                             \
    KQ_TIER_DECLS(q5_k, isa)                                                             \
    KQ_TIER_DECLS(q6_k, isa)                                                             \
    KQ_TIER_DECLS(iq4_xs, isa)                                                           \
    void hearth_quantize_row_q8_k_##isa(const float *restrict src, void *restrict dst, \
                                        int64_t n);
KQ_TIER_ALL(avx2)
KQ_TIER_ALL(avx512)
KQ_TIER_ALL(avx512vnni)
KQ_TIER_ALL(neon)
KQ_TIER_ALL(neon_dotprod)
KQ_TIER_DECLS(q4_k_x4, avx512) /* Q4_K rows in the X4 layout */
KQ_TIER_DECLS(q4_k_x4, avx512vnni)
KQ_TIER_DECLS(q6_k, avx512vnni_gfni) /* the VNNI tier's Q6_K where the CPU has GFNI */
#undef KQ_TIER_ALL
#undef KQ_TIER_DECLS

#endif /* HEARTH_KQUANT_UTIL_H */
