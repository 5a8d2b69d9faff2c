/* avx2.h - helpers and kernel declarations of the AVX2 tier (AVX2 + FMA +
 * F16C). Included only by files compiled with the tier's -m flags (and by
 * the AVX-512 tiers, which build on it).
 *
 * The dot kernels of every block type share one shape, made by
 * HEARTH_AVX2_DOT_KERNELS: a per-output state (an 8-lane float accumulator
 * plus a scalar for offset terms) advanced block by block by the type's
 * `step`, and reduced at the end by the same code in vec_dot and mat_dot, so
 * that mat_dot's outputs are vec_dot's bits. mat_dot decodes each weight
 * block once per tile and reuses it across the tile's columns.
 */
#ifndef HEARTH_KERNELS_AVX2_H
#define HEARTH_KERNELS_AVX2_H

#include <immintrin.h>

#include "../../kernels.h"

#define HEARTH_INLINE static inline __attribute__((always_inline))

typedef struct {
    __m256 acc; /* 8 partial sums of scale * isum */
    float off;  /* sum of the blocks' offset terms (m * s), 0 for symmetric types */
} avx2_dot_state;

HEARTH_INLINE float avx2_hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

HEARTH_INLINE float avx2_state_result(avx2_dot_state st) {
    return avx2_hsum(st.acc) + st.off;
}

HEARTH_INLINE float avx2_h2f(hearth_f16 h) {
    return _cvtsh_ss(h);
}

/* int8 x int8 -> 8 lanes of int32 pair sums, via |x| * sign(y, x) (maddubs
 * needs an unsigned left operand). ax = |x| precomputed by the caller.
 * No saturation: |y| <= 127 for activations from our quantizers. */
HEARTH_INLINE __m256i avx2_dot_i8(__m256i ax, __m256i x, __m256i y) {
    const __m256i p16 = _mm256_maddubs_epi16(ax, _mm256_sign_epi8(y, x));
    return _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
}

/* u8 (< 32) x int8 -> 8 lanes of int32 pair sums. */
HEARTH_INLINE __m256i avx2_dot_u8(__m256i ux, __m256i y) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(ux, y), _mm256_set1_epi16(1));
}

/* 16 bytes of packed nibbles -> 32 bytes: low nibbles (values 0..15) then
 * high nibbles (values 16..31), the GGUF order of Q4_0/Q4_1/IQ4_NL. */
HEARTH_INLINE __m256i avx2_unpack_nibbles(const uint8_t *qs) {
    const __m128i v = _mm_loadu_si128((const __m128i *)qs);
    const __m256i both = _mm256_set_m128i(_mm_srli_epi16(v, 4), v);
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0f));
}

/* 32 bits -> 32 bytes, 0xff where the bit is set (byte j <- bit j). */
HEARTH_INLINE __m256i avx2_bits_to_bytes(const uint8_t *qh) {
    uint32_t bits = (uint32_t)qh[0] | (uint32_t)qh[1] << 8 | (uint32_t)qh[2] << 16 |
                    (uint32_t)qh[3] << 24;
    const __m256i shuf = _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202,
                                           0x0101010101010101, 0x0000000000000000);
    __m256i b = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits), shuf);
    const __m256i mask = _mm256_set1_epi64x((long long)0x7fbfdfeff7fbfdfe);
    b = _mm256_or_si256(b, mask);
    return _mm256_cmpeq_epi8(b, _mm256_set1_epi64x(-1));
}

/* Q8 activation quantizer core, rounding like roundf (half away from zero):
 * r = trunc(v) + (|v - trunc(v)| >= 0.5 ? sign(v) : 0); v - trunc(v) is exact. */
