/* q5.c - reference kernels for Q5_0 and Q5_1 (32 values per block).
 *
 * 5-bit codes: the low 4 bits in nibbles (value j low nibble of qs[j], value
 * j + 16 high nibble), bit 4 of value j in bit j of the little-endian u32 qh.
 * Quantizers reproduce llama.cpp's quantize_row_q5_{0,1}_ref bit for bit,
 * including "add 16.5 (or 0.5) then truncate" rounding. Activations: Q8_0 for
 * Q5_0, Q8_1 for Q5_1.
 */
#include <float.h>  /* FLT_MAX */
#include <math.h>   /* fabsf */

#include "ref.h"

static inline uint32_t load_qh(const uint8_t qh[4]) {
    return (uint32_t)qh[0] | (uint32_t)qh[1] << 8 | (uint32_t)qh[2] << 16 |
           (uint32_t)qh[3] << 24;
}

static inline void store_codes(uint8_t *qs, uint8_t qh_out[4], const int q[32]) {
    uint32_t qh = 0;
    for (int j = 0; j < 16; j++) {
        qs[j] = (uint8_t)((q[j] & 0x0f) | ((q[j + 16] & 0x0f) << 4));
        qh |= (uint32_t)((q[j] >> 4) & 1) << j;
        qh |= (uint32_t)((q[j + 16] >> 4) & 1) << (j + 16);
    }
    for (int i = 0; i < 4; i++)
        qh_out[i] = (uint8_t)(qh >> (8 * i));
}

static inline int code_at(const uint8_t *qs, uint32_t qh, int j) {
    const int lo = j < 16 ? (qs[j] & 0x0f) : (qs[j - 16] >> 4);
    return lo | (int)(((qh >> j) & 1) << 4);
}

/* Per block: m = value of largest magnitude (first wins), d = m / -16,
 * id = 1/d (0 when d = 0), stored f16(d); q = min(31, trunc(x * id + 16.5)). */
void hearth_quantize_row_q5_0_ref(const float *restrict src, void *restrict dst, int64_t n) {
    block_q5_0 *y = dst;
    for (int64_t b = 0; b < n / QK5_0; b++) {
        const float *x = src + b * QK5_0;
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < QK5_0; j++) {
            if (amax < fabsf(x[j])) {
                amax = fabsf(x[j]);
                max = x[j];
            }
        }
        const float d = max / -16;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = hearth_f32_to_f16(d);
        int q[QK5_0];
        for (int j = 0; j < QK5_0; j++) {
            const float v = x[j] * id; /* kept apart from the add: never fused */
            q[j] = hearth_trunc_clamped(v + 16.5f, 31.0f);
        }
        store_codes(y[b].qs, y[b].qh, q);
    }
}

/* x[j] = d * (q[j] - 16). */
void hearth_dequantize_row_q5_0_ref(const void *restrict src, float *restrict dst, int64_t n) {
    const block_q5_0 *x = src;
    for (int64_t b = 0; b < n / QK5_0; b++) {
        const float d = hearth_f16_to_f32(x[b].d);
        const uint32_t qh = load_qh(x[b].qh);
        for (int j = 0; j < QK5_0; j++)
            dst[b * QK5_0 + j] = d * (float)(code_at(x[b].qs, qh, j) - 16);
    }
}

/* Per block: min, max; d = (max - min) / 31, id = 1/d (0 when d = 0), stored
 * f16(d), m = f16(min); q = trunc((x - min) * id + 0.5) (at most 31). */
void hearth_quantize_row_q5_1_ref(const float *restrict src, void *restrict dst, int64_t n) {
    block_q5_1 *y = dst;
    for (int64_t b = 0; b < n / QK5_1; b++) {
        const float *x = src + b * QK5_1;
        float min = FLT_MAX, max = -FLT_MAX;
        for (int j = 0; j < QK5_1; j++) {
            if (x[j] < min)
                min = x[j];
            if (x[j] > max)
                max = x[j];
        }
        const float d = (max - min) / 31;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = hearth_f32_to_f16(d);
        y[b].m = hearth_f32_to_f16(min);
        int q[QK5_1];
        for (int j = 0; j < QK5_1; j++) {
            const float v = (x[j] - min) * id;
            q[j] = hearth_trunc_clamped(v + 0.5f, 31.0f);
        }
        store_codes(y[b].qs, y[b].qh, q);
    }
}

/* x[j] = d * q[j] + m (product and sum rounded separately). */
void hearth_dequantize_row_q5_1_ref(const void *restrict src, float *restrict dst, int64_t n) {
    const block_q5_1 *x = src;
    for (int64_t b = 0; b < n / QK5_1; b++) {
        const float d = hearth_f16_to_f32(x[b].d), m = hearth_f16_to_f32(x[b].m);
        const uint32_t qh = load_qh(x[b].qh);
        for (int j = 0; j < QK5_1; j++) {
            const float v = d * (float)code_at(x[b].qs, qh, j);
            dst[b * QK5_1 + j] = v + m;
        }
    }
}

/* *out = sum over blocks of (dw * da) * sum_j (q[j] - 16) * a[j]. */
void hearth_vec_dot_q5_0_q8_0_ref(int64_t n, float *restrict out, const void *restrict w,
                                  const void *restrict a) {
    const block_q5_0 *x = w;
    const block_q8_0 *y = a;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / QK5_0; b++) {
        const uint32_t qh = load_qh(x[b].qh);
        int isum = 0;
        for (int j = 0; j < QK5_0; j++)
            isum += (code_at(x[b].qs, qh, j) - 16) * y[b].qs[j];
        const float d = hearth_f16_to_f32(x[b].d) * hearth_f16_to_f32(y[b].d);
        sum += d * (float)isum;
    }
    *out = sum;
}

/* Per block (dw * da) * sum_j q[j] * qa[j] + m * s (s = f16(da * sum qa)). */
void hearth_vec_dot_q5_1_q8_1_ref(int64_t n, float *restrict out, const void *restrict w,
                                  const void *restrict a) {
    const block_q5_1 *x = w;
    const block_q8_1 *y = a;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / QK5_1; b++) {
        const uint32_t qh = load_qh(x[b].qh);
        int isum = 0;
        for (int j = 0; j < QK5_1; j++)
            isum += code_at(x[b].qs, qh, j) * y[b].qs[j];
        const float d = hearth_f16_to_f32(x[b].d) * hearth_f16_to_f32(y[b].d);
        const float t = d * (float)isum;
        const float u = hearth_f16_to_f32(x[b].m) * hearth_f16_to_f32(y[b].s);
        sum += t + u;
    }
    *out = sum;
}

HEARTH_DEFINE_MAT_DOT_REF(hearth_mat_dot_q5_0_ref, hearth_vec_dot_q5_0_q8_0_ref)
HEARTH_DEFINE_MAT_DOT_REF(hearth_mat_dot_q5_1_ref, hearth_vec_dot_q5_1_q8_1_ref)
