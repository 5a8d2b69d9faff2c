/* q8.c - NEON Q8_0 / Q8_1 quantizers of both slots, bit-identical to their
 * reference: the same scalar d = amax / 127, the same float products x * id,
 * and
 * - quantize_row: id = 1 / d and fcvtas (round to nearest, ties AWAY from
 *   zero), which is exactly roundf;
 * - quantize_act: id = 127 / amax and fcvtns (ties to EVEN), the rounding
 *   llama.cpp's x86 path gives activations (kernels.h quantize_act).
 * Scales are stored with the reference f16 conversion.
 */
#include <arm_neon.h>

#include "../../kernels.h"

void hearth_quantize_row_q8_0_neon(const float *restrict src, void *restrict dst, int64_t n);
void hearth_quantize_row_q8_1_neon(const float *restrict src, void *restrict dst, int64_t n);
void hearth_quantize_act_q8_0_neon(const float *restrict src, void *restrict dst, int64_t n);
void hearth_quantize_act_q8_1_neon(const float *restrict src, void *restrict dst, int64_t n);

/* One block of 32 floats -> 32 int8 codes; returns d, *sum = sum of codes.
 * `act`: the activation rounding. */
static inline float quantize_block(const float *x, int8_t *qs, int *sum, bool act) {
    float32x4_t v[8];
    float32x4_t amax = vdupq_n_f32(0.0f);
    for (int g = 0; g < 8; g++) {
        v[g] = vld1q_f32(x + 4 * g);
        amax = vmaxq_f32(amax, vabsq_f32(v[g]));
    }
    const float amax_s = vmaxvq_f32(amax);
    const float d = amax_s / 127;
    float id;
    if (act)
        id = amax_s != 0.0f ? 127 / amax_s : 0.0f;
    else
        id = d != 0.0f ? 1.0f / d : 0.0f;
    int32x4_t s = vdupq_n_s32(0);
    for (int g = 0; g < 8; g += 2) {
        /* |x * id| <= 127: the narrowing is exact */
        const float32x4_t t0 = vmulq_n_f32(v[g], id), t1 = vmulq_n_f32(v[g + 1], id);
        const int32x4_t q0 = act ? vcvtnq_s32_f32(t0) : vcvtaq_s32_f32(t0);
        const int32x4_t q1 = act ? vcvtnq_s32_f32(t1) : vcvtaq_s32_f32(t1);
        s = vaddq_s32(s, vaddq_s32(q0, q1));
        const int16x8_t h = vcombine_s16(vqmovn_s32(q0), vqmovn_s32(q1));
        vst1_s8(qs + 4 * g, vqmovn_s16(h));
    }
    *sum = vaddvq_s32(s);
    return d;
}

static inline void quantize_q8_0(const float *src, block_q8_0 *y, int64_t n, bool act) {
    for (int64_t b = 0; b < n / QK8_0; b++) {
        int sum;
        y[b].d = hearth_f32_to_f16(quantize_block(src + b * QK8_0, y[b].qs, &sum, act));
    }
}

/* s = f16((float)sum * d) with the unrounded d, as the reference. */
static inline void quantize_q8_1(const float *src, block_q8_1 *y, int64_t n, bool act) {
    for (int64_t b = 0; b < n / QK8_1; b++) {
        int sum;
        const float d = quantize_block(src + b * QK8_1, y[b].qs, &sum, act);
        y[b].d = hearth_f32_to_f16(d);
        y[b].s = hearth_f32_to_f16((float)sum * d);
    }
}

void hearth_quantize_row_q8_0_neon(const float *restrict src, void *restrict dst, int64_t n) {
    quantize_q8_0(src, dst, n, false);
}

void hearth_quantize_row_q8_1_neon(const float *restrict src, void *restrict dst, int64_t n) {
    quantize_q8_1(src, dst, n, false);
}

void hearth_quantize_act_q8_0_neon(const float *restrict src, void *restrict dst, int64_t n) {
    quantize_q8_0(src, dst, n, true);
}

void hearth_quantize_act_q8_1_neon(const float *restrict src, void *restrict dst, int64_t n) {
    quantize_q8_1(src, dst, n, true);
}
