/* synth_model.h - writes synthetic Llama-architecture GGUF files with random
 * weights (speed does not depend on weight values) through the public GGUF
 * writer: the default model of hearth-bench and the F16/F32 source files that
 * llama-quantize turns into the side-by-side comparison models.
 */
#ifndef HEARTH_BENCH_SYNTH_MODEL_H
#define HEARTH_BENCH_SYNTH_MODEL_H

#include <stdint.h>

#include "hearth.h"

typedef struct synth_shape {
    int64_t n_embd, n_layer, n_ff, n_head, n_head_kv, n_vocab, n_ctx_train;
} synth_shape;

/* TinyLlama-1.1B: dim 2048, 22 layers, ffn 5632, 32 heads, 4 KV heads, vocab 32000. */
synth_shape synth_tinyllama_shape(void);

/* Writes `path` (through `path`.tmp and a rename, so that an interrupted write
 * never leaves a truncated file behind). `weight_type` is the GGUF type of the
 * 2-D weights: HEARTH_TYPE ids 0 (F32), 1 (F16), 2 (Q4_0) or 8 (Q8_0); norms
 * are F32. The vocabulary is a SentencePiece-style one (<unk>, <s>, </s>, 256
 * byte tokens, then plain pieces) that hearth and llama.cpp both load.
 * Progress goes to stderr when `verbose`. */
hearth_status synth_write_llama(const char *path, const synth_shape *shape, uint32_t weight_type,
                                uint64_t seed, int verbose);

#endif /* HEARTH_BENCH_SYNTH_MODEL_H */
