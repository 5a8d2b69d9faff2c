/* gather_dot.h - Q4_0, IQ4_NL and Q8_0 dot kernels of the two AVX-512 tiers
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
 * Every block starts at an even offset (18 or 34 bytes apart, codes 2 bytes
 * in), which is what makes a 16-bit permute enough (AVX-512BW, no VBMI).
 *
 * The activation column is prepared once per call, in the register layout
 * of a step (4 Q4_0/IQ4_NL blocks, or 2 Q8_0 blocks): its codes in the order
 * the permute leaves the weight codes in, their scales spread over the int32
 * lanes of their block, and -BIAS * (sum of each lane's activation bytes),
 * the starting value of the integer sum that lets unsigned codes q = w + BIAS
 * give sum w * a exactly. A tier without VNNI cannot multiply codes of 8
 * bits unsigned (vpmaddubsw saturates), so there Q8_0 and IQ4_NL keep signed
 * values and move the sign to the activations; the integer sums are the
 * same, so both tiers give the same bits.
 *
 * Arithmetic per output: lane-wise acc[s % 2] += (dw * da) * (float)isum for
 * step s (two accumulators for two dependency chains), then one fixed
 * horizontal sum of acc[0] + acc[1]. vec_dot and every mat_dot path run this
 * same code, so mat_dot gives vec_dot's bits at any split of rows or columns.
 */
#ifndef HEARTH_KERNELS_AVX512_GATHER_DOT_H
#define HEARTH_KERNELS_AVX512_GATHER_DOT_H

#include <string.h> /* memcpy */

#include "avx512_dot.h" /* Z_DP, TIERED, HEARTH_INLINE */

/* Values of one column prepared at a time: 32 KiB of Q4_0/IQ4_NL steps on
 * the stack, 48 KiB of Q8_0 steps. Longer rows are done chunk by chunk, a
 * group of rows at a time, with their accumulators kept in between (the same
 * operations in the same order: the same bits). */
enum { G_CHUNK_VALUES = 16384, G_ROW_GROUP = 16 };
/* Each row step prefetches the bytes 16 KiB ahead (a hint: no fault past the
 * matrix; non-temporal: the weights are used once). Measured from huge pages,
 * one core: Q4_0 at 33 GB/s with 4 KiB, 38-39 GB/s (the read loop's rate)
 * with 8 or 16 KiB. Two lines per step: a step is 72 (68) bytes, so one
 * prefetch per step skipped every ninth (seventeenth) line (measured +3-5 %). */
#ifndef G_ROW_AHEAD
#define G_ROW_AHEAD(row, ws) ((void)0)
#endif
#ifndef G_PREFETCH_AHEAD
#define G_PREFETCH_AHEAD(q)                                                                \
    (_mm_prefetch((q) + 16384, _MM_HINT_NTA), _mm_prefetch((q) + 16384 + 64, _MM_HINT_NTA))
#endif

typedef enum { G_Q4_0, G_IQ4_NL, G_Q8_0 } g_kind;

/* A prepared step is G_STEP_ZMM(kind) registers: [0] the activations (nibble
 * types: values 0..15 of the 4 blocks, 16 bytes each in block order; Q8_0:
 * the 2 blocks' 32 values each), [1] -BIAS * sum per int32 lane (0 where the
 * tier keeps signs), [2] each lane's block scale (floats), [3] nibble types'
 * values 16..31. */
#define G_STEP_ZMM(kind) ((kind) == G_Q8_0 ? 3 : 4)
enum { G_PREP_ZMM = G_CHUNK_VALUES / 64 * 3 }; /* the larger: Q8_0 */

HEARTH_INLINE int g_blocks_per_step(g_kind kind) { return kind == G_Q8_0 ? 2 : 4; }
HEARTH_INLINE size_t g_block_bytes(g_kind kind) { return kind == G_Q8_0 ? 34 : 18; }

/* VNNI multiplies unsigned codes of 8 bits exactly; the other tier only
 * unsigned codes below 32 (Q4_0). */
#ifdef AVX512_HAVE_VNNI
#define G_UNSIGNED(kind) 1
#else
#define G_UNSIGNED(kind) ((kind) == G_Q4_0)
#endif

HEARTH_INLINE int g_bias(g_kind kind) { return kind == G_Q4_0 ? 8 : 128; }

/* Word indices: codes of the step's blocks (first source = the 64 bytes at
 * the step, second = the bytes after), and each lane's block scale. */
