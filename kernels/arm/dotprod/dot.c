/* dot.c - the neon_dotprod tier's block dot kernels: as the neon tier, with
 * the int8 products done by sdot (four products summed per int32 lane).
 * Shared code: ../neon/neon_dot.h.
 */
#define NEON_TIER neon_dotprod
#define NEON_HAVE_DOTPROD
#include "../neon/neon_dot.h"
