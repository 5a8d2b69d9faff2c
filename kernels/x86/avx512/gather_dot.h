/* gather_dot.h - Q4_0, IQ4_NL, Q8_0 and Q4_1 dot kernels of the two AVX-512 tiers
 * that read the weight rows in place, several blocks per register (included
 * by avx512_dot.h's users after it; compiled once per tier).
 *
 * Why: decode streams every weight once, so the kernel must keep up with
 * DRAM on one core. Loading block by block (two 16-byte loads, inserts and
 * shuffles, the f16 scales through general registers) cost 9 vector
 * operations per Q4_0 block; here one 64-byte load, one word permute
 * (vpermt2w) and two masks turn 4 Q4_0 blocks (72 bytes) into 128 codes, and
 * a second permute of the same load collects their 4 scales, so a block
 * costs under 3 operations and the kernel runs at twice DRAM speed in cache.
 * Every block starts at an even offset (18, 34 or 20 bytes apart, codes 2 or
 * 4 bytes in), which is what makes a 16-bit permute enough (AVX-512BW, no
 * VBMI). Q4_1 (d, m, 16 bytes of codes; activations Q8_1 with s = d * sum of
 * codes) is Q4_0 without the bias plus one more permute per quad for the 16
 * blocks' m, added as m * s: one core in L2, 7-8 -> 23-25 GB/s over the
 * two-block kernel it replaced.
 *
 * The activation column is prepared once per call, in the register layout
 * of a step (4 Q4_0/IQ4_NL blocks, or 2 Q8_0 blocks): its codes in the order
 * the permute leaves the weight codes in, and per block its scale and
 * -BIAS * (sum of its activation bytes), the starting value of the integer
 * sum that lets unsigned codes q = w + BIAS give sum w * a exactly. A tier
 * without VNNI cannot multiply codes of 8 bits unsigned (vpmaddubsw
 * saturates), so there Q8_0 and IQ4_NL keep signed values and move the sign
 * to the activations. Every lane's integer sum is the same either way (a
 * Q8_0 block's two lanes, its even and its odd code words, each start with
 * the bias of their own activation bytes), so both tiers give the same bits.
 *
 * Steps go four at a time (a quad): each step's 16 int32 lane sums are
 * folded to 4 by adding quarters, the quad's 4 x 4 get their scales and are
 * converted and accumulated as one register. On Zen 4, which runs 512-bit
 * operations as two halves, the per-step float work had been a third of the
 * kernel: quads took Q4_0 from 23 to 30 GB/s in L2 and from 16-17 to 19-20
 * GB/s from DRAM on one core (Q8_0: 27 to 36 GB/s in L2).
 *
 * Arithmetic per output: lane-wise acc += (dw * da) * (float)isum for each
 * quad (Q4_1: then acc += m * s), in row order, then one fixed horizontal sum. vec_dot and every
 * mat_dot path run this same code, so mat_dot gives vec_dot's bits at any
 * split of rows or columns.
 */
#ifndef HEARTH_KERNELS_AVX512_GATHER_DOT_H
#define HEARTH_KERNELS_AVX512_GATHER_DOT_H

#include <string.h> /* memcpy */

#include "avx512_dot.h" /* Z_DP, TIERED, HEARTH_INLINE */

/* Values of one column prepared at a time: 16 KiB of codes and 12 KiB of
 * per-block numbers on the stack (Q8_0; the 4-block kinds use half the latter).
 * Longer rows are done chunk by chunk, a group of rows at a time, with their
 * accumulators kept in between (the same operations in the same order: the
 * same bits). */
enum { G_CHUNK_VALUES = 16384, G_ROW_GROUP = 16 };
/* No software prefetch: on Zen 4 prefetching 4-32 KiB ahead (non-temporal
 * or not) was no faster for Q4_0 and slower for Q8_0 (20 vs 22.5 GB/s on one
 * core) than the hardware prefetchers alone on the one sequential stream. */

typedef enum { G_Q4_0, G_IQ4_NL, G_Q8_0, G_Q4_1 } g_kind;

