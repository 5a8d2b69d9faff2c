/* table.c - hearth_kernels_ref: the reference kernel table (every slot of
 * every computable type set; STYLE §6).
 *
 * One designated initializer per slot, grouped by type. The K-quant and
 * IQ4_XS family adds its slots through HEARTH_REF_KQUANT_SLOTS from
 * ref_kquants.h (owned by that family), so neither family edits the other's
 * lines.
 */
#include "ref.h"         /* the reference kernels of the legacy and float types */
#include "ref_kquants.h" /* HEARTH_REF_KQUANT_SLOTS */

#define SLOTS(T, vd, md, q, dq)                                                           \
    .vec_dot[T] = vd, .mat_dot[T] = md, .quantize_row[T] = q, .dequantize_row[T] = dq

const hearth_kernels hearth_kernels_ref = {
    .isa = HEARTH_ISA_SCALAR,

    SLOTS(HEARTH_TYPE_F32, hearth_vec_dot_f32_f32_ref, hearth_mat_dot_f32_ref,
          hearth_quantize_row_f32_ref, hearth_dequantize_row_f32_ref),
    SLOTS(HEARTH_TYPE_F16, hearth_vec_dot_f16_f16_ref, hearth_mat_dot_f16_ref,
          hearth_quantize_row_f16_ref, hearth_dequantize_row_f16_ref),
    SLOTS(HEARTH_TYPE_BF16, hearth_vec_dot_bf16_bf16_ref, hearth_mat_dot_bf16_ref,
          hearth_quantize_row_bf16_ref, hearth_dequantize_row_bf16_ref),
    SLOTS(HEARTH_TYPE_Q4_0, hearth_vec_dot_q4_0_q8_0_ref, hearth_mat_dot_q4_0_ref,
          hearth_quantize_row_q4_0_ref, hearth_dequantize_row_q4_0_ref),
    SLOTS(HEARTH_TYPE_Q4_1, hearth_vec_dot_q4_1_q8_1_ref, hearth_mat_dot_q4_1_ref,
          hearth_quantize_row_q4_1_ref, hearth_dequantize_row_q4_1_ref),
    SLOTS(HEARTH_TYPE_Q5_0, hearth_vec_dot_q5_0_q8_0_ref, hearth_mat_dot_q5_0_ref,
          hearth_quantize_row_q5_0_ref, hearth_dequantize_row_q5_0_ref),
    SLOTS(HEARTH_TYPE_Q5_1, hearth_vec_dot_q5_1_q8_1_ref, hearth_mat_dot_q5_1_ref,
          hearth_quantize_row_q5_1_ref, hearth_dequantize_row_q5_1_ref),
    SLOTS(HEARTH_TYPE_Q8_0, hearth_vec_dot_q8_0_q8_0_ref, hearth_mat_dot_q8_0_ref,
          hearth_quantize_row_q8_0_ref, hearth_dequantize_row_q8_0_ref),
    SLOTS(HEARTH_TYPE_IQ4_NL, hearth_vec_dot_iq4_nl_q8_0_ref, hearth_mat_dot_iq4_nl_ref,
          hearth_quantize_row_iq4_nl_ref, hearth_dequantize_row_iq4_nl_ref),
    .layout_vec_dot[HEARTH_LAYOUT_Q4_0_X16] = hearth_vec_dot_q4_0_x16_q8_0_ref,
    .layout_mat_dot[HEARTH_LAYOUT_Q4_0_X16] = hearth_mat_dot_q4_0_x16_ref,
    .layout_vec_dot[HEARTH_LAYOUT_Q8_0_X16] = hearth_vec_dot_q8_0_x16_q8_0_ref,
    .layout_mat_dot[HEARTH_LAYOUT_Q8_0_X16] = hearth_mat_dot_q8_0_x16_ref,
    .layout_vec_dot[HEARTH_LAYOUT_Q4_K_X4] = hearth_vec_dot_q4_k_x4_q8_k_ref,
    .layout_mat_dot[HEARTH_LAYOUT_Q4_K_X4] = hearth_mat_dot_q4_k_x4_q8_k_ref,
    /* Q8_1 is an activation format only: no weights of this type to dot with. */
    .quantize_row[HEARTH_TYPE_Q8_1] = hearth_quantize_row_q8_1_ref,
    .dequantize_row[HEARTH_TYPE_Q8_1] = hearth_dequantize_row_q8_1_ref,

    /* Activation conversions: the float formats convert as their weights do;
     * Q8_0 and Q8_1 round as llama.cpp's x86 path (kernels.h quantize_act). */
    .quantize_act[HEARTH_TYPE_F32] = hearth_quantize_row_f32_ref,
    .quantize_act[HEARTH_TYPE_F16] = hearth_quantize_row_f16_ref,
    .quantize_act[HEARTH_TYPE_BF16] = hearth_quantize_row_bf16_ref,
    .quantize_act[HEARTH_TYPE_Q8_0] = hearth_quantize_act_q8_0_ref,
    .quantize_act[HEARTH_TYPE_Q8_1] = hearth_quantize_act_q8_1_ref,

    HEARTH_REF_KQUANT_SLOTS

    .rmsnorm = hearth_rmsnorm_f32_ref,
    .softmax = hearth_softmax_f32_ref,
    .silu_mul = hearth_silu_mul_f32_ref,
    .add = hearth_add_f32_ref,
    .dot_f32 = hearth_dot_f32_ref,
    .dot_f16_f32 = hearth_dot_f16_f32_ref,
    .axpy_f32 = hearth_axpy_f32_ref,
    .axpy_f16 = hearth_axpy_f16_ref,
    .gemm_f32 = hearth_gemm_f32_ref,
    .transpose_f16_f32 = hearth_transpose_f16_f32_ref,
    .transpose_f32 = hearth_transpose_f32_ref,
};
