/* q8_k.c (AVX2) - float -> Q8_K activation quantizer, bit-identical to the reference.
 *
 * Same float operations as hearth_quantize_row_q8_k_ref: iscale = -127 / max
 * (one scalar division), v = iscale * x (one rounding), then cvtps (round half
 * to even in the default MXCSR mode, like nearbyintf), saturating packs for the
 * clamp to int8. bsums come from sad_epu8 on the biased bytes.
 */
#include "kquant_util.h"

/* The value of largest magnitude, the first one when +v and -v tie (as the
 * reference's strict '>' scan picks). */
static float signed_absmax(const float *x) {
    __m256 vmax = _mm256_loadu_ps(x), vmin = vmax;
    for (int i = 8; i < QK_K; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        vmax = _mm256_max_ps(vmax, v);
        vmin = _mm256_min_ps(vmin, v);
    }
    __m128 hi = _mm_max_ps(_mm256_castps256_ps128(vmax), _mm256_extractf128_ps(vmax, 1));
    __m128 lo = _mm_min_ps(_mm256_castps256_ps128(vmin), _mm256_extractf128_ps(vmin, 1));
    hi = _mm_max_ps(hi, _mm_movehl_ps(hi, hi));
    lo = _mm_min_ps(lo, _mm_movehl_ps(lo, lo));
    hi = _mm_max_ss(hi, _mm_shuffle_ps(hi, hi, 1));
    lo = _mm_min_ss(lo, _mm_shuffle_ps(lo, lo, 1));
    float top = _mm_cvtss_f32(hi), bottom = _mm_cvtss_f32(lo);
    if (top > -bottom)
        return top;
    if (-bottom > top)
        return bottom;
    for (int i = 0; i < QK_K; i++) /* a tie: the first of the two in row order */
        if (x[i] == top || x[i] == bottom)
            return x[i];
    return 0;
}

void hearth_quantize_row_q8_k_avx2(const float *restrict src, void *restrict dst, int64_t n) {
    block_q8_K *y = dst;
    const __m256i perm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    const __m256i bias = _mm256_set1_epi8((char)0x80);
    for (int64_t ib = 0; ib < n / QK_K; ib++, src += QK_K) {
        float max = signed_absmax(src);
        if (max == 0) {
            memset(&y[ib], 0, sizeof y[ib]);
            continue;
        }
        float iscale = -127.f / max;
        __m256 vs = _mm256_set1_ps(iscale);
        for (int i = 0; i < QK_K; i += 32) {
            __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(vs, _mm256_loadu_ps(src + i)));
            __m256i i1 = _mm256_cvtps_epi32(_mm256_mul_ps(vs, _mm256_loadu_ps(src + i + 8)));
            __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(vs, _mm256_loadu_ps(src + i + 16)));
            __m256i i3 = _mm256_cvtps_epi32(_mm256_mul_ps(vs, _mm256_loadu_ps(src + i + 24)));
            /* packs interleave the 128-bit halves; perm restores row order */
            __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
            p = _mm256_permutevar8x32_epi32(p, perm);
            _mm256_storeu_si256((__m256i *)(y[ib].qs + i), p);
            /* sad of (q + 128) against 0: four sums of 8 bytes, each biased by 1024 */
            __m256i s = _mm256_sad_epu8(_mm256_xor_si256(p, bias), _mm256_setzero_si256());
            int64_t t[4];
            _mm256_storeu_si256((__m256i *)t, s);
            y[ib].bsums[i / 16] = (int16_t)(t[0] + t[1] - 2048);
            y[ib].bsums[i / 16 + 1] = (int16_t)(t[2] + t[3] - 2048);
        }
        y[ib].d = 1 / iscale;
    }
}
