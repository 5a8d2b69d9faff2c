/* q4_k.c (AVX-512) - Q4_K x Q8_K dot products: vec_dot and the matmul tile.
 * The body is shared with the VNNI tier: q4_k_body.h. */
#include "q4_k_body.h"
