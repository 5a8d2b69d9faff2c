/* tokenizer.h - vocabulary and text <-> token conversion (owned by lib/tokenizer*.c).
 *
 * Built from GGUF metadata (tokenizer.ggml.*) and never from hard-coded ids.
 * Immutable after tokenizer_load()/tokenizer_finish(): safe to share between
 * threads. The public hearth_tokenize()/hearth_token_*() functions are thin
 * wrappers over this.
 *
 * Module map: tokenizer_vocab.c (building, lookup tables, GGUF loading),
 * tokenizer_split.c (pre-tokenizer regex splits), tokenizer_spm.c,
 * tokenizer_bpe.c, tokenizer_wpm.c (the three algorithms), tokenizer.c (special
 * tokens, public API, pieces and detokenization).
 */
#ifndef HEARTH_TOKENIZER_H
#define HEARTH_TOKENIZER_H

#include "internal.h"

typedef struct tokenizer tokenizer;

/* Reads the vocabulary of `gguf` (any architecture). Log receives warnings
 * such as an unknown pre-tokenizer. Errors name the key at fault. */
hearth_status tokenizer_load(tokenizer **out, const hearth_gguf *gguf, hearth_log_fn log_fn,
                             void *log_user, hearth_errbuf *err);
void tokenizer_free(tokenizer *tok); /* NULL is a no-op */

int32_t tokenizer_n_vocab(const tokenizer *tok);

/* ---- Building a tokenizer without a file (loader and unit tests) ---------- */
typedef enum tok_model {
    TOK_MODEL_SPM = 0, /* tokenizer.ggml.model = "llama": SentencePiece BPE with scores */
    TOK_MODEL_BPE = 1, /* "gpt2": byte-level BPE with merges */
    TOK_MODEL_WPM = 2  /* "bert": WordPiece */
} tok_model;

/* Pre-tokenizer splits of byte-level BPE (tokenizer.ggml.pre). */
typedef enum tok_pre {
    TOK_PRE_DEFAULT = 0,    /* unknown/missing name: the default regex list (warned) */
    TOK_PRE_LLAMA3,         /* llama-bpe, llama3, ...: digits in groups of up to 3 */
    TOK_PRE_QWEN2,          /* qwen2, deepseek-r1-qwen: like llama3, one digit each */
    TOK_PRE_GPT2,           /* gpt-2, mpt, olmo, roberta-bpe, ... */
    TOK_PRE_DEEPSEEK_LLM,
    TOK_PRE_DEEPSEEK_CODER,
    TOK_PRE_FALCON,
    TOK_PRE_STARCODER,      /* starcoder, refact, command-r, smollm: digits split, then gpt2 */
    TOK_PRE_COUNT
} tok_pre;

/* Token attributes (GGUF tokenizer.ggml.token_type numbers map onto these). */
enum {
    TOK_ATTR_NORMAL = 0x001,
    TOK_ATTR_UNKNOWN = 0x002,
    TOK_ATTR_CONTROL = 0x004,
    TOK_ATTR_USER_DEFINED = 0x008,
    TOK_ATTR_BYTE = 0x010,
    TOK_ATTR_UNUSED = 0x020,
    TOK_ATTR_UNDEFINED = 0x040,
    TOK_ATTR_LSTRIP = 0x080, /* eat whitespace before the special token */
    TOK_ATTR_RSTRIP = 0x100, /* eat whitespace after it */
    TOK_ATTR_EOG = 0x200     /* ends generation */
};

/* GGUF token types: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte. */
uint16_t tokenizer_attr_from_gguf_type(int64_t type);

/* Optional metadata; fields left at TOK_UNSET take the model family's default. */
#define TOK_UNSET (-2)
typedef struct tokenizer_opts {
    const char *pre;        /* tokenizer.ggml.pre or NULL */
    const char *model_name; /* general.name or NULL (phi-3 strips spaces around specials) */
    int32_t bos, eos, eot, eom, unk, sep, pad; /* ids or TOK_UNSET */
    int add_bos, add_eos, add_space_prefix;    /* 0/1 or TOK_UNSET */
    hearth_log_fn log_fn;
    void *log_user;
} tokenizer_opts;
tokenizer_opts tokenizer_default_opts(void);

/* CONSTRUCTOR. An empty vocabulary of n_vocab tokens (all must then be set). */
hearth_status tokenizer_create(tokenizer **out, tok_model model, int32_t n_vocab,
                               hearth_errbuf *err);
/* Optional: room for this many bytes of token text and merges, so that loading
 * a large vocabulary does not grow (and copy) its buffers. */
hearth_status tokenizer_reserve(tokenizer *tok, size_t text_bytes, size_t n_merges,
                                hearth_errbuf *err);
/* Token i: its text as stored in the vocabulary (len bytes), score, attributes. */
hearth_status tokenizer_set_token(tokenizer *tok, int32_t i, const char *text, size_t len,
                                  float score, uint16_t attr, hearth_errbuf *err);
/* One BPE merge "left right" in priority order (rank = order of the calls). */
hearth_status tokenizer_add_merge(tokenizer *tok, const char *merge, size_t len,
                                  hearth_errbuf *err);
/* Builds the lookup tables; afterwards the tokenizer is immutable. */
hearth_status tokenizer_finish(tokenizer *tok, const tokenizer_opts *opts, hearth_errbuf *err);

/* ---- Using it --------------------------------------------------------------- */
/* Tokenizes len bytes (add_special/parse_special as hearth_tokenize). The
 * result is malloc'd into *ids (caller frees), count in *n_ids. */
hearth_status tokenizer_encode(const tokenizer *tok, const char *text, size_t len,
                               bool add_special, bool parse_special, int32_t **ids,
                               size_t *n_ids, hearth_errbuf *err);
/* tokenizer_encode() with its shortcuts forced on or off: the per-call word
 * cache of byte-level BPE (on for long texts) and SentencePiece's split into
 * independent segments (always on). The ids are the same either way (tests). */
hearth_status tokenizer_encode_ex(const tokenizer *tok, const char *text, size_t len,
                                  bool add_special, bool parse_special, bool shortcuts,
                                  int32_t **ids, size_t *n_ids, hearth_errbuf *err);
/* Output bytes of a token, borrowed from the tokenizer ("" for control tokens
 * unless special). NULL for an id outside the vocabulary. */
const char *tokenizer_piece(const tokenizer *tok, int32_t id, bool special, size_t *len);
tok_model tokenizer_model(const tokenizer *tok);
tok_pre tokenizer_pre(const tokenizer *tok);
const char *tokenizer_pre_name(tok_pre pre);
/* The token's text as stored in the vocabulary. */
const char *tokenizer_text(const tokenizer *tok, int32_t id, size_t *len);
uint16_t tokenizer_attr(const tokenizer *tok, int32_t id);
int32_t tokenizer_bos(const tokenizer *tok);
int32_t tokenizer_eos(const tokenizer *tok);
int32_t tokenizer_eot(const tokenizer *tok);
bool tokenizer_adds_bos(const tokenizer *tok);

/* ---- Pre-tokenizer splits (tokenizer_split.c; exposed for unit tests) ------ */
/* Receives each piece ("word") of the text in order; returns false to stop. */
typedef bool (*tok_word_fn)(void *user, const char *word, size_t len);
/* Splits text[0..len) as pre-tokenizer `pre` does; the words concatenate back to
 * the text exactly. Returns false when `emit` stopped it. */
bool tokenizer_split(tok_pre pre, const char *text, size_t len, tok_word_fn emit, void *user);

#endif /* HEARTH_TOKENIZER_H */
