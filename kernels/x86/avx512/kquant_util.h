/* kquant_util.h (AVX-512) - helpers shared by the AVX-512 K-quant kernels.
 *
 * Same accumulation scheme as the AVX2 tier, twice as wide: per block the
 * exact int32 lane sums go to 16 float lanes with one FMA by d_w * d_a.
 * vec_dot and the mat_dot tile run the same per-column float operations, so
 * they agree bit for bit; against the reference the order differs (STYLE §8).
 */
#ifndef HEARTH_KQUANT_AVX512_UTIL_H
#define HEARTH_KQUANT_AVX512_UTIL_H

#include <immintrin.h>
#include <stdbool.h>
#include <string.h> /* memcpy */

#include "../../ref/kquant_util.h" /* formats, prototypes */

/* The kernel bodies are compiled by both AVX-512 tiers: KQ512_VNNI (set by
 * kernels/x86/avx512vnni/) names them _avx512vnni and adds int16 pair products
 * into int32 lanes with vpdpwssd; the avx512 tier uses vpmaddwd + vpaddd. Both
 * give the same exact integers. KQ512_GFNI (a VNNI file compiled with -mgfni,
 * used only where the CPU has GFNI) names them _avx512vnni_gfni. */
#ifdef KQ512_GFNI
#define KQ512_VNNI /* a GFNI kernel is a VNNI kernel too */
#endif
#if defined(KQ512_VNNI)
#ifdef KQ512_GFNI
#define KQ512_NAME(f) f##_avx512vnni_gfni
#else
#define KQ512_NAME(f) f##_avx512vnni
#endif
#define KQ512_DPWSSD(acc, p, s) _mm512_dpwssd_epi32(acc, p, s)
#else
#define KQ512_NAME(f) f##_avx512
#define KQ512_DPWSSD(acc, p, s) _mm512_add_epi32(acc, _mm512_madd_epi16(p, s))
#endif

/* Two int32 vectors whose lanes fit int16 as the two words of each dword:
 * `lo` (truncated to its low word, exact when |lo| < 2^15) in the low word,
 * `hi_high` (a value already shifted into the high word) above it, so one
 * vpdpwssd applies two scale vectors (the VNNI Q4_K X4 and Q6_K kernels). */
static inline __m512i kq512_word_pair(__m512i lo, __m512i hi_high) {
    return _mm512_ternarylogic_epi32(lo, _mm512_set1_epi32(0xffff), hi_high, 0xea); /* A&B | C */
}

/* No software prefetch in the matvecs: on Zen 4 the one they had (each
 * block's lines 16 KiB ahead, non-temporal or not) cost Q4_K 18.5 -> 22 and
 * Q6_K 16.4 -> 26 GB/s on one core from DRAM; the hardware prefetchers follow
 * one sequential stream better alone (on the Zen 5 host of an earlier
 * session the prefetch had helped by a few percent). */

/* Sum of 16 float lanes in a fixed order (halves, then pairs). */
static inline float kq512_hsum_ps(__m512 v) {
    __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)); /* F only */
    __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v), hi);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline float kq512_hsum128_ps(__m128 s) {
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline float kq512_half(hearth_f16 h) {
    return _cvtsh_ss(h);
}

static inline const block_q8_K *kq512_col(const void *a, size_t a_stride, int64_t c) {
    return (const block_q8_K *)((const char *)a + c * a_stride);
}

/* Sums of the 8 sub-blocks of 32 activations as int16 (|sum| <= 32 * 127). */
static inline __m128i kq512_bsum8(const block_q8_K *a) {
    return _mm_hadd_epi16(_mm_loadu_si128((const __m128i *)a->bsums),
                          _mm_loadu_si128((const __m128i *)(a->bsums + 8)));
}

/* Sub-block sums prepared once per call for up to KQ512_PREP_BLOCKS blocks of
 * each of the KQ512_COLS columns of a group (16 KiB); longer rows compute
 * them per use (the same integers). */
enum { KQ512_PREP_BLOCKS = 64, KQ512_COLS = 16 };

/* The body of every K-quant mat_dot (inside a function with KQ_MAT_DOT_ARGS):
 * column groups of KQ512_COLS (their activations stay in L2), each row meeting
 * 8, then 4, then 1 of them at a time through
 *   TILE(nb, C, row, cols, bs8, out, ldo)
 * where bs8 is the group's prepared sub-block sums when PREP is true (and the
 * row short enough), else NULL. A tile computes each column as vec_dot does. */
#define KQ512_MAT_DOT_BODY(TILE, PREP)                                                   \
    const int64_t nb = n / QK_K;                                                         \
    __m128i prep[(PREP) ? KQ512_COLS * KQ512_PREP_BLOCKS : 1];                           \
    const bool use_prep = (PREP) && nb <= KQ512_PREP_BLOCKS;                             \
    for (int64_t c0 = 0; c0 < nc; c0 += KQ512_COLS) {                                    \
        const int64_t c1 = c0 + KQ512_COLS < nc ? c0 + KQ512_COLS : nc;                  \
        const block_q8_K *cols[KQ512_COLS];                                              \
        for (int64_t c = c0; c < c1; c++) {                                              \
            cols[c - c0] = kq512_col(a, a_stride, c);                                    \
            for (int64_t ib = 0; use_prep && ib < nb; ib++)                              \
                prep[(c - c0) * KQ512_PREP_BLOCKS + ib] = kq512_bsum8(&cols[c - c0][ib]); \
        }                                                                                \
        for (int64_t r = 0; r < nr; r++) {                                               \
            const void *row = (const char *)w + r * w_stride;                            \
            int64_t c = c0;                                                              \
            for (; c + 8 <= c1; c += 8)                                                  \
                TILE(nb, 8, row, cols + (c - c0),                                        \
                     use_prep ? prep + (c - c0) * KQ512_PREP_BLOCKS : NULL,              \
                     out + c * ldo + r, ldo);                                            \
            for (; c + 4 <= c1; c += 4)                                                  \
                TILE(nb, 4, row, cols + (c - c0),                                        \
                     use_prep ? prep + (c - c0) * KQ512_PREP_BLOCKS : NULL,              \
                     out + c * ldo + r, ldo);                                            \
            for (; c < c1; c++)                                                          \
                TILE(nb, 1, row, cols + (c - c0),                                        \
                     use_prep ? prep + (c - c0) * KQ512_PREP_BLOCKS : NULL,              \
                     out + c * ldo + r, ldo);                                            \
        }                                                                                \
    }

#endif /* HEARTH_KQUANT_AVX512_UTIL_H */
