/* ref_forward.h - the reference llama forward pass for tests (tests/util/ref_forward.c).
 *
 * Written for obviousness, not speed: plain loops, double accumulation, weights
 * dequantized to float by the reference dequantizers, activations kept in double,
 * K and V rounded to F16 as a default F16 KV cache does. It shares nothing with
 * lib/forward*.c; only the GGUF reader is common.
 */
#ifndef HEARTH_REF_FORWARD_H
#define HEARTH_REF_FORWARD_H

#include <stdbool.h>
#include <stdint.h>

/* Logits of every position of `tokens` (n of them) fed from an empty context:
 * *logits_out is malloc'd, (n, n_vocab) position-major; *n_vocab_out set.
 * kv_f16: round K and V to F16 (false keeps them in double).
 * Returns false (with a message on stderr) when the file cannot be used. */
bool ref_forward(const char *path, const int32_t *tokens, int n, bool kv_f16,
                 float **logits_out, int *n_vocab_out);

#endif /* HEARTH_REF_FORWARD_H */
