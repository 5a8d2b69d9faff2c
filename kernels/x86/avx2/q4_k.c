/* q4_k.c (AVX2) - Q4_K x Q8_K dot products: vec_dot and the matmul tile.
 *
 * Per block and column: chunk c (32 bytes of qs) gives sub-blocks 2c (low
 * nibbles) and 2c + 1 (high nibbles); maddubs (u8 level x s8 activation ->
 * int16 pairs, |pair| <= 2*15*128) then madd with the broadcast 6-bit scale
 * gives int32 lanes, summed exactly over the block (sumi). One FMA adds
 * (d*da) * sumi to 8 float lanes; the min term madd(pairwise bsums, mins) goes
 * to a 4-lane accumulator with dmin*da. Result = hsum(acc) - hsum(acc_min).
 * Lane k of sumi is the same in vec_dot and the 4-column tile, so the two are
 * bit-identical; against the reference the sum order differs (STYLE §8).
 */
#include "kquant_util.h"

static float q4k_row_dot(int64_t nb, const block_q4_K *w, const block_q8_K *a) {
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    __m256 acc = _mm256_setzero_ps();
    __m128 acc_m = _mm_setzero_ps();
    for (int64_t ib = 0; ib < nb; ib++) {
        __m128i mins;
        __m256i sc = kq_k4_scales(w[ib].scales, &mins);
        __m256i sumi = _mm256_setzero_si256();
        for (int c = 0; c < 4; c++) {
            __m256i v = _mm256_loadu_si256((const __m256i *)(w[ib].qs + 32 * c));
            __m256i lo = _mm256_and_si256(v, low4);
            __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
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

/* Four columns share each unpacked weight block; per column the float
 * operations are exactly those of q4k_row_dot. */
static void q4k_row_dot4(int64_t nb, const block_q4_K *w, const block_q8_K *const a[4],
                         float out[4]) {
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    __m256 acc[4];
    __m128 acc_m[4];
    for (int k = 0; k < 4; k++) {
        acc[k] = _mm256_setzero_ps();
        acc_m[k] = _mm_setzero_ps();
    }
    for (int64_t ib = 0; ib < nb; ib++) {
        __m128i mins;
        __m256i sc = kq_k4_scales(w[ib].scales, &mins);
        __m256i lo[4], hi[4];
        for (int c = 0; c < 4; c++) {
            __m256i v = _mm256_loadu_si256((const __m256i *)(w[ib].qs + 32 * c));
            lo[c] = _mm256_and_si256(v, low4);
            hi[c] = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
        }
        float d = kq_half(w[ib].d), dmin = kq_half(w[ib].dmin);
        for (int k = 0; k < 4; k++) {
            const block_q8_K *ak = &a[k][ib];
            __m256i sumi = _mm256_setzero_si256();
            for (int c = 0; c < 4; c++)
                sumi = _mm256_add_epi32(sumi, kq_k4_pair(lo[c], hi[c], kq_bcast16(sc, 2 * c),
                                                       kq_bcast16(sc, 2 * c + 1), ak->qs + 64 * c));
            acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(d * ak->d), _mm256_cvtepi32_ps(sumi), acc[k]);
            acc_m[k] = _mm_fmadd_ps(_mm_set1_ps(dmin * ak->d),
                                    _mm_cvtepi32_ps(kq_k4_msum(mins, ak)), acc_m[k]);
        }
    }
    for (int k = 0; k < 4; k++)
        out[k] = kq_hsum_ps(acc[k]) - kq_hsum128_ps(acc_m[k]);
}

void hearth_vec_dot_q4_k_q8_k_avx2(KQ_VEC_DOT_ARGS) {
    *out = q4k_row_dot(n / QK_K, w, a);
}

/* Columns are taken 16 at a time (~75 KB of Q8_K for n = 4096: stays in L2)
 * and every row of the tile is run against them, 4 columns per pass. */
void hearth_mat_dot_q4_k_q8_k_avx2(KQ_MAT_DOT_ARGS) {
    const int64_t nb = n / QK_K;
    for (int64_t c0 = 0; c0 < nc; c0 += 16) {
        int64_t c1 = c0 + 16 < nc ? c0 + 16 : nc;
        for (int64_t r = 0; r < nr; r++) {
            const block_q4_K *row = (const void *)((const char *)w + r * w_stride);
            int64_t c = c0;
            for (; c + 4 <= c1; c += 4) {
                const block_q8_K *cols[4];
                float res[4];
                for (int k = 0; k < 4; k++)
                    cols[k] = kq_col(a, a_stride, c + k);
                q4k_row_dot4(nb, row, cols, res);
                for (int k = 0; k < 4; k++)
                    out[(c + k) * ldo + r] = res[k];
            }
            for (; c < c1; c++)
                out[c * ldo + r] = q4k_row_dot(nb, row, kq_col(a, a_stride, c));
        }
    }
}
