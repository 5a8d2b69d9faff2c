/* attn.c - AVX-512 tiles of batch attention: the product C (+)= A.B (scores
 * and weighted sums). The transpositions stay the AVX2 tier's (a small share
 * of the work); the softmax is in ops.c.
 *
 * gemm: register tiles of 4 rows x 64 columns (16 accumulators of 16 lanes;
 * 4 rows fit the 4- and 8-query-head groups of common GQA models); for each
 * term i, four 16-lane rows of B are loaded and each of the 4 values of A's
 * column i is broadcast. Every output is one lane updated by one fused
 * multiply-add per term, i ascending: the reference's fmaf chain exactly,
 * whatever the tile shape. Every vector is loaded and stored through a lane
 * mask (all set unless ragged), so nothing past n is touched.
 */
#include "../avx2/avx2.h"

void hearth_gemm_f32_avx512(int64_t m, int64_t n, int64_t k, const float *restrict a,
                            int64_t lda, const float *restrict b, int64_t ldb, float *restrict c,
                            int64_t ldc, bool accumulate);

/* ---- gemm ----------------------------------------------------------------- */

enum { MR = 4, NV = 4 };

HEARTH_INLINE __mmask16 lane_mask(int64_t n) { /* lanes 0..n-1, n clamped to 0..16 */
    return n <= 0 ? 0 : n >= 16 ? 0xffff : (__mmask16)((1u << n) - 1u);
}

/* R (1..MR) rows x nj (1..64) columns of C. One shape for every call, so the
 * loops have constant bounds and unroll into registers (GCC by the pragma,
 * clang by itself): rows past R repeat row R-1 and are not stored; vectors
 * past nj are fully masked (loads give 0, stores write nothing). */
static void tile(int R, int64_t nj, int64_t k, const float *a, int64_t lda, const float *b,
                 int64_t ldb, float *c, int64_t ldc, bool accumulate) {
    const float *ar[MR];
    __mmask16 mk[NV];
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++)
        ar[r] = a + (r < R ? r : R - 1) * lda;
#pragma GCC unroll 8
    for (int v = 0; v < NV; v++)
        mk[v] = lane_mask(nj - 16 * v);
    __m512 s[MR][NV];
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 8
        for (int v = 0; v < NV; v++)
            s[r][v] = accumulate && r < R ? _mm512_maskz_loadu_ps(mk[v], c + r * ldc + 16 * v)
                                          : _mm512_setzero_ps();
    for (int64_t i = 0; i < k; i++) {
        __m512 bv[NV];
#pragma GCC unroll 8
        for (int v = 0; v < NV; v++)
            bv[v] = _mm512_maskz_loadu_ps(mk[v], b + i * ldb + 16 * v);
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++) {
            const __m512 av = _mm512_set1_ps(ar[r][i]);
#pragma GCC unroll 8
            for (int v = 0; v < NV; v++)
                s[r][v] = _mm512_fmadd_ps(av, bv[v], s[r][v]);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++)
        if (r < R) {
#pragma GCC unroll 8
            for (int v = 0; v < NV; v++)
                _mm512_mask_storeu_ps(c + r * ldc + 16 * v, mk[v], s[r][v]);
        }
}

void hearth_gemm_f32_avx512(int64_t m, int64_t n, int64_t k, const float *restrict a,
                            int64_t lda, const float *restrict b, int64_t ldb, float *restrict c,
                            int64_t ldc, bool accumulate) {
    /* Column groups outside: the group's k x 64 slice of B stays in L1 while
     * A's rows stream past it. */
    for (int64_t j = 0; j < n; j += 16 * NV) {
        const int64_t nj = n - j < 16 * NV ? n - j : 16 * NV;
        for (int64_t r = 0; r < m; r += MR) {
            const int R = m - r < MR ? (int)(m - r) : MR;
            tile(R, nj, k, a + r * lda, lda, b + j, ldb, c + r * ldc + j, ldc, accumulate);
        }
    }
}
