/* ref.h - the scalar reference kernels (kernels/ref/), the ground truth.
 *
 * Every SIMD tier is tested against these (STYLE §8). They are plain C,
 * compiled without ISA flags or fast-math; each function states its math and
 * its rounding at the top. K-quant and IQ4_XS references are declared in
 * ref_kquants.h by their own family.
 */
#ifndef HEARTH_KERNELS_REF_H
#define HEARTH_KERNELS_REF_H

#include "../kernels.h"

/* Defines `hearth_mat_dot_<name>_ref`: the tile product as a loop over the
 * family's reference vec_dot, so each output is vec_dot's value bit for bit. */
#define HEARTH_DEFINE_MAT_DOT_REF(fn_name, vec_dot)                                       \
    void fn_name(int64_t n, int64_t nr, int64_t nc, float *restrict out, int64_t ldo,     \
                 const void *restrict w, size_t w_stride, const void *restrict a,          \
                 size_t a_stride) {                                                        \
        for (int64_t c = 0; c < nc; c++)                                                   \
            for (int64_t r = 0; r < nr; r++)                                               \
                vec_dot(n, &out[c * ldo + r], (const char *)w + (size_t)r * w_stride,      \
                        (const char *)a + (size_t)c * a_stride);                           \
    }

#define HEARTH_DECLARE_MAT_DOT(fn_name)                                                    \
    void fn_name(int64_t n, int64_t nr, int64_t nc, float *restrict out, int64_t ldo,     \
                 const void *restrict w, size_t w_stride, const void *restrict a,          \
                 size_t a_stride)

#include <math.h> /* fminf, fmaxf */

/* Truncation of v after clamping to [0, hi]: equals llama.cpp's MIN(hi,
 * (int8_t)v) / (uint8_t)v for every finite v of the quantizers' range, and
 * never converts an out-of-range float (NaN gives hi): no undefined behaviour. */
static inline int hearth_trunc_clamped(float v, float hi) {
    return (int)fminf(fmaxf(v, 0.0f), hi);
}

/* ---- Float rows (float.c) ---------------------------------------------- */
void hearth_quantize_row_f32_ref(const float *restrict src, void *restrict dst, int64_t n);
void hearth_dequantize_row_f32_ref(const void *restrict src, float *restrict dst, int64_t n);
void hearth_quantize_row_f16_ref(const float *restrict src, void *restrict dst, int64_t n);
void hearth_dequantize_row_f16_ref(const void *restrict src, float *restrict dst, int64_t n);
void hearth_quantize_row_bf16_ref(const float *restrict src, void *restrict dst, int64_t n);
void hearth_dequantize_row_bf16_ref(const void *restrict src, float *restrict dst, int64_t n);
void hearth_vec_dot_f32_f32_ref(int64_t n, float *restrict out, const void *restrict w,
                                const void *restrict a);
void hearth_vec_dot_f16_f16_ref(int64_t n, float *restrict out, const void *restrict w,
                                const void *restrict a);
void hearth_vec_dot_bf16_bf16_ref(int64_t n, float *restrict out, const void *restrict w,
                                  const void *restrict a);
HEARTH_DECLARE_MAT_DOT(hearth_mat_dot_f32_ref);
HEARTH_DECLARE_MAT_DOT(hearth_mat_dot_f16_ref);
HEARTH_DECLARE_MAT_DOT(hearth_mat_dot_bf16_ref);

/* ---- Legacy 32-value blocks (q4.c, q5.c, q8.c, iq4_nl.c) ---------------- */
void hearth_quantize_row_q4_0_ref(const float *restrict src, void *restrict dst, int64_t n);
void hearth_quantize_row_q4_1_ref(const float *restrict src, void *restrict dst, int64_t n);
void hearth_quantize_row_q5_0_ref(const float *restrict src, void *restrict dst, int64_t n);
void hearth_quantize_row_q5_1_ref(const float *restrict src, void *restrict dst, int64_t n);
void hearth_quantize_row_q8_0_ref(const float *restrict src, void *restrict dst, int64_t n);
void hearth_quantize_row_q8_1_ref(const float *restrict src, void *restrict dst, int64_t n);
void hearth_quantize_row_iq4_nl_ref(const float *restrict src, void *restrict dst, int64_t n);
/* Activation quantizers (kernels.h quantize_act): llama.cpp's x86 rounding. */
void hearth_quantize_act_q8_0_ref(const float *restrict src, void *restrict dst, int64_t n);
void hearth_quantize_act_q8_1_ref(const float *restrict src, void *restrict dst, int64_t n);
void hearth_dequantize_row_q4_0_ref(const void *restrict src, float *restrict dst, int64_t n);
void hearth_dequantize_row_q4_1_ref(const void *restrict src, float *restrict dst, int64_t n);
void hearth_dequantize_row_q5_0_ref(const void *restrict src, float *restrict dst, int64_t n);
void hearth_dequantize_row_q5_1_ref(const void *restrict src, float *restrict dst, int64_t n);
void hearth_dequantize_row_q8_0_ref(const void *restrict src, float *restrict dst, int64_t n);
void hearth_dequantize_row_q8_1_ref(const void *restrict src, float *restrict dst, int64_t n);
void hearth_dequantize_row_iq4_nl_ref(const void *restrict src, float *restrict dst, int64_t n);
void hearth_vec_dot_q4_0_q8_0_ref(int64_t n, float *restrict out, const void *restrict w,
                                  const void *restrict a);
