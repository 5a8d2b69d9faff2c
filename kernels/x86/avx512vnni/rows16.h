/* rows16.h - the avx512vnni tier's batch entry points for Q4_0, Q8_0 and IQ4_NL
 * (rows16.c), and the tier's own mat_dot of those types (dot.c) to which
 * they hand leftover rows and small batches. */
#ifndef HEARTH_KERNELS_AVX512VNNI_ROWS16_H
#define HEARTH_KERNELS_AVX512VNNI_ROWS16_H

#include "../../kernels.h"

#define HEARTH_VNNI_MAT_DOT(name)                                                          \
    void name(int64_t n, int64_t nr, int64_t nc, float *restrict out, int64_t ldo,        \
              const void *restrict w, size_t w_stride, const void *restrict a,             \
              size_t a_stride)

HEARTH_VNNI_MAT_DOT(hearth_mat_dot_q4_0_q8_0_avx512vnni);
HEARTH_VNNI_MAT_DOT(hearth_mat_dot_q8_0_q8_0_avx512vnni);
HEARTH_VNNI_MAT_DOT(hearth_mat_dot_iq4_nl_q8_0_avx512vnni);
HEARTH_VNNI_MAT_DOT(hearth_mat_dot_q4_0_rows16_avx512vnni);
HEARTH_VNNI_MAT_DOT(hearth_mat_dot_q8_0_rows16_avx512vnni);
HEARTH_VNNI_MAT_DOT(hearth_mat_dot_iq4_nl_rows16_avx512vnni);
/* Q4_0 rows in the X16 layout: the in-place kernel (dot.c) and the batches */
HEARTH_VNNI_MAT_DOT(hearth_mat_dot_q4_0_x16_avx512vnni);
HEARTH_VNNI_MAT_DOT(hearth_mat_dot_q4_0_x16_rows16_avx512vnni);
/* Q8_0 rows in the X16 layout, the same two */
HEARTH_VNNI_MAT_DOT(hearth_mat_dot_q8_0_x16_avx512vnni);
HEARTH_VNNI_MAT_DOT(hearth_mat_dot_q8_0_x16_rows16_avx512vnni);

#undef HEARTH_VNNI_MAT_DOT

#endif /* HEARTH_KERNELS_AVX512VNNI_ROWS16_H */
