/* kernels.h - the kernel table: every ISA-specific operation hearth performs.
 *
 * THE CONTRACT (holds for every slot unless the slot's comment says otherwise)
 * - `n` counts values; for a block format it is a multiple of the block size.
 * - Pointers are `restrict`: inputs and outputs never overlap unless stated.
 * - Rows are aligned to their element or block struct (4 bytes for F32 and
 *   Q8_K, 2 for the others); nothing more is assumed (unaligned vector loads).
 *   A kernel never reads or writes past the `n` values it was given.
 * - Kernels are single-threaded, never allocate, never touch globals, and never
 *   fail: the caller has validated shapes. Parallelism is the caller's (lib/).
 * - The scalar reference (kernels/ref/, `hearth_kernels_ref`) is the
 *   specification. Quantize, dequantize and integer block sums must be
 *   bit-exact with it; float reductions may differ by summation order only:
 *   |simd - ref| <= 2 * n_terms * FLT_EPSILON * sum|term| (STYLE §8).
 * - Results are deterministic: the same inputs give the same bits whatever
 *   else runs, so the forward pass is reproducible at any thread count.
 *
 * Tables are built by hearth_kernels_init(): reference first, then each tier
 * the CPU has (and the caller allows) overrides the slots it implements.
 * Each context keeps its own copy; there is no global table.
 */
#ifndef HEARTH_KERNELS_H
#define HEARTH_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hearth.h" /* hearth_isa */
#include "quant.h"             /* type ids, block structs, hearth_f16 */

/* ---- Slot signatures ---------------------------------------------------- */

/* *out = dot(w, a) over n values. `w` is one row in weight type T, `a` the
 * activations already converted by quantize_act[vec_dot_type(T)]. */
typedef void (*hearth_vec_dot_fn)(int64_t n, float *restrict out, const void *restrict w,
                                  const void *restrict a);

/* Float -> type T, n values (n a multiple of T's block size). In quantize_row
 * this is the reference quantizer of the format (what weights are stored
 * with); in quantize_act, the activation conversion (see the table). */
typedef void (*hearth_quantize_row_fn)(const float *restrict src, void *restrict dst, int64_t n);

/* Type T -> float, n values. */
typedef void (*hearth_dequantize_row_fn)(const void *restrict src, float *restrict dst, int64_t n);

/* Tile product for matmul and matvec: for r < nr, c < nc,
 *     out[c * ldo + r] = dot(row r of w, column c of a)
 * where row r starts at (const char *)w + r * w_stride and column c at
 * (const char *)a + c * a_stride (activations converted as for vec_dot).
 * Each out value must equal what vec_dot computes for that pair bit for bit,
 * so the split of rows and columns between threads never changes the result.
 * Implementations reuse each loaded weight block across the nc columns. */
typedef void (*hearth_mat_dot_fn)(int64_t n, int64_t nr, int64_t nc, float *restrict out,
                                  int64_t ldo, const void *restrict w, size_t w_stride,
                                  const void *restrict a, size_t a_stride);

/* The one exception to "mat_dot gives vec_dot's bits": a tier may compute
 * batches (nc >= HEARTH_MAT_DOT_REF_MIN_COLS) in groups of G rows with a
 * different layout, and then those outputs (rows [0, G * floor(nr / G)))
 * give the scalar reference vec_dot's bits instead; the table records G in
 * mat_dot_ref_rows[type]. The result still depends only on the call's shape,
 * never on the thread that runs it. */
#define HEARTH_MAT_DOT_REF_MIN_COLS 4

/* ---- Repacked weight layouts ------------------------------------------- */
/* Some tiers read a type's weights faster in another arrangement of the same
 * bytes; those weights are repacked once, when the model moves them home
 * (lib/weight_home.c). A layout keeps the type's row size and values: only
 * where the bytes sit changes (geometry: kernels/layout.h). */