void hearth_vec_dot_q4_1_q8_1_ref(int64_t n, float *restrict out, const void *restrict w,
                                  const void *restrict a);
void hearth_vec_dot_q5_0_q8_0_ref(int64_t n, float *restrict out, const void *restrict w,
                                  const void *restrict a);
void hearth_vec_dot_q5_1_q8_1_ref(int64_t n, float *restrict out, const void *restrict w,
                                  const void *restrict a);
void hearth_vec_dot_q8_0_q8_0_ref(int64_t n, float *restrict out, const void *restrict w,
                                  const void *restrict a);
void hearth_vec_dot_iq4_nl_q8_0_ref(int64_t n, float *restrict out, const void *restrict w,
                                    const void *restrict a);
HEARTH_DECLARE_MAT_DOT(hearth_mat_dot_q4_0_ref);
/* Q4_0 rows in the X16 layout (x16.c): the bits of the two above. */
void hearth_vec_dot_q4_0_x16_q8_0_ref(int64_t n, float *restrict out, const void *restrict w,
                                      const void *restrict a);
HEARTH_DECLARE_MAT_DOT(hearth_mat_dot_q4_0_x16_ref);
/* Q8_0 rows in the X16 layout (x16.c): the bits of the Q8_0 reference. */
void hearth_vec_dot_q8_0_x16_q8_0_ref(int64_t n, float *restrict out, const void *restrict w,
                                      const void *restrict a);
HEARTH_DECLARE_MAT_DOT(hearth_mat_dot_q8_0_x16_ref);
HEARTH_DECLARE_MAT_DOT(hearth_mat_dot_q4_1_ref);
HEARTH_DECLARE_MAT_DOT(hearth_mat_dot_q5_0_ref);
HEARTH_DECLARE_MAT_DOT(hearth_mat_dot_q5_1_ref);
HEARTH_DECLARE_MAT_DOT(hearth_mat_dot_q8_0_ref);
HEARTH_DECLARE_MAT_DOT(hearth_mat_dot_iq4_nl_ref);

/* ---- Element ops (ops.c) ----------------------------------------------- */
void hearth_rmsnorm_f32_ref(float *out, const float *x, const float *restrict w, int64_t n,
                            float eps);
void hearth_softmax_f32_ref(float *x, int64_t n);
void hearth_silu_mul_f32_ref(float *out, const float *gate, const float *restrict up,
                             int64_t n);
void hearth_add_f32_ref(float *out, const float *a, const float *restrict b, int64_t n);
float hearth_dot_f32_ref(const float *restrict a, const float *restrict b, int64_t n);
float hearth_dot_f16_f32_ref(const hearth_f16 *restrict k, const float *restrict q, int64_t n);
void hearth_axpy_f32_ref(float *restrict out, float a, const float *restrict v, int64_t n);
void hearth_axpy_f16_ref(float *restrict out, float a, const hearth_f16 *restrict v, int64_t n);

/* ---- Attention tiles (tile.c) ------------------------------------------ */
void hearth_gemm_f32_ref(int64_t m, int64_t n, int64_t k, const float *restrict a, int64_t lda,
                         const float *restrict b, int64_t ldb, float *restrict c, int64_t ldc,
                         bool accumulate);
void hearth_transpose_f16_f32_ref(float *restrict dst, int64_t ldd, const hearth_f16 *restrict src,
                                  size_t src_stride, int64_t n_rows, int64_t n_cols);
void hearth_transpose_f32_ref(float *restrict dst, int64_t ldd, const float *restrict src,
                              size_t src_stride, int64_t n_rows, int64_t n_cols);

#endif /* HEARTH_KERNELS_REF_H */
