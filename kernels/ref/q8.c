/* q8.c - reference kernels for Q8_0 (weights and activations) and Q8_1
 * (the activation format of Q4_1 and Q5_1).
 *
 * Two quantizers per format (CONVENTIONS §5):
 * - quantize_row (weights, hearth-quantize) reproduces llama.cpp's
 *   quantize_row_q8_{0,1}_ref bit for bit: d = amax / 127 and
 *   q = roundf(x * (1/d)), i.e. round half AWAY FROM ZERO;
 * - quantize_act (activations at run time) reproduces what llama.cpp computes
 *   on x86, where its activations are made: the same stored d, but
 *   q = x * (127/amax) rounded half to EVEN, as _mm256_round_ps does.
 * Quantizing activations exactly as the peer does keeps the two runtimes'
 * rounding noise the same in kind. Every SIMD tier of a slot matches that
 * slot's reference here bit for bit.
 */
#include <math.h> /* fabsf, roundf, nearbyintf */

#include "ref.h"

/* Per block: amax = max |x|, d = amax / 127, id = 1/d (0 when d = 0), stored
 * f16(d); q[j] = roundf(x[j] * id) (half away from zero, |q| <= 127). */
void hearth_quantize_row_q8_0_ref(const float *restrict src, void *restrict dst, int64_t n) {
    block_q8_0 *y = dst;
    for (int64_t b = 0; b < n / QK8_0; b++) {
        const float *x = src + b * QK8_0;
        float amax = 0.0f;
        for (int j = 0; j < QK8_0; j++)
            amax = fmaxf(amax, fabsf(x[j]));
        const float d = amax / 127;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = hearth_f32_to_f16(d);
        for (int j = 0; j < QK8_0; j++)
            y[b].qs[j] = (int8_t)roundf(x[j] * id);
    }
}

/* Activations: amax and stored d as above, but id = 127/amax (0 when amax is
 * 0) and q[j] = x[j] * id rounded half to even (nearbyintf in the default
 * rounding mode, which hearth never changes). */
void hearth_quantize_act_q8_0_ref(const float *restrict src, void *restrict dst, int64_t n) {
    block_q8_0 *y = dst;
    for (int64_t b = 0; b < n / QK8_0; b++) {
        const float *x = src + b * QK8_0;
        float amax = 0.0f;
        for (int j = 0; j < QK8_0; j++)
            amax = fmaxf(amax, fabsf(x[j]));
        const float id = amax != 0.0f ? 127 / amax : 0.0f;
        y[b].d = hearth_f32_to_f16(amax / 127);
        for (int j = 0; j < QK8_0; j++)
            y[b].qs[j] = (int8_t)nearbyintf(x[j] * id);
    }
}

/* x[j] = d * q[j]. */
void hearth_dequantize_row_q8_0_ref(const void *restrict src, float *restrict dst, int64_t n) {
    const block_q8_0 *x = src;
    for (int64_t b = 0; b < n / QK8_0; b++) {
        const float d = hearth_f16_to_f32(x[b].d);
        for (int j = 0; j < QK8_0; j++)
            dst[b * QK8_0 + j] = d * (float)x[b].qs[j];
    }
}

/* As Q8_0, plus s = f16((float)sum(q) * d) with the unrounded float d. */
void hearth_quantize_row_q8_1_ref(const float *restrict src, void *restrict dst, int64_t n) {
    block_q8_1 *y = dst;
    for (int64_t b = 0; b < n / QK8_1; b++) {
        const float *x = src + b * QK8_1;
        float amax = 0.0f;
        for (int j = 0; j < QK8_1; j++)
            amax = fmaxf(amax, fabsf(x[j]));
        const float d = amax / 127;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = hearth_f32_to_f16(d);
        int sum = 0;
        for (int j = 0; j < QK8_1; j++) {
            y[b].qs[j] = (int8_t)roundf(x[j] * id);
            sum += y[b].qs[j];
        }
        y[b].s = hearth_f32_to_f16((float)sum * d);
    }
}

/* Activations: as hearth_quantize_act_q8_0_ref, plus s = f16((float)sum(q) * d)
 * with the unrounded float d = amax / 127. */
void hearth_quantize_act_q8_1_ref(const float *restrict src, void *restrict dst, int64_t n) {
    block_q8_1 *y = dst;
    for (int64_t b = 0; b < n / QK8_1; b++) {
        const float *x = src + b * QK8_1;
        float amax = 0.0f;
        for (int j = 0; j < QK8_1; j++)
            amax = fmaxf(amax, fabsf(x[j]));
        const float d = amax / 127;
        const float id = amax != 0.0f ? 127 / amax : 0.0f;
        y[b].d = hearth_f32_to_f16(d);
        int sum = 0;
        for (int j = 0; j < QK8_1; j++) {
            y[b].qs[j] = (int8_t)nearbyintf(x[j] * id);
            sum += y[b].qs[j];
        }
        y[b].s = hearth_f32_to_f16((float)sum * d);
    }
}

/* x[j] = d * q[j] (s is derived data and not needed). */
void hearth_dequantize_row_q8_1_ref(const void *restrict src, float *restrict dst, int64_t n) {
    const block_q8_1 *x = src;
    for (int64_t b = 0; b < n / QK8_1; b++) {
        const float d = hearth_f16_to_f32(x[b].d);
        for (int j = 0; j < QK8_1; j++)
            dst[b * QK8_1 + j] = d * (float)x[b].qs[j];
    }
}

/* *out = sum over blocks of (dw * da) * sum_j qw[j] * qa[j]. */
void hearth_vec_dot_q8_0_q8_0_ref(int64_t n, float *restrict out, const void *restrict w,
                                  const void *restrict a) {
    const block_q8_0 *x = w;
    const block_q8_0 *y = a;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / QK8_0; b++) {
        int isum = 0;
        for (int j = 0; j < QK8_0; j++)
            isum += x[b].qs[j] * y[b].qs[j];
        const float d = hearth_f16_to_f32(x[b].d) * hearth_f16_to_f32(y[b].d);
        sum += d * (float)isum;
    }
    *out = sum;
}

HEARTH_DEFINE_MAT_DOT_REF(hearth_mat_dot_q8_0_ref, hearth_vec_dot_q8_0_q8_0_ref)
