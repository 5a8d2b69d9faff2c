/* x16.c - reference dots over Q4_0 and Q8_0 rows in their X16 layouts
 * (layout.h): each block read back into GGUF form and dotted by the GGUF
 * reference alone, its result added as that reference adds a block's
 * (sum += dw * da * isum), so a layout row gives the GGUF row's bits. */
#include "../layout.h"
#include "ref.h"

static float x16_dot(bool q8, int64_t n, const void *w, const block_q8_0 *y) {
    const int64_t nb = n / 32;
    float sum = 0.0f;
    for (int64_t b = 0; b < nb; b++) {
        float block; /* 0 + the block's term: the term itself */
        if (q8) {
            block_q8_0 x;
            hearth_q8_0_x16_block(w, nb, b, &x);
            hearth_vec_dot_q8_0_q8_0_ref(QK8_0, &block, &x, &y[b]);
        } else {
            block_q4_0 x;
            hearth_q4_0_x16_block(w, nb, b, &x);
            hearth_vec_dot_q4_0_q8_0_ref(QK4_0, &block, &x, &y[b]);
        }
        sum += block;
    }
    return sum;
}

void hearth_vec_dot_q4_0_x16_q8_0_ref(int64_t n, float *restrict out, const void *restrict w,
                                      const void *restrict a) {
    *out = x16_dot(false, n, w, a);
}

void hearth_vec_dot_q8_0_x16_q8_0_ref(int64_t n, float *restrict out, const void *restrict w,
                                      const void *restrict a) {
    *out = x16_dot(true, n, w, a);
}

HEARTH_DEFINE_MAT_DOT_REF(hearth_mat_dot_q4_0_x16_ref, hearth_vec_dot_q4_0_x16_q8_0_ref)
HEARTH_DEFINE_MAT_DOT_REF(hearth_mat_dot_q8_0_x16_ref, hearth_vec_dot_q8_0_x16_q8_0_ref)
