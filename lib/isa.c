/* isa.c - the public names and availability of the ISA tiers (hearth.h).
 *
 * Thin layer over kernels/cpu.c: names <-> enum values, and whether this CPU
 * runs a tier. It never reads the environment (HEARTH_ISA is the programs'
 * business) and keeps no state.
 */
#include <string.h> /* strcmp */

#include "internal.h"
#include "../kernels/cpu.h" /* hearth_cpu_features, hearth_cpu_has_tier */

static const struct {
    hearth_isa isa;
    const char *name;
} isa_names[] = {
    {HEARTH_ISA_AUTO, "auto"},     {HEARTH_ISA_SCALAR, "scalar"},
    {HEARTH_ISA_AVX2, "avx2"},     {HEARTH_ISA_AVX512, "avx512"},
    {HEARTH_ISA_AVX512VNNI, "avx512vnni"}, {HEARTH_ISA_NEON, "neon"},
    {HEARTH_ISA_NEON_DOTPROD, "neon-dotprod"},
};

const char *hearth_isa_name(hearth_isa isa) {
    for (size_t i = 0; i < sizeof isa_names / sizeof isa_names[0]; i++)
        if (isa_names[i].isa == isa)
            return isa_names[i].name;
    return "unknown";
}

hearth_status hearth_isa_from_name(const char *name, hearth_isa *out) {
    if (!name || !out)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "hearth_isa_from_name: NULL argument");
    for (size_t i = 0; i < sizeof isa_names / sizeof isa_names[0]; i++) {
        if (strcmp(isa_names[i].name, name) == 0) {
            *out = isa_names[i].isa;
            return HEARTH_OK;
        }
    }
    return hearth_set_error(HEARTH_ERR_INVALID_ARG,
                            "unknown ISA tier '%s' (expected auto, scalar, avx2, avx512, "
                            "avx512vnni, neon or neon-dotprod)",
                            name);
}

bool hearth_isa_supported(hearth_isa isa) {
    return hearth_cpu_has_tier(hearth_cpu_features(), isa);
}

hearth_isa hearth_isa_best(void) {
    return hearth_cpu_best_tier(hearth_cpu_features());
}
