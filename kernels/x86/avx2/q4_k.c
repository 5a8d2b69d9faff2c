/* q4_k.c (AVX2) - Q4_K x Q8_K dot products: vec_dot and the matmul tile.
 *
 * Per weight block: the 128 nibble bytes become 8 vectors of 32 levels (one per
 * sub-block), the packed 6-bit scales become 8 broadcast int16 vectors and the
 * mins one int16 vector. Per activation column: maddubs (u8 level x s8 act ->
 * int16 pairs, |pair| <= 2*15*128) then madd with the scale (int32), summed over
 * the 8 sub-blocks; the min term is madd(pairwise bsums, mins). The exact
 * integer sums go through the reference float epilogue, so every result is
 * bit-identical to hearth_vec_dot_q4_k_q8_k_ref.
 */
#include "kquant_util.h"

/* One weight block unpacked for reuse across activation columns. */
typedef struct {
    __m256i q[8];  /* sub-block j: 32 levels 0..15 */
    __m256i sc[8]; /* sub-block j: its scale in all 16 int16 lanes */
    __m128i mins;  /* 8 int16 mins */
    float d, dmin;
} q4k_w;

static inline void q4k_load(const block_q4_K *b, q4k_w *w) {
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    for (int c = 0; c < 4; c++) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(b->qs + 32 * c));
        w->q[2 * c] = _mm256_and_si256(v, low4);
        w->q[2 * c + 1] = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
    }
    uint32_t words[4];
    kq_unpack_scales_mins_words(b->scales, words);
    __m256i sm16 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)words));
    __m256i sc16 = _mm256_permute2x128_si256(sm16, sm16, 0x00); /* scales in both halves */
    for (int j = 0; j < 8; j++)
        w->sc[j] = _mm256_shuffle_epi8(sc16, kq_bcast16_ctl(j));
    w->mins = _mm256_extracti128_si256(sm16, 1);
    w->d = kq_half(b->d);
    w->dmin = kq_half(b->dmin);
}

/* Lanes sum to sum_j sc_j * sum_i q_i * a_i (exact). */
static inline __m256i q4k_isum(const q4k_w *w, const block_q8_K *a) {
    __m256i acc = _mm256_setzero_si256();
    for (int j = 0; j < 8; j++) {
        __m256i act = _mm256_loadu_si256((const __m256i *)(a->qs + 32 * j));
        __m256i p = _mm256_maddubs_epi16(w->q[j], act);
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p, w->sc[j]));
    }
    return acc;
}

/* Lanes sum to sum_j m_j * (bsums[2j] + bsums[2j+1]); |pair| <= 4064 fits int16. */
static inline __m128i q4k_msum(const q4k_w *w, const block_q8_K *a) {
    __m128i b0 = _mm_loadu_si128((const __m128i *)a->bsums);
    __m128i b1 = _mm_loadu_si128((const __m128i *)(a->bsums + 8));
    return _mm_madd_epi16(_mm_hadd_epi16(b0, b1), w->mins);
}

static float q4k_row_dot(int64_t nb, const block_q4_K *w, const block_q8_K *a) {
    float sum = 0;
    q4k_w wb;
    for (int64_t ib = 0; ib < nb; ib++) {
        q4k_load(&w[ib], &wb);
        int32_t isum = kq_hsum_epi32(q4k_isum(&wb, &a[ib]));
        int32_t msum = kq_hsum128_epi32(q4k_msum(&wb, &a[ib]));
        sum = kq_block_epilogue(sum, wb.d, wb.dmin, a[ib].d, isum, msum);
    }
    return sum;
}

/* Four columns share each unpacked weight block. */
static __m128 q4k_row_dot4(int64_t nb, const block_q4_K *w, const block_q8_K *const a[4]) {
    __m128 sum = _mm_setzero_ps();
    q4k_w wb;
    for (int64_t ib = 0; ib < nb; ib++) {
        q4k_load(&w[ib], &wb);
        __m128i isum = kq_reduce4_epi32(q4k_isum(&wb, &a[0][ib]), q4k_isum(&wb, &a[1][ib]),
                                        q4k_isum(&wb, &a[2][ib]), q4k_isum(&wb, &a[3][ib]));
        __m128i msum =
            kq_reduce4_128_epi32(q4k_msum(&wb, &a[0][ib]), q4k_msum(&wb, &a[1][ib]),
                                 q4k_msum(&wb, &a[2][ib]), q4k_msum(&wb, &a[3][ib]));
        __m128 ad = _mm_setr_ps(a[0][ib].d, a[1][ib].d, a[2][ib].d, a[3][ib].d);
        sum = kq_epilogue4(sum, wb.d, wb.dmin, ad, isum, msum);
    }
    return sum;
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
                for (int k = 0; k < 4; k++)
                    cols[k] = (const void *)((const char *)a + (c + k) * a_stride);
                kq_store4(out + c * ldo + r, ldo, q4k_row_dot4(nb, row, cols));
            }
            for (; c < c1; c++)
                out[c * ldo + r] =
                    q4k_row_dot(nb, row, (const void *)((const char *)a + c * a_stride));
        }
    }
}
