/* synth_model.h - writes synthetic llama-architecture GGUF models (random
 * weights) with the public GGUF writer: for tests, the demo and benchmarks.
 *
 * Only the public API (hearth.h) is used, so any program can link it. The
 * text such a model generates is noise: its weights are random.
 */
#ifndef HEARTH_SYNTH_MODEL_H
#define HEARTH_SYNTH_MODEL_H

#include "hearth.h"

/* Converts n floats (a multiple of the type's block size) into GGUF type
 * `type`; returns false when it cannot. Lets callers supply quantizers for
 * types the writer does not implement itself. */
typedef bool (*synth_quantize_fn)(uint32_t type, const float *src, void *dst, int64_t n);

typedef struct synth_model_params {
    int32_t n_embd, n_layer, n_ff, n_head, n_head_kv, n_ctx_train;
    int32_t n_vocab;     /* built-in byte-level vocabulary of this size (>= 300); ignored
                            when vocab_path is set */
    uint32_t type;       /* GGUF type of the 2-D weights (attention, ffn, output) */
    uint32_t embd_type;  /* GGUF type of token_embd */
    bool tied;           /* no output.weight: logits use token_embd */
    float rope_base;     /* written as llama.rope.freq_base (0: key omitted) */
    float rms_eps;
    float weight_std;    /* weights ~ N(0, std); norm weights ~ 1 + N(0, 0.1) */
    uint64_t seed;       /* same seed => same weights, whatever the types */
    const char *vocab_path; /* copy every tokenizer.* key from this GGUF, or NULL */
    const char *arch;       /* general.architecture (default "llama") */
    const char *omit_tensor;     /* tests: leave this tensor out, or NULL */
    const char *misshape_tensor; /* tests: give this tensor one row too many (2-D only) */
    synth_quantize_fn quantize;  /* converter for types other than F32/F16/BF16/Q8_0/Q4_0 */
    bool rope_freqs;             /* write rope_freqs.weight (Llama 3.1 style divisors) */
    float rope_scale_linear;     /* > 0: llama.rope.scaling.type linear with this factor */
} synth_model_params;

/* Defaults: a tiny model (dim 64, 2 layers, ffn 172, 4 heads, 2 KV heads,
 * vocab 320, F32, untied, context 256, seed 1). */
synth_model_params synth_model_default_params(void);

/* Writes the model to `path`. Errors come from the GGUF writer (see
 * hearth_last_error()), or HEARTH_ERR_UNSUPPORTED for a type without a converter. */
hearth_status synth_model_write(const char *path, const synth_model_params *p);

#endif /* HEARTH_SYNTH_MODEL_H */
