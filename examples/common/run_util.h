/* run_util.h - what hearth-generate and hearth-chat share: timing, the
 * HEARTH_ISA variable, sampling flags, seeds, and UTF-8-safe streaming.
 * Public API only.
 */
#ifndef HEARTH_RUN_UTIL_H
#define HEARTH_RUN_UTIL_H

#include <stdio.h> /* FILE */

#include "hearth.h"

/* Monotonic clock in milliseconds. */
double ru_now_ms(void);

/* HEARTH_ISA (scalar|avx2|avx512|avx512vnni|neon|neon-dotprod) into *isa; unset
 * leaves AUTO. Returns false (message on stderr) for an unknown name. */
bool ru_isa_from_env(hearth_isa *isa);

/* A seed from the OS (or the clock), for --seed's random default. */
uint64_t ru_random_seed(void);

/* Parses the sampling flag at argv[*i] (--temp --top-k --top-p --min-p
 * --repeat-penalty --repeat-last-n --frequency-penalty --presence-penalty
 * -s/--seed --greedy) into *sp, advancing *i past its value. Returns 1 when it
 * was one, 0 when argv[*i] is not a sampling flag, -1 on a bad value (message
 * printed). *seed_set is set by -s/--seed. */
int ru_parse_sampling_flag(int argc, char **argv, int *i, hearth_sampler_params *sp,
                           bool *seed_set);
/* The help text of those flags. */
extern const char ru_sampling_help[];

/* Streams token bytes to a FILE without ever writing half a UTF-8 character:
 * an incomplete sequence at the end is held until the next piece completes it. */
typedef struct ru_stream {
    char pending[8];
    size_t n_pending;
} ru_stream;
void ru_stream_put(ru_stream *s, FILE *f, const char *bytes, size_t n);
/* Writes whatever is held (at the end of the output). */
void ru_stream_flush(ru_stream *s, FILE *f);

/* Writes the piece of `token` to the stream (control tokens print nothing). */
void ru_stream_token(ru_stream *s, FILE *f, const hearth_model *m, int32_t token);

#endif /* HEARTH_RUN_UTIL_H */
