/* ops.c - AVX2 element operations: RMSNorm, add, dot products and axpy over
 * F32/F16 rows. Softmax (vector exp) lives with the attention tiles in
 * attn.c; SiLU keeps the reference (libm exp).
 *
 * Element-wise results round exactly like the reference (separate multiply
 * and add, no FMA), so add/axpy are bit-identical; reductions use 4 x 8
 * lanes then a fixed combine, then a scalar tail of n % 32 values.
 */
#include <math.h> /* sqrtf */

#include "avx2.h"

/* sum of a[i] * b[i] with b converted by LOAD; scalar tail reads one at a time. */
#define DOT_BODY(LOAD_A, LOAD_B, TO_F32_A)                                                 \
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;                            \
    int64_t i = 0;                                                                         \
    for (; i + 32 <= n; i += 32) {                                                         \
        s0 = _mm256_fmadd_ps(LOAD_A(a + i), LOAD_B(b + i), s0);                            \
        s1 = _mm256_fmadd_ps(LOAD_A(a + i + 8), LOAD_B(b + i + 8), s1);                    \
        s2 = _mm256_fmadd_ps(LOAD_A(a + i + 16), LOAD_B(b + i + 16), s2);                  \
        s3 = _mm256_fmadd_ps(LOAD_A(a + i + 24), LOAD_B(b + i + 24), s3);                  \
    }                                                                                      \
    float tail = 0.0f;                                                                     \
    for (; i < n; i++)                                                                     \
        tail += TO_F32_A(a[i]) * b[i];                                                     \
    return avx2_hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3))) + tail;

HEARTH_INLINE __m256 load_f16x8(const hearth_f16 *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

#define F32_ID(v) (v)

float hearth_dot_f32_avx2(const float *restrict a, const float *restrict b, int64_t n) {
    DOT_BODY(_mm256_loadu_ps, _mm256_loadu_ps, F32_ID)
}

float hearth_dot_f16_f32_avx2(const hearth_f16 *restrict k, const float *restrict q,
                              int64_t n) {
    const hearth_f16 *a = k;
    const float *b = q;
    DOT_BODY(load_f16x8, _mm256_loadu_ps, avx2_h2f)
}

/* out = x * scale * w with the reference's scale formula; sum of squares
 * reordered (8 lanes x 4, fixed combine). out may alias x: each element is
 * read before it is written. */
void hearth_rmsnorm_f32_avx2(float *out, const float *x, const float *restrict w, int64_t n,
                             float eps) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
        const __m256 c = _mm256_loadu_ps(x + i + 16), d = _mm256_loadu_ps(x + i + 24);
        s0 = _mm256_fmadd_ps(a, a, s0);
        s1 = _mm256_fmadd_ps(b, b, s1);
        s2 = _mm256_fmadd_ps(c, c, s2);
        s3 = _mm256_fmadd_ps(d, d, s3);
    }
    float tail = 0.0f;
    for (; i < n; i++)
        tail += x[i] * x[i];
    const float ss = avx2_hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3))) + tail;
    const float scale = 1.0f / sqrtf(ss / (float)n + eps);
    const __m256 vs = _mm256_set1_ps(scale);
    for (i = 0; i + 8 <= n; i += 8)
        _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), vs),
                                                _mm256_loadu_ps(w + i)));
    for (; i < n; i++)
        out[i] = x[i] * scale * w[i];
}

void hearth_add_f32_avx2(float *out, const float *a, const float *restrict b, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(out + i, _mm256_add_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
    for (; i < n; i++)
        out[i] = a[i] + b[i];
}

void hearth_axpy_f32_avx2(float *restrict out, float a, const float *restrict v, int64_t n) {
    const __m256 va = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 t = _mm256_mul_ps(va, _mm256_loadu_ps(v + i));
        _mm256_storeu_ps(out + i, _mm256_add_ps(_mm256_loadu_ps(out + i), t));
    }
    for (; i < n; i++) {
        const float t = a * v[i];
        out[i] += t;
    }
}

void hearth_axpy_f16_avx2(float *restrict out, float a, const hearth_f16 *restrict v, int64_t n) {
    const __m256 va = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 t = _mm256_mul_ps(va, load_f16x8(v + i));
        _mm256_storeu_ps(out + i, _mm256_add_ps(_mm256_loadu_ps(out + i), t));
    }
    for (; i < n; i++) {
        const float t = a * avx2_h2f(v[i]);
        out[i] += t;
    }
}
