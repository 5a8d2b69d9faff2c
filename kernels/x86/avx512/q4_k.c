/* q4_k.c (AVX-512) - Q4_K x Q8_K dot products: vec_dot and the matmul tile.
 *
 * Chunk c (32 bytes of qs) is loaded into both halves of a zmm; shifting the
 * upper half by 4 (vpsrlvw) and masking gives [sub-block 2c | sub-block 2c+1],
 * 64 levels that line up with 64 contiguous activations. maddubs (|pair| <=
 * 2*15*128) then madd with [sc_2c x16 | sc_2c+1 x16] (vpermw of the 8 scales)
 * gives 16 exact int32 lanes per block, added to 16 float lanes with one FMA by
 * d*da. The min term is madd(pairwise bsums, mins) into a 4-lane accumulator.
 * vec_dot and the 4-column tile do identical per-column float operations.
 */
#include "kquant_util.h"

/* Scales and mins as int16 (8 each): *mins = m0..m7, returns sc0..sc7 in a zmm's
 * low lanes. Reads 16 bytes at b->scales (the last 4 are qs of the same block). */
static inline __m512i q4k_scales(const block_q4_K *b, __m128i *mins) {
    __m128i v = _mm_loadu_si128((const __m128i *)b->scales);
    __m128i lo = _mm_srlv_epi32(_mm_shuffle_epi32(v, _MM_SHUFFLE(2, 1, 2, 0)),
                                _mm_setr_epi32(0, 0, 0, 4));
    lo = _mm_and_si128(lo, _mm_setr_epi32(0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f));
    __m128i hi = _mm_srli_epi32(_mm_shuffle_epi32(v, _MM_SHUFFLE(1, 1, 0, 0)), 2);
    hi = _mm_and_si128(hi, _mm_setr_epi32(0, 0x30303030, 0, 0x30303030));
    __m256i sm16 = _mm256_cvtepu8_epi16(_mm_or_si128(lo, hi)); /* [sc0..7 | m0..7] */
    *mins = _mm256_extracti128_si256(sm16, 1);
    return _mm512_castsi256_si512(sm16);
}

/* vpermw indices: chunk c -> [2c x16 | 2c+1 x16]. */
static inline __m512i q4k_scale_idx(int c) {
    return _mm512_inserti64x4(_mm512_set1_epi16((short)(2 * c)),
                              _mm256_set1_epi16((short)(2 * c + 1)), 1);
}

static inline __m128i q4k_msum(__m128i mins, const block_q8_K *a) {
    __m128i b0 = _mm_loadu_si128((const __m128i *)a->bsums);
    __m128i b1 = _mm_loadu_si128((const __m128i *)(a->bsums + 8));
    return _mm_madd_epi16(_mm_hadd_epi16(b0, b1), mins);
}

/* Levels of chunk c as [low nibbles | high nibbles]. */
static inline __m512i q4k_levels(const block_q4_K *b, int c) {
    const __m512i shift = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(4), 1);
    __m512i v = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(b->qs + 32 * c)));
    return _mm512_and_si512(_mm512_srlv_epi16(v, shift), _mm512_set1_epi8(0x0f));
}

static inline __m512i q4k_chunk(__m512i lv, __m512i scale, const int8_t *act) {
    __m512i p = _mm512_maddubs_epi16(lv, _mm512_loadu_si512(act));
    return _mm512_madd_epi16(p, scale);
}

static float q4k_row_dot(int64_t nb, const block_q4_K *w, const block_q8_K *a) {
    __m512 acc = _mm512_setzero_ps();
    __m128 acc_m = _mm_setzero_ps();
    for (int64_t ib = 0; ib < nb; ib++) {
        __m128i mins;
        __m512i sc = q4k_scales(&w[ib], &mins);
        __m512i sumi = _mm512_setzero_si512();
        for (int c = 0; c < 4; c++) {
            __m512i scale = _mm512_permutexvar_epi16(q4k_scale_idx(c), sc);
            sumi = _mm512_add_epi32(sumi, q4k_chunk(q4k_levels(&w[ib], c), scale,
                                                    a[ib].qs + 64 * c));
        }
        float da = a[ib].d;
        acc = _mm512_fmadd_ps(_mm512_set1_ps(kq512_half(w[ib].d) * da), _mm512_cvtepi32_ps(sumi),
                              acc);
        acc_m = _mm_fmadd_ps(_mm_set1_ps(kq512_half(w[ib].dmin) * da),
                             _mm_cvtepi32_ps(q4k_msum(mins, &a[ib])), acc_m);
    }
    return kq512_hsum_ps(acc) - kq512_hsum128_ps(acc_m);
}

static void q4k_row_dot4(int64_t nb, const block_q4_K *w, const block_q8_K *const a[4],
                         float out[4]) {
    __m512 acc[4];
    __m128 acc_m[4];
    for (int k = 0; k < 4; k++) {
        acc[k] = _mm512_setzero_ps();
        acc_m[k] = _mm_setzero_ps();
    }
    for (int64_t ib = 0; ib < nb; ib++) {
        __m128i mins;
        __m512i sc = q4k_scales(&w[ib], &mins);
        __m512i lv[4], scale[4];
        for (int c = 0; c < 4; c++) {
            lv[c] = q4k_levels(&w[ib], c);
            scale[c] = _mm512_permutexvar_epi16(q4k_scale_idx(c), sc);
        }
        float d = kq512_half(w[ib].d), dmin = kq512_half(w[ib].dmin);
        for (int k = 0; k < 4; k++) {
            const block_q8_K *ak = &a[k][ib];
            __m512i sumi = _mm512_setzero_si512();
            for (int c = 0; c < 4; c++)
                sumi = _mm512_add_epi32(sumi, q4k_chunk(lv[c], scale[c], ak->qs + 64 * c));
            acc[k] = _mm512_fmadd_ps(_mm512_set1_ps(d * ak->d), _mm512_cvtepi32_ps(sumi), acc[k]);
            acc_m[k] = _mm_fmadd_ps(_mm_set1_ps(dmin * ak->d), _mm_cvtepi32_ps(q4k_msum(mins, ak)),
                                    acc_m[k]);
        }
    }
    for (int k = 0; k < 4; k++)
        out[k] = kq512_hsum_ps(acc[k]) - kq512_hsum128_ps(acc_m[k]);
}

void hearth_vec_dot_q4_k_q8_k_avx512(KQ_VEC_DOT_ARGS) {
    *out = q4k_row_dot(n / QK_K, w, a);
}

/* Column tiles of 16 (kept in L2), rows inside, 4 columns per pass. */
void hearth_mat_dot_q4_k_q8_k_avx512(KQ_MAT_DOT_ARGS) {
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
                    cols[k] = kq512_col(a, a_stride, c + k);
                q4k_row_dot4(nb, row, cols, res);
                for (int k = 0; k < 4; k++)
                    out[(c + k) * ldo + r] = res[k];
            }
            for (; c < c1; c++)
                out[c * ldo + r] = q4k_row_dot(nb, row, kq512_col(a, a_stride, c));
        }
    }
}
