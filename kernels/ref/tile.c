/* tile.c - reference tiles of batch attention: the small matrix product
 * C (+)= A.B that computes scores (Q.K^T) and weighted sums (P.V), and the
 * transposition of a block of cache rows into float columns.
 *
 * The product is defined as one fused multiply-add per term, k ascending
 * (fmaf: exactly rounded, so any tier that keeps the same chain per output
 * gives these bits); the transpositions only move and widen values (exact).
 */
#include <math.h> /* fmaf */

#include "ref.h"

/* c[r][j] = (accumulate ? c[r][j] : 0) + sum_i a[r][i] * b[i][j], each term
 * fused, i ascending. */
void hearth_gemm_f32_ref(int64_t m, int64_t n, int64_t k, const float *restrict a, int64_t lda,
                         const float *restrict b, int64_t ldb, float *restrict c, int64_t ldc,
                         bool accumulate) {
    for (int64_t r = 0; r < m; r++)
        for (int64_t j = 0; j < n; j++) {
            float acc = accumulate ? c[r * ldc + j] : 0.0f;
            for (int64_t i = 0; i < k; i++)
                acc = fmaf(a[r * lda + i], b[i * ldb + j], acc);
            c[r * ldc + j] = acc;
        }
}

/* dst[j][i] = float(row i value j). */
void hearth_transpose_f16_f32_ref(float *restrict dst, int64_t ldd, const hearth_f16 *restrict src,
                                  size_t src_stride, int64_t n_rows, int64_t n_cols) {
    for (int64_t i = 0; i < n_rows; i++) {
        const hearth_f16 *row = (const hearth_f16 *)((const char *)src + (size_t)i * src_stride);
        for (int64_t j = 0; j < n_cols; j++)
            dst[j * ldd + i] = hearth_f16_to_f32(row[j]);
    }
}

/* dst[j][i] = row i value j. */
void hearth_transpose_f32_ref(float *restrict dst, int64_t ldd, const float *restrict src,
                              size_t src_stride, int64_t n_rows, int64_t n_cols) {
    for (int64_t i = 0; i < n_rows; i++) {
        const float *row = (const float *)((const char *)src + (size_t)i * src_stride);
        for (int64_t j = 0; j < n_cols; j++)
            dst[j * ldd + i] = row[j];
    }
}
