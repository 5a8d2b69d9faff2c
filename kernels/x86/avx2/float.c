/* float.c - AVX2 kernels of the plain number types: F32 x F32, F16 x F16
 * and BF16 x BF16 row dots, F16 conversions of whole rows.
 *
 * Dots keep 4 x 8 lanes of FMA accumulators (32 values per iteration) to
 * hide FMA latency, combine them in a fixed order, then add the scalar tail
 * (n % 32 values, read one at a time so nothing past n is touched). mat_dot
 * is a loop over vec_dot: identical bits by construction; batched float
 * matmuls are the caller's BLAS path (CONVENTIONS §7).
 */
#include "avx2.h"

HEARTH_INLINE __m256 load_f16x8(const hearth_f16 *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

HEARTH_INLINE __m256 load_bf16x8(const hearth_bf16 *p) {
    const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
}

HEARTH_INLINE float combine(__m256 s0, __m256 s1, __m256 s2, __m256 s3) {
    return avx2_hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
}

#define FLOAT_DOT(NAME, T, LOAD, TO_F32)                                                   \
    void hearth_vec_dot_##NAME##_avx2(int64_t n, float *restrict out,                      \
                                      const void *restrict w, const void *restrict a) {    \
        const T *x = w, *y = a;                                                            \
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;                        \
        int64_t i = 0;                                                                     \
        for (; i + 32 <= n; i += 32) {                                                     \
            s0 = _mm256_fmadd_ps(LOAD(x + i), LOAD(y + i), s0);                            \
            s1 = _mm256_fmadd_ps(LOAD(x + i + 8), LOAD(y + i + 8), s1);                    \
            s2 = _mm256_fmadd_ps(LOAD(x + i + 16), LOAD(y + i + 16), s2);                  \
            s3 = _mm256_fmadd_ps(LOAD(x + i + 24), LOAD(y + i + 24), s3);                  \
        }                                                                                  \
        float tail = 0.0f;                                                                 \
        for (; i < n; i++)                                                                 \
            tail += TO_F32(x[i]) * TO_F32(y[i]);                                           \
        *out = combine(s0, s1, s2, s3) + tail;                                             \
    }                                                                                      \
    void hearth_mat_dot_##NAME##_avx2(int64_t n, int64_t nr, int64_t nc,                   \
                                      float *restrict out, int64_t ldo,                    \
                                      const void *restrict w, size_t w_stride,             \
                                      const void *restrict a, size_t a_stride) {           \
        for (int64_t c = 0; c < nc; c++)                                                   \
            for (int64_t r = 0; r < nr; r++)                                               \
                hearth_vec_dot_##NAME##_avx2(n, &out[c * ldo + r],                         \
                                             (const char *)w + (size_t)r * w_stride,       \
                                             (const char *)a + (size_t)c * a_stride);      \
    }

#define F32_ID(v) (v)
FLOAT_DOT(f32_f32, float, _mm256_loadu_ps, F32_ID)
FLOAT_DOT(f16_f16, hearth_f16, load_f16x8, avx2_h2f)
FLOAT_DOT(bf16_bf16, hearth_bf16, load_bf16x8, hearth_bf16_to_f32)

/* dst = f16(src), round to nearest even (F16C with an explicit mode). */
void hearth_quantize_row_f16_avx2(const float *restrict src, void *restrict dst, int64_t n) {
    hearth_f16 *d = dst;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(d + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(src + i),
                                         _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    for (; i < n; i++)
        d[i] = _cvtss_sh(src[i], _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

/* dst = float(src), exact. */
void hearth_dequantize_row_f16_avx2(const void *restrict src, float *restrict dst, int64_t n) {
    const hearth_f16 *s = src;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, load_f16x8(s + i));
    for (; i < n; i++)
        dst[i] = avx2_h2f(s[i]);
}
