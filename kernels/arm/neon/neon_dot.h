/* neon_dot.h - the block dot kernels of the two arm64 tiers, written once
 * and compiled twice: by kernels/arm/neon/ (int8 products with smull/smlal
 * and pairwise adds) and by kernels/arm/dotprod/ (sdot), which set NEON_TIER
 * and, for the latter, NEON_HAVE_DOTPROD before including this file.
 *
 * Per output the state is 4 float lanes of scale * isum (isum = 4 int32
 * partial sums of one 32-value block, exact) plus a scalar for offset terms
 * (m * s of Q4_1/Q5_1), reduced as vaddvq(acc) + off in vec_dot and in every
 * mat_dot tile alike, so mat_dot reproduces vec_dot's bits. mat_dot decodes a
 * weight block once and reuses it across a tile's columns.
 */
#ifndef HEARTH_KERNELS_NEON_DOT_H
#define HEARTH_KERNELS_NEON_DOT_H

#include <arm_neon.h>

#include "../../kernels.h"

#define HEARTH_INLINE static inline __attribute__((always_inline))
#define NEON_CAT3_(a, b, c) a##b##c
#define NEON_CAT3(a, b, c) NEON_CAT3_(a, b, c)
#define NTIERED(name) NEON_CAT3(name, _, NEON_TIER)

typedef struct {
    float32x4_t acc;
    float off;
} n_state;

HEARTH_INLINE float n_result(n_state s) {
    return vaddvq_f32(s.acc) + s.off;
}

HEARTH_INLINE float n_h2f(hearth_f16 h) {
    return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(h))), 0);
}

/* sum over 32 int8 pairs as 4 int32 lanes; |x|, |y| <= 128 with at most one
 * of them -128 (activations are within +-127), so the int16 pair sums of the
 * plain NEON form never overflow. */
HEARTH_INLINE int32x4_t n_dot32(int8x16_t x0, int8x16_t x1, int8x16_t y0, int8x16_t y1) {
#ifdef NEON_HAVE_DOTPROD
    return vdotq_s32(vdotq_s32(vdupq_n_s32(0), x0, y0), x1, y1);
#else
    int16x8_t p0 = vmull_s8(vget_low_s8(x0), vget_low_s8(y0));
    p0 = vmlal_s8(p0, vget_high_s8(x0), vget_high_s8(y0));
    int16x8_t p1 = vmull_s8(vget_low_s8(x1), vget_low_s8(y1));
    p1 = vmlal_s8(p1, vget_high_s8(x1), vget_high_s8(y1));
    return vpadalq_s16(vpaddlq_s16(p0), p1);
#endif
}

/* A decoded weight block: 32 int8 values (value order), scale, offset. */
typedef struct {
    int8x16_t x0, x1;
    float d, m;
} n_dec;

HEARTH_INLINE void n_unpack(const uint8_t *qs, uint8x16_t *lo, uint8x16_t *hi) {
    const uint8x16_t v = vld1q_u8(qs);
    *lo = vandq_u8(v, vdupq_n_u8(0x0f));
    *hi = vshrq_n_u8(v, 4);
}

/* 32 bits of qh -> two vectors of 0x10 where the bit is set (byte j <- bit j). */
HEARTH_INLINE void n_fifth_bits(const uint8_t *qh, uint8x16_t *h0, uint8x16_t *h1) {
    static const uint8_t bit_of[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    const uint8x16_t mask = vld1q_u8(bit_of);
    *h0 = vandq_u8(vtstq_u8(vcombine_u8(vdup_n_u8(qh[0]), vdup_n_u8(qh[1])), mask),
                   vdupq_n_u8(0x10));
    *h1 = vandq_u8(vtstq_u8(vcombine_u8(vdup_n_u8(qh[2]), vdup_n_u8(qh[3])), mask),
                   vdupq_n_u8(0x10));
}

HEARTH_INLINE n_dec q4_0_decode(const block_q4_0 *b) {
    uint8x16_t lo, hi;
    n_unpack(b->qs, &lo, &hi);
    const int8x16_t eight = vdupq_n_s8(8);
    return (n_dec){vsubq_s8(vreinterpretq_s8_u8(lo), eight), vsubq_s8(vreinterpretq_s8_u8(hi), eight),
                   n_h2f(b->d), 0.0f};
}

HEARTH_INLINE n_dec q4_1_decode(const block_q4_1 *b) {
    uint8x16_t lo, hi;
    n_unpack(b->qs, &lo, &hi);
    return (n_dec){vreinterpretq_s8_u8(lo), vreinterpretq_s8_u8(hi), n_h2f(b->d), n_h2f(b->m)};
}

HEARTH_INLINE n_dec q5_0_decode(const block_q5_0 *b) {
    uint8x16_t lo, hi, h0, h1;
    n_unpack(b->qs, &lo, &hi);
    n_fifth_bits(b->qh, &h0, &h1);
    const int8x16_t sixteen = vdupq_n_s8(16);
    return (n_dec){vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(lo, h0)), sixteen),
                   vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(hi, h1)), sixteen), n_h2f(b->d), 0.0f};
}

