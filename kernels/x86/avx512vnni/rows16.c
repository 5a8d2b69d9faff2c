/* rows16.c - batch tiles of the avx512vnni tier for Q4_0, Q8_0 and IQ4_NL weights
 * (Q4_0 and Q8_0 also in their X16 layouts): sixteen weight rows side by side
 * in the lanes of a register.
 *
 * Why: the per-block layout of vec_dot spends four vector operations per 64
 * products (product, convert, scale, accumulate), so batches ran at a fifth
 * of the int8 peak. With one row per 32-bit lane, eight vpdpbusd finish the
 * whole block of sixteen rows against one column (the column's four bytes
 * broadcast from memory), and the scale steps are paid once per 512 products.
 *
 * The weights of a 16-row group are transposed once per call into that
 * layout and reused by every column; each column's blocks are read in place
 * (broadcast operands) with two numbers prepared per block: its scale and
 * -BIAS * (sum of its values), the start of the integer sum that makes the
 * unsigned weight codes (q = w + BIAS) give sum w * a exactly.
 *
 * Arithmetic per output, block after block: sum += (dw * da) * (float)isum,
 * multiply and add rounded separately: exactly the scalar reference's steps,
 * so these outputs equal hearth_vec_dot_*_ref bit for bit (not this tier's
 * vec_dot, which keeps partial sums per lane). kernels.h: mat_dot_ref_rows.
 * Stack: about 33 KiB per call (one chunk of a group, 64 columns' block
 * data, the accumulators of 64 rows x 64 columns between chunks).
 */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "../../layout.h" /* the X16 layout */
#include "rows16.h"

enum {
    R16_ROWS = 16,  /* rows per group: one per int32 lane */
    R16_KB = 16,    /* blocks per chunk of the row */
    R16_COLS = 64,  /* columns whose block data is prepared together */
    R16_RB = 64,    /* rows whose accumulators persist across chunks */
    R16_TILE = 12,  /* columns per register tile: 12 accumulators, 12 chains */
};

/* One 16-row group's block, transposed: q[j] lane r = row r's weight codes
 * 4j..4j+3 (unsigned), d lane r = row r's scale. */
typedef struct {
    __m512i q[8];
    __m512 d;
} r16_block;

typedef struct {
    int32_t nbias[R16_COLS][R16_KB]; /* -BIAS * sum of the column's block */
    float da[R16_COLS][R16_KB];      /* the column's block scale */
} r16_cols;

/* 4x4 transpose of 32-bit elements inside each 128-bit lane. */
static inline void transpose4(__m512i z[4]) {
    const __m512i t0 = _mm512_unpacklo_epi32(z[0], z[1]), t1 = _mm512_unpackhi_epi32(z[0], z[1]);
    const __m512i t2 = _mm512_unpacklo_epi32(z[2], z[3]), t3 = _mm512_unpackhi_epi32(z[2], z[3]);
    z[0] = _mm512_unpacklo_epi64(t0, t2);
    z[1] = _mm512_unpackhi_epi64(t0, t2);
    z[2] = _mm512_unpacklo_epi64(t1, t3);
    z[3] = _mm512_unpackhi_epi64(t1, t3);
}

/* 16 bytes at p + r * stride for rows r = k, 4 + k, 8 + k, 12 + k in the four
 * 128-bit lanes: after transpose4 of k = 0..3, element i of register j is
 * dword j of row i. */
static inline void load16x16(__m512i z[4], const char *p, size_t stride) {
    for (int k = 0; k < 4; k++) {
        __m512i v = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)(p + k * stride)));
        v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(p + (4 + k) * stride)), 1);
        v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(p + (8 + k) * stride)), 2);
        v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(p + (12 + k) * stride)), 3);
        z[k] = v;
    }
    transpose4(z);
}

/* Scales of 16 rows' blocks (f16 at p + r * stride) as floats: one gather of
 * the dwords starting there, low halves kept. (Sixteen 2-byte stores read
 * back as one vector stalled on store forwarding: a fifth of the kernel.)
 * `rows` = r * stride per lane, which fits int32 (checked by the caller). */
static inline __m512 load_scales16(const char *p, __m512i rows) {
    const __m512i d32 = _mm512_i32gather_epi32(rows, p, 1);
    return _mm512_cvtph_ps(_mm512_cvtepi32_epi16(d32));
}

