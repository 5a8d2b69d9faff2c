/* ops.c - NEON element operations with a vector exp: softmax (attention rows)
 * and the SiLU-gated product of the feed-forward block.
 *
 * Sums keep 4 lanes and reduce in a fixed order, so a result depends on n and
 * the values only. A ragged tail (n % 4 values) goes through a zero-padded
 * copy: nothing past n is read or written.
 */
#include <arm_neon.h>
#include <math.h>   /* INFINITY */
#include <string.h> /* memcpy */

#include "../../kernels.h"

void hearth_softmax_f32_neon(float *x, int64_t n);
void hearth_silu_mul_f32_neon(float *out, const float *gate, const float *restrict up,
                              int64_t n);

#define NEON_ALWAYS_INLINE static inline __attribute__((always_inline))

/* ---- exp ---------------------------------------------------------------------- */

/* exp(x) for x <= 0, 4 lanes. x = q ln2 + r with q = round(x / ln2) and
 * |r| <= ln2 / 2; ln2 is split into a 16-bit head (q * head is exact for
 * |q| <= 127) and a tail, so r carries no reduction error beyond the tail's
 * rounding. exp(r) is its Taylor polynomial of degree 6 (truncation below
 * (ln2/2)^7 / 7! = 1.2e-7 relative), evaluated by fused Horner steps, then
 * scaled by 2^q assembled in the exponent field. Max rel err 2.28e-7 against
 * double exp (measured under qemu on every 16th float in [-87.33, 0]; kernels.h
 * declares 4e-6). Below ln(FLT_MIN) the result would be subnormal: it is 0
 * instead (kernels.h allows that flush). */
NEON_ALWAYS_INLINE float32x4_t exp_nonpos(float32x4_t x) {
    const float32x4_t lo = vdupq_n_f32(-87.33654475f); /* ln(FLT_MIN) */
    const uint32x4_t keep = vcgeq_f32(x, lo);
    x = vmaxq_f32(x, lo);
    const int32x4_t q = vcvtnq_s32_f32(vmulq_n_f32(x, 1.44269504089f)); /* to nearest */
    const float32x4_t qf = vcvtq_f32_s32(q);
    float32x4_t r = vfmsq_f32(x, qf, vdupq_n_f32(0.693145751953125f));
    r = vfmsq_f32(r, qf, vdupq_n_f32(1.428606765330187e-6f));
    static const float taylor[] = {1.0f / 720.0f, 1.0f / 120.0f, 1.0f / 24.0f, 1.0f / 6.0f,
                                   0.5f,          1.0f,          1.0f};
    float32x4_t p = vdupq_n_f32(taylor[0]);
    for (int d = 1; d < 7; d++)
        p = vfmaq_f32(vdupq_n_f32(taylor[d]), p, r);
    const int32x4_t scale = vshlq_n_s32(vaddq_s32(q, vdupq_n_s32(127)), 23);
    const float32x4_t e = vmulq_f32(p, vreinterpretq_f32_s32(scale));
    return vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(e), keep));
}

/* ---- Softmax ---------------------------------------------------------------- */

/* Lanes 0..nt-1 set. */
NEON_ALWAYS_INLINE uint32x4_t lane_mask(int nt) {
    static const uint32_t idx[4] = {0, 1, 2, 3};
    return vcltq_u32(vld1q_u32(idx), vdupq_n_u32((uint32_t)nt));
}

/* max, then e = exp(x - max) summed in 4 lanes (the tail's dead lanes masked
 * to 0), reduced in a fixed order, then x / sum (division as the reference). */
void hearth_softmax_f32_neon(float *x, int64_t n) {
    if (n <= 0)
        return;
    const int64_t n4 = n / 4 * 4;
    const int nt = (int)(n - n4);
    float t[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
    memcpy(t, x + n4, (size_t)nt * sizeof(float));

    float32x4_t vmax = vld1q_f32(t); /* -inf past n: no effect on the max */
    for (int64_t i = 0; i < n4; i += 4)
        vmax = vmaxq_f32(vmax, vld1q_f32(x + i));
    const float32x4_t mx = vdupq_n_f32(vmaxvq_f32(vmax));

    float32x4_t vsum = vdupq_n_f32(0.0f);
    for (int64_t i = 0; i < n4; i += 4) {
        const float32x4_t e = exp_nonpos(vsubq_f32(vld1q_f32(x + i), mx));
        vst1q_f32(x + i, e);
        vsum = vaddq_f32(vsum, e);
    }
    if (nt) {
        float32x4_t e = exp_nonpos(vsubq_f32(vld1q_f32(t), mx));
        e = vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(e), lane_mask(nt)));
        vst1q_f32(t, e);
        vsum = vaddq_f32(vsum, e);
    }
    const float32x4_t sum = vdupq_n_f32(vaddvq_f32(vsum));
    for (int64_t i = 0; i < n4; i += 4)
        vst1q_f32(x + i, vdivq_f32(vld1q_f32(x + i), sum));
    if (nt) {
        vst1q_f32(t, vdivq_f32(vld1q_f32(t), sum));
        memcpy(x + n4, t, (size_t)nt * sizeof(float));
    }
}

/* ---- SiLU ------------------------------------------------------------------- */

/* out = g / (1 + exp(-g)) * up, computed from t = exp(-|g|) <= 1 so that exp
 * never overflows: g / (1 + t) for g >= 0, g * t / (1 + t) below (the same
 * value, multiplied through by t). Element-wise: any split gives these bits. */
NEON_ALWAYS_INLINE float32x4_t silu_mul4(float32x4_t g, float32x4_t u) {
    const float32x4_t t = exp_nonpos(vnegq_f32(vabsq_f32(g)));
    const float32x4_t num = vbslq_f32(vcltzq_f32(g), vmulq_f32(g, t), g);
    return vmulq_f32(vdivq_f32(num, vaddq_f32(vdupq_n_f32(1.0f), t)), u);
}

/* out may alias gate: each vector is read before it is written. */
void hearth_silu_mul_f32_neon(float *out, const float *gate, const float *restrict up,
                              int64_t n) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
        vst1q_f32(out + i, silu_mul4(vld1q_f32(gate + i), vld1q_f32(up + i)));
    if (i < n) {
        const size_t nb = (size_t)(n - i) * sizeof(float);
        float g[4] = {0.0f, 0.0f, 0.0f, 0.0f}, u[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        memcpy(g, gate + i, nb);
        memcpy(u, up + i, nb);
        vst1q_f32(g, silu_mul4(vld1q_f32(g), vld1q_f32(u)));
        memcpy(out + i, g, nb);
    }
}
