/* q23_k.c (AVX-512) - Q2_K and Q3_K x Q8_K dot products (q23_k_body.h). */
#include "q23_k_body.h"
