/* cpu.h - CPU feature detection for kernel dispatch (STYLE §7).
 *
 * hearth_cpu_features() is a pure function of the machine: it asks the CPU
 * (cpuid + xgetbv on x86-64, getauxval on Linux/aarch64) and returns a bitmask
 * of whole tiers (and of the one extension below), each bit set only when the
 * OS also saves the registers the tier uses. It keeps no state, so every
 * caller may call it at any time.
 */
#ifndef HEARTH_KERNELS_CPU_H
#define HEARTH_KERNELS_CPU_H

#include <stdbool.h>

#include "hearth.h" /* hearth_isa */

enum {
    HEARTH_CPU_TIER_AVX2 = 1u << 0,       /* AVX, AVX2, FMA, F16C; OS saves YMM */
    HEARTH_CPU_TIER_AVX512 = 1u << 1,     /* + AVX-512 F/BW/VL; OS saves ZMM and opmasks */
    HEARTH_CPU_TIER_AVX512VNNI = 1u << 2, /* + AVX512_VNNI */
    HEARTH_CPU_TIER_NEON = 1u << 3,       /* AdvSIMD (baseline on aarch64) */
    HEARTH_CPU_TIER_NEON_DOTPROD = 1u << 4, /* + SDOT/UDOT (ARMv8.2 dotprod) */
    /* Not a tier: an extension some kernels of the avx512vnni tier use when it
     * is there (GF2P8AFFINEQB on zmm), set only together with that tier. */
    HEARTH_CPU_GFNI = 1u << 5
};

/* Bitmask of HEARTH_CPU_TIER_* (and HEARTH_CPU_GFNI) this CPU and OS support.
 * Thread-safe, no state. */
unsigned hearth_cpu_features(void);

/* True when the feature mask `cpu` contains everything tier `isa` needs.
 * SCALAR is always true; AUTO is true; unknown values are false. */
bool hearth_cpu_has_tier(unsigned cpu, hearth_isa isa);

/* The highest tier contained in `cpu` (SCALAR when none). */
hearth_isa hearth_cpu_best_tier(unsigned cpu);

#endif /* HEARTH_KERNELS_CPU_H */
