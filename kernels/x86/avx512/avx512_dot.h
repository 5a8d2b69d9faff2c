/* avx512_dot.h - the block dot kernels of the two AVX-512 tiers, written once
 * and compiled twice: by kernels/x86/avx512/ (F/BW/VL: int8 products with
 * vpmaddubsw + vpmaddwd) and by kernels/x86/avx512vnni/ (vpdpbusd), which
 * set AVX512_TIER and AVX512_DPBUSD before including this file.
 *
 * Lane mapping: one 512-bit register holds two consecutive 32-value blocks
 * (lanes 0-7 block b, lanes 8-15 block b+1 after the int32 products), so each
 * output keeps a 16-lane float accumulator advanced two blocks at a time; an
 * odd last block goes through the 256-bit form into an 8-lane accumulator.
 * The result is always hsum(acc16) + hsum(acc8) + off in that order, in
 * vec_dot and in every mat_dot tile alike: mat_dot reproduces vec_dot's bits.
 *
 * Signed weights (Q4_0, Q5_0, Q8_0, IQ4_NL) use |w| as the unsigned operand
 * and the activations negated where w < 0 (a masked subtract): the integer
 * block sums are exact. |a| <= 127 (our quantizers) so nothing saturates.
 */
#ifndef HEARTH_KERNELS_AVX512_DOT_H
#define HEARTH_KERNELS_AVX512_DOT_H

#include "../avx2/avx2.h"

#define HEARTH_CAT3_(a, b, c) a##b##c
#define HEARTH_CAT3(a, b, c) HEARTH_CAT3_(a, b, c)
#define TIERED(name) HEARTH_CAT3(name, _, AVX512_TIER)

typedef struct {
    __m512 acc;  /* pairs of blocks */
    __m256 acc1; /* the odd last block */
    float off;   /* offset terms m * s (Q5_1) */
} z_state;

HEARTH_INLINE float z_result(const z_state *s) {
    return _mm512_reduce_add_ps(s->acc) + avx2_hsum(s->acc1) + s->off;
}

/* Two blocks' 32 activation bytes each, 34 or 36 bytes apart -> one zmm. */
HEARTH_INLINE __m512i z_load_pair(const int8_t *q0, const int8_t *q1) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)q0)),
                              _mm256_loadu_si256((const __m256i *)q1), 1);
}

/* Two blocks of 16 nibble bytes -> 64 bytes [lo0 hi0 lo1 hi1] in value order. */
HEARTH_INLINE __m512i z_nibbles_pair(const uint8_t *qs0, const uint8_t *qs1) {
    const __m256i v = _mm256_set_m128i(_mm_loadu_si128((const __m128i *)qs1),
                                       _mm_loadu_si128((const __m128i *)qs0));
    const __m512i both = _mm512_inserti64x4(_mm512_castsi256_si512(v), _mm256_srli_epi16(v, 4), 1);
    /* 128-bit lanes are [lo0 lo1 hi0 hi1]; reorder to [lo0 hi0 lo1 hi1] */
    const __m512i ordered = _mm512_shuffle_i64x2(both, both, _MM_SHUFFLE(3, 1, 2, 0));
    return _mm512_and_si512(ordered, _mm512_set1_epi8(0x0f));
}

/* Scale vector of a pair: lanes 0-7 = s0, lanes 8-15 = s1. */
HEARTH_INLINE __m512 z_scales(float s0, float s1) {
    /* insertf64x4 (AVX-512F) on the bits: insertf32x8 would need AVX-512DQ */
    return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_set1_ps(s0)),
                                               _mm256_castps_pd(_mm256_set1_ps(s1)), 1));
}

/* [f(h0) x 8, f(h1) x 8] from two f16 values: the halves are combined in a
 * general register (scalar ports), converted together, then spread. */
