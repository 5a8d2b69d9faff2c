/* tokenizer_vocab.c - building a tokenizer: token table, lookup hashes, merges,
 * special tokens and their defaults, and reading all of it from GGUF metadata.
 *
 * Everything here runs once at load; afterwards the tokenizer is immutable.
 * Start-up time matters (hearth-tokenize is run hundreds of times on 150k-token
 * vocabularies), so tables are flat arrays with open addressing, built in one
 * pass, and nothing is sorted except the short list of special tokens.
 */
#include <stdio.h>    /* sscanf */
#include <sys/mman.h> /* mmap: big hash tables arrive zeroed and pre-faulted */
#include <stdlib.h> /* calloc, malloc, free, qsort */
#include <string.h> /* memcpy, strcmp, strstr */

#include "tokenizer_impl.h"
#include "unicode.h"

/* ---- GPT-2 byte alphabet ----------------------------------------------------
 * Bytes that are printable Latin-1 (! .. ~, ¡ .. ¬, ® .. ÿ) stand for
 * themselves; the other 68 bytes are numbered from U+0100 upwards in byte order. */
static bool byte_is_printable(unsigned b) {
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
}

uint32_t tok_byte_to_cp(unsigned char b) {
    if (byte_is_printable(b))
        return b;
    /* The 68 others, in byte order: 0x00-0x20, 0x7F-0xA0, 0xAD. */
    if (b <= 0x20)
        return 0x100 + b;
    if (b >= 0x7F && b <= 0xA0)
        return 0x100 + 33 + (b - 0x7F);
    return 0x100 + 67; /* 0xAD */
}

int tok_cp_to_byte(uint32_t cp) {
    if (cp < 0x100)
        return byte_is_printable(cp) ? (int)cp : -1;
    if (cp < 0x100 + 33)
        return (int)(cp - 0x100);
    if (cp < 0x100 + 67)
        return (int)(cp - 0x100 - 33 + 0x7F);
    if (cp == 0x100 + 67)
        return 0xAD;
    return -1;
}

/* Decodes byte-alphabet text into raw bytes (out has room for len bytes).
 * Returns the byte count, or -1 if a character is outside the alphabet. */
static long decode_byte_alphabet(const char *s, size_t len, char *out) {
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    long n = 0;
    while (p < end) {
        if (*p >= 0x21 && *p <= 0x7E) { /* printable ASCII stands for itself */
            out[n++] = (char)*p++;
            continue;
        }
        size_t cl;
        uint32_t cp = unicode_decode(p, end, &cl);
        int b = tok_cp_to_byte(cp);
        if (b < 0)
            return -1;
        out[n++] = (char)b;
        p += cl;
    }
    return n;
}

/* ---- construction -------------------------------------------------------------- */

uint16_t tokenizer_attr_from_gguf_type(int64_t type) {
    switch (type) {
    case 1: return TOK_ATTR_NORMAL;
    case 2: return TOK_ATTR_UNKNOWN;
    case 3: return TOK_ATTR_CONTROL;
    case 4: return TOK_ATTR_USER_DEFINED;
    case 5: return TOK_ATTR_UNUSED;
    case 6: return TOK_ATTR_BYTE;
    default: return TOK_ATTR_UNDEFINED;
    }
}

tokenizer_opts tokenizer_default_opts(void) {
    tokenizer_opts o;
    memset(&o, 0, sizeof o);
    o.bos = o.eos = o.eot = o.eom = o.unk = o.sep = o.pad = TOK_UNSET;
    o.add_bos = o.add_eos = o.add_space_prefix = TOK_UNSET;
    return o;
}

hearth_status tokenizer_create(tokenizer **out, tok_model model, int32_t n_vocab,
                               hearth_errbuf *err) {
    *out = NULL;
    if (n_vocab <= 0 || model > TOK_MODEL_WPM)
        return hearth_fail(err, HEARTH_ERR_INVALID_ARG, "tokenizer: %d tokens, model %d",
                           (int)n_vocab, (int)model);
    tokenizer *t = calloc(1, sizeof *t);
    if (!t)
        return hearth_fail(err, HEARTH_ERR_NOMEM, "tokenizer: out of memory");
    t->model = model;
    t->n_vocab = n_vocab;
    t->text_off = calloc((size_t)n_vocab + 1, sizeof *t->text_off);
    t->score = calloc((size_t)n_vocab, sizeof *t->score);
    t->attr = calloc((size_t)n_vocab, sizeof *t->attr);
    if (!t->text_off || !t->score || !t->attr) {
        tokenizer_free(t);
        return hearth_fail(err, HEARTH_ERR_NOMEM, "tokenizer: out of memory");
    }
    *out = t;
    return HEARTH_OK;
}

