/* q6_k_gfni.c (AVX-512 VNNI + GFNI) - the VNNI tier's Q6_K kernels with the two
 * high bits of each level picked by vgf2p8affineqb (q6_k_body.h); patched in
 * by dispatch.c when the CPU also has GFNI (Ice Lake, Zen 4 and later; Cascade
 * Lake has VNNI without it). */
#define KQ512_GFNI
#include "../avx512/q6_k_body.h"
