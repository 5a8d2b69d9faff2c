/* float.c - reference kernels for the plain number types F32, F16 and BF16.
 *
 * Weight x activation pairs follow CONVENTIONS §5: F32 x F32, F16 x F16,
 * BF16 x BF16, so "quantize_row" of these types is the activation conversion
 * (round to nearest even). Products are formed in float from exact widenings
 * and summed left to right in float; SIMD tiers may reorder the sum only.
 */
#include <string.h> /* memcpy */

#include "ref.h"

/* dst = src (F32 activations are the values themselves). */
void hearth_quantize_row_f32_ref(const float *restrict src, void *restrict dst, int64_t n) {
    memcpy(dst, src, (size_t)n * sizeof(float));
}

void hearth_dequantize_row_f32_ref(const void *restrict src, float *restrict dst, int64_t n) {
    memcpy(dst, src, (size_t)n * sizeof(float));
}

/* dst[i] = f16(src[i]), round to nearest even (hearth_f32_to_f16). */
void hearth_quantize_row_f16_ref(const float *restrict src, void *restrict dst, int64_t n) {
    hearth_f16 *d = dst;
    for (int64_t i = 0; i < n; i++)
        d[i] = hearth_f32_to_f16(src[i]);
}

/* dst[i] = float(src[i]), exact. */
void hearth_dequantize_row_f16_ref(const void *restrict src, float *restrict dst, int64_t n) {
    const hearth_f16 *s = src;
    for (int64_t i = 0; i < n; i++)
        dst[i] = hearth_f16_to_f32(s[i]);
}

/* dst[i] = bf16(src[i]), round to nearest even, NaN kept quiet. */
void hearth_quantize_row_bf16_ref(const float *restrict src, void *restrict dst, int64_t n) {
    hearth_bf16 *d = dst;
    for (int64_t i = 0; i < n; i++)
        d[i] = hearth_f32_to_bf16(src[i]);
}

/* dst[i] = float(src[i]), exact. */
void hearth_dequantize_row_bf16_ref(const void *restrict src, float *restrict dst, int64_t n) {
    const hearth_bf16 *s = src;
    for (int64_t i = 0; i < n; i++)
        dst[i] = hearth_bf16_to_f32(s[i]);
}

/* *out = sum_i w[i] * a[i], products and sum in float, i ascending. */
void hearth_vec_dot_f32_f32_ref(int64_t n, float *restrict out, const void *restrict w,
                                const void *restrict a) {
    const float *x = w, *y = a;
    float sum = 0.0f;
    for (int64_t i = 0; i < n; i++)
        sum += x[i] * y[i];
    *out = sum;
}

/* *out = sum_i float(w[i]) * float(a[i]); each product of two halves is exact
 * in float (11 + 11 significant bits), so only the sum rounds. */
void hearth_vec_dot_f16_f16_ref(int64_t n, float *restrict out, const void *restrict w,
                                const void *restrict a) {
    const hearth_f16 *x = w, *y = a;
    float sum = 0.0f;
    for (int64_t i = 0; i < n; i++)
        sum += hearth_f16_to_f32(x[i]) * hearth_f16_to_f32(y[i]);
    *out = sum;
}

/* *out = sum_i float(w[i]) * float(a[i]) for bfloat16 rows (products exact:
 * 8 + 8 significant bits). */
void hearth_vec_dot_bf16_bf16_ref(int64_t n, float *restrict out, const void *restrict w,
                                  const void *restrict a) {
    const hearth_bf16 *x = w, *y = a;
    float sum = 0.0f;
    for (int64_t i = 0; i < n; i++)
        sum += hearth_bf16_to_f32(x[i]) * hearth_bf16_to_f32(y[i]);
    *out = sum;
}

HEARTH_DEFINE_MAT_DOT_REF(hearth_mat_dot_f32_ref, hearth_vec_dot_f32_f32_ref)
HEARTH_DEFINE_MAT_DOT_REF(hearth_mat_dot_f16_ref, hearth_vec_dot_f16_f16_ref)
HEARTH_DEFINE_MAT_DOT_REF(hearth_mat_dot_bf16_ref, hearth_vec_dot_bf16_bf16_ref)
