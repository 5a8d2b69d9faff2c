/* roofline.h - the physical limits every speed figure is reported against
 * (../shared/docs/BENCH.md): read bandwidth from a streaming-read loop and peak
 * arithmetic rates from register-only loops, measured with a given number of
 * threads, in the same run as the figures they judge.
 */
#ifndef HEARTH_BENCH_ROOFLINE_H
#define HEARTH_BENCH_ROOFLINE_H

#include <stddef.h>
#include <stdint.h>

typedef struct roofline_limits {
    double read_gbs;      /* best streaming-read bandwidth, 1e9 bytes/s */
    double fma_gflops;    /* peak f32 FMA rate, 1e9 flop/s (multiply + add = 2) */
    double int8_gops;     /* peak int8 dot-product rate, 1e9 op/s (multiply + add = 2) */
    const char *read_isa; /* the fastest loop: "avx512", "avx512+prefetch 4K"/"16K", "avx2", ... */
    const char *int8_isa; /* "avx512vnni", "avx2" (maddubs) or "scalar" */
} roofline_limits;

/* The streaming-read loops this CPU can run (XOR of every 64-bit word of
 * buf[0..n_words)): fills up to `max` entries and returns how many. On
 * AVX-512 machines three: plain full-width loads, and the same with a software
 * prefetch 4 KiB or 16 KiB ahead; a limit is the best of them. */
typedef uint64_t (*roofline_read_fn)(const uint64_t *buf, size_t n_words);
int roofline_read_loops(roofline_read_fn *fns, const char **names, int max);

/* A buffer of `bytes` in transparent huge pages when the kernel gives them
 * (as the runtime keeps its weights, lib/weight_home.h), so that read loops
 * and kernels see the same memory system; NULL when it cannot be mapped.
 * Freed with roofline_free_huge(). */
void *roofline_alloc_huge(size_t bytes);
void roofline_free_huge(void *p, size_t bytes);

/* Streaming read of `bytes` (rounded down to 4 KiB per thread) with n_threads
 * threads, `passes` times with each read loop (alternating); returns the
 * best pass in GB/s and, in *isa, the loop that ran it. The buffer is
 * allocated, touched and freed here (choose it much larger than the L3).
 * Returns 0 when memory cannot be allocated. */
double roofline_read_bandwidth(int n_threads, size_t bytes, int passes, const char **isa);

/* Peak rates with n_threads threads each running a register-only loop for
 * about `seconds` (best of three short runs). */
double roofline_peak_fma(int n_threads, double seconds);
double roofline_peak_int8(int n_threads, double seconds, const char **isa);

/* XOR of all 64-bit words of buf[0..n_words) computed by the widest read loop
 * this CPU has: the loop is checked against a scalar XOR before it is trusted. */
uint64_t roofline_xor_words(const uint64_t *buf, size_t n_words);

/* Everything above at once, with progress on stderr when `verbose`. */
void roofline_measure(roofline_limits *out, int n_threads, size_t read_bytes, int verbose);

#endif /* HEARTH_BENCH_ROOFLINE_H */
