/* q4_k_x4.c (AVX-512 VNNI) - the avx512 tier's X4-layout Q4_K kernels
 * (q4_k_x4_body.h) with each word multiply-add and sum fused into one vpdpwssd. */
#define KQ512_VNNI
#include "../avx512/q4_k_x4_body.h"
