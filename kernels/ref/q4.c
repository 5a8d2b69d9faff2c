/* q4.c - reference kernels for Q4_0 and Q4_1 (32 values per block).
 *
 * The quantizers reproduce llama.cpp's quantize_row_q4_{0,1}_ref bit for bit
 * (CONVENTIONS §5): same scale choice, same float operations in the same
 * order, and the same rounding, which is "add 8.5 (or 0.5) then truncate"
 * rather than a round-to-nearest call. Dot products pair Q4_0 with Q8_0 and
 * Q4_1 with Q8_1 activations; the integer sum per block is exact.
 */
#include <float.h> /* FLT_MAX */
#include <math.h>  /* fabsf */

#include "ref.h"

/* Per block of 32: m = the value of largest magnitude (first one wins a tie),
 * d = m / -8, id = 1/d (0 when d = 0), stored d = f16(d) (nearest even);
 * q[j] = min(15, trunc(x[j] * id + 8.5)), so x ~ d * (q - 8) with the
 * extreme value landing exactly on q = 0. id uses the unrounded float d. */
void hearth_quantize_row_q4_0_ref(const float *restrict src, void *restrict dst, int64_t n) {
    block_q4_0 *y = dst;
    for (int64_t b = 0; b < n / QK4_0; b++) {
        const float *x = src + b * QK4_0;
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < QK4_0; j++) {
            if (amax < fabsf(x[j])) {
                amax = fabsf(x[j]);
                max = x[j];
            }
        }
        const float d = max / -8;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = hearth_f32_to_f16(d);
        for (int j = 0; j < QK4_0 / 2; j++) {
            const float x0 = x[j] * id, x1 = x[j + QK4_0 / 2] * id; /* not fused */
            const int q0 = hearth_trunc_clamped(x0 + 8.5f, 15.0f);
            const int q1 = hearth_trunc_clamped(x1 + 8.5f, 15.0f);
            y[b].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

/* x[j] = d * (q[j] - 8), q[j] low nibble of qs[j], q[j + 16] high nibble. */
void hearth_dequantize_row_q4_0_ref(const void *restrict src, float *restrict dst, int64_t n) {
    const block_q4_0 *x = src;
    for (int64_t b = 0; b < n / QK4_0; b++) {
        const float d = hearth_f16_to_f32(x[b].d);
        for (int j = 0; j < QK4_0 / 2; j++) {
            dst[b * QK4_0 + j] = d * (float)((x[b].qs[j] & 0x0f) - 8);
            dst[b * QK4_0 + j + QK4_0 / 2] = d * (float)((x[b].qs[j] >> 4) - 8);
        }
    }
}

/* Per block: min, max over the block, d = (max - min) / 15, id = 1/d (0 when
 * d = 0), stored d = f16(d), m = f16(min); q[j] = min(15, trunc((x[j] - min)
 * * id + 0.5)), so x ~ d * q + m. */
void hearth_quantize_row_q4_1_ref(const float *restrict src, void *restrict dst, int64_t n) {
    block_q4_1 *y = dst;
    for (int64_t b = 0; b < n / QK4_1; b++) {
        const float *x = src + b * QK4_1;
        float min = FLT_MAX, max = -FLT_MAX;
        for (int j = 0; j < QK4_1; j++) {
            if (x[j] < min)
                min = x[j];
            if (x[j] > max)
                max = x[j];
        }
        const float d = (max - min) / 15;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = hearth_f32_to_f16(d);
        y[b].m = hearth_f32_to_f16(min);
        for (int j = 0; j < QK4_1 / 2; j++) {
            const float x0 = (x[j] - min) * id, x1 = (x[j + QK4_1 / 2] - min) * id;
            const int q0 = hearth_trunc_clamped(x0 + 0.5f, 15.0f);
            const int q1 = hearth_trunc_clamped(x1 + 0.5f, 15.0f);
            y[b].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

/* x[j] = d * q[j] + m, nibble order as Q4_0. */
void hearth_dequantize_row_q4_1_ref(const void *restrict src, float *restrict dst, int64_t n) {
    const block_q4_1 *x = src;
    for (int64_t b = 0; b < n / QK4_1; b++) {
        const float d = hearth_f16_to_f32(x[b].d), m = hearth_f16_to_f32(x[b].m);
        for (int j = 0; j < QK4_1 / 2; j++) {
            /* product and sum rounded separately (never fused): tiers match this */
            const float v0 = d * (float)(x[b].qs[j] & 0x0f), v1 = d * (float)(x[b].qs[j] >> 4);
            dst[b * QK4_1 + j] = v0 + m;
            dst[b * QK4_1 + j + QK4_1 / 2] = v1 + m;
        }
    }
}

/* *out = sum over blocks of (dw * da) * isum, isum = sum_j (q[j] - 8) * a[j]
 * (exact in int), float accumulation in block order. */
void hearth_vec_dot_q4_0_q8_0_ref(int64_t n, float *restrict out, const void *restrict w,
                                  const void *restrict a) {
    const block_q4_0 *x = w;
    const block_q8_0 *y = a;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / QK4_0; b++) {
        int isum = 0;
        for (int j = 0; j < QK4_0 / 2; j++) {
            isum += ((x[b].qs[j] & 0x0f) - 8) * y[b].qs[j];
            isum += ((x[b].qs[j] >> 4) - 8) * y[b].qs[j + QK4_0 / 2];
        }
        const float d = hearth_f16_to_f32(x[b].d) * hearth_f16_to_f32(y[b].d);
        sum += d * (float)isum;
    }
    *out = sum;
}

/* With x = dw*q + m and a = da*qa: dot = (dw*da) * sum(q*qa) + m * s, where
 * s = f16(da * sum(qa)) is stored in the Q8_1 block. Per block the term is
 * (dw*da)*isum + m*s, accumulated in float in block order. */
void hearth_vec_dot_q4_1_q8_1_ref(int64_t n, float *restrict out, const void *restrict w,
                                  const void *restrict a) {
    const block_q4_1 *x = w;
    const block_q8_1 *y = a;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / QK4_1; b++) {
        int isum = 0;
        for (int j = 0; j < QK4_1 / 2; j++) {
            isum += (x[b].qs[j] & 0x0f) * y[b].qs[j];
            isum += (x[b].qs[j] >> 4) * y[b].qs[j + QK4_1 / 2];
        }
        const float d = hearth_f16_to_f32(x[b].d) * hearth_f16_to_f32(y[b].d);
        const float t = d * (float)isum;
        const float u = hearth_f16_to_f32(x[b].m) * hearth_f16_to_f32(y[b].s);
        sum += t + u;
    }
    *out = sum;
}

HEARTH_DEFINE_MAT_DOT_REF(hearth_mat_dot_q4_0_ref, hearth_vec_dot_q4_0_q8_0_ref)
HEARTH_DEFINE_MAT_DOT_REF(hearth_mat_dot_q4_1_ref, hearth_vec_dot_q4_1_q8_1_ref)
