/* tokenizer_split.c - the pre-tokenizer splits of byte-level BPE vocabularies.
 *
 * Each vocabulary splits text into "words" with a list of regular expressions
 * applied one after another (Hugging Face's Sequence of Split(Isolated)): every
 * regex cuts each piece left by the previous one into its matches and the gaps
 * between them. We do not run a regex engine: each expression is a small
 * hand-written matcher with the exact leftmost-first, greedy, backtracking
 * semantics of that expression (noted above each one), applied to UTF-8 on the
 * fly, and the passes nest, so no per-codepoint array is ever built.
 * Invalid UTF-8 bytes count as "other" characters (not \s, \p{L} or \p{N}), so
 * they travel unchanged to the byte-level BPE.
 */
#include <stdint.h> /* SIZE_MAX */

#include "tokenizer_impl.h"
#include "unicode.h"

typedef const unsigned char uc;

#define END_CP 0xFFFFFFFFu /* past the end of the piece */

static inline uint32_t cp_at(uc *p, uc *e, size_t *len) {
    if (p >= e) {
        *len = 0;
        return END_CP;
    }
    return unicode_decode(p, e, len);
}

static inline unsigned flags_of(uint32_t cp) { return cp == END_CP ? 0 : unicode_flags(cp); }
static inline bool is_ws(uint32_t cp) { return flags_of(cp) & UCF_WHITESPACE; }
static inline bool is_letter(uint32_t cp) { return flags_of(cp) & UCF_LETTER; }
static inline bool is_number(uint32_t cp) { return flags_of(cp) & UCF_NUMBER; }
/* [^\s\p{L}\p{N}] (unassigned codepoints and invalid bytes included). */
static inline bool is_other(uint32_t cp) {
    return cp != END_CP && !(flags_of(cp) & (UCF_WHITESPACE | UCF_LETTER | UCF_NUMBER));
}

/* ---- character classes of the simpler expressions ------------------------------ */
typedef enum cls {
    CLS_CRLF,          /* [\r\n] */
    CLS_LETTER,        /* \p{L} */
    CLS_NUMBER,        /* \p{N} */
    CLS_PUNCT,         /* \p{P} */
    CLS_ASCII_DIGIT,   /* [0-9] */
    CLS_CJK,           /* [一-龥ࠀ-一가-퟿] (DeepSeek) */
    CLS_DS_LETTER,     /* DeepSeek LLM's list of cased-letter ranges */
    CLS_DS_PUNCT,      /* [!-/:-~！-／：-～‘-‟　-。] */
    CLS_FALCON_PUNCT,  /* [\p{P}\$\+<=>\^~\|`] */
    CLS_DEFAULT_PUNCT  /* [\p{P}\$\+<=>\^~\|] */
} cls;

typedef struct range { uint32_t lo, hi; } range;

/* The letter class of DeepSeek LLM's second expression, as written in its
 * tokenizer.json (format fact: these are the ranges, in that order). */
