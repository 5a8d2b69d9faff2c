/* q4.c - AVX2 dot products of Q4_0 x Q8_0 and Q4_1 x Q8_1, and Q4_0
 * dequantization.
 *
 * Block layout consumed: 16 bytes of nibbles, value j in the low nibble of
 * qs[j], value j + 16 in the high nibble; unpacked to 32 bytes in value order
 * so they line up with the 32 int8 activations. Integer sums per block are
 * exact; the float accumulation is 8 lanes of scale * isum (STYLE §8 bound).
 */
#include "avx2.h"

/* ---- Q4_0 x Q8_0: isum = sum (q - 8) * a, via |q - 8| * sign(a, q - 8) ---- */
typedef struct {
    __m256i x, ax; /* q - 8 and |q - 8| */
    float d;
} q4_0_dec;

HEARTH_INLINE q4_0_dec q4_0_decode(const block_q4_0 *b) {
    const __m256i x = _mm256_sub_epi8(avx2_unpack_nibbles(b->qs), _mm256_set1_epi8(8));
    return (q4_0_dec){x, _mm256_sign_epi8(x, x), avx2_h2f(b->d)};
}

HEARTH_INLINE void q4_0_step(const q4_0_dec *w, const block_q8_0 *a, avx2_dot_state *st) {
    const __m256i y = _mm256_loadu_si256((const __m256i *)a->qs);
    const __m256 isum = _mm256_cvtepi32_ps(avx2_dot_i8(w->ax, w->x, y));
    st->acc = _mm256_fmadd_ps(_mm256_set1_ps(w->d * avx2_h2f(a->d)), isum, st->acc);
}

/* The generic tiles; the exported mat_dot below adds a matvec path. */
void hearth_mat_dot_q4_0_q8_0_avx2_tiles(int64_t n, int64_t nr, int64_t nc, float *restrict out,
                                         int64_t ldo, const void *restrict w, size_t w_stride,
                                         const void *restrict a, size_t a_stride);
#define WDEC q4_0_dec
#define decode q4_0_decode
#define step q4_0_step
HEARTH_AVX2_DOT_KERNELS(hearth_vec_dot_q4_0_q8_0_avx2, hearth_mat_dot_q4_0_q8_0_avx2_tiles,
                        block_q4_0, block_q8_0, QK4_0)
#undef WDEC
#undef decode
#undef step

/* ---- Q4_0 matvec with the activation column repacked once per call ------
 * Per block the column is stored as its float scale and the 8 int32 lanes
 * -8 * (sum of each 4-group of activations); the weights then need no sign
 * handling: sum (q - 8) * a = -8 * sum a + sum q * a, with q the raw nibble
 * (0..15) as maddubs' unsigned operand. Same exact integer lanes and the
 * same float operations as q4_0_step, so the bits equal vec_dot's. */
#define Q4_0_PREP_MAX_BLOCKS 512 /* 16384 values: 32 KiB of bias lanes on the stack */

HEARTH_INLINE float q4_0_row_prepped(int64_t nb, const block_q4_0 *x, const block_q8_0 *y,
                                     const __m256i *nbias, const float *da) {
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const __m256i q = avx2_unpack_nibbles(x[b].qs);
        const __m256i ya = _mm256_loadu_si256((const __m256i *)y[b].qs);
        const __m256i isum = _mm256_add_epi32(avx2_dot_u8(q, ya), nbias[b]);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(avx2_h2f(x[b].d) * da[b]),
                              _mm256_cvtepi32_ps(isum), acc);
    }
    return avx2_state_result((avx2_dot_state){acc, 0.0f});
}

void hearth_mat_dot_q4_0_q8_0_avx2(int64_t n, int64_t nr, int64_t nc, float *restrict out,
                                   int64_t ldo, const void *restrict w, size_t w_stride,
                                   const void *restrict a, size_t a_stride) {
    const int64_t nb = n / QK4_0;
    if (nc != 1 || nb > Q4_0_PREP_MAX_BLOCKS) {
        hearth_mat_dot_q4_0_q8_0_avx2_tiles(n, nr, nc, out, ldo, w, w_stride, a, a_stride);
        return;
    }
    const block_q8_0 *y = a;
    __m256i nbias[Q4_0_PREP_MAX_BLOCKS];
    float da[Q4_0_PREP_MAX_BLOCKS];
    for (int64_t b = 0; b < nb; b++) {
        const __m256i ya = _mm256_loadu_si256((const __m256i *)y[b].qs);
        nbias[b] = _mm256_sub_epi32(_mm256_setzero_si256(),
                                    avx2_dot_u8(_mm256_set1_epi8(8), ya));
        da[b] = avx2_h2f(y[b].d);
    }
    /* rows one after the other: one sequential stream through the weights */
    for (int64_t r = 0; r < nr; r++)
        out[r] = q4_0_row_prepped(nb, (const block_q4_0 *)((const char *)w + (size_t)r * w_stride),
                                  y, nbias, da);
}

/* ---- Q4_1 x Q8_1: per block (dw * da) * sum q * a + m * s -------------- */
typedef struct {
    __m256i q; /* 0..15 */
    float d, m;
} q4_1_dec;

HEARTH_INLINE q4_1_dec q4_1_decode(const block_q4_1 *b) {
    return (q4_1_dec){avx2_unpack_nibbles(b->qs), avx2_h2f(b->d), avx2_h2f(b->m)};
}

HEARTH_INLINE void q4_1_step(const q4_1_dec *w, const block_q8_1 *a, avx2_dot_state *st) {
    const __m256i y = _mm256_loadu_si256((const __m256i *)a->qs);
    const __m256 isum = _mm256_cvtepi32_ps(avx2_dot_u8(w->q, y));
    st->acc = _mm256_fmadd_ps(_mm256_set1_ps(w->d * avx2_h2f(a->d)), isum, st->acc);
    st->off += w->m * avx2_h2f(a->s);
}

#define WDEC q4_1_dec
#define decode q4_1_decode
#define step q4_1_step
HEARTH_AVX2_DOT_KERNELS(hearth_vec_dot_q4_1_q8_1_avx2, hearth_mat_dot_q4_1_q8_1_avx2, block_q4_1,
                        block_q8_1, QK4_1)
#undef WDEC
#undef decode
#undef step

/* x = d * (q - 8): int -> float conversion and one multiply, as the reference. */
void hearth_dequantize_row_q4_0_avx2(const void *restrict src, float *restrict dst, int64_t n) {
    const block_q4_0 *x = src;
    for (int64_t b = 0; b < n / QK4_0; b++) {
        const __m256i q = _mm256_sub_epi8(avx2_unpack_nibbles(x[b].qs), _mm256_set1_epi8(8));
        const __m256 d = _mm256_set1_ps(avx2_h2f(x[b].d));
        for (int g = 0; g < 4; g++) {
            const __m128i q8 = g < 2 ? _mm256_castsi256_si128(q) : _mm256_extracti128_si256(q, 1);
            const __m128i part = (g & 1) ? _mm_srli_si128(q8, 8) : q8;
            const __m256 v = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(part));
            _mm256_storeu_ps(dst + b * QK4_0 + 8 * g, _mm256_mul_ps(d, v));
        }
    }
}
