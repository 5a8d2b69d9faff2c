/* attn.c - AVX2 tiles of batch attention: the product C (+)= A.B (scores and
 * weighted sums), transposition of cache rows into float columns, and the
 * softmax with a vector exp.
 *
 * gemm: register tiles of 4 rows x 16 columns (8 accumulators); for each
 * term i, two 8-lane rows of B are loaded and each of the 4 values of A's
 * column i is broadcast. Every output is one lane of one accumulator updated
 * by one fused multiply-add per term, i ascending: the reference's fmaf
 * chain exactly, whatever the tile shape. Loads and stores of C and B are
 * masked (all lanes set unless ragged): nothing past n is touched.
 */
#include <math.h> /* INFINITY */

#include "../../transpose_body.h"
#include "avx2.h"

/* ---- gemm ----------------------------------------------------------------- */

enum { MR = 4, NV = 2 };

/* Lanes 0..n-1 set (n clamped to 0..8): the mask of a ragged vector. */
HEARTH_INLINE __m256i lane_mask(int64_t n) {
    const int c = n <= 0 ? 0 : n >= 8 ? 8 : (int)n;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(c), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* R (1..MR) rows x nj (1..16) columns of C. One shape for every call, so the
 * loops have constant bounds and unroll into registers (GCC by the pragma,
 * clang by itself): rows past R repeat row R-1 and are not stored; a ragged
 * or missing vector goes through masked loads (0) and stores (nothing). */
static void tile(int R, int64_t nj, int64_t k, const float *a, int64_t lda, const float *b,
                 int64_t ldb, float *c, int64_t ldc, bool accumulate) {
    const float *ar[MR];
    __m256i mk[NV];
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++)
        ar[r] = a + (r < R ? r : R - 1) * lda;
#pragma GCC unroll 8
    for (int v = 0; v < NV; v++)
        mk[v] = lane_mask(nj - 8 * v);
    __m256 s[MR][NV];
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 8
        for (int v = 0; v < NV; v++)
            s[r][v] = accumulate && r < R ? _mm256_maskload_ps(c + r * ldc + 8 * v, mk[v])
                                          : _mm256_setzero_ps();
    for (int64_t i = 0; i < k; i++) {
        __m256 bv[NV];
#pragma GCC unroll 8
        for (int v = 0; v < NV; v++)
            bv[v] = _mm256_maskload_ps(b + i * ldb + 8 * v, mk[v]);
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++) {
            const __m256 av = _mm256_broadcast_ss(ar[r] + i);
#pragma GCC unroll 8
            for (int v = 0; v < NV; v++)
                s[r][v] = _mm256_fmadd_ps(av, bv[v], s[r][v]);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++)
        if (r < R) {
#pragma GCC unroll 8
            for (int v = 0; v < NV; v++)
                _mm256_maskstore_ps(c + r * ldc + 8 * v, mk[v], s[r][v]);
        }
}

void hearth_gemm_f32_avx2(int64_t m, int64_t n, int64_t k, const float *restrict a, int64_t lda,
                          const float *restrict b, int64_t ldb, float *restrict c, int64_t ldc,
                          bool accumulate) {
    /* Column groups outside: the group's k x 16 slice of B stays in L1 while
     * A's rows stream past it. */
    for (int64_t j = 0; j < n; j += 8 * NV) {
        const int64_t nj = n - j < 8 * NV ? n - j : 8 * NV;
        for (int64_t r = 0; r < m; r += MR) {
            const int R = m - r < MR ? (int)(m - r) : MR;
            tile(R, nj, k, a + r * lda, lda, b + j, ldb, c + r * ldc + j, ldc, accumulate);
        }
    }
}

/* ---- Transposition ---------------------------------------------------------- */