HEARTH_INLINE __m256i avx2_round_away(__m256 v) {
    const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256 sign = _mm256_and_ps(v, _mm256_set1_ps(-0.0f));
    const __m256 frac = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), _mm256_sub_ps(v, t));
    const __m256 up = _mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ);
    const __m256 one = _mm256_or_ps(_mm256_set1_ps(1.0f), sign);
    return _mm256_cvtps_epi32(_mm256_add_ps(t, _mm256_and_ps(up, one)));
}

/* exp(x) for x <= 0 (softmax after the max shift), 8 lanes: x = n ln2 + r
 * with |r| <= ln2 / 2 (ln2 split in two for an exact reduction), exp(r) by
 * its degree-6 Taylor polynomial (truncation r^7/7! < 1.2e-7 relative), then
 * times 2^n built in the exponent bits. Max rel err 2.3e-7 (measured on
 * every float in [-87.33, 0]; kernels.h declares 4e-6 for softmax). Below ln(FLT_MIN) = -87.34 the
 * result would be subnormal: it is 0 instead (absolute error < FLT_MIN). */
HEARTH_INLINE __m256 avx2_exp_nonpos(__m256 x) {
    const __m256 lo = _mm256_set1_ps(-87.33654475f);
    const __m256 under = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
    x = _mm256_max_ps(x, lo);
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504089f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187e-6f), r);
    __m256 p = _mm256_set1_ps(1.0f / 720.0f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    const __m256i e = _mm256_slli_epi32(
        _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_andnot_ps(under, _mm256_mul_ps(p, _mm256_castsi256_ps(e)));
}

/* Generates vec_dot and mat_dot for one weight type. Needs, in scope:
 *   WDEC             a struct type holding a decoded weight block
 *   decode(const WBLK *)                          -> WDEC
 *   step(const WDEC *, const ABLK *, avx2_dot_state *)  advances one output
 * Tiles: 2 rows x 4 columns (8 states) for batches; single columns go row
 * after row (one sequential stream through the weights). */
#define HEARTH_AVX2_DOT_KERNELS(VEC_DOT, MAT_DOT, WBLK, ABLK, QK)                          \
    void VEC_DOT(int64_t n, float *restrict out, const void *restrict w,                   \
                 const void *restrict a) {                                                 \
        const WBLK *x = w;                                                                 \
        const ABLK *y = a;                                                                 \
        avx2_dot_state st = {_mm256_setzero_ps(), 0.0f};                                  \
        for (int64_t b = 0; b < n / (QK); b++) {                                           \
            const WDEC d = decode(&x[b]);                                                  \
            step(&d, &y[b], &st);                                                          \
        }                                                                                  \
        *out = avx2_state_result(st);                                                      \
    }                                                                                      \
    HEARTH_INLINE void VEC_DOT##_tile(int64_t nb, int R, int C, float *restrict out,       \
                                      int64_t ldo, const char *w, size_t ws, const char *a, \
                                      size_t as) {                                         \
        __m256 acc[4][4];                                                                  \
        float off[4][4];                                                                   \
        _Pragma("GCC unroll 4") for (int r = 0; r < R; r++)                                \
            _Pragma("GCC unroll 4") for (int c = 0; c < C; c++) {                          \
                acc[r][c] = _mm256_setzero_ps();                                           \
                off[r][c] = 0.0f;                                                          \
            }                                                                              \
        for (int64_t b = 0; b < nb; b++) {                                                 \
            _Pragma("GCC unroll 4") for (int r = 0; r < R; r++) {                          \
                const WDEC d = decode((const WBLK *)(w + (size_t)r * ws) + b);             \
                _Pragma("GCC unroll 4") for (int c = 0; c < C; c++) {                      \
                    avx2_dot_state st = {acc[r][c], off[r][c]};                            \
                    step(&d, (const ABLK *)(a + (size_t)c * as) + b, &st);                 \
                    acc[r][c] = st.acc;                                                    \
                    off[r][c] = st.off;                                                    \
                }                                                                          \
            }                                                                              \
        }                                                                                  \
        _Pragma("GCC unroll 4") for (int r = 0; r < R; r++)                                \
            _Pragma("GCC unroll 4") for (int c = 0; c < C; c++)                            \
                out[c * ldo + r] = avx2_state_result((avx2_dot_state){acc[r][c], off[r][c]}); \
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

/* ---- Kernels of this tier (used by its patch.c and by the AVX-512 tiers) -- */
#define HEARTH_AVX2_DECLARE_DOT(wt)                                                        \
    void hearth_vec_dot_##wt##_avx2(int64_t n, float *restrict out, const void *restrict w, \
                                    const void *restrict a);                              \
    void hearth_mat_dot_##wt##_avx2(int64_t n, int64_t nr, int64_t nc, float *restrict out, \
                                    int64_t ldo, const void *restrict w, size_t w_stride,  \
                                    const void *restrict a, size_t a_stride)