/* A prepared step holds the activation codes, G_CODE_ZMM(kind) registers
 * (nibble types: [0] values 0..15 of the 4 blocks, [1] values 16..31; Q8_0:
 * [0] the 2 blocks' values). Steps go in quads of 4, whose per-block numbers
 * sit in one g_quad, lane 4 * (step in quad) + l for the 4 int32 lanes l each
 * step's products are folded to (see g_quad_scale). */
typedef struct {
    int32_t nbias[16]; /* -BIAS * sum of the lane's activation bytes (0 where signed) */
    float da[16];      /* the lane's activation block scale */
    union {
        float sa[16];          /* Q4_1: the lane's activation s (d * sum of its codes, Q8_1) */
        int32_t nbias_odd[16]; /* Q8_0 X16 (gather_x16.h): the odd code words' nbias */
    };
} g_quad;

#define G_CODE_ZMM(kind) ((kind) == G_Q8_0 ? 1 : 2)
enum { G_PREP_STEPS = G_CHUNK_VALUES / 64 }; /* the larger count: Q8_0 */

HEARTH_INLINE int g_blocks_per_step(g_kind kind) { return kind == G_Q8_0 ? 2 : 4; }
HEARTH_INLINE size_t g_block_bytes(g_kind kind) {
    return kind == G_Q8_0 ? 34 : kind == G_Q4_1 ? 20 : 18;
}
/* Words per weight block, and the word its codes start at (Q4_1: d, m). */
HEARTH_INLINE int g_block_words(g_kind kind) { return (int)g_block_bytes(kind) / 2; }
HEARTH_INLINE int g_code_word(g_kind kind) { return kind == G_Q4_1 ? 2 : 1; }

/* Activation blocks: Q8_1 (d, s, 32 codes) for Q4_1, Q8_0 (d, 32 codes) else. */
HEARTH_INLINE size_t g_act_bytes(g_kind kind) { return kind == G_Q4_1 ? 36 : 34; }
HEARTH_INLINE const int8_t *g_act_qs(g_kind kind, const char *a, int b) {
    return (const int8_t *)(a + (size_t)b * g_act_bytes(kind) + (kind == G_Q4_1 ? 4 : 2));
}
HEARTH_INLINE float g_act_f16(g_kind kind, const char *a, int b, int field) {
    hearth_f16 h;
    memcpy(&h, a + (size_t)b * g_act_bytes(kind) + 2 * field, sizeof h);
    return avx2_h2f(h);
}

/* VNNI multiplies unsigned codes of 8 bits exactly; the other tier only
 * unsigned codes below 32 (Q4_0, Q4_1). */
#ifdef AVX512_HAVE_VNNI
#define G_UNSIGNED(kind) 1
#else
#define G_UNSIGNED(kind) ((kind) == G_Q4_0 || (kind) == G_Q4_1)
#endif

/* Q4_1 codes are the levels themselves (x = d q + m): no bias. */
HEARTH_INLINE int g_bias(g_kind kind) {
    return kind == G_Q4_0 ? 8 : kind == G_Q4_1 ? 0 : 128;
}

/* Lane layout of a step. Int32 lane L (of 16) holds 4 consecutive codes of
 * block b = L % B (B = blocks per step), the j-th group of 4, j = L / B: a
 * block's lanes are spread with stride B, so that adding the four 128-bit
 * quarters of the products leaves lane l < 4 with block l % B's sum. Word
 * indices into (the 64 bytes at the step, the bytes after): nibble types,
 * block b's codes start at word 9b + 1; Q8_0 at word 17b + 1; Q4_1 at word
 * 10b + 2 (after d and m). */
HEARTH_INLINE __m512i g_code_index(g_kind kind) {
    _Alignas(64) int16_t idx[32];
    const int per = g_blocks_per_step(kind), words = g_block_words(kind);
    const int c0 = g_code_word(kind);
    for (int lane = 0; lane < 16; lane++) {
        const int b = lane % per, j = lane / per;
        idx[2 * lane] = (int16_t)(words * b + c0 + 2 * j);
        idx[2 * lane + 1] = (int16_t)(words * b + c0 + 1 + 2 * j);
    }
    return _mm512_load_si512(idx);
}