static void q4_0_group(r16_block *out, const char *w, size_t ws, __m512i rows, int64_t b0,
                       int64_t kn, int64_t nb) {
    (void)nb;
    const __m512i lo = _mm512_set1_epi8(0x0f);
    for (int64_t b = 0; b < kn; b++) {
        const char *blk = w + (size_t)(b0 + b) * sizeof(block_q4_0);
        __m512i z[4];
        load16x16(z, blk + offsetof(block_q4_0, qs), ws);
        /* qs byte i holds values i (low nibble) and i + 16 (high nibble) */
        for (int j = 0; j < 4; j++) {
            out[b].q[j] = _mm512_and_si512(z[j], lo);
            out[b].q[j + 4] = _mm512_and_si512(_mm512_srli_epi16(z[j], 4), lo);
        }
        out[b].d = load_scales16(blk + offsetof(block_q4_0, d), rows);
    }
}

/* IQ4_NL: Q4_0's nibble layout, each nibble an index into the format's
 * 16 values, taken here as value + 128 (unsigned, bias 128). */
static void iq4_nl_group(r16_block *out, const char *w, size_t ws, __m512i rows, int64_t b0,
                         int64_t kn, int64_t nb) {
    (void)nb;
    const __m512i lo = _mm512_set1_epi8(0x0f);
    const __m512i table = _mm512_xor_si512(
        _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)hearth_kvalues_iq4nl)),
        _mm512_set1_epi8((char)0x80));
    for (int64_t b = 0; b < kn; b++) {
        const char *blk = w + (size_t)(b0 + b) * sizeof(block_iq4_nl);
        __m512i z[4];
        load16x16(z, blk + offsetof(block_iq4_nl, qs), ws);
        for (int j = 0; j < 4; j++) {
            out[b].q[j] = _mm512_shuffle_epi8(table, _mm512_and_si512(z[j], lo));
            out[b].q[j + 4] =
                _mm512_shuffle_epi8(table, _mm512_and_si512(_mm512_srli_epi16(z[j], 4), lo));
        }
        out[b].d = load_scales16(blk + offsetof(block_iq4_nl, d), rows);
    }
}

static void q8_0_group(r16_block *out, const char *w, size_t ws, __m512i rows, int64_t b0,
                       int64_t kn, int64_t nb) {
    (void)nb;
    const __m512i flip = _mm512_set1_epi8((char)0x80); /* w + 128 as unsigned */
    for (int64_t b = 0; b < kn; b++) {
        const char *blk = w + (size_t)(b0 + b) * sizeof(block_q8_0);
        __m512i z[4];
        for (int half = 0; half < 2; half++) {
            load16x16(z, blk + offsetof(block_q8_0, qs) + 16 * half, ws);
            for (int j = 0; j < 4; j++)
                out[b].q[4 * half + j] = _mm512_xor_si512(z[j], flip);
        }
        out[b].d = load_scales16(blk + offsetof(block_q8_0, d), rows);
    }
}

/* z[r] lane e -> z[e] lane r, for 16 registers of 16 dwords. Stages: pairs of
 * dwords, then of qwords, within 128-bit lanes (leaving register 4i + m's
 * lane k = element 4k + m of rows 4i..4i+3), then a 4x4 transpose of the
 * 128-bit lanes of registers m, 4 + m, 8 + m, 12 + m. */
static inline __attribute__((always_inline)) void transpose16x16(__m512i z[16]) {
    __m512i a[16];
    /* unrolled: as loops (-O2) z and a lived on the stack, every stage a
     * round trip through memory */
#pragma GCC unroll 8
    for (int i = 0; i < 16; i += 2) {
        a[i] = _mm512_unpacklo_epi32(z[i], z[i + 1]);
        a[i + 1] = _mm512_unpackhi_epi32(z[i], z[i + 1]);
    }
#pragma GCC unroll 4
    for (int i = 0; i < 16; i += 4) {
        z[i] = _mm512_unpacklo_epi64(a[i], a[i + 2]);
        z[i + 1] = _mm512_unpackhi_epi64(a[i], a[i + 2]);
        z[i + 2] = _mm512_unpacklo_epi64(a[i + 1], a[i + 3]);
        z[i + 3] = _mm512_unpackhi_epi64(a[i + 1], a[i + 3]);
    }
#pragma GCC unroll 4
    for (int m = 0; m < 4; m++) {
        const __m512i c0 = _mm512_shuffle_i32x4(z[m], z[4 + m], 0x44);
        const __m512i c1 = _mm512_shuffle_i32x4(z[m], z[4 + m], 0xee);
        const __m512i c2 = _mm512_shuffle_i32x4(z[8 + m], z[12 + m], 0x44);
        const __m512i c3 = _mm512_shuffle_i32x4(z[8 + m], z[12 + m], 0xee);
        a[m] = _mm512_shuffle_i32x4(c0, c2, 0x88);
        a[4 + m] = _mm512_shuffle_i32x4(c0, c2, 0xdd);
        a[8 + m] = _mm512_shuffle_i32x4(c1, c3, 0x88);
        a[12 + m] = _mm512_shuffle_i32x4(c1, c3, 0xdd);
    }
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++)
        z[i] = a[i];
}

