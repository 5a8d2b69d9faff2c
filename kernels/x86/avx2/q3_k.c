/* q3_k.c (AVX2) - Q3_K x Q8_K vec_dot and matmul tile.
 *
 * Decodes a block to the generic form of kquant_util.h: vector p = 4h + k holds
 * values 128h + 32k + l with unsigned level u = (qs[32h + l] >> 2k & 3) |
 * (hmask[l] >> p & 1) << 2, so level = u - 4 (offset removed with the bsums).
 */
#include "kquant_util.h"

static const kq2_format format = {.offset_shift = 2, .is_signed = false, .has_min = false};

KQ_INLINE void decode_q3_k(const void *blk, kq2_block *out) {
    const block_q3_K *b = blk;
    const __m256i three = _mm256_set1_epi8(3), one = _mm256_set1_epi8(1);
    const __m256i hm = _mm256_loadu_si256((const __m256i *)b->hmask);
    for (int h = 0; h < 2; h++) {
        __m256i qs = _mm256_loadu_si256((const __m256i *)(b->qs + 32 * h));
        for (int k = 0; k < 4; k++) {
            int p = 4 * h + k;
            /* 16-bit shifts by <= 7: the bits kept (0-1, 0) come from the same byte */
            __m256i low = _mm256_and_si256(_mm256_srl_epi16(qs, _mm_cvtsi32_si128(2 * k)), three);
            __m256i hb = _mm256_and_si256(_mm256_srl_epi16(hm, _mm_cvtsi32_si128(p)), one);
            out->u[p] = _mm256_or_si256(low, _mm256_slli_epi16(hb, 2));
        }
    }
    uint32_t words[4];
    kq_unpack_q3_scales_words(b->scales, words);
    __m128i biased = _mm_setr_epi32((int)words[0], (int)words[1], (int)words[2], (int)words[3]);
    out->sc16 = _mm256_cvtepi8_epi16(_mm_sub_epi8(biased, _mm_set1_epi8(32)));
    out->m16 = _mm256_setzero_si256();
    kq2_pair_scales(out->sc16, out->sc);
    out->d = kq_half(b->d);
    out->dmin = 0;
}

void hearth_vec_dot_q3_k_q8_k_avx2(KQ_VEC_DOT_ARGS) {
    kq2_vec_dot(n, out, w, a, sizeof(block_q3_K), decode_q3_k, format);
}

void hearth_mat_dot_q3_k_q8_k_avx2(KQ_MAT_DOT_ARGS) {
    kq2_mat_dot(n, nr, nc, out, ldo, w, w_stride, a, a_stride, sizeof(block_q3_K), decode_q3_k,
                format);
}
