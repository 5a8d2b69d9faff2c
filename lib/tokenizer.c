/* tokenizer.c - special-token parsing, the public tokenizer API, pieces and
 * detokenization.
 *
 * Text is first cut at special tokens (control tokens only when parse_special
 * is set; user-defined tokens always, as Hugging Face does), longest token
 * first; the remaining raw fragments go to the model's algorithm. All of it
 * works on the caller's bytes with explicit lengths: embedded NUL bytes are
 * ordinary characters and nothing is read past `len`.
 */
#include <ctype.h>  /* isspace: special-token whitespace stripping */
#include <string.h> /* memmem, memcpy */

#include "model.h"
#include "tokenizer_impl.h"

typedef struct fragment {
    size_t off, len; /* raw text span (when id < 0) */
    int32_t id;      /* special token, or -1 for raw text */
} fragment;

typedef struct frag_list {
    fragment *v;
    size_t n, cap;
} frag_list;

static bool frag_push(frag_list *l, size_t off, size_t len, int32_t id) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        fragment *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return false;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (fragment){off, len, id};
    return true;
}

/* Cuts every raw fragment of `in` at the occurrences of special token `id`,
 * writing the result to `out`. */
static bool split_at_special(const tokenizer *t, const char *text, const frag_list *in,
                             frag_list *out, int32_t id) {
    size_t sl;
    const char *s = tokenizer_text(t, id, &sl);
    uint16_t a = t->attr[id];
    out->n = 0;
    for (size_t f = 0; f < in->n; f++) {
        fragment fr = in->v[f];
        if (fr.id >= 0 || fr.len < sl) {
            if (!frag_push(out, fr.off, fr.len, fr.id))
                return false;
            continue;
        }
        size_t pos = fr.off, end = fr.off + fr.len;
        while (pos < end) {
            const char *hit = memmem(text + pos, end - pos, s, sl);
            if (!hit)
                break;
            size_t at = (size_t)(hit - text), left_end = at;
            if (a & TOK_ATTR_LSTRIP)
                while (left_end > pos && isspace((unsigned char)text[left_end - 1]))
                    left_end--;
            if (left_end > pos && !frag_push(out, pos, left_end - pos, -1))
                return false;
            if (!frag_push(out, 0, 0, id))
                return false;
            pos = at + sl;
            if (a & TOK_ATTR_RSTRIP)
                while (pos < end && isspace((unsigned char)text[pos]))
                    pos++;
        }
        if (pos < end && !frag_push(out, pos, end - pos, -1))
            return false;
    }
    return true;
}

hearth_status tokenizer_encode(const tokenizer *t, const char *text, size_t len,
                               bool add_special, bool parse_special, int32_t **ids,
                               size_t *n_ids, hearth_errbuf *err) {
    return tokenizer_encode_ex(t, text, len, add_special, parse_special, true, ids, n_ids, err);
}

hearth_status tokenizer_encode_ex(const tokenizer *t, const char *text, size_t len,
                                  bool add_special, bool parse_special, bool shortcuts,
                                  int32_t **ids, size_t *n_ids, hearth_errbuf *err) {
    /* The word cache only pays off on texts long enough to repeat words. */
    bool word_cache = shortcuts && len >= 4096;
    *ids = NULL;
    *n_ids = 0;
    frag_list a = {NULL, 0, 0}, b = {NULL, 0, 0};
    tok_vec out = {NULL, 0, 0, false};
    bool ok = true;
    if (len > 0)
        ok = frag_push(&a, 0, len, -1);
    /* Which bytes occur at all lets most special tokens be skipped at once. */
    bool present[256] = {false};
    for (size_t i = 0; i < len && t->n_special > 0; i++)
        present[(unsigned char)text[i]] = true;
    for (size_t k = 0; ok && len > 0 && k < t->n_special; k++) {
        int32_t id = t->special[k];
        if (!parse_special && (t->attr[id] & (TOK_ATTR_CONTROL | TOK_ATTR_UNKNOWN)))
            continue;
        if (!present[(unsigned char)t->text[t->text_off[id]]])
            continue;
        ok = split_at_special(t, text, &a, &b, id);
        frag_list tmp = a;
        a = b;
        b = tmp;
    }

    bool bos = add_special && t->add_bos && t->bos >= 0;
    bool eos = add_special && t->add_eos;
    int32_t eos_id = t->model == TOK_MODEL_WPM ? t->sep : t->eos;
    if (ok && bos)
        tok_vec_push(&out, t->bos);
    bool prev_special = true; /* SentencePiece: a space prefix starts the text */
    for (size_t f = 0; ok && f < a.n && !out.failed; f++) {
        fragment fr = a.v[f];
        if (fr.id >= 0) {
            tok_vec_push(&out, fr.id);
            prev_special = true;
            continue;
        }
        switch (t->model) {
        case TOK_MODEL_SPM:
            tok_spm_encode(t, text + fr.off, fr.len, t->add_space_prefix && prev_special,
                           shortcuts, &out);
            break;
        case TOK_MODEL_BPE: tok_bpe_encode(t, text + fr.off, fr.len, word_cache, &out); break;
        case TOK_MODEL_WPM: tok_wpm_encode(t, text + fr.off, fr.len, &out); break;
        }
        prev_special = false;
    }
    if (ok && eos && eos_id >= 0)
        tok_vec_push(&out, eos_id);
    free(a.v);
    free(b.v);
    if (!ok || out.failed) {
        free(out.v);
        return hearth_fail(err, HEARTH_ERR_NOMEM, "tokenize: out of memory (%zu bytes of text)",
                           len);
    }
    *ids = out.v;
    *n_ids = out.n;
    return HEARTH_OK;
}

