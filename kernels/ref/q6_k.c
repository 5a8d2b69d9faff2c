/* q6_k.c - reference Q6_K (GGUF type 14): quantize, dequantize, dot with Q8_K.
 *
 * Block of 256 values = 16 sub-blocks of 16, int8 scales, one f16 d:
 *     x = (d * sc[j]) * (q - 32),  q in 0..63 (6 bits)
 * Layout per half h (128 values): value 128h + 32k + l (k = 0..3, l < 32) keeps
 * its low 4 bits in ql[64h + 32(k % 2) + l] (low nibble for k < 2, high for k >= 2)
 * and its top 2 bits in qh[32h + l] at bit 2k. Plain C, the specification.
 */
#include "kquant_util.h"

#include <math.h> /* fabsf */

static void decode_q6_k(const void *blk, kq_block *out) {
    const block_q6_K *b = blk;
    out->n_sub = 16;
    out->d = kq_f16_to_f32(b->d);
    out->dmin = 0;
    for (int j = 0; j < 16; j++) {
        out->sc[j] = b->scales[j];
        out->m[j] = 0;
    }
    for (int h = 0; h < 2; h++) {
        for (int k = 0; k < 4; k++) {
            for (int l = 0; l < 32; l++) {
                int low = (b->ql[64 * h + 32 * (k % 2) + l] >> (4 * (k / 2))) & 0xf;
                int high = (b->qh[32 * h + l] >> (2 * k)) & 3;
                out->q[128 * h + 32 * k + l] = (int8_t)((low | (high << 4)) - 32);
            }
        }
    }
}

/* x = (d * sc) * (q - 32) (float; the min term is exactly 0). */
void hearth_dequantize_row_q6_k_ref(const void *restrict src, float *restrict dst, int64_t n) {
    kquant_dequantize_ref(src, dst, n, sizeof(block_q6_K), decode_q6_k);
}

/* Quantize 256 values at a time (same algorithm as llama.cpp's reference):
 * 1. per sub-block of 16, symmetric fit with weights x^2 (kquant_fit_symmetric,
 *    nmax 32, 19 trial scales) giving s_j (signed);
 * 2. with s the s_j of largest magnitude: d = s / -128 (f16, nearest even),
 *    sc_j = min(127, round(-128 s_j / s)) (half to even); all |s_j| < 1e-15 -> a zero block;
 * 3. requantize: q - 32 = clamp(round(x / (d * sc_j)), -32, 31) (a sub-block with
 *    d * sc_j = 0 keeps its fitted levels). */
void hearth_quantize_row_q6_k_ref(const float *restrict src, void *restrict dst, int64_t n) {
    block_q6_K *y = dst;
    for (int64_t ib = 0; ib < n / QK_K; ib++, src += QK_K) {
        const float *x = src;
        int8_t L[QK_K];
        float scales[16];
        float max_scale = 0, max_abs = 0;
        for (int j = 0; j < 16; j++) {
            scales[j] = kquant_fit_symmetric(16, 32, x + 16 * j, L + 16 * j);
            if (fabsf(scales[j]) > max_abs) {
                max_abs = fabsf(scales[j]);
                max_scale = scales[j];
            }
        }
        if (max_abs < 1e-15f) {
            memset(&y[ib], 0, sizeof y[ib]);
            continue;
        }
        float iscale = -128.f / max_scale;
        y[ib].d = kq_f32_to_f16(1 / iscale);
        for (int j = 0; j < 16; j++)
            y[ib].scales[j] = (int8_t)kq_round_clamp(iscale * scales[j], -128, 127);
        float d_all = kq_f16_to_f32(y[ib].d);
        for (int j = 0; j < 16; j++) {
            float d = d_all * y[ib].scales[j];
            if (!d)
                continue;
            for (int l = 0; l < 16; l++)
                L[16 * j + l] = (int8_t)(kq_round_clamp(x[16 * j + l] / d, -32, 31) + 32);
        }
        for (int h = 0; h < 2; h++) {
            const int8_t *Lh = L + 128 * h;
            for (int l = 0; l < 32; l++) {
                int q0 = Lh[l], q1 = Lh[32 + l], q2 = Lh[64 + l], q3 = Lh[96 + l];
                y[ib].ql[64 * h + l] = (uint8_t)((q0 & 0xf) | ((q2 & 0xf) << 4));
                y[ib].ql[64 * h + 32 + l] = (uint8_t)((q1 & 0xf) | ((q3 & 0xf) << 4));
                y[ib].qh[32 * h + l] =
                    (uint8_t)((q0 >> 4) | ((q1 >> 4) << 2) | ((q2 >> 4) << 4) | ((q3 >> 4) << 6));
            }
        }
    }
}

/* dot = sum over blocks of (d * a.d) * sum_j sc_j * sum_i (q_i - 32) * a_i. */
void hearth_vec_dot_q6_k_q8_k_ref(KQ_VEC_DOT_ARGS) {
    kquant_vec_dot_ref(n, out, w, a, sizeof(block_q6_K), decode_q6_k);
}

void hearth_mat_dot_q6_k_q8_k_ref(KQ_MAT_DOT_ARGS) {
    kquant_mat_dot_ref(n, nr, nc, out, ldo, w, w_stride, a, a_stride, sizeof(block_q6_K),
                       decode_q6_k);
}
