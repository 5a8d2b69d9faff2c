/* patch.c - everything the neon_dotprod tier provides (STYLE §6), on top of
 * the neon table. vec_dot and mat_dot of a type are always replaced
 * together: mat_dot must give vec_dot's bits for every output.
 */
#include "../../kernels.h"

void hearth_patch_dots_neon_dotprod(hearth_kernels *k); /* dot.c */

void hearth_kernels_patch_neon_dotprod(hearth_kernels *k) {
    hearth_patch_dots_neon_dotprod(k); /* Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 IQ4_NL: vec_dot + mat_dot */
    hearth_kernels_patch_neon_dotprod_kquants(k);
    k->isa = HEARTH_ISA_NEON_DOTPROD;
}