HEARTH_INLINE n_dec q5_1_decode(const block_q5_1 *b) {
    uint8x16_t lo, hi, h0, h1;
    n_unpack(b->qs, &lo, &hi);
    n_fifth_bits(b->qh, &h0, &h1);
    return (n_dec){vreinterpretq_s8_u8(vorrq_u8(lo, h0)), vreinterpretq_s8_u8(vorrq_u8(hi, h1)),
                   n_h2f(b->d), n_h2f(b->m)};
}

HEARTH_INLINE n_dec q8_0_decode(const block_q8_0 *b) {
    return (n_dec){vld1q_s8(b->qs), vld1q_s8(b->qs + 16), n_h2f(b->d), 0.0f};
}

HEARTH_INLINE n_dec iq4_nl_decode(const block_iq4_nl *b) {
    uint8x16_t lo, hi;
    n_unpack(b->qs, &lo, &hi);
    const int8x16_t table = vld1q_s8(hearth_kvalues_iq4nl);
    return (n_dec){vqtbl1q_s8(table, lo), vqtbl1q_s8(table, hi), n_h2f(b->d), 0.0f};
}

/* acc += (dw * da) * isum; Q8_0 activations (symmetric weight types). */
HEARTH_INLINE void n_step_q8_0(const n_dec *w, const block_q8_0 *a, n_state *st) {
    const int32x4_t isum = n_dot32(w->x0, w->x1, vld1q_s8(a->qs), vld1q_s8(a->qs + 16));
    st->acc = vfmaq_n_f32(st->acc, vcvtq_f32_s32(isum), w->d * n_h2f(a->d));
}

/* As above plus the offset term m * s (Q8_1 activations of Q4_1/Q5_1). */
HEARTH_INLINE void n_step_q8_1(const n_dec *w, const block_q8_1 *a, n_state *st) {
    const int32x4_t isum = n_dot32(w->x0, w->x1, vld1q_s8(a->qs), vld1q_s8(a->qs + 16));
    st->acc = vfmaq_n_f32(st->acc, vcvtq_f32_s32(isum), w->d * n_h2f(a->d));
    st->off += w->m * n_h2f(a->s);
}

/* vec_dot and mat_dot of one weight type. Tiles: 2 rows x 4 columns for
 * batches, 1 x C leftovers; single columns go row after row. */
#define HEARTH_NEON_DOT_KERNELS(VEC_DOT, MAT_DOT, WBLK, ABLK, QK, DECODE, STEP)            \
    void VEC_DOT(int64_t n, float *restrict out, const void *restrict w,                   \
                 const void *restrict a);                                                  \
    void MAT_DOT(int64_t n, int64_t nr, int64_t nc, float *restrict out, int64_t ldo,      \
                 const void *restrict w, size_t w_stride, const void *restrict a,          \
                 size_t a_stride);                                                         \
    HEARTH_INLINE void VEC_DOT##_tile(int64_t nb, int R, int C, float *restrict out,       \
                                      int64_t ldo, const char *w, size_t ws, const char *a, \
                                      size_t as) {                                         \
        n_state st[4][4];                                                                  \
        _Pragma("GCC unroll 4") for (int r = 0; r < R; r++)                                \
            _Pragma("GCC unroll 4") for (int c = 0; c < C; c++)                            \
                st[r][c] = (n_state){vdupq_n_f32(0.0f), 0.0f};                             \
        for (int64_t b = 0; b < nb; b++) {                                                 \
            _Pragma("GCC unroll 4") for (int r = 0; r < R; r++) {                          \
                const n_dec d = DECODE((const WBLK *)(w + (size_t)r * ws) + b);            \
                _Pragma("GCC unroll 4") for (int c = 0; c < C; c++)                        \
                    STEP(&d, (const ABLK *)(a + (size_t)c * as) + b, &st[r][c]);           \
            }                                                                              \
        }                                                                                  \
        _Pragma("GCC unroll 4") for (int r = 0; r < R; r++)                                \
            _Pragma("GCC unroll 4") for (int c = 0; c < C; c++)                            \
                out[c * ldo + r] = n_result(st[r][c]);                                     \
    }                                                                                      \
    void VEC_DOT(int64_t n, float *restrict out, const void *restrict w,                   \
                 const void *restrict a) {                                                 \
        VEC_DOT##_tile(n / (QK), 1, 1, out, 1, w, 0, a, 0);                                \
    }                                                                                      \
    void MAT_DOT(int64_t n, int64_t nr, int64_t nc, float *restrict out, int64_t ldo,      \
                 const void *restrict w, size_t w_stride, const void *restrict a,          \
                 size_t a_stride) {                                                        \
        const char *wc = w, *ac = a;                                                       \
        const int64_t nb = n / (QK);                                                       \
        int64_t c = 0;                                                                     \
        for (; c + 4 <= nc; c += 4) {                                                      \
            int64_t r = 0;                                                                 \
            for (; r + 2 <= nr; r += 2)                                                    \
                VEC_DOT##_tile(nb, 2, 4, out + c * ldo + r, ldo, wc + r * w_stride,        \
                               w_stride, ac + c * a_stride, a_stride);                     \
            for (; r < nr; r++)                                                            \
                VEC_DOT##_tile(nb, 1, 4, out + c * ldo + r, ldo, wc + r * w_stride,        \
                               w_stride, ac + c * a_stride, a_stride);                     \
        }                                                                                  \
        /* single columns (matvec): rows one after the other, so that the weights \
         * stream through memory as one sequential run the prefetchers follow     \
         * (interleaved rows measured slower); out-of-order execution overlaps the \
         * consecutive rows' independent accumulator chains */                    \
        for (; c < nc; c++) {                                                              \
            int64_t r = 0;                                                                 \
            for (; r < nr; r++)                                                            \
                VEC_DOT##_tile(nb, 1, 1, out + c * ldo + r, ldo, wc + r * w_stride,        \
                               w_stride, ac + c * a_stride, a_stride);                     \
        }                                                                                  \
    }