HEARTH_INLINE __m512i g_code_index(g_kind kind) {
    if (kind == G_Q8_0) /* block k's codes: words 17k + 1 .. 17k + 16 */
        return _mm512_set_epi16(33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18,
                                16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1);
    /* block k's codes: words 9k + 1 .. 9k + 8 */
    return _mm512_set_epi16(35, 34, 33, 32, 31, 30, 29, 28, 26, 25, 24, 23, 22, 21, 20, 19, 17,
                            16, 15, 14, 13, 12, 11, 10, 8, 7, 6, 5, 4, 3, 2, 1);
}

HEARTH_INLINE __m512i g_scale_index(g_kind kind) {
    if (kind == G_Q8_0) /* lanes 0-7 block 0 (word 0), 8-15 block 1 (word 17) */
        return _mm512_set_epi16(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 17, 17, 17, 17,
                                17, 17, 17, 17, 0, 0, 0, 0, 0, 0, 0, 0);
    /* lanes 4k..4k+3 block k (word 9k) */
    return _mm512_set_epi16(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 27, 27, 27, 27, 18,
                            18, 18, 18, 9, 9, 9, 9, 0, 0, 0, 0);
}

/* The table of IQ4_NL values, shifted to unsigned where the tier uses
 * unsigned codes. */
HEARTH_INLINE __m512i g_iq4nl_table(int unsigned_codes) {
    const __m512i t =
        _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)hearth_kvalues_iq4nl));
    return unsigned_codes ? _mm512_xor_si512(t, _mm512_set1_epi8((char)0x80)) : t;
}

/* ---- Column preparation -------------------------------------------------- */

/* One step of blocks [0, k) of a column (k < blocks per step only at the
 * end of a row: the missing blocks' lanes are all zero, so they add 0). */
HEARTH_INLINE void g_prep_step(g_kind kind, __m512i *st, const block_q8_0 *a, int k) {
    __m512i lo, hi = _mm512_setzero_si512();
    __m512 da;
    if (k == g_blocks_per_step(kind) && kind == G_Q8_0) {
        lo = z_load_pair(a[0].qs, a[1].qs);
        da = z_h2f_pair(a[0].d, a[1].d);
    } else if (k == g_blocks_per_step(kind)) {
        lo = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)a[0].qs));
        hi = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)(a[0].qs + 16)));
        for (int j = 1; j < 4; j++) { /* immediates: unrolled by the compiler */
            const __m128i l = _mm_loadu_si128((const __m128i *)a[j].qs);
            const __m128i h = _mm_loadu_si128((const __m128i *)(a[j].qs + 16));
            lo = j == 1 ? _mm512_inserti32x4(lo, l, 1)
                        : j == 2 ? _mm512_inserti32x4(lo, l, 2) : _mm512_inserti32x4(lo, l, 3);
            hi = j == 1 ? _mm512_inserti32x4(hi, h, 1)
                        : j == 2 ? _mm512_inserti32x4(hi, h, 2) : _mm512_inserti32x4(hi, h, 3);
        }
        const __m128 d4 = _mm_setr_ps(avx2_h2f(a[0].d), avx2_h2f(a[1].d), avx2_h2f(a[2].d),
                                      avx2_h2f(a[3].d));
        da = _mm512_permutexvar_ps(_mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3),
                                   _mm512_castps128_ps512(d4));
    } else { /* a short last step, through memory */
        _Alignas(64) int8_t l[64] = {0}, h[64] = {0};
        _Alignas(64) float d[16] = {0};
        const int per_block = kind == G_Q8_0 ? 32 : 16, lanes = kind == G_Q8_0 ? 8 : 4;
        for (int j = 0; j < k; j++) {
            memcpy(l + per_block * j, a[j].qs, (size_t)per_block);
            if (kind != G_Q8_0)
                memcpy(h + 16 * j, a[j].qs + 16, 16);
            for (int i = 0; i < lanes; i++)
                d[lanes * j + i] = avx2_h2f(a[j].d);
        }
        lo = _mm512_load_si512(l);
        hi = _mm512_load_si512(h);
        da = _mm512_load_ps(d);
    }
    __m512i nbias = _mm512_setzero_si512();
    if (G_UNSIGNED(kind)) {
        const __m512i bias = _mm512_set1_epi8((char)g_bias(kind));
        __m512i s = Z_DP(_mm512_setzero_si512(), bias, lo);
        if (kind != G_Q8_0)
            s = Z_DP(s, bias, hi);
        nbias = _mm512_sub_epi32(_mm512_setzero_si512(), s);
    }
    st[0] = lo;
    st[1] = nbias;
    st[2] = _mm512_castps_si512(da);
    if (kind != G_Q8_0)
        st[3] = hi;
}

