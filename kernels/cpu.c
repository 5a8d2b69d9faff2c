/* cpu.c - which SIMD tiers this CPU and OS can run (CONVENTIONS §6).
 *
 * Compiled without ISA flags: it must run on any CPU of the architecture.
 * Detects features, never CPU models. On x86-64 a tier needs both the cpuid
 * feature bits and the XCR0 bits proving the OS saves the wider registers
 * (a CPU with AVX-512 under an OS that does not save ZMM must not use it).
 */
#include "cpu.h"

#if defined(__x86_64__)
#include <cpuid.h> /* __get_cpuid_count */
#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h> /* getauxval, AT_HWCAP */
#endif

#if defined(__x86_64__)
/* XCR0 via xgetbv(0); only valid when cpuid says OSXSAVE. Written as inline
 * assembly so that this file needs no -mxsave flag. */
static unsigned long long read_xcr0(void) {
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

static unsigned x86_features(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid_count(1, 0, &a, &b, &c, &d))
        return 0;
    const bool fma = c & (1u << 12), osxsave = c & (1u << 27), avx = c & (1u << 28),
               f16c = c & (1u << 29);
    if (!osxsave || !avx)
        return 0;
    const unsigned long long xcr0 = read_xcr0();
    const bool os_ymm = (xcr0 & 0x6) == 0x6;    /* SSE and AVX state */
    const bool os_zmm = (xcr0 & 0xe6) == 0xe6;  /* + opmask, ZMM_Hi256, Hi16_ZMM */
    unsigned max_leaf = __get_cpuid_max(0, 0);
    if (max_leaf < 7 || !__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return 0;
    const bool avx2 = b & (1u << 5), avx512f = b & (1u << 16), avx512bw = b & (1u << 30),
               avx512vl = b & (1u << 31), vnni = c & (1u << 11), gfni = c & (1u << 8);
    unsigned mask = 0;
    if (avx2 && fma && f16c && os_ymm)
        mask |= HEARTH_CPU_TIER_AVX2;
    if ((mask & HEARTH_CPU_TIER_AVX2) && avx512f && avx512bw && avx512vl && os_zmm)
        mask |= HEARTH_CPU_TIER_AVX512;
    if ((mask & HEARTH_CPU_TIER_AVX512) && vnni)
        mask |= HEARTH_CPU_TIER_AVX512VNNI;
    if ((mask & HEARTH_CPU_TIER_AVX512VNNI) && gfni)
        mask |= HEARTH_CPU_GFNI;
    return mask;
}
#endif

unsigned hearth_cpu_features(void) {
#if defined(__x86_64__)
    return x86_features();
#elif defined(__aarch64__) && defined(__linux__)
    /* AdvSIMD is mandatory in AArch64 Linux; HWCAP_ASIMDDP is bit 20. */
    unsigned mask = HEARTH_CPU_TIER_NEON;
    if (getauxval(AT_HWCAP) & (1ul << 20))
        mask |= HEARTH_CPU_TIER_NEON_DOTPROD;
    return mask;
#elif defined(__aarch64__)
    return HEARTH_CPU_TIER_NEON;
#else
    return 0;
#endif
}

bool hearth_cpu_has_tier(unsigned cpu, hearth_isa isa) {
    switch (isa) {
    case HEARTH_ISA_AUTO:
    case HEARTH_ISA_SCALAR:
        return true;
    case HEARTH_ISA_AVX2:
        return cpu & HEARTH_CPU_TIER_AVX2;
    case HEARTH_ISA_AVX512:
        return cpu & HEARTH_CPU_TIER_AVX512;
    case HEARTH_ISA_AVX512VNNI:
        return cpu & HEARTH_CPU_TIER_AVX512VNNI;
    case HEARTH_ISA_NEON:
        return cpu & HEARTH_CPU_TIER_NEON;
    case HEARTH_ISA_NEON_DOTPROD:
        return cpu & HEARTH_CPU_TIER_NEON_DOTPROD;
    }
    return false;
}

hearth_isa hearth_cpu_best_tier(unsigned cpu) {
    static const hearth_isa order[] = {HEARTH_ISA_AVX512VNNI, HEARTH_ISA_AVX512,
                                       HEARTH_ISA_AVX2, HEARTH_ISA_NEON_DOTPROD,
                                       HEARTH_ISA_NEON};
    for (unsigned i = 0; i < sizeof order / sizeof order[0]; i++)
        if (hearth_cpu_has_tier(cpu, order[i]))
            return order[i];
    return HEARTH_ISA_SCALAR;
}