HEARTH_INLINE __m512 z_h2f_pair(hearth_f16 h0, hearth_f16 h1) {
    const __m128 f = _mm_cvtph_ps(_mm_cvtsi32_si128((int)((uint32_t)h0 | (uint32_t)h1 << 16)));
    const __m512i idx = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
    return _mm512_permutexvar_ps(idx, _mm512_castps128_ps512(f));
}

/* int32 lanes: sum over each 4-byte group of u8 * s8, added to acc. */
#ifdef AVX512_HAVE_VNNI
#define Z_DP(acc, u, s) _mm512_dpbusd_epi32(acc, u, s)
#define Y_DP(acc, u, s) _mm256_dpbusd_epi32(acc, u, s)
#else
#define Z_DP(acc, u, s)                                                                    \
    _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_maddubs_epi16(u, s), _mm512_set1_epi16(1)))
#define Y_DP(acc, u, s)                                                                    \
    _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)))
#endif

/* A decoded pair of signed weight blocks: |w| and the mask of w < 0. */
typedef struct {
    __m512i ax;
    __mmask64 neg;
    __m512 dw; /* [dw0 x 8, dw1 x 8] */
} zs_pair;

typedef struct {
    __m256i ax;
    __mmask32 neg;
    float d;
} zs_one;

HEARTH_INLINE zs_pair zs_make_pair(__m512i x, hearth_f16 d0, hearth_f16 d1) {
    return (zs_pair){_mm512_abs_epi8(x), _mm512_movepi8_mask(x), z_h2f_pair(d0, d1)};
}

HEARTH_INLINE zs_one zs_make_one(__m256i x, float d) {
    return (zs_one){_mm256_abs_epi8(x), _mm256_movepi8_mask(x), d};
}

/* Signed weights x a pair of activation blocks given as 64 int8 values and
 * their scales [da0 x 8, da1 x 8]: acc += (dw * da) * isum, lane-wise. */
HEARTH_INLINE void zs_step_yd(const zs_pair *w, __m512i y, __m512 da, z_state *st) {
    y = _mm512_mask_sub_epi8(y, w->neg, _mm512_setzero_si512(), y);
    const __m512 isum = _mm512_cvtepi32_ps(Z_DP(_mm512_setzero_si512(), w->ax, y));
    st->acc = _mm512_fmadd_ps(_mm512_mul_ps(w->dw, da), isum, st->acc);
}

/* Signed weights x Q8_0 activations read from their blocks. */
HEARTH_INLINE void zs_step_pair(const zs_pair *w, const block_q8_0 *a, z_state *st) {
    zs_step_yd(w, z_load_pair(a[0].qs, a[1].qs), z_h2f_pair(a[0].d, a[1].d), st);
}

/* The same from a repacked column (see HEARTH_AVX512_PREP_KERNELS). */
HEARTH_INLINE void zs_step_prep(const zs_pair *w, const int8_t *y64, const float *da16,
                                z_state *st) {
    zs_step_yd(w, _mm512_loadu_si512(y64), _mm512_loadu_ps(da16), st);
}

HEARTH_INLINE void zs_step_one(const zs_one *w, const block_q8_0 *a, z_state *st) {
    __m256i y = _mm256_loadu_si256((const __m256i *)a->qs);
    y = _mm256_mask_sub_epi8(y, w->neg, _mm256_setzero_si256(), y);
    const __m256 isum = _mm256_cvtepi32_ps(Y_DP(_mm256_setzero_si256(), w->ax, y));
    st->acc1 = _mm256_fmadd_ps(_mm256_set1_ps(w->d * avx2_h2f(a->d)), isum, st->acc1);
}

/* Unsigned weights (0..31) x Q8_1 activations, plus the offset m * s. */
typedef struct {
    __m512i q;
    float d0, d1, m0, m1;
} zu_pair;

typedef struct {
    __m256i q;
    float d, m;
} zu_one;

