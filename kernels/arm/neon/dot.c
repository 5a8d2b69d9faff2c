/* dot.c - the neon tier's block dot kernels (int8 products with smull/smlal
 * and pairwise widening adds). Shared code with the dotprod tier:
 * neon_dot.h.
 */
#define NEON_TIER neon
#include "neon_dot.h"
