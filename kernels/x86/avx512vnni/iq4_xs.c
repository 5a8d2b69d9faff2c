/* iq4_xs.c (AVX-512 VNNI) - IQ4_XS x Q8_K dot products (iq4_xs_body.h: levels
 * biased to unsigned through vpdpbusd). */
#define KQ512_VNNI
#include "../avx512/iq4_xs_body.h"