HEARTH_INLINE void zu_step_pair(const zu_pair *w, const block_q8_1 *a, z_state *st) {
    const __m512i y = z_load_pair(a[0].qs, a[1].qs);
    const __m512 isum = _mm512_cvtepi32_ps(Z_DP(_mm512_setzero_si512(), w->q, y));
    const __m512 s = z_scales(w->d0 * avx2_h2f(a[0].d), w->d1 * avx2_h2f(a[1].d));
    st->acc = _mm512_fmadd_ps(s, isum, st->acc);
    st->off += w->m0 * avx2_h2f(a[0].s);
    st->off += w->m1 * avx2_h2f(a[1].s);
}

HEARTH_INLINE void zu_step_one(const zu_one *w, const block_q8_1 *a, z_state *st) {
    const __m256i y = _mm256_loadu_si256((const __m256i *)a->qs);
    const __m256 isum = _mm256_cvtepi32_ps(Y_DP(_mm256_setzero_si256(), w->q, y));
    st->acc1 = _mm256_fmadd_ps(_mm256_set1_ps(w->d * avx2_h2f(a->d)), isum, st->acc1);
    st->off += w->m * avx2_h2f(a->s);
}

/* Generates vec_dot and mat_dot. Needs in scope: PAIR/ONE (decoded types),
 * decode_pair(const WBLK *) (blocks b, b+1), decode_one(const WBLK *),
 * step_pair(const PAIR *, const ABLK *, z_state *), step_one(...).
 * Tiles: 4 rows x 4 columns for batches (each decoded weight pair used 4
 * times), 1 x C for leftover rows; single columns go row after row. */
#define HEARTH_AVX512_DOT_KERNELS(VEC_DOT, MAT_DOT, WBLK, ABLK, QK)                        \
    HEARTH_INLINE void VEC_DOT##_tile(int64_t nb, int R, int C, float *restrict out,       \
                                      int64_t ldo, const char *w, size_t ws, const char *a, \
                                      size_t as) {                                         \
        z_state st[4][4];                                                                  \
        _Pragma("GCC unroll 4") for (int r = 0; r < R; r++)                                \
            _Pragma("GCC unroll 4") for (int c = 0; c < C; c++)                            \
                st[r][c] = (z_state){_mm512_setzero_ps(), _mm256_setzero_ps(), 0.0f};      \
        int64_t b = 0;                                                                     \
        for (; b + 2 <= nb; b += 2) {                                                      \
            _Pragma("GCC unroll 4") for (int r = 0; r < R; r++) {                          \
                const PAIR d = decode_pair((const WBLK *)(w + (size_t)r * ws) + b);        \
                _Pragma("GCC unroll 4") for (int c = 0; c < C; c++)                        \
                    step_pair(&d, (const ABLK *)(a + (size_t)c * as) + b, &st[r][c]);      \
            }                                                                              \
        }                                                                                  \
        if (b < nb) {                                                                      \
            _Pragma("GCC unroll 4") for (int r = 0; r < R; r++) {                          \
                const ONE d = decode_one((const WBLK *)(w + (size_t)r * ws) + b);          \
                _Pragma("GCC unroll 4") for (int c = 0; c < C; c++)                        \
                    step_one(&d, (const ABLK *)(a + (size_t)c * as) + b, &st[r][c]);       \
            }                                                                              \
        }                                                                                  \
        _Pragma("GCC unroll 4") for (int r = 0; r < R; r++)                                \
            _Pragma("GCC unroll 4") for (int c = 0; c < C; c++)                            \
                out[c * ldo + r] = z_result(&st[r][c]);                                    \
    }                                                                                      \
    void VEC_DOT(int64_t n, float *restrict out, const void *restrict w,                   \
                 const void *restrict a) {                                                 \
        VEC_DOT##_tile(n / (QK), 1, 1, out, 1, w, 0, a, 0);                                \
    }                                                                                      \
    void MAT_DOT(int64_t n, int64_t nr, int64_t nc, float *restrict out, int64_t ldo,      \
                 const void *restrict w, size_t w_stride, const void *restrict a,          \
                 size_t a_stride) {                                                        \
        const char *wc = w, *ac = a;                                                       \
        const int64_t nb = n / (QK);                                                       \
        if (nc == 1 && Z_MATVEC(VEC_DOT, nb, nr, out, wc, w_stride, ac))                   \
            return;                                                                        \
        int64_t c = 0;                                                                     \
        for (; c + 4 <= nc; c += 4) {                                                      \
            if (Z_BATCH(VEC_DOT, nb, nr, out + c * ldo, ldo, wc, w_stride, ac + c * a_stride, \
                        a_stride))                                                         \
                continue;                                                                  \
            int64_t r = 0;                                                                 \
            for (; r + 4 <= nr; r += 4)                                                    \
                VEC_DOT##_tile(nb, 4, 4, out + c * ldo + r, ldo, wc + r * w_stride,        \
                               w_stride, ac + c * a_stride, a_stride);                     \
            for (; r < nr; r++)                                                            \
                VEC_DOT##_tile(nb, 1, 4, out + c * ldo + r, ldo, wc + r * w_stride,        \
                               w_stride, ac + c * a_stride, a_stride);                     \
        }                                                                                  \
        /* single columns (matvec): rows one after the other, so that the weights \
         * stream through memory as one sequential run the prefetchers follow     \
         * (interleaved rows measured slower); out-of-order execution overlaps the \
         * consecutive rows' independent accumulator chains */                    \
        for (; c < nc; c++) {                                                              \
            int64_t r = 0;                                                                 \
            for (; r < nr; r++)                                                            \
                VEC_DOT##_tile(nb, 1, 1, out + c * ldo + r, ldo, wc + r * w_stride,        \
                               w_stride, ac + c * a_stride, a_stride);                     \
        }                                                                                  \
    }