/* Expands the tier-suffixed names before they meet ## in the body. */
#define N_KERNELS(V, M, W, A, Q, D, S) HEARTH_NEON_DOT_KERNELS(V, M, W, A, Q, D, S)

N_KERNELS(NTIERED(hearth_vec_dot_q4_0_q8_0), NTIERED(hearth_mat_dot_q4_0_q8_0), block_q4_0,
          block_q8_0, QK4_0, q4_0_decode, n_step_q8_0)
N_KERNELS(NTIERED(hearth_vec_dot_q4_1_q8_1), NTIERED(hearth_mat_dot_q4_1_q8_1), block_q4_1,
          block_q8_1, QK4_1, q4_1_decode, n_step_q8_1)
N_KERNELS(NTIERED(hearth_vec_dot_q5_0_q8_0), NTIERED(hearth_mat_dot_q5_0_q8_0), block_q5_0,
          block_q8_0, QK5_0, q5_0_decode, n_step_q8_0)
N_KERNELS(NTIERED(hearth_vec_dot_q5_1_q8_1), NTIERED(hearth_mat_dot_q5_1_q8_1), block_q5_1,
          block_q8_1, QK5_1, q5_1_decode, n_step_q8_1)
N_KERNELS(NTIERED(hearth_vec_dot_q8_0_q8_0), NTIERED(hearth_mat_dot_q8_0_q8_0), block_q8_0,
          block_q8_0, QK8_0, q8_0_decode, n_step_q8_0)
N_KERNELS(NTIERED(hearth_vec_dot_iq4_nl_q8_0), NTIERED(hearth_mat_dot_iq4_nl_q8_0), block_iq4_nl,
          block_q8_0, QK4_NL, iq4_nl_decode, n_step_q8_0)

/* The tier's manifest entries for these types (called by its patch.c). */
void NTIERED(hearth_patch_dots)(hearth_kernels *k);
void NTIERED(hearth_patch_dots)(hearth_kernels *k) {
#define N_DOT(T, wt)                                                                       \
    k->vec_dot[T] = NTIERED(hearth_vec_dot_##wt);                                          \
    k->mat_dot[T] = NTIERED(hearth_mat_dot_##wt)
    N_DOT(HEARTH_TYPE_Q4_0, q4_0_q8_0);
    N_DOT(HEARTH_TYPE_Q4_1, q4_1_q8_1);
    N_DOT(HEARTH_TYPE_Q5_0, q5_0_q8_0);
    N_DOT(HEARTH_TYPE_Q5_1, q5_1_q8_1);
    N_DOT(HEARTH_TYPE_Q8_0, q8_0_q8_0);
    N_DOT(HEARTH_TYPE_IQ4_NL, iq4_nl_q8_0);
#undef N_DOT
}

#endif /* HEARTH_KERNELS_NEON_DOT_H */