static const range ds_letter[] = {
    {0x41, 0x5A}, {0x61, 0x7A}, {0xB5, 0xB5}, {0xC0, 0xD6}, {0xD8, 0xF6}, {0xF8, 0x1BA},
    {0x1BC, 0x1BF}, {0x1C4, 0x293}, {0x295, 0x2AF}, {0x370, 0x373}, {0x376, 0x377},
    {0x37B, 0x37D}, {0x37F, 0x37F}, {0x386, 0x386}, {0x388, 0x38A}, {0x38C, 0x38C},
    {0x38E, 0x3A1}, {0x3A3, 0x3F5}, {0x3F7, 0x481}, {0x48A, 0x52F}, {0x531, 0x556},
    {0x10A0, 0x10C5}, {0x13A0, 0x13F5}, {0x13F8, 0x13FD}, {0x1C90, 0x1CBA}, {0x1CBD, 0x1CBF},
    {0x1D00, 0x1D2B}, {0x1D6B, 0x1D77}, {0x1D79, 0x1D9A}, {0x1E00, 0x1F15}, {0x1F18, 0x1F1D},
    {0x1F20, 0x1F45}, {0x1F48, 0x1F4D}, {0x1F50, 0x1F57}, {0x1F59, 0x1F59}, {0x1F5B, 0x1F5B},
    {0x1F5D, 0x1F5D}, {0x1F5F, 0x1F7D}, {0x1F80, 0x1FB4}, {0x1FB6, 0x1FBC}, {0x1FBE, 0x1FBE},
    {0x1FC2, 0x1FC4}, {0x1FC6, 0x1FCC}, {0x1FD0, 0x1FD3}, {0x1FD6, 0x1FDB}, {0x1FE0, 0x1FEC},
    {0x1FF2, 0x1FF4}, {0x1FF6, 0x1FFC}, {0x2102, 0x2102}, {0x2107, 0x2107}, {0x210A, 0x2113},
    {0x2115, 0x2115}, {0x2119, 0x211D}, {0x2124, 0x2124}, {0x2126, 0x2126}, {0x2128, 0x2128},
    {0x212A, 0x212D}, {0x212F, 0x2134}, {0x2139, 0x2139}, {0x213C, 0x213F}, {0x2145, 0x2149},
    {0x214E, 0x214E}, {0x2183, 0x2184}, {0x2C00, 0x2C7B}, {0x2C7E, 0x2CE4}, {0x2CEB, 0x2CEE},
    {0x2CF2, 0x2CF3}, {0xA640, 0xA66D}, {0xA680, 0xA69B}, {0xA722, 0xA76F}, {0xA771, 0xA787},
    {0xA78B, 0xA78E}, {0xAB70, 0xABBF}, {0xFB00, 0xFB06}, {0xFB13, 0xFB17}, {0xFF21, 0xFF3A},
    {0xFF41, 0xFF5A}, {0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
    {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
};
static const range ds_punct[] = {{0x21, 0x2F}, {0x3A, 0x7E}, {0xFF01, 0xFF0F},
                                 {0xFF1A, 0xFF5E}, {0x2018, 0x201F}, {0x3000, 0x3002}};
static const range cjk[] = {{0x4E00, 0x9FA5}, {0x0800, 0x4E00}, {0xAC00, 0xD7FF}};

static bool in_ranges(uint32_t cp, const range *r, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (cp >= r[i].lo && cp <= r[i].hi)
            return true;
    return false;
}

static bool in_class(cls c, uint32_t cp) {
    if (cp == END_CP)
        return false;
    switch (c) {
    case CLS_CRLF: return cp == '\r' || cp == '\n';
    case CLS_LETTER: return is_letter(cp);
    case CLS_NUMBER: return is_number(cp);
    case CLS_PUNCT: return flags_of(cp) & UCF_PUNCT;
    case CLS_ASCII_DIGIT: return cp >= '0' && cp <= '9';
    case CLS_CJK: return in_ranges(cp, cjk, sizeof cjk / sizeof *cjk);
    case CLS_DS_LETTER: return in_ranges(cp, ds_letter, sizeof ds_letter / sizeof *ds_letter);
    case CLS_DS_PUNCT: return in_ranges(cp, ds_punct, sizeof ds_punct / sizeof *ds_punct);
    case CLS_FALCON_PUNCT:
        return (flags_of(cp) & UCF_PUNCT) || (cp && cp < 128 && strchr("$+<=>^~|`", (int)cp));
    case CLS_DEFAULT_PUNCT:
        return (flags_of(cp) & UCF_PUNCT) || (cp && cp < 128 && strchr("$+<=>^~|", (int)cp));
    }
    return false;
}

/* ---- the matchers: each returns the end of the match at p, or NULL ------------- */

/* Past the run of characters of kind `k` from p, at most max of them; the
 * count in *n. */
typedef enum run_kind { RUN_LETTER, RUN_NUMBER, RUN_OTHER, RUN_CLASS } run_kind;

static uc *run(uc *p, uc *e, run_kind k, cls c, size_t max, size_t *n_out) {
    size_t n = 0, l;
    while (n < max) {
        uint32_t cp = cp_at(p, e, &l);
        bool in = k == RUN_LETTER   ? is_letter(cp)
                  : k == RUN_NUMBER ? is_number(cp)
                  : k == RUN_OTHER  ? is_other(cp)
                                    : in_class(c, cp);
        if (!in)
            break;
        p += l;
        n++;
    }
    *n_out = n;
    return p;
}

/* 's|'t|'re|'ve|'m|'ll|'d (ci: also with upper-case letters). Returns p+2, p+3 or NULL. */
static uc *match_contraction(uc *p, uc *e, bool ci) {
    if (p[0] != '\'' || e - p < 2)
        return NULL;
    unsigned a = p[1], b = e - p >= 3 ? p[2] : 0;
    if (ci) {
        a = (a >= 'A' && a <= 'Z') ? a + 32 : a;
        b = (b >= 'A' && b <= 'Z') ? b + 32 : b;
    }
    if (a == 's' || a == 't' || a == 'm' || a == 'd')
        return p + 2;
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
        return p + 3;
    return NULL;
}

/* \s+(?!\S)|\s+ at a whitespace character: the whole run when it ends the
 * piece or is one character long, otherwise all but its last character (which
 * then leads the next word, " world"). */
static uc *match_spaces(uc *p, uc *e) {
    uc *q = p, *last = p;
    size_t n = 0, l;
    while (is_ws(cp_at(q, e, &l))) {
        last = q;
        q += l;
        n++;
    }
    if (n > 1 && q < e)
        return last;
    return q;
}

/* GPT-2:  's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
static uc *match_gpt2(uc *p, uc *e) {
    uc *m = match_contraction(p, e, false);
    if (m)
        return m;
    size_t l, l2, n;
    uint32_t c = cp_at(p, e, &l);
    uc *q = p;
    uint32_t d = c;
    if (c == ' ') { /* the optional leading space binds to what follows */
        d = cp_at(p + 1, e, &l2);
        if (is_letter(d) || is_number(d) || is_other(d))
            q = p + 1;
        else
            d = c;
    }
    if (is_letter(d))
        return run(q, e, RUN_LETTER, 0, SIZE_MAX, &n);
    if (is_number(d))
        return run(q, e, RUN_NUMBER, 0, SIZE_MAX, &n);
    if (is_other(d))
        return run(q, e, RUN_OTHER, 0, SIZE_MAX, &n);
    if (is_ws(c))
        return match_spaces(p, e);
    return p + l; /* unreachable: every character is \s, L, N or other */
}

