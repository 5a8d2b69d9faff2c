/* q23_k_body.h - Q2_K and Q3_K x Q8_K dot products, compiled by both AVX-512
 * tiers (kernels/x86/avx512/q23_k.c and kernels/x86/avx512vnni/q23_k.c;
 * KQ512_DPWSSD as in q4_k_body.h).
 *
 * Both formats keep 2 low bits of value 128h + 32k + l at bits 2k..2k+1 of
 * qs[32h + l], and one int scale per 16 values. Half h of qs (32 bytes) is
 * loaded into both halves of a zmm; shifting the halves by [2k | 2k+2] and
 * masking gives the levels of values 128h + 64k'.. + 63 (k = 2k'), in the
 * order of the activations. Q3_K adds its high bit (bit 4h + k of hmask[l]):
 * one byte test per vector and a masked add of 4; its levels are then
 * u - 4 with u in 0..7. maddubs (|pair| <= 2*7*127) then a word multiply-add
 * with the scales spread to [s_4c x8 | s_4c+1 x8 | s_4c+2 x8 | s_4c+3 x8]
 * gives 16 exact int32 lanes per block, added to 16 float lanes with one FMA
 * by d*da. What is left is one term per 16 values with the Q8_K bsums:
 * Q2_K subtracts dmin * sum m_j bsum_j, Q3_K subtracts 4d * sum s_j bsum_j
 * (the -4 offset); both go through one word multiply-add into an 8-lane
 * accumulator. The result is hsum(acc) - hsum(acc_c).
 *
 * A weight block is decoded once and then meets 1..8 columns; every (row,
 * column) goes through the same float operations in the same order whatever
 * the tile, so mat_dot gives vec_dot's bits for every output.
 */
#include "kquant_util.h"

/* A decoded weight block. */
typedef struct {
    __m512i lv[4];  /* levels of values 64c .. 64c + 63 */
    __m512i sc[4];  /* int16 scale under each maddubs lane of lv[c] */
    __m256i corr;   /* per 16 values: Q2_K's mins, Q3_K's scales */
    float d, dcorr; /* d and the factor of corr: dmin (Q2_K), 4d (Q3_K, exact) */
} k23_w;

/* pshufb controls: int16 lane q*8 + i of vector c = word (4c + q) % 8 of the
 * 128-bit half of the 16 scales that holds it. */
#define K23_W8(v) v, v, v, v, v, v, v, v
#define K23_WORD(j) (0x0100 * (2 * ((j) % 8) + 1) + 2 * ((j) % 8))
#define K23_CTL(c) {K23_W8(K23_WORD(4 * (c))), K23_W8(K23_WORD(4 * (c) + 1)),              \
                    K23_W8(K23_WORD(4 * (c) + 2)), K23_W8(K23_WORD(4 * (c) + 3))}
static const uint16_t k23_sc_ctl[4][32] __attribute__((aligned(64))) = {K23_CTL(0), K23_CTL(1),
                                                                        K23_CTL(2), K23_CTL(3)};
#undef K23_CTL
#undef K23_WORD
#undef K23_W8

/* Low 2-bit levels of both halves of qs, and the scale vectors from the 16
 * int16 scales. */
static inline __attribute__((always_inline)) void k23_levels_scales(const uint8_t *qs,
                                                                    __m256i sc16, k23_w *o) {
    const __m512i three = _mm512_set1_epi8(3);
    _Pragma("GCC unroll 2")
    for (int h = 0; h < 2; h++) {
        const __m512i q = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(qs + 32 * h)));
        _Pragma("GCC unroll 2")
        for (int k = 0; k < 2; k++) {
            const __m512i shift = _mm512_inserti64x4(_mm512_set1_epi16((short)(4 * k)),
                                                     _mm256_set1_epi16((short)(4 * k + 2)), 1);
            o->lv[2 * h + k] = _mm512_and_si512(_mm512_srlv_epi16(q, shift), three);
        }
    }
    const __m512i lo = _mm512_broadcast_i32x4(_mm256_castsi256_si128(sc16));
    const __m512i hi = _mm512_broadcast_i32x4(_mm256_extracti128_si256(sc16, 1));
    _Pragma("GCC unroll 4")
    for (int c = 0; c < 4; c++)
        o->sc[c] = _mm512_shuffle_epi8(c < 2 ? lo : hi, _mm512_load_si512(k23_sc_ctl[c]));
}

static inline __attribute__((always_inline)) void k23_decode_q2_k(const block_q2_K *b,
                                                                  k23_w *o) {
    const __m128i s = _mm_loadu_si128((const __m128i *)b->scales);
    const __m128i low4 = _mm_set1_epi8(0x0f);
    k23_levels_scales(b->qs, _mm256_cvtepu8_epi16(_mm_and_si128(s, low4)), o);
    o->corr = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(s, 4), low4));
    o->d = kq512_half(b->d);
    o->dcorr = kq512_half(b->dmin);
}

