/* q23_k.c (AVX-512 VNNI) - Q2_K and Q3_K x Q8_K dot products: the avx512
 * tier's kernels (q23_k_body.h) with each word multiply-add and sum fused into
 * one vpdpwssd. */
#define KQ512_VNNI
#include "../avx512/q23_k_body.h"
