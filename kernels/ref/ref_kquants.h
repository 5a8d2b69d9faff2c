/* ref_kquants.h - reference slots of the K-quant family (Q2_K..Q6_K, Q8_K) and IQ4_XS.
 *
 * Included by table.c: HEARTH_REF_KQUANT_SLOTS lists the family's entries of
 * hearth_kernels_ref as designated initializers (each followed by a comma).
 * The kernels themselves live in q2_k.c .. q8_k.c, iq4_xs.c and kquant_util.c;
 * their prototypes are in kquant_util.h. HEARTH_REF_KQUANTS_PRESENT tells
 * tests/check_kernels.c to demand non-NULL slots for these types.
 */
#ifndef HEARTH_KERNELS_REF_KQUANTS_H
#define HEARTH_KERNELS_REF_KQUANTS_H

#include "kquant_util.h" /* hearth_*_q*_k_ref, hearth_*_iq4_xs_ref */
#include "ref.h"

#define HEARTH_REF_KQUANTS_PRESENT 1

#define KQ_REF_SLOTS(T, t)                                                                 \
    .vec_dot[T] = hearth_vec_dot_##t##_q8_k_ref, .mat_dot[T] = hearth_mat_dot_##t##_q8_k_ref, \
    .quantize_row[T] = hearth_quantize_row_##t##_ref,                                      \
    .dequantize_row[T] = hearth_dequantize_row_##t##_ref,

/* Q8_K is an activation format only: quantize and dequantize, no vec_dot. */
#define HEARTH_REF_KQUANT_SLOTS                                                            \
    KQ_REF_SLOTS(HEARTH_TYPE_Q2_K, q2_k)                                                   \
    KQ_REF_SLOTS(HEARTH_TYPE_Q3_K, q3_k)                                                   \
    KQ_REF_SLOTS(HEARTH_TYPE_Q4_K, q4_k)                                                   \
    KQ_REF_SLOTS(HEARTH_TYPE_Q5_K, q5_k)                                                   \
    KQ_REF_SLOTS(HEARTH_TYPE_Q6_K, q6_k)                                                   \
    KQ_REF_SLOTS(HEARTH_TYPE_IQ4_XS, iq4_xs)                                               \
    .quantize_row[HEARTH_TYPE_Q8_K] = hearth_quantize_row_q8_k_ref,                        \
    .dequantize_row[HEARTH_TYPE_Q8_K] = hearth_dequantize_row_q8_k_ref,                    \
    .quantize_act[HEARTH_TYPE_Q8_K] = hearth_quantize_row_q8_k_ref,

#endif /* HEARTH_KERNELS_REF_KQUANTS_H */
