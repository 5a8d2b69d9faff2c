/* dot.c - the avx512vnni tier's block dot kernels: as the avx512 tier, with
 * the int8 products done by vpdpbusd (one instruction for u8 x s8 summed
 * over groups of four into int32 lanes). Shared code: ../avx512/avx512_dot.h.
 */
#define AVX512_TIER avx512vnni
#define AVX512_HAVE_VNNI
#include "../avx512/avx512_dot.h"

#include "../avx512/dot_types.inc"