/* Columns of the 8 x 8 block r[0..7] (row i = r[i]) into o[0..7]. */
HEARTH_INLINE void transpose8(const __m256 r[8], __m256 o[8]) {
    __m256 t[8], u[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int h = 0; h < 2; h++) { /* rows 0-3, then rows 4-7 */
        const __m256 *tt = t + 4 * h;
        u[4 * h + 0] = _mm256_shuffle_ps(tt[0], tt[2], 0x44);
        u[4 * h + 1] = _mm256_shuffle_ps(tt[0], tt[2], 0xee);
        u[4 * h + 2] = _mm256_shuffle_ps(tt[1], tt[3], 0x44);
        u[4 * h + 3] = _mm256_shuffle_ps(tt[1], tt[3], 0xee);
    }
    for (int j = 0; j < 4; j++) {
        o[j] = _mm256_permute2f128_ps(u[j], u[4 + j], 0x20);
        o[4 + j] = _mm256_permute2f128_ps(u[j], u[4 + j], 0x31);
    }
}

/* 8 x 8 blocks through registers (transpose_body.h). */
#define TRANSPOSE_BODY(T, LOAD8, TO_F32) \
    HEARTH_TRANSPOSE_BODY(T, 8, __m256, LOAD8, transpose8, _mm256_storeu_ps, TO_F32)

HEARTH_INLINE __m256 load_f16x8(const hearth_f16 *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}
#define F32_ID(v) (v)

void hearth_transpose_f16_f32_avx2(float *restrict dst, int64_t ldd,
                                   const hearth_f16 *restrict src, size_t src_stride,
                                   int64_t n_rows, int64_t n_cols) {
    TRANSPOSE_BODY(hearth_f16, load_f16x8, avx2_h2f)
}

void hearth_transpose_f32_avx2(float *restrict dst, int64_t ldd, const float *restrict src,
                               size_t src_stride, int64_t n_rows, int64_t n_cols) {
    TRANSPOSE_BODY(float, _mm256_loadu_ps, F32_ID)
}

/* ---- Softmax ---------------------------------------------------------------- */

/* max, then e = exp(x - max) (avx2_exp_nonpos) summed in 8 lanes and reduced
 * in a fixed order, then x / sum. A ragged tail goes through masked loads and
 * stores; its dead lanes add nothing. The sum order depends on n only. */
void hearth_softmax_f32_avx2(float *x, int64_t n) {
    if (n <= 0)
        return;
    const int64_t n8 = n / 8 * 8;
    const __m256i tail = lane_mask(n - n8); /* all clear when n8 == n */
    __m256 vmax = _mm256_set1_ps(-INFINITY);
    for (int64_t i = 0; i < n8; i += 8)
        vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(x + i));
    if (n8 < n)
        vmax = _mm256_max_ps(vmax, _mm256_blendv_ps(vmax, _mm256_maskload_ps(x + n8, tail),
                                                     _mm256_castsi256_ps(tail)));
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(vmax), _mm256_extractf128_ps(vmax, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    const __m256 mx = _mm256_broadcastss_ps(m4);

    __m256 vsum = _mm256_setzero_ps();
    for (int64_t i = 0; i < n8; i += 8) {
        const __m256 e = avx2_exp_nonpos(_mm256_sub_ps(_mm256_loadu_ps(x + i), mx));
        _mm256_storeu_ps(x + i, e);
        vsum = _mm256_add_ps(vsum, e);
    }
    if (n8 < n) {
        __m256 e = avx2_exp_nonpos(_mm256_sub_ps(_mm256_maskload_ps(x + n8, tail), mx));
        e = _mm256_and_ps(e, _mm256_castsi256_ps(tail));
        _mm256_maskstore_ps(x + n8, tail, e);
        vsum = _mm256_add_ps(vsum, e);
    }
    const __m256 sum = _mm256_set1_ps(avx2_hsum(vsum));
    for (int64_t i = 0; i < n8; i += 8)
        _mm256_storeu_ps(x + i, _mm256_div_ps(_mm256_loadu_ps(x + i), sum));
    if (n8 < n)
        _mm256_maskstore_ps(x + n8, tail, _mm256_div_ps(_mm256_maskload_ps(x + n8, tail), sum));
}
