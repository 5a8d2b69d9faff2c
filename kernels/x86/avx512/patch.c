/* patch.c - everything the avx512 tier provides (STYLE §6), on top of the
 * AVX2 table. vec_dot and mat_dot of a type are always replaced together:
 * mat_dot must give vec_dot's bits for every output.
 */
#include "../../kernels.h"

void hearth_patch_dots_avx512(hearth_kernels *k);   /* dot.c */
void hearth_patch_floats_avx512(hearth_kernels *k); /* float.c */
void hearth_softmax_f32_avx512(float *x, int64_t n); /* ops.c */
void hearth_silu_mul_f32_avx512(float *out, const float *gate, const float *restrict up,
                                int64_t n); /* ops.c */
void hearth_gemm_f32_avx512(int64_t m, int64_t n, int64_t k, const float *restrict a,
                            int64_t lda, const float *restrict b, int64_t ldb, float *restrict c,
                            int64_t ldc, bool accumulate); /* attn.c */
void hearth_transpose_f16_f32_avx512(float *restrict dst, int64_t ldd,
                                     const hearth_f16 *restrict src, size_t src_stride,
                                     int64_t n_rows, int64_t n_cols); /* attn.c */

void hearth_kernels_patch_avx512(hearth_kernels *k) {
    hearth_patch_dots_avx512(k);   /* Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 IQ4_NL: vec_dot + mat_dot */
    hearth_patch_floats_avx512(k); /* F32 F16 BF16: vec_dot + mat_dot */
    k->softmax = hearth_softmax_f32_avx512;
    k->silu_mul = hearth_silu_mul_f32_avx512;
    k->gemm_f32 = hearth_gemm_f32_avx512;
    k->transpose_f16_f32 = hearth_transpose_f16_f32_avx512;
    hearth_kernels_patch_avx512_kquants(k);
    k->isa = HEARTH_ISA_AVX512;
}
