/* q6_k.c (AVX2) - Q6_K x Q8_K dot products: vec_dot and the matmul tile.
 *
 * Per half h of a block (128 values): ql[64h..64h+63] and qh[32h..32h+31] give
 * four vectors of 32 unsigned levels q in 0..63 (values 128h + 32k + l):
 *     k=0: ql0 & 15 | (qh & 3) << 4      k=1: ql1 & 15 | (qh >> 2 & 3) << 4
 *     k=2: ql0 >> 4 | (qh >> 4 & 3) << 4  k=3: ql1 >> 4 | (qh >> 6 & 3) << 4
 * maddubs(q, act) (|pair| <= 2*63*128 fits int16) then madd with the two int8
 * scales of the vector's sub-blocks gives int32 lanes; the -32 offset is taken
 * out exactly with the bsums: sum sc (q - 32) a = sum sc q a - 32 sum sc bsum.
 * One FMA per block adds (d*da) * lanes to the float accumulator.
 */
#include "kquant_util.h"

/* Controls picking int16 lane 2q (low half) and 2q + 1 (high half), q = 0..3. */
#define KQ_P4(v) v, v, v, v
#define KQ_P(q) {KQ_P4(0x0100 + 0x0202 * 2 * (q)), KQ_P4(0x0100 + 0x0202 * 2 * (q)), \
                 KQ_P4(0x0100 + 0x0202 * (2 * (q) + 1)), KQ_P4(0x0100 + 0x0202 * (2 * (q) + 1))}
static const int16_t pair_ctl[4][16] __attribute__((aligned(32))) = {KQ_P(0), KQ_P(1), KQ_P(2),
                                                                      KQ_P(3)};
#undef KQ_P
#undef KQ_P4

/* Scale vector of pair p = 4h + k: [sc[2p] x8 | sc[2p+1] x8]. */
static inline __m256i q6k_pair_scale(__m256i lowdup, __m256i highdup, int p) {
    __m256i src = p < 4 ? lowdup : highdup;
    return _mm256_shuffle_epi8(src, _mm256_load_si256((const __m256i *)pair_ctl[p % 4]));
}

/* The 8 level vectors of a block (index 4h + k). */
static inline void q6k_levels(const block_q6_K *b, __m256i q[8]) {
    const __m256i low4 = _mm256_set1_epi8(0x0f), top2 = _mm256_set1_epi8(0x30);
    for (int h = 0; h < 2; h++) {
        __m256i ql0 = _mm256_loadu_si256((const __m256i *)(b->ql + 64 * h));
        __m256i ql1 = _mm256_loadu_si256((const __m256i *)(b->ql + 64 * h + 32));
        __m256i qh = _mm256_loadu_si256((const __m256i *)(b->qh + 32 * h));
        q[4 * h + 0] = _mm256_or_si256(_mm256_and_si256(ql0, low4),
                                       _mm256_and_si256(_mm256_slli_epi16(qh, 4), top2));
        q[4 * h + 1] = _mm256_or_si256(_mm256_and_si256(ql1, low4),
                                       _mm256_and_si256(_mm256_slli_epi16(qh, 2), top2));
        q[4 * h + 2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4),
                                       _mm256_and_si256(qh, top2));
        q[4 * h + 3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4),
                                       _mm256_and_si256(_mm256_srli_epi16(qh, 2), top2));
    }
}

/* Exact lanes of sum_j sc_j * sum_i (q_i - 32) * a_i for one column. */
static inline __m256i q6k_sumi(const __m256i q[8], const __m256i sc[8], __m256i sc16,
                               const block_q8_K *a) {
    __m256i sumi = _mm256_setzero_si256();
    for (int p = 0; p < 8; p++) {
        __m256i act = _mm256_loadu_si256((const __m256i *)(a->qs + 32 * p));
        sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(_mm256_maddubs_epi16(q[p], act), sc[p]));
    }
    __m256i bs = _mm256_loadu_si256((const __m256i *)a->bsums);
    return _mm256_sub_epi32(sumi, _mm256_slli_epi32(_mm256_madd_epi16(bs, sc16), 5));
}

/* Scales of a block: sc16 = all 16 as int16, pair[p] for each level vector. */
static inline __m256i q6k_scales(const block_q6_K *b, __m256i pair[8]) {
    __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)b->scales));
    __m256i lowdup = _mm256_permute2x128_si256(sc16, sc16, 0x00);
    __m256i highdup = _mm256_permute2x128_si256(sc16, sc16, 0x11);
    for (int p = 0; p < 8; p++)
        pair[p] = q6k_pair_scale(lowdup, highdup, p);
    return sc16;
}

static float q6k_row_dot(int64_t nb, const block_q6_K *w, const block_q8_K *a) {
    __m256 acc = _mm256_setzero_ps();
    for (int64_t ib = 0; ib < nb; ib++) {
        __m256i q[8], sc[8];
        q6k_levels(&w[ib], q);
        __m256i sc16 = q6k_scales(&w[ib], sc);
        __m256i sumi = q6k_sumi(q, sc, sc16, &a[ib]);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(kq_half(w[ib].d) * a[ib].d), _mm256_cvtepi32_ps(sumi),
                              acc);
    }
    return kq_hsum_ps(acc);
}

/* Four columns per unpacked block; per column the float operations of q6k_row_dot. */
static void q6k_row_dot4(int64_t nb, const block_q6_K *w, const block_q8_K *const a[4],
                         float out[4]) {
    __m256 acc[4];
    for (int k = 0; k < 4; k++)
        acc[k] = _mm256_setzero_ps();
    for (int64_t ib = 0; ib < nb; ib++) {
        __m256i q[8], sc[8];
        q6k_levels(&w[ib], q);
        __m256i sc16 = q6k_scales(&w[ib], sc);
        float d = kq_half(w[ib].d);
        for (int k = 0; k < 4; k++) {
            __m256i sumi = q6k_sumi(q, sc, sc16, &a[k][ib]);
            acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(d * a[k][ib].d), _mm256_cvtepi32_ps(sumi),
                                     acc[k]);
        }
    }
    for (int k = 0; k < 4; k++)
        out[k] = kq_hsum_ps(acc[k]);
}

void hearth_vec_dot_q6_k_q8_k_avx2(KQ_VEC_DOT_ARGS) {
    *out = q6k_row_dot(n / QK_K, w, a);
}

/* Column tiles of 16 (kept in L2), rows inside, 4 columns per pass. */
void hearth_mat_dot_q6_k_q8_k_avx2(KQ_MAT_DOT_ARGS) {
    const int64_t nb = n / QK_K;
    for (int64_t c0 = 0; c0 < nc; c0 += 16) {
        int64_t c1 = c0 + 16 < nc ? c0 + 16 : nc;
        for (int64_t r = 0; r < nr; r++) {
            const block_q6_K *row = (const void *)((const char *)w + r * w_stride);
            int64_t c = c0;
            for (; c + 4 <= c1; c += 4) {
                const block_q8_K *cols[4];
                float res[4];
                for (int k = 0; k < 4; k++)
                    cols[k] = kq_col(a, a_stride, c + k);
                q6k_row_dot4(nb, row, cols, res);
                for (int k = 0; k < 4; k++)
                    out[(c + k) * ldo + r] = res[k];
            }
            for (; c < c1; c++)
                out[c * ldo + r] = q6k_row_dot(nb, row, kq_col(a, a_stride, c));
        }
    }
}
