/* iq4_xs.c (AVX2) - IQ4_XS x Q8_K dot products: vec_dot and the matmul tile.
 *
 * Per block: the 32 bytes of sub-blocks 2p and 2p+1 split into nibbles, the
 * 128-bit halves are regrouped so that each vector is one sub-block in value
 * order, and pshufb maps each nibble to its signed IQ4_NL level (kept with its
 * absolute value). Per column: maddubs(|q|, a * sign(q)) (|pair| <= 2*127*127;
 * exact because Q8_K levels stay within -127..127, so no a = -128 flips) then
 * madd with the broadcast scale ls - 32. One FMA per block by d*da into 8 float
 * lanes; vec_dot and the 4-column tile do the same per-column float operations.
 */
#include "kquant_util.h"

/* One block unpacked for reuse across columns. */
typedef struct {
    __m256i q[8];   /* signed levels of sub-block j */
    __m256i aq[8];  /* their absolute values */
    __m256i sc;     /* [ls0..7 | ls0..7] - 32 as int16 */
    float d;
} iq4xs_w;

static inline void iq4xs_load(const block_iq4_xs *b, iq4xs_w *w) {
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    const __m256i table =
        _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)hearth_kvalues_iq4nl));
    for (int p = 0; p < 4; p++) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(b->qs + 32 * p));
        __m256i lo = _mm256_and_si256(v, low4);
        __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
        w->q[2 * p] = _mm256_shuffle_epi8(table, _mm256_permute2x128_si256(lo, hi, 0x20));
        w->q[2 * p + 1] = _mm256_shuffle_epi8(table, _mm256_permute2x128_si256(lo, hi, 0x31));
        w->aq[2 * p] = _mm256_sign_epi8(w->q[2 * p], w->q[2 * p]);
        w->aq[2 * p + 1] = _mm256_sign_epi8(w->q[2 * p + 1], w->q[2 * p + 1]);
    }
    /* scale j = nibble j of the scales_l word | bits 2j..2j+1 of scales_h << 4, in
     * 32-bit lanes j = 0..7 (variable shifts), then packed to int16 in both halves */
    uint32_t low;
    memcpy(&low, b->scales_l, 4);
    __m256i l = _mm256_srlv_epi32(_mm256_set1_epi32((int)low),
                                  _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28));
    __m256i h = _mm256_srlv_epi32(_mm256_set1_epi32(b->scales_h),
                                  _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14));
    __m256i ls = _mm256_or_si256(_mm256_and_si256(l, _mm256_set1_epi32(0x0f)),
                                 _mm256_slli_epi32(_mm256_and_si256(h, _mm256_set1_epi32(3)), 4));
    ls = _mm256_sub_epi32(ls, _mm256_set1_epi32(32));
    /* packs gives 64-bit groups [ls0-3, ls0-3, ls4-7, ls4-7]; pick groups 0,2,0,2 */
    w->sc = _mm256_permute4x64_epi64(_mm256_packs_epi32(ls, ls), 0x88);
    w->d = kq_half(b->d);
}

/* Exact lanes of sum_j (ls_j - 32) * sum_i q_i * a_i for one column. */
static inline __m256i iq4xs_sumi(const iq4xs_w *w, const block_q8_K *a) {
    __m256i sumi = _mm256_setzero_si256();
    for (int j = 0; j < 8; j++) {
        __m256i act = _mm256_loadu_si256((const __m256i *)(a->qs + 32 * j));
        __m256i p = _mm256_maddubs_epi16(w->aq[j], _mm256_sign_epi8(act, w->q[j]));
        sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p, kq_bcast16(w->sc, j)));
    }
    return sumi;
}

static float iq4xs_row_dot(int64_t nb, const block_iq4_xs *w, const block_q8_K *a) {
    __m256 acc = _mm256_setzero_ps();
    iq4xs_w wb;
    for (int64_t ib = 0; ib < nb; ib++) {
        iq4xs_load(&w[ib], &wb);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(wb.d * a[ib].d),
                              _mm256_cvtepi32_ps(iq4xs_sumi(&wb, &a[ib])), acc);
    }
    return kq_hsum_ps(acc);
}

static void iq4xs_row_dot4(int64_t nb, const block_iq4_xs *w, const block_q8_K *const a[4],
                           float out[4]) {
    __m256 acc[4];
    for (int k = 0; k < 4; k++)
        acc[k] = _mm256_setzero_ps();
    iq4xs_w wb;
    for (int64_t ib = 0; ib < nb; ib++) {
        iq4xs_load(&w[ib], &wb);
        for (int k = 0; k < 4; k++)
            acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(wb.d * a[k][ib].d),
                                     _mm256_cvtepi32_ps(iq4xs_sumi(&wb, &a[k][ib])), acc[k]);
    }
    for (int k = 0; k < 4; k++)
        out[k] = kq_hsum_ps(acc[k]);
}

void hearth_vec_dot_iq4_xs_q8_k_avx2(KQ_VEC_DOT_ARGS) {
    *out = iq4xs_row_dot(n / QK_K, w, a);
}

/* Column tiles of 16 (kept in L2), rows inside, 4 columns per pass. */
void hearth_mat_dot_iq4_xs_q8_k_avx2(KQ_MAT_DOT_ARGS) {
    const int64_t nb = n / QK_K;
    for (int64_t c0 = 0; c0 < nc; c0 += 16) {
        int64_t c1 = c0 + 16 < nc ? c0 + 16 : nc;
        for (int64_t r = 0; r < nr; r++) {
            const block_iq4_xs *row = (const void *)((const char *)w + r * w_stride);
            int64_t c = c0;
            for (; c + 4 <= c1; c += 4) {
                const block_q8_K *cols[4];
                float res[4];
                for (int k = 0; k < 4; k++)
                    cols[k] = kq_col(a, a_stride, c + k);
                iq4xs_row_dot4(nb, row, cols, res);
                for (int k = 0; k < 4; k++)
                    out[(c + k) * ldo + r] = res[k];
            }
            for (; c < c1; c++)
                out[c * ldo + r] = iq4xs_row_dot(nb, row, kq_col(a, a_stride, c));
        }
    }
}
