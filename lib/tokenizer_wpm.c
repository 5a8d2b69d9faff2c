/* tokenizer_wpm.c - WordPiece (tokenizer.ggml.model = "bert").
 *
 * BERT's normalizer and pre-tokenizer, then greedy longest-match-first:
 * control characters are dropped, accents stripped (canonical decomposition
 * without nonspacing marks), text lower-cased, split on whitespace, and every
 * punctuation mark, ASCII symbol and CJK ideograph becomes a word of its own.
 * GGUF BERT vocabularies mark word-initial pieces with "▁" (instead of "##" on
 * the others), so each word is looked up as "▁word". A word with a part no
 * token covers, or longer than 100 characters, becomes UNK (as BERT does).
 * Invalid UTF-8 bytes are dropped like control characters.
 */
#include "tokenizer_impl.h"
#include "unicode.h"

#define WPM_MAX_WORD_CHARS 100 /* BERT's max_input_chars_per_word */

static bool is_cjk(uint32_t cp) {
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
           (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

typedef struct wpm_word_buf {
    char *b;       /* "▁" + the word's bytes */
    size_t n, cap;
    size_t n_chars;
    bool failed;
} wpm_word_buf;

static void wb_put(wpm_word_buf *w, const char *s, size_t n) {
    if (w->n + n > w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 256;
        while (cap < w->n + n)
            cap *= 2;
        char *b = w->failed ? NULL : realloc(w->b, cap);
        if (!b) {
            w->failed = true;
            return;
        }
        w->b = b;
        w->cap = cap;
    }
    memcpy(w->b + w->n, s, n);
    w->n += n;
}

/* Greedy longest-match-first over the bytes of "▁word". */
static void wpm_flush(const tokenizer *t, wpm_word_buf *w, tok_vec *out) {
    if (w->n <= 3 || w->failed)
        goto reset;
    size_t start = out->n;
    bool ok = w->n_chars <= WPM_MAX_WORD_CHARS;
    for (size_t i = 0; ok && i < w->n;) {
        size_t hi = w->n - i < t->max_key_len ? w->n : i + t->max_key_len;
        size_t j = hi;
        int32_t id = -1;
        for (; j > i; j--)
            if ((id = tok_find(t, w->b + i, j - i)) >= 0)
                break;
        if (id < 0) {
            ok = false;
            break;
        }
        tok_vec_push(out, id);
        i = j;
    }
    if (!ok) {
        out->n = start;
        if (t->unk >= 0)
            tok_vec_push(out, t->unk);
    }
reset:
    w->n = 0;
    w->n_chars = 0;
    wb_put(w, "\xE2\x96\x81", 3);
}

void tok_wpm_encode(const tokenizer *t, const char *text, size_t len, tok_vec *out) {
    wpm_word_buf w = {NULL, 0, 0, 0, false};
    wb_put(&w, "\xE2\x96\x81", 3);
    const unsigned char *p = (const unsigned char *)text, *end = p + len;
    while (p < end && !w.failed && !out->failed) {
        size_t cl;
        uint32_t cp = unicode_decode(p, end, &cl);
        p += cl;
        unsigned f = unicode_flags(cp);
        if (f & UCF_WHITESPACE) {
            wpm_flush(t, &w, out);
            continue;
        }
        if (cp == 0 || cp == 0xFFFD || (f & (UCF_CONTROL | UCF_INVALID)))
            continue;
        uint32_t parts[3];
        size_t n_parts = unicode_strip_accents(cp, parts);
        for (size_t k = 0; k < n_parts; k++) {
            uint32_t c = unicode_tolower(parts[k]);
            unsigned cf = unicode_flags(parts[k]);
            char u8[4];
            size_t ul = unicode_encode(c, u8);
            if ((cf & UCF_PUNCT) || (parts[k] < 0x7F && (cf & UCF_SYMBOL)) || is_cjk(parts[k])) {
                wpm_flush(t, &w, out);
                wb_put(&w, u8, ul);
                w.n_chars = 1;
                wpm_flush(t, &w, out);
            } else {
                wb_put(&w, u8, ul);
                w.n_chars++;
            }
        }
    }
    wpm_flush(t, &w, out);
    if (w.failed)
        out->failed = true;
    free(w.b);
}
