/* q4_k_body.h - Q4_K x Q8_K dot products, compiled by both AVX-512 tiers
 * (kernels/x86/avx512/q4_k.c and kernels/x86/avx512vnni/q4_k.c; KQ512_DPWSSD
 * is vpmaddwd + add or, with VNNI, one vpdpwssd: the same exact int32 lanes).
 *
 * Chunk c (32 bytes of qs) is loaded into both halves of a zmm; shifting the
 * upper half by 4 and masking gives [sub-block 2c | sub-block 2c+1], 64 levels
 * that line up with 64 contiguous activations. maddubs (|pair| <= 2*15*128)
 * then a word multiply-add with [sc_2c x16 | sc_2c+1 x16] gives 16 exact int32
 * lanes per block, added to 16 float lanes with one FMA by d*da. The min term
 * is madd(sums of the 8 activation sub-blocks, mins) into a 4-lane
 * accumulator scaled by dmin*da; the result is hsum(acc) - hsum(acc_m).
 *
 * A weight block is decoded once (levels, scale vectors, mins, [d, dmin]) and
 * then meets 1..8 columns; the sub-block sums of the activations are computed
 * once per column and call. Every (row, column) goes through the same float
 * operations in the same order whatever the tile, so mat_dot gives vec_dot's
 * bits for every output.
 *
 * Q5_K is the same kernel with a fifth bit (Q45_FIFTH_BIT, set by the q5_k.c
 * files): bit 4 of value l of sub-block j is bit j of qh[l]; qh is broadcast
 * like a chunk of qs, one byte test per chunk picks the values whose bit is
 * set and a masked add puts 16 on them. Levels 0..31: maddubs pairs stay
 * <= 2*31*128, and scales, mins and d/dmin are Q4_K's.
 */
#include "kquant_util.h"

#ifdef Q45_FIFTH_BIT
#define Q45_BLOCK block_q5_K
#define Q45_VEC_DOT KQ512_NAME(hearth_vec_dot_q5_k_q8_k)
#define Q45_MAT_DOT KQ512_NAME(hearth_mat_dot_q5_k_q8_k)
#else
#define Q45_BLOCK block_q4_K
#define Q45_VEC_DOT KQ512_NAME(hearth_vec_dot_q4_k_q8_k)
#define Q45_MAT_DOT KQ512_NAME(hearth_mat_dot_q4_k_q8_k)
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

/* acc += d*da * sum_j sc_j (q . a)_j lane-wise; acc_m += dmin*da * mins . bsum8. */
static inline __attribute__((always_inline)) void q4k_step(const q4k_w *w, const int8_t *qs, float da, __m128i bs8, __m512 *acc,
                            __m128 *acc_m) {
    __m512i sumi = _mm512_madd_epi16(_mm512_maddubs_epi16(w->lv[0], _mm512_loadu_si512(qs)),
                                     w->sc[0]);
    _Pragma("GCC unroll 8")
    for (int c = 1; c < 4; c++)
        sumi = KQ512_DPWSSD(sumi, _mm512_maddubs_epi16(w->lv[c], _mm512_loadu_si512(qs + 64 * c)),
                            w->sc[c]);
    const __m128 dd = _mm_mul_ps(w->dd, _mm_set1_ps(da));
    *acc = _mm512_fmadd_ps(_mm512_broadcastss_ps(dd), _mm512_cvtepi32_ps(sumi), *acc);
    *acc_m = _mm_fmadd_ps(_mm_shuffle_ps(dd, dd, _MM_SHUFFLE(1, 1, 1, 1)),
                          _mm_cvtepi32_ps(_mm_madd_epi16(w->mins, bs8)), *acc_m);
}

static inline float q4k_result(__m512 acc, __m128 acc_m) {
    return kq512_hsum_ps(acc) - kq512_hsum128_ps(acc_m);
}

/* One row against C columns (C <= 8), the decoded block reused across them. */
static inline __attribute__((always_inline)) void q4k_tile(int64_t nb, int C, const Q45_BLOCK *w, const block_q8_K *const *a,
                            const __m128i *bs8, float *out, int64_t ldo) {
    __m512 acc[8];
    __m128 acc_m[8];
    _Pragma("GCC unroll 8")
    for (int k = 0; k < C; k++) {
        acc[k] = _mm512_setzero_ps();
        acc_m[k] = _mm_setzero_ps();
    }
    for (int64_t ib = 0; ib < nb; ib++) {
        q4k_w d;
        q4k_decode(&w[ib], &d);
        _Pragma("GCC unroll 8")
        for (int k = 0; k < C; k++) {
            const block_q8_K *ak = &a[k][ib];
            __m128i s = bs8 ? _mm_load_si128(&bs8[k * KQ512_PREP_BLOCKS + ib]) : kq512_bsum8(ak);
            q4k_step(&d, ak->qs, ak->d, s, &acc[k], &acc_m[k]);
        }
    }
    _Pragma("GCC unroll 8")
    for (int k = 0; k < C; k++)
        out[k * ldo] = q4k_result(acc[k], acc_m[k]);
}

void Q45_VEC_DOT(KQ_VEC_DOT_ARGS) {
    const block_q8_K *cols[1] = {a};
    q4k_tile(n / QK_K, 1, w, cols, NULL, out, 1);
}

void Q45_MAT_DOT(KQ_MAT_DOT_ARGS) {
    KQ512_MAT_DOT_BODY(q4k_tile, true)
}