/* Scales of two steps of a quad (first source = the first step's 64 bytes,
 * second = the next step's): the word of folded lane l's block (9b, 17b or
 * 10b, b = l % B; plus `field`, 1 for Q4_1's m) of each step, at words
 * 4 * (step in quad) + l. `pair` = 0 for steps 0 and 1 (words 0..7), 1 for
 * steps 2 and 3 (words 8..15). */
HEARTH_INLINE __m512i g_scale_index(g_kind kind, int pair, int field) {
    _Alignas(64) int16_t idx[32] = {0};
    const int per = g_blocks_per_step(kind), words = g_block_words(kind);
    for (int l = 0; l < 8; l++)
        idx[8 * pair + l] = (int16_t)((l >= 4 ? 32 : 0) + words * ((l % 4) % per) + field);
    return _mm512_load_si512(idx);
}

/* The table of IQ4_NL values, shifted to unsigned where the tier uses
 * unsigned codes. */
HEARTH_INLINE __m512i g_iq4nl_table(int unsigned_codes) {
    const __m512i t =
        _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)hearth_kvalues_iq4nl));
    return unsigned_codes ? _mm512_xor_si512(t, _mm512_set1_epi8((char)0x80)) : t;
}

/* ---- Column preparation -------------------------------------------------- */

/* Step t of a quad: blocks [0, k) of a column (k < blocks per step only at
 * the end of a row; missing blocks' and missing steps' codes, bias and scale
 * are zero, so they add 0). The definition of the prepared layout, in plain
 * code; it runs for the short last step, g_prep_whole_step for the others. */
HEARTH_INLINE void g_prep_step(g_kind kind, __m512i *codes, g_quad *qd, int t, const char *a,
                               int k) {
    const int per = g_blocks_per_step(kind);
    _Alignas(64) int8_t c[2][64];
    memset(c, 0, sizeof c);
    for (int lane = 0; lane < 16; lane++) {
        const int b = lane % per, j = lane / per;
        if (b >= k)
            continue;
        memcpy(&c[0][4 * lane], g_act_qs(kind, a, b) + 4 * j, 4);
        if (kind != G_Q8_0)
            memcpy(&c[1][4 * lane], g_act_qs(kind, a, b) + 16 + 4 * j, 4);
    }
    for (int l = 0; l < 4; l++) {
        const int b = l % per;
        if (b >= k)
            continue;
        qd->da[4 * t + l] = g_act_f16(kind, a, b, 0);
        if (kind == G_Q4_1)
            qd->sa[4 * t + l] = g_act_f16(kind, a, b, 1);
        if (!G_UNSIGNED(kind) || g_bias(kind) == 0)
            continue;
        /* the bias of the lane's own activation bytes: a 4-block kind's lane
         * is its whole block; Q8_0's lanes 0, 1 are blocks 0 and 1's even code
         * words (bytes 8i..8i+3), lanes 2, 3 their odd ones (8i+4..8i+7) */
        int32_t sum = 0;
        for (int i = 0; i < 32; i++)
            if (kind != G_Q8_0 || (i / 4) % 2 == l / 2)
                sum += g_act_qs(kind, a, b)[i];
        qd->nbias[4 * t + l] = -g_bias(kind) * sum;
    }
    codes[0] = _mm512_load_si512(c[0]);
    if (kind != G_Q8_0)
        codes[1] = _mm512_load_si512(c[1]);
}

/* The codes of activation blocks b and b + 1, as the two halves of a register. */
HEARTH_INLINE __m512i g_act_pair(g_kind kind, const char *a, int b) {
    return _mm512_inserti64x4(
        _mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)g_act_qs(kind, a, b))),
        _mm256_loadu_si256((const __m256i *)g_act_qs(kind, a, b + 1)), 1);
}

/* What g_prep_step makes of a whole step, with vector operations: the library
 * calls a matvec per chunk of 16-128 rows, and the plain version took a fifth
 * of a 64-row Q4_0 call of 2048 values (25.8 vs 31.9 GB/s in cache). The
 * codes are a dword transpose of the blocks' bytes (one or two permutes);
 * the activation sums come from the permuted codes, per folded lane as the
 * weight sums are folded, and are then moved to the lanes g_prep_step gives
 * them (Q8_0: a block's two lanes summed into the first, the second zero). */
