/* patch_kquants.c - the avx512 slots of the K-quant family (Q2_K..Q6_K, Q8_K, IQ4_XS).
 *
 * Called by this tier's patch.c after its own slots. vec_dot and mat_dot of a
 * type are replaced together (mat_dot gives this tier's vec_dot bits). The Q8_K
 * quantizer keeps the AVX2 kernel (inherited from that tier).
 */
#include "../../kernels.h"
#include "../../ref/kquant_util.h" /* the K-quant kernel prototypes */

void hearth_kernels_patch_avx512_kquants(hearth_kernels *k) {
    k->vec_dot[HEARTH_TYPE_Q2_K] = hearth_vec_dot_q2_k_q8_k_avx512;
    k->mat_dot[HEARTH_TYPE_Q2_K] = hearth_mat_dot_q2_k_q8_k_avx512;
    k->vec_dot[HEARTH_TYPE_Q3_K] = hearth_vec_dot_q3_k_q8_k_avx512;
    k->mat_dot[HEARTH_TYPE_Q3_K] = hearth_mat_dot_q3_k_q8_k_avx512;
    k->vec_dot[HEARTH_TYPE_Q4_K] = hearth_vec_dot_q4_k_q8_k_avx512;
    k->mat_dot[HEARTH_TYPE_Q4_K] = hearth_mat_dot_q4_k_q8_k_avx512;
    /* Q4_K is read fastest repacked (q4_k_x4_body.h): same bits as in place */
    k->layout_vec_dot[HEARTH_LAYOUT_Q4_K_X4] = hearth_vec_dot_q4_k_x4_q8_k_avx512;
    k->layout_mat_dot[HEARTH_LAYOUT_Q4_K_X4] = hearth_mat_dot_q4_k_x4_q8_k_avx512;
    k->preferred_layout[HEARTH_TYPE_Q4_K] = HEARTH_LAYOUT_Q4_K_X4;
    k->vec_dot[HEARTH_TYPE_Q5_K] = hearth_vec_dot_q5_k_q8_k_avx512;
    k->mat_dot[HEARTH_TYPE_Q5_K] = hearth_mat_dot_q5_k_q8_k_avx512;
    k->vec_dot[HEARTH_TYPE_Q6_K] = hearth_vec_dot_q6_k_q8_k_avx512;
    k->mat_dot[HEARTH_TYPE_Q6_K] = hearth_mat_dot_q6_k_q8_k_avx512;
    k->vec_dot[HEARTH_TYPE_IQ4_XS] = hearth_vec_dot_iq4_xs_q8_k_avx512;
    k->mat_dot[HEARTH_TYPE_IQ4_XS] = hearth_mat_dot_iq4_xs_q8_k_avx512;
}
