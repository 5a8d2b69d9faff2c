/* ops.c - AVX-512 element operations with a vector exp: softmax (attention
 * rows) and the SiLU-gated product of the feed-forward block.
 *
 * exp_nonpos is the AVX2 tier's avx2_exp_nonpos on 16 lanes (same reduction,
 * polynomial and flush below FLT_MIN, so the same error bound). Sums keep 16
 * lanes and reduce in a fixed order; ragged tails go through lane masks.
 */
#include <math.h> /* INFINITY */

#include "../avx2/avx2.h"

void hearth_softmax_f32_avx512(float *x, int64_t n);
void hearth_silu_mul_f32_avx512(float *out, const float *gate, const float *restrict up,
                                int64_t n);

HEARTH_INLINE __mmask16 lane_mask(int64_t n) { /* lanes 0..n-1, n in 0..15 */
    return (__mmask16)((1u << n) - 1u);
}

/* ---- exp, softmax ----------------------------------------------------------- */

/* avx2_exp_nonpos on 16 lanes (same reduction, polynomial and flush). */
HEARTH_INLINE __m512 exp_nonpos(__m512 x) {
    const __m512 lo = _mm512_set1_ps(-87.33654475f);
    const __mmask16 ok = _mm512_cmp_ps_mask(x, lo, _CMP_GE_OQ);
    x = _mm512_max_ps(x, lo);
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504089f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187e-6f), r);
    __m512 p = _mm512_set1_ps(1.0f / 720.0f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    const __m512i e = _mm512_slli_epi32(
        _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
    return _mm512_maskz_mul_ps(ok, p, _mm512_castsi512_ps(e));
}

/* max, then e = exp(x - max) summed in 16 lanes and reduced in a fixed order,
 * then x / sum; the ragged tail through a lane mask (dead lanes add 0). The
 * sum order depends on n only. */
void hearth_softmax_f32_avx512(float *x, int64_t n) {
    if (n <= 0)
        return;
    const int64_t n16 = n / 16 * 16;
    const __mmask16 tail = lane_mask(n - n16);
    __m512 vmax = _mm512_set1_ps(-INFINITY);
    for (int64_t i = 0; i < n16; i += 16)
        vmax = _mm512_max_ps(vmax, _mm512_loadu_ps(x + i));
    vmax = _mm512_mask_max_ps(vmax, tail, vmax, _mm512_maskz_loadu_ps(tail, x + n16));
    const __m512 mx = _mm512_set1_ps(_mm512_reduce_max_ps(vmax));

    __m512 vsum = _mm512_setzero_ps();
    for (int64_t i = 0; i < n16; i += 16) {
        const __m512 e = exp_nonpos(_mm512_sub_ps(_mm512_loadu_ps(x + i), mx));
        _mm512_storeu_ps(x + i, e);
        vsum = _mm512_add_ps(vsum, e);
    }
    if (tail) {
        const __m512 e = _mm512_maskz_mov_ps(
            tail, exp_nonpos(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, x + n16), mx)));
        _mm512_mask_storeu_ps(x + n16, tail, e);
        vsum = _mm512_add_ps(vsum, e);
    }
    const __m512 sum = _mm512_set1_ps(_mm512_reduce_add_ps(vsum));
    for (int64_t i = 0; i < n16; i += 16)
        _mm512_storeu_ps(x + i, _mm512_div_ps(_mm512_loadu_ps(x + i), sum));
    if (tail)
        _mm512_mask_storeu_ps(x + n16, tail,
                              _mm512_div_ps(_mm512_maskz_loadu_ps(tail, x + n16), sum));
}

/* ---- SiLU ------------------------------------------------------------------- */

/* out = g / (1 + exp(-g)) * up, written with t = exp(-|g|) <= 1 so that exp
 * never overflows: g / (1 + t) for g >= 0, g * t / (1 + t) below. Element-
 * wise, so any lane split gives the same bits. out may alias gate. */
HEARTH_INLINE __m512 silu_mul16(__m512 g, __m512 u) {
    const __m512 t = exp_nonpos(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_abs_ps(g)));
    const __mmask16 neg = _mm512_cmp_ps_mask(g, _mm512_setzero_ps(), _CMP_LT_OQ);
    const __m512 num = _mm512_mask_mul_ps(g, neg, g, t);
    return _mm512_mul_ps(_mm512_div_ps(num, _mm512_add_ps(_mm512_set1_ps(1.0f), t)), u);
}

void hearth_silu_mul_f32_avx512(float *out, const float *gate, const float *restrict up,
                                int64_t n) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(out + i, silu_mul16(_mm512_loadu_ps(gate + i), _mm512_loadu_ps(up + i)));
    if (i < n) {
        const __mmask16 m = lane_mask(n - i);
        _mm512_mask_storeu_ps(out + i, m, silu_mul16(_mm512_maskz_loadu_ps(m, gate + i),
                                                      _mm512_maskz_loadu_ps(m, up + i)));
    }
}
