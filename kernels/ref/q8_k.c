/* q8_k.c - reference Q8_K (GGUF type 15): the activation format of the K types and IQ4_XS.
 *
 * Block of 256 values: float d, int8 qs[256], int16 bsums[16] (sums of each 16
 * consecutive qs, so that the "min" terms of Q2_K/Q4_K/Q5_K cost one small dot).
 *     x = d * qs
 * Never stored in files; produced per matmul from float activations.
 */
#include "kquant_util.h"

#include <math.h> /* fabsf */

/* Per block: max = the value of largest magnitude (the first one on ties);
 * iscale = -127 / max (float); qs = clamp(round(iscale * x), -128, 127) with
 * round half to even (what llama.cpp's quantize_row_q8_K_ref computes, bit for
 * bit: the same float products and the same rounding); d = 1 / iscale;
 * bsums[j] = sum of qs[16j..16j+15]. An all-zero block stores d = 0, zeros. */
void hearth_quantize_row_q8_k_ref(const float *restrict src, void *restrict dst, int64_t n) {
    block_q8_K *y = dst;
    for (int64_t ib = 0; ib < n / QK_K; ib++, src += QK_K) {
        float amax = 0, max = 0;
        for (int i = 0; i < QK_K; i++) {
            if (fabsf(src[i]) > amax) {
                amax = fabsf(src[i]);
                max = src[i];
            }
        }
        if (!amax) {
            memset(&y[ib], 0, sizeof y[ib]);
            continue;
        }
        float iscale = -127.f / max;
        for (int i = 0; i < QK_K; i++)
            y[ib].qs[i] = (int8_t)kq_round_clamp(iscale * src[i], -128, 127);
        for (int j = 0; j < 16; j++) {
            int sum = 0;
            for (int i = 0; i < 16; i++)
                sum += y[ib].qs[16 * j + i];
            y[ib].bsums[j] = (int16_t)sum;
        }
        y[ib].d = 1 / iscale;
    }
}

/* x = d * qs (float). */
void hearth_dequantize_row_q8_k_ref(const void *restrict src, float *restrict dst, int64_t n) {
    const block_q8_K *x = src;
    for (int64_t ib = 0; ib < n / QK_K; ib++)
        for (int i = 0; i < QK_K; i++)
            dst[ib * QK_K + i] = x[ib].d * x[ib].qs[i];
}