/* Code line z (word j of 16 blocks or, transposed, of 16 rows) as the tile's
 * unsigned codes: Q4_0's two nibbles (values 4j.. and 16 + 4j..), Q8_0's
 * bytes flipped (w + 128). */
static inline __attribute__((always_inline)) void x16_codes(bool q8, r16_block *o, int j,
                                                            __m512i z) {
    if (q8) {
        o->q[j] = _mm512_xor_si512(z, _mm512_set1_epi8((char)0x80));
        return;
    }
    const __m512i lo = _mm512_set1_epi8(0x0f);
    o->q[j] = _mm512_and_si512(z, lo);
    o->q[j + 4] = _mm512_and_si512(_mm512_srli_epi16(z, 4), lo);
}

/* Rows in an X16 layout (kernels/layout.h; q8: Q8_0's, else Q4_0's). A chunk
 * that is one whole group: each 64-byte line of a row's group is one code
 * word (or, as floats, the scales) of its 16 blocks, so 16 rows' lines
 * transposed give that word of every block, one row per lane: (words + 1) x
 * 16 loads and transposes for the 16 blocks instead of gathers. Other
 * chunks: one gather per register and block; blocks after the last whole
 * group are in GGUF order (q4_0_group, q8_0_group). */
static inline __attribute__((always_inline)) void x16_group(bool q8, r16_block *out,
                                                            const char *w, size_t ws,
                                                            __m512i rows, int64_t b0, int64_t kn,
                                                            int64_t nb) {
    const int words = q8 ? 8 : 4; /* code words per block: the group's code lines */
    const size_t group_bytes = q8 ? HEARTH_X16_Q8_0_GROUP_BYTES : HEARTH_X16_GROUP_BYTES;
    const size_t scales_at = 64 * (size_t)words;
    const int64_t whole = nb / HEARTH_X16_BLOCKS * HEARTH_X16_BLOCKS;
    if (kn == HEARTH_X16_BLOCKS && b0 % HEARTH_X16_BLOCKS == 0 && b0 < whole) {
        const char *grp = w + (size_t)(b0 / HEARTH_X16_BLOCKS) * group_bytes;
        __m512i z[16];
        for (int j = 0; j < words; j++) {
#pragma GCC unroll 16
            for (int r = 0; r < 16; r++)
                z[r] = _mm512_loadu_si512(grp + (size_t)r * ws + 64 * j);
            transpose16x16(z);
#pragma GCC unroll 16
            for (int b = 0; b < 16; b++)
                x16_codes(q8, &out[b], j, z[b]);
        }
#pragma GCC unroll 16
        for (int r = 0; r < 16; r++)
            z[r] = _mm512_castps_si512(_mm512_cvtph_ps(
                _mm256_loadu_si256((const __m256i *)(grp + (size_t)r * ws + scales_at))));
        transpose16x16(z);
#pragma GCC unroll 16
        for (int b = 0; b < 16; b++)
            out[b].d = _mm512_castsi512_ps(z[b]);
        return;
    }
    int64_t b = 0;
    for (; b < kn && b0 + b < whole; b++) {
        const int64_t at = b0 + b, lane = at % HEARTH_X16_BLOCKS;
        const char *grp = w + (size_t)(at / HEARTH_X16_BLOCKS) * group_bytes;
        for (int j = 0; j < words; j++)
            x16_codes(q8, &out[b], j, _mm512_i32gather_epi32(rows, grp + 64 * j + 4 * lane, 1));
        /* the dword ending with the scale (the one starting there would
         * pass the end of the row's last group) */
        const __m512i d32 = _mm512_i32gather_epi32(rows, grp + scales_at - 2 + 2 * lane, 1);
        out[b].d = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(d32, 16)));
    }
    if (b < kn)
        (q8 ? q8_0_group : q4_0_group)(out + b, w, ws, rows, b0 + b, kn - b, nb);
}

static void q4_0_x16_group(r16_block *out, const char *w, size_t ws, __m512i rows, int64_t b0,
                           int64_t kn, int64_t nb) {
    x16_group(false, out, w, ws, rows, b0, kn, nb);
}

static void q8_0_x16_group(r16_block *out, const char *w, size_t ws, __m512i rows, int64_t b0,
                           int64_t kn, int64_t nb) {
    x16_group(true, out, w, ws, rows, b0, kn, nb);
}

