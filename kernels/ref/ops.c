/* ops.c - reference element operations of the forward pass: RMSNorm,
 * softmax, SiLU-gated product, add, and the attention helpers (dot products
 * and axpy over F32 or F16 rows of the KV cache).
 *
 * Float throughout, left-to-right sums, libm expf: the SIMD tiers reorder the
 * sums and approximate exp within the bounds declared in kernels.h.
 */
#include <math.h> /* expf, sqrtf */

#include "ref.h"

/* out[i] = x[i] * (1 / sqrt(sum(x^2) / n + eps)) * w[i]; the sum of squares is
 * accumulated in float, i ascending. out may alias x. */
void hearth_rmsnorm_f32_ref(float *out, const float *x, const float *restrict w, int64_t n,
                            float eps) {
    float ss = 0.0f;
    for (int64_t i = 0; i < n; i++)
        ss += x[i] * x[i];
    const float scale = 1.0f / sqrtf(ss / (float)n + eps);
    for (int64_t i = 0; i < n; i++)
        out[i] = x[i] * scale * w[i];
}

/* x[i] = exp(x[i] - max) / sum_j exp(x[j] - max), in place; the max shift
 * keeps exp <= 1 (no overflow). Division by the sum, not multiplication by its
 * inverse. */
void hearth_softmax_f32_ref(float *x, int64_t n) {
    if (n <= 0)
        return;
    float max = x[0];
    for (int64_t i = 1; i < n; i++)
        if (x[i] > max)
            max = x[i];
    float sum = 0.0f;
    for (int64_t i = 0; i < n; i++) {
        x[i] = expf(x[i] - max);
        sum += x[i];
    }
    for (int64_t i = 0; i < n; i++)
        x[i] = x[i] / sum;
}

/* out[i] = g / (1 + exp(-g)) * up[i] with g = gate[i]. out may alias gate. */
void hearth_silu_mul_f32_ref(float *out, const float *gate, const float *restrict up,
                             int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        const float g = gate[i];
        out[i] = g / (1.0f + expf(-g)) * up[i];
    }
}

/* out[i] = a[i] + b[i]. out may alias a. */
void hearth_add_f32_ref(float *out, const float *a, const float *restrict b, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        out[i] = a[i] + b[i];
}

/* sum_i a[i] * b[i], float, i ascending. */
float hearth_dot_f32_ref(const float *restrict a, const float *restrict b, int64_t n) {
    float sum = 0.0f;
    for (int64_t i = 0; i < n; i++)
        sum += a[i] * b[i];
    return sum;
}

/* sum_i float(k[i]) * q[i] (F16 key row times F32 query), float, i ascending. */
float hearth_dot_f16_f32_ref(const hearth_f16 *restrict k, const float *restrict q, int64_t n) {
    float sum = 0.0f;
    for (int64_t i = 0; i < n; i++)
        sum += hearth_f16_to_f32(k[i]) * q[i];
    return sum;
}

/* out[i] += a * v[i] (product and sum rounded separately). */
void hearth_axpy_f32_ref(float *restrict out, float a, const float *restrict v, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        const float t = a * v[i];
        out[i] += t;
    }
}

/* out[i] += a * float(v[i]) (product and sum rounded separately). */
void hearth_axpy_f16_ref(float *restrict out, float a, const hearth_f16 *restrict v, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        const float t = a * hearth_f16_to_f32(v[i]);
        out[i] += t;
    }
}
