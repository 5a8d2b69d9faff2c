/* iq4_nl.c - AVX2 IQ4_NL x Q8_0 dot product: nibbles index the 16 levels
 * with one byte shuffle (the table fits a 128-bit lane), then int8 x int8
 * as Q8_0. Levels are in [-127, 113], so |level| fits maddubs' u8 side.
 */
#include "avx2.h"

typedef struct {
    __m256i x, ax;
    float d;
} iq4_nl_dec;

HEARTH_INLINE iq4_nl_dec iq4_nl_decode(const block_iq4_nl *b) {
    const __m128i lv = _mm_loadu_si128((const __m128i *)hearth_kvalues_iq4nl);
    const __m256i table = _mm256_set_m128i(lv, lv);
    const __m256i x = _mm256_shuffle_epi8(table, avx2_unpack_nibbles(b->qs));
    return (iq4_nl_dec){x, _mm256_sign_epi8(x, x), avx2_h2f(b->d)};
}

HEARTH_INLINE void iq4_nl_step(const iq4_nl_dec *w, const block_q8_0 *a, avx2_dot_state *st) {
    const __m256i y = _mm256_loadu_si256((const __m256i *)a->qs);
    const __m256 isum = _mm256_cvtepi32_ps(avx2_dot_i8(w->ax, w->x, y));
    st->acc = _mm256_fmadd_ps(_mm256_set1_ps(w->d * avx2_h2f(a->d)), isum, st->acc);
}

#define WDEC iq4_nl_dec
#define decode iq4_nl_decode
#define step iq4_nl_step
HEARTH_AVX2_DOT_KERNELS(hearth_vec_dot_iq4_nl_q8_0_avx2, hearth_mat_dot_iq4_nl_q8_0_avx2,
                        block_iq4_nl, block_q8_0, QK4_NL)
#undef WDEC
#undef decode
#undef step
