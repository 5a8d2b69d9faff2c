/* patch.c - everything the avx512vnni tier provides (STYLE §6), on top of
 * the avx512 table. vec_dot and mat_dot of a type are always replaced
 * together: mat_dot must give vec_dot's bits for every output, except the
 * batch rows that mat_dot_ref_rows declares (the reference's bits).
 */
#include "../../kernels.h"
#include "rows16.h" /* batches of Q4_0 / Q8_0 / IQ4_NL, 16 rows per register */

void hearth_patch_dots_avx512vnni(hearth_kernels *k); /* dot.c */

void hearth_kernels_patch_avx512vnni(hearth_kernels *k) {
    hearth_patch_dots_avx512vnni(k); /* Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 IQ4_NL: vec_dot + mat_dot */
    k->mat_dot[HEARTH_TYPE_Q4_0] = hearth_mat_dot_q4_0_rows16_avx512vnni;
    k->mat_dot_ref_rows[HEARTH_TYPE_Q4_0] = 16;
    k->mat_dot[HEARTH_TYPE_Q8_0] = hearth_mat_dot_q8_0_rows16_avx512vnni;
    k->mat_dot_ref_rows[HEARTH_TYPE_Q8_0] = 16;
    k->mat_dot[HEARTH_TYPE_IQ4_NL] = hearth_mat_dot_iq4_nl_rows16_avx512vnni;
    k->mat_dot_ref_rows[HEARTH_TYPE_IQ4_NL] = 16;
    k->layout_mat_dot[HEARTH_LAYOUT_Q4_0_X16] = hearth_mat_dot_q4_0_x16_rows16_avx512vnni;
    k->layout_mat_dot[HEARTH_LAYOUT_Q8_0_X16] = hearth_mat_dot_q8_0_x16_rows16_avx512vnni;
    hearth_kernels_patch_avx512vnni_kquants(k);
    k->isa = HEARTH_ISA_AVX512VNNI;
}
