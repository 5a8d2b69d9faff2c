/* q4_k_body.h - Q4_K x Q8_K dot products in GGUF order, compiled by both
 * AVX-512 tiers (kernels/x86/avx512/q4_k.c and kernels/x86/avx512vnni/q4_k.c),
 * and as Q5_K by the q5_k.c files (Q45_FIFTH_BIT). The arithmetic of a block:
 * q4_k_block.h.
 *
 * A weight block is decoded once (levels, scale vectors, mins, [d, dmin]) and
 * then meets 1..8 columns; the sub-block sums of the activations are computed
 * once per column and call. Every (row, column) goes through the same float
 * operations in the same order whatever the tile, so mat_dot gives vec_dot's
 * bits for every output.
 */
#include "q4_k_block.h"

#ifdef Q45_FIFTH_BIT
#define Q45_VEC_DOT KQ512_NAME(hearth_vec_dot_q5_k_q8_k)
#define Q45_MAT_DOT KQ512_NAME(hearth_mat_dot_q5_k_q8_k)
#else
#define Q45_VEC_DOT KQ512_NAME(hearth_vec_dot_q4_k_q8_k)
#define Q45_MAT_DOT KQ512_NAME(hearth_mat_dot_q4_k_q8_k)
#endif

/* One row against C columns (C <= 8), the decoded block reused across them.
 * Q4_K's min terms go to slot ib % 4 (q4_k_block.h): one column keeps the
 * four slots as 4-lane accumulators, the block loop unrolled by four; more
 * columns keep them in a zmm each. Q5_K keeps one 4-lane accumulator. */
static inline __attribute__((always_inline)) void q4k_tile(int64_t nb, int C, const Q45_BLOCK *w,
                                                           const block_q8_K *const *a,
                                                           const __m128i *bs8, float *out,
                                                           int64_t ldo) {
    __m512 acc[8];
    _Pragma("GCC unroll 8")
    for (int k = 0; k < C; k++)
        acc[k] = _mm512_setzero_ps();
#define Q4K_BSUM(k, ib) (bs8 ? _mm_load_si128(&bs8[(k) * KQ512_PREP_BLOCKS + (ib)]) : kq512_bsum8(&a[k][ib]))
#ifndef Q45_FIFTH_BIT
    if (C == 1) {
        __m128 m[4] = {_mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps()};
        int64_t ib = 0;
        /* block ib + s into slot s (ib a multiple of 4) */
#define Q4K_ONE(ib, s)                                                                  \
    do {                                                                                \
        q4k_w d;                                                                        \
        q4k_decode(&w[(ib) + (s)], &d);                                                 \
        const __m128 dd = q4k_main(&d, a[0][(ib) + (s)].qs, a[0][(ib) + (s)].d, &acc[0]); \
        q4k_min(&d, dd, Q4K_BSUM(0, (ib) + (s)), &m[s]);                                \
    } while (0)
        for (; ib + 4 <= nb; ib += 4) {
            _Pragma("GCC unroll 4")
            for (int s = 0; s < 4; s++)
                Q4K_ONE(ib, s);
        }
        _Pragma("GCC unroll 4")
        for (int s = 0; s < 3; s++) /* the last nb % 4 blocks: slots 0, 1, 2 */
            if (ib + s < nb)
                Q4K_ONE(ib, s);
#undef Q4K_ONE
        out[0] = q4k_result(acc[0], _mm_add_ps(_mm_add_ps(m[0], m[2]), _mm_add_ps(m[1], m[3])));
        return;
    }
    __m512 acc_m[8];
    _Pragma("GCC unroll 8")
    for (int k = 0; k < C; k++)
        acc_m[k] = _mm512_setzero_ps();
#else
    __m128 acc_m[8];
    _Pragma("GCC unroll 8")
    for (int k = 0; k < C; k++)
        acc_m[k] = _mm_setzero_ps();
#endif
    for (int64_t ib = 0; ib < nb; ib++) {
        q4k_w d;
        q4k_decode(&w[ib], &d);
        _Pragma("GCC unroll 8")
        for (int k = 0; k < C; k++) {
            const __m128 dd = q4k_main(&d, a[k][ib].qs, a[k][ib].d, &acc[k]);
#ifndef Q45_FIFTH_BIT
            q4k_min_slot(&d, dd, Q4K_BSUM(k, ib), ib, &acc_m[k]);
#else
            q4k_min(&d, dd, Q4K_BSUM(k, ib), &acc_m[k]);
#endif
        }
    }
#undef Q4K_BSUM
    _Pragma("GCC unroll 8")
    for (int k = 0; k < C; k++)
#ifndef Q45_FIFTH_BIT
        out[k * ldo] = q4k_result_slots(acc[k], acc_m[k]);
#else
        out[k * ldo] = q4k_result(acc[k], acc_m[k]);
#endif
}

void Q45_VEC_DOT(KQ_VEC_DOT_ARGS) {
    const block_q8_K *cols[1] = {a};
    q4k_tile(n / QK_K, 1, w, cols, NULL, out, 1);
}

void Q45_MAT_DOT(KQ_MAT_DOT_ARGS) {
    KQ512_MAT_DOT_BODY(q4k_tile, true)
}
