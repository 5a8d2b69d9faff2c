/* kquant_util.h (AVX2) - helpers shared by the AVX2 K-quant kernels.
 *
 * The dot kernels keep, per activation column, 8 float lanes (and for the
 * formats with mins a second accumulator) and add each block's exact integer
 * lane sums with one FMA by d_w * d_a: a different summation order than the
 * reference, within STYLE §8. vec_dot and the mat_dot tile run the same
 * per-column sequence of float operations (same lanes, same order, same final
 * reduction), which is what makes mat_dot bit-identical to vec_dot.
 */
#ifndef HEARTH_KQUANT_AVX2_UTIL_H
#define HEARTH_KQUANT_AVX2_UTIL_H

#include <immintrin.h>

#include "../../ref/kquant_util.h" /* formats, prototypes */

/* Sum of the 8 float lanes in a fixed order (pairwise halves). */
static inline float kq_hsum_ps(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline float kq_hsum128_ps(__m128 s) {
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline float kq_half(hearth_f16 h) {
    return _cvtsh_ss(h);
}

/* Byte-shuffle controls broadcasting int16 lane j (0..7) of each 128-bit half. */
#define KQ_C4(v) v, v, v, v
#define KQ_C(j) {KQ_C4(0x0100 + 0x0202 * (j)), KQ_C4(0x0100 + 0x0202 * (j)), \
                 KQ_C4(0x0100 + 0x0202 * (j)), KQ_C4(0x0100 + 0x0202 * (j))}
static const int16_t kq_bcast16_ctl[8][16] __attribute__((aligned(32))) = {
    KQ_C(0), KQ_C(1), KQ_C(2), KQ_C(3), KQ_C(4), KQ_C(5), KQ_C(6), KQ_C(7),
};
#undef KQ_C
#undef KQ_C4

static inline __m256i kq_bcast16(__m256i v, int j) {
    return _mm256_shuffle_epi8(v, _mm256_load_si256((const __m256i *)kq_bcast16_ctl[j]));
}

/* Pointer to column c of a tile (Q8_K blocks). */
static inline const block_q8_K *kq_col(const void *a, size_t a_stride, int64_t c) {
    return (const block_q8_K *)((const char *)a + c * a_stride);
}

/* ---- Q4_K / Q5_K shared pieces ---------------------------------------------- */

/* Scales and mins of a Q4_K/Q5_K block as int16: returns [sc0..7 | sc0..7] and
 * *mins = m0..m7. Reads 16 bytes at `scales` (the 4 past the 12-byte field are
 * the next field of the same block). Word derivation: kq_unpack_scales_mins_words. */
static inline __m256i kq_k4_scales(const uint8_t *scales, __m128i *mins) {
    __m128i v = _mm_loadu_si128((const __m128i *)scales); /* words w0 w1 w2 (next field) */
    /* low parts: w0 & 3f, w2 & 0f, w1 & 3f, (w2 >> 4) & 0f */
    __m128i lo = _mm_srlv_epi32(_mm_shuffle_epi32(v, _MM_SHUFFLE(2, 1, 2, 0)),
                                _mm_setr_epi32(0, 0, 0, 4));
    lo = _mm_and_si128(lo, _mm_setr_epi32(0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f));
    /* top bits of scales/mins 4..7: ((w0 or w1) >> 6 & 3) << 4 = (w >> 2) & 0x30.. */
    __m128i hi = _mm_srli_epi32(_mm_shuffle_epi32(v, _MM_SHUFFLE(1, 1, 0, 0)), 2);
    hi = _mm_and_si128(hi, _mm_setr_epi32(0, 0x30303030, 0, 0x30303030));
    __m256i sm16 = _mm256_cvtepu8_epi16(_mm_or_si128(lo, hi)); /* [sc0..7 | m0..7] */
    *mins = _mm256_extracti128_si256(sm16, 1);
    return _mm256_permute2x128_si256(sm16, sm16, 0x00);
}

/* Lanes of the min term: m_j * (bsums[2j] + bsums[2j+1]); |pair| <= 4064 fits int16. */
static inline __m128i kq_k4_msum(__m128i mins, const block_q8_K *a) {
    __m128i b0 = _mm_loadu_si128((const __m128i *)a->bsums);
    __m128i b1 = _mm_loadu_si128((const __m128i *)(a->bsums + 8));
    return _mm_madd_epi16(_mm_hadd_epi16(b0, b1), mins);
}

/* sumi lanes for the sub-block pair of one 64-value chunk given unsigned levels
 * (maddubs pairs <= 2*31*128) and the two broadcast scales. */
static inline __m256i kq_k4_pair(__m256i lo, __m256i hi, __m256i sc_lo, __m256i sc_hi,
                                 const int8_t *act) {
    __m256i pl = _mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)act));
    __m256i ph = _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(act + 32)));
    return _mm256_add_epi32(_mm256_madd_epi16(pl, sc_lo), _mm256_madd_epi16(ph, sc_hi));
}

