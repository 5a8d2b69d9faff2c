/* q6_k.c (AVX-512) - Q6_K x Q8_K dot products: vec_dot and the matmul tile.
 *
 * Per half h, L = ql[64h..64h+63] and H = qh[32h..32h+31] in both zmm halves give
 * two vectors of 64 levels (values 128h + 0..63 and 128h + 64..127):
 *     A = L & 15 | (H << [4 | 2]) & 0x30      B = L >> 4 & 15 | (H >> [0 | 2]) & 0x30
 * maddubs (|pair| <= 2*63*128) then madd with the int16 scales of the four
 * sub-blocks under each 16-lane quarter (vpermw), and the -32 offset removed
 * exactly with madd(bsums, scales) * 32. One FMA per block into 16 float lanes.
 */
#include "kquant_util.h"

/* vpermw indices: zmm z (64 values) -> int16 lane i takes scale 4z + i/8. */
#define KQ_Q8(v) v, v, v, v, v, v, v, v
#define KQ_Z(z) {KQ_Q8(4 * (z)), KQ_Q8(4 * (z) + 1), KQ_Q8(4 * (z) + 2), KQ_Q8(4 * (z) + 3)}
static const int16_t scale_idx[4][32] __attribute__((aligned(64))) = {KQ_Z(0), KQ_Z(1), KQ_Z(2),
                                                                       KQ_Z(3)};
#undef KQ_Z
#undef KQ_Q8

static inline void q6k_levels(const block_q6_K *b, __m512i lv[4]) {
    const __m512i low4 = _mm512_set1_epi8(0x0f), top2 = _mm512_set1_epi8(0x30);
    const __m512i shl = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
    const __m512i shr = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
    for (int h = 0; h < 2; h++) {
        __m512i l = _mm512_loadu_si512(b->ql + 64 * h);
        __m512i hb = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(b->qh + 32 * h)));
        lv[2 * h] = _mm512_or_si512(_mm512_and_si512(l, low4),
                                    _mm512_and_si512(_mm512_sllv_epi16(hb, shl), top2));
        lv[2 * h + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l, 4), low4),
                                        _mm512_and_si512(_mm512_srlv_epi16(hb, shr), top2));
    }
}

/* Scales: sc16 (ymm, 16 int16) and the four per-vector scale layouts. */
static inline __m256i q6k_scales(const block_q6_K *b, __m512i scale[4]) {
    __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)b->scales));
    __m512i z = _mm512_zextsi256_si512(sc16);
    for (int v = 0; v < 4; v++)
        scale[v] = _mm512_permutexvar_epi16(_mm512_load_si512(scale_idx[v]), z);
    return sc16;
}

/* Exact lanes of sum_j sc_j * sum_i (q_i - 32) * a_i for one column. */
static inline __m512i q6k_sumi(const __m512i lv[4], const __m512i scale[4], __m256i sc16,
                               const block_q8_K *a) {
    __m512i sumi = _mm512_setzero_si512();
    for (int v = 0; v < 4; v++) {
        __m512i p = _mm512_maddubs_epi16(lv[v], _mm512_loadu_si512(a->qs + 64 * v));
        sumi = _mm512_add_epi32(sumi, _mm512_madd_epi16(p, scale[v]));
    }
    __m256i bs = _mm256_loadu_si256((const __m256i *)a->bsums);
    __m256i off = _mm256_slli_epi32(_mm256_madd_epi16(bs, sc16), 5);
    return _mm512_sub_epi32(sumi, _mm512_zextsi256_si512(off));
}

static float q6k_row_dot(int64_t nb, const block_q6_K *w, const block_q8_K *a) {
    __m512 acc = _mm512_setzero_ps();
    for (int64_t ib = 0; ib < nb; ib++) {
        __m512i lv[4], scale[4];
        q6k_levels(&w[ib], lv);
        __m256i sc16 = q6k_scales(&w[ib], scale);
        __m512i sumi = q6k_sumi(lv, scale, sc16, &a[ib]);
        acc = _mm512_fmadd_ps(_mm512_set1_ps(kq512_half(w[ib].d) * a[ib].d),
                              _mm512_cvtepi32_ps(sumi), acc);
    }
    return kq512_hsum_ps(acc);
}

static void q6k_row_dot4(int64_t nb, const block_q6_K *w, const block_q8_K *const a[4],
                         float out[4]) {
    __m512 acc[4];
    for (int k = 0; k < 4; k++)
        acc[k] = _mm512_setzero_ps();
    for (int64_t ib = 0; ib < nb; ib++) {
        __m512i lv[4], scale[4];
        q6k_levels(&w[ib], lv);
        __m256i sc16 = q6k_scales(&w[ib], scale);
        float d = kq512_half(w[ib].d);
        for (int k = 0; k < 4; k++) {
            __m512i sumi = q6k_sumi(lv, scale, sc16, &a[k][ib]);
            acc[k] = _mm512_fmadd_ps(_mm512_set1_ps(d * a[k][ib].d), _mm512_cvtepi32_ps(sumi),
                                     acc[k]);
        }
    }
    for (int k = 0; k < 4; k++)
        out[k] = kq512_hsum_ps(acc[k]);
}

void hearth_vec_dot_q6_k_q8_k_avx512(KQ_VEC_DOT_ARGS) {
    *out = q6k_row_dot(n / QK_K, w, a);
}

/* Column tiles of 16 (kept in L2), rows inside, 4 columns per pass. */
void hearth_mat_dot_q6_k_q8_k_avx512(KQ_MAT_DOT_ARGS) {
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
                    cols[k] = kq512_col(a, a_stride, c + k);
                q6k_row_dot4(nb, row, cols, res);
                for (int k = 0; k < 4; k++)
                    out[(c + k) * ldo + r] = res[k];
            }
            for (; c < c1; c++)
                out[c * ldo + r] = q6k_row_dot(nb, row, kq512_col(a, a_stride, c));
        }
    }
}
