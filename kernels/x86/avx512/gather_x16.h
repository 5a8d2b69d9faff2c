/* gather_x16.h - the two AVX-512 tiers' dots over Q4_0 and Q8_0 rows repacked
 * to the X16 layouts (kernels/layout.h), and the matvec driver (g_matvec) and
 * kernel macro of every gather_dot.h kind, in GGUF order or X16; included by
 * dot_types.inc. Q8_0's row kernel is x16_q8_0_row; the notes below are
 * Q4_0's.
 *
 * Why: in GGUF order the in-place kernel (gather_dot.h) spends a word
 * permute per 4 blocks moving codes into lanes, two more per 16 blocks for
 * the scales, and 9 operations folding each step's lanes to one sum per
 * block; on one Zen 4 core that arithmetic, not memory, set its rate (in L2:
 * 32 GB/s; without the permute 40, without the fold 38). In X16 order a
 * 64-byte load is already one block per 32-bit lane, four loads are 16
 * blocks, and the 16 scales are one 32-byte load: per 16 blocks 4 loads,
 * 8 masks, 8 vpdpbusd and 4 float operations. Measured on one core in L2:
 * 49 vs 32 GB/s, from DRAM 96 % vs 77 % of the read loop beside it.
 *
 * High nibbles: on VNNI they are multiplied in place, as 16 q (masked with
 * 0xf0, so no shift), into their own sums, which are divided by 16 (exact:
 * an arithmetic shift of a multiple of 16) when the two are added; the
 * other tier's vpmaddubsw would saturate on 16 q, so there they are shifted
 * down first. The integer sums are the same either way.
 *
 * Same bits as gather_dot.h on the GGUF rows: lane L of a group's sum is
 * block L's integer sum (bias start included) exactly as in that kernel's
 * quad, and acc += (dw * da) * (float)isum runs lane by lane in the same
 * order, so one float accumulator sees the same operations. The blocks after
 * the last whole group (GGUF order) go through gather_dot.h's own steps.
 */
#ifndef HEARTH_KERNELS_AVX512_GATHER_X16_H
#define HEARTH_KERNELS_AVX512_GATHER_X16_H

#include "../../layout.h" /* HEARTH_X16_BLOCKS, HEARTH_X16_GROUP_BYTES */
#include "gather_dot.h"

enum { X16_ZMM = 8 }; /* prepared activation registers per group of 16 blocks */

/* Stage p of the transpose below: output lane j takes lane j of the first
 * source with bit p set to v, from the second source where bit p of j is 1. */
HEARTH_INLINE __m512i x16_stage_index(int p, int v) {
    _Alignas(64) int32_t idx[16];
    for (int j = 0; j < 16; j++)
        idx[j] = 16 * ((j >> p) & 1) + (j & ~(1 << p)) + (v << p);
    return _mm512_load_si512(idx);
}

/* Groups [0, ng) of column a: register i of group g, lane L = bytes 4i..4i+3
 * of activation block 16g + L's codes; the group's g_quad gets lane L's
 * scale and -bias * (sum of its codes), bias being the weight codes' offset
 * (gather_dot.h: 8 for Q4_0, 128 for Q8_0 on VNNI, else 0); odd_apart (Q8_0)
 * splits that into nbias (the even code words, registers 0, 2, 4, 6) and
 * nbias_odd (1, 3, 5, 7), the two sums a Q8_0 block has. The codes are a
 * 16 x 8 dword transpose: register k starts as blocks k and k + 8 (lanes
 * 0-7, 8-15: lane bits b3 i2 i1 i0), and stage p swaps register bit p (block
 * bit b_p) with lane bit p (dword bit i_p), so after three stages register i
 * holds dword i of the 16 blocks in block order. Why not gathers: at two
 * threads or more the library prepares a column per task of 16-128 rows, and
 * eight dword gathers per group cost 228 ns per call of 2048 values on Zen 4,
 * a tenth of a 64-row call (this: 77 ns). */
