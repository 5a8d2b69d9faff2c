/* q4_k_block.h - one Q4_K (or Q5_K) block against Q8_K activations, the
 * pieces shared by the GGUF-order kernels (q4_k_body.h) and the X4 layout's
 * (q4_k_x4_body.h), compiled by both AVX-512 tiers (KQ512_DPWSSD: see
 * kquant_util.h).
 *
 * Chunk c (32 bytes of qs) is loaded into both halves of a zmm; shifting the
 * upper half by 4 and masking gives [sub-block 2c | sub-block 2c+1], 64 levels
 * that line up with 64 contiguous activations. maddubs (|pair| <= 2*15*128)
 * then a word multiply-add with [sc_2c x16 | sc_2c+1 x16] gives 16 exact int32
 * lanes per block, added to 16 float lanes with one FMA by d*da. The min term
 * is madd(sums of the 8 activation sub-blocks, mins): 4 exact int32 lanes,
 * added by one FMA by dmin*da to a second accumulator. For Q4_K the min terms
 * of block ib go to slot ib % 4 of four 4-lane accumulators (or of one zmm:
 * the same float operation per lane), because the X4 kernels add four blocks'
 * min terms with one FMA, one block per slot; the slots are summed in a
 * fixed order at the end.
 *
 * Q5_K is the same kernel with a fifth bit (Q45_FIFTH_BIT, set by the q5_k.c
 * files): bit 4 of value l of sub-block j is bit j of qh[l]; qh is broadcast
 * like a chunk of qs, one byte test per chunk picks the values whose bit is
 * set and a masked add puts 16 on them. Levels 0..31: maddubs pairs stay
 * <= 2*31*128, and scales, mins and d/dmin are Q4_K's. Its min terms go to
 * one 4-lane accumulator, block after block (it has no repacked layout).
 */
#ifndef HEARTH_Q4_K_BLOCK_AVX512_H
#define HEARTH_Q4_K_BLOCK_AVX512_H

#include "kquant_util.h"

#ifdef Q45_FIFTH_BIT
#define Q45_BLOCK block_q5_K
#else
#define Q45_BLOCK block_q4_K
#endif

/* A decoded weight block. */
typedef struct {
    __m512i lv[4]; /* levels of chunk c: [sub-block 2c | 2c+1] */
    __m512i sc[4]; /* int16 scales under those levels */
    __m128i mins;  /* m0..m7 as int16 */
    __m128 dd;     /* [d, dmin, ., .] */
} q4k_w;

/* pshufb controls: int16 lane = byte 2c (low 256 bits) or 2c+1 (high), zero-extended. */
#define Q4K_C8(v) v, v, v, v, v, v, v, v
#define Q4K_CTL(c) {Q4K_C8(0x8000 | (2 * (c))), Q4K_C8(0x8000 | (2 * (c))),                 \
                    Q4K_C8(0x8000 | (2 * (c) + 1)), Q4K_C8(0x8000 | (2 * (c) + 1))}
static const uint16_t q4k_sc_ctl[4][32] __attribute__((aligned(64))) = {Q4K_CTL(0), Q4K_CTL(1),
                                                                        Q4K_CTL(2), Q4K_CTL(3)};
#undef Q4K_CTL
#undef Q4K_C8

static inline __attribute__((always_inline)) void q4k_decode(const Q45_BLOCK *b, q4k_w *o) {
    /* bytes [sc0..7 | m0..7] from the 12 packed bytes (reads 16: the last 4
     * are qs of the same block) */
    __m128i v = _mm_loadu_si128((const __m128i *)b->scales);
    __m128i lo = _mm_srlv_epi32(_mm_shuffle_epi32(v, _MM_SHUFFLE(2, 1, 2, 0)),
                                _mm_setr_epi32(0, 0, 0, 4));
    lo = _mm_and_si128(lo, _mm_setr_epi32(0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f));
    __m128i hi = _mm_srli_epi32(_mm_shuffle_epi32(v, _MM_SHUFFLE(1, 1, 0, 0)), 2);
    hi = _mm_and_si128(hi, _mm_setr_epi32(0, 0x30303030, 0, 0x30303030));
    __m128i sm = _mm_or_si128(lo, hi);
    __m512i smz = _mm512_broadcast_i32x4(sm);
    _Pragma("GCC unroll 8")
    for (int c = 0; c < 4; c++)
        o->sc[c] = _mm512_shuffle_epi8(smz, _mm512_load_si512(q4k_sc_ctl[c]));
    o->mins = _mm_shuffle_epi8(sm, _mm_setr_epi8(8, -128, 9, -128, 10, -128, 11, -128, 12, -128,
                                                 13, -128, 14, -128, 15, -128)); /* m0..7 */
    const __m512i shift = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(4), 1);
    _Pragma("GCC unroll 8")
    for (int c = 0; c < 4; c++) {
        __m512i q = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(b->qs + 32 * c)));
        o->lv[c] = _mm512_and_si512(_mm512_srlv_epi16(q, shift), _mm512_set1_epi8(0x0f));
    }