hearth_status tokenizer_reserve(tokenizer *t, size_t text_bytes, size_t n_merges,
                                hearth_errbuf *err) {
    if (t->finished)
        return hearth_fail(err, HEARTH_ERR_INVALID_ARG, "tokenizer: reserve after finish");
    if (text_bytes > t->text_cap) {
        char *nt = realloc(t->text, text_bytes);
        if (!nt)
            return hearth_fail(err, HEARTH_ERR_NOMEM, "tokenizer: out of memory");
        t->text = nt;
        t->text_cap = text_bytes;
    }
    if (n_merges > t->cap_pending) {
        char **m = realloc(t->pending_merges, n_merges * sizeof *m);
        if (!m)
            return hearth_fail(err, HEARTH_ERR_NOMEM, "tokenizer: out of memory");
        t->pending_merges = m;
        size_t *l = realloc(t->pending_len, n_merges * sizeof *l);
        if (!l)
            return hearth_fail(err, HEARTH_ERR_NOMEM, "tokenizer: out of memory");
        t->pending_len = l;
        t->cap_pending = n_merges;
    }
    return HEARTH_OK;
}

hearth_status tokenizer_set_token(tokenizer *t, int32_t i, const char *text, size_t len,
                                  float score, uint16_t attr, hearth_errbuf *err) {
    /* Tokens arrive in id order and are appended to one growing buffer. */
    if (t->finished || i != t->n_set)
        return hearth_fail(err, HEARTH_ERR_INVALID_ARG,
                           "tokenizer: token %d set out of order (expected %d)", (int)i,
                           (int)t->n_set);
    size_t used = (size_t)t->text_off[i];
    if (used + len > t->text_cap) {
        size_t ncap = t->text_cap ? t->text_cap : 1 << 16;
        while (ncap < used + len)
            ncap *= 2;
        char *nt = realloc(t->text, ncap);
        if (!nt)
            return hearth_fail(err, HEARTH_ERR_NOMEM, "tokenizer: out of memory");
        t->text = nt;
        t->text_cap = ncap;
    }
    if (len)
        memcpy(t->text + used, text, len);
    t->text_off[i + 1] = used + len;
    t->score[i] = score;
    t->attr[i] = attr ? attr : TOK_ATTR_NORMAL;
    t->n_set++;
    return HEARTH_OK;
}

hearth_status tokenizer_add_merge(tokenizer *t, const char *merge, size_t len,
                                  hearth_errbuf *err) {
    if (t->finished)
        return hearth_fail(err, HEARTH_ERR_INVALID_ARG, "tokenizer: merge after finish");
    if (t->n_pending == t->cap_pending) {
        size_t cap = t->cap_pending ? t->cap_pending * 2 : 1024;
        char **m = realloc(t->pending_merges, cap * sizeof *m);
        if (!m)
            return hearth_fail(err, HEARTH_ERR_NOMEM, "tokenizer: out of memory");
        t->pending_merges = m;
        size_t *l = realloc(t->pending_len, cap * sizeof *l);
        if (!l)
            return hearth_fail(err, HEARTH_ERR_NOMEM, "tokenizer: out of memory");
        t->pending_len = l;
        t->cap_pending = cap;
    }
    /* Borrowed: merges point into the caller's storage (the GGUF mapping) until
     * tokenizer_finish() has consumed them. */
    t->pending_merges[t->n_pending] = (char *)merge;
    t->pending_len[t->n_pending++] = len;
    return HEARTH_OK;
}

