/* q5_k.c (AVX2) - Q5_K x Q8_K vec_dot and matmul tile.
 *
 * Decodes a block to the generic form of kquant_util.h: chunk c of qs gives
 * sub-blocks 2c (low nibbles) and 2c+1 (high nibbles), bit 4 of value l of
 * sub-block j is bit j of qh[l]; levels 0..31 (maddubs pairs <= 2*31*128).
 * Scales and mins are 6-bit per 32 values, repeated for each 16.
 */
#include "kquant_util.h"

static const kq2_format format = {.offset_shift = 0, .is_signed = false, .has_min = true};

KQ_INLINE void decode_q5_k(const void *blk, kq2_block *out) {
    const block_q5_K *b = blk;
    const __m256i low4 = _mm256_set1_epi8(0x0f), one = _mm256_set1_epi8(1);
    const __m256i qh = _mm256_loadu_si256((const __m256i *)b->qh);
    for (int c = 0; c < 4; c++) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(b->qs + 32 * c));
        /* bit j of each qh byte to bit 4: a 16-bit shift by j <= 7 keeps bit 0 of
         * each byte clean of the neighbour's bits */
        __m256i h0 = _mm256_and_si256(_mm256_srl_epi16(qh, _mm_cvtsi32_si128(2 * c)), one);
        __m256i h1 = _mm256_and_si256(_mm256_srl_epi16(qh, _mm_cvtsi32_si128(2 * c + 1)), one);
        out->u[2 * c] = _mm256_or_si256(_mm256_and_si256(v, low4), _mm256_slli_epi16(h0, 4));
        out->u[2 * c + 1] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(v, 4), low4),
                                            _mm256_slli_epi16(h1, 4));
    }
    uint32_t words[4];
    kq_unpack_scales_mins_words(b->scales, words);
    __m128i sm = _mm_loadu_si128((const __m128i *)words); /* sc0..7, m0..7 */
    out->sc16 = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(sm, sm)); /* each scale twice */
    out->m16 = _mm256_cvtepu8_epi16(_mm_unpackhi_epi8(sm, sm));
    kq2_pair_scales(out->sc16, out->sc);
    out->d = kq_half(b->d);
    out->dmin = kq_half(b->dmin);
}

void hearth_vec_dot_q5_k_q8_k_avx2(KQ_VEC_DOT_ARGS) {
    kq2_vec_dot(n, out, w, a, sizeof(block_q5_K), decode_q5_k, format);
}

void hearth_mat_dot_q5_k_q8_k_avx2(KQ_MAT_DOT_ARGS) {
    kq2_mat_dot(n, nr, nc, out, ldo, w, w_stride, a, a_stride, sizeof(block_q5_K), decode_q5_k,
                format);
}
