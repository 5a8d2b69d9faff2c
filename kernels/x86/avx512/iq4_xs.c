/* iq4_xs.c (AVX-512) - IQ4_XS x Q8_K dot products (iq4_xs_body.h: signed
 * levels through vpmaddubsw with the sign moved to the activations). */
#include "iq4_xs_body.h"
