/* q4_k_x4_body.h - Q4_K x Q8_K dot products over rows in the X4 layout
 * (kernels/layout.h), compiled by both AVX-512 tiers (q4_k_x4.c in
 * kernels/x86/avx512/ and kernels/x86/avx512vnni/).
 *
 * Why the layout pays: the GGUF-order kernel (q4_k_body.h) spends about half
 * of each block's instructions on 128-bit work (unpacking one block's 12 scale
 * bytes, its min term) and on broadcasting each 32-byte chunk of codes into
 * both halves of a zmm. Here one 64-byte load holds four blocks' headers, so
 * the scale unpacking, the d/dmin conversion and the min terms run once per
 * four blocks in zmm lanes (block k in 128-bit lane k), and each 64-byte load
 * of codes splits with one shift and two masks into two runs of 64 levels in
 * activation order. On Zen 4 that took one core's Q4_K matvec from 6.1 to 4.4
 * ns per block with the weights in L2.
 *
 * Same bits as q4_k_body.h: the levels and scale vectors of a block are the
 * same registers, so the int32 lanes are; d*da and dmin*da are the same
 * float products; the main FMA runs per block in block order, and the min
 * terms of the four blocks go with one FMA into the four slots where the GGUF
 * kernel adds them one at a time (slot ib % 4). Blocks after the last whole
 * group are in GGUF order and take the GGUF kernel's steps.
 */
#include "../../layout.h" /* HEARTH_X4_* */
#include "q4_k_block.h"

/* Four blocks' headers decoded: lane k of sm is block k's [sc0..7 | m0..7]
 * (as q4k_decode's sm), mw its mins as int16 words, dd [d0, dmin0, d1, ...]. */
typedef struct {
    __m512i sm, mw;
    __m256 dd;
} x4_headers;

static inline __attribute__((always_inline)) x4_headers x4_decode_headers(const uint8_t *g) {
    const __m512i h = _mm512_loadu_si512(g); /* lane k: d, dmin, scales[12] of block k */
    /* q4k_decode's unpacking, one dword further on in each lane */
    const __m512i lo = _mm512_and_si512(
        _mm512_srlv_epi32(_mm512_shuffle_epi32(h, (_MM_PERM_ENUM)_MM_SHUFFLE(3, 2, 3, 1)),
                          _mm512_set4_epi32(4, 0, 0, 0)),
        _mm512_set4_epi32(0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f));
    const __m512i hi = _mm512_and_si512(
        _mm512_srli_epi32(_mm512_shuffle_epi32(h, (_MM_PERM_ENUM)_MM_SHUFFLE(2, 2, 1, 1)), 2),
        _mm512_set4_epi32(0x30303030, 0, 0x30303030, 0));
    x4_headers o;
    o.sm = _mm512_or_si512(lo, hi);
    o.mw = _mm512_shuffle_epi8(o.sm, _mm512_broadcast_i32x4(_mm_setr_epi8(
                                         8, -128, 9, -128, 10, -128, 11, -128, 12, -128, 13,
                                         -128, 14, -128, 15, -128)));
    const __m512i dw = _mm512_permutexvar_epi16(
        _mm512_castsi256_si512(_mm256_setr_epi16(0, 1, 8, 9, 16, 17, 24, 25, 0, 0, 0, 0, 0, 0, 0, 0)),
        h);
    o.dd = _mm256_cvtph_ps(_mm512_castsi512_si128(dw));
    return o;
}

/* Lane k of the headers' sm (block k's scale and min bytes) in all four
 * lanes (a vector index, not an immediate: k is a constant only once the
 * caller's loop is unrolled, which -O1 does not). */
static inline __attribute__((always_inline)) __m512i x4_block_sm(__m512i sm, int k) {
    return _mm512_permutexvar_epi32(
        _mm512_add_epi32(_mm512_set1_epi32(4 * k), _mm512_set4_epi32(3, 2, 1, 0)), sm);
}

/* Block k of a group: levels from its 128 code bytes, scale vectors from
 * lane k of the headers (q4k_decode's registers). */
