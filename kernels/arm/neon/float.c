/* float.c - NEON kernels of the float rows and element ops: F32 x F32 and
 * F16 x F16 row dots, attention dots and axpy, add, RMSNorm.
 *
 * Reductions keep 4 x 4 float lanes (16 values per iteration), combine them
 * in a fixed order, then add a scalar tail of n % 16 values read one at a
 * time (nothing past n is touched). Element-wise results use a separate
 * multiply and add (never fused), so add/axpy equal the reference bit for
 * bit. mat_dot of the float types loops over vec_dot (identical bits).
 */
#include <arm_neon.h>
#include <math.h> /* sqrtf */

#include "../../kernels.h"

void hearth_vec_dot_f32_f32_neon(int64_t n, float *restrict out, const void *restrict w,
                                 const void *restrict a);
void hearth_vec_dot_f16_f16_neon(int64_t n, float *restrict out, const void *restrict w,
                                 const void *restrict a);
void hearth_mat_dot_f32_f32_neon(int64_t n, int64_t nr, int64_t nc, float *restrict out,
                                 int64_t ldo, const void *restrict w, size_t w_stride,
                                 const void *restrict a, size_t a_stride);
void hearth_mat_dot_f16_f16_neon(int64_t n, int64_t nr, int64_t nc, float *restrict out,
                                 int64_t ldo, const void *restrict w, size_t w_stride,
                                 const void *restrict a, size_t a_stride);
float hearth_dot_f32_neon(const float *restrict a, const float *restrict b, int64_t n);
float hearth_dot_f16_f32_neon(const hearth_f16 *restrict k, const float *restrict q, int64_t n);
void hearth_axpy_f32_neon(float *restrict out, float a, const float *restrict v, int64_t n);
void hearth_axpy_f16_neon(float *restrict out, float a, const hearth_f16 *restrict v, int64_t n);
void hearth_add_f32_neon(float *out, const float *a, const float *restrict b, int64_t n);
void hearth_rmsnorm_f32_neon(float *out, const float *x, const float *restrict w, int64_t n,
                             float eps);

static inline float32x4_t load_f16x4(const hearth_f16 *p) {
    return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p)));
}

#define F32_ID(v) (v)

/* sum a[i] * b[i]: 4 x 4 lanes, fixed combine, scalar tail. */
#define NEON_DOT(LOAD_A, LOAD_B, TO_F32_A, TO_F32_B)                                       \
    float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0, s2 = s0, s3 = s0;                         \
    int64_t i = 0;                                                                         \
    for (; i + 16 <= n; i += 16) {                                                         \
        s0 = vfmaq_f32(s0, LOAD_A(a + i), LOAD_B(b + i));                                  \
        s1 = vfmaq_f32(s1, LOAD_A(a + i + 4), LOAD_B(b + i + 4));                          \
        s2 = vfmaq_f32(s2, LOAD_A(a + i + 8), LOAD_B(b + i + 8));                          \
        s3 = vfmaq_f32(s3, LOAD_A(a + i + 12), LOAD_B(b + i + 12));                        \
    }                                                                                      \
    float tail = 0.0f;                                                                     \
    for (; i < n; i++)                                                                     \
        tail += TO_F32_A(a[i]) * TO_F32_B(b[i]);                                           \
    return vaddvq_f32(vaddq_f32(vaddq_f32(s0, s1), vaddq_f32(s2, s3))) + tail;

float hearth_dot_f32_neon(const float *restrict a, const float *restrict b, int64_t n) {
    NEON_DOT(vld1q_f32, vld1q_f32, F32_ID, F32_ID)
}

float hearth_dot_f16_f32_neon(const hearth_f16 *restrict k, const float *restrict q, int64_t n) {
    const hearth_f16 *a = k;
    const float *b = q;
    NEON_DOT(load_f16x4, vld1q_f32, hearth_f16_to_f32, F32_ID)
}

static float dot_f16_f16(const hearth_f16 *a, const hearth_f16 *b, int64_t n) {
    NEON_DOT(load_f16x4, load_f16x4, hearth_f16_to_f32, hearth_f16_to_f32)
}

void hearth_vec_dot_f32_f32_neon(int64_t n, float *restrict out, const void *restrict w,
                                 const void *restrict a) {
    *out = hearth_dot_f32_neon(w, a, n);
}

void hearth_vec_dot_f16_f16_neon(int64_t n, float *restrict out, const void *restrict w,
                                 const void *restrict a) {
    *out = dot_f16_f16(w, a, n);
}

#define LOOP_MAT_DOT(NAME)                                                                 \
    void hearth_mat_dot_##NAME##_neon(int64_t n, int64_t nr, int64_t nc, float *restrict out, \
                                      int64_t ldo, const void *restrict w, size_t w_stride, \
                                      const void *restrict a, size_t a_stride) {           \
        for (int64_t c = 0; c < nc; c++)                                                   \
            for (int64_t r = 0; r < nr; r++)                                               \
                hearth_vec_dot_##NAME##_neon(n, &out[c * ldo + r],                         \
                                             (const char *)w + (size_t)r * w_stride,       \
                                             (const char *)a + (size_t)c * a_stride);      \
    }
LOOP_MAT_DOT(f32_f32)
LOOP_MAT_DOT(f16_f16)

void hearth_axpy_f32_neon(float *restrict out, float a, const float *restrict v, int64_t n) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
        vst1q_f32(out + i, vaddq_f32(vld1q_f32(out + i), vmulq_n_f32(vld1q_f32(v + i), a)));
    for (; i < n; i++) {
        const float t = a * v[i];
        out[i] += t;
    }
}

void hearth_axpy_f16_neon(float *restrict out, float a, const hearth_f16 *restrict v, int64_t n) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
        vst1q_f32(out + i, vaddq_f32(vld1q_f32(out + i), vmulq_n_f32(load_f16x4(v + i), a)));
    for (; i < n; i++) {
        const float t = a * hearth_f16_to_f32(v[i]);
        out[i] += t;
    }
}

void hearth_add_f32_neon(float *out, const float *a, const float *restrict b, int64_t n) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
        vst1q_f32(out + i, vaddq_f32(vld1q_f32(a + i), vld1q_f32(b + i)));
    for (; i < n; i++)
        out[i] = a[i] + b[i];
}

/* Reference formula; the sum of squares is dot_f32(x, x) (reordered as the
 * dots). out may alias x: every element is read before it is written. */
void hearth_rmsnorm_f32_neon(float *out, const float *x, const float *restrict w, int64_t n,
                             float eps) {
    const float ss = hearth_dot_f32_neon(x, x, n);
    const float scale = 1.0f / sqrtf(ss / (float)n + eps);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
        vst1q_f32(out + i, vmulq_f32(vmulq_n_f32(vld1q_f32(x + i), scale), vld1q_f32(w + i)));
    for (; i < n; i++)
        out[i] = x[i] * scale * w[i];
}
