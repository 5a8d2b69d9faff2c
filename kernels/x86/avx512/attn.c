/* attn.c - AVX-512 tiles of batch attention: the product C (+)= A.B (scores
 * and weighted sums), and the transposition of F16 key blocks to float
 * columns (16 x 16 blocks in registers; it cost more than the scores
 * themselves at decode with the AVX2 tier's 8 x 8 blocks). The softmax is in
 * ops.c.
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
#include "../../transpose_body.h"

void hearth_gemm_f32_avx512(int64_t m, int64_t n, int64_t k, const float *restrict a,
                            int64_t lda, const float *restrict b, int64_t ldb, float *restrict c,
                            int64_t ldc, bool accumulate);
void hearth_transpose_f16_f32_avx512(float *restrict dst, int64_t ldd,
                                     const hearth_f16 *restrict src, size_t src_stride,
                                     int64_t n_rows, int64_t n_cols);
void hearth_transpose_f16_f32_avx2(float *restrict dst, int64_t ldd,
                                   const hearth_f16 *restrict src, size_t src_stride,
                                   int64_t n_rows, int64_t n_cols);

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

/* ---- Transposition ------------------------------------------------------- */

/* Columns of the 16 x 16 block r[0..15] (row i = r[i]) into o[0..15]: pairs
 * of rows interleaved, then quads (after which 128-bit lane L of b[4i + j]
 * holds column 4L + j of rows 4i..4i+3), then the lanes gathered. */
HEARTH_INLINE void transpose16(const __m512 r[16], __m512 o[16]) {
    __m512 a[16], b[16];
    for (int i = 0; i < 8; i++) {
        a[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        a[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++) {
        const __m512d *q = (const __m512d *)(a + 4 * i);
        b[4 * i + 0] = _mm512_castpd_ps(_mm512_unpacklo_pd(q[0], q[2]));
        b[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(q[0], q[2]));
        b[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(q[1], q[3]));
        b[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(q[1], q[3]));
    }
    for (int j = 0; j < 4; j++) {
        const __m512 e0 = _mm512_shuffle_f32x4(b[j], b[4 + j], _MM_SHUFFLE(2, 0, 2, 0));
        const __m512 e1 = _mm512_shuffle_f32x4(b[j], b[4 + j], _MM_SHUFFLE(3, 1, 3, 1));
        const __m512 f0 = _mm512_shuffle_f32x4(b[8 + j], b[12 + j], _MM_SHUFFLE(2, 0, 2, 0));
        const __m512 f1 = _mm512_shuffle_f32x4(b[8 + j], b[12 + j], _MM_SHUFFLE(3, 1, 3, 1));
        o[j] = _mm512_shuffle_f32x4(e0, f0, _MM_SHUFFLE(2, 0, 2, 0));
        o[4 + j] = _mm512_shuffle_f32x4(e1, f1, _MM_SHUFFLE(2, 0, 2, 0));
        o[8 + j] = _mm512_shuffle_f32x4(e0, f0, _MM_SHUFFLE(3, 1, 3, 1));
        o[12 + j] = _mm512_shuffle_f32x4(e1, f1, _MM_SHUFFLE(3, 1, 3, 1));
    }
}

HEARTH_INLINE __m512 load_f16x16(const hearth_f16 *p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p));
}

/* 16 x 16 blocks of the first n_rows (a multiple of 16) rows (transpose_body.h;
 * its one-value edge covers only the ragged columns here). */
static void transpose_f16_f32_rows16(float *restrict dst, int64_t ldd,
                                     const hearth_f16 *restrict src, size_t src_stride,
                                     int64_t n_rows, int64_t n_cols) {
    HEARTH_TRANSPOSE_BODY(hearth_f16, 16, __m512, load_f16x16, transpose16, _mm512_storeu_ps,
                          avx2_h2f)
}

/* Whole groups of 16 rows here; the last n_rows % 16 rows through the AVX2
 * tier's 8 x 8 blocks (the same values: a transposition only copies). */
void hearth_transpose_f16_f32_avx512(float *restrict dst, int64_t ldd,
                                     const hearth_f16 *restrict src, size_t src_stride,
                                     int64_t n_rows, int64_t n_cols) {
    const int64_t rows16 = n_rows / 16 * 16;
    transpose_f16_f32_rows16(dst, ldd, src, src_stride, rows16, n_cols);
    if (rows16 < n_rows)
        hearth_transpose_f16_f32_avx2(dst + rows16, ldd,
                                      (const hearth_f16 *)((const char *)src +
                                                           (size_t)rows16 * src_stride),
                                      src_stride, n_rows - rows16, n_cols);
}
