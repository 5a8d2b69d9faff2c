/* unicode.h - the few Unicode facts the tokenizers need (owned by lib/unicode*.c).
 *
 * Codepoint flags (general category groups and White_Space), simple lowercase,
 * and BERT-style accent stripping come from tables generated out of the Unicode
 * Character Database by lib/unicode_data_gen.py (lib/unicode_data.c). All tables
 * are const: nothing here has state, so every function is thread-safe.
 *
 * Invalid UTF-8: unicode_decode() never reads past `end`; a byte that does not
 * start a valid, complete, shortest-form sequence decodes as the pseudo-codepoint
 * UNICODE_INVALID_BASE + byte (length 1), whose flags are UCF_INVALID, so callers
 * can carry the raw byte through unchanged.
 */
#ifndef HEARTH_UNICODE_H
#define HEARTH_UNICODE_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint32_t */

enum {
    UCF_LETTER = 0x001,     /* \p{L} */
    UCF_NUMBER = 0x002,     /* \p{N} */
    UCF_PUNCT = 0x004,      /* \p{P} */
    UCF_SYMBOL = 0x008,     /* \p{S} */
    UCF_MARK = 0x010,       /* \p{M} */
    UCF_SEPARATOR = 0x020,  /* \p{Z} */
    UCF_CONTROL = 0x040,    /* \p{C} except Cn (Cc, Cf, Co, Cs) */
    UCF_WHITESPACE = 0x080, /* White_Space property: what regex \s matches */
    UCF_NONSPACING = 0x100, /* Mn, the marks BERT's accent stripping removes */
    UCF_INVALID = 0x200     /* a byte of invalid UTF-8 (never set by the tables) */
};

#define UNICODE_INVALID_BASE 0x110000u /* pseudo-codepoints 0x110000 + byte */

/* Generated tables (lib/unicode_data.c). */
typedef struct unicode_lower_run {
    uint32_t first;  /* first codepoint of the run */
    uint16_t count;  /* codepoints first, first + stride, ... (count of them) */
    uint8_t stride;  /* 1 or 2 */
    int32_t delta;   /* lowercase = codepoint + delta */
} unicode_lower_run;
typedef struct unicode_strip_range {
    uint32_t first, last, result; /* every codepoint in [first, last] strips to result */
} unicode_strip_range;
typedef struct unicode_strip_multi {
    uint32_t cp;
    uint32_t n;         /* 2 or 3 characters remain after stripping */
    uint32_t result[3];
} unicode_strip_multi;

extern const uint16_t unicode_ascii_flags[128];
extern const uint32_t unicode_flag_ranges_count;
extern const uint32_t unicode_flag_ranges[]; /* sorted; (first << 9) | flags */
extern const uint32_t unicode_lower_runs_count;
extern const unicode_lower_run unicode_lower_runs[];
extern const uint32_t unicode_strip_ranges_count;
extern const unicode_strip_range unicode_strip_ranges[];
extern const uint32_t unicode_strip_multi_count;
extern const unicode_strip_multi unicode_strip_multi_table[];

/* Flags of a codepoint (0 for unassigned ones, UCF_INVALID for invalid bytes). */
unsigned unicode_flags(uint32_t cp);

/* Decodes one character at s[0..] (s < end). Writes its byte length to *len. */
static inline uint32_t unicode_decode(const unsigned char *s, const unsigned char *end,
                                      size_t *len) {
    unsigned c = s[0];
    if (c < 0x80) {
        *len = 1;
        return c;
    }
    size_t n;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2, cp = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, cp = c & 0x07, min = 0x10000;
    } else {
        *len = 1;
        return UNICODE_INVALID_BASE + c;
    }
    if ((size_t)(end - s) < n) {
        *len = 1;
        return UNICODE_INVALID_BASE + c;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *len = 1;
            return UNICODE_INVALID_BASE + c;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    /* Overlong forms, surrogates and values past U+10FFFF are invalid too. */
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        *len = 1;
        return UNICODE_INVALID_BASE + c;
    }
    *len = n;
    return cp;
}

/* Writes the UTF-8 form of cp (or the raw byte of a pseudo-codepoint) to out
 * (room for 4 bytes); returns its length. */
size_t unicode_encode(uint32_t cp, char *out);

/* Simple (one-to-one) lowercase mapping; cp itself when it has none. */
uint32_t unicode_tolower(uint32_t cp);

/* BERT accent stripping: canonical decomposition with nonspacing marks removed.
 * Writes up to 3 codepoints to out and returns how many (0 for a lone Mn mark). */
size_t unicode_strip_accents(uint32_t cp, uint32_t out[3]);

#endif /* HEARTH_UNICODE_H */
