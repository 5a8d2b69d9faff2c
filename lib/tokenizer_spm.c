/* tokenizer_spm.c - SentencePiece-style BPE (tokenizer.ggml.model = "llama").
 *
 * Spaces become "▁" (and one is prepended when the vocabulary asks for a space
 * prefix); the text starts as one symbol per UTF-8 character, and the adjacent
 * pair whose concatenation is the token with the highest score is merged, ties
 * going to the leftmost pair, until no concatenation is a token. A symbol that
 * is not a token comes out as <0xNN> byte tokens (or UNK without them). There
 * is no pre-tokenizer: the whole fragment is one sequence.
 */
#include "tokenizer_impl.h"
#include "unicode.h"

#define SPACE "\xE2\x96\x81" /* ▁, SentencePiece's visible space */

typedef struct spm_sym {
    int32_t id;         /* token of the symbol, -1 when it is not one */
    uint32_t start, len; /* bytes in the escaped text; len 0 once merged away */
    int32_t prev, next;
} spm_sym;

typedef struct spm_pair {
    float score;
    int32_t left, right;
    uint32_t size;
    int32_t result;
} spm_pair;

static bool pair_before(const spm_pair *a, const spm_pair *b) {
    return a->score > b->score || (a->score == b->score && a->left < b->left);
}

typedef struct spm_heap {
    spm_pair *v;
    size_t n, cap;
} spm_heap;

static bool heap_push(spm_heap *h, spm_pair p) {
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 256;
        spm_pair *v = realloc(h->v, cap * sizeof *v);
        if (!v)
            return false;
        h->v = v;
        h->cap = cap;
    }
    size_t i = h->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!pair_before(&p, &h->v[parent]))
            break;
        h->v[i] = h->v[parent];
        i = parent;
    }
    h->v[i] = p;
    return true;
}

static spm_pair heap_pop(spm_heap *h) {
    spm_pair top = h->v[0];
    spm_pair last = h->v[--h->n];
    size_t i = 0, n = h->n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && pair_before(&h->v[c + 1], &h->v[c]))
            c++;
        if (!pair_before(&h->v[c], &last))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (n > 0)
        h->v[i] = last;
    return top;
}

static bool try_pair(const tokenizer *t, const char *text, spm_sym *sym, spm_heap *h,
                     int32_t left, int32_t right) {
    if (left < 0 || right < 0)
        return true;
    uint32_t size = sym[left].len + sym[right].len;
    int32_t id = tok_find(t, text + sym[left].start, size);
    if (id < 0)
        return true;
    spm_pair p = {t->score[id], left, right, size, id};
    return heap_push(h, p);
}

/* Merges the symbols of esc[a..b) and appends their tokens. */
static bool spm_segment(const tokenizer *t, const char *esc, size_t a, size_t b, spm_sym *sym,
                        spm_heap *h, tok_vec *out) {
    size_t n_sym = 0;
    const unsigned char *p = (const unsigned char *)esc + a, *end = (const unsigned char *)esc + b;
    while (p < end) {
        size_t cl;
        unicode_decode(p, end, &cl); /* invalid bytes are single symbols */
        spm_sym *s = &sym[n_sym];
        s->start = (uint32_t)(p - (const unsigned char *)esc);
        s->len = (uint32_t)cl;
        s->id = tok_find(t, (const char *)p, cl);
        s->prev = (int32_t)n_sym - 1;
        s->next = -1;
        if (n_sym > 0)
            sym[n_sym - 1].next = (int32_t)n_sym;
        n_sym++;
        p += cl;
    }
    h->n = 0;
    for (size_t i = 1; i < n_sym; i++)
        if (!try_pair(t, esc, sym, h, (int32_t)i - 1, (int32_t)i))
            return false;
    while (h->n > 0) {
        spm_pair pr = heap_pop(h);
        spm_sym *l = &sym[pr.left], *r = &sym[pr.right];
        if (l->len == 0 || r->len == 0 || l->next != pr.right || l->len + r->len != pr.size)
            continue;
        l->id = pr.result;
        l->len += r->len;
        r->len = 0;
        l->next = r->next;
        if (r->next >= 0)
            sym[r->next].prev = pr.left;
        if (!try_pair(t, esc, sym, h, l->prev, pr.left) ||
            !try_pair(t, esc, sym, h, pr.left, l->next))
            return false;
    }
    for (int32_t i = 0; n_sym > 0 && i >= 0; i = sym[i].next) {
        if (sym[i].id >= 0) {
            tok_vec_push(out, sym[i].id);
            continue;
        }
        /* Byte fallback: one token per byte, UNK when the vocabulary has none. */
        for (uint32_t k = 0; k < sym[i].len; k++) {
            int32_t bt = t->byte_token[(unsigned char)esc[sym[i].start + k]];
            if (bt < 0)
                bt = t->unk;
            if (bt >= 0)
                tok_vec_push(out, bt);
        }
    }
    return !out->failed;
}

void tok_spm_encode(const tokenizer *t, const char *text, size_t len, bool space_prefix,
                    bool segments, tok_vec *out) {
    /* Escape: every ' ' becomes "▁" (3 bytes). */
    size_t cap = 3 * len + 3;
    char *esc = malloc(cap);
    spm_sym *sym = NULL;
    spm_heap h = {NULL, 0, 0};
    if (!esc)
        goto fail;
    size_t n = 0;
    if (space_prefix) {
        memcpy(esc, "\xE2\x96\x81", 3);
        n = 3;
    }
    for (size_t i = 0; i < len; i++) {
        if (text[i] == ' ') {
            memcpy(esc + n, "\xE2\x96\x81", 3);
            n += 3;
        } else {
            esc[n++] = text[i];
        }
    }
    if (n == 0)
        goto done;
    if (n > UINT32_MAX)
        goto fail; /* symbol offsets are 32-bit; 4 GiB fragments are refused */
    sym = malloc(n * sizeof *sym);
    if (!sym)
        goto fail;
    /* An ASCII byte that occurs in no multi-byte token can never merge with a
     * neighbour: the text on either side of it is tokenized independently
     * with the same result, which keeps the merge queue short ('\n' in most
     * vocabularies). */
    /* Likewise, when no token has "▁" after anything but another "▁", a
     * symbol can never span the start of a word: each word is independent. */
    size_t a = 0;
    for (size_t i = 0; i < n; i++) {
        if (!segments)
            break;
        if (t->cut_before_space && i > a && i + 3 <= n && memcmp(esc + i, SPACE, 3) == 0 &&
            !(i >= 3 && memcmp(esc + i - 3, SPACE, 3) == 0)) {
            if (!spm_segment(t, esc, a, i, sym, &h, out))
                goto fail;
            a = i;
        }
        if (!t->isolated[(unsigned char)esc[i]])
            continue;
        if ((a < i && !spm_segment(t, esc, a, i, sym, &h, out)) ||
            !spm_segment(t, esc, i, i + 1, sym, &h, out))
            goto fail;
        a = i + 1;
    }
    if (a < n && !spm_segment(t, esc, a, n, sym, &h, out))
        goto fail;
    goto done;
fail:
    out->failed = true;
done:
    free(esc);
    free(sym);
    free(h.v);
}
