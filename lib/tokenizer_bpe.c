/* tokenizer_bpe.c - byte-level BPE (tokenizer.ggml.model = "gpt2").
 *
 * The pre-tokenizer cuts the text into words (tokenizer_split.c); each word
 * starts as one symbol per byte and the adjacent pair with the best (lowest)
 * merge rank is merged until no pair has a rank, ties going to the leftmost
 * pair. Merges are keyed by token ids, so the input bytes are never re-encoded
 * into the GPT-2 alphabet. Llama 3 style vocabularies ("ignore_merges") take a
 * whole word that is itself a token without merging. Text repeats its words,
 * so each call keeps a cache of the short words it has already merged (per
 * call, on the stack of the caller: the tokenizer itself stays immutable).
 */
#include "tokenizer_impl.h"

typedef struct bpe_sym {
    int32_t id;         /* token of the symbol, -1 for a byte with no token */
    uint32_t len;       /* bytes; 0 once merged into its left neighbour */
    int32_t prev, next; /* neighbours in the word, -1 at the ends */
} bpe_sym;

typedef struct bpe_pair {
    uint32_t rank;
    int32_t left, right;
    uint32_t size;   /* bytes of left + right when queued (detects stale pairs) */
    int32_t result;  /* merged token */
} bpe_pair;

/* Per-call word cache: open addressing over short words and their ids. */
#define CACHE_SLOTS 32768    /* power of two */
#define CACHE_MAX_WORDS 24576 /* stop filling at 3/4 */
#define CACHE_MAX_LEN 48     /* longer words are rare and merge quickly anyway */

typedef struct cache_slot {
    uint64_t hash;   /* 0 = empty (real hashes are made non-zero) */
    uint32_t word;   /* offset of the word in cache_bytes */
    uint32_t ids;    /* offset of its ids in cache_ids */
    uint16_t len;    /* word bytes */
    uint16_t n_ids;
} cache_slot;

typedef struct bpe_state {
    const tokenizer *t;
    tok_vec *out;
    bpe_sym *sym;   /* (cap_sym) symbols of the current word */
    size_t cap_sym;
    bpe_pair *heap; /* (cap_heap) min-heap by (rank, left) */
    size_t n_heap, cap_heap;
    cache_slot *cache;   /* (CACHE_SLOTS) or NULL when it could not be allocated */
    size_t n_cached;
    char *cache_bytes;   /* words back to back */
    size_t n_bytes, cap_bytes;
    int32_t *cache_ids;  /* ids back to back */
    size_t n_cids, cap_cids;
} bpe_state;

/* Slot of word w (hash h): the matching entry, or the empty slot to fill. */
static cache_slot *cache_find(bpe_state *st, const char *w, size_t n, uint64_t h) {
    for (size_t i = h & (CACHE_SLOTS - 1);; i = (i + 1) & (CACHE_SLOTS - 1)) {
        cache_slot *c = &st->cache[i];
        if (c->hash == 0)
            return c;
        if (c->hash == h && c->len == n && memcmp(st->cache_bytes + c->word, w, n) == 0)
            return c;
    }
}

/* Remembers the ids ids[0..n_ids) of word w in slot c; silently gives up
 * when memory is short (the cache is only an accelerator). */
static void cache_store(bpe_state *st, cache_slot *c, uint64_t h, const char *w, size_t n,
                        const int32_t *ids, size_t n_ids) {
    if (st->n_cached >= CACHE_MAX_WORDS || n_ids > UINT16_MAX)
        return;
    if (st->n_bytes + n > st->cap_bytes) {
        size_t cap = st->cap_bytes ? st->cap_bytes * 2 : 1 << 16;
        char *b = realloc(st->cache_bytes, cap);
        if (!b)
            return;
        st->cache_bytes = b;
        st->cap_bytes = cap;
    }
    if (st->n_cids + n_ids > st->cap_cids) {
        size_t cap = st->cap_cids ? st->cap_cids * 2 : 1 << 14;
        int32_t *v = realloc(st->cache_ids, cap * sizeof *v);
        if (!v)
            return;
        st->cache_ids = v;
        st->cap_cids = cap;
    }
    memcpy(st->cache_bytes + st->n_bytes, w, n);
    memcpy(st->cache_ids + st->n_cids, ids, n_ids * sizeof *ids);
    *c = (cache_slot){h, (uint32_t)st->n_bytes, (uint32_t)st->n_cids, (uint16_t)n,
                      (uint16_t)n_ids};
    st->n_bytes += n;
    st->n_cids += n_ids;
    st->n_cached++;
}

static bool pair_before(const bpe_pair *a, const bpe_pair *b) {
    return a->rank < b->rank || (a->rank == b->rank && a->left < b->left);
}