/* Columns [0, cn) of the chunk: scales and -bias * block sums. */
static void prep_cols(r16_cols *pc, const char *a, size_t as, int64_t cn, int64_t b0,
                      int64_t kn, int bias) {
    const __m256i flip = _mm256_set1_epi8((char)0x80);
    for (int64_t c = 0; c < cn; c++) {
        const block_q8_0 *ab = (const block_q8_0 *)(a + (size_t)c * as) + b0;
        for (int64_t b = 0; b < kn; b++) {
            /* sum of a = sum of (a + 128) - 32 * 128, by sum of absolute
             * differences against zero on the flipped bytes */
            const __m256i u = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)ab[b].qs), flip);
            const __m256i s4 = _mm256_sad_epu8(u, _mm256_setzero_si256());
            const __m128i s2 = _mm_add_epi64(_mm256_castsi256_si128(s4),
                                             _mm256_extracti128_si256(s4, 1));
            const int32_t sum = (int32_t)(_mm_cvtsi128_si64(s2) + _mm_extract_epi64(s2, 1)) - 4096;
            pc->nbias[c][b] = -bias * sum;
            pc->da[c][b] = _cvtsh_ss(ab[b].d);
        }
    }
}

/* C columns x one 16-row group over the chunk's kn blocks. */
static inline __attribute__((always_inline)) void tile(int C, __m512 *acc,
                                                       const r16_block *g, int64_t kn,
                                                       const r16_cols *pc, int64_t c0,
                                                       const char *a, size_t as, int64_t b0) {
    for (int64_t b = 0; b < kn; b++) {
        const r16_block *blk = &g[b];
        __m512i q[8];
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++)
            q[j] = _mm512_load_si512(&blk->q[j]);
        const __m512 dw = _mm512_load_ps(&blk->d);
        /* all columns' product chains interleaved: vpdpbusd's latency needs
         * eight chains in flight to reach its throughput (four: half) */
#pragma GCC unroll 8
        for (int c4 = 0; c4 < C; c4 += 12) {
            const int m = C - c4 < 12 ? C - c4 : 12;
            const int32_t *y[12];
            __m512i isum[12];
#pragma GCC unroll 12
            for (int c = 0; c < m; c++) {
                y[c] = (const int32_t *)((const block_q8_0 *)(a + (size_t)(c0 + c4 + c) * as) + b0 +
                                         b)->qs;
                isum[c] = _mm512_set1_epi32(pc->nbias[c0 + c4 + c][b]);
            }
#pragma GCC unroll 8
            for (int j = 0; j < 8; j++) {
#pragma GCC unroll 12
                for (int c = 0; c < m; c++) {
                    int32_t y4;
                    memcpy(&y4, y[c] + j, sizeof y4);
                    isum[c] = _mm512_dpbusd_epi32(isum[c], q[j], _mm512_set1_epi32(y4));
                }
            }
#pragma GCC unroll 12
            for (int c = 0; c < m; c++) {
                const __m512 d = _mm512_mul_ps(dw, _mm512_set1_ps(pc->da[c0 + c4 + c][b]));
                acc[c4 + c] =
                    _mm512_add_ps(acc[c4 + c], _mm512_mul_ps(d, _mm512_cvtepi32_ps(isum[c])));
            }
        }
    }
}

/* The columns of one chunk for one group: tiles of R16_TILE, then 4, then 1. */
static void group_chunk(__m512 *stash, bool first, bool last, float *out, int64_t ldo,
                        const r16_block *g, int64_t kn, const r16_cols *pc, int64_t cn,
                        const char *a, size_t as, int64_t b0) {
    int64_t c = 0;
    while (c < cn) {
        const int C = cn - c >= R16_TILE ? R16_TILE : cn - c >= 4 ? 4 : 1;
        
        __m512 acc[R16_TILE];
#pragma GCC unroll 12
        for (int i = 0; i < C; i++)
            acc[i] = first ? _mm512_setzero_ps() : stash[c + i];
        if (C == R16_TILE)
            tile(R16_TILE, acc, g, kn, pc, c, a, as, b0);
        else if (C == 4)
            tile(4, acc, g, kn, pc, c, a, as, b0);
        else
            tile(1, acc, g, kn, pc, c, a, as, b0);
#pragma GCC unroll 12
        for (int i = 0; i < C; i++) {
            if (last)
                _mm512_storeu_ps(out + (c + i) * ldo, acc[i]);
            else
                stash[c + i] = acc[i];
        }
        c += C;
    }
}