static inline __attribute__((always_inline)) void x4_block(const uint8_t *codes, __m512i sm, int k,
                                                           __m512i lv[4], __m512i sc[4]) {
    const __m512i m4 = _mm512_set1_epi8(0x0f);
    _Pragma("GCC unroll 2")
    for (int h = 0; h < 2; h++) {
        const __m512i q = _mm512_loadu_si512(codes + 64 * h);
        lv[2 * h] = _mm512_and_si512(q, m4);
        lv[2 * h + 1] = _mm512_and_si512(_mm512_srli_epi16(q, 4), m4);
    }
    const __m512i smz = x4_block_sm(sm, k);
    _Pragma("GCC unroll 4")
    for (int c = 0; c < 4; c++)
        sc[c] = _mm512_shuffle_epi8(smz, _mm512_load_si512(q4k_sc_ctl[c]));
}

#ifdef KQ512_VNNI
/* One column on VNNI (decode): the same int32 lanes as q4k_sumi with 20
 * instead of 25 vector operations per block (on Zen 4, which runs 512-bit
 * operations in halves, their count sets Q4_K's rate: with the weights in
 * L2 the X4 kernel reached 29 GB/s on rows of 2048 values, under what one
 * core reads from DRAM). Lane i of q4k_sumi is sum_c sc_c(i) * dp_c(i), dp_c(i)
 * the 4 products at 4i of chunk c, which is what vpdpbusd sums: chunks 2h and
 * 2h + 1 are the low and high nibbles of code load h, and the high ones are
 * multiplied in place (masked with 0xf0: 16 q, no shift; |16 dp| < 2^17).
 * A lane's dp fits a word (|dp| <= 4*15*128), so the two chunks' dp go into
 * the two words of a dword, dp_2h | (16 dp_2h+1) << 12, and meet their scales
 * in one vpdpwssd: 2 scale vectors per block instead of 4. Batches keep
 * q4k_sumi, which needs fewer operations per column once the levels and
 * scales are shared (8 against 10). */
#define X4_P4(a, b) 0x8000 | (a), 0x8000 | (b), 0x8000 | (a), 0x8000 | (b)
#define X4_CTL(h) {X4_P4(4 * (h), 4 * (h) + 2), X4_P4(4 * (h), 4 * (h) + 2),                 \
                   X4_P4(4 * (h), 4 * (h) + 2), X4_P4(4 * (h), 4 * (h) + 2),                 \
                   X4_P4(4 * (h) + 1, 4 * (h) + 3), X4_P4(4 * (h) + 1, 4 * (h) + 3),         \
                   X4_P4(4 * (h) + 1, 4 * (h) + 3), X4_P4(4 * (h) + 1, 4 * (h) + 3)}
/* pshufb controls for load h: word 2i the scale under lane i of chunk 2h,
 * word 2i + 1 under lane i of chunk 2h + 1 (lanes 0..7 a chunk's even
 * sub-block, 8..15 its odd one); bytes of lane k of the headers' sm. */
static const uint16_t x4_pair_ctl[2][32] __attribute__((aligned(64))) = {X4_CTL(0), X4_CTL(1)};
#undef X4_CTL
#undef X4_P4

static inline __attribute__((always_inline)) __m512i x4_sumi_one(const uint8_t *codes, __m512i sm,
                                                                 int k, const int8_t *qs) {
    const __m512i smz = x4_block_sm(sm, k);
    __m512i sumi = _mm512_setzero_si512();
    _Pragma("GCC unroll 2")
    for (int h = 0; h < 2; h++) {
        const __m512i q = _mm512_loadu_si512(codes + 64 * h);
        const __m512i lo = _mm512_dpbusd_epi32(_mm512_setzero_si512(),
                                               _mm512_and_si512(q, _mm512_set1_epi8(0x0f)),
                                               _mm512_loadu_si512(qs + 128 * h));
        const __m512i hi16 = _mm512_dpbusd_epi32(_mm512_setzero_si512(),
                                                 _mm512_and_si512(q, _mm512_set1_epi8((char)0xf0)),
                                                 _mm512_loadu_si512(qs + 128 * h + 64));
        const __m512i pair = kq512_word_pair(lo, _mm512_slli_epi32(hi16, 12));
        sumi = _mm512_dpwssd_epi32(
            sumi, pair, _mm512_shuffle_epi8(smz, _mm512_load_si512(x4_pair_ctl[h])));
    }
    return sumi;
}
#endif

