/* q6_k.c (AVX-512 VNNI) - Q6_K x Q8_K dot products: the avx512 tier's kernels
 * (q6_k_body.h) with each word multiply-add and sum fused into one vpdpwssd. */
#define KQ512_VNNI
#include "../avx512/q6_k_body.h"
