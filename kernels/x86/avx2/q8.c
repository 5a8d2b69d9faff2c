/* q8.c - AVX2 Q8_0 x Q8_0 dot product, Q8_0 dequantization, and the Q8_0 /
 * Q8_1 quantizers of both slots.
 *
 * The quantizers are bit-identical to their reference slots: the same scalar
 * d = amax / 127, the same float products x * id, and
 * - quantize_row: id = 1 / d and roundf's half-away-from-zero rounding
 *   (avx2_round_away);
 * - quantize_act: id = 127 / amax and round half to even (vroundps nearest),
 *   llama.cpp's x86 activation rounding.
 */
#include "avx2.h"

typedef struct {
    __m256i x, ax;
    float d;
} q8_0_dec;

HEARTH_INLINE q8_0_dec q8_0_decode(const block_q8_0 *b) {
    const __m256i x = _mm256_loadu_si256((const __m256i *)b->qs);
    return (q8_0_dec){x, _mm256_sign_epi8(x, x), avx2_h2f(b->d)};
}

HEARTH_INLINE void q8_0_step(const q8_0_dec *w, const block_q8_0 *a, avx2_dot_state *st) {
    const __m256i y = _mm256_loadu_si256((const __m256i *)a->qs);
    const __m256 isum = _mm256_cvtepi32_ps(avx2_dot_i8(w->ax, w->x, y));
    st->acc = _mm256_fmadd_ps(_mm256_set1_ps(w->d * avx2_h2f(a->d)), isum, st->acc);
}

#define WDEC q8_0_dec
#define decode q8_0_decode
#define step q8_0_step
HEARTH_AVX2_DOT_KERNELS(hearth_vec_dot_q8_0_q8_0_avx2, hearth_mat_dot_q8_0_q8_0_avx2, block_q8_0,
                        block_q8_0, QK8_0)
#undef WDEC
#undef decode
#undef step

/* One block of 32 floats -> 32 int8 (in value order), returns d; *sum gets
 * the sum of the codes (for Q8_1). `act`: the activation rounding. */
HEARTH_INLINE float quantize_block(const float *x, int8_t *qs, int *sum, bool act) {
    __m256 v[4];
    __m256 amax = _mm256_setzero_ps();
    for (int g = 0; g < 4; g++) {
        v[g] = _mm256_loadu_ps(x + 8 * g);
        amax = _mm256_max_ps(amax, _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v[g]));
    }
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(amax), _mm256_extractf128_ps(amax, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    const float amax_s = _mm_cvtss_f32(m);
    const float d = amax_s / 127;
    float id;
    if (act)
        id = amax_s != 0.0f ? 127 / amax_s : 0.0f;
    else
        id = d != 0.0f ? 1.0f / d : 0.0f;
    const __m256 vid = _mm256_set1_ps(id);
    __m256i q[4];
    for (int g = 0; g < 4; g++) {
        const __m256 t = _mm256_mul_ps(v[g], vid);
        /* an integral float converts exactly */
        q[g] = act ? _mm256_cvtps_epi32(
                         _mm256_round_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC))
                   : avx2_round_away(t);
    }
    /* |q| <= 127: the saturating packs are exact; packs interleave 128-bit
     * lanes, the final permute restores value order */
    const __m256i p01 = _mm256_packs_epi32(q[0], q[1]), p23 = _mm256_packs_epi32(q[2], q[3]);
    __m256i p = _mm256_packs_epi16(p01, p23);
    p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256((__m256i *)qs, p);
    if (sum) {
        const __m256i s = _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]),
                                           _mm256_add_epi32(q[2], q[3]));
        __m128i t = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
        t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4e));
        t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xb1));
        *sum = _mm_cvtsi128_si32(t);
    }
    return d;
}

HEARTH_INLINE void quantize_q8_0(const float *src, block_q8_0 *y, int64_t n, bool act) {
    for (int64_t b = 0; b < n / QK8_0; b++) {
        const float d = quantize_block(src + b * QK8_0, y[b].qs, NULL, act);
        y[b].d = _cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    }
}

/* s = f16((float)sum * d) with the unrounded d, as the reference. */
HEARTH_INLINE void quantize_q8_1(const float *src, block_q8_1 *y, int64_t n, bool act) {
    for (int64_t b = 0; b < n / QK8_1; b++) {
        int sum = 0;
        const float d = quantize_block(src + b * QK8_1, y[b].qs, &sum, act);
        y[b].d = _cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        y[b].s = _cvtss_sh((float)sum * d, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    }
}

/* As hearth_quantize_row_q8_0_ref, bit for bit (roundf rounding). */
void hearth_quantize_row_q8_0_avx2(const float *restrict src, void *restrict dst, int64_t n) {
    quantize_q8_0(src, dst, n, false);
}

/* As hearth_quantize_row_q8_1_ref, bit for bit. */
void hearth_quantize_row_q8_1_avx2(const float *restrict src, void *restrict dst, int64_t n) {
    quantize_q8_1(src, dst, n, false);
}

/* As hearth_quantize_act_q8_0_ref, bit for bit (half-to-even rounding). */
void hearth_quantize_act_q8_0_avx2(const float *restrict src, void *restrict dst, int64_t n) {
    quantize_q8_0(src, dst, n, true);
}

/* As hearth_quantize_act_q8_1_ref, bit for bit. */
void hearth_quantize_act_q8_1_avx2(const float *restrict src, void *restrict dst, int64_t n) {
    quantize_q8_1(src, dst, n, true);
}

/* x = d * q, one multiply as the reference. */
void hearth_dequantize_row_q8_0_avx2(const void *restrict src, float *restrict dst, int64_t n) {
    const block_q8_0 *x = src;
    for (int64_t b = 0; b < n / QK8_0; b++) {
        const __m256 d = _mm256_set1_ps(avx2_h2f(x[b].d));
        for (int g = 0; g < 4; g++) {
            const __m128i q = _mm_loadl_epi64((const __m128i *)(x[b].qs + 8 * g));
            const __m256 v = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q));
            _mm256_storeu_ps(dst + b * QK8_0 + 8 * g, _mm256_mul_ps(d, v));
        }
    }
}
