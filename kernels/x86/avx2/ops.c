/* ops.c - AVX2 element operations: RMSNorm, add, SiLU-gated product (vector
 * exp), dot products and axpy over F32/F16 rows. Softmax lives with the
 * attention tiles in attn.c.
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

/* out = g / (1 + exp(-g)) * up, written with t = exp(-|g|) <= 1 so that exp
 * never overflows: g / (1 + t) for g >= 0, g * t / (1 + t) below. Element-
 * wise (any lane split gives the same bits); the tail through lane masks.
 * out may alias gate: each element is read before it is written. */
HEARTH_INLINE __m256 silu_mul8(__m256 g, __m256 u) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256 t = avx2_exp_nonpos(_mm256_or_ps(g, sign)); /* -|g| */
    const __m256 neg = _mm256_cmp_ps(g, _mm256_setzero_ps(), _CMP_LT_OQ);
    const __m256 num = _mm256_blendv_ps(g, _mm256_mul_ps(g, t), neg);
    return _mm256_mul_ps(_mm256_div_ps(num, _mm256_add_ps(_mm256_set1_ps(1.0f), t)), u);
}

void hearth_silu_mul_f32_avx2(float *out, const float *gate, const float *restrict up,
                              int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(out + i, silu_mul8(_mm256_loadu_ps(gate + i), _mm256_loadu_ps(up + i)));
    if (i < n) {
        const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n - i)),
                                             _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        _mm256_maskstore_ps(out + i, m, silu_mul8(_mm256_maskload_ps(gate + i, m),
                                                  _mm256_maskload_ps(up + i, m)));
    }
}
