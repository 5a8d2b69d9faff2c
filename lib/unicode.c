/* unicode.c - codepoint flags, lowercase, accent stripping, UTF-8 helpers.
 *
 * Lookups are binary searches over the generated const tables of
 * unicode_data.c (ASCII has a direct table because English text is the hot
 * path of every pre-tokenizer). No state, no allocation: thread-safe.
 */
#include "unicode.h"

#include "internal.h" /* HEARTH_API visibility for hearth_utf8_complete_len */

unsigned unicode_flags(uint32_t cp) {
    if (cp < 128)
        return unicode_ascii_flags[cp];
    if (cp >= UNICODE_INVALID_BASE)
        return UCF_INVALID;
    /* Last range whose first codepoint is <= cp (entry 0 starts at 0). */
    uint32_t lo = 0, hi = unicode_flag_ranges_count;
    while (hi - lo > 1) {
        uint32_t mid = (lo + hi) / 2;
        if ((unicode_flag_ranges[mid] >> 9) <= cp)
            lo = mid;
        else
            hi = mid;
    }
    return unicode_flag_ranges[lo] & 0x1FF;
}

size_t unicode_encode(uint32_t cp, char *out) {
    unsigned char *o = (unsigned char *)out;
    if (cp >= UNICODE_INVALID_BASE) {
        o[0] = (unsigned char)(cp - UNICODE_INVALID_BASE);
        return 1;
    }
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

uint32_t unicode_tolower(uint32_t cp) {
    if (cp < 128)
        return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
    /* Last run starting at or before cp. */
    uint32_t lo = 0, hi = unicode_lower_runs_count;
    if (hi == 0 || unicode_lower_runs[0].first > cp)
        return cp;
    while (hi - lo > 1) {
        uint32_t mid = (lo + hi) / 2;
        if (unicode_lower_runs[mid].first <= cp)
            lo = mid;
        else
            hi = mid;
    }
    const unicode_lower_run *r = &unicode_lower_runs[lo];
    uint32_t off = cp - r->first;
    if (off % r->stride == 0 && off / r->stride < r->count)
        return (uint32_t)((int32_t)cp + r->delta);
    return cp;
}

/* Hangul syllables decompose algorithmically (Unicode §3.12): L V [T] jamo. */
enum { HANGUL_S = 0xAC00, HANGUL_L = 0x1100, HANGUL_V = 0x1161, HANGUL_T = 0x11A7,
       HANGUL_VN = 21, HANGUL_TN = 28, HANGUL_N = 11172 };

size_t unicode_strip_accents(uint32_t cp, uint32_t out[3]) {
    if (cp < 0xC0) {
        out[0] = cp;
        return 1;
    }
    if (cp >= HANGUL_S && cp < HANGUL_S + HANGUL_N) {
        uint32_t s = cp - HANGUL_S;
        out[0] = HANGUL_L + s / (HANGUL_VN * HANGUL_TN);
        out[1] = HANGUL_V + (s % (HANGUL_VN * HANGUL_TN)) / HANGUL_TN;
        if (s % HANGUL_TN == 0)
            return 2;
        out[2] = HANGUL_T + s % HANGUL_TN;
        return 3;
    }
    if (unicode_flags(cp) & UCF_NONSPACING)
        return 0;
    uint32_t lo = 0, hi = unicode_strip_ranges_count;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (unicode_strip_ranges[mid].last < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < unicode_strip_ranges_count && unicode_strip_ranges[lo].first <= cp) {
        out[0] = unicode_strip_ranges[lo].result;
        return 1;
    }
    for (uint32_t i = 0; i < unicode_strip_multi_count; i++) {
        const unicode_strip_multi *m = &unicode_strip_multi_table[i];
        if (m->cp == cp) {
            for (uint32_t k = 0; k < m->n; k++)
                out[k] = m->result[k];
            return m->n;
        }
    }
    out[0] = cp;
    return 1;
}

/* ---- public streaming helper ------------------------------------------------ */

size_t hearth_utf8_complete_len(const char *buf, size_t n) {
    if (!buf)
        return 0;
    const unsigned char *s = (const unsigned char *)buf;
    /* Only the last 3 bytes can start an unfinished character: look back at most
     * 3 bytes for a lead byte whose sequence runs past the end. */
    size_t back = n < 3 ? n : 3;
    for (size_t k = 1; k <= back; k++) {
        unsigned c = s[n - k];
        if ((c & 0xC0) == 0x80)
            continue; /* continuation byte: keep looking for its lead */
        size_t need = (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3
                    : (c >= 0xF0 && c <= 0xF4) ? 4 : 1;
        if (need > k) {
            /* Hold back only when the bytes present could still become valid. */
            size_t dummy;
            unsigned char tmp[4] = {0, 0, 0, 0};
            for (size_t i = 0; i < k; i++)
                tmp[i] = s[n - k + i];
            for (size_t i = k; i < need; i++)
                tmp[i] = 0x80 | (c == 0xE0 ? 0x20 : c == 0xF0 ? 0x10 : 0);
            if (unicode_decode(tmp, tmp + need, &dummy) < UNICODE_INVALID_BASE)
                return n - k;
        }
        break;
    }
    return n;
}
