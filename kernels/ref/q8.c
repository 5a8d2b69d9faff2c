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
#include <stdbool.h>

#include "ref.h"

/* One block of 32: amax = max |x|, d = amax / 127 (returned, unrounded), and
 * q[j] = round(x[j] * id); returns via *sum the sum of q. Weights: id = 1/d
 * (0 when d = 0), roundf = half away from zero. Activations (x86_rounding):
 * id = 127/amax (0 when amax = 0), nearbyintf in the default rounding mode
 * (which hearth never changes) = half to even. |q| <= 127 either way. */
static float quantize_block_q8(const float *x, int8_t *q, bool x86_rounding, int *sum) {
    float amax = 0.0f;
    for (int j = 0; j < QK8_0; j++)
        amax = fmaxf(amax, fabsf(x[j]));
    const float d = amax / 127;
    const float id = x86_rounding ? (amax != 0.0f ? 127 / amax : 0.0f)
                                  : (d != 0.0f ? 1.0f / d : 0.0f);
    int s = 0;
    for (int j = 0; j < QK8_0; j++) {
        q[j] = (int8_t)(x86_rounding ? nearbyintf(x[j] * id) : roundf(x[j] * id));
        s += q[j];
    }
    *sum = s;
    return d;
}

static void quantize_q8_0(const float *restrict src, block_q8_0 *restrict y, int64_t n,
                          bool x86_rounding) {
    for (int64_t b = 0; b < n / QK8_0; b++) {
        int sum;
        y[b].d = hearth_f32_to_f16(quantize_block_q8(src + b * QK8_0, y[b].qs, x86_rounding, &sum));
    }
}

void hearth_quantize_row_q8_0_ref(const float *restrict src, void *restrict dst, int64_t n) {
    quantize_q8_0(src, dst, n, false);
}

void hearth_quantize_act_q8_0_ref(const float *restrict src, void *restrict dst, int64_t n) {
    quantize_q8_0(src, dst, n, true);
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
static void quantize_q8_1(const float *restrict src, block_q8_1 *restrict y, int64_t n,
                          bool x86_rounding) {
    for (int64_t b = 0; b < n / QK8_1; b++) {
        int sum;
        const float d = quantize_block_q8(src + b * QK8_1, y[b].qs, x86_rounding, &sum);
        y[b].d = hearth_f32_to_f16(d);
        y[b].s = hearth_f32_to_f16((float)sum * d);
    }
}

void hearth_quantize_row_q8_1_ref(const float *restrict src, void *restrict dst, int64_t n) {
    quantize_q8_1(src, dst, n, false);
}

void hearth_quantize_act_q8_1_ref(const float *restrict src, void *restrict dst, int64_t n) {
    quantize_q8_1(src, dst, n, true);
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
