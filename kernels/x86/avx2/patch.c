/* patch.c - everything the avx2 tier provides (STYLE §6). Slots not listed
 * keep the value of the tier below. vec_dot and mat_dot of a type are always
 * replaced together: mat_dot must give vec_dot's bits for every output.
 */
#include "avx2.h"

#define DOT(T, wt)                                                                         \
    k->vec_dot[T] = hearth_vec_dot_##wt##_avx2;                                            \
    k->mat_dot[T] = hearth_mat_dot_##wt##_avx2

void hearth_kernels_patch_avx2(hearth_kernels *k) {
    DOT(HEARTH_TYPE_F32, f32_f32);
    DOT(HEARTH_TYPE_F16, f16_f16);
    DOT(HEARTH_TYPE_BF16, bf16_bf16);
    DOT(HEARTH_TYPE_Q4_0, q4_0_q8_0);
    DOT(HEARTH_TYPE_Q4_1, q4_1_q8_1);
    DOT(HEARTH_TYPE_Q5_0, q5_0_q8_0);
    DOT(HEARTH_TYPE_Q5_1, q5_1_q8_1);
    DOT(HEARTH_TYPE_Q8_0, q8_0_q8_0);
    DOT(HEARTH_TYPE_IQ4_NL, iq4_nl_q8_0);
    k->quantize_row[HEARTH_TYPE_Q8_0] = hearth_quantize_row_q8_0_avx2;
    k->quantize_row[HEARTH_TYPE_Q8_1] = hearth_quantize_row_q8_1_avx2;
    k->quantize_row[HEARTH_TYPE_F16] = hearth_quantize_row_f16_avx2;
    k->quantize_act[HEARTH_TYPE_Q8_0] = hearth_quantize_act_q8_0_avx2;
    k->quantize_act[HEARTH_TYPE_Q8_1] = hearth_quantize_act_q8_1_avx2;
    k->quantize_act[HEARTH_TYPE_F16] = hearth_quantize_row_f16_avx2;
    k->dequantize_row[HEARTH_TYPE_F16] = hearth_dequantize_row_f16_avx2;
    k->dequantize_row[HEARTH_TYPE_Q4_0] = hearth_dequantize_row_q4_0_avx2;
    k->dequantize_row[HEARTH_TYPE_Q8_0] = hearth_dequantize_row_q8_0_avx2;
    k->rmsnorm = hearth_rmsnorm_f32_avx2;
    k->add = hearth_add_f32_avx2;
    k->dot_f32 = hearth_dot_f32_avx2;
    k->dot_f16_f32 = hearth_dot_f16_f32_avx2;
    k->axpy_f32 = hearth_axpy_f32_avx2;
    k->axpy_f16 = hearth_axpy_f16_avx2;
    k->softmax = hearth_softmax_f32_avx2;
    k->silu_mul = hearth_silu_mul_f32_avx2;
    k->gemm_f32 = hearth_gemm_f32_avx2;
    k->transpose_f16_f32 = hearth_transpose_f16_f32_avx2;
    k->transpose_f32 = hearth_transpose_f32_avx2;
    hearth_kernels_patch_avx2_kquants(k);
    k->isa = HEARTH_ISA_AVX2;
}
