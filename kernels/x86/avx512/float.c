/* float.c - AVX-512 kernels of the plain number types: F32 x F32, F16 x F16
 * and BF16 x BF16 row dots, and the register-tiled matmul built on them.
 *
 * One accumulation scheme serves vec_dot and every mat_dot tile, so that
 * mat_dot gives vec_dot's bits (kernels.h):
 * - each output owns ONE 16-lane float accumulator; lane l sums the products
 *   of values 16i + l for i = 0, 1, ... in order, one FMA per 16 values
 *   (the F16 and BF16 products are exact in float, so fma = mul + add);
 * - the last n % 16 values go through the same FMA with a masked load and a
 *   masked accumulate (lanes past n keep their sum; the masked load does not
 *   touch memory past n);
 * - the 16 lanes are reduced by hsum16() (halves, then pairs).
 * Weights and activations are converted to float as they are loaded
 * (vcvtph2ps; BF16 by a 16-bit shift), never stored converted.
 *
 * A tile is RM rows x RN columns of outputs kept in RM * RN zmm accumulators:
 * per 16 values it loads RN activation vectors and RM weight vectors and does
 * RM * RN FMAs. 4 x 6 (24 accumulators + 6 activations + 1 weight = 31 of the
 * 32 zmm registers) for batches; 1 x 1 or 8 x 1 for the matrix x vector
 * product (see mat_dot). One output's chain is latency-bound (1 FMA per 4
 * cycles, 32 bytes of F16 per 4 cycles), which is enough for weights coming
 * from DRAM but not from cache.
 */
#include "../avx2/avx2.h"

/* The element type of a row; every function below takes it as a constant and
 * is inlined, so each kernel compiles to straight code for its type. */
typedef enum { ELT_F32, ELT_F16, ELT_BF16 } elt;

HEARTH_INLINE size_t elt_bytes(elt e) {
    return e == ELT_F32 ? 4 : 2;
}

/* 16 values from p (element index i) as floats. */
HEARTH_INLINE __m512 load16(elt e, const char *p, int64_t i) {
    const char *q = p + (size_t)i * elt_bytes(e);
    switch (e) {
    case ELT_F32:
        return _mm512_loadu_ps(q);
    case ELT_F16:
        return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)q));
    default:
        return _mm512_castsi512_ps(
            _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)q)), 16));
    }
}

/* The values of lanes set in m (the first n % 16), zero elsewhere; masked-off
 * elements are not read (AVX-512 masked loads suppress faults). */
HEARTH_INLINE __m512 load16_tail(elt e, const char *p, int64_t i, __mmask16 m) {
    const char *q = p + (size_t)i * elt_bytes(e);
    switch (e) {
    case ELT_F32:
        return _mm512_maskz_loadu_ps(m, q);
    case ELT_F16:
        return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, q));
    default:
        return _mm512_castsi512_ps(
            _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, q)), 16));
    }
}

/* Sum of 16 lanes in a fixed order: halves, then quarters, then pairs. */
HEARTH_INLINE float hsum16(__m512 v) {
    const __m256 lo = _mm512_castps512_ps256(v);
    const __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    return avx2_hsum(_mm256_add_ps(lo, hi));
}

enum { MAX_RM = 8, MAX_RN = 6 };

/* out[c * ldo + r] = dot(row r of w, column c of a) for r < RM, c < RN, in the
 * scheme above. RM and RN are constants at every call site. */