typedef enum {
    HEARTH_LAYOUT_GGUF = 0,     /* as in the file */
    HEARTH_LAYOUT_Q4_0_X16 = 1, /* Q4_0, 16 blocks' codes transposed to dword lanes */
    HEARTH_LAYOUT_Q4_K_X4 = 2,  /* Q4_K, 4 blocks' headers together, codes in 64-value halves */
    HEARTH_LAYOUT_Q8_0_X16 = 3, /* Q8_0, 16 blocks' codes transposed to dword lanes */
    HEARTH_LAYOUT_COUNT
} hearth_layout;

/* ---- The table ---------------------------------------------------------- */
typedef struct hearth_kernels {
    hearth_isa isa; /* highest tier that patched this table */

    /* Indexed by GGUF type id; NULL where hearth cannot compute with the type. */
    hearth_vec_dot_fn vec_dot[HEARTH_TYPE_COUNT];
    hearth_mat_dot_fn mat_dot[HEARTH_TYPE_COUNT];
    int8_t mat_dot_ref_rows[HEARTH_TYPE_COUNT]; /* G above, 0 = none */
    hearth_quantize_row_fn quantize_row[HEARTH_TYPE_COUNT];
    hearth_dequantize_row_fn dequantize_row[HEARTH_TYPE_COUNT];
    /* Activations -> vec_dot_type(T), at run time; set for every activation
     * type (F32, F16, BF16, Q8_0, Q8_1, Q8_K). Same bytes as quantize_row
     * except Q8_0 and Q8_1, which round as llama.cpp does on x86: d = amax/127
     * stored, x * (127/amax) rounded half to EVEN (quantize_row keeps the
     * reference quantizer's 1/d and half away from zero; CONVENTIONS §5). */
    hearth_quantize_row_fn quantize_act[HEARTH_TYPE_COUNT];

    /* Dots over rows in a repacked layout L (index 0 unused), with the
     * activations of the layout's type. They give the bits of this table's
     * vec_dot/mat_dot of that type on the same rows in GGUF order where the
     * tier that set them also set preferred_layout; a tier that only
     * inherits them (from the reference, which reads the layout block by
     * block) gets the reference's bits. mat_dot_ref_rows of the type applies. */
    hearth_vec_dot_fn layout_vec_dot[HEARTH_LAYOUT_COUNT];
    hearth_mat_dot_fn layout_mat_dot[HEARTH_LAYOUT_COUNT];
    /* The layout this tier wants type T's weights in: GGUF (0) = as stored. */
    uint8_t preferred_layout[HEARTH_TYPE_COUNT];

    /* out[i] = x[i] / sqrt(mean(x^2) + eps) * w[i]; the mean is accumulated in
     * float in a fixed order (out may alias x).
     * max rel err vs ref: n * FLT_EPSILON + 4 * FLT_EPSILON (reordered sum) */
    void (*rmsnorm)(float *out, const float *x, const float *restrict w, int64_t n, float eps);
    /* x[i] = exp(x[i] - max) / sum, in place; the result depends on n and x
     * only (attention rows get the same bits in a batch and alone).
     * max rel err vs ref: 4e-6 (approximated exp) + 2 * n * FLT_EPSILON (sum);
     * terms below FLT_MIN (x[i] - max < -87.33) may be flushed to 0. */
    void (*softmax)(float *x, int64_t n);
    /* out[i] = silu(gate[i]) * up[i] (out may alias gate). max rel err vs ref: 4e-6,
     * except that where gate < -87.33 (|out| < 1e-35 |up|) out may be 0. */
    void (*silu_mul)(float *out, const float *gate, const float *restrict up, int64_t n);
    /* out[i] = a[i] + b[i] (out may alias a). Exact: equal to ref. */
    void (*add)(float *out, const float *a, const float *restrict b, int64_t n);
    /* Attention over the KV cache: scores and weighted sums with F16 or F32 rows. */
    float (*dot_f32)(const float *restrict a, const float *restrict b, int64_t n);
    float (*dot_f16_f32)(const hearth_f16 *restrict k, const float *restrict q, int64_t n);
    /* out[i] += a * v[i], product and sum rounded separately (never fused):
     * equal to ref bit for bit. */
    void (*axpy_f32)(float *restrict out, float a, const float *restrict v, int64_t n);
    void (*axpy_f16)(float *restrict out, float a, const hearth_f16 *restrict v, int64_t n);

    /* Tiles of batch attention (lib/prefill_attn.c): scores Q.K^T and P.V.
     * C (+)= A.B for r < m, j < n, A and B row-major:
     *     c[r*ldc + j] = (accumulate ? c[r*ldc + j] : 0) + sum_{i<k} a[r*lda + i] * b[i*ldb + j]
     * each sum a chain of fused multiply-adds, i ascending (fmaf), so equal to
     * ref bit for bit, and an output never depends on m, n or which tile
     * computed it: splitting k into consecutive calls with accumulate also
     * gives the same bits. c never overlaps a or b. */
    void (*gemm_f32)(int64_t m, int64_t n, int64_t k, const float *restrict a, int64_t lda,
                     const float *restrict b, int64_t ldb, float *restrict c, int64_t ldc,
                     bool accumulate);
    /* dst[j*ldd + i] = value j of row i (i < n_rows, j < n_cols), row i at
     * (const char *)src + i * src_stride (a multiple of the element size):
     * a block of cache rows turned into columns, converted exactly to float. */
    void (*transpose_f16_f32)(float *restrict dst, int64_t ldd, const hearth_f16 *restrict src,
                              size_t src_stride, int64_t n_rows, int64_t n_cols);
    void (*transpose_f32)(float *restrict dst, int64_t ldd, const float *restrict src,
                          size_t src_stride, int64_t n_rows, int64_t n_cols);
} hearth_kernels;