const char *tokenizer_piece(const tokenizer *t, int32_t id, bool special, size_t *len) {
    *len = 0;
    if (id < 0 || id >= t->n_vocab)
        return NULL;
    uint16_t a = t->attr[id];
    const char *p = t->piece + t->piece_off[id];
    if ((a & (TOK_ATTR_CONTROL | TOK_ATTR_UNKNOWN)) && !special)
        return p;
    if ((a & (TOK_ATTR_UNUSED | TOK_ATTR_UNDEFINED)) && t->model != TOK_MODEL_BPE)
        return p; /* SentencePiece/WordPiece placeholders output nothing */
    *len = (size_t)(t->piece_off[id + 1] - t->piece_off[id]);
    return p;
}

/* ==== public API ============================================================ */

static const tokenizer *model_tok(const hearth_model *m) { return m ? m->tok : NULL; }

hearth_status hearth_tokenize(const hearth_model *model, const char *text, size_t len,
                              bool add_special, bool parse_special, int32_t *tokens,
                              size_t n_max, size_t *n_out) {
    if (n_out)
        *n_out = 0;
    const tokenizer *t = model_tok(model);
    if (!t || !n_out || (!text && len > 0) || (!tokens && n_max > 0))
        return hearth_set_error(HEARTH_ERR_INVALID_ARG,
                                "hearth_tokenize: NULL model, text, tokens or n_out");
    hearth_errbuf err = {""};
    int32_t *ids;
    size_t n;
    hearth_status st = tokenizer_encode(t, text ? text : "", len, add_special, parse_special,
                                        &ids, &n, &err);
    if (st != HEARTH_OK)
        return hearth_set_last_error(st, err.msg);
    *n_out = n;
    if (n > n_max) {
        free(ids);
        return hearth_set_error(HEARTH_ERR_BUFFER_TOO_SMALL,
                                "hearth_tokenize: %zu tokens do not fit in a buffer of %zu", n,
                                n_max);
    }
    if (n)
        memcpy(tokens, ids, n * sizeof *ids);
    free(ids);
    return HEARTH_OK;
}

hearth_status hearth_token_to_piece(const hearth_model *model, int32_t token, bool special,
                                    char *buf, size_t size, size_t *n_out) {
    if (n_out)
        *n_out = 0;
    const tokenizer *t = model_tok(model);
    if (!t || !n_out || (!buf && size > 0))
        return hearth_set_error(HEARTH_ERR_INVALID_ARG,
                                "hearth_token_to_piece: NULL model, buf or n_out");
    size_t len;
    const char *p = tokenizer_piece(t, token, special, &len);
    if (!p)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG,
                                "hearth_token_to_piece: token %d outside the vocabulary (0..%d)",
                                (int)token, (int)t->n_vocab - 1);
    *n_out = len;
    if (len > size)
        return hearth_set_error(HEARTH_ERR_BUFFER_TOO_SMALL,
                                "hearth_token_to_piece: piece of %zu bytes, buffer of %zu", len,
                                size);
    if (len > 0)
        memcpy(buf, p, len);
    return HEARTH_OK;
}

hearth_status hearth_detokenize(const hearth_model *model, const int32_t *tokens,
                                size_t n_tokens, bool special, char *buf, size_t size,
                                size_t *n_out) {
    if (n_out)
        *n_out = 0;
    const tokenizer *t = model_tok(model);
    if (!t || !n_out || (!tokens && n_tokens > 0) || (!buf && size > 0))
        return hearth_set_error(HEARTH_ERR_INVALID_ARG,
                                "hearth_detokenize: NULL model, tokens, buf or n_out");
    size_t total = 0;
    bool strip_space = t->add_space_prefix;
    for (size_t i = 0; i < n_tokens; i++) {
        size_t len;
        const char *p = tokenizer_piece(t, tokens[i], special, &len);
        if (!p)
            return hearth_set_error(HEARTH_ERR_INVALID_ARG,
                                    "hearth_detokenize: token %d (position %zu) outside the "
                                    "vocabulary (0..%d)",
                                    (int)tokens[i], i, (int)t->n_vocab - 1);
        /* The space SentencePiece put in front of the text is not part of it:
         * one space, from the first piece that has bytes. */
        if (strip_space && len > 0) {
            strip_space = false;
            if (p[0] == ' ') {
                p++;
                len--;
            }
        }
        if (len > 0 && total + len <= size)
            memcpy(buf + total, p, len);
        total += len;
    }
    *n_out = total;
    if (total > size)
        return hearth_set_error(HEARTH_ERR_BUFFER_TOO_SMALL,
                                "hearth_detokenize: %zu bytes do not fit in a buffer of %zu",
                                total, size);
    return HEARTH_OK;
}

int32_t hearth_vocab_size(const hearth_model *model) {
    const tokenizer *t = model_tok(model);
    return t ? t->n_vocab : 0;
}
int32_t hearth_token_bos(const hearth_model *model) {
    const tokenizer *t = model_tok(model);
    return t ? t->bos : -1;
}
int32_t hearth_token_eos(const hearth_model *model) {
    const tokenizer *t = model_tok(model);
    return t ? t->eos : -1;
}
int32_t hearth_token_eot(const hearth_model *model) {
    const tokenizer *t = model_tok(model);
    return t ? t->eot : -1;
}
bool hearth_token_is_eog(const hearth_model *model, int32_t token) {
    const tokenizer *t = model_tok(model);
    return t && token >= 0 && token < t->n_vocab && (t->attr[token] & TOK_ATTR_EOG);
}