HEARTH_INLINE void g_prep_whole_step(g_kind kind, __m512i *codes, g_quad *qd, int t,
                                     const char *a) {
    const __m512i b01 = g_act_pair(kind, a, 0);
    __m512i sums;
    if (kind == G_Q8_0) {
        /* lane L = dword L / 2 of block L % 2 */
        const __m512i idx = _mm512_setr_epi32(0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15);
        codes[0] = _mm512_permutexvar_epi32(idx, b01);
        for (int l = 0; l < 4; l++)
            qd->da[4 * t + l] = g_act_f16(kind, a, l % 2, 0);
        if (!G_UNSIGNED(kind))
            return;
        sums = Z_DP(_mm512_setzero_si512(), _mm512_set1_epi8(1), codes[0]);
    } else {
        const __m512i b23 = g_act_pair(kind, a, 2);
        /* lane L = dword L / 4 (codes[1]: 4 + L / 4) of block L % 4; blocks 2
         * and 3 are the second source (indices 16 and up) */
        const __m512i lo =
            _mm512_setr_epi32(0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27);
        const __m512i hi = _mm512_add_epi32(lo, _mm512_set1_epi32(4));
        codes[0] = _mm512_permutex2var_epi32(b01, lo, b23);
        codes[1] = _mm512_permutex2var_epi32(b01, hi, b23);
        for (int l = 0; l < 4; l++) {
            qd->da[4 * t + l] = g_act_f16(kind, a, l, 0);
            if (kind == G_Q4_1)
                qd->sa[4 * t + l] = g_act_f16(kind, a, l, 1);
        }
        if (!G_UNSIGNED(kind) || g_bias(kind) == 0) /* no bias: nbias stays 0 */
            return;
        const __m512i one = _mm512_set1_epi8(1);
        sums = Z_DP(Z_DP(_mm512_setzero_si512(), one, codes[0]), one, codes[1]);
    }
    const __m256i half = _mm256_add_epi32(_mm512_castsi512_si256(sums),
                                          _mm512_extracti64x4_epi64(sums, 1));
    /* folded as the weight sums are: Q8_0's [block 0 even, 1 even, 0 odd, 1 odd] */
    const __m128i folded =
        _mm_add_epi32(_mm256_castsi256_si128(half), _mm256_extracti128_si256(half, 1));
    _mm_storeu_si128((__m128i *)&qd->nbias[4 * t],
                     _mm_mullo_epi32(folded, _mm_set1_epi32(-g_bias(kind))));
}

/* The steps of blocks [b0, b1) of column a (b0 at a quad boundary). */
HEARTH_INLINE void g_prep(g_kind kind, __m512i *codes, g_quad *qd, const char *a, int64_t b0,
                          int64_t b1) {
    const int per = g_blocks_per_step(kind);
    const int64_t n_steps = (b1 - b0 + per - 1) / per;
    memset(qd, 0, (size_t)((n_steps + 3) / 4) * sizeof *qd);
    for (int64_t s = 0; s < n_steps; s++) {
        const int64_t b = b0 + s * per;
        const char *ab = a + (size_t)b * g_act_bytes(kind);
        if (b1 - b >= per)
            g_prep_whole_step(kind, codes + s * G_CODE_ZMM(kind), qd + s / 4, (int)(s % 4), ab);
        else
            g_prep_step(kind, codes + s * G_CODE_ZMM(kind), qd + s / 4, (int)(s % 4), ab,
                        (int)(b1 - b));
    }
}

/* ---- One weight row against a prepared chunk ------------------------------ */

/* Signed codes x activations: |w| as the unsigned operand, the activations
 * negated where w < 0 (exact integer products). */
HEARTH_INLINE __m512i g_dp_signed(__m512i acc, __m512i w, __m512i a) {
    a = _mm512_mask_sub_epi8(a, _mm512_movepi8_mask(w), _mm512_setzero_si512(), a);
    return Z_DP(acc, _mm512_abs_epi8(w), a);
}

