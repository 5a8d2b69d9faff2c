/* iq4_xs_body.h - IQ4_XS x Q8_K dot products, compiled by both AVX-512 tiers
 * (kernels/x86/avx512/iq4_xs.c and kernels/x86/avx512vnni/iq4_xs.c).
 *
 * 64 bytes of qs are four sub-blocks: in 128-bit lane j, the low nibbles are
 * values 0..15 of sub-block j, the high nibbles values 16..31. Rather than
 * regroup the weights, the activations are regrouped to match (two 128-bit
 * lane shuffles of the two 64-byte loads), so after the products lane j of
 * the int32 sums belongs to sub-block j alone: one vpmulld by the scales
 * [s_j x4] (s = ls - 32) gives the block's exact int32 lanes.
 *
 * The levels are signed (-127..113) and so are the activations:
 * - VNNI: vpdpbusd takes the levels biased to unsigned (q = level + 128,
 *   1..241) with no pair saturation; the bias comes back out per block
 *   through the sub-block sums of the activations, sum q*a*s = sum
 *   level*a*s + 128 * sum_j s_j * bsum_j (one word multiply-add of 8 scales
 *   by 8 sums, into its own 4-lane accumulator);
 * - plain AVX-512: vpmaddubsw would saturate on biased levels (2*241*127 >
 *   32767), so it multiplies |level| by the activations negated where the
 *   level is negative (|pair| <= 2*127*127) and widens with vpmaddwd; no bias.
 * Both give the same integers. The block's lanes go to float with one FMA
 * by d*da; the result is hsum(acc) - hsum(acc_bias).
 * Ranges: |lane| <= 8 * 241 * 127 * 32 per sub-block, |bias| <= 128 * 8 * 32
 * * 4064: all well inside int32.
 *
 * A block is decoded once and meets 1..8 columns; every (row, column) goes
 * through the same float operations whatever the tile, so mat_dot gives
 * vec_dot's bits for every output.
 */
#include "kquant_util.h"

/* Only VNNI's bias term needs the activations' sub-block sums. */
#ifdef KQ512_VNNI
#define KQ512_IQ4XS_PREP true
#else
#define KQ512_IQ4XS_PREP false
#endif

/* A decoded weight block. */
typedef struct {
    __m512i lo[2], hi[2]; /* half h, low / high nibbles: biased levels (VNNI), |levels| */
#ifndef KQ512_VNNI
    __mmask64 neg_lo[2], neg_hi[2]; /* the negative levels (plain AVX-512) */
#endif
    __m512i sc[2];        /* int32 s_j of sub-block 4h + lane / 4 */
    __m128i sc16;         /* s_0..s_7 as int16 */
    float d;
} iq4xs_w;

static inline __attribute__((always_inline)) void iq4xs_decode(const block_iq4_xs *b,
                                                               __m512i table, iq4xs_w *o) {
    const __m512i low4 = _mm512_set1_epi8(0x0f);
    _Pragma("GCC unroll 2")
    for (int h = 0; h < 2; h++) {
        const __m512i v = _mm512_loadu_si512(b->qs + 64 * h);
        o->lo[h] = _mm512_shuffle_epi8(table, _mm512_and_si512(v, low4));
        o->hi[h] = _mm512_shuffle_epi8(table, _mm512_and_si512(_mm512_srli_epi16(v, 4), low4));
#ifndef KQ512_VNNI
        o->neg_lo[h] = _mm512_movepi8_mask(o->lo[h]);
        o->neg_hi[h] = _mm512_movepi8_mask(o->hi[h]);
        o->lo[h] = _mm512_abs_epi8(o->lo[h]);
        o->hi[h] = _mm512_abs_epi8(o->hi[h]);
#endif
    }
    /* s_j = (nibble j of scales_l | bits 2j..2j+1 of scales_h << 4) - 32 in
     * int32 lane j, then spread to four lanes each */
    uint32_t low;
    memcpy(&low, b->scales_l, 4);
    const __m256i l = _mm256_srlv_epi32(_mm256_set1_epi32((int)low),
                                        _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28));
    const __m256i hb = _mm256_srlv_epi32(_mm256_set1_epi32(b->scales_h),
                                         _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14));
    __m256i s = _mm256_or_si256(_mm256_and_si256(l, _mm256_set1_epi32(0x0f)),
                                _mm256_slli_epi32(_mm256_and_si256(hb, _mm256_set1_epi32(3)), 4));
    s = _mm256_sub_epi32(s, _mm256_set1_epi32(32));
    const __m512i s512 = _mm512_castsi256_si512(s);
    o->sc[0] = _mm512_permutexvar_epi32(
        _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3), s512);
    o->sc[1] = _mm512_permutexvar_epi32(
        _mm512_setr_epi32(4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7), s512);
    o->sc16 = _mm256_cvtepi32_epi16(s);
    o->d = kq512_half(b->d);
}

