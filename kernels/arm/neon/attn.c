/* attn.c - NEON tiles of batch attention: the product C (+)= A.B (scores and
 * weighted sums) and the transposition of cache rows into float columns.
 *
 * gemm: register tiles of 4 rows x up to 16 columns (16 accumulators of 4
 * lanes, within the 32 vector registers of arm64); for each term i, the
 * tile's vectors of B's row i are loaded and each of the 4 values of A's
 * column i is broadcast. Every output is one lane of one accumulator updated
 * by one vfmaq_f32 (fused) per term, i ascending: the reference's fmaf chain
 * exactly, whatever the tile shape. NEON has no masked loads: full 16- and
 * 4-column tiles use plain loads and stores, and the last 1..3 columns go
 * through a zero-padded copy of each row piece, so nothing past n is touched.
 */
#include <arm_neon.h>
#include <string.h> /* memcpy */

#include "../../transpose_body.h"
#include "../../kernels.h"

void hearth_gemm_f32_neon(int64_t m, int64_t n, int64_t k, const float *restrict a, int64_t lda,
                          const float *restrict b, int64_t ldb, float *restrict c, int64_t ldc,
                          bool accumulate);
void hearth_transpose_f16_f32_neon(float *restrict dst, int64_t ldd,
                                   const hearth_f16 *restrict src, size_t src_stride,
                                   int64_t n_rows, int64_t n_cols);
void hearth_transpose_f32_neon(float *restrict dst, int64_t ldd, const float *restrict src,
                               size_t src_stride, int64_t n_rows, int64_t n_cols);

#define NEON_ALWAYS_INLINE static inline __attribute__((always_inline))

/* ---- gemm ----------------------------------------------------------------- */

enum { MR = 4, NV_MAX = 4 };

/* 4 floats from p, or (ragged) the first nc of them and zeros. */
NEON_ALWAYS_INLINE float32x4_t load4(const float *p, bool full, int nc) {
    if (full)
        return vld1q_f32(p);
    float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    memcpy(t, p, (size_t)nc * sizeof(float));
    return vld1q_f32(t);
}

NEON_ALWAYS_INLINE void store4(float *p, float32x4_t v, bool full, int nc) {
    if (full) {
        vst1q_f32(p, v);
        return;
    }
    float t[4];
    vst1q_f32(t, v);
    memcpy(p, t, (size_t)nc * sizeof(float));
}

/* R (1..MR) rows x NV vectors of C; NV and full are constants at every call
 * (inlined), so the loops unroll into registers. When !full, NV is 1 and the
 * vector holds nc (1..3) columns. Rows past R repeat row R-1 and are not
 * stored. */