/* A column's activation data for blocks [ib, ib + 4): sub-block sums (one
 * block per lane) and [da, da] per block. From the call's preparation when
 * there is one (bs8: 4 consecutive entries; dap: 8 floats), else computed. */
static inline __attribute__((always_inline)) void x4_column(const block_q8_K *a, int64_t ib,
                                                            const __m128i *bs8, const float *dap,
                                                            __m512i *bs, __m256 *da) {
    if (bs8) {
        *bs = _mm512_loadu_si512(bs8 + ib);
        *da = _mm256_loadu_ps(dap + 2 * ib);
        return;
    }
    __m512i s = _mm512_castsi128_si512(kq512_bsum8(&a[ib]));
    s = _mm512_inserti32x4(s, kq512_bsum8(&a[ib + 1]), 1);
    s = _mm512_inserti32x4(s, kq512_bsum8(&a[ib + 2]), 2);
    *bs = _mm512_inserti32x4(s, kq512_bsum8(&a[ib + 3]), 3);
    *da = _mm256_setr_ps(a[ib].d, a[ib].d, a[ib + 1].d, a[ib + 1].d, a[ib + 2].d, a[ib + 2].d,
                         a[ib + 3].d, a[ib + 3].d);
}

/* One X4 row of nb blocks against C columns (C <= 8); bs8/dap as x4_column
 * with column k's entries at k * KQ512_PREP_BLOCKS (or NULL). */
static inline __attribute__((always_inline)) void x4_tile(int64_t nb, int C, const uint8_t *row,
                                                          const block_q8_K *const *a,
                                                          const __m128i *bs8, const float *dap,
                                                          float *out, int64_t ldo) {
    __m512 acc[8], acc_m[8];
    _Pragma("GCC unroll 8")
    for (int k = 0; k < C; k++) {
        acc[k] = _mm512_setzero_ps();
        acc_m[k] = _mm512_setzero_ps();
    }
    const __m512i dmin_idx = _mm512_setr_epi32(1, 1, 1, 1, 3, 3, 3, 3, 5, 5, 5, 5, 7, 7, 7, 7);
    const int64_t whole = nb / HEARTH_X4_BLOCKS * HEARTH_X4_BLOCKS;
    for (int64_t ib = 0; ib < whole; ib += HEARTH_X4_BLOCKS, row += HEARTH_X4_GROUP_BYTES) {
        const x4_headers hd = x4_decode_headers(row);
        __m256 dd[8]; /* column k: [d*da, dmin*da] of the four blocks */
        _Pragma("GCC unroll 8")
        for (int k = 0; k < C; k++) {
            __m512i bs;
            __m256 da;
            x4_column(a[k], ib, bs8 ? bs8 + k * KQ512_PREP_BLOCKS : NULL,
                      dap ? dap + 2 * k * KQ512_PREP_BLOCKS : NULL, &bs, &da);
            dd[k] = _mm256_mul_ps(hd.dd, da);
            const __m512 msum = _mm512_cvtepi32_ps(_mm512_madd_epi16(hd.mw, bs));
            acc_m[k] = _mm512_fmadd_ps(_mm512_permutexvar_ps(dmin_idx, _mm512_castps256_ps512(dd[k])),
                                       msum, acc_m[k]);
        }
        _Pragma("GCC unroll 4")
        for (int b = 0; b < HEARTH_X4_BLOCKS; b++) {
#ifdef KQ512_VNNI
            if (C == 1) {
                acc[0] = _mm512_fmadd_ps(
                    _mm512_permutexvar_ps(_mm512_set1_epi32(2 * b), _mm512_castps256_ps512(dd[0])),
                    _mm512_cvtepi32_ps(x4_sumi_one(row + 64 + 128 * b, hd.sm, b, a[0][ib + b].qs)),
                    acc[0]);
                continue;
            }
#endif
            __m512i lv[4], sc[4];
            x4_block(row + 64 + 128 * b, hd.sm, b, lv, sc);
            const __m512i d_idx = _mm512_set1_epi32(2 * b);
            _Pragma("GCC unroll 8")
            for (int k = 0; k < C; k++) {
                const __m512i sumi = q4k_sumi(lv, sc, a[k][ib + b].qs);
                acc[k] = _mm512_fmadd_ps(_mm512_permutexvar_ps(d_idx, _mm512_castps256_ps512(dd[k])),
                                         _mm512_cvtepi32_ps(sumi), acc[k]);
            }
        }
    }
    const block_q4_K *tail = (const block_q4_K *)row; /* GGUF order from here */
    for (int64_t ib = whole; ib < nb; ib++) {
        q4k_w d;
        q4k_decode(&tail[ib - whole], &d);
        _Pragma("GCC unroll 8")
        for (int k = 0; k < C; k++) {
            const block_q8_K *ak = &a[k][ib];
            const __m128i s = bs8 ? _mm_load_si128(&bs8[k * KQ512_PREP_BLOCKS + ib]) : kq512_bsum8(ak);
            q4k_min_slot(&d, q4k_main(&d, ak->qs, ak->d, &acc[k]), s, ib, &acc_m[k]);
        }
    }
    _Pragma("GCC unroll 8")
    for (int k = 0; k < C; k++)
        out[k * ldo] = q4k_result_slots(acc[k], acc_m[k]);
}

