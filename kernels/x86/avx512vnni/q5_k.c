/* q5_k.c (AVX-512 VNNI) - Q5_K x Q8_K dot products: the avx512 tier's Q5_K
 * kernel (q4_k_body.h with its fifth bit) with vpdpwssd. */
#define KQ512_VNNI
#define Q45_FIFTH_BIT
#include "../avx512/q4_k_body.h"