/* ---- Generic decoded block (Q2_K, Q3_K, Q5_K, IQ4_XS) ---------------------- */
/* The formats without a hand-tuned kernel decode each block into this form and
 * share one column dot: level vector p holds values 32p..32p+31; sc[p] holds
 * the int16 scale of values 32p..+15 in lanes 0-7 and of 32p+16..+31 in lanes
 * 8-15 (the int16 lanes maddubs produces for those bytes). */
typedef struct kq2_block {
    __m256i u[8];     /* levels: unsigned 0..63, or signed (IQ4_XS) when is_signed */
    __m256i sc[8];    /* int16 scales in maddubs lane order, see above */
    __m256i sc16;     /* the 16 scales (one per 16 values) as int16 */
    __m256i m16;      /* the 16 mins as int16 (zero when the format has none) */
    float d, dmin;
} kq2_block;

/* What distinguishes the formats in the column dot; compile-time constants at
 * each call so that the always-inlined loops are specialised per format. */
typedef struct kq2_format {
    int offset_shift; /* level = u - (1 << offset_shift), or u when 0 */
    bool is_signed;   /* u holds signed levels (IQ4_XS): maddubs(|q|, a * sign(q)) */
    bool has_min;     /* subtract dmin * sum m * bsums */
} kq2_format;

#define KQ_INLINE static inline __attribute__((always_inline))

typedef void (*kq2_decode_fn)(const void *blk, kq2_block *out);

/* sc[p] from 16 int16 scales: [s_2p x8 | s_2p+1 x8] (pshufb picks within halves). */
#define KQ_P4(v) v, v, v, v
#define KQ_P(q) {KQ_P4(0x0100 + 0x0202 * 2 * (q)), KQ_P4(0x0100 + 0x0202 * 2 * (q)), \
                 KQ_P4(0x0100 + 0x0202 * (2 * (q) + 1)), KQ_P4(0x0100 + 0x0202 * (2 * (q) + 1))}
static const int16_t kq_pair_ctl[4][16] __attribute__((aligned(32))) = {KQ_P(0), KQ_P(1), KQ_P(2),
                                                                         KQ_P(3)};
#undef KQ_P
#undef KQ_P4

static inline void kq2_pair_scales(__m256i sc16, __m256i sc[8]) {
    __m256i lowdup = _mm256_permute2x128_si256(sc16, sc16, 0x00);
    __m256i highdup = _mm256_permute2x128_si256(sc16, sc16, 0x11);
    for (int p = 0; p < 8; p++)
        sc[p] = _mm256_shuffle_epi8(p < 4 ? lowdup : highdup,
                                    _mm256_load_si256((const __m256i *)kq_pair_ctl[p % 4]));
}

/* Exact int32 lanes of sum_j sc_j * sum_i level_i * a_i. The signed path uses
 * maddubs(|q|, a * sign(q)), exact because Q8_K levels are within -127..127
 * (the quantizer maps the largest magnitude to 127), so no a = -128 flips. */