static inline __attribute__((always_inline)) void k23_decode_q3_k(const block_q3_K *b,
                                                                  k23_w *o) {
    uint32_t words[4];
    kq_unpack_q3_scales_words(b->scales, words); /* 6-bit scales biased by 32 */
    const __m128i biased = _mm_setr_epi32((int)words[0], (int)words[1], (int)words[2],
                                          (int)words[3]);
    const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_sub_epi8(biased, _mm_set1_epi8(32)));
    k23_levels_scales(b->qs, sc16, o);
    const __m512i hm = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)b->hmask));
    _Pragma("GCC unroll 4")
    for (int c = 0; c < 4; c++) { /* vector c = (h, k') holds bits 4h + 2k' | 4h + 2k' + 1 */
        const int p = 4 * (c / 2) + 2 * (c % 2);
        const __m512i bit = _mm512_inserti64x4(_mm512_set1_epi8((char)(1 << p)),
                                               _mm256_set1_epi8((char)(1 << (p + 1))), 1);
        o->lv[c] = _mm512_mask_add_epi8(o->lv[c], _mm512_test_epi8_mask(hm, bit), o->lv[c],
                                        _mm512_set1_epi8(4));
    }
    o->corr = sc16;
    o->d = kq512_half(b->d);
    o->dcorr = 4.0f * o->d;
}

/* acc += d*da * sum_j s_j (u . a)_j lane-wise; acc_c += dcorr*da * corr . bsums. */
static inline __attribute__((always_inline)) void k23_step(const k23_w *w, const block_q8_K *a,
                                                           __m512 *acc, __m256 *acc_c) {
    __m512i sumi = _mm512_madd_epi16(_mm512_maddubs_epi16(w->lv[0], _mm512_loadu_si512(a->qs)),
                                     w->sc[0]);
    _Pragma("GCC unroll 4")
    for (int c = 1; c < 4; c++)
        sumi = KQ512_DPWSSD(sumi,
                            _mm512_maddubs_epi16(w->lv[c], _mm512_loadu_si512(a->qs + 64 * c)),
                            w->sc[c]);
    *acc = _mm512_fmadd_ps(_mm512_set1_ps(w->d * a->d), _mm512_cvtepi32_ps(sumi), *acc);
    const __m256i bs = _mm256_loadu_si256((const __m256i *)a->bsums);
    *acc_c = _mm256_fmadd_ps(_mm256_set1_ps(w->dcorr * a->d),
                             _mm256_cvtepi32_ps(_mm256_madd_epi16(w->corr, bs)), *acc_c);
}

static inline float k23_hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    return kq512_hsum128_ps(s);
}

/* One row against C columns (C <= 8); Q3 selects the format (a constant). */
static inline __attribute__((always_inline)) void k23_tile(bool Q3, int64_t nb, int C,
                                                           const void *w,
                                                           const block_q8_K *const *a,
                                                           float *out, int64_t ldo) {
    __m512 acc[8];
    __m256 acc_c[8];
    _Pragma("GCC unroll 8")
    for (int k = 0; k < C; k++) {
        acc[k] = _mm512_setzero_ps();
        acc_c[k] = _mm256_setzero_ps();
    }
    const size_t bytes = Q3 ? sizeof(block_q3_K) : sizeof(block_q2_K);
    for (int64_t ib = 0; ib < nb; ib++) {
        const void *blk = (const char *)w + (size_t)ib * bytes;
        k23_w d;
        if (Q3)
            k23_decode_q3_k(blk, &d);
        else
            k23_decode_q2_k(blk, &d);
        _Pragma("GCC unroll 8")
        for (int k = 0; k < C; k++)
            k23_step(&d, &a[k][ib], &acc[k], &acc_c[k]);
    }
    _Pragma("GCC unroll 8")
    for (int k = 0; k < C; k++)
        out[k * ldo] = kq512_hsum_ps(acc[k]) - k23_hsum256(acc_c[k]);
}

/* The two formats' tiles in the shape KQ512_MAT_DOT_BODY calls (no prepared sums). */
static inline __attribute__((always_inline)) void k2_tile(int64_t nb, int C, const void *w,
                                                          const block_q8_K *const *a,
                                                          const __m128i *unused, float *out,
                                                          int64_t ldo) {
    (void)unused;
    k23_tile(false, nb, C, w, a, out, ldo);
}
static inline __attribute__((always_inline)) void k3_tile(int64_t nb, int C, const void *w,
                                                          const block_q8_K *const *a,
                                                          const __m128i *unused, float *out,
                                                          int64_t ldo) {
    (void)unused;
    k23_tile(true, nb, C, w, a, out, ldo);
}

void KQ512_NAME(hearth_vec_dot_q2_k_q8_k)(KQ_VEC_DOT_ARGS) {
    const block_q8_K *cols[1] = {a};
    k23_tile(false, n / QK_K, 1, w, cols, out, 1);
}

void KQ512_NAME(hearth_mat_dot_q2_k_q8_k)(KQ_MAT_DOT_ARGS) {
    KQ512_MAT_DOT_BODY(k2_tile, false)
}

void KQ512_NAME(hearth_vec_dot_q3_k_q8_k)(KQ_VEC_DOT_ARGS) {
    const block_q8_K *cols[1] = {a};
    k23_tile(true, n / QK_K, 1, w, cols, out, 1);
}

void KQ512_NAME(hearth_mat_dot_q3_k_q8_k)(KQ_MAT_DOT_ARGS) {
    KQ512_MAT_DOT_BODY(k3_tile, false)
}
