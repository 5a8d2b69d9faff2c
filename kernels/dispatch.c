/* dispatch.c - builds a context's kernel table for one ISA tier (STYLE §7).
 *
 * Compiled without ISA flags. The table starts as the scalar reference, then
 * every tier up to the requested one patches the slots it implements, in
 * order, so a tier only has to ship the kernels it speeds up. A tier is
 * patched in only when hearth_cpu_features() says the CPU and OS have it:
 * that is the one guard against SIGILL. No globals, no locks.
 */
#include "cpu.h"     /* hearth_cpu_features, hearth_cpu_has_tier */
#include "kernels.h" /* hearth_kernels, patch functions */

bool hearth_kernels_init(hearth_kernels *k, hearth_isa requested) {
    *k = hearth_kernels_ref;
    const unsigned cpu = hearth_cpu_features();
    if (requested == HEARTH_ISA_AUTO)
        requested = hearth_cpu_best_tier(cpu);
    if (!hearth_cpu_has_tier(cpu, requested))
        return false;
#if defined(__x86_64__)
    if (requested >= HEARTH_ISA_AVX2 && requested <= HEARTH_ISA_AVX512VNNI)
        hearth_kernels_patch_avx2(k);
    if (requested >= HEARTH_ISA_AVX512 && requested <= HEARTH_ISA_AVX512VNNI)
        hearth_kernels_patch_avx512(k);
    if (requested == HEARTH_ISA_AVX512VNNI)
        hearth_kernels_patch_avx512vnni(k);
    if (requested == HEARTH_ISA_AVX512VNNI && (cpu & HEARTH_CPU_GFNI))
        hearth_kernels_patch_avx512vnni_gfni(k);
#elif defined(__aarch64__)
    if (requested == HEARTH_ISA_NEON || requested == HEARTH_ISA_NEON_DOTPROD)
        hearth_kernels_patch_neon(k);
    if (requested == HEARTH_ISA_NEON_DOTPROD)
        hearth_kernels_patch_neon_dotprod(k);
#endif
    k->isa = requested;
    return true;
}