/* Matvec with the activation column repacked once per call: pairs of blocks
 * as 64 contiguous int8 and their scales as [da0 x 8, da1 x 8] floats, so
 * the inner loop loads them with single full-width loads. The arithmetic is
 * the same as zs_step_pair's (same products, same order): the bits equal
 * vec_dot's. Used for signed weight types with Q8_0 activations when the
 * row has at most Z_PREP_MAX_PAIRS pairs of blocks (else the plain tiles). */
#define Z_PREFETCH 2048     /* bytes ahead in each weight row stream */
#define Z_PREP_MAX_PAIRS 256 /* 16384 values: 16 KiB of int8 + 16 KiB of scales */

/* BIAS > 0: weights stored as q in [0, 2 * BIAS) with value q - BIAS (Q4_0,
 * Q5_0). The repacked column then also holds -BIAS * (sum of each 4-group of
 * activations) per int32 lane, the starting value of the product sum, so the
 * inner loop needs no sign handling: sum (q - BIAS) * a = -BIAS * sum a +
 * sum q * a, the same exact integers as the signed path. DECODE_U gives
 * {codes (unsigned), dw} for a pair. */
typedef struct {
    __m512i q;
    __m512 dw;
} zb_pair;

#define HEARTH_AVX512_PREP_KERNELS(VEC_DOT, WBLK, DECODE_U, BIAS)                          \
    HEARTH_INLINE void VEC_DOT##_prep_tile(int64_t nb, int R, float *restrict out,         \
                                           const char *w, size_t ws, const int8_t *yp,     \
                                           const float *dap, const int32_t *nbp,           \
                                           const block_q8_0 *a) {                          \
        z_state st[4];                                                                     \
        _Pragma("GCC unroll 4") for (int r = 0; r < R; r++)                                \
            st[r] = (z_state){_mm512_setzero_ps(), _mm256_setzero_ps(), 0.0f};             \
        int64_t b = 0;                                                                     \
        for (; b + 2 <= nb; b += 2) {                                                      \
            _Pragma("GCC unroll 4") for (int r = 0; r < R; r++) {                          \
                const WBLK *wb = (const WBLK *)(w + (size_t)r * ws) + b;                   \
                /* a hint only (no fault past the matrix): keeps DRAM busy */              \
                _mm_prefetch((const char *)wb + Z_PREFETCH, _MM_HINT_T0);                  \
                if (BIAS) {                                                                \
                    const zb_pair d = DECODE_U((const void *)wb);                                        \
                    const __m512i isum = Z_DP(_mm512_load_si512(nbp + b * 8), d.q,         \
                                              _mm512_load_si512(yp + b * 32));             \
                    st[r].acc = _mm512_fmadd_ps(_mm512_mul_ps(d.dw, _mm512_load_ps(dap + b * 8)), \
                                                _mm512_cvtepi32_ps(isum), st[r].acc);      \
                } else {                                                                   \
                    const PAIR d = decode_pair(wb);                                        \
                    zs_step_prep(&d, yp + b * 32, dap + b * 8, &st[r]);                    \
                }                                                                          \
            }                                                                              \
        }                                                                                  \
        if (b < nb) {                                                                      \
            _Pragma("GCC unroll 4") for (int r = 0; r < R; r++) {                          \
                const ONE d = decode_one((const WBLK *)(w + (size_t)r * ws) + b);          \
                step_one(&d, a + b, &st[r]);                                               \
            }                                                                              \
        }                                                                                  \
        _Pragma("GCC unroll 4") for (int r = 0; r < R; r++) out[r] = z_result(&st[r]);     \
    }                                                                                      \
    /* rows one after the other: one sequential stream (see MAT_DOT) */                   \
    /* Batches of biased types: per pair of blocks, each of 4 columns is loaded \
     * once with its -BIAS * sums and scales, then every row's decoded codes    \
     * meet all 4 columns with one vpdpbusd each (no sign handling). */         \
    HEARTH_INLINE void VEC_DOT##_bias_tile(int64_t nb, int R, float *restrict out,         \
                                           int64_t ldo, const char *w, size_t ws,          \
                                           const char *a, size_t as) {                     \
        __m512 acc[4][4];                                                                  \
        _Pragma("GCC unroll 4") for (int r = 0; r < R; r++)                                \
            _Pragma("GCC unroll 4") for (int c = 0; c < 4; c++) acc[r][c] =                \
                _mm512_setzero_ps();                                                       \
        int64_t b = 0;                                                                     \
        for (; b + 2 <= nb; b += 2) {                                                      \
            __m512i y[4], nbias[4];                                                        \
            __m512 da[4];                                                                  \
            _Pragma("GCC unroll 4") for (int c = 0; c < 4; c++) {                          \
                const block_q8_0 *ab = (const block_q8_0 *)(a + (size_t)c * as) + b;       \
                y[c] = z_load_pair(ab[0].qs, ab[1].qs);                                    \
                da[c] = z_h2f_pair(ab[0].d, ab[1].d);                                      \
                nbias[c] = _mm512_sub_epi32(_mm512_setzero_si512(),                        \
                                            Z_DP(_mm512_setzero_si512(),                   \
                                                 _mm512_set1_epi8(BIAS ? BIAS : 1), y[c])); \
            }                                                                              \
            _Pragma("GCC unroll 4") for (int r = 0; r < R; r++) {                          \
                const zb_pair d = DECODE_U((const void *)((const WBLK *)(w + (size_t)r * ws) + b)); \
                _Pragma("GCC unroll 4") for (int c = 0; c < 4; c++) {                      \
                    const __m512i isum = Z_DP(nbias[c], d.q, y[c]);                        \
                    acc[r][c] = _mm512_fmadd_ps(_mm512_mul_ps(d.dw, da[c]),                \
                                                _mm512_cvtepi32_ps(isum), acc[r][c]);      \
                }                                                                          \
            }                                                                              \
        }                                                                                  \
        _Pragma("GCC unroll 4") for (int r = 0; r < R; r++) {                              \
            ONE d1;                                                                        \
            if (b < nb)                                                                    \
                d1 = decode_one((const WBLK *)(w + (size_t)r * ws) + b);                   \
            _Pragma("GCC unroll 4") for (int c = 0; c < 4; c++) {                          \
                z_state st = {acc[r][c], _mm256_setzero_ps(), 0.0f};                       \
                if (b < nb)                                                                \
                    step_one(&d1, (const block_q8_0 *)(a + (size_t)c * as) + b, &st);      \
                out[c * ldo + r] = z_result(&st);                                          \
            }                                                                              \
        }                                                                                  \
    }                                                                                      \
    HEARTH_INLINE bool VEC_DOT##_batch4(int64_t nb, int64_t nr, float *restrict out,       \
                                        int64_t ldo, const char *w, size_t ws, const char *a, \
                                        size_t as) {                                       \
        if (!BIAS)                                                                         \
            return false;                                                                  \
        int64_t r = 0;                                                                     \
        for (; r + 4 <= nr; r += 4)                                                        \
            VEC_DOT##_bias_tile(nb, 4, out + r, ldo, w + r * ws, ws, a, as);               \
        for (; r < nr; r++)                                                                \
            VEC_DOT##_bias_tile(nb, 1, out + r, ldo, w + r * ws, ws, a, as);               \
        return true;                                                                       \
    }                                                                                      \
    HEARTH_INLINE bool VEC_DOT##_matvec(int64_t nb, int64_t nr, float *restrict out,       \
                                        const char *w, size_t ws, const block_q8_0 *a) {   \
        if (nb > 2 * Z_PREP_MAX_PAIRS)                                                     \
            return false;                                                                  \
        int8_t yp[2 * Z_PREP_MAX_PAIRS * 32] __attribute__((aligned(64)));                 \
        float dap[Z_PREP_MAX_PAIRS * 16] __attribute__((aligned(64)));                     \
        int32_t nbp[BIAS ? Z_PREP_MAX_PAIRS * 16 : 16] __attribute__((aligned(64)));       \
        for (int64_t b = 0; b + 2 <= nb; b += 2) {                                         \
            const __m512i y = z_load_pair(a[b].qs, a[b + 1].qs);                           \
            _mm512_store_si512(yp + b * 32, y);                                            \
            _mm512_store_ps(dap + b * 8, z_h2f_pair(a[b].d, a[b + 1].d));                  \
            if (BIAS)                                                                      \
                _mm512_store_si512(nbp + b * 8,                                            \
                                   _mm512_sub_epi32(_mm512_setzero_si512(),                \
                                                    Z_DP(_mm512_setzero_si512(),           \
                                                         _mm512_set1_epi8(BIAS), y)));     \
        }                                                                                  \
        int64_t r = 0;                                                                     \
        for (; r < nr; r++)                                                                \
            VEC_DOT##_prep_tile(nb, 1, out + r, w + r * ws, ws, yp, dap, nbp, a);          \
        return true;                                                                       \
    }

