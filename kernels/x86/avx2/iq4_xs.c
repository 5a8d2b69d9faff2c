/* iq4_xs.c (AVX2) - IQ4_XS x Q8_K vec_dot and matmul tile.
 *
 * Decodes a block to the generic form of kquant_util.h: the 32 bytes of sub-blocks
 * 2p and 2p+1 split into nibbles, the 128-bit halves regrouped so that each
 * vector is one sub-block in value order, and each nibble mapped to its signed
 * IQ4_NL level with pshufb. Levels are signed, so the column dot uses
 * maddubs(|q|, a * sign(q)) (|pair| <= 2*127*127). Scale ls - 32 per 32 values.
 */
#include "kquant_util.h"

static const kq2_format format = {.offset_shift = 0, .is_signed = true, .has_min = false};

KQ_INLINE void decode_iq4_xs(const void *blk, kq2_block *out) {
    const block_iq4_xs *b = blk;
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    const __m256i table =
        _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)hearth_kvalues_iq4nl));
    for (int p = 0; p < 4; p++) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(b->qs + 32 * p));
        __m256i lo = _mm256_and_si256(v, low4);
        __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
        out->u[2 * p] = _mm256_shuffle_epi8(table, _mm256_permute2x128_si256(lo, hi, 0x20));
        out->u[2 * p + 1] = _mm256_shuffle_epi8(table, _mm256_permute2x128_si256(lo, hi, 0x31));
    }
    /* scale j = low nibble (j even) / high nibble (j odd) of scales_l[j/2], plus
     * bits 2j..2j+1 of scales_h as bits 4-5; built in registers, minus the bias 32 */
    uint32_t low;
    memcpy(&low, b->scales_l, 4);
    __m128i l = _mm_cvtsi32_si128((int)low);
    __m128i nib = _mm_unpacklo_epi8(_mm_and_si128(l, _mm_set1_epi8(0x0f)),
                                    _mm_and_si128(_mm_srli_epi16(l, 4), _mm_set1_epi8(0x0f)));
    uint64_t high = 0;
    for (int j = 0; j < 8; j++)
        high |= (uint64_t)((b->scales_h >> (2 * j)) & 3) << (8 * j + 4);
    __m128i ls = _mm_sub_epi8(_mm_or_si128(nib, _mm_cvtsi64_si128((long long)high)),
                              _mm_set1_epi8(32));
    out->sc16 = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(ls, ls)); /* each scale twice */
    out->m16 = _mm256_setzero_si256();
    kq2_pair_scales(out->sc16, out->sc);
    out->d = kq_half(b->d);
    out->dmin = 0;
}

void hearth_vec_dot_iq4_xs_q8_k_avx2(KQ_VEC_DOT_ARGS) {
    kq2_vec_dot(n, out, w, a, sizeof(block_iq4_xs), decode_iq4_xs, format);
}

void hearth_mat_dot_iq4_xs_q8_k_avx2(KQ_MAT_DOT_ARGS) {
    kq2_mat_dot(n, nr, nc, out, ldo, w, w_stride, a, a_stride, sizeof(block_iq4_xs),
                decode_iq4_xs, format);
}
