/* model.h - the loaded model: GGUF file, tokenizer, hyper-parameters, weights.
 *
 * A hearth_model is immutable after hearth_model_load() returns; every field is
 * read-only from then on, which is what makes it shareable between threads and
 * contexts. Weights point into the GGUF mapping (no copies).
 */
#ifndef HEARTH_MODEL_H
#define HEARTH_MODEL_H

#include "internal.h"
#include "tokenizer.h"

struct llama_weights; /* lib/model_llama.c: per-architecture tensor views */

struct hearth_model {
    hearth_gguf *gguf;           /* owns the mapping every weight points into */
    hearth_model_params params;  /* as passed at load (log callback included) */
    tokenizer *tok;              /* always present (vocab_only loads only this) */
    char *path;                  /* file path, for messages */

    /* Filled for a full load of a supported architecture (NULL when vocab_only). */
    struct llama_weights *llama;
};

#endif /* HEARTH_MODEL_H */
