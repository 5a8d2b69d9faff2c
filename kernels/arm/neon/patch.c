/* patch.c - everything the neon tier provides (STYLE §6). Slots not listed
 * keep the reference. vec_dot and mat_dot of a type are always replaced
 * together: mat_dot must give vec_dot's bits for every output.
 */
#include "../../kernels.h"

void hearth_patch_dots_neon(hearth_kernels *k); /* dot.c */
void hearth_quantize_row_q8_0_neon(const float *restrict src, void *restrict dst, int64_t n);
void hearth_quantize_row_q8_1_neon(const float *restrict src, void *restrict dst, int64_t n);
void hearth_quantize_act_q8_0_neon(const float *restrict src, void *restrict dst, int64_t n);
void hearth_quantize_act_q8_1_neon(const float *restrict src, void *restrict dst, int64_t n);
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
void hearth_softmax_f32_neon(float *x, int64_t n);                            /* ops.c */
void hearth_silu_mul_f32_neon(float *out, const float *gate, const float *restrict up,
                              int64_t n);
void hearth_gemm_f32_neon(int64_t m, int64_t n, int64_t k, const float *restrict a, int64_t lda,
                          const float *restrict b, int64_t ldb, float *restrict c, int64_t ldc,
                          bool accumulate); /* attn.c */
void hearth_transpose_f16_f32_neon(float *restrict dst, int64_t ldd,
                                   const hearth_f16 *restrict src, size_t src_stride,
                                   int64_t n_rows, int64_t n_cols);
void hearth_transpose_f32_neon(float *restrict dst, int64_t ldd, const float *restrict src,
                               size_t src_stride, int64_t n_rows, int64_t n_cols);

void hearth_kernels_patch_neon(hearth_kernels *k) {
    hearth_patch_dots_neon(k); /* Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 IQ4_NL: vec_dot + mat_dot */
    k->vec_dot[HEARTH_TYPE_F32] = hearth_vec_dot_f32_f32_neon;
    k->mat_dot[HEARTH_TYPE_F32] = hearth_mat_dot_f32_f32_neon;
    k->vec_dot[HEARTH_TYPE_F16] = hearth_vec_dot_f16_f16_neon;
    k->mat_dot[HEARTH_TYPE_F16] = hearth_mat_dot_f16_f16_neon;
    k->quantize_row[HEARTH_TYPE_Q8_0] = hearth_quantize_row_q8_0_neon;
    k->quantize_row[HEARTH_TYPE_Q8_1] = hearth_quantize_row_q8_1_neon;
    k->quantize_act[HEARTH_TYPE_Q8_0] = hearth_quantize_act_q8_0_neon;
    k->quantize_act[HEARTH_TYPE_Q8_1] = hearth_quantize_act_q8_1_neon;
    k->rmsnorm = hearth_rmsnorm_f32_neon;
    k->add = hearth_add_f32_neon;
    k->dot_f32 = hearth_dot_f32_neon;
    k->dot_f16_f32 = hearth_dot_f16_f32_neon;
    k->axpy_f32 = hearth_axpy_f32_neon;
    k->axpy_f16 = hearth_axpy_f16_neon;
    k->softmax = hearth_softmax_f32_neon;
    k->silu_mul = hearth_silu_mul_f32_neon;
    k->gemm_f32 = hearth_gemm_f32_neon;
    k->transpose_f16_f32 = hearth_transpose_f16_f32_neon;
    k->transpose_f32 = hearth_transpose_f32_neon;
    hearth_kernels_patch_neon_kquants(k);
    k->isa = HEARTH_ISA_NEON;
}
