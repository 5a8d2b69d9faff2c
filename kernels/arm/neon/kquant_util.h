/* kquant_util.h (NEON) - decoded K-quant blocks and the column dot of the NEON tiers.
 *
 * Every weight type is first decoded into one form: 16 vectors of 16 signed
 * levels, a scale and a min per 16 values, and d, dmin. The column dot is then
 * the same for all six types: per 16 values vmull_s8 + vmlal_high_s8 (two
 * products per int16 lane, |lane| <= 2*127*128), pairwise-widened to int32 and
 * multiplied by the scale (exact int32 lanes); one FMA per block by d*da into
 * 4 float lanes, and the min term m * bsums into a second accumulator.
 * The NEON dotprod tier (kernels/arm/dotprod) swaps in vdotq_s32 and reuses
 * the decoders. vec_dot and mat_dot share kqn_tile, so they are bit-identical;
 * against the reference the float order differs (STYLE §8).
 */
#ifndef HEARTH_KQUANT_NEON_UTIL_H
#define HEARTH_KQUANT_NEON_UTIL_H

#include <arm_neon.h>

#include "../../ref/kquant_util.h" /* formats, scale unpacking, prototypes */

typedef struct kqn_block {
    int8x16_t q[16]; /* levels of values 16j..16j+15 */
    int16_t sc[16];  /* scale of each 16 values */
    int16_t m[16];   /* min of each 16 values (all 0 when the format has none) */
    float d, dmin;
} kqn_block;

typedef void (*kqn_decode_fn)(const void *blk, kqn_block *out);

static inline float kqn_half(hearth_f16 h) {
    __fp16 f;
    memcpy(&f, &h, 2);
    return (float)f;
}

/* ---- Decoders ------------------------------------------------------------ */

/* Q4_K / Q5_K share the 6-bit scales of 32-value sub-blocks. */
static inline void kqn_k4_scales(const uint8_t *packed, kqn_block *out) {
    uint8_t sc[8], m[8];
    kq_unpack_scales_mins(packed, sc, m);
    for (int j = 0; j < 16; j++) {
        out->sc[j] = sc[j / 2];
        out->m[j] = m[j / 2];
    }
}

static inline void kqn_decode_q4_k(const void *blk, kqn_block *out) {
    const block_q4_K *b = blk;
    const uint8x16_t low4 = vdupq_n_u8(0x0f);
    for (int c = 0; c < 4; c++) {
        uint8x16_t v0 = vld1q_u8(b->qs + 32 * c), v1 = vld1q_u8(b->qs + 32 * c + 16);
        out->q[4 * c + 0] = vreinterpretq_s8_u8(vandq_u8(v0, low4));
        out->q[4 * c + 1] = vreinterpretq_s8_u8(vandq_u8(v1, low4));
        out->q[4 * c + 2] = vreinterpretq_s8_u8(vshrq_n_u8(v0, 4));
        out->q[4 * c + 3] = vreinterpretq_s8_u8(vshrq_n_u8(v1, 4));
    }
    kqn_k4_scales(b->scales, out);
    out->d = kqn_half(b->d);
    out->dmin = kqn_half(b->dmin);
}

/* Bit 4 of value 32j + l is bit j of qh[l]. */
static inline void kqn_decode_q5_k(const void *blk, kqn_block *out) {
    const block_q5_K *b = blk;
    const uint8x16_t low4 = vdupq_n_u8(0x0f), bit4 = vdupq_n_u8(0x10);
    const uint8x16_t h0 = vld1q_u8(b->qh), h1 = vld1q_u8(b->qh + 16);
    for (int c = 0; c < 4; c++) {
        uint8x16_t v0 = vld1q_u8(b->qs + 32 * c), v1 = vld1q_u8(b->qs + 32 * c + 16);
        int8x16_t s_lo = vdupq_n_s8((int8_t)(4 - 2 * c)), s_hi = vdupq_n_s8((int8_t)(3 - 2 * c));
        uint8x16_t lv[4] = {vandq_u8(v0, low4), vandq_u8(v1, low4), vshrq_n_u8(v0, 4),
                            vshrq_n_u8(v1, 4)};
        uint8x16_t hv[4] = {vshlq_u8(h0, s_lo), vshlq_u8(h1, s_lo), vshlq_u8(h0, s_hi),
                            vshlq_u8(h1, s_hi)};
        for (int k = 0; k < 4; k++)
            out->q[4 * c + k] = vreinterpretq_s8_u8(vorrq_u8(lv[k], vandq_u8(hv[k], bit4)));
    }
    kqn_k4_scales(b->scales, out);
    out->d = kqn_half(b->d);
    out->dmin = kqn_half(b->dmin);
}