/* ---- The weight types ---------------------------------------------------- */

HEARTH_INLINE zs_pair q4_0_decode_pair(const block_q4_0 *b) {
    const __m512i x = _mm512_sub_epi8(z_nibbles_pair(b[0].qs, b[1].qs), _mm512_set1_epi8(8));
    return zs_make_pair(x, b[0].d, b[1].d);
}
HEARTH_INLINE zs_one q4_0_decode_one(const block_q4_0 *b) {
    return zs_make_one(_mm256_sub_epi8(avx2_unpack_nibbles(b->qs), _mm256_set1_epi8(8)),
                       avx2_h2f(b->d));
}

HEARTH_INLINE zb_pair q4_0_decode_u(const block_q4_0 *b) {
    return (zb_pair){z_nibbles_pair(b[0].qs, b[1].qs), z_h2f_pair(b[0].d, b[1].d)};
}

HEARTH_INLINE zs_pair q8_0_decode_pair(const block_q8_0 *b) {
    return zs_make_pair(z_load_pair(b[0].qs, b[1].qs), b[0].d, b[1].d);
}
HEARTH_INLINE zs_one q8_0_decode_one(const block_q8_0 *b) {
    return zs_make_one(_mm256_loadu_si256((const __m256i *)b->qs), avx2_h2f(b->d));
}