/* Builds piece[] (the bytes each token outputs). */
static hearth_status build_pieces(tokenizer *t, hearth_errbuf *err) {
    size_t total = (size_t)t->text_off[t->n_vocab];
    t->piece = malloc(total + 1);
    t->piece_off = calloc((size_t)t->n_vocab + 1, sizeof *t->piece_off);
    if (!t->piece || !t->piece_off)
        return hearth_fail(err, HEARTH_ERR_NOMEM, "tokenizer: out of memory");
    size_t n = 0;
    for (int32_t i = 0; i < t->n_vocab; i++) {
        const char *s = t->text + t->text_off[i];
        size_t len = (size_t)(t->text_off[i + 1] - t->text_off[i]);
        char *o = t->piece + n;
        size_t on = len;
        uint16_t a = t->attr[i];
        bool plain = a & (TOK_ATTR_NORMAL | TOK_ATTR_UNUSED | TOK_ATTR_UNDEFINED);
        if (t->model == TOK_MODEL_BPE && plain) {
            long d = decode_byte_alphabet(s, len, o);
            if (d < 0)
                memcpy(o, s, len); /* not byte-level text: output it as stored */
            else
                on = (size_t)d;
        } else if (t->model != TOK_MODEL_BPE && plain) {
            /* "▁" (E2 96 81) is the word-start marker: it outputs a space. */
            on = 0;
            for (size_t k = 0; k < len;) {
                if (k + 3 <= len && memcmp(s + k, "\xE2\x96\x81", 3) == 0) {
                    o[on++] = ' ';
                    k += 3;
                } else {
                    o[on++] = s[k++];
                }
            }
        } else if ((a & TOK_ATTR_BYTE) && len == 6 && memcmp(s, "<0x", 3) == 0 && s[5] == '>') {
            unsigned v;
            char hex[3] = {s[3], s[4], 0};
            if (sscanf(hex, "%2x", &v) == 1) {
                o[0] = (char)v;
                on = 1;
            } else {
                memcpy(o, s, len);
            }
        } else {
            memcpy(o, s, len);
        }
        n += on;
        t->piece_off[i + 1] = n;
    }
    return HEARTH_OK;
}

/* Which tokens can be produced by matching text (the others only through
 * special-token parsing or as byte fallback). */
static bool in_lookup(const tokenizer *t, uint16_t a) {
    if (t->model == TOK_MODEL_SPM)
        return !(a & (TOK_ATTR_CONTROL | TOK_ATTR_UNKNOWN | TOK_ATTR_BYTE));
    return true;
}

static uint64_t pow2_at_least(uint64_t n) {
    uint64_t p = 16;
    while (p < n)
        p *= 2;
    return p;
}

/* Zeroed memory for a hash table, faulted in by one system call: on a large
 * vocabulary, page faults one at a time cost more than filling the table. */
