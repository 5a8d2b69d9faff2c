/* q5.c - AVX2 dot products of Q5_0 x Q8_0 and Q5_1 x Q8_1.
 *
 * The fifth bit of value j is bit j of qh; it is spread to 32 bytes with a
 * byte shuffle and a compare. Q5_0 codes become q - 16 in int8 by setting
 * the high nibble to 0xf where the bit is clear (two's complement of q - 16).
 */
#include "avx2.h"

typedef struct {
    __m256i x, ax; /* q - 16 and |q - 16| */
    float d;
} q5_0_dec;

HEARTH_INLINE q5_0_dec q5_0_decode(const block_q5_0 *b) {
    const __m256i hi = _mm256_andnot_si256(avx2_bits_to_bytes(b->qh), _mm256_set1_epi8((char)0xf0));
    const __m256i x = _mm256_or_si256(avx2_unpack_nibbles(b->qs), hi);
    return (q5_0_dec){x, _mm256_sign_epi8(x, x), avx2_h2f(b->d)};
}

HEARTH_INLINE void q5_0_step(const q5_0_dec *w, const block_q8_0 *a, avx2_dot_state *st) {
    const __m256i y = _mm256_loadu_si256((const __m256i *)a->qs);
    const __m256 isum = _mm256_cvtepi32_ps(avx2_dot_i8(w->ax, w->x, y));
    st->acc = _mm256_fmadd_ps(_mm256_set1_ps(w->d * avx2_h2f(a->d)), isum, st->acc);
}

#define WDEC q5_0_dec
#define decode q5_0_decode
#define step q5_0_step
HEARTH_AVX2_DOT_KERNELS(hearth_vec_dot_q5_0_q8_0_avx2, hearth_mat_dot_q5_0_q8_0_avx2, block_q5_0,
                        block_q8_0, QK5_0)
#undef WDEC
#undef decode
#undef step

typedef struct {
    __m256i q; /* 0..31 */
    float d, m;
} q5_1_dec;

HEARTH_INLINE q5_1_dec q5_1_decode(const block_q5_1 *b) {
    const __m256i hi = _mm256_and_si256(avx2_bits_to_bytes(b->qh), _mm256_set1_epi8(0x10));
    return (q5_1_dec){_mm256_or_si256(avx2_unpack_nibbles(b->qs), hi), avx2_h2f(b->d),
                      avx2_h2f(b->m)};
}

HEARTH_INLINE void q5_1_step(const q5_1_dec *w, const block_q8_1 *a, avx2_dot_state *st) {
    const __m256i y = _mm256_loadu_si256((const __m256i *)a->qs);
    const __m256 isum = _mm256_cvtepi32_ps(avx2_dot_u8(w->q, y));
    st->acc = _mm256_fmadd_ps(_mm256_set1_ps(w->d * avx2_h2f(a->d)), isum, st->acc);
    st->off += w->m * avx2_h2f(a->s);
}

#define WDEC q5_1_dec
#define decode q5_1_decode
#define step q5_1_step
HEARTH_AVX2_DOT_KERNELS(hearth_vec_dot_q5_1_q8_1_avx2, hearth_mat_dot_q5_1_q8_1_avx2, block_q5_1,
                        block_q8_1, QK5_1)
#undef WDEC
#undef decode
#undef step
