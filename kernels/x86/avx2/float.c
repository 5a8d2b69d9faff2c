/* float.c - AVX2 kernels of the plain number types: F32 x F32, F16 x F16
 * and BF16 x BF16 row dots and their register-tiled matmul, F16 conversions
 * of whole rows.
 *
 * The AVX-512 tier's scheme at half the width, shared by vec_dot and every
 * mat_dot tile so that mat_dot gives vec_dot's bits (kernels.h):
 * - each output owns ONE 8-lane float accumulator; lane l sums the products
 *   of values 8i + l in order, one FMA per 8 values (F16 and BF16 products
 *   are exact in float);
 * - the last n % 8 values are copied into a zeroed 8-value buffer and go
 *   through the same FMA (zero products leave the sums unchanged, and
 *   nothing past n is read);
 * - the lanes are reduced by avx2_hsum().
 * Tiles: 4 rows x 3 columns for batches (12 accumulators + 3 activations +
 * 1 weight = the 16 ymm registers), 8 x 1 for the matrix x vector product
 * (measured faster than 4 x 1 from memory; still 10-20 % below the previous
 * one-row-at-a-time loop with 4 chains per row, which cannot give a tile's bits).
 */
#include <string.h> /* memcpy: the tail buffer */

#include "avx2.h"

/* The element type of a row, a constant at every (inlined) call. */
typedef enum { ELT_F32, ELT_F16, ELT_BF16 } elt;

HEARTH_INLINE size_t elt_bytes(elt e) {
    return e == ELT_F32 ? 4 : 2;
}

/* 8 values at p as floats. */
HEARTH_INLINE __m256 load8(elt e, const char *p) {
    switch (e) {
    case ELT_F32:
        return _mm256_loadu_ps((const float *)p);
    case ELT_F16:
        return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
    default:
        return _mm256_castsi256_ps(
            _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p)), 16));
    }
}

/* The t < 8 values at p followed by zeros, as floats. */
HEARTH_INLINE __m256 load8_tail(elt e, const char *p, int64_t t) {
    char buf[32] = {0};
    memcpy(buf, p, (size_t)t * elt_bytes(e));
    return load8(e, buf);
}

enum { MAX_RM = 8, MAX_RN = 3 };

/* out[c * ldo + r] = dot(row r of w, column c of a) for r < RM, c < RN. */
HEARTH_INLINE void tile(elt e, int RM, int RN, int64_t n, float *restrict out, int64_t ldo,
                        const char *w, size_t ws, const char *a, size_t as) {
    const size_t eb = elt_bytes(e);
    __m256 acc[MAX_RM][MAX_RN];
    _Pragma("GCC unroll 8") for (int r = 0; r < RM; r++)
        _Pragma("GCC unroll 4") for (int c = 0; c < RN; c++) acc[r][c] = _mm256_setzero_ps();
    const int64_t n8 = n & ~(int64_t)7;
    for (int64_t i = 0; i < n8; i += 8) {
        __m256 av[MAX_RN];
        _Pragma("GCC unroll 4") for (int c = 0; c < RN; c++) av[c] =
            load8(e, a + (size_t)c * as + (size_t)i * eb);
        _Pragma("GCC unroll 8") for (int r = 0; r < RM; r++) {
            const __m256 wv = load8(e, w + (size_t)r * ws + (size_t)i * eb);
            _Pragma("GCC unroll 4") for (int c = 0; c < RN; c++) acc[r][c] =
                _mm256_fmadd_ps(wv, av[c], acc[r][c]);
        }
    }
    if (n8 < n) {
        __m256 av[MAX_RN];
        _Pragma("GCC unroll 4") for (int c = 0; c < RN; c++) av[c] =
            load8_tail(e, a + (size_t)c * as + (size_t)n8 * eb, n - n8);
        _Pragma("GCC unroll 8") for (int r = 0; r < RM; r++) {
            const __m256 wv = load8_tail(e, w + (size_t)r * ws + (size_t)n8 * eb, n - n8);
            _Pragma("GCC unroll 4") for (int c = 0; c < RN; c++) acc[r][c] =
                _mm256_fmadd_ps(wv, av[c], acc[r][c]);
        }
    }
    _Pragma("GCC unroll 4") for (int c = 0; c < RN; c++)
        _Pragma("GCC unroll 8") for (int r = 0; r < RM; r++) out[c * ldo + r] =
            avx2_hsum(acc[r][c]);
}