void KQ512_NAME(hearth_vec_dot_q4_k_x4_q8_k)(KQ_VEC_DOT_ARGS) {
    const block_q8_K *cols[1] = {a};
    x4_tile(n / QK_K, 1, w, cols, NULL, NULL, out, 1);
}

/* Column groups of KQ512_COLS as KQ512_MAT_DOT_BODY, with [da, da] prepared
 * beside the sub-block sums; rows longer than KQ512_PREP_BLOCKS blocks
 * compute both per use (the same values). */
void KQ512_NAME(hearth_mat_dot_q4_k_x4_q8_k)(KQ_MAT_DOT_ARGS) {
    const int64_t nb = n / QK_K;
    __m128i prep[KQ512_COLS * KQ512_PREP_BLOCKS];
    float dap[KQ512_COLS * KQ512_PREP_BLOCKS * 2];
    const bool use_prep = nb <= KQ512_PREP_BLOCKS;
    for (int64_t c0 = 0; c0 < nc; c0 += KQ512_COLS) {
        const int64_t c1 = c0 + KQ512_COLS < nc ? c0 + KQ512_COLS : nc;
        const block_q8_K *cols[KQ512_COLS];
        for (int64_t c = c0; c < c1; c++) {
            cols[c - c0] = kq512_col(a, a_stride, c);
            for (int64_t ib = 0; use_prep && ib < nb; ib++) {
                const int64_t at = (c - c0) * KQ512_PREP_BLOCKS + ib;
                prep[at] = kq512_bsum8(&cols[c - c0][ib]);
                dap[2 * at] = dap[2 * at + 1] = cols[c - c0][ib].d;
            }
        }
        for (int64_t r = 0; r < nr; r++) {
            const uint8_t *row = (const uint8_t *)w + r * w_stride;
            int64_t c = c0;
#define X4_TILE(C)                                                                         \
    x4_tile(nb, C, row, cols + (c - c0), use_prep ? prep + (c - c0) * KQ512_PREP_BLOCKS : NULL, \
            use_prep ? dap + 2 * (c - c0) * KQ512_PREP_BLOCKS : NULL, out + c * ldo + r, ldo)
            for (; c + 8 <= c1; c += 8)
                X4_TILE(8);
            for (; c + 4 <= c1; c += 4)
                X4_TILE(4);
            for (; c < c1; c++)
                X4_TILE(1);
#undef X4_TILE
        }
    }
}
