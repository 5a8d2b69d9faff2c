/* tokenizer_impl.h - the tokenizer's private layout, shared by lib/tokenizer*.c only.
 *
 * Lookup keys: byte-level BPE vocabularies store tokens in GPT-2's printable
 * byte alphabet ("Ġ" for a space); we decode every token once at load, so the
 * token table, the merges and the tokenizer itself work on raw bytes and the
 * input never has to be re-encoded. SentencePiece and WordPiece look tokens up
 * by their stored text ("▁" marks a word start).
 */
#ifndef HEARTH_TOKENIZER_IMPL_H
#define HEARTH_TOKENIZER_IMPL_H

#include <stdlib.h> /* size_t, free */
#include <string.h> /* memcmp */

#include "tokenizer.h"

/* One hash slot: the hash bits and short keys live in the slot itself, so most
 * probes touch one cache line and never the token texts (start-up builds and
 * probes hundreds of thousands of these). */
#define TOK_SLOT_SHORT 7
#define TOK_SLOT_LONG 0xFF
typedef struct tok_slot {
    uint32_t tag;                /* high 32 bits of the key's hash */
    int32_t id;
    uint8_t len;                 /* key length (0 = empty slot), or TOK_SLOT_LONG when > 7 */
    char key[TOK_SLOT_SHORT];    /* the key itself when it fits */
} tok_slot;

#define TOK_MERGE_USED (1ull << 63) /* ids are < 2^31, so bit 63 is free */
typedef struct tok_merge {
    uint64_t key;   /* TOK_MERGE_USED | left id << 32 | right id; 0 = empty */
    uint32_t rank;  /* position in tokenizer.ggml.merges: lower merges first */
    int32_t result; /* the merged token */
} tok_merge;

struct tokenizer {
    tok_model model;
    tok_pre pre;
    int32_t n_vocab;
    bool finished;
    int32_t n_set;       /* tokens set so far (building only) */
    size_t text_cap;     /* bytes allocated for text (building only) */

    char *text;          /* (sum of text lengths) stored token texts, back to back */
    uint64_t *text_off;  /* (n_vocab + 1) start of token i's text; i+1 gives its end */
    char *piece;         /* (sum of piece lengths) output bytes of each token */
    uint64_t *piece_off; /* (n_vocab + 1) */
    float *score;        /* (n_vocab) SentencePiece merge priority */
    uint16_t *attr;      /* (n_vocab) TOK_ATTR_* */
    size_t max_key_len;  /* longest lookup key in bytes (WordPiece search bound) */

    /* key bytes -> id; open addressing, -1 = empty. Keys are the pieces (BPE)
     * or the texts (SPM, WPM); which tokens take part is decided per model. */
    tok_slot *slots;     /* (slot_mask + 1) */
    uint64_t slot_mask;

    /* BPE merges: (left id, right id) -> rank and merged id. */
    tok_merge *merges;      /* (merge_mask + 1) open addressing */
    uint64_t merge_mask;
    uint32_t n_merges;
    char **pending_merges;  /* merges given before finish (freed by finish) */
    size_t *pending_len;
    size_t n_pending, cap_pending;

    bool isolated[256];      /* SPM: ASCII bytes found in no lookup key longer than 1 */
    bool cut_before_space;   /* SPM: no key has "▁" right after something other than "▁" */
    int32_t byte_token[256]; /* token of one raw byte (BPE alphabet / SPM <0xNN>), -1 */
    int32_t *special;        /* (n_special) control/user-defined/unknown ids, longest first */
    size_t n_special;

    int32_t bos, eos, eot, eom, unk, sep, pad;
    bool add_bos, add_eos, add_space_prefix, ignore_merges;
};

/* Growable id list; `failed` latches an allocation failure. */
typedef struct tok_vec {
    int32_t *v;
    size_t n, cap;
    bool failed;
} tok_vec;

static inline void tok_vec_push(tok_vec *t, int32_t id) {
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        int32_t *v = t->failed ? NULL : realloc(t->v, cap * sizeof *v);
        if (!v) {
            t->failed = true;
            return;
        }
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n++] = id;
}

/* 64-bit hash of a byte string (FNV-1a over 8-byte words, then mixed). */
static inline uint64_t tok_hash(const char *s, size_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0x100000001B3ull;
        h ^= h >> 29;
    }
    uint64_t w = 0;
    memcpy(&w, s + i, n - i);
    h = (h ^ w) * 0x100000001B3ull;
    h ^= h >> 32;
    h *= 0xD6E8FEB86659FD93ull;
    h ^= h >> 32;
    return h;
}

static inline const char *tok_key(const tokenizer *t, int32_t id, size_t *len) {
    if (t->model == TOK_MODEL_BPE) {
        *len = (size_t)(t->piece_off[id + 1] - t->piece_off[id]);
        return t->piece + t->piece_off[id];
    }
    *len = (size_t)(t->text_off[id + 1] - t->text_off[id]);
    return t->text + t->text_off[id];
}

/* Id of the token whose key is s[0..n) with hash h, or -1. */
static inline int32_t tok_find_hashed(const tokenizer *t, const char *s, size_t n, uint64_t h) {
    uint32_t tag = (uint32_t)(h >> 32);
    for (uint64_t i = h & t->slot_mask;; i = (i + 1) & t->slot_mask) {
        const tok_slot *sl = &t->slots[i];
        if (sl->len == 0)
            return -1;
        if (sl->tag != tag)
            continue;
        if (n <= TOK_SLOT_SHORT) {
            if (sl->len == n && memcmp(sl->key, s, n) == 0)
                return sl->id;
        } else if (sl->len == TOK_SLOT_LONG) {
            size_t kl;
            const char *k = tok_key(t, sl->id, &kl);
            if (kl == n && memcmp(k, s, n) == 0)
                return sl->id;
        }
    }
}

static inline int32_t tok_find(const tokenizer *t, const char *s, size_t n) {
    return tok_find_hashed(t, s, n, tok_hash(s, n));
}

static inline uint64_t tok_merge_hash(uint64_t key) {
    key ^= key >> 33;
    key *= 0xFF51AFD7ED558CCDull;
    key ^= key >> 33;
    return key;
}

/* Rank of merging tokens left and right (UINT32_MAX if they never merge);
 * the merged token in *result. */
static inline uint32_t tok_merge_find(const tokenizer *t, int32_t left, int32_t right,
                                      int32_t *result) {
    if (left < 0 || right < 0 || t->merge_mask == 0)
        return UINT32_MAX;
    uint64_t key = TOK_MERGE_USED | ((uint64_t)(uint32_t)left << 32) | (uint32_t)right;
    uint64_t i = tok_merge_hash(key) & t->merge_mask;
    for (;;) {
        const tok_merge *m = &t->merges[i];
        if (m->key == 0)
            return UINT32_MAX;
        if (m->key == key) {
            *result = m->result;
            return m->rank;
        }
        i = (i + 1) & t->merge_mask;
    }
}

/* The three algorithms: each appends the ids of one raw-text fragment. */
void tok_spm_encode(const tokenizer *t, const char *text, size_t len, bool space_prefix,
                    bool segments, tok_vec *out);
void tok_bpe_encode(const tokenizer *t, const char *text, size_t len, bool word_cache,
                    tok_vec *out);
void tok_wpm_encode(const tokenizer *t, const char *text, size_t len, tok_vec *out);

/* GPT-2 byte <-> printable codepoint alphabet. */
uint32_t tok_byte_to_cp(unsigned char b);
int tok_cp_to_byte(uint32_t cp); /* -1 when cp is not in the alphabet */

#endif /* HEARTH_TOKENIZER_IMPL_H */
