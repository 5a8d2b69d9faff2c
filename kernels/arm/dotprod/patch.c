/* patch.c - everything the neon_dotprod tier provides (STYLE §6). Slots not listed
 * keep the value of the tier below. vec_dot and mat_dot of a type are always
 * replaced together: mat_dot must give vec_dot's bits for every output.
 */
#include "../../kernels.h"

void hearth_kernels_patch_neon_dotprod(hearth_kernels *k) {
    hearth_kernels_patch_neon_dotprod_kquants(k);
    k->isa = HEARTH_ISA_NEON_DOTPROD;
}
