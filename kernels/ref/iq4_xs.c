/* iq4_xs.c - reference IQ4_XS (GGUF type 23): quantize, dequantize, dot with Q8_K.
 *
 * Block of 256 values = 8 sub-blocks of 32 with 6-bit scales (biased by 32):
 *     x = (d * (ls[j] - 32)) * kvalues_iq4nl[q],  q a 4-bit index
 * Sub-block j occupies qs[16j..16j+15]: value l < 16 in the low nibble of
 * qs[16j + l], value 16 + l in its high nibble. Low 4 scale bits in scales_l
 * (nibble j % 2 of byte j / 2), top 2 in scales_h bits 2j..2j+1.
 */
#include "kquant_util.h"

#include <math.h> /* fabsf */

static void decode_iq4_xs(const void *blk, kq_block *out) {
    const block_iq4_xs *b = blk;
    out->n_sub = 8;
    out->d = kq_f16_to_f32(b->d);
    out->dmin = 0;
    for (int j = 0; j < 8; j++) {
        out->sc[j] = (int16_t)kq_iq4xs_scale(b, j);
        out->m[j] = 0;
        for (int l = 0; l < 16; l++) {
            out->q[32 * j + l] = hearth_kvalues_iq4nl[b->qs[16 * j + l] & 0xf];
            out->q[32 * j + 16 + l] = hearth_kvalues_iq4nl[b->qs[16 * j + l] >> 4];
        }
    }
}

/* x = (d * (ls - 32)) * kvalue[q] (float). */
void hearth_dequantize_row_iq4_xs_ref(const void *restrict src, float *restrict dst, int64_t n) {
    kquant_dequantize_ref(src, dst, n, sizeof(block_iq4_xs), decode_iq4_xs);
}

/* Weighted sums of one trial: index = nearest level to id * x; S_qx = sum w q x,
 * S_qq = sum w q^2 with w = x^2. The trial's best scale is S_qx / S_qq and its
 * quality S_qx^2 / S_qq (larger = smaller weighted error). */
static void iq4_trial(const float *x, float id, uint8_t *idx, float *sum_qx, float *sum_qq) {
    float sqx = 0, sqq = 0;
    for (int l = 0; l < 32; l++) {
        int k = kquant_nearest_iq4(id * x[l]);
        if (idx)
            idx[l] = (uint8_t)k;
        float q = hearth_kvalues_iq4nl[k];
        float w = x[l] * x[l];
        sqx += w * q * x[l];
        sqq += w * q * q;
    }
    *sum_qx = sqx;
    *sum_qq = sqq;
}

/* Quantize 256 values at a time (same algorithm as llama.cpp's reference, no
 * importance matrix):
 * 1. per sub-block of 32 with max = the value of largest magnitude: start with
 *    d = max / -127 and refine d = S_qx / S_qq; then try the 15 inverse scales
 *    (t - 127) / max, t = -7..7, keeping the best S_qx^2 / S_qq;
 * 2. with s the sub-block scale of largest magnitude: D = s / -32 (stored as f16),
 *    ls_j = clamp(round(s_j / D), -32, 31) (half to even);
 * 3. each value's index = nearest level to x / (D * ls_j) (D unrounded, as the
 *    reference does; a tie goes to the upper level). */
void hearth_quantize_row_iq4_xs_ref(const float *restrict src, void *restrict dst, int64_t n) {
    block_iq4_xs *y = dst;
    const float first = hearth_kvalues_iq4nl[0]; /* -127 */
    for (int64_t ib = 0; ib < n / QK_K; ib++, src += QK_K) {
        const float *x = src;
        float scales[8];
        float max_scale = 0, max_abs = 0;
        for (int j = 0; j < 8; j++) {
            const float *xj = x + 32 * j;
            float amax = 0, max = 0;
            for (int l = 0; l < 32; l++) {
                if (fabsf(xj[l]) > amax) {
                    amax = fabsf(xj[l]);
                    max = xj[l];
                }
            }
            if (amax < 1e-15f) {
                scales[j] = 0;
                continue;
            }
            float sqx, sqq;
            float d = -max / first;
            iq4_trial(xj, 1 / d, NULL, &sqx, &sqq);
            d = sqx / sqq;
            float best = d * sqx;
            for (int t = -7; t <= 7; t++) {
                iq4_trial(xj, (t + first) / max, NULL, &sqx, &sqq);
                if (sqq > 0 && sqx * sqx > best * sqq) {
                    d = sqx / sqq;
                    best = d * sqx;
                }
            }
            scales[j] = d;
            if (fabsf(d) > max_abs) {
                max_abs = fabsf(d);
                max_scale = d;
            }
        }
        float d = -max_scale / 32;
        float id = d ? 1 / d : 0.f;
        y[ib].d = kq_f32_to_f16(d);
        y[ib].scales_h = 0;
        memset(y[ib].scales_l, 0, sizeof y[ib].scales_l);
        for (int j = 0; j < 8; j++) {
            int ls = kq_round_clamp(id * scales[j], -32, 31);
            float dl = d * ls;
            float idl = dl ? 1 / dl : 0.f;
            const float *xj = x + 32 * j;
            uint8_t idx[32];
            for (int l = 0; l < 32; l++)
                idx[l] = (uint8_t)kquant_nearest_iq4(idl * xj[l]);
            for (int l = 0; l < 16; l++)
                y[ib].qs[16 * j + l] = (uint8_t)(idx[l] | (idx[16 + l] << 4));
            int biased = ls + 32;
            y[ib].scales_l[j / 2] |= (uint8_t)((biased & 0xf) << (4 * (j % 2)));
            y[ib].scales_h |= (uint16_t)((biased >> 4) << (2 * j));
        }
    }
}

/* dot = sum over blocks of (d * a.d) * sum_j (ls_j - 32) * sum_i kvalue[q_i] * a_i. */
void hearth_vec_dot_iq4_xs_q8_k_ref(KQ_VEC_DOT_ARGS) {
    kquant_vec_dot_ref(n, out, w, a, sizeof(block_iq4_xs), decode_iq4_xs);
}

void hearth_mat_dot_iq4_xs_q8_k_ref(KQ_MAT_DOT_ARGS) {
    kquant_mat_dot_ref(n, nr, nc, out, ldo, w, w_stride, a, a_stride, sizeof(block_iq4_xs),
                       decode_iq4_xs);
}
