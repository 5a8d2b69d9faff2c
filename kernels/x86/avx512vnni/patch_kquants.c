/* patch_kquants.c - the avx512vnni slots of the K-quant family (Q2_K..Q6_K, Q8_K, IQ4_XS).
 *
 * Called by this tier's patch.c after its own slots. None: the K-quant dots are
 * bound by int8 multiplies with a per-sub-block scale, and vpdpwssd in place of
 * madd+add measured no faster than the AVX-512 kernels on this machine (Zen 5,
 * 5.5 ns per Q4_K block-column either way), so this tier keeps the AVX-512
 * (Q4_K, Q6_K) and AVX2 (the others) kernels it inherits.
 */
#include "../../kernels.h"

void hearth_kernels_patch_avx512vnni_kquants(hearth_kernels *k) {
    (void)k;
}