/* The 16 int32 lane sums of one step of a row (q = its first block, k = its
 * block count: a masked load for a short last step); *xo = its first 64
 * bytes, where the scales are. */
HEARTH_INLINE __m512i g_step_sums(g_kind kind, const char *q, int k, const __m512i *ac,
                                  __m512i code_index, __m512i table, __m512i *xo) {
    const int per = g_blocks_per_step(kind);
    __m512i x, y;
    if (k == per) {
        x = _mm512_loadu_si512(q);
        /* the bytes past the first 64: 8 (4 Q4_0 blocks) or 4 (2 Q8_0 blocks) */
        if (kind == G_Q8_0) {
            int32_t tail; /* unaligned: through memcpy */
            memcpy(&tail, q + 64, sizeof tail);
            y = _mm512_castsi128_si512(_mm_cvtsi32_si128(tail));
        } else if (kind == G_Q4_1) {
            y = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)(q + 64)));
        } else {
            y = _mm512_castsi128_si512(_mm_loadl_epi64((const __m128i *)(q + 64)));
        }
    } else {
        const size_t bytes = (size_t)k * g_block_bytes(kind); /* < 64 */
        x = _mm512_maskz_loadu_epi8((__mmask64)((1ull << bytes) - 1), q);
        y = _mm512_setzero_si512();
    }
    /* One load of the step's bytes: left alone, the compiler folds a second
     * load of them into the scale permute, and two line-crossing loads per
     * step cost a quarter of the DRAM rate (31 vs 40 GB/s on one core). The
     * empty asm only pins x in a register. */
    __asm__("" : "+v"(x));
    *xo = x;
    const __m512i codes = _mm512_permutex2var_epi16(x, code_index, y);
    if (kind == G_Q8_0)
        return G_UNSIGNED(kind)
                   ? Z_DP(_mm512_setzero_si512(),
                          _mm512_xor_si512(codes, _mm512_set1_epi8((char)0x80)), ac[0])
                   : g_dp_signed(_mm512_setzero_si512(), codes, ac[0]);
    const __m512i m = _mm512_set1_epi8(0x0f);
    __m512i lo = _mm512_and_si512(codes, m);
    __m512i hi = _mm512_and_si512(_mm512_srli_epi16(codes, 4), m);
    if (kind == G_IQ4_NL) {
        lo = _mm512_shuffle_epi8(table, lo);
        hi = _mm512_shuffle_epi8(table, hi);
    }
    if (G_UNSIGNED(kind))
        return Z_DP(Z_DP(_mm512_setzero_si512(), lo, ac[0]), hi, ac[1]);
    return g_dp_signed(g_dp_signed(_mm512_setzero_si512(), lo, ac[0]), hi, ac[1]);
}

/* The 16 lane sums of each of four steps A..D folded to 4 per step:
 * [A, B, C, D] by 128-bit quarters, quarter t = step t's quarters added. */
HEARTH_INLINE __m512i g_fold4(const __m512i s[4]) {
    /* [A0+A2, A1+A3, B0+B2, B1+B3] and the same of C, D */
    const __m512i ab = _mm512_add_epi32(_mm512_shuffle_i64x2(s[0], s[1], 0x44),
                                        _mm512_shuffle_i64x2(s[0], s[1], 0xee));
    const __m512i cd = _mm512_add_epi32(_mm512_shuffle_i64x2(s[2], s[3], 0x44),
                                        _mm512_shuffle_i64x2(s[2], s[3], 0xee));
    return _mm512_add_epi32(_mm512_shuffle_i64x2(ab, cd, 0x88), _mm512_shuffle_i64x2(ab, cd, 0xdd));
}

/* acc += the scaled sums of one quad: s = its steps' lane sums, x = their
 * first 64 bytes (where the weight scales are). Each step's 16 lane sums are
 * folded to 4 (quarters added) and the quad's 4 x 4 go through the float
 * steps together, so a block pays a sixteenth of a 512-bit convert, scale
 * and accumulate (on cores that split 512-bit operations in two, Zen 4, the
 * per-step float work was a third of the kernel). Missing steps are zero. */