/* The levels in every 128-bit lane, biased to unsigned for VNNI (level ^ 0x80
 * = level + 128). */
static inline __m512i iq4xs_table(void) {
    const __m128i t = _mm_loadu_si128((const __m128i *)hearth_kvalues_iq4nl);
#ifdef KQ512_VNNI
    return _mm512_broadcast_i32x4(_mm_xor_si128(t, _mm_set1_epi8((char)0x80)));
#else
    return _mm512_broadcast_i32x4(t);
#endif
}

/* Exact int32 lanes of the products of one half's levels with x and y. */
static inline __attribute__((always_inline)) __m512i iq4xs_products(const iq4xs_w *w, int h,
                                                                    __m512i x, __m512i y) {
#ifdef KQ512_VNNI
    return _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), w->lo[h], x),
                               w->hi[h], y);
#else
    const __m512i zero = _mm512_setzero_si512(), ones = _mm512_set1_epi16(1);
    x = _mm512_mask_sub_epi8(x, w->neg_lo[h], zero, x);
    y = _mm512_mask_sub_epi8(y, w->neg_hi[h], zero, y);
    return _mm512_add_epi32(_mm512_madd_epi16(_mm512_maddubs_epi16(w->lo[h], x), ones),
                            _mm512_madd_epi16(_mm512_maddubs_epi16(w->hi[h], y), ones));
#endif
}

/* acc += d*da * (exact lanes of sum q*a*s); acc_b += d*da * 128 * sum_j s_j bsum_j. */
static inline __attribute__((always_inline)) void iq4xs_step(const iq4xs_w *w,
                                                             const block_q8_K *a, __m128i bs8,
                                                             __m512 *acc, __m128 *acc_b) {
    __m512i sumi = _mm512_setzero_si512();
    _Pragma("GCC unroll 2")
    for (int h = 0; h < 2; h++) {
        const __m512i a0 = _mm512_loadu_si512(a->qs + 128 * h);
        const __m512i a1 = _mm512_loadu_si512(a->qs + 128 * h + 64);
        /* lane j: values 0..15 (x) and 16..31 (y) of sub-block 4h + j */
        const __m512i x = _mm512_shuffle_i64x2(a0, a1, _MM_SHUFFLE(2, 0, 2, 0));
        const __m512i y = _mm512_shuffle_i64x2(a0, a1, _MM_SHUFFLE(3, 1, 3, 1));
        sumi = _mm512_add_epi32(sumi, _mm512_mullo_epi32(iq4xs_products(w, h, x, y), w->sc[h]));
    }
    const float dd = w->d * a->d;
    *acc = _mm512_fmadd_ps(_mm512_set1_ps(dd), _mm512_cvtepi32_ps(sumi), *acc);
#ifdef KQ512_VNNI
    const __m128i bias = _mm_slli_epi32(_mm_madd_epi16(w->sc16, bs8), 7);
    *acc_b = _mm_fmadd_ps(_mm_set1_ps(dd), _mm_cvtepi32_ps(bias), *acc_b);
#else
    (void)bs8; /* no bias: acc_b stays 0 */
#endif
}

/* One row against C columns (C <= 8), the decoded block reused across them. */
static inline __attribute__((always_inline)) void iq4xs_tile(int64_t nb, int C,
                                                             const block_iq4_xs *w,
                                                             const block_q8_K *const *a,
                                                             const __m128i *bs8, float *out,
                                                             int64_t ldo) {
    const __m512i table = iq4xs_table();
    __m512 acc[8];
    __m128 acc_b[8];
    _Pragma("GCC unroll 8")
    for (int k = 0; k < C; k++) {
        acc[k] = _mm512_setzero_ps();
        acc_b[k] = _mm_setzero_ps();
    }
    for (int64_t ib = 0; ib < nb; ib++) {
        iq4xs_w d;
        iq4xs_decode(&w[ib], table, &d);
        _Pragma("GCC unroll 8")
        for (int k = 0; k < C; k++) {
            const block_q8_K *ak = &a[k][ib];
            __m128i s = bs8 ? _mm_load_si128(&bs8[k * KQ512_PREP_BLOCKS + ib]) : kq512_bsum8(ak);
            iq4xs_step(&d, ak, s, &acc[k], &acc_b[k]);
        }
    }
    _Pragma("GCC unroll 8")
    for (int k = 0; k < C; k++)
        out[k * ldo] = kq512_hsum_ps(acc[k]) - kq512_hsum128_ps(acc_b[k]);
}

void KQ512_NAME(hearth_vec_dot_iq4_xs_q8_k)(KQ_VEC_DOT_ARGS) {
    const block_q8_K *cols[1] = {a};
    iq4xs_tile(n / QK_K, 1, w, cols, NULL, out, 1);
}

void KQ512_NAME(hearth_mat_dot_iq4_xs_q8_k)(KQ_MAT_DOT_ARGS) {
    KQ512_MAT_DOT_BODY(iq4xs_tile, KQ512_IQ4XS_PREP)
}
