/* q8_0_x16.c - reference dots over Q8_0 rows in the X16 layout (layout.h):
 * each block read back into GGUF form, then the GGUF reference's arithmetic
 * (hearth_vec_dot_q8_0_q8_0_ref), so both give the same bits. */
#include "../layout.h"
#include "ref.h"

void hearth_vec_dot_q8_0_x16_q8_0_ref(int64_t n, float *restrict out, const void *restrict w,
                                      const void *restrict a) {
    const block_q8_0 *y = a;
    const int64_t nb = n / QK8_0;
    float sum = 0.0f;
    for (int64_t b = 0; b < nb; b++) {
        block_q8_0 x;
        hearth_q8_0_x16_block(w, nb, b, &x);
        int isum = 0;
        for (int j = 0; j < QK8_0; j++)
            isum += x.qs[j] * y[b].qs[j];
        const float d = hearth_f16_to_f32(x.d) * hearth_f16_to_f32(y[b].d);
        sum += d * (float)isum;
    }
    *out = sum;
}

HEARTH_DEFINE_MAT_DOT_REF(hearth_mat_dot_q8_0_x16_ref, hearth_vec_dot_q8_0_x16_q8_0_ref)
