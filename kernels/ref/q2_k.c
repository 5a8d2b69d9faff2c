/* q2_k.c - reference Q2_K (GGUF type 10): quantize, dequantize, dot with Q8_K.
 *
 * Block of 256 values = 16 sub-blocks of 16; scales[j] = 4-bit scale | 4-bit min << 4:
 *     x = (d * sc[j]) * q - (dmin * m[j]),  q in 0..3
 * Value v = 128h + 32k + l (h < 2, k < 4, l < 32) is qs[32h + l] >> 2k & 3.
 * Plain C, the specification the SIMD tiers are tested against.
 */
#include "kquant_util.h"

#include <math.h> /* fabsf */

static void decode_q2_k(const void *blk, kq_block *out) {
    const block_q2_K *b = blk;
    out->n_sub = 16;
    out->d = kq_f16_to_f32(b->d);
    out->dmin = kq_f16_to_f32(b->dmin);
    for (int j = 0; j < 16; j++) {
        out->sc[j] = b->scales[j] & 0xf;
        out->m[j] = b->scales[j] >> 4;
    }
    for (int v = 0; v < QK_K; v++)
        out->q[v] = (int8_t)((b->qs[32 * (v / 128) + v % 32] >> (2 * ((v / 32) % 4))) & 3);
}

/* x = (d * sc) * q - dmin * m (float). */
void hearth_dequantize_row_q2_k_ref(const void *restrict src, float *restrict dst, int64_t n) {
    kquant_dequantize_ref(src, dst, n, sizeof(block_q2_K), decode_q2_k);
}

/* Quantize 256 values at a time (same algorithm as llama.cpp's reference):
 * 1. per sub-block of 16, weights |x|, fit x ~ s_j * L - m_j minimising the
 *    weighted absolute error (kquant_fit_scale_min, nmax 3, 16 trial scales);
 * 2. d = max s / 15, dmin = max m / 15 (f16, nearest even); sc_j = round(15 s_j / max s),
 *    m_j = round(15 m_j / max m) (half to even);
 * 3. requantize: q = clamp(round((x + dmin*m_j) / (d*sc_j)), 0, 3) (sub-blocks with
 *    d * sc_j = 0 keep their fitted levels). */
void hearth_quantize_row_q2_k_ref(const float *restrict src, void *restrict dst, int64_t n) {
    block_q2_K *y = dst;
    for (int64_t ib = 0; ib < n / QK_K; ib++, src += QK_K) {
        const float *x = src;
        uint8_t L[QK_K];
        float scales[16], mins[16], weights[16];
        float max_scale = 0, max_min = 0;
        for (int j = 0; j < 16; j++) {
            for (int l = 0; l < 16; l++)
                weights[l] = fabsf(x[16 * j + l]);
            scales[j] = kquant_fit_scale_min(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j],
                                             -0.5f, 0.1f, 15, true);
            max_scale = scales[j] > max_scale ? scales[j] : max_scale;
            max_min = mins[j] > max_min ? mins[j] : max_min;
        }
        uint8_t sc[16] = {0}, m[16] = {0};
        if (max_scale > 0) {
            float iscale = 15.f / max_scale;
            for (int j = 0; j < 16; j++)
                sc[j] = (uint8_t)kq_round_clamp(iscale * scales[j], 0, 15);
            y[ib].d = kq_f32_to_f16(max_scale / 15.f);
        } else {
            y[ib].d = kq_f32_to_f16(0.f);
        }
        if (max_min > 0) {
            float iscale = 15.f / max_min;
            for (int j = 0; j < 16; j++)
                m[j] = (uint8_t)kq_round_clamp(iscale * mins[j], 0, 15);
            y[ib].dmin = kq_f32_to_f16(max_min / 15.f);
        } else {
            y[ib].dmin = kq_f32_to_f16(0.f);
        }
        for (int j = 0; j < 16; j++)
            y[ib].scales[j] = (uint8_t)(sc[j] | (m[j] << 4));
        float d_all = kq_f16_to_f32(y[ib].d), dmin_all = kq_f16_to_f32(y[ib].dmin);
        for (int j = 0; j < 16; j++) {
            float d = d_all * sc[j];
            if (!d)
                continue;
            float dm = dmin_all * m[j];
            for (int l = 0; l < 16; l++)
                L[16 * j + l] = (uint8_t)kq_round_clamp((x[16 * j + l] + dm) / d, 0, 3);
        }
        memset(y[ib].qs, 0, sizeof y[ib].qs);
        for (int v = 0; v < QK_K; v++)
            y[ib].qs[32 * (v / 128) + v % 32] |= (uint8_t)(L[v] << (2 * ((v / 32) % 4)));
    }
}

/* dot = sum over blocks of (d * a.d) * sum_j sc_j * sum_i q_i * a_i
 *                        - (dmin * a.d) * sum_j m_j * bsum_j. */
void hearth_vec_dot_q2_k_q8_k_ref(KQ_VEC_DOT_ARGS) {
    kquant_vec_dot_ref(n, out, w, a, sizeof(block_q2_K), decode_q2_k);
}

void hearth_mat_dot_q2_k_q8_k_ref(KQ_MAT_DOT_ARGS) {
    kquant_mat_dot_ref(n, nr, nc, out, ldo, w, w_stride, a, a_stride, sizeof(block_q2_K),
                       decode_q2_k);
}