HEARTH_INLINE void x16_prep(__m512i *codes, g_quad *qd, const char *a, int64_t ng, int bias,
                            bool odd_apart) {
    const __m512i at = _mm512_mullo_epi32(
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
        _mm512_set1_epi32((int32_t)sizeof(block_q8_0)));
    const __m512i one = _mm512_set1_epi8(1);
    __m512i idx[3][2];
    for (int p = 0; p < 3; p++)
        for (int v = 0; v < 2; v++)
            idx[p][v] = x16_stage_index(p, v);
    for (int64_t g = 0; g < ng; g++) {
        const char *blk = a + (size_t)g * HEARTH_X16_BLOCKS * sizeof(block_q8_0);
        const char *qs = blk + offsetof(block_q8_0, qs);
        __m512i r[X16_ZMM], t[X16_ZMM];
#pragma GCC unroll 8
        for (int k = 0; k < X16_ZMM; k++) /* lanes 0-7 block k, 8-15 block k + 8 */
            r[k] = _mm512_inserti64x4(
                _mm512_castsi256_si512(
                    _mm256_loadu_si256((const __m256i *)(qs + k * sizeof(block_q8_0)))),
                _mm256_loadu_si256((const __m256i *)(qs + (k + 8) * sizeof(block_q8_0))), 1);
        /* unrolled: as loops (-O2) the registers went through the stack */
#pragma GCC unroll 3
        for (int p = 0; p < 3; p++) {
            const int bit = 1 << p;
#pragma GCC unroll 8
            for (int k = 0; k < X16_ZMM; k++)
                t[k] = _mm512_permutex2var_epi32(r[k & ~bit], idx[p][(k & bit) != 0],
                                                 r[k | bit]);
#pragma GCC unroll 8
            for (int k = 0; k < X16_ZMM; k++)
                r[k] = t[k];
        }
        __m512i sums[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};
#pragma GCC unroll 8
        for (int i = 0; i < X16_ZMM; i++) {
            codes[X16_ZMM * g + i] = r[i];
            sums[i % 2] = Z_DP(sums[i % 2], one, r[i]);
        }
        /* the f16 scale is the low half of the dword each block starts with */
        const __m512i d32 = _mm512_i32gather_epi32(at, blk, 1);
        _mm512_store_ps(qd[g].da, _mm512_cvtph_ps(_mm512_cvtepi32_epi16(d32)));
        const __m512i nb = _mm512_set1_epi32(-bias);
        if (odd_apart) { /* Q8_0: even and odd code words' biases apart */
            _mm512_store_si512(qd[g].nbias, _mm512_mullo_epi32(sums[0], nb));
            _mm512_store_si512(qd[g].nbias_odd, _mm512_mullo_epi32(sums[1], nb));
        } else {
            _mm512_store_si512(qd[g].nbias,
                               _mm512_mullo_epi32(_mm512_add_epi32(sums[0], sums[1]), nb));
            _mm512_store_ps(qd[g].sa, _mm512_setzero_ps());
        }
    }
}

/* acc += groups [0, ng) of one X16 row (at `row`) against a prepared chunk. */
HEARTH_INLINE __m512 x16_row(__m512 acc, const char *row, int64_t ng, const __m512i *ac,
                             const g_quad *qd) {
    const __m512i lo_mask = _mm512_set1_epi8(0x0f);
#ifdef AVX512_HAVE_VNNI
    const __m512i hi_mask = _mm512_set1_epi8((char)0xf0);
#endif
    for (int64_t g = 0; g < ng; g++, row += HEARTH_X16_GROUP_BYTES, ac += X16_ZMM) {
        __m512i lo = _mm512_load_si512(qd[g].nbias), hi = _mm512_setzero_si512();
        for (int j = 0; j < 4; j++) {
            const __m512i x = _mm512_loadu_si512(row + 64 * j);
            lo = Z_DP(lo, _mm512_and_si512(x, lo_mask), ac[j]);
#ifdef AVX512_HAVE_VNNI
            hi = Z_DP(hi, _mm512_and_si512(x, hi_mask), ac[4 + j]); /* 16 q */
#else
            hi = Z_DP(hi, _mm512_and_si512(_mm512_srli_epi16(x, 4), lo_mask), ac[4 + j]);
#endif
        }
#ifdef AVX512_HAVE_VNNI
        const __m512i sums = _mm512_add_epi32(lo, _mm512_srai_epi32(hi, 4));
#else
        const __m512i sums = _mm512_add_epi32(lo, hi);
#endif
        const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(row + 256)));
        acc = _mm512_fmadd_ps(_mm512_mul_ps(dw, _mm512_load_ps(qd[g].da)),
                              _mm512_cvtepi32_ps(sums), acc);
    }
    return acc;
}

