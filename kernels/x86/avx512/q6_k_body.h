/* q6_k_body.h - Q6_K x Q8_K dot products, compiled three times: by the avx512
 * tier (kernels/x86/avx512/q6_k.c), by the avx512vnni tier (KQ512_VNNI) and by
 * that tier again for CPUs with GFNI (KQ512_GFNI, q6_k_gfni.c). All three give
 * the same exact int32 lanes, so the same bits.
 *
 * Per half h, L = ql[64h..64h+63] and H = qh[32h..32h+31] in both zmm halves give
 * two vectors of 64 levels (values 128h + 0..63 and 128h + 64..127):
 *     A = L & 15 | (H << [4 | 2]) & 0x30      B = L >> 4 & 15 | (H >> [0 | 2]) & 0x30
 * (with GFNI, one vgf2p8affineqb per vector moves the two H bits to bits 4-5 of
 * each byte and clears the rest: 10 operations per block instead of 18). The
 * -32 offset is a word multiply-add: bsums (16 sums of 16 activations) times
 * -32*sc into lanes 0-7 (|bsum * 32 * sc| < 2^27, exact). Then dword lane i
 * holds, for each of the four vectors v, sc[4v + i/4] times the dot of values
 * 4i..4i+3 of v:
 * - avx512: maddubs (|pair| <= 2*63*128), then vpmaddwd with the int16 scale of
 *   the sub-block under each 16-value quarter, per vector;
 * - VNNI: vpdpbusd gives the 4-value dots of a vector exactly (|dot| <= 4*63*128
 *   < 2^15), two vectors' dots share each dword as two words, and one vpdpwssd
 *   applies both vectors' scales: 6 multiplying instructions per column and
 *   block instead of 8 (on Zen 4, which runs them on two pipes in 256-bit
 *   halves, they dominate a column's step: 3.3 ns per block and column at 8
 *   columns).
 * One FMA per block by d*da into 16 float lanes.
 *
 * A weight block is decoded once and then meets 1..8 columns; every (row,
 * column) goes through the same operations in the same order whatever the
 * tile, so mat_dot gives vec_dot's bits for every output.
 */
#include "kquant_util.h"

#ifdef KQ512_VNNI
/* vpermw indices of the pairs: word 2i of pair p takes scale 8p + i/4 (vector
 * 2p), word 2i + 1 scale 8p + 4 + i/4 (vector 2p + 1). */
#define KQ_W2(p, i) 8 * (p) + (i) / 4, 8 * (p) + 4 + (i) / 4
#define KQ_W8(p, i) KQ_W2(p, i), KQ_W2(p, (i) + 1), KQ_W2(p, (i) + 2), KQ_W2(p, (i) + 3)
#define KQ_P(p) {KQ_W8(p, 0), KQ_W8(p, 4), KQ_W8(p, 8), KQ_W8(p, 12)}
enum { Q6K_SC = 2 }; /* scale vectors per block: one per pair of level vectors */
static const int16_t q6k_scale_idx[Q6K_SC][32] __attribute__((aligned(64))) = {KQ_P(0), KQ_P(1)};
#undef KQ_P
#undef KQ_W8
#undef KQ_W2
#else
/* vpermw indices: zmm z (64 values) -> int16 lane i takes scale 4z + i/8. */
#define KQ_Q8(v) v, v, v, v, v, v, v, v
#define KQ_Z(z) {KQ_Q8(4 * (z)), KQ_Q8(4 * (z) + 1), KQ_Q8(4 * (z) + 2), KQ_Q8(4 * (z) + 3)}
enum { Q6K_SC = 4 }; /* one per level vector */
static const int16_t q6k_scale_idx[Q6K_SC][32] __attribute__((aligned(64))) = {KQ_Z(0), KQ_Z(1),
                                                                                KQ_Z(2), KQ_Z(3)};
#undef KQ_Z
#undef KQ_Q8
#endif

/* A decoded weight block. */
typedef struct {
    __m512i lv[4]; /* levels 0..63 of values 64v..64v+63 */
    __m512i sc[Q6K_SC]; /* int16 scales under those levels (paired on VNNI) */
    __m512i off;   /* -32 * sc0..15 as int16 in the low 256 bits, zero above */
    float d;
} q6k_w;

static inline __attribute__((always_inline)) void q6k_decode(const block_q6_K *b, q6k_w *o) {
#ifdef KQ512_GFNI
    /* Affine bit matrices: output bits 4 and 5 of a byte are its input bits s
     * and s + 1 (rows 3 and 2 of the qword), every other bit 0. The low 256
     * bits of A take H's bits 0-1 (values 128h + 0..31), the high ones bits 2-3
     * (128h + 32..63); B bits 4-5 and 6-7. */
#define Q6K_BITS(s) (long long)((1ull << ((s) + 24)) | (1ull << ((s) + 17)))
    const __m512i pick_a = _mm512_set_epi64(Q6K_BITS(2), Q6K_BITS(2), Q6K_BITS(2), Q6K_BITS(2),
                                            Q6K_BITS(0), Q6K_BITS(0), Q6K_BITS(0), Q6K_BITS(0));
    const __m512i pick_b = _mm512_set_epi64(Q6K_BITS(6), Q6K_BITS(6), Q6K_BITS(6), Q6K_BITS(6),
                                            Q6K_BITS(4), Q6K_BITS(4), Q6K_BITS(4), Q6K_BITS(4));
#undef Q6K_BITS
    const __m512i low4 = _mm512_set1_epi8(0x0f);
    _Pragma("GCC unroll 2")
    for (int h = 0; h < 2; h++) {
        __m512i l = _mm512_loadu_si512(b->ql + 64 * h);
        __asm__("" : "+v"(l)); /* one load: see gather_dot.h */
        __m512i hb = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(b->qh + 32 * h)));
        /* 0xf8 = A | (B & C): the top bits first, so the copy ternlog
         * overwrites is a dead temporary */
        o->lv[2 * h] = _mm512_ternarylogic_epi32(_mm512_gf2p8affine_epi64_epi8(hb, pick_a, 0), l,
                                                 low4, 0xf8);
        o->lv[2 * h + 1] = _mm512_ternarylogic_epi32(_mm512_gf2p8affine_epi64_epi8(hb, pick_b, 0),
                                                     _mm512_srli_epi16(l, 4), low4, 0xf8);
    }
