/* q3_k.c - reference Q3_K (GGUF type 11): quantize, dequantize, dot with Q8_K.
 *
 * Block of 256 values = 16 sub-blocks of 16, 6-bit signed scales, one f16 d:
 *     x = (d * sc[j]) * q,  q in -4..3,  sc in -32..31
 * Value v = 128h + 32k + l (h < 2, k < 4, l < 32): low 2 bits of q + 4 in
 * qs[32h + l] at bit 2k; the third bit in hmask[v % 32] at bit v / 32.
 * Scales are packed in 12 bytes (kq_unpack_q3_scales). Plain C, the specification.
 */
#include "kquant_util.h"

#include <math.h> /* fabsf */

static void decode_q3_k(const void *blk, kq_block *out) {
    const block_q3_K *b = blk;
    int8_t sc[16];
    kq_unpack_q3_scales(b->scales, sc);
    out->n_sub = 16;
    out->d = kq_f16_to_f32(b->d);
    out->dmin = 0;
    for (int j = 0; j < 16; j++) {
        out->sc[j] = sc[j];
        out->m[j] = 0;
    }
    for (int v = 0; v < QK_K; v++) {
        int h = v / 128, k = (v / 32) % 4, l = v % 32;
        int low = (b->qs[32 * h + l] >> (2 * k)) & 3;
        int high = (b->hmask[l] >> (v / 32)) & 1;
        out->q[v] = (int8_t)(low + 4 * high - 4);
    }
}

/* x = (d * sc) * q (float). */
void hearth_dequantize_row_q3_k_ref(const void *restrict src, float *restrict dst, int64_t n) {
    kquant_dequantize_ref(src, dst, n, sizeof(block_q3_K), decode_q3_k);
}

/* Quantize 256 values at a time (same algorithm as llama.cpp's reference):
 * 1. per sub-block of 16, kquant_fit_q3 (nmax 4, weights x^2, coordinate descent) -> s_j;
 * 2. with s the s_j of largest magnitude: sc_j = clamp(round(-32 s_j / s), -32, 31)
 *    (half to even), d = s / -32 (f16, nearest even);
 * 3. requantize: q = clamp(round(x / (d * sc_j)), -4, 3) (a sub-block whose
 *    d * sc_j is 0 keeps its fitted levels). */
void hearth_quantize_row_q3_k_ref(const float *restrict src, void *restrict dst, int64_t n) {
    block_q3_K *y = dst;
    for (int64_t ib = 0; ib < n / QK_K; ib++, src += QK_K) {
        const float *x = src;
        int8_t L[QK_K];
        float scales[16];
        float max_scale = 0, max_abs = 0;
        for (int j = 0; j < 16; j++) {
            scales[j] = kquant_fit_q3(16, 4, x + 16 * j, L + 16 * j);
            if (fabsf(scales[j]) > max_abs) {
                max_abs = fabsf(scales[j]);
                max_scale = scales[j];
            }
        }
        memset(y[ib].scales, 0, sizeof y[ib].scales);
        int8_t sc[16] = {0};
        if (max_scale) {
            float iscale = -32.f / max_scale;
            for (int j = 0; j < 16; j++) {
                sc[j] = (int8_t)kq_round_clamp(iscale * scales[j], -32, 31);
                int biased = sc[j] + 32;
                y[ib].scales[j % 8] |= (uint8_t)((biased & 0xf) << (4 * (j / 8)));
                y[ib].scales[8 + j % 4] |= (uint8_t)((biased >> 4) << (2 * (j / 4)));
            }
            y[ib].d = kq_f32_to_f16(1 / iscale);
        } else {
            y[ib].d = kq_f32_to_f16(0.f); /* an all-zero block: d = 0 zeroes every value */
        }
        float d_all = kq_f16_to_f32(y[ib].d);
        for (int j = 0; j < 16; j++) {
            float d = d_all * sc[j];
            if (!d)
                continue;
            for (int l = 0; l < 16; l++)
                L[16 * j + l] = (int8_t)(kq_round_clamp(x[16 * j + l] / d, -4, 3) + 4);
        }
        memset(y[ib].hmask, 0, sizeof y[ib].hmask);
        memset(y[ib].qs, 0, sizeof y[ib].qs);
        for (int v = 0; v < QK_K; v++) {
            int q = L[v];
            if (q > 3) {
                y[ib].hmask[v % 32] |= (uint8_t)(1 << (v / 32));
                q -= 4;
            }
            y[ib].qs[32 * (v / 128) + v % 32] |= (uint8_t)(q << (2 * ((v / 32) % 4)));
        }
    }
}

/* dot = sum over blocks of (d * a.d) * sum_j sc_j * sum_i q_i * a_i. */
void hearth_vec_dot_q3_k_q8_k_ref(KQ_VEC_DOT_ARGS) {
    kquant_vec_dot_ref(n, out, w, a, sizeof(block_q3_K), decode_q3_k);
}

void hearth_mat_dot_q3_k_q8_k_ref(KQ_MAT_DOT_ARGS) {
    kquant_mat_dot_ref(n, nr, nc, out, ldo, w, w_stride, a, a_stride, sizeof(block_q3_K),
                       decode_q3_k);
}