/* The 16 f16 words of a quad's blocks at `index` (a scale_index pair), as floats. */
HEARTH_INLINE __m512 g_quad_words(const __m512i x[4], const __m512i index[2]) {
    const __m512i w01 = _mm512_permutex2var_epi16(x[0], index[0], x[1]);
    const __m512i w23 = _mm512_permutex2var_epi16(x[2], index[1], x[3]);
    return _mm512_cvtph_ps(
        _mm512_castsi512_si256(_mm512_mask_mov_epi16(w01, (__mmask32)0xff00, w23)));
}

HEARTH_INLINE __m512 g_quad_scale(g_kind kind, __m512 acc, const __m512i s[4],
                                  const __m512i x[4], const g_quad *qd,
                                  const __m512i scale_index[2], const __m512i min_index[2]) {
    const __m512i sums = _mm512_add_epi32(g_fold4(s), _mm512_load_si512(qd->nbias));
    const __m512 dw = g_quad_words(x, scale_index);
    acc = _mm512_fmadd_ps(_mm512_mul_ps(dw, _mm512_load_ps(qd->da)), _mm512_cvtepi32_ps(sums),
                          acc);
    if (kind == G_Q4_1) /* + m * s per block (Q4_1: x = d q + m) */
        acc = _mm512_fmadd_ps(g_quad_words(x, min_index), _mm512_load_ps(qd->sa), acc);
    return acc;
}

/* The index and table registers of a kind, built once per matvec call
 * rather than once per row. */
typedef struct {
    __m512i code_index, scale_index[2], min_index[2], table;
} g_consts;

HEARTH_INLINE g_consts g_consts_of(g_kind kind) {
    return (g_consts){g_code_index(kind),
                      {g_scale_index(kind, 0, 0), g_scale_index(kind, 1, 0)},
                      {g_scale_index(kind, 0, 1), g_scale_index(kind, 1, 1)},
                      g_iq4nl_table(G_UNSIGNED(kind))};
}

/* Steps [s0, s0 + n_steps) of one row (s0 at a quad boundary), the last one
 * possibly short (`last_k` blocks). */
HEARTH_INLINE __m512 g_row(g_kind kind, __m512 acc, const char *row, int64_t s0, int64_t n_steps,
                           int last_k, const __m512i *ac, const g_quad *qd, const g_consts *k) {
    const __m512i ci = k->code_index, table = k->table;
    const __m512i *si = k->scale_index, *mi = k->min_index;
    const int per = g_blocks_per_step(kind), zs = G_CODE_ZMM(kind);
    const size_t quad_bytes = 4 * (size_t)per * g_block_bytes(kind);
    const char *q = row + (size_t)s0 * (quad_bytes / 4);
    int64_t s = 0;
    for (; s + 4 < n_steps || (s + 4 == n_steps && last_k == per); s += 4) {
        __m512i sums[4], x[4]; /* written out: a loop here kept them in memory */
        sums[0] = g_step_sums(kind, q, per, ac, ci, table, &x[0]);
        sums[1] = g_step_sums(kind, q + quad_bytes / 4, per, ac + zs, ci, table, &x[1]);
        sums[2] = g_step_sums(kind, q + quad_bytes / 2, per, ac + 2 * zs, ci, table, &x[2]);
        sums[3] = g_step_sums(kind, q + quad_bytes / 4 * 3, per, ac + 3 * zs, ci, table, &x[3]);
        acc = g_quad_scale(kind, acc, sums, x, qd, si, mi);
        q += quad_bytes;
        ac += 4 * zs;
        qd++;
    }
    if (s < n_steps) { /* the last quad: 1..4 steps, the last one maybe short */
        __m512i sums[4], x[4];
        const int n = (int)(n_steps - s);
        for (int t = 0; t < 4; t++)
            sums[t] = x[t] = _mm512_setzero_si512();
        for (int t = 0; t < n; t++)
            sums[t] = g_step_sums(kind, q + (size_t)t * (quad_bytes / 4),
                                  t == n - 1 ? last_k : per, ac + t * zs, ci, table, &x[t]);
        acc = g_quad_scale(kind, acc, sums, x, qd, si, mi);
    }
    return acc;
}

#endif /* HEARTH_KERNELS_AVX512_GATHER_DOT_H */