typedef void (*r16_group_fn)(r16_block *out, const char *w, size_t ws, __m512i rows, int64_t b0,
                             int64_t kn, int64_t nb);

/* Rows [0, 16 * floor(nr / 16)) x all columns; returns how many rows. */
static int64_t rows16(r16_group_fn group, int bias, int64_t nb, int64_t nr, int64_t nc,
                      float *restrict out, int64_t ldo, const char *w, size_t ws, const char *a,
                      size_t as) {
    _Alignas(64) r16_block g[R16_KB];
    _Alignas(64) r16_cols pc;
    _Alignas(64) __m512 stash[R16_RB / R16_ROWS][R16_COLS];
    if (ws > (size_t)INT32_MAX / R16_ROWS) /* the scale gather's offsets */
        return 0;
    const __m512i row_offsets = _mm512_mullo_epi32(
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
        _mm512_set1_epi32((int32_t)ws));
    const int64_t rows = nr / R16_ROWS * R16_ROWS;
    for (int64_t r0 = 0; r0 < rows; r0 += R16_RB) {
        const int64_t rn = rows - r0 < R16_RB ? rows - r0 : R16_RB;
        for (int64_t c0 = 0; c0 < nc; c0 += R16_COLS) {
            const int64_t cn = nc - c0 < R16_COLS ? nc - c0 : R16_COLS;
            for (int64_t b0 = 0; b0 < nb; b0 += R16_KB) {
                const int64_t kn = nb - b0 < R16_KB ? nb - b0 : R16_KB;
                const bool first = b0 == 0, last = b0 + kn >= nb;
                prep_cols(&pc, a + (size_t)c0 * as, as, cn, b0, kn, bias);
                for (int64_t r = 0; r < rn; r += R16_ROWS) {
                    group(g, w + (size_t)(r0 + r) * ws, ws, row_offsets, b0, kn, nb);
                    group_chunk(stash[r / R16_ROWS], first, last, out + c0 * ldo + r0 + r, ldo,
                                g, kn, &pc, cn, a + (size_t)c0 * as, as, b0);
                }
            }
        }
    }
    return rows;
}

/* Rows in groups of 16 for batches, the tier's mat_dot (`rest`) for the
 * leftover rows and for calls of few columns. */
static void mat_dot_rows16(r16_group_fn group, int bias, int64_t qk, hearth_mat_dot_fn rest,
                           int64_t n, int64_t nr, int64_t nc, float *restrict out, int64_t ldo,
                           const char *w, size_t ws, const char *a, size_t as) {
    int64_t done = 0;
    if (nc >= HEARTH_MAT_DOT_REF_MIN_COLS)
        done = rows16(group, bias, n / qk, nr, nc, out, ldo, w, ws, a, as);
    if (done < nr)
        rest(n, nr - done, nc, out + done, ldo, w + (size_t)done * ws, ws, a, as);
}

/* The entry points: a type's group reader, its weight bias, block size and
 * the tier's mat_dot for what rows16 leaves over. */
#define ROWS16_ENTRY(NAME, GROUP, BIAS, QK, REST)                                          \
    void NAME(int64_t n, int64_t nr, int64_t nc, float *restrict out, int64_t ldo,        \
              const void *restrict w, size_t w_stride, const void *restrict a,             \
              size_t a_stride) {                                                           \
        mat_dot_rows16(GROUP, BIAS, QK, REST, n, nr, nc, out, ldo, w, w_stride, a,         \
                       a_stride);                                                          \
    }

ROWS16_ENTRY(hearth_mat_dot_q4_0_rows16_avx512vnni, q4_0_group, 8, QK4_0,
             hearth_mat_dot_q4_0_q8_0_avx512vnni)
ROWS16_ENTRY(hearth_mat_dot_iq4_nl_rows16_avx512vnni, iq4_nl_group, 128, QK4_NL,
             hearth_mat_dot_iq4_nl_q8_0_avx512vnni)
ROWS16_ENTRY(hearth_mat_dot_q8_0_rows16_avx512vnni, q8_0_group, 128, QK8_0,
             hearth_mat_dot_q8_0_q8_0_avx512vnni)
ROWS16_ENTRY(hearth_mat_dot_q4_0_x16_rows16_avx512vnni, q4_0_x16_group, 8, QK4_0,
             hearth_mat_dot_q4_0_x16_avx512vnni)
ROWS16_ENTRY(hearth_mat_dot_q8_0_x16_rows16_avx512vnni, q8_0_x16_group, 128, QK8_0,
             hearth_mat_dot_q8_0_x16_avx512vnni)
