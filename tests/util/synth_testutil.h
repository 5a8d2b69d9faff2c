/* synth_testutil.h - helpers for the model tests: load, contexts, logits of a
 * whole prompt, argmax comparison, quantizer hooks for the synthetic writer.
 * Every helper fails the current Check test on error (no status to check).
 */
#ifndef HEARTH_SYNTH_TESTUTIL_H
#define HEARTH_SYNTH_TESTUTIL_H

#include "hearth.h"

hearth_model *mt_load(const char *path);
/* A context with n_ctx tokens (n_batch = n_ctx) and the given options. */
hearth_ctx *mt_ctx(hearth_model *m, int32_t n_ctx, bool logits_all, bool ctx_shift,
                   int32_t n_keep);
/* Logits of every prompt position, (n, n_vocab) malloc'd; NULL on failure. */
float *mt_logits_all(const char *path, const int32_t *tokens, int n, hearth_isa isa,
                     hearth_kv_type kv);
/* Positions whose argmax differs between got and ref (rows of n_vocab), not
 * counting near-ties of ref (margin within twice the row's RMS error). */
int mt_argmax_mismatches(const float *got, const float *ref, int n, int n_vocab, double relrms);
int mt_argmax(const float *x, int n);
/* synth_quantize_fn over the reference kernels' quantizers. */
bool mt_ref_quantize(uint32_t type, const float *src, void *dst, int64_t n);
/* synth_quantize_fn writing zero bytes (for types without kernels). */
bool mt_zero_quantize(uint32_t type, const float *src, void *dst, int64_t n);

#endif /* HEARTH_SYNTH_TESTUTIL_H */
