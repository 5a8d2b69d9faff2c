/* q2_k.c (AVX2) - Q2_K x Q8_K vec_dot and matmul tile.
 *
 * Decodes a block to the generic form of kquant_util.h: vector p = 4h + k holds
 * values 128h + 32k + l with level qs[32h + l] >> 2k & 3; scales and mins are
 * the 4-bit halves of scales[j], one per 16 values.
 */
#include "kquant_util.h"

static const kq2_format format = {.offset_shift = 0, .is_signed = false, .has_min = true};

KQ_INLINE void decode_q2_k(const void *blk, kq2_block *out) {
    const block_q2_K *b = blk;
    const __m256i three = _mm256_set1_epi8(3);
    for (int h = 0; h < 2; h++) {
        __m256i qs = _mm256_loadu_si256((const __m256i *)(b->qs + 32 * h));
        for (int k = 0; k < 4; k++) /* 16-bit shift: bits 0-1 kept come from the same byte */
            out->u[4 * h + k] =
                _mm256_and_si256(_mm256_srl_epi16(qs, _mm_cvtsi32_si128(2 * k)), three);
    }
    __m128i s = _mm_loadu_si128((const __m128i *)b->scales);
    out->sc16 = _mm256_cvtepu8_epi16(_mm_and_si128(s, _mm_set1_epi8(0x0f)));
    out->m16 = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(s, 4), _mm_set1_epi8(0x0f)));
    kq2_pair_scales(out->sc16, out->sc);
    out->d = kq_half(b->d);
    out->dmin = kq_half(b->dmin);
}

void hearth_vec_dot_q2_k_q8_k_avx2(KQ_VEC_DOT_ARGS) {
    kq2_vec_dot(n, out, w, a, sizeof(block_q2_K), decode_q2_k, format);
}

void hearth_mat_dot_q2_k_q8_k_avx2(KQ_MAT_DOT_ARGS) {
    kq2_mat_dot(n, nr, nc, out, ldo, w, w_stride, a, a_stride, sizeof(block_q2_K), decode_q2_k,
                format);
}
