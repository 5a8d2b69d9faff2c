/* q4_k_x4.c (AVX-512) - Q4_K x Q8_K dot products over rows in the X4 layout.
 * The body is shared with the VNNI tier: q4_k_x4_body.h. */
#include "q4_k_x4_body.h"
