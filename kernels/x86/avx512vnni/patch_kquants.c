/* patch_kquants.c - the avx512vnni slots of the K-quant family (Q2_K..Q6_K,
 * Q8_K, IQ4_XS), and the GFNI ones patched over them where the CPU has GFNI.
 *
 * Called by this tier's patch.c after its own slots. Q2_K..Q6_K: the avx512
 * kernels compiled with vpdpwssd (one instruction for the scaled sum of each
 * sub-block's pair products; Q6_K's 4-value dots by vpdpbusd, q6_k_body.h);
 * IQ4_XS: its levels biased to unsigned for vpdpbusd (iq4_xs_body.h); the
 * Q8_K quantizer stays AVX2.
 */
#include "../../kernels.h"
#include "../../ref/kquant_util.h" /* the K-quant kernel prototypes */

void hearth_kernels_patch_avx512vnni_kquants(hearth_kernels *k) {
    k->vec_dot[HEARTH_TYPE_Q2_K] = hearth_vec_dot_q2_k_q8_k_avx512vnni;
    k->mat_dot[HEARTH_TYPE_Q2_K] = hearth_mat_dot_q2_k_q8_k_avx512vnni;
    k->vec_dot[HEARTH_TYPE_Q3_K] = hearth_vec_dot_q3_k_q8_k_avx512vnni;
    k->mat_dot[HEARTH_TYPE_Q3_K] = hearth_mat_dot_q3_k_q8_k_avx512vnni;
    k->vec_dot[HEARTH_TYPE_Q4_K] = hearth_vec_dot_q4_k_q8_k_avx512vnni;
    k->mat_dot[HEARTH_TYPE_Q4_K] = hearth_mat_dot_q4_k_q8_k_avx512vnni;
    /* Q4_K is read fastest repacked (q4_k_x4_body.h): same bits as in place */
    k->layout_vec_dot[HEARTH_LAYOUT_Q4_K_X4] = hearth_vec_dot_q4_k_x4_q8_k_avx512vnni;
    k->layout_mat_dot[HEARTH_LAYOUT_Q4_K_X4] = hearth_mat_dot_q4_k_x4_q8_k_avx512vnni;
    k->preferred_layout[HEARTH_TYPE_Q4_K] = HEARTH_LAYOUT_Q4_K_X4;
    k->vec_dot[HEARTH_TYPE_Q5_K] = hearth_vec_dot_q5_k_q8_k_avx512vnni;
    k->mat_dot[HEARTH_TYPE_Q5_K] = hearth_mat_dot_q5_k_q8_k_avx512vnni;
    k->vec_dot[HEARTH_TYPE_Q6_K] = hearth_vec_dot_q6_k_q8_k_avx512vnni;
    k->mat_dot[HEARTH_TYPE_Q6_K] = hearth_mat_dot_q6_k_q8_k_avx512vnni;
    k->vec_dot[HEARTH_TYPE_IQ4_XS] = hearth_vec_dot_iq4_xs_q8_k_avx512vnni;
    k->mat_dot[HEARTH_TYPE_IQ4_XS] = hearth_mat_dot_iq4_xs_q8_k_avx512vnni;
}

/* Where the CPU also has GFNI (dispatch.c): Q6_K picks each level's two high
 * bits with one vgf2p8affineqb per 64 levels (q6_k_body.h). Same bits. */
void hearth_kernels_patch_avx512vnni_gfni(hearth_kernels *k) {
    k->vec_dot[HEARTH_TYPE_Q6_K] = hearth_vec_dot_q6_k_q8_k_avx512vnni_gfni;
    k->mat_dot[HEARTH_TYPE_Q6_K] = hearth_mat_dot_q6_k_q8_k_avx512vnni_gfni;
}
