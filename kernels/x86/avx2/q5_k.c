/* q5_k.c (AVX2) - Q5_K x Q8_K dot products: vec_dot and the matmul tile.
 *
 * The Q4_K kernel plus the fifth bit: chunk c of qs gives sub-blocks 2c (low
 * nibbles) and 2c+1 (high nibbles); bit 4 of value l of sub-block j is bit j of
 * qh[l], moved to bit 4 with a 16-bit shift by j (<= 7, so bit 0 of each byte
 * comes from that byte) and a mask. Levels 0..31: maddubs pairs <= 2*31*128.
 * Scales, mins, accumulation and the vec_dot / tile bit identity as in Q4_K.
 */
#include "kquant_util.h"

/* Levels of chunk c: *lo = sub-block 2c, *hi = sub-block 2c+1. */
static inline void q5k_levels(const block_q5_K *b, __m256i qh, int c, __m256i *lo, __m256i *hi) {
    const __m256i low4 = _mm256_set1_epi8(0x0f), one = _mm256_set1_epi8(1);
    __m256i v = _mm256_loadu_si256((const __m256i *)(b->qs + 32 * c));
    __m256i h0 = _mm256_and_si256(_mm256_srl_epi16(qh, _mm_cvtsi32_si128(2 * c)), one);
    __m256i h1 = _mm256_and_si256(_mm256_srl_epi16(qh, _mm_cvtsi32_si128(2 * c + 1)), one);
    *lo = _mm256_or_si256(_mm256_and_si256(v, low4), _mm256_slli_epi16(h0, 4));
    *hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(v, 4), low4),
                          _mm256_slli_epi16(h1, 4));
}

static float q5k_row_dot(int64_t nb, const block_q5_K *w, const block_q8_K *a) {
    __m256 acc = _mm256_setzero_ps();
    __m128 acc_m = _mm_setzero_ps();
    for (int64_t ib = 0; ib < nb; ib++) {
        __m128i mins;
        __m256i sc = kq_k4_scales(w[ib].scales, &mins);
        __m256i qh = _mm256_loadu_si256((const __m256i *)w[ib].qh);
        __m256i sumi = _mm256_setzero_si256();
        for (int c = 0; c < 4; c++) {
            __m256i lo, hi;
            q5k_levels(&w[ib], qh, c, &lo, &hi);
            sumi = _mm256_add_epi32(sumi, kq_k4_pair(lo, hi, kq_bcast16(sc, 2 * c),
                                                     kq_bcast16(sc, 2 * c + 1), a[ib].qs + 64 * c));
        }
        float da = a[ib].d;
        acc = _mm256_fmadd_ps(_mm256_set1_ps(kq_half(w[ib].d) * da), _mm256_cvtepi32_ps(sumi), acc);
        acc_m = _mm_fmadd_ps(_mm_set1_ps(kq_half(w[ib].dmin) * da),
                             _mm_cvtepi32_ps(kq_k4_msum(mins, &a[ib])), acc_m);
    }
    return kq_hsum_ps(acc) - kq_hsum128_ps(acc_m);
}

/* Four columns share each unpacked block; per column the float operations of
 * q5k_row_dot. */
static void q5k_row_dot4(int64_t nb, const block_q5_K *w, const block_q8_K *const a[4],
                         float out[4]) {
    __m256 acc[4];
    __m128 acc_m[4];
    for (int k = 0; k < 4; k++) {
        acc[k] = _mm256_setzero_ps();
        acc_m[k] = _mm_setzero_ps();
    }
    for (int64_t ib = 0; ib < nb; ib++) {
        __m128i mins;
        __m256i sc = kq_k4_scales(w[ib].scales, &mins);
        __m256i qh = _mm256_loadu_si256((const __m256i *)w[ib].qh);
        __m256i lo[4], hi[4];
        for (int c = 0; c < 4; c++)
            q5k_levels(&w[ib], qh, c, &lo[c], &hi[c]);
        float d = kq_half(w[ib].d), dmin = kq_half(w[ib].dmin);
        for (int k = 0; k < 4; k++) {
            const block_q8_K *ak = &a[k][ib];
            __m256i sumi = _mm256_setzero_si256();
            for (int c = 0; c < 4; c++) {
                __m256i p = kq_k4_pair(lo[c], hi[c], kq_bcast16(sc, 2 * c),
                                       kq_bcast16(sc, 2 * c + 1), ak->qs + 64 * c);
                sumi = _mm256_add_epi32(sumi, p);
            }
            acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(d * ak->d), _mm256_cvtepi32_ps(sumi), acc[k]);
            acc_m[k] = _mm_fmadd_ps(_mm_set1_ps(dmin * ak->d),
                                    _mm_cvtepi32_ps(kq_k4_msum(mins, ak)), acc_m[k]);
        }
    }
    for (int k = 0; k < 4; k++)
        out[k] = kq_hsum_ps(acc[k]) - kq_hsum128_ps(acc_m[k]);
}

void hearth_vec_dot_q5_k_q8_k_avx2(KQ_VEC_DOT_ARGS) {
    *out = q5k_row_dot(n / QK_K, w, a);
}

/* Column tiles of 16 (kept in L2), rows inside, 4 columns per pass. */
void hearth_mat_dot_q5_k_q8_k_avx2(KQ_MAT_DOT_ARGS) {
    const int64_t nb = n / QK_K;
    for (int64_t c0 = 0; c0 < nc; c0 += 16) {
        int64_t c1 = c0 + 16 < nc ? c0 + 16 : nc;
        for (int64_t r = 0; r < nr; r++) {
            const block_q5_K *row = (const void *)((const char *)w + r * w_stride);
            int64_t c = c0;
            for (; c + 4 <= c1; c += 4) {
                const block_q8_K *cols[4];
                float res[4];
                for (int k = 0; k < 4; k++)
                    cols[k] = kq_col(a, a_stride, c + k);
                q5k_row_dot4(nb, row, cols, res);
                for (int k = 0; k < 4; k++)
                    out[(c + k) * ldo + r] = res[k];
            }
            for (; c < c1; c++)
                out[c * ldo + r] = q5k_row_dot(nb, row, kq_col(a, a_stride, c));
        }
    }
}
