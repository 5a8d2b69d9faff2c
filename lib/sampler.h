/* sampler.h - internal view of the sampler chain (lib/sampler.c), for tests.
 *
 * The public entry points are hearth_sampler_* in hearth.h. The one internal
 * function exposes the chain's effect on the logits without the final draw, so
 * that tests can check penalty formulas and candidate sets directly; it is the
 * same code path hearth_sampler_sample() runs before it draws.
 */
#ifndef HEARTH_SAMPLER_H
#define HEARTH_SAMPLER_H

#include "internal.h"

/* Runs the stage chain (penalties from the current history, top-k, top-p, min-p,
 * temperature, in the configured order) over a copy of `logits` and writes the
 * result to `out` (n_vocab floats): the transformed logit of every surviving
 * candidate, -INFINITY for every removed token. With temperature <= 0 only the
 * greedy choice survives. Neither `logits`, the history nor the RNG change. */
hearth_status sampler_transform(hearth_sampler *s, const float *logits, int32_t n_vocab,
                                float *out);

#endif /* HEARTH_SAMPLER_H */