/* A tile of rm <= 4 rows and rn <= 3 columns (the edges). */
HEARTH_INLINE void tile_edge(elt e, int rm, int rn, int64_t n, float *restrict out, int64_t ldo,
                             const char *w, size_t ws, const char *a, size_t as) {
#define EDGE_ROWS(R)                                                                       \
    switch (rn) {                                                                          \
    case 1: tile(e, R, 1, n, out, ldo, w, ws, a, as); break;                               \
    case 2: tile(e, R, 2, n, out, ldo, w, ws, a, as); break;                               \
    default: tile(e, R, 3, n, out, ldo, w, ws, a, as); break;                              \
    }
    switch (rm) {
    case 1: EDGE_ROWS(1) break;
    case 2: EDGE_ROWS(2) break;
    case 3: EDGE_ROWS(3) break;
    default: EDGE_ROWS(4) break;
    }
#undef EDGE_ROWS
}

/* Columns in blocks of 3 (one column at a time, rows 8 at a time, for a
 * matrix x vector), and for each block every row tile of 4: the block's
 * activations stay in L1 while the weight rows pass through it. */
HEARTH_INLINE void mat_dot(elt e, int64_t n, int64_t nr, int64_t nc, float *restrict out,
                           int64_t ldo, const void *restrict wv, size_t ws,
                           const void *restrict av, size_t as) {
    const char *w = wv, *a = av;
    const int64_t cb = nc < 3 ? 1 : 3;
    for (int64_t c = 0; c < nc; c += cb) {
        const int rn = nc - c < cb ? (int)(nc - c) : (int)cb;
        const char *ac = a + (size_t)c * as;
        float *oc = out + c * ldo;
        int64_t r = 0;
        if (rn == 3)
            for (; r + 4 <= nr; r += 4)
                tile(e, 4, 3, n, oc + r, ldo, w + (size_t)r * ws, ws, ac, as);
        else if (rn == 1)
            for (; r + 8 <= nr; r += 8)
                tile(e, 8, 1, n, oc + r, ldo, w + (size_t)r * ws, ws, ac, as);
        for (; r < nr; r += 4) {
            const int rm = nr - r < 4 ? (int)(nr - r) : 4;
            tile_edge(e, rm, rn, n, oc + r, ldo, w + (size_t)r * ws, ws, ac, as);
        }
    }
}

#define FLOAT_KERNELS(VEC_DOT, MAT_DOT, E)                                                 \
    void VEC_DOT(int64_t n, float *restrict out, const void *restrict w,                   \
                 const void *restrict a) {                                                 \
        tile(E, 1, 1, n, out, 1, w, 0, a, 0);                                              \
    }                                                                                      \
    void MAT_DOT(int64_t n, int64_t nr, int64_t nc, float *restrict out, int64_t ldo,      \
                 const void *restrict w, size_t w_stride, const void *restrict a,          \
                 size_t a_stride) {                                                        \
        mat_dot(E, n, nr, nc, out, ldo, w, w_stride, a, a_stride);                         \
    }

FLOAT_KERNELS(hearth_vec_dot_f32_f32_avx2, hearth_mat_dot_f32_f32_avx2, ELT_F32)
FLOAT_KERNELS(hearth_vec_dot_f16_f16_avx2, hearth_mat_dot_f16_f16_avx2, ELT_F16)
FLOAT_KERNELS(hearth_vec_dot_bf16_bf16_avx2, hearth_mat_dot_bf16_bf16_avx2, ELT_BF16)

/* dst = f16(src), round to nearest even (F16C with an explicit mode). */
void hearth_quantize_row_f16_avx2(const float *restrict src, void *restrict dst, int64_t n) {
    hearth_f16 *d = dst;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(d + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(src + i),
                                         _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    for (; i < n; i++)
        d[i] = _cvtss_sh(src[i], _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

/* dst = float(src), exact. */
void hearth_dequantize_row_f16_avx2(const void *restrict src, float *restrict dst, int64_t n) {
    const hearth_f16 *s = src;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, load8(ELT_F16, (const char *)(s + i)));
    for (; i < n; i++)
        dst[i] = avx2_h2f(s[i]);
}
