/* convert.c - IEEE binary16 and bfloat16 <-> binary32, one value at a time.
 *
 * Pure integer bit manipulation so the result never depends on the compiler,
 * the FPU mode or the CPU: these are the conversions every tier must match
 * (x86 F16C `vcvtps2ph` with round-to-nearest-even gives the same bits).
 */
#include <string.h> /* memcpy for type punning */

#include "../kernels.h"

static inline uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float bits_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* binary16 -> binary32, exact (every half is a float): normals re-bias the
 * exponent (15 -> 127), subnormals are normalised, Inf/NaN keep their payload. */
float hearth_f16_to_f32(hearth_f16 h) {
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t man = h & 0x3ffu;
    if (exp == 0x1f)
        return bits_f32(sign | 0x7f800000u | (man << 13));
    if (exp == 0) {
        if (man == 0)
            return bits_f32(sign);
        /* subnormal: value = man * 2^-24; shift until the implicit bit appears */
        exp = 127 - 15 + 1;
        while (!(man & 0x400u)) {
            man <<= 1;
            exp--;
        }
        man &= 0x3ffu;
        return bits_f32(sign | (exp << 23) | (man << 13));
    }
    return bits_f32(sign | ((exp + 127 - 15) << 23) | (man << 13));
}

/* binary32 -> binary16, round to nearest, ties to even. Overflow gives Inf,
 * NaN stays NaN (quiet bit set), tiny values round into subnormals or zero. */
hearth_f16 hearth_f32_to_f16(float f) {
    const uint32_t u = f32_bits(f);
    const uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    const uint32_t abs = u & 0x7fffffffu;
    if (abs >= 0x7f800000u) /* Inf or NaN */
        return sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u | ((abs >> 13) & 0x3ffu) : 0);
    if (abs >= 0x477ff000u) /* rounds to >= 65520: overflow to Inf */
        return sign | 0x7c00u;
    if (abs < 0x38800000u) { /* below the smallest normal half, 2^-14 */
        if (abs < 0x33000000u) /* < 2^-25: rounds to zero (ties to even -> 0) */
            return sign;
        /* subnormal: value / 2^-24 rounded to an integer, ties to even */
        const uint32_t e = abs >> 23;
        const uint32_t m = (abs & 0x7fffffu) | 0x800000u;
        const uint32_t shift = 126 - e; /* so that m >> shift = value * 2^24 */
        uint32_t q = m >> shift;
        const uint32_t rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (q & 1)))
            q++;
        return sign | (uint16_t)q;
    }
    /* normal: drop 13 mantissa bits with ties to even; a carry into the
     * exponent is correct (it rounds up to the next binade or to Inf) */
    uint32_t r = abs - ((127 - 15) << 23);
    const uint32_t rem = r & 0x1fffu;
    r >>= 13;
    if (rem > 0x1000u || (rem == 0x1000u && (r & 1)))
        r++;
    return sign | (uint16_t)r;
}

/* bfloat16 -> binary32: the upper half of the float, exact. */
float hearth_bf16_to_f32(hearth_bf16 h) {
    return bits_f32((uint32_t)h << 16);
}

/* binary32 -> bfloat16, round to nearest even; NaN becomes a quiet NaN. */
hearth_bf16 hearth_f32_to_bf16(float f) {
    const uint32_t u = f32_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (hearth_bf16)((u >> 16) | 0x40u);
    return (hearth_bf16)((u + 0x7fffu + ((u >> 16) & 1)) >> 16);
}