HEARTH_INLINE void tile(elt e, int RM, int RN, int64_t n, float *restrict out, int64_t ldo,
                        const char *w, size_t ws, const char *a, size_t as) {
    __m512 acc[MAX_RM][MAX_RN];
    _Pragma("GCC unroll 8") for (int r = 0; r < RM; r++)
        _Pragma("GCC unroll 8") for (int c = 0; c < RN; c++) acc[r][c] = _mm512_setzero_ps();
    const int64_t n16 = n & ~(int64_t)15;
    for (int64_t i = 0; i < n16; i += 16) {
        /* No software prefetch: on Zen 4 the one this loop had (16 KiB ahead in
         * reading order, non-temporal, once per 64 bytes of each of the 8 rows)
         * took F16 matvec from 22 to 15 GB/s on one core and from 45 to 27 on
         * two; the hardware prefetchers follow 8 sequential rows well. */
        __m512 av[MAX_RN];
        _Pragma("GCC unroll 8") for (int c = 0; c < RN; c++) av[c] =
            load16(e, a + (size_t)c * as, i);
        _Pragma("GCC unroll 8") for (int r = 0; r < RM; r++) {
            const __m512 wv = load16(e, w + (size_t)r * ws, i);
            _Pragma("GCC unroll 8") for (int c = 0; c < RN; c++) acc[r][c] =
                _mm512_fmadd_ps(wv, av[c], acc[r][c]);
        }
    }
    if (n16 < n) {
        const __mmask16 m = (__mmask16)((1u << (n - n16)) - 1);
        __m512 av[MAX_RN];
        _Pragma("GCC unroll 8") for (int c = 0; c < RN; c++) av[c] =
            load16_tail(e, a + (size_t)c * as, n16, m);
        _Pragma("GCC unroll 8") for (int r = 0; r < RM; r++) {
            const __m512 wv = load16_tail(e, w + (size_t)r * ws, n16, m);
            _Pragma("GCC unroll 8") for (int c = 0; c < RN; c++) acc[r][c] =
                _mm512_mask3_fmadd_ps(wv, av[c], acc[r][c], m);
        }
    }
    _Pragma("GCC unroll 8") for (int c = 0; c < RN; c++)
        _Pragma("GCC unroll 8") for (int r = 0; r < RM; r++) out[c * ldo + r] =
            hsum16(acc[r][c]);
}

/* A tile of rm <= 4 rows and rn <= 6 columns (the edges of a batch). */
HEARTH_INLINE void tile_edge(elt e, int rm, int rn, int64_t n, float *restrict out, int64_t ldo,
                             const char *w, size_t ws, const char *a, size_t as) {
#define EDGE_ROWS(R)                                                                       \
    switch (rn) {                                                                          \
    case 1: tile(e, R, 1, n, out, ldo, w, ws, a, as); break;                               \
    case 2: tile(e, R, 2, n, out, ldo, w, ws, a, as); break;                               \
    case 3: tile(e, R, 3, n, out, ldo, w, ws, a, as); break;                               \
    case 4: tile(e, R, 4, n, out, ldo, w, ws, a, as); break;                               \
    case 5: tile(e, R, 5, n, out, ldo, w, ws, a, as); break;                               \
    default: tile(e, R, 6, n, out, ldo, w, ws, a, as); break;                              \
    }
    switch (rm) {
    case 1: EDGE_ROWS(1) break;
    case 2: EDGE_ROWS(2) break;
    case 3: EDGE_ROWS(3) break;
    default: EDGE_ROWS(4) break;
    }
#undef EDGE_ROWS
}

/* Matrix x vector reads one row after another (one FMA chain, latency-bound
 * at about 30 GB/s in cache, still above one core's DRAM rate) while the
 * activation column is at most this size; longer columns, 8 rows at a time.
 * Measured on Zen 4, F16 from DRAM on one core (scratch loop, 256 MiB):
 * rows one at a time 21-24 GB/s vs 8 side by side 16-19 at n = 2048..5632,
 * but 13-15 vs 20 from n = 8192 on (columns of 16 KiB and more: the
 * streaming weights push the column out of L1). Two or four rows side by side were
 * slower than either (11-15 GB/s); the DRAM side, not the core, prefers one
 * sequential stream. Either way each output keeps its own chain: same bits. */
enum { ONE_ROW_MAX_ACT_BYTES = 12 * 1024 };

/* Batch: columns in blocks of 6, and for each block every row tile of 4, so
 * one block's activations stay in L1 while the weight rows pass through it.
 * Matrix x vector(s) (nc < 3): one column after another, its rows as above. */