/* Value 128h + 32k + l: low 4 bits in ql[64h + 32(k%2) + l] (nibble k/2), top 2 in
 * qh[32h + l] at bit 2k; level q - 32. */
static inline void kqn_decode_q6_k(const void *blk, kqn_block *out) {
    const block_q6_K *b = blk;
    const uint8x16_t low4 = vdupq_n_u8(0x0f), top2 = vdupq_n_u8(0x30);
    const int8x16_t off = vdupq_n_s8(32);
    for (int h = 0; h < 2; h++) {
        for (int half = 0; half < 2; half++) {
            uint8x16_t l0 = vld1q_u8(b->ql + 64 * h + 16 * half);
            uint8x16_t l1 = vld1q_u8(b->ql + 64 * h + 32 + 16 * half);
            uint8x16_t qh = vld1q_u8(b->qh + 32 * h + 16 * half);
            uint8x16_t q[4] = {
                vorrq_u8(vandq_u8(l0, low4), vandq_u8(vshlq_n_u8(qh, 4), top2)),
                vorrq_u8(vandq_u8(l1, low4), vandq_u8(vshlq_n_u8(qh, 2), top2)),
                vorrq_u8(vshrq_n_u8(l0, 4), vandq_u8(qh, top2)),
                vorrq_u8(vshrq_n_u8(l1, 4), vandq_u8(vshrq_n_u8(qh, 2), top2)),
            };
            for (int k = 0; k < 4; k++)
                out->q[8 * h + 2 * k + half] = vsubq_s8(vreinterpretq_s8_u8(q[k]), off);
        }
    }
    for (int j = 0; j < 16; j++) {
        out->sc[j] = b->scales[j];
        out->m[j] = 0;
    }
    out->d = kqn_half(b->d);
    out->dmin = 0;
}

/* Value v = 128h + 32k + l: low 2 bits at qs[32h + l] >> 2k, third bit hmask[l] >> v/32. */
static inline void kqn_decode_q3_k(const void *blk, kqn_block *out) {
    const block_q3_K *b = blk;
    const uint8x16_t three = vdupq_n_u8(3), four = vdupq_n_u8(4);
    for (int g = 0; g < 16; g++) {
        int v = 16 * g, h = v / 128, k = (v / 32) % 4, l = v % 32;
        uint8x16_t qs = vld1q_u8(b->qs + 32 * h + l);
        uint8x16_t low = vandq_u8(vshlq_u8(qs, vdupq_n_s8((int8_t)(-2 * k))), three);
        uint8x16_t hb = vshlq_u8(vld1q_u8(b->hmask + l), vdupq_n_s8((int8_t)(2 - v / 32)));
        uint8x16_t q = vorrq_u8(low, vandq_u8(hb, four));
        out->q[g] = vsubq_s8(vreinterpretq_s8_u8(q), vreinterpretq_s8_u8(four));
    }
    int8_t sc[16];
    kq_unpack_q3_scales(b->scales, sc);
    for (int j = 0; j < 16; j++) {
        out->sc[j] = sc[j];
        out->m[j] = 0;
    }
    out->d = kqn_half(b->d);
    out->dmin = 0;
}

static inline void kqn_decode_q2_k(const void *blk, kqn_block *out) {
    const block_q2_K *b = blk;
    const uint8x16_t three = vdupq_n_u8(3);
    for (int g = 0; g < 16; g++) {
        int v = 16 * g, h = v / 128, k = (v / 32) % 4, l = v % 32;
        out->q[g] = vreinterpretq_s8_u8(vandq_u8(
            vshlq_u8(vld1q_u8(b->qs + 32 * h + l), vdupq_n_s8((int8_t)(-2 * k))), three));
    }
    for (int j = 0; j < 16; j++) {
        out->sc[j] = b->scales[j] & 0xf;
        out->m[j] = b->scales[j] >> 4;
    }
    out->d = kqn_half(b->d);
    out->dmin = kqn_half(b->dmin);
}

static inline void kqn_decode_iq4_xs(const void *blk, kqn_block *out) {
    const block_iq4_xs *b = blk;
    const int8x16_t levels = vld1q_s8(hearth_kvalues_iq4nl);
    for (int j = 0; j < 8; j++) {
        uint8x16_t v = vld1q_u8(b->qs + 16 * j);
        out->q[2 * j] = vqtbl1q_s8(levels, vandq_u8(v, vdupq_n_u8(0x0f)));
        out->q[2 * j + 1] = vqtbl1q_s8(levels, vshrq_n_u8(v, 4));
        out->sc[2 * j] = out->sc[2 * j + 1] = (int16_t)kq_iq4xs_scale(b, j);
        out->m[2 * j] = out->m[2 * j + 1] = 0;
    }
    out->d = kqn_half(b->d);
    out->dmin = 0;
}