HEARTH_AVX2_DECLARE_DOT(q4_0_q8_0);
HEARTH_AVX2_DECLARE_DOT(q4_1_q8_1);
HEARTH_AVX2_DECLARE_DOT(q5_0_q8_0);
HEARTH_AVX2_DECLARE_DOT(q5_1_q8_1);
HEARTH_AVX2_DECLARE_DOT(q8_0_q8_0);
HEARTH_AVX2_DECLARE_DOT(iq4_nl_q8_0);
HEARTH_AVX2_DECLARE_DOT(f32_f32);
HEARTH_AVX2_DECLARE_DOT(f16_f16);
HEARTH_AVX2_DECLARE_DOT(bf16_bf16);

void hearth_quantize_row_q8_0_avx2(const float *restrict src, void *restrict dst, int64_t n);
void hearth_quantize_row_q8_1_avx2(const float *restrict src, void *restrict dst, int64_t n);
void hearth_quantize_act_q8_0_avx2(const float *restrict src, void *restrict dst, int64_t n);
void hearth_quantize_act_q8_1_avx2(const float *restrict src, void *restrict dst, int64_t n);
void hearth_quantize_row_f16_avx2(const float *restrict src, void *restrict dst, int64_t n);
void hearth_dequantize_row_f16_avx2(const void *restrict src, float *restrict dst, int64_t n);
void hearth_dequantize_row_q4_0_avx2(const void *restrict src, float *restrict dst, int64_t n);
void hearth_dequantize_row_q8_0_avx2(const void *restrict src, float *restrict dst, int64_t n);

void hearth_rmsnorm_f32_avx2(float *out, const float *x, const float *restrict w, int64_t n,
                             float eps);
void hearth_add_f32_avx2(float *out, const float *a, const float *restrict b, int64_t n);
float hearth_dot_f32_avx2(const float *restrict a, const float *restrict b, int64_t n);
float hearth_dot_f16_f32_avx2(const hearth_f16 *restrict k, const float *restrict q, int64_t n);
void hearth_axpy_f32_avx2(float *restrict out, float a, const float *restrict v, int64_t n);
void hearth_axpy_f16_avx2(float *restrict out, float a, const hearth_f16 *restrict v, int64_t n);
void hearth_softmax_f32_avx2(float *x, int64_t n);
void hearth_silu_mul_f32_avx2(float *out, const float *gate, const float *restrict up,
                              int64_t n);
void hearth_gemm_f32_avx2(int64_t m, int64_t n, int64_t k, const float *restrict a, int64_t lda,
                          const float *restrict b, int64_t ldb, float *restrict c, int64_t ldc,
                          bool accumulate);
void hearth_transpose_f16_f32_avx2(float *restrict dst, int64_t ldd,
                                   const hearth_f16 *restrict src, size_t src_stride,
                                   int64_t n_rows, int64_t n_cols);
void hearth_transpose_f32_avx2(float *restrict dst, int64_t ldd, const float *restrict src,
                               size_t src_stride, int64_t n_rows, int64_t n_cols);

#endif /* HEARTH_KERNELS_AVX2_H */