/* The reference table (kernels/ref/): every slot of every computable type is
 * set. Q8_1 (activations only) has quantize/dequantize but no vec_dot.
 * Rules every tier keeps: vec_dot and mat_dot of a type are replaced together
 * (mat_dot gives the tier's vec_dot bits); quantize_row[Q8_0/Q8_1] round like
 * llama.cpp's quantize_row_q8_*_ref (roundf: half away from zero), and
 * quantize_act[Q8_0/Q8_1] like its x86 path (127/amax, half to even); each
 * tier's quantizers give the reference slot's bytes. */
extern const hearth_kernels hearth_kernels_ref;

/* Tier patches: each overrides the slots its directory implements. */
void hearth_kernels_patch_avx2(hearth_kernels *k);
void hearth_kernels_patch_avx512(hearth_kernels *k);
void hearth_kernels_patch_avx512vnni(hearth_kernels *k);
/* On a CPU with GFNI, after the avx512vnni patch: the same slots' bits, faster. */
void hearth_kernels_patch_avx512vnni_gfni(hearth_kernels *k);
void hearth_kernels_patch_neon(hearth_kernels *k);
void hearth_kernels_patch_neon_dotprod(hearth_kernels *k);

/* The K-quant/IQ4_XS family's part of each tier (kernels/<arch>/<tier>/
 * patch_kquants.c); each tier's patch calls its own after the other slots. */
void hearth_kernels_patch_avx2_kquants(hearth_kernels *k);
void hearth_kernels_patch_avx512_kquants(hearth_kernels *k);
void hearth_kernels_patch_avx512vnni_kquants(hearth_kernels *k);
void hearth_kernels_patch_neon_kquants(hearth_kernels *k);
void hearth_kernels_patch_neon_dotprod_kquants(hearth_kernels *k);

/* Fills *k for tier `requested` (HEARTH_ISA_AUTO = the best this CPU has).
 * Returns false, leaving *k as the reference table, when the CPU lacks the
 * requested tier or the tier does not exist on this architecture. */
bool hearth_kernels_init(hearth_kernels *k, hearth_isa requested);

/* ---- Scalar conversions every tier and lib/ may use -------------------- */
float hearth_f16_to_f32(hearth_f16 h);
hearth_f16 hearth_f32_to_f16(float f); /* round to nearest even */
float hearth_bf16_to_f32(hearth_bf16 h);
hearth_bf16 hearth_f32_to_bf16(float f); /* round to nearest even, NaN kept quiet */

#endif /* HEARTH_KERNELS_H */