/* The steps of blocks [b0, b1) of column a into st. */
HEARTH_INLINE void g_prep(g_kind kind, __m512i *st, const block_q8_0 *a, int64_t b0,
                          int64_t b1) {
    const int per = g_blocks_per_step(kind);
    for (int64_t b = b0; b < b1; b += per)
        g_prep_step(kind, st + (b - b0) / per * G_STEP_ZMM(kind), a + b,
                    b1 - b < per ? (int)(b1 - b) : per);
}

/* ---- One weight row against a prepared chunk ------------------------------ */

/* Signed codes x activations: |w| as the unsigned operand, the activations
 * negated where w < 0 (exact integer products). */
HEARTH_INLINE __m512i g_dp_signed(__m512i acc, __m512i w, __m512i a) {
    a = _mm512_mask_sub_epi8(a, _mm512_movepi8_mask(w), _mm512_setzero_si512(), a);
    return Z_DP(acc, _mm512_abs_epi8(w), a);
}

/* acc[0/1] += the products of one step of a row; q = the step's first block,
 * k = its block count (masked loads for a short last step). */
HEARTH_INLINE void g_row_step(g_kind kind, __m512 *acc, const char *q, int k, const __m512i *st,
                              __m512i code_index, __m512i scale_index, __m512i table) {
    const int per = g_blocks_per_step(kind);
    __m512i x, y;
    if (k == per) {
        G_PREFETCH_AHEAD(q);
        x = _mm512_loadu_si512(q);
        /* the bytes past the first 64: 8 (4 Q4_0 blocks) or 4 (2 Q8_0 blocks) */
        if (kind == G_Q8_0) {
            int32_t tail; /* unaligned: through memcpy */
            memcpy(&tail, q + 64, sizeof tail);
            y = _mm512_castsi128_si512(_mm_cvtsi32_si128(tail));
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
    const __m512i codes = _mm512_permutex2var_epi16(x, code_index, y);
    const __m512 dw =
        _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_permutexvar_epi16(scale_index, x)));
    __m512i isum;
    if (kind == G_Q8_0) {
        isum = G_UNSIGNED(kind)
                   ? Z_DP(st[1], _mm512_xor_si512(codes, _mm512_set1_epi8((char)0x80)), st[0])
                   : g_dp_signed(_mm512_setzero_si512(), codes, st[0]);
    } else {
        const __m512i m = _mm512_set1_epi8(0x0f);
        __m512i lo = _mm512_and_si512(codes, m);
        __m512i hi = _mm512_and_si512(_mm512_srli_epi16(codes, 4), m);
        if (kind == G_IQ4_NL) {
            lo = _mm512_shuffle_epi8(table, lo);
            hi = _mm512_shuffle_epi8(table, hi);
        }
        if (G_UNSIGNED(kind)) {
            isum = Z_DP(Z_DP(st[1], lo, st[0]), hi, st[3]);
        } else {
            isum = g_dp_signed(g_dp_signed(_mm512_setzero_si512(), lo, st[0]), hi, st[3]);
        }
    }
    *acc = _mm512_fmadd_ps(_mm512_mul_ps(dw, _mm512_castsi512_ps(st[2])), _mm512_cvtepi32_ps(isum),
                           *acc);
}

/* Steps [s0, s0 + n_steps) of one row (s0 even: step s adds to acc[s % 2]),
 * the last one possibly short (`last_k` blocks). The two accumulators stay in
 * registers: the full steps go in pairs. */