KQ_INLINE __m256i kq2_sumi(const kq2_block *b, const block_q8_K *a, kq2_format f) {
    __m256i sumi = _mm256_setzero_si256();
    for (int p = 0; p < 8; p++) {
        __m256i act = _mm256_loadu_si256((const __m256i *)(a->qs + 32 * p));
        __m256i prod = f.is_signed
                           ? _mm256_maddubs_epi16(_mm256_sign_epi8(b->u[p], b->u[p]),
                                                  _mm256_sign_epi8(act, b->u[p]))
                           : _mm256_maddubs_epi16(b->u[p], act);
        sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(prod, b->sc[p]));
    }
    if (f.offset_shift) {
        __m256i bs = _mm256_loadu_si256((const __m256i *)a->bsums);
        __m256i off = _mm256_madd_epi16(bs, b->sc16);
        sumi = _mm256_sub_epi32(sumi, _mm256_sll_epi32(off, _mm_cvtsi32_si128(f.offset_shift)));
    }
    return sumi;
}

/* One weight row against up to 4 columns; per column the same float sequence
 * whatever the grouping (vec_dot and mat_dot are bit-identical). */
KQ_INLINE void kq2_tile(int64_t nb, const char *row, size_t type_size, kq2_decode_fn decode,
                        kq2_format f, const block_q8_K *const cols[], int ncols, float out[]) {
    __m256 acc[4], acc_m[4];
    for (int k = 0; k < ncols; k++) {
        acc[k] = _mm256_setzero_ps();
        acc_m[k] = _mm256_setzero_ps();
    }
    kq2_block b;
    for (int64_t ib = 0; ib < nb; ib++) {
        decode(row + ib * type_size, &b);
        for (int k = 0; k < ncols; k++) {
            const block_q8_K *a = &cols[k][ib];
            __m256 s = _mm256_cvtepi32_ps(kq2_sumi(&b, a, f));
            acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(b.d * a->d), s, acc[k]);
            if (f.has_min) {
                __m256i bs = _mm256_loadu_si256((const __m256i *)a->bsums);
                acc_m[k] = _mm256_fmadd_ps(_mm256_set1_ps(b.dmin * a->d),
                                           _mm256_cvtepi32_ps(_mm256_madd_epi16(bs, b.m16)),
                                           acc_m[k]);
            }
        }
    }
    for (int k = 0; k < ncols; k++)
        out[k] = kq_hsum_ps(acc[k]) - kq_hsum_ps(acc_m[k]);
}

KQ_INLINE void kq2_vec_dot(int64_t n, float *out, const void *w, const void *a, size_t type_size,
                           kq2_decode_fn decode, kq2_format f) {
    const block_q8_K *cols[1] = {a};
    kq2_tile(n / QK_K, w, type_size, decode, f, cols, 1, out);
}

/* Column tiles of 16 (kept in L2), every row against them, 4 columns per pass. */
KQ_INLINE void kq2_mat_dot(KQ_MAT_DOT_ARGS, size_t type_size, kq2_decode_fn decode,
                           kq2_format f) {
    for (int64_t c0 = 0; c0 < nc; c0 += 16) {
        int64_t c1 = c0 + 16 < nc ? c0 + 16 : nc;
        for (int64_t r = 0; r < nr; r++) {
            const char *row = (const char *)w + r * w_stride;
            for (int64_t c = c0; c < c1; c += 4) {
                int cn = c1 - c < 4 ? (int)(c1 - c) : 4;
                const block_q8_K *cols[4];
                float res[4];
                for (int k = 0; k < cn; k++)
                    cols[k] = kq_col(a, a_stride, c + k);
                kq2_tile(n / QK_K, row, type_size, decode, f, cols, cn, res);
                for (int k = 0; k < cn; k++)
                    out[(c + k) * ldo + r] = res[k];
            }
        }
    }
}

#endif /* HEARTH_KQUANT_AVX2_UTIL_H */