#else
    const __m512i low4 = _mm512_set1_epi8(0x0f), top2 = _mm512_set1_epi8(0x30);
    const __m512i shl = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
    const __m512i shr = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
    _Pragma("GCC unroll 2")
    for (int h = 0; h < 2; h++) {
        __m512i l = _mm512_loadu_si512(b->ql + 64 * h);
        __asm__("" : "+v"(l)); /* one load: see gather_dot.h */
        __m512i hb = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(b->qh + 32 * h)));
        o->lv[2 * h] = _mm512_or_si512(_mm512_and_si512(l, low4),
                                       _mm512_and_si512(_mm512_sllv_epi16(hb, shl), top2));
        o->lv[2 * h + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l, 4), low4),
                                           _mm512_and_si512(_mm512_srlv_epi16(hb, shr), top2));
    }
#endif
    __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)b->scales));
    __m512i z = _mm512_zextsi256_si512(sc16);
    _Pragma("GCC unroll 4")
    for (int v = 0; v < Q6K_SC; v++)
        o->sc[v] = _mm512_permutexvar_epi16(_mm512_load_si512(q6k_scale_idx[v]), z);
    o->off = _mm512_zextsi256_si512(_mm256_mullo_epi16(sc16, _mm256_set1_epi16(-32)));
    o->d = kq512_half(b->d);
}

/* acc += d*da * (sum_j sc_j (q - 32) . a_j) lane-wise, for one column. */
static inline __attribute__((always_inline)) void q6k_step(const q6k_w *w, const block_q8_K *a,
                                                           __m512 *acc) {
    __m512i bs = _mm512_zextsi256_si512(_mm256_loadu_si256((const __m256i *)a->bsums));
    __m512i sumi = _mm512_madd_epi16(bs, w->off);
#ifdef KQ512_VNNI
    _Pragma("GCC unroll 2")
    for (int p = 0; p < 2; p++) {
        const __m512i lo = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w->lv[2 * p],
                                               _mm512_loadu_si512(a->qs + 128 * p));
        const __m512i hi = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w->lv[2 * p + 1],
                                               _mm512_loadu_si512(a->qs + 128 * p + 64));
        const __m512i pair = kq512_word_pair(lo, _mm512_slli_epi32(hi, 16));
        sumi = _mm512_dpwssd_epi32(sumi, pair, w->sc[p]);
    }
#else
    _Pragma("GCC unroll 4")
    for (int v = 0; v < 4; v++)
        sumi = KQ512_DPWSSD(
            sumi, _mm512_maddubs_epi16(w->lv[v], _mm512_loadu_si512(a->qs + 64 * v)), w->sc[v]);
#endif
    *acc = _mm512_fmadd_ps(_mm512_set1_ps(w->d * a->d), _mm512_cvtepi32_ps(sumi), *acc);
}

/* One row against C columns (C <= 8), the decoded block reused across them. */
static inline __attribute__((always_inline)) void q6k_tile(int64_t nb, int C,
                                                           const block_q6_K *w,
                                                           const block_q8_K *const *a,
                                                           const __m128i *unused, float *out,
                                                           int64_t ldo) {
    (void)unused; /* no prepared sums: the shape KQ512_MAT_DOT_BODY calls */
    __m512 acc[8];
    _Pragma("GCC unroll 8")
    for (int k = 0; k < C; k++)
        acc[k] = _mm512_setzero_ps();
    for (int64_t ib = 0; ib < nb; ib++) {
        q6k_w d;
        q6k_decode(&w[ib], &d);
        _Pragma("GCC unroll 8")
        for (int k = 0; k < C; k++)
            q6k_step(&d, &a[k][ib], &acc[k]);
    }
    _Pragma("GCC unroll 8")
    for (int k = 0; k < C; k++)
        out[k * ldo] = kq512_hsum_ps(acc[k]);
}

void KQ512_NAME(hearth_vec_dot_q6_k_q8_k)(KQ_VEC_DOT_ARGS) {
    const block_q8_K *cols[1] = {a};
    q6k_tile(n / QK_K, 1, w, cols, NULL, out, 1);
}

void KQ512_NAME(hearth_mat_dot_q6_k_q8_k)(KQ_MAT_DOT_ARGS) {
    KQ512_MAT_DOT_BODY(q6k_tile, false)
}
