/* dot.c - the avx512 tier's block dot kernels (AVX-512 F/BW/VL: int8
 * products through vpmaddubsw + vpmaddwd on 512-bit registers, two blocks
 * per register). The code is shared with the VNNI tier: avx512_dot.h.
 */
#define AVX512_TIER avx512
#include "avx512_dot.h"

#include "dot_types.inc"