static bool heap_push(bpe_state *st, bpe_pair p) {
    if (st->n_heap == st->cap_heap) {
        size_t cap = st->cap_heap ? st->cap_heap * 2 : 64;
        bpe_pair *h = realloc(st->heap, cap * sizeof *h);
        if (!h)
            return false;
        st->heap = h;
        st->cap_heap = cap;
    }
    size_t i = st->n_heap++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!pair_before(&p, &st->heap[parent]))
            break;
        st->heap[i] = st->heap[parent];
        i = parent;
    }
    st->heap[i] = p;
    return true;
}

static bpe_pair heap_pop(bpe_state *st) {
    bpe_pair top = st->heap[0];
    bpe_pair last = st->heap[--st->n_heap];
    size_t i = 0, n = st->n_heap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && pair_before(&st->heap[c + 1], &st->heap[c]))
            c++;
        if (!pair_before(&st->heap[c], &last))
            break;
        st->heap[i] = st->heap[c];
        i = c;
    }
    if (n > 0)
        st->heap[i] = last;
    return top;
}

static bool try_pair(bpe_state *st, int32_t left, int32_t right) {
    if (left < 0 || right < 0)
        return true;
    int32_t result;
    uint32_t rank = tok_merge_find(st->t, st->sym[left].id, st->sym[right].id, &result);
    if (rank == UINT32_MAX)
        return true;
    bpe_pair p = {rank, left, right, st->sym[left].len + st->sym[right].len, result};
    return heap_push(st, p);
}

static bool bpe_merge_word(bpe_state *st, const char *w, size_t n);

static bool bpe_word(void *user, const char *w, size_t n) {
    bpe_state *st = user;
    if (!st->cache || n > CACHE_MAX_LEN || n == 1)
        return bpe_merge_word(st, w, n);
    uint64_t h = tok_hash(w, n) | 1;
    cache_slot *c = cache_find(st, w, n, h);
    if (c->hash != 0) {
        for (uint16_t k = 0; k < c->n_ids; k++)
            tok_vec_push(st->out, st->cache_ids[c->ids + k]);
        return !st->out->failed;
    }
    size_t before = st->out->n;
    if (!bpe_merge_word(st, w, n))
        return false;
    cache_store(st, c, h, w, n, st->out->v + before, st->out->n - before);
    return true;
}

static bool bpe_merge_word(bpe_state *st, const char *w, size_t n) {
    const tokenizer *t = st->t;
    if (t->ignore_merges || n == 1) {
        int32_t id = tok_find(t, w, n);
        if (id >= 0) {
            tok_vec_push(st->out, id);
            return !st->out->failed;
        }
    }
    if (n > st->cap_sym) {
        bpe_sym *s = realloc(st->sym, n * sizeof *s);
        if (!s) {
            st->out->failed = true;
            return false;
        }
        st->sym = s;
        st->cap_sym = n;
    }
    for (size_t i = 0; i < n; i++) {
        st->sym[i].id = t->byte_token[(unsigned char)w[i]];
        st->sym[i].len = 1;
        st->sym[i].prev = (int32_t)i - 1;
        st->sym[i].next = i + 1 < n ? (int32_t)i + 1 : -1;
    }
    st->n_heap = 0;
    bool ok = true;
    for (size_t i = 1; i < n && ok; i++)
        ok = try_pair(st, (int32_t)i - 1, (int32_t)i);
    while (ok && st->n_heap > 0) {
        bpe_pair p = heap_pop(st);
        bpe_sym *l = &st->sym[p.left], *r = &st->sym[p.right];
        /* Stale: one side was merged away, or grew since the pair was queued. */
        if (l->len == 0 || r->len == 0 || l->next != p.right || l->len + r->len != p.size)
            continue;
        l->id = p.result;
        l->len += r->len;
        r->len = 0;
        l->next = r->next;
        if (r->next >= 0)
            st->sym[r->next].prev = p.left;
        ok = try_pair(st, l->prev, p.left) && try_pair(st, p.left, l->next);
    }
    if (!ok) {
        st->out->failed = true;
        return false;
    }
    for (int32_t i = 0; i >= 0; i = st->sym[i].next)
        if (st->sym[i].id >= 0) /* a byte the vocabulary lacks is dropped */
            tok_vec_push(st->out, st->sym[i].id);
    return !st->out->failed;
}

void tok_bpe_encode(const tokenizer *t, const char *text, size_t len, bool word_cache,
                    tok_vec *out) {
    bpe_state st;
    memset(&st, 0, sizeof st);
    st.t = t;
    st.out = out;
    if (word_cache)
        st.cache = calloc(CACHE_SLOTS, sizeof *st.cache);
    tokenizer_split(t->pre, text, len, bpe_word, &st);
    free(st.sym);
    free(st.heap);
    free(st.cache);
    free(st.cache_bytes);
    free(st.cache_ids);
}