HEARTH_INLINE void g_row(g_kind kind, __m512 acc[2], const char *row, int64_t s0,
                         int64_t n_steps, int last_k, const __m512i *st) {
    const __m512i ci = g_code_index(kind), si = g_scale_index(kind);
    const __m512i table = g_iq4nl_table(G_UNSIGNED(kind));
    const int per = g_blocks_per_step(kind), zs = G_STEP_ZMM(kind);
    const size_t step_bytes = (size_t)per * g_block_bytes(kind);
    const int64_t n_full = last_k == per ? n_steps : n_steps - 1;
    const char *q = row + (size_t)s0 * step_bytes;
    __m512 a0 = acc[0], a1 = acc[1];
    int64_t s = 0;
    for (; s + 2 <= n_full; s += 2) {
        g_row_step(kind, &a0, q, per, st, ci, si, table);
        g_row_step(kind, &a1, q + step_bytes, per, st + zs, ci, si, table);
        q += 2 * step_bytes;
        st += 2 * zs;
    }
    if (s < n_full) {
        g_row_step(kind, &a0, q, per, st, ci, si, table);
        q += step_bytes;
        st += zs;
        s++;
    }
    if (s < n_steps) /* the short last step */
        g_row_step(kind, (s & 1) ? &a1 : &a0, q, last_k, st, ci, si, table);
    acc[0] = a0;
    acc[1] = a1;
}

/* out[r] = dot(row r, column a) for r < nr: the matrix x vector product
 * (rows in order, one sequential stream through memory). */
HEARTH_INLINE void g_matvec(g_kind kind, int64_t n, int64_t nr, float *out, const char *w,
                            size_t ws, const block_q8_0 *a) {
    const int per = g_blocks_per_step(kind);
    const int64_t nb = n / 32, chunk = G_CHUNK_VALUES / 32;
    _Alignas(64) __m512i st[G_PREP_ZMM];
    if (nb <= chunk) { /* one chunk: every row straight through */
        g_prep(kind, st, a, 0, nb);
        const int64_t n_steps = (nb + per - 1) / per;
        const int last_k = (int)(nb - (n_steps - 1) * per);
        for (int64_t r = 0; r < nr; r++) {
            __m512 acc[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
            G_ROW_AHEAD(w + (size_t)r * ws, ws);
            g_row(kind, acc, w + (size_t)r * ws, 0, n_steps, last_k, st);
            out[r] = _mm512_reduce_add_ps(_mm512_add_ps(acc[0], acc[1]));
        }
        return;
    }
    __m512 keep[G_ROW_GROUP][2];
    for (int64_t r0 = 0; r0 < nr; r0 += G_ROW_GROUP) {
        const int64_t rn = nr - r0 < G_ROW_GROUP ? nr - r0 : G_ROW_GROUP;
        for (int64_t r = 0; r < rn; r++)
            keep[r][0] = keep[r][1] = _mm512_setzero_ps();
        for (int64_t b0 = 0; b0 < nb; b0 += chunk) {
            const int64_t b1 = nb - b0 < chunk ? nb : b0 + chunk;
            g_prep(kind, st, a, b0, b1);
            const int64_t n_steps = (b1 - b0 + per - 1) / per;
            const int last_k = (int)(b1 - b0 - (n_steps - 1) * per);
            for (int64_t r = 0; r < rn; r++)
                g_row(kind, keep[r], w + (size_t)(r0 + r) * ws, b0 / per, n_steps, last_k, st);
        }
        for (int64_t r = 0; r < rn; r++)
            out[r0 + r] = _mm512_reduce_add_ps(_mm512_add_ps(keep[r][0], keep[r][1]));
    }
}

/* vec_dot and mat_dot of one type: mat_dot runs the matvec once per column
 * (its preparation is paid once per column and call). */
#define HEARTH_AVX512_GATHER_KERNELS(VEC_DOT, MAT_DOT, KIND)                               \
    void VEC_DOT(int64_t n, float *restrict out, const void *restrict w,                   \
                 const void *restrict a);                                                  \
    void VEC_DOT(int64_t n, float *restrict out, const void *restrict w,                   \
                 const void *restrict a) {                                                 \
        g_matvec(KIND, n, 1, out, w, 0, a);                                             \
    }                                                                                      \
    void MAT_DOT(int64_t n, int64_t nr, int64_t nc, float *restrict out, int64_t ldo,      \
                 const void *restrict w, size_t w_stride, const void *restrict a,          \
                 size_t a_stride);                                                         \
    void MAT_DOT(int64_t n, int64_t nr, int64_t nc, float *restrict out, int64_t ldo,      \
                 const void *restrict w, size_t w_stride, const void *restrict a,          \
                 size_t a_stride) {                                                        \
        for (int64_t c = 0; c < nc; c++)                                                   \
            g_matvec(KIND, n, nr, out + c * ldo, w, w_stride,                           \
                     (const block_q8_0 *)((const char *)a + (size_t)c * a_stride));        \
    }

#endif /* HEARTH_KERNELS_AVX512_GATHER_DOT_H */
