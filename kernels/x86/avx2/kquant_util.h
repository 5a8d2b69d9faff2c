/* kquant_util.h (AVX2) - helpers shared by the AVX2 K-quant kernels.
 *
 * The dot kernels keep, per activation column, 8 float lanes (and for the
 * formats with mins a second accumulator) and add each block's exact integer
 * lane sums with one FMA by d_w * d_a: a different summation order than the
 * reference, within STYLE §8. vec_dot and the mat_dot tile run the same
 * per-column sequence of float operations (same lanes, same order, same final
 * reduction), which is what makes mat_dot bit-identical to vec_dot.
 */
#ifndef HEARTH_KQUANT_AVX2_UTIL_H
#define HEARTH_KQUANT_AVX2_UTIL_H

#include <immintrin.h>

#include "../../ref/kquant_util.h" /* formats, prototypes */

/* Sum of the 8 float lanes in a fixed order (pairwise halves). */
static inline float kq_hsum_ps(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline float kq_hsum128_ps(__m128 s) {
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline float kq_half(hearth_f16 h) {
    return _cvtsh_ss(h);
}

/* Byte-shuffle controls broadcasting int16 lane j (0..7) of each 128-bit half. */
#define KQ_C4(v) v, v, v, v
#define KQ_C(j) {KQ_C4(0x0100 + 0x0202 * (j)), KQ_C4(0x0100 + 0x0202 * (j)), \
                 KQ_C4(0x0100 + 0x0202 * (j)), KQ_C4(0x0100 + 0x0202 * (j))}
static const int16_t kq_bcast16_ctl[8][16] __attribute__((aligned(32))) = {
    KQ_C(0), KQ_C(1), KQ_C(2), KQ_C(3), KQ_C(4), KQ_C(5), KQ_C(6), KQ_C(7),
};
#undef KQ_C
#undef KQ_C4

static inline __m256i kq_bcast16(__m256i v, int j) {
    return _mm256_shuffle_epi8(v, _mm256_load_si256((const __m256i *)kq_bcast16_ctl[j]));
}

/* Pointer to column c of a tile (Q8_K blocks). */
static inline const block_q8_K *kq_col(const void *a, size_t a_stride, int64_t c) {
    return (const block_q8_K *)((const char *)a + c * a_stride);
}

#endif /* HEARTH_KQUANT_AVX2_UTIL_H */