/* The same for Q8_0 X16 rows, whose 8 code words per block meet activation
 * registers 0..7. To give gather_dot.h's bits its lanes must hold what that
 * kernel's quads hold: per block one sum of its even code words and one of
 * its odd ones (each with its bias start), quad lane 4t + l = block 2t + l % 2's
 * even (l < 2) or odd sum, for the quad's 8 blocks. So even and odd words
 * go to two sums (lane L = block L), a two-source permute per quad puts them
 * in the quad's order, and the scale products follow the same permute. */
HEARTH_INLINE __m512 x16_q8_0_row(__m512 acc, const char *row, int64_t ng, const __m512i *ac,
                                  const g_quad *qd) {
    /* quad h: lane 4t + l takes block 8h + 2t + l % 2, from the odd sums
     * (second source) where l >= 2; as a float index only the low 4 bits count */
    const __m512i quad_lanes[2] = {
        _mm512_setr_epi32(0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23),
        _mm512_setr_epi32(8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31)};
#ifdef AVX512_HAVE_VNNI
    const __m512i flip = _mm512_set1_epi8((char)0x80); /* w + 128 as unsigned */
#endif
    for (int64_t g = 0; g < ng; g++, row += HEARTH_X16_Q8_0_GROUP_BYTES, ac += X16_ZMM) {
        __m512i even = _mm512_load_si512(qd[g].nbias), odd = _mm512_load_si512(qd[g].nbias_odd);
#pragma GCC unroll 4
        for (int j = 0; j < 8; j += 2) {
            const __m512i x0 = _mm512_loadu_si512(row + 64 * j);
            const __m512i x1 = _mm512_loadu_si512(row + 64 * j + 64);
#ifdef AVX512_HAVE_VNNI
            even = Z_DP(even, _mm512_xor_si512(x0, flip), ac[j]);
            odd = Z_DP(odd, _mm512_xor_si512(x1, flip), ac[j + 1]);
#else
            even = g_dp_signed(even, x0, ac[j]);
            odd = g_dp_signed(odd, x1, ac[j + 1]);
#endif
        }
        const __m512 d = _mm512_mul_ps(
            _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(row + 64 * 8))),
            _mm512_load_ps(qd[g].da));
#pragma GCC unroll 2
        for (int h = 0; h < 2; h++)
            acc = _mm512_fmadd_ps(
                _mm512_permutexvar_ps(quad_lanes[h], d),
                _mm512_cvtepi32_ps(_mm512_permutex2var_epi32(even, quad_lanes[h], odd)), acc);
    }
    return acc;
}

/* Blocks [b0, b1) of column a prepared (b0 a multiple of 16): with x16
 * (rows in the X16 layout of `kind`, G_Q4_0 or G_Q8_0) the whole groups in
 * X16 form, then any GGUF-order blocks after the last one (only in the row's
 * last chunk) as gather_dot.h's steps; without, all blocks as those steps.
 * Returns the whole groups. */
HEARTH_INLINE int64_t g_prep_chunk(g_kind kind, bool x16, __m512i *ac, g_quad *qd,
                                   const char *a, int64_t b0, int64_t b1, int64_t nb) {
    const int64_t whole_end = x16 ? nb / HEARTH_X16_BLOCKS * HEARTH_X16_BLOCKS : 0;
    const int64_t g_end = b1 < whole_end ? b1 : whole_end > b0 ? whole_end : b0;
    const int64_t ng = (g_end - b0) / HEARTH_X16_BLOCKS;
    if (ng > 0)
        x16_prep(ac, qd, a + (size_t)b0 * sizeof(block_q8_0), ng,
                 G_UNSIGNED(kind) ? g_bias(kind) : 0, kind == G_Q8_0);
    if (b1 > g_end)
        g_prep(kind, ac + X16_ZMM * ng, qd + ng, a, g_end, b1);
    return ng;
}