static void *table_alloc(size_t bytes) {
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                   -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void table_free(void *p, size_t bytes) {
    if (p)
        munmap(p, bytes);
}

static hearth_status build_lookup(tokenizer *t, hearth_errbuf *err) {
    /* Load factor at most ~0.6: short probe runs, little memory to fault in. */
    uint64_t cap = pow2_at_least((uint64_t)t->n_vocab * 5 / 3);
    t->slots = table_alloc(cap * sizeof *t->slots); /* len 0: empty */
    if (!t->slots)
        return hearth_fail(err, HEARTH_ERR_NOMEM, "tokenizer: out of memory");
    t->slot_mask = cap - 1;
    t->max_key_len = 0;
    /* Normal tokens first, so that a special token sharing a normal token's
     * bytes never shadows it; among equals the lowest id wins. */
    for (int pass = 0; pass < 2; pass++) {
        for (int32_t id = 0; id < t->n_vocab; id++) {
            uint16_t a = t->attr[id];
            if (((a & TOK_ATTR_NORMAL) != 0) != (pass == 0) || !in_lookup(t, a))
                continue;
            size_t kl;
            const char *k = tok_key(t, id, &kl);
            if (kl == 0)
                continue;
            uint64_t h = tok_hash(k, kl);
            if (tok_find_hashed(t, k, kl, h) >= 0)
                continue;
            if (kl > t->max_key_len)
                t->max_key_len = kl;
            uint64_t i = h & t->slot_mask;
            while (t->slots[i].len != 0)
                i = (i + 1) & t->slot_mask;
            tok_slot *sl = &t->slots[i];
            sl->tag = (uint32_t)(h >> 32);
            sl->id = id;
            sl->len = kl <= TOK_SLOT_SHORT ? (uint8_t)kl : TOK_SLOT_LONG;
            if (kl <= TOK_SLOT_SHORT)
                memcpy(sl->key, k, kl);
        }
    }
    return HEARTH_OK;
}

/* Merges are resolved in batches: the hash slots of a whole batch are
 * prefetched before any is read, so the cache misses overlap. */
#define MERGE_BATCH 32

typedef struct merge_job {
    const char *text;
    long lb, rb;        /* decoded lengths of left and right, -1 = unusable */
    uint64_t h[3];      /* hashes of left, right and left+right */
} merge_job;

static hearth_status build_merges(tokenizer *t, hearth_errbuf *err) {
    uint64_t cap = pow2_at_least((uint64_t)t->n_pending * 5 / 3);
    size_t bufcap = 2 * t->max_key_len + 64;
    t->merges = table_alloc(cap * sizeof *t->merges); /* key 0: empty */
    t->merge_mask = cap - 1;
    char *buf = malloc(bufcap * MERGE_BATCH);
    if (!t->merges || !buf) {
        free(buf);
        return hearth_fail(err, HEARTH_ERR_NOMEM, "tokenizer: out of memory");
    }
    merge_job job[MERGE_BATCH];
    for (size_t r0 = 0; r0 < t->n_pending; r0 += MERGE_BATCH) {
        size_t nb = t->n_pending - r0 < MERGE_BATCH ? t->n_pending - r0 : MERGE_BATCH;
        for (size_t j = 0; j < nb; j++) {
            const char *m = t->pending_merges[r0 + j];
            size_t len = t->pending_len[r0 + j];
            merge_job *jb = &job[j];
            char *b = buf + j * bufcap;
            jb->lb = -1;
            /* "left right": the separator is the first space after the first
             * byte. Decoding never lengthens text; longer parts are no tokens. */
            const char *sp = len > 1 ? memchr(m + 1, ' ', len - 1) : NULL;
            if (!sp || len > bufcap)
                continue;
            size_t ll = (size_t)(sp - m);
            long lb = decode_byte_alphabet(m, ll, b);
            long rb = lb < 0 ? -1 : decode_byte_alphabet(sp + 1, len - ll - 1, b + lb);
            if (rb < 0)
                continue;
            jb->lb = lb;
            jb->rb = rb;
            jb->h[0] = tok_hash(b, (size_t)lb);
            jb->h[1] = tok_hash(b + lb, (size_t)rb);
            jb->h[2] = tok_hash(b, (size_t)(lb + rb));
            for (int k = 0; k < 3; k++)
                __builtin_prefetch(&t->slots[jb->h[k] & t->slot_mask]);
        }
        for (size_t j = 0; j < nb; j++) {
            merge_job *jb = &job[j];
            if (jb->lb < 0)
                continue;
            char *b = buf + j * bufcap;
            int32_t left = tok_find_hashed(t, b, (size_t)jb->lb, jb->h[0]);
            int32_t right = tok_find_hashed(t, b + jb->lb, (size_t)jb->rb, jb->h[1]);
            int32_t merged = tok_find_hashed(t, b, (size_t)(jb->lb + jb->rb), jb->h[2]);
            /* A merge whose parts or result are not tokens can never apply. */
            if (left < 0 || right < 0 || merged < 0) {
                jb->lb = -1;
                continue;
            }
            uint64_t key = TOK_MERGE_USED | ((uint64_t)(uint32_t)left << 32) | (uint32_t)right;
            jb->h[0] = key;
            jb->h[1] = (uint64_t)(uint32_t)merged;
            __builtin_prefetch(&t->merges[tok_merge_hash(key) & t->merge_mask]);
        }
        for (size_t j = 0; j < nb; j++) {
            if (job[j].lb < 0)
                continue;
            uint64_t key = job[j].h[0];
            uint64_t i = tok_merge_hash(key) & t->merge_mask;
            while (t->merges[i].key != 0 && t->merges[i].key != key)
                i = (i + 1) & t->merge_mask;
            if (t->merges[i].key == key)
                continue; /* listed twice: the better (earlier) rank stays */
            t->merges[i] = (tok_merge){key, (uint32_t)(r0 + j), (int32_t)job[j].h[1]};
            t->n_merges++;
        }
    }
    free(buf);
    return HEARTH_OK;
}

/* ---- pre-tokenizer names --------------------------------------------------- */

static const struct {
    const char *name;
    tok_pre pre;
} pre_names[] = {
    {"default", TOK_PRE_DEFAULT},
    {"llama3", TOK_PRE_LLAMA3}, {"llama-v3", TOK_PRE_LLAMA3}, {"llama-bpe", TOK_PRE_LLAMA3},
    {"falcon3", TOK_PRE_LLAMA3}, {"dbrx", TOK_PRE_LLAMA3}, {"smaug-bpe", TOK_PRE_LLAMA3},
    {"qwen2", TOK_PRE_QWEN2}, {"deepseek-r1-qwen", TOK_PRE_QWEN2}, {"stablelm2", TOK_PRE_QWEN2},
    {"megrez", TOK_PRE_QWEN2},
    {"gpt-2", TOK_PRE_GPT2}, {"mpt", TOK_PRE_GPT2}, {"olmo", TOK_PRE_GPT2}, {"jais", TOK_PRE_GPT2},
    {"phi-2", TOK_PRE_GPT2}, {"roberta-bpe", TOK_PRE_GPT2}, {"gigachat", TOK_PRE_GPT2},
    {"jina-es", TOK_PRE_GPT2}, {"jina-de", TOK_PRE_GPT2}, {"jina-v1-en", TOK_PRE_GPT2},
    {"jina-v2-es", TOK_PRE_GPT2}, {"jina-v2-de", TOK_PRE_GPT2}, {"jina-v2-code", TOK_PRE_GPT2},
    {"deepseek-llm", TOK_PRE_DEEPSEEK_LLM},
    {"deepseek-coder", TOK_PRE_DEEPSEEK_CODER},
    {"falcon", TOK_PRE_FALCON},
    {"starcoder", TOK_PRE_STARCODER}, {"refact", TOK_PRE_STARCODER},
    {"command-r", TOK_PRE_STARCODER}, {"smollm", TOK_PRE_STARCODER},
    {"codeshell", TOK_PRE_STARCODER}, {"exaone", TOK_PRE_STARCODER},
    {"minerva-7b", TOK_PRE_STARCODER},
};

const char *tokenizer_pre_name(tok_pre pre) {
    static const char *const names[TOK_PRE_COUNT] = {
        "default", "llama3", "qwen2", "gpt-2", "deepseek-llm", "deepseek-coder", "falcon",
        "starcoder"};
    return (unsigned)pre < TOK_PRE_COUNT ? names[pre] : "unknown";
}

/* ---- finishing ------------------------------------------------------------------ */

/* Special tokens found by their stored text. One pass over the vocabulary
 * finds them all (the lookup hash does not hold control tokens of every model). */
enum {
    TXT_EOT_ID, TXT_IM_END, TXT_END, TXT_END_OF_TURN, TXT_ENDOFTEXT, TXT_EOT, TXT_DS_EOS,
    TXT_EOM_ID, TXT_MASK, TXT_S_END, TXT_UNK, TXT_S, TXT_COUNT
};
static const char *const known_texts[TXT_COUNT] = {
    [TXT_EOT_ID] = "<|eot_id|>",       [TXT_IM_END] = "<|im_end|>",
    [TXT_END] = "<|end|>",             [TXT_END_OF_TURN] = "<end_of_turn>",
    [TXT_ENDOFTEXT] = "<|endoftext|>", [TXT_EOT] = "<EOT>",
    [TXT_DS_EOS] = "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81" "sentence\xEF\xBD\x9C>",
    [TXT_EOM_ID] = "<|eom_id|>",       [TXT_MASK] = "<mask>",
    [TXT_S_END] = "</s>",              [TXT_UNK] = "<unk>",
    [TXT_S] = "<s>",
};

static void find_known_texts(const tokenizer *t, int32_t ids[TXT_COUNT]) {
    size_t lens[TXT_COUNT];
    for (int k = 0; k < TXT_COUNT; k++) {
        ids[k] = -1;
        lens[k] = strlen(known_texts[k]);
    }
    for (int32_t id = 0; id < t->n_vocab; id++) {
        const char *s = t->text + t->text_off[id];
        size_t n = (size_t)(t->text_off[id + 1] - t->text_off[id]);
        if (n < 3 || s[0] != '<')
            continue;
        for (int k = 0; k < TXT_COUNT; k++)
            if (ids[k] < 0 && n == lens[k] && memcmp(s, known_texts[k], n) == 0)
                ids[k] = id;
    }
}

static int cmp_special(const void *a, const void *b, void *ctx) {
    const tokenizer *t = ctx;
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    uint64_t lx = t->text_off[x + 1] - t->text_off[x], ly = t->text_off[y + 1] - t->text_off[y];
    if (lx != ly)
        return lx > ly ? -1 : 1;
    return x < y ? -1 : x > y;
}

static void set_id(const tokenizer *t, int32_t *dst, int32_t given, int32_t fallback,
                   const char *what, const tokenizer_opts *o) {
    int32_t id = given == TOK_UNSET ? fallback : given;
    if (id >= t->n_vocab || id < -1) {
        hearth_log(o->log_fn, o->log_user, HEARTH_LOG_WARN,
                   "tokenizer: %s token id %d is outside the vocabulary (%d tokens); ignored",
                   what, (int)id, (int)t->n_vocab);
        id = (given != TOK_UNSET && fallback < t->n_vocab) ? fallback : -1;
    }
    *dst = id;
}

static void mark_control(tokenizer *t, int32_t id) {
    if (id >= 0 && !(t->attr[id] & TOK_ATTR_CONTROL))
        t->attr[id] = (uint16_t)((t->attr[id] & ~(TOK_ATTR_NORMAL | TOK_ATTR_USER_DEFINED)) |
                                 TOK_ATTR_CONTROL);
}

static hearth_status finish_specials(tokenizer *t, const tokenizer_opts *o, hearth_errbuf *err) {
    bool spm = t->model == TOK_MODEL_SPM, wpm = t->model == TOK_MODEL_WPM;
    set_id(t, &t->bos, o->bos, spm ? 1 : wpm ? 101 : -1, "BOS", o);
    set_id(t, &t->eos, o->eos, spm ? 2 : -1, "EOS", o);
    set_id(t, &t->unk, o->unk, spm ? 0 : wpm ? 100 : -1, "UNK", o);
    set_id(t, &t->sep, o->sep, wpm ? 102 : -1, "SEP", o);
    set_id(t, &t->pad, o->pad, wpm ? 0 : -1, "padding", o);
    set_id(t, &t->eom, o->eom, -1, "EOM", o);
    set_id(t, &t->eot, o->eot, -1, "EOT", o);

    int32_t known[TXT_COUNT];
    find_known_texts(t, known);
    /* Chat models often lack eot_token_id: find the end-of-turn token by its
     * text, in this order of preference. */
    for (int k = TXT_EOT_ID; t->eot < 0 && k <= TXT_DS_EOS; k++)
        t->eot = known[k];
    if (t->eom < 0)
        t->eom = known[TXT_EOM_ID];
    mark_control(t, t->eot);
    mark_control(t, t->eom);

    /* End of generation: EOS, EOT, EOM and the usual end-of-turn texts. */
    static const int eog_texts[] = {TXT_EOT_ID, TXT_IM_END,    TXT_END,   TXT_END_OF_TURN,
                                    TXT_ENDOFTEXT, TXT_EOM_ID, TXT_EOT};
    for (size_t k = 0; k < sizeof eog_texts / sizeof *eog_texts; k++) {
        int32_t id = known[eog_texts[k]];
        if (id >= 0) {
            mark_control(t, id);
            t->attr[id] |= TOK_ATTR_EOG;
        }
    }
    if (t->eos >= 0)
        t->attr[t->eos] |= TOK_ATTR_EOG;
    if (t->eot >= 0)
        t->attr[t->eot] |= TOK_ATTR_EOG;
    if (t->eom >= 0)
        t->attr[t->eom] |= TOK_ATTR_EOG;

    /* Per-model whitespace stripping around special tokens (not stored in GGUF). */
    if (o->pre && (strstr(o->pre, "jina-v2-de") || strstr(o->pre, "jina-v2-es") ||
                   strstr(o->pre, "jina-v2-code"))) {
        if (known[TXT_MASK] >= 0)
            t->attr[known[TXT_MASK]] |= TOK_ATTR_LSTRIP;
    } else if (o->model_name) {
        char lower[256];
        size_t n = strlen(o->model_name);
        n = n < sizeof lower - 1 ? n : sizeof lower - 1;
        for (size_t k = 0; k < n; k++) {
            char c = o->model_name[k];
            lower[k] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        lower[n] = 0;
        if (strstr(lower, "phi-3") || strstr(lower, "phi3")) {
            for (int32_t id = 0; id < t->n_vocab; id++)
                if (t->attr[id] & (TOK_ATTR_CONTROL | TOK_ATTR_USER_DEFINED | TOK_ATTR_UNKNOWN))
                    t->attr[id] |= TOK_ATTR_RSTRIP;
            if (known[TXT_S_END] >= 0)
                t->attr[known[TXT_S_END]] |= TOK_ATTR_RSTRIP;
            static const int keep[] = {TXT_UNK, TXT_S, TXT_ENDOFTEXT};
            for (size_t k = 0; k < 3; k++)
                if (known[keep[k]] >= 0)
                    t->attr[known[keep[k]]] &= (uint16_t)~TOK_ATTR_RSTRIP;
        }
    }

    /* Special tokens matched in text, longest first (ties: lower id first). */
    size_t n = 0;
    for (int32_t id = 0; id < t->n_vocab; id++)
        n += (t->attr[id] & (TOK_ATTR_CONTROL | TOK_ATTR_USER_DEFINED | TOK_ATTR_UNKNOWN)) &&
             t->text_off[id + 1] > t->text_off[id];
    t->special = malloc((n ? n : 1) * sizeof *t->special);
    if (!t->special)
        return hearth_fail(err, HEARTH_ERR_NOMEM, "tokenizer: out of memory");
    for (int32_t id = 0; id < t->n_vocab; id++)
        if ((t->attr[id] & (TOK_ATTR_CONTROL | TOK_ATTR_USER_DEFINED | TOK_ATTR_UNKNOWN)) &&
            t->text_off[id + 1] > t->text_off[id])
            t->special[t->n_special++] = id;
    qsort_r(t->special, t->n_special, sizeof *t->special, cmp_special, t);

    /* Byte fallback tokens. */
    for (int b = 0; b < 256; b++) {
        t->byte_token[b] = -1;
        if (t->model == TOK_MODEL_BPE) {
            char c = (char)b;
            t->byte_token[b] = tok_find(t, &c, 1);
        }
    }
    if (spm) {
        for (int b = 0; b < 128; b++)
            t->isolated[b] = true;
        t->cut_before_space = true;
        for (uint64_t i = 0; i <= t->slot_mask; i++) {
            if (t->slots[i].len == 0)
                continue;
            size_t kl;
            const char *k = tok_key(t, t->slots[i].id, &kl);
            for (size_t j = 0; kl > 1 && j < kl; j++)
                t->isolated[(unsigned char)k[j]] = false;
            for (size_t j = 1; j + 3 <= kl; j++)
                if (memcmp(k + j, "\xE2\x96\x81", 3) == 0 &&
                    (j < 3 || memcmp(k + j - 3, "\xE2\x96\x81", 3) != 0))
                    t->cut_before_space = false;
        }
        for (int32_t id = 0; id < t->n_vocab; id++) {
            size_t pl = (size_t)(t->piece_off[id + 1] - t->piece_off[id]);
            if ((t->attr[id] & TOK_ATTR_BYTE) && pl == 1) {
                unsigned char b = (unsigned char)t->piece[t->piece_off[id]];
                if (t->byte_token[b] < 0)
                    t->byte_token[b] = id;
            }
        }
        for (int b = 0; b < 128; b++) /* no <0xNN>: a one-character token will do */
            if (t->byte_token[b] < 0) {
                char c = (char)b;
                t->byte_token[b] = tok_find(t, &c, 1);
            }
    }
    return HEARTH_OK;
}

hearth_status tokenizer_finish(tokenizer *t, const tokenizer_opts *opts, hearth_errbuf *err) {
    tokenizer_opts defaults = tokenizer_default_opts();
    const tokenizer_opts *o = opts ? opts : &defaults;
    if (t->finished)
        return hearth_fail(err, HEARTH_ERR_INVALID_ARG, "tokenizer: already finished");
    if (t->n_set != t->n_vocab)
        return hearth_fail(err, HEARTH_ERR_INVALID_ARG, "tokenizer: %d of %d tokens set",
                           (int)t->n_set, (int)t->n_vocab);

    /* Pre-tokenizer. */
    t->pre = TOK_PRE_DEFAULT;
    if (t->model == TOK_MODEL_BPE) {
        bool known = false;
        for (size_t k = 0; o->pre && k < sizeof pre_names / sizeof *pre_names; k++)
            if (strcmp(o->pre, pre_names[k].name) == 0) {
                t->pre = pre_names[k].pre;
                known = true;
            }
        if (!known)
            hearth_log(o->log_fn, o->log_user, HEARTH_LOG_WARN,
                       "tokenizer: %s pre-tokenizer '%s'; using the 'default' splits "
                       "(tokens may differ from the model's own tokenizer)",
                       o->pre ? "unknown" : "missing", o->pre ? o->pre : "");
        if (o->pre && (!strcmp(o->pre, "llama3") || !strcmp(o->pre, "llama-v3") ||
                       !strcmp(o->pre, "llama-bpe") || !strcmp(o->pre, "falcon3")))
            t->ignore_merges = true;
    }
    bool llama3_family = t->ignore_merges;
    t->add_bos = o->add_bos != TOK_UNSET ? o->add_bos != 0
                                         : (t->model != TOK_MODEL_BPE || llama3_family);
    /* WordPiece "EOS" is the [SEP] that closes a sequence. */
    t->add_eos = o->add_eos != TOK_UNSET ? o->add_eos != 0 : t->model == TOK_MODEL_WPM;
    t->add_space_prefix = o->add_space_prefix != TOK_UNSET ? o->add_space_prefix != 0
                                                           : t->model == TOK_MODEL_SPM;
    if (t->model != TOK_MODEL_SPM)
        t->add_space_prefix = false;

    HEARTH_TRY(build_pieces(t, err));
    HEARTH_TRY(build_lookup(t, err));
    if (t->model == TOK_MODEL_BPE)
        HEARTH_TRY(build_merges(t, err));
    free(t->pending_merges);
    free(t->pending_len);
    t->pending_merges = NULL;
    t->pending_len = NULL;
    t->n_pending = t->cap_pending = 0;
    HEARTH_TRY(finish_specials(t, o, err));
    t->finished = true;
    return HEARTH_OK;
}

void tokenizer_free(tokenizer *t) {
    if (!t)
        return;
    free(t->text);
    free(t->text_off);
    free(t->piece);
    free(t->piece_off);
    free(t->score);
    free(t->attr);
    table_free(t->slots, t->slots ? (t->slot_mask + 1) * sizeof *t->slots : 0);
    table_free(t->merges, t->merges ? (t->merge_mask + 1) * sizeof *t->merges : 0);
    free(t->pending_merges);
    free(t->pending_len);
    free(t->special);
    free(t);
}

/* ---- accessors ------------------------------------------------------------------ */

int32_t tokenizer_n_vocab(const tokenizer *t) { return t->n_vocab; }
tok_model tokenizer_model(const tokenizer *t) { return t->model; }
tok_pre tokenizer_pre(const tokenizer *t) { return t->pre; }
int32_t tokenizer_bos(const tokenizer *t) { return t->bos; }
int32_t tokenizer_eos(const tokenizer *t) { return t->eos; }
int32_t tokenizer_eot(const tokenizer *t) { return t->eot; }
bool tokenizer_adds_bos(const tokenizer *t) { return t->add_bos && t->bos >= 0; }

uint16_t tokenizer_attr(const tokenizer *t, int32_t id) {
    return (id >= 0 && id < t->n_vocab) ? t->attr[id] : 0;
}

const char *tokenizer_text(const tokenizer *t, int32_t id, size_t *len) {
    if (id < 0 || id >= t->n_vocab) {
        *len = 0;
        return NULL;
    }
    *len = (size_t)(t->text_off[id + 1] - t->text_off[id]);
    return t->text + t->text_off[id];
}
