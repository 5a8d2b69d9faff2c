/* q8_k.c (NEON) - float -> Q8_K activation quantizer, bit-identical to the reference.
 *
 * Same float operations as hearth_quantize_row_q8_k_ref: iscale = -127 / max,
 * v = iscale * x, vcvtnq_s32_f32 (round to nearest, ties to even, like
 * nearbyintf in the default mode), saturating narrows for the int8 clamp;
 * bsums by widening adds of each 16 bytes.
 */
#include "kquant_util.h"

/* The value of largest magnitude; on a +v / -v tie the first in row order. */
static float signed_absmax(const float *x) {
    float32x4_t vmax = vld1q_f32(x), vmin = vmax;
    for (int i = 4; i < QK_K; i += 4) {
        float32x4_t v = vld1q_f32(x + i);
        vmax = vmaxq_f32(vmax, v);
        vmin = vminq_f32(vmin, v);
    }
    float top = vmaxvq_f32(vmax), bottom = vminvq_f32(vmin);
    if (top > -bottom)
        return top;
    if (-bottom > top)
        return bottom;
    for (int i = 0; i < QK_K; i++)
        if (x[i] == top || x[i] == bottom)
            return x[i];
    return 0;
}

void hearth_quantize_row_q8_k_neon(const float *restrict src, void *restrict dst, int64_t n) {
    block_q8_K *y = dst;
    for (int64_t ib = 0; ib < n / QK_K; ib++, src += QK_K) {
        float max = signed_absmax(src);
        if (max == 0) {
            memset(&y[ib], 0, sizeof y[ib]);
            continue;
        }
        float iscale = -127.f / max;
        for (int i = 0; i < QK_K; i += 16) {
            int32x4_t q[4];
            for (int k = 0; k < 4; k++)
                q[k] = vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(src + i + 4 * k), iscale));
            int16x8_t h0 = vcombine_s16(vqmovn_s32(q[0]), vqmovn_s32(q[1]));
            int16x8_t h1 = vcombine_s16(vqmovn_s32(q[2]), vqmovn_s32(q[3]));
            int8x16_t b = vcombine_s8(vqmovn_s16(h0), vqmovn_s16(h1));
            vst1q_s8(y[ib].qs + i, b);
            y[ib].bsums[i / 16] = (int16_t)vaddlvq_s8(b);
        }
        y[ib].d = 1 / iscale;
    }
}