/* acc += blocks [b0, b1) of one row: ng whole X16 groups, then GGUF steps. */
HEARTH_INLINE __m512 g_row_chunk(g_kind kind, __m512 acc, const char *row, int64_t b0,
                                 int64_t b1, int64_t ng, const __m512i *ac, const g_quad *qd,
                                 const g_consts *k) {
    if (ng > 0) {
        const char *at = row + (size_t)b0 * g_block_bytes(kind);
        acc = kind == G_Q8_0 ? x16_q8_0_row(acc, at, ng, ac, qd) : x16_row(acc, at, ng, ac, qd);
    }
    const int64_t t0 = b0 + ng * HEARTH_X16_BLOCKS;
    if (t0 < b1) { /* steps from t0 (a quad boundary) */
        const int per = g_blocks_per_step(kind);
        const int64_t n_steps = (b1 - t0 + per - 1) / per;
        acc = g_row(kind, acc, row, t0 / per, n_steps, (int)(b1 - t0 - (n_steps - 1) * per),
                    ac + X16_ZMM * ng, qd + ng, k);
    }
    return acc;
}

/* out[r] = dot(row r, column a) for r < nr, rows in GGUF order or (x16) in
 * the X16 layout: the matrix x vector product (rows in order, one
 * sequential stream through memory). Rows of one chunk go straight through;
 * longer rows chunk by chunk, G_ROW_GROUP rows at a time with their
 * accumulators kept in between (the same operations in the same order). */
HEARTH_INLINE void g_matvec(g_kind kind, bool x16, int64_t n, int64_t nr, float *out,
                            const char *w, size_t ws, const char *a) {
    const int64_t nb = n / 32, chunk = G_CHUNK_VALUES / 32;
    _Alignas(64) __m512i ac[G_PREP_STEPS];
    _Alignas(64) g_quad qd[G_PREP_STEPS / 4];
    const g_consts k = g_consts_of(kind);
    if (nb <= chunk) {
        const int64_t ng = g_prep_chunk(kind, x16, ac, qd, a, 0, nb, nb);
        for (int64_t r = 0; r < nr; r++)
            out[r] = _mm512_reduce_add_ps(g_row_chunk(kind, _mm512_setzero_ps(),
                                                      w + (size_t)r * ws, 0, nb, ng, ac, qd, &k));
        return;
    }
    __m512 keep[G_ROW_GROUP];
    for (int64_t r0 = 0; r0 < nr; r0 += G_ROW_GROUP) {
        const int64_t rn = nr - r0 < G_ROW_GROUP ? nr - r0 : G_ROW_GROUP;
        for (int64_t r = 0; r < rn; r++)
            keep[r] = _mm512_setzero_ps();
        for (int64_t b0 = 0; b0 < nb; b0 += chunk) {
            const int64_t b1 = nb - b0 < chunk ? nb : b0 + chunk;
            const int64_t ng = g_prep_chunk(kind, x16, ac, qd, a, b0, b1, nb);
            for (int64_t r = 0; r < rn; r++)
                keep[r] = g_row_chunk(kind, keep[r], w + (size_t)(r0 + r) * ws, b0, b1, ng, ac,
                                      qd, &k);
        }
        for (int64_t r = 0; r < rn; r++)
            out[r0 + r] = _mm512_reduce_add_ps(keep[r]);
    }
}

/* vec_dot and mat_dot of one kind, rows in GGUF order (x16 false) or in its
 * X16 layout: mat_dot runs the matvec once per column (its preparation is
 * paid once per column and call). */
#define HEARTH_AVX512_GATHER_KERNELS(VEC_DOT, MAT_DOT, KIND, X16)                          \
    void VEC_DOT(int64_t n, float *restrict out, const void *restrict w,                   \
                 const void *restrict a);                                                  \
    void VEC_DOT(int64_t n, float *restrict out, const void *restrict w,                   \
                 const void *restrict a) {                                                 \
        g_matvec(KIND, X16, n, 1, out, w, 0, a);                                           \
    }                                                                                      \
    void MAT_DOT(int64_t n, int64_t nr, int64_t nc, float *restrict out, int64_t ldo,      \
                 const void *restrict w, size_t w_stride, const void *restrict a,          \
                 size_t a_stride);                                                         \
    void MAT_DOT(int64_t n, int64_t nr, int64_t nc, float *restrict out, int64_t ldo,      \
                 const void *restrict w, size_t w_stride, const void *restrict a,          \
                 size_t a_stride) {                                                        \
        for (int64_t c = 0; c < nc; c++)                                                   \
            g_matvec(KIND, X16, n, nr, out + c * ldo, w, w_stride,                         \
                     (const char *)a + (size_t)c * a_stride);                              \
    }

#endif /* HEARTH_KERNELS_AVX512_GATHER_X16_H */
