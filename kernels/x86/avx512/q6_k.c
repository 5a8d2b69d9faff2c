/* q6_k.c (AVX-512) - Q6_K x Q8_K dot products: vec_dot and the matmul tile.
 * The body is shared with the VNNI tier: q6_k_body.h. */
#include "q6_k_body.h"