HEARTH_INLINE zs_pair iq4_nl_decode_pair(const block_iq4_nl *b) {
    const __m512i table =
        _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)hearth_kvalues_iq4nl));
    const __m512i x = _mm512_shuffle_epi8(table, z_nibbles_pair(b[0].qs, b[1].qs));
    return zs_make_pair(x, b[0].d, b[1].d);
}
HEARTH_INLINE zs_one iq4_nl_decode_one(const block_iq4_nl *b) {
    const __m128i lv = _mm_loadu_si128((const __m128i *)hearth_kvalues_iq4nl);
    const __m256i x = _mm256_shuffle_epi8(_mm256_set_m128i(lv, lv), avx2_unpack_nibbles(b->qs));
    return zs_make_one(x, avx2_h2f(b->d));
}

/* Q5_0: high nibble 0xf where the fifth bit is clear = two's complement of q - 16. */
HEARTH_INLINE __m256i q5_0_codes(const block_q5_0 *b) {
    const __m256i hi = _mm256_andnot_si256(avx2_bits_to_bytes(b->qh), _mm256_set1_epi8((char)0xf0));
    return _mm256_or_si256(avx2_unpack_nibbles(b->qs), hi);
}
HEARTH_INLINE zs_pair q5_0_decode_pair(const block_q5_0 *b) {
    const __m512i x = _mm512_inserti64x4(_mm512_castsi256_si512(q5_0_codes(&b[0])),
                                         q5_0_codes(&b[1]), 1);
    return zs_make_pair(x, b[0].d, b[1].d);
}
HEARTH_INLINE zb_pair q5_0_decode_u(const block_q5_0 *b) {
    /* codes q in 0..31 (value q - 16): nibble | fifth bit << 4 */
    const __m256i hi0 = _mm256_and_si256(avx2_bits_to_bytes(b[0].qh), _mm256_set1_epi8(0x10));
    const __m256i hi1 = _mm256_and_si256(avx2_bits_to_bytes(b[1].qh), _mm256_set1_epi8(0x10));
    const __m512i hi = _mm512_inserti64x4(_mm512_castsi256_si512(hi0), hi1, 1);
    return (zb_pair){_mm512_or_si512(z_nibbles_pair(b[0].qs, b[1].qs), hi),
                     z_h2f_pair(b[0].d, b[1].d)};
}

HEARTH_INLINE zs_one q5_0_decode_one(const block_q5_0 *b) {
    return zs_make_one(q5_0_codes(b), avx2_h2f(b->d));
}

HEARTH_INLINE __m256i q5_1_codes(const block_q5_1 *b) {
    const __m256i hi = _mm256_and_si256(avx2_bits_to_bytes(b->qh), _mm256_set1_epi8(0x10));
    return _mm256_or_si256(avx2_unpack_nibbles(b->qs), hi);
}
HEARTH_INLINE zu_pair q5_1_decode_pair(const block_q5_1 *b) {
    const __m512i q = _mm512_inserti64x4(_mm512_castsi256_si512(q5_1_codes(&b[0])),
                                         q5_1_codes(&b[1]), 1);
    return (zu_pair){q, avx2_h2f(b[0].d), avx2_h2f(b[1].d), avx2_h2f(b[0].m), avx2_h2f(b[1].m)};
}
HEARTH_INLINE zu_one q5_1_decode_one(const block_q5_1 *b) {
    return (zu_one){q5_1_codes(b), avx2_h2f(b->d), avx2_h2f(b->m)};
}

#endif /* HEARTH_KERNELS_AVX512_DOT_H */