#ifdef Q45_FIFTH_BIT
    const __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)b->qh));
    _Pragma("GCC unroll 8")
    for (int c = 0; c < 4; c++) {
        const __m512i bit = _mm512_inserti64x4(_mm512_set1_epi8((char)(1 << (2 * c))),
                                               _mm256_set1_epi8((char)(1 << (2 * c + 1))), 1);
        o->lv[c] = _mm512_mask_add_epi8(o->lv[c], _mm512_test_epi8_mask(qh, bit), o->lv[c],
                                        _mm512_set1_epi8(16));
    }
#endif
    uint32_t dpair;
    memcpy(&dpair, &b->d, 4); /* d, dmin adjacent */
    o->dd = _mm_cvtph_ps(_mm_cvtsi32_si128((int)dpair));
}

/* sum_j sc_j (q . a)_j as 16 exact int32 lanes (levels and scales of one block). */
static inline __attribute__((always_inline)) __m512i q4k_sumi(const __m512i lv[4],
                                                              const __m512i sc[4],
                                                              const int8_t *qs) {
    __m512i sumi = _mm512_madd_epi16(_mm512_maddubs_epi16(lv[0], _mm512_loadu_si512(qs)), sc[0]);
    _Pragma("GCC unroll 8")
    for (int c = 1; c < 4; c++)
        sumi = KQ512_DPWSSD(sumi, _mm512_maddubs_epi16(lv[c], _mm512_loadu_si512(qs + 64 * c)),
                            sc[c]);
    return sumi;
}

/* acc += d*da * sum_j sc_j (q . a)_j lane-wise; returns [d*da, dmin*da, ...]. */
static inline __attribute__((always_inline)) __m128 q4k_main(const q4k_w *w, const int8_t *qs,
                                                             float da, __m512 *acc) {
    const __m512i sumi = q4k_sumi(w->lv, w->sc, qs);
    const __m128 dd = _mm_mul_ps(w->dd, _mm_set1_ps(da));
    *acc = _mm512_fmadd_ps(_mm512_broadcastss_ps(dd), _mm512_cvtepi32_ps(sumi), *acc);
    return dd;
}

/* The min term, dmin*da * mins . bsum8, added by one FMA to 4 float lanes:
 * those of a 4-lane accumulator m, or the slot (ib % 4) of a zmm. */
static inline __attribute__((always_inline)) void q4k_min(const q4k_w *w, __m128 dd, __m128i bs8,
                                                          __m128 *m) {
    *m = _mm_fmadd_ps(_mm_shuffle_ps(dd, dd, _MM_SHUFFLE(1, 1, 1, 1)),
                      _mm_cvtepi32_ps(_mm_madd_epi16(w->mins, bs8)), *m);
}

static inline __attribute__((always_inline)) void q4k_min_slot(const q4k_w *w, __m128 dd,
                                                               __m128i bs8, int64_t ib,
                                                               __m512 *m) {
    const __m512 msum = _mm512_cvtepi32_ps(_mm512_broadcast_i32x4(_mm_madd_epi16(w->mins, bs8)));
    const __m512 dmin = _mm512_permutexvar_ps(_mm512_set1_epi32(1), _mm512_castps128_ps512(dd));
    *m = _mm512_mask3_fmadd_ps(dmin, msum, *m, (__mmask16)(0xfu << (4 * (ib & 3))));
}

/* The dot product from the accumulators: hsum(acc) minus the min terms' sum,
 * which for slots is (slot 0 + slot 2) + (slot 1 + slot 3), then across the
 * four lanes (kq512_hsum_ps's order, whichever way the slots were held). */
static inline float q4k_result(__m512 acc, __m128 m) {
    return kq512_hsum_ps(acc) - kq512_hsum128_ps(m);
}

static inline float q4k_result_slots(__m512 acc, __m512 m) {
    return kq512_hsum_ps(acc) - kq512_hsum_ps(m);
}

#endif /* HEARTH_Q4_K_BLOCK_AVX512_H */