/* Llama 3 (max_digits 3) and Qwen2 (max_digits 1):
 * (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|
 * \s*[\r\n]+|\s+(?!\S)|\s+ */
static uc *match_llama3(uc *p, uc *e, size_t max_digits) {
    uc *m = match_contraction(p, e, true);
    if (m)
        return m;
    size_t l, l2, n;
    uint32_t c = cp_at(p, e, &l);
    if (c != '\r' && c != '\n' && !is_number(c)) {
        /* one optional non-letter prefix character, then letters */
        uc *q = NULL;
        if (is_letter(c))
            q = p;
        else if (is_letter(cp_at(p + l, e, &l2)))
            q = p + l;
        if (q)
            return run(q, e, RUN_LETTER, 0, SIZE_MAX, &n);
    }
    if (is_number(c))
        return run(p, e, RUN_NUMBER, 0, max_digits, &n);
    {
        uc *q = NULL;
        if (c == ' ' && is_other(cp_at(p + 1, e, &l2)))
            q = p + 1;
        else if (is_other(c))
            q = p;
        if (q) {
            q = run(q, e, RUN_OTHER, 0, SIZE_MAX, &n);
            while (q < e && (*q == '\r' || *q == '\n'))
                q++;
            return q;
        }
    }
    if (is_ws(c)) {
        /* \s*[\r\n]+ : up to and including the last \r or \n of the run */
        uc *q = p, *after_nl = NULL;
        uint32_t w;
        while (is_ws(w = cp_at(q, e, &l2))) {
            q += l2;
            if (w == '\r' || w == '\n')
                after_nl = q;
        }
        if (after_nl)
            return after_nl;
        return match_spaces(p, e);
    }
    return p + l;
}

/* \s?C+ / C / C+ / C{n}: `ws_prefix` allows one leading whitespace character;
 * between min and max characters of class C, greedily. */
static uc *match_run(uc *p, uc *e, cls c, bool ws_prefix, size_t min, size_t max) {
    size_t l, n;
    uint32_t first = cp_at(p, e, &l);
    if (ws_prefix && is_ws(first)) {
        uc *q = run(p + l, e, RUN_CLASS, c, max, &n);
        if (n >= min && n > 0)
            return q;
    }
    uc *q = run(p, e, RUN_CLASS, c, max, &n);
    return (n >= min && n > 0) ? q : NULL;
}

/* ---- passes -------------------------------------------------------------------- */

typedef enum pass_kind { P_GPT2, P_LLAMA3, P_RUN, P_TRAILING_WS } pass_kind;

typedef struct pass {
    pass_kind kind;
    cls c;          /* P_RUN */
    bool ws_prefix; /* P_RUN: \s? in front */
    size_t min, max; /* P_RUN counts; P_LLAMA3: max digits in max */
} pass;

#define RUN_PASS(c, ws, lo, hi) {P_RUN, (c), (ws), (lo), (hi)}
#define MANY SIZE_MAX

static const pass pre_default[] = {RUN_PASS(CLS_DEFAULT_PUNCT, false, 1, MANY),
                                   {P_GPT2, 0, 0, 0, 0},
                                   RUN_PASS(CLS_NUMBER, false, 1, MANY),
                                   RUN_PASS(CLS_ASCII_DIGIT, false, 3, 3)};