HEARTH_INLINE void mat_dot(elt e, int64_t n, int64_t nr, int64_t nc, float *restrict out,
                           int64_t ldo, const void *restrict wv, size_t ws,
                           const void *restrict av, size_t as) {
    const char *w = wv, *a = av;
    if (nc < 3) {
        for (int64_t c = 0; c < nc; c++) {
            const char *ac = a + (size_t)c * as;
            float *oc = out + c * ldo;
            int64_t r = 0;
            if ((size_t)n * elt_bytes(e) <= ONE_ROW_MAX_ACT_BYTES)
                for (; r < nr; r++)
                    tile(e, 1, 1, n, oc + r, ldo, w + (size_t)r * ws, ws, ac, as);
            for (; r + 8 <= nr; r += 8)
                tile(e, 8, 1, n, oc + r, ldo, w + (size_t)r * ws, ws, ac, as);
            for (; r < nr; r += 4) {
                const int rm = nr - r < 4 ? (int)(nr - r) : 4;
                tile_edge(e, rm, 1, n, oc + r, ldo, w + (size_t)r * ws, ws, ac, as);
            }
        }
        return;
    }
    for (int64_t c = 0; c < nc; c += 6) {
        const int rn = nc - c < 6 ? (int)(nc - c) : 6;
        const char *ac = a + (size_t)c * as;
        float *oc = out + c * ldo;
        int64_t r = 0;
        if (rn == 6)
            for (; r + 4 <= nr; r += 4)
                tile(e, 4, 6, n, oc + r, ldo, w + (size_t)r * ws, ws, ac, as);
        for (; r < nr; r += 4) {
            const int rm = nr - r < 4 ? (int)(nr - r) : 4;
            tile_edge(e, rm, rn, n, oc + r, ldo, w + (size_t)r * ws, ws, ac, as);
        }
    }
}

/* ---- The kernels of the table --------------------------------------------- */

#define FLOAT_KERNELS(VEC_DOT, MAT_DOT, E)                                                 \
    void VEC_DOT(int64_t n, float *restrict out, const void *restrict w,                   \
                 const void *restrict a);                                                  \
    void VEC_DOT(int64_t n, float *restrict out, const void *restrict w,                   \
                 const void *restrict a) {                                                 \
        tile(E, 1, 1, n, out, 1, w, 0, a, 0);                                              \
    }                                                                                      \
    void MAT_DOT(int64_t n, int64_t nr, int64_t nc, float *restrict out, int64_t ldo,      \
                 const void *restrict w, size_t w_stride, const void *restrict a,          \
                 size_t a_stride);                                                         \
    void MAT_DOT(int64_t n, int64_t nr, int64_t nc, float *restrict out, int64_t ldo,      \
                 const void *restrict w, size_t w_stride, const void *restrict a,          \
                 size_t a_stride) {                                                        \
        mat_dot(E, n, nr, nc, out, ldo, w, w_stride, a, a_stride);                         \
    }

FLOAT_KERNELS(hearth_vec_dot_f32_f32_avx512, hearth_mat_dot_f32_f32_avx512, ELT_F32)
FLOAT_KERNELS(hearth_vec_dot_f16_f16_avx512, hearth_mat_dot_f16_f16_avx512, ELT_F16)
FLOAT_KERNELS(hearth_vec_dot_bf16_bf16_avx512, hearth_mat_dot_bf16_bf16_avx512, ELT_BF16)

/* The tier's manifest entries for these types (called by its patch.c). */
void hearth_patch_floats_avx512(hearth_kernels *k);
void hearth_patch_floats_avx512(hearth_kernels *k) {
    k->vec_dot[HEARTH_TYPE_F32] = hearth_vec_dot_f32_f32_avx512;
    k->mat_dot[HEARTH_TYPE_F32] = hearth_mat_dot_f32_f32_avx512;
    k->vec_dot[HEARTH_TYPE_F16] = hearth_vec_dot_f16_f16_avx512;
    k->mat_dot[HEARTH_TYPE_F16] = hearth_mat_dot_f16_f16_avx512;
    k->vec_dot[HEARTH_TYPE_BF16] = hearth_vec_dot_bf16_bf16_avx512;
    k->mat_dot[HEARTH_TYPE_BF16] = hearth_mat_dot_bf16_bf16_avx512;
}
