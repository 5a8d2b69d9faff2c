/* q5_k.c (AVX-512) - Q5_K x Q8_K dot products: the Q4_K kernel with its fifth
 * bit (q4_k_body.h). */
#define Q45_FIFTH_BIT
#include "q4_k_body.h"
