/* kernel_verify.h - Check-free comparison of a kernel table against the
 * scalar reference (STYLE §8), shared by tests/check_kernels.c and the
 * cross-compiled NEON harness tests/arm/ (which runs without Check).
 *
 * Every function returns true on success; on failure it writes one line
 * naming the slot, size and seed into msg. Data is seeded and reproducible.
 */
#ifndef HEARTH_TESTS_KERNEL_VERIFY_H
#define HEARTH_TESTS_KERNEL_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/kernels.h"

/* Data patterns fed to the kernels. */
typedef enum kv_pattern {
    KV_NORMAL = 0,  /* N(0, 1) */
    KV_ZEROS,       /* all zero */
    KV_HUGE,        /* magnitudes near 1e4 .. 6e4 (f16 scale near its top) */
    KV_TINY,        /* magnitudes near 1e-6 (f16 scales go subnormal) */
    KV_OUTLIER,     /* N(0, 1) with one value of +-50 per 32 */
    KV_TIES,        /* values on half-steps of the grid: rounding ties */
    KV_PATTERN_COUNT
} kv_pattern;

const char *kv_pattern_name(kv_pattern p);

/* Fills x[0..n) with pattern p from seed. */
void kv_fill(float *x, int64_t n, kv_pattern p, uint64_t seed);

/* True when the type has weight kernels in `ref` (vec_dot set). */
bool kv_type_computable(const hearth_kernels *ref, int type);

/* quantize_row[type] of k vs ref: bit-identical bytes. */
bool kv_check_quantize(const hearth_kernels *k, const hearth_kernels *ref, int type, int64_t n,
                       kv_pattern p, uint64_t seed, char *msg, size_t msg_size);
/* The same for the activation slot quantize_act[type]. */
bool kv_check_quantize_act(const hearth_kernels *k, const hearth_kernels *ref, int type,
                           int64_t n, kv_pattern p, uint64_t seed, char *msg, size_t msg_size);
/* dequantize_row[type]: bit-identical floats, on rows made by ref quantize. */
bool kv_check_dequantize(const hearth_kernels *k, const hearth_kernels *ref, int type,
                         int64_t n, kv_pattern p, uint64_t seed, char *msg, size_t msg_size);
/* vec_dot[type] vs ref within 2 * n * FLT_EPSILON * sum|term| (STYLE §8), the
 * activations made by ref quantize_row[vec_dot_type]. */
bool kv_check_vec_dot(const hearth_kernels *k, const hearth_kernels *ref, int type, int64_t n,
                      kv_pattern p, uint64_t seed, char *msg, size_t msg_size);
/* mat_dot[type] of k vs vec_dot[type] of the same table: bit-identical for
 * every output of an nr x nc tile (determinism contract). */
bool kv_check_mat_dot(const hearth_kernels *k, int type, int64_t n, int64_t nr, int64_t nc,
                      uint64_t seed, char *msg, size_t msg_size);
/* The element ops of k vs ref on n values (bounds as declared in kernels.h). */
bool kv_check_ops(const hearth_kernels *k, const hearth_kernels *ref, int64_t n, uint64_t seed,
                  char *msg, size_t msg_size);

/* gemm_f32 of k vs ref on an m x n x kk product (strided operands), with and
 * without accumulate, and with the k terms split over two calls:
 * bit-identical (each output one fmaf chain, kernels.h). kk may be 0. */
bool kv_check_gemm(const hearth_kernels *k, const hearth_kernels *ref, int64_t m, int64_t n,
                   int64_t kk, uint64_t seed, char *msg, size_t msg_size);
/* transpose_f16_f32 and transpose_f32 of k vs ref: bit-identical. */
bool kv_check_transpose(const hearth_kernels *k, const hearth_kernels *ref, int64_t n_rows,
                        int64_t n_cols, uint64_t seed, char *msg, size_t msg_size);

/* FNV-1a 64 of a byte range (used for the llama.cpp expectations table). */
uint64_t kv_fnv1a(const void *data, size_t n);

#endif /* HEARTH_TESTS_KERNEL_VERIFY_H */
