/* patch_kquants.c - the avx512vnni slots of the K-quant family (Q2_K..Q6_K, Q8_K,
 * IQ4_XS). PLACEHOLDER owned by the K-quant branch, which replaces this file;
 * the tier's patch.c calls it after its own slots.
 */
#include "../../kernels.h"

void hearth_kernels_patch_avx512vnni_kquants(hearth_kernels *k) {
    (void)k;
}