/* ---- Column dot and tile (plain NEON) -------------------------------------- */

/* Exact int32 lanes of sum_j sc_j * sum q * a over one block. */
static inline int32x4_t kqn_sumi(const kqn_block *b, const block_q8_K *a) {
    int32x4_t sumi = vdupq_n_s32(0);
    for (int j = 0; j < 16; j++) {
        int8x16_t av = vld1q_s8(a->qs + 16 * j);
        int16x8_t p = vmull_s8(vget_low_s8(b->q[j]), vget_low_s8(av));
        p = vmlal_high_s8(p, b->q[j], av);
        sumi = vmlaq_n_s32(sumi, vpaddlq_s16(p), b->sc[j]);
    }
    return sumi;
}

/* Exact int32 lanes of sum_j m_j * bsums[j]. */
static inline int32x4_t kqn_msum(const kqn_block *b, const block_q8_K *a) {
    int16x8_t m0 = vld1q_s16(b->m), m1 = vld1q_s16(b->m + 8);
    int16x8_t b0 = vld1q_s16(a->bsums), b1 = vld1q_s16(a->bsums + 8);
    int32x4_t s = vmull_s16(vget_low_s16(m0), vget_low_s16(b0));
    s = vmlal_high_s16(s, m0, b0);
    s = vmlal_s16(s, vget_low_s16(m1), vget_low_s16(b1));
    return vmlal_high_s16(s, m1, b1);
}

typedef int32x4_t (*kqn_sumi_fn)(const kqn_block *b, const block_q8_K *a);

/* One weight row against up to 4 columns: the block is decoded once and
 * applied to each column; per column the float operations do not depend on
 * how many columns share the pass, so every grouping gives the same bits. */
static inline void kqn_tile(int64_t nb, const char *row, size_t type_size, kqn_decode_fn decode,
                            bool has_min, kqn_sumi_fn sumi, const block_q8_K *const cols[],
                            int ncols, float out[]) {
    float32x4_t acc[4], acc_m[4];
    for (int k = 0; k < ncols; k++) {
        acc[k] = vdupq_n_f32(0);
        acc_m[k] = vdupq_n_f32(0);
    }
    kqn_block b;
    for (int64_t ib = 0; ib < nb; ib++) {
        decode(row + ib * type_size, &b);
        for (int k = 0; k < ncols; k++) {
            const block_q8_K *a = &cols[k][ib];
            acc[k] = vfmaq_n_f32(acc[k], vcvtq_f32_s32(sumi(&b, a)), b.d * a->d);
            if (has_min)
                acc_m[k] = vfmaq_n_f32(acc_m[k], vcvtq_f32_s32(kqn_msum(&b, a)), b.dmin * a->d);
        }
    }
    for (int k = 0; k < ncols; k++)
        out[k] = vaddvq_f32(acc[k]) - vaddvq_f32(acc_m[k]);
}

static inline void kqn_vec_dot(int64_t n, float *out, const void *w, const void *a,
                               size_t type_size, kqn_decode_fn decode, bool has_min,
                               kqn_sumi_fn sumi) {
    const block_q8_K *cols[1] = {a};
    kqn_tile(n / QK_K, w, type_size, decode, has_min, sumi, cols, 1, out);
}

/* Column tiles of 16 (their Q8_K stays in L2), every row against them, 4 columns
 * per pass. */
static inline void kqn_mat_dot(KQ_MAT_DOT_ARGS, size_t type_size, kqn_decode_fn decode,
                               bool has_min, kqn_sumi_fn sumi) {
    for (int64_t c0 = 0; c0 < nc; c0 += 16) {
        int64_t c1 = c0 + 16 < nc ? c0 + 16 : nc;
        for (int64_t r = 0; r < nr; r++) {
            const char *row = (const char *)w + r * w_stride;
            for (int64_t c = c0; c < c1; c += 4) {
                int cn = c1 - c < 4 ? (int)(c1 - c) : 4;
                const block_q8_K *cols[4];
                float res[4];
                for (int k = 0; k < cn; k++)
                    cols[k] = (const void *)((const char *)a + (c + k) * a_stride);
                kqn_tile(n / QK_K, row, type_size, decode, has_min, sumi, cols, cn, res);
                for (int k = 0; k < cn; k++)
                    out[(c + k) * ldo + r] = res[k];
            }
        }
    }
}

#endif /* HEARTH_KQUANT_NEON_UTIL_H */