NEON_ALWAYS_INLINE void tile(int R, int NV, bool full, int nc, int64_t k, const float *a,
                             int64_t lda, const float *b, int64_t ldb, float *c, int64_t ldc,
                             bool accumulate) {
    const float *ar[MR];
#pragma GCC unroll 4
    for (int r = 0; r < MR; r++)
        ar[r] = a + (r < R ? r : R - 1) * lda;
    float32x4_t s[MR][NV_MAX];
#pragma GCC unroll 4
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            s[r][v] = accumulate && r < R ? load4(c + r * ldc + 4 * v, full, nc)
                                          : vdupq_n_f32(0.0f);
    for (int64_t i = 0; i < k; i++) {
        float32x4_t bv[NV_MAX];
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            bv[v] = load4(b + i * ldb + 4 * v, full, nc);
#pragma GCC unroll 4
        for (int r = 0; r < MR; r++) {
            const float32x4_t av = vld1q_dup_f32(ar[r] + i);
#pragma GCC unroll 4
            for (int v = 0; v < NV; v++)
                s[r][v] = vfmaq_f32(s[r][v], av, bv[v]);
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < MR; r++)
        if (r < R) {
#pragma GCC unroll 4
            for (int v = 0; v < NV; v++)
                store4(c + r * ldc + 4 * v, s[r][v], full, nc);
        }
}

/* Each shape instantiated once (R stays a run-time value: it only selects
 * pointers and guards stores). */
static void tile16(int R, int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb,
                   float *c, int64_t ldc, bool accumulate) {
    tile(R, 4, true, 4, k, a, lda, b, ldb, c, ldc, accumulate);
}

static void tile4(int R, int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb,
                  float *c, int64_t ldc, bool accumulate) {
    tile(R, 1, true, 4, k, a, lda, b, ldb, c, ldc, accumulate);
}

static void tile_ragged(int R, int nc, int64_t k, const float *a, int64_t lda, const float *b,
                        int64_t ldb, float *c, int64_t ldc, bool accumulate) {
    tile(R, 1, false, nc, k, a, lda, b, ldb, c, ldc, accumulate);
}

void hearth_gemm_f32_neon(int64_t m, int64_t n, int64_t k, const float *restrict a, int64_t lda,
                          const float *restrict b, int64_t ldb, float *restrict c, int64_t ldc,
                          bool accumulate) {
    /* Column groups outside: the group's k x 16 slice of B stays in L1 while
     * A's rows stream past it. */
    for (int64_t j = 0; j < n;) {
        const int64_t nj = n - j;
        for (int64_t r = 0; r < m; r += MR) {
            const int R = m - r < MR ? (int)(m - r) : MR;
            const float *ap = a + r * lda;
            float *cp = c + r * ldc + j;
            if (nj >= 16)
                tile16(R, k, ap, lda, b + j, ldb, cp, ldc, accumulate);
            else if (nj >= 4)
                tile4(R, k, ap, lda, b + j, ldb, cp, ldc, accumulate);
            else
                tile_ragged(R, (int)nj, k, ap, lda, b + j, ldb, cp, ldc, accumulate);
        }
        j += nj >= 16 ? 16 : nj >= 4 ? 4 : nj;
    }
}

/* ---- Transposition ---------------------------------------------------------- */

/* Columns of the 4 x 4 block r[0..3] (row i = r[i]) into o[0..3]: pairs of
 * rows interleaved by lane, then by 64-bit halves. */
NEON_ALWAYS_INLINE void transpose4(const float32x4_t r[4], float32x4_t o[4]) {
    const float32x4_t t0 = vtrn1q_f32(r[0], r[1]), t1 = vtrn2q_f32(r[0], r[1]);
    const float32x4_t t2 = vtrn1q_f32(r[2], r[3]), t3 = vtrn2q_f32(r[2], r[3]);
    const float64x2_t d0 = vreinterpretq_f64_f32(t0), d1 = vreinterpretq_f64_f32(t1);
    const float64x2_t d2 = vreinterpretq_f64_f32(t2), d3 = vreinterpretq_f64_f32(t3);
    o[0] = vreinterpretq_f32_f64(vtrn1q_f64(d0, d2));
    o[1] = vreinterpretq_f32_f64(vtrn1q_f64(d1, d3));
    o[2] = vreinterpretq_f32_f64(vtrn2q_f64(d0, d2));
    o[3] = vreinterpretq_f32_f64(vtrn2q_f64(d1, d3));
}

/* 4 x 4 blocks through registers (transpose_body.h). */
#define TRANSPOSE_BODY(T, LOAD4, TO_F32) \
    HEARTH_TRANSPOSE_BODY(T, 4, float32x4_t, LOAD4, transpose4, vst1q_f32, TO_F32)

/* f16 -> f32 by the hardware conversion: exact, like hearth_f16_to_f32. */
NEON_ALWAYS_INLINE float32x4_t load_f16x4(const hearth_f16 *p) {
    return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p)));
}
#define F32_ID(v) (v)

void hearth_transpose_f16_f32_neon(float *restrict dst, int64_t ldd,
                                   const hearth_f16 *restrict src, size_t src_stride,
                                   int64_t n_rows, int64_t n_cols) {
    TRANSPOSE_BODY(hearth_f16, load_f16x4, hearth_f16_to_f32)
}

void hearth_transpose_f32_neon(float *restrict dst, int64_t ldd, const float *restrict src,
                               size_t src_stride, int64_t n_rows, int64_t n_cols) {
    TRANSPOSE_BODY(float, vld1q_f32, F32_ID)
}