static const pass pre_llama3[] = {{P_LLAMA3, 0, 0, 0, 3}};
static const pass pre_qwen2[] = {{P_LLAMA3, 0, 0, 0, 1}};
static const pass pre_gpt2[] = {{P_GPT2, 0, 0, 0, 0}};
static const pass pre_deepseek_llm[] = {
    RUN_PASS(CLS_CRLF, false, 1, 1),         RUN_PASS(CLS_DS_LETTER, true, 1, MANY),
    RUN_PASS(CLS_DS_PUNCT, true, 1, MANY),   {P_TRAILING_WS, 0, 0, 0, 0},
    RUN_PASS(CLS_CJK, false, 1, MANY),       RUN_PASS(CLS_NUMBER, false, 1, MANY)};
static const pass pre_deepseek_coder[] = {
    RUN_PASS(CLS_CRLF, false, 1, 1), RUN_PASS(CLS_LETTER, true, 1, MANY),
    RUN_PASS(CLS_PUNCT, true, 1, MANY), RUN_PASS(CLS_CJK, false, 1, MANY),
    RUN_PASS(CLS_NUMBER, false, 1, 1)};
static const pass pre_falcon[] = {RUN_PASS(CLS_FALCON_PUNCT, false, 1, MANY),
                                  {P_GPT2, 0, 0, 0, 0},
                                  RUN_PASS(CLS_ASCII_DIGIT, false, 3, 3)};
static const pass pre_starcoder[] = {RUN_PASS(CLS_NUMBER, false, 1, 1), {P_GPT2, 0, 0, 0, 0}};

static const struct {
    const pass *passes;
    size_t n;
} pre_table[TOK_PRE_COUNT] = {
#define PASSES(a) {a, sizeof a / sizeof *a}
    [TOK_PRE_DEFAULT] = PASSES(pre_default),
    [TOK_PRE_LLAMA3] = PASSES(pre_llama3),
    [TOK_PRE_QWEN2] = PASSES(pre_qwen2),
    [TOK_PRE_GPT2] = PASSES(pre_gpt2),
    [TOK_PRE_DEEPSEEK_LLM] = PASSES(pre_deepseek_llm),
    [TOK_PRE_DEEPSEEK_CODER] = PASSES(pre_deepseek_coder),
    [TOK_PRE_FALCON] = PASSES(pre_falcon),
    [TOK_PRE_STARCODER] = PASSES(pre_starcoder),
#undef PASSES
};

typedef struct split_ctx {
    const pass *passes;
    size_t n_passes;
    tok_word_fn emit;
    void *user;
} split_ctx;

static bool split_piece(const split_ctx *sc, size_t k, uc *s, uc *e);

/* Hands a match or a gap to the next pass (or out, after the last pass). */
static inline bool forward(const split_ctx *sc, size_t k, uc *s, uc *e) {
    if (k + 1 == sc->n_passes)
        return sc->emit(sc->user, (const char *)s, (size_t)(e - s));
    return split_piece(sc, k + 1, s, e);
}

static bool split_piece(const split_ctx *sc, size_t k, uc *s, uc *e) {
    const pass *ps = &sc->passes[k];
    if (ps->kind == P_TRAILING_WS) { /* \s+$ */
        uc *p = s, *run = NULL;
        size_t l;
        while (p < e) {
            uint32_t c = cp_at(p, e, &l);
            if (is_ws(c)) {
                if (!run)
                    run = p;
            } else {
                run = NULL;
            }
            p += l;
        }
        if (run && run > s && !forward(sc, k, s, run))
            return false;
        return forward(sc, k, run ? run : s, e);
    }
    uc *p = s, *gap = s;
    while (p < e) {
        uc *m;
        switch (ps->kind) {
        case P_GPT2: m = match_gpt2(p, e); break;
        case P_LLAMA3: m = match_llama3(p, e, ps->max); break;
        default: m = match_run(p, e, ps->c, ps->ws_prefix, ps->min, ps->max); break;
        }
        if (!m) {
            size_t l;
            cp_at(p, e, &l);
            p += l;
            continue;
        }
        if (gap < p && !forward(sc, k, gap, p))
            return false;
        if (!forward(sc, k, p, m))
            return false;
        p = gap = m;
    }
    if (gap < e)
        return forward(sc, k, gap, e);
    return true;
}

bool tokenizer_split(tok_pre pre, const char *text, size_t len, tok_word_fn emit, void *user) {
    if ((unsigned)pre >= TOK_PRE_COUNT)
        pre = TOK_PRE_DEFAULT;
    if (len == 0)
        return true;
    split_ctx sc = {pre_table[pre].passes, pre_table[pre].n, emit, user};
    uc *s = (uc *)text;
    return split_piece(&sc, 0, s, s + len);
}
