/* kquant_util.h (AVX2) - helpers shared by the AVX2 K-quant kernels.
 *
 * Every K-quant dot product here computes each block's integer sums exactly
 * (isum: scaled level x activation products, msum: mins x bsums), reduces them
 * to scalars, and finishes with the reference's float epilogue
 * (kq_block_epilogue), so results are bit-identical to kernels/ref and to
 * themselves whatever the column grouping. The 4-column forms do the same
 * IEEE operations lane-wise, which is why they agree bit for bit too.
 */
#ifndef HEARTH_KQUANT_AVX2_UTIL_H
#define HEARTH_KQUANT_AVX2_UTIL_H

#include <immintrin.h>

#include "../../ref/kquant_util.h" /* formats, epilogue, prototypes */

/* Sum of the 8 int32 lanes of v. */
static inline int32_t kq_hsum_epi32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

static inline int32_t kq_hsum128_epi32(__m128i s) {
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

/* Lane k of the result = sum of the lanes of v[k] (k < 4); exact integers. */
static inline __m128i kq_reduce4_epi32(__m256i v0, __m256i v1, __m256i v2, __m256i v3) {
    __m256i h01 = _mm256_hadd_epi32(v0, v1); /* per 128-bit half: v0 pairs, v1 pairs */
    __m256i h23 = _mm256_hadd_epi32(v2, v3);
    __m256i h = _mm256_hadd_epi32(h01, h23); /* per half: partial sums of v0..v3 */
    return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

static inline __m128i kq_reduce4_128_epi32(__m128i v0, __m128i v1, __m128i v2, __m128i v3) {
    return _mm_hadd_epi32(_mm_hadd_epi32(v0, v1), _mm_hadd_epi32(v2, v3));
}

/* kq_block_epilogue for 4 columns at once (lane k = column k). */
static inline __m128 kq_epilogue4(__m128 sum, float d, float dmin, __m128 ad, __m128i isum,
                                  __m128i msum) {
    __m128 a = _mm_mul_ps(_mm_mul_ps(_mm_set1_ps(d), ad), _mm_cvtepi32_ps(isum));
    __m128 b = _mm_mul_ps(_mm_mul_ps(_mm_set1_ps(dmin), ad), _mm_cvtepi32_ps(msum));
    return _mm_add_ps(sum, _mm_sub_ps(a, b));
}

/* Stores lane k of v to out[k * ldo]. */
static inline void kq_store4(float *out, int64_t ldo, __m128 v) {
    float t[4];
    _mm_storeu_ps(t, v);
    for (int k = 0; k < 4; k++)
        out[k * ldo] = t[k];
}

/* Byte-shuffle control that broadcasts int16 lane `j` (0..7) of each 128-bit half. */
static inline __m256i kq_bcast16_ctl(int j) {
    return _mm256_set1_epi16((short)(0x0100 + 0x0202 * j));
}

static inline float kq_half(hearth_f16 h) {
    return _cvtsh_ss(h);
}

#endif /* HEARTH_KQUANT_AVX2_UTIL_H */
