/* tokenizer.h - vocabulary and text <-> token conversion (owned by lib/tokenizer*.c).
 *
 * Built from GGUF metadata (tokenizer.ggml.*) and never from hard-coded ids.
 * Immutable after tokenizer_load(): safe to share between threads. The public
 * hearth_tokenize()/hearth_token_*() functions are thin wrappers over this.
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

#endif /* HEARTH_TOKENIZER_H */
