/* q4_0_x16.c - reference dots over Q4_0 rows in the X16 layout (layout.h):
 * each block read back into GGUF form, then the GGUF reference's arithmetic
 * (hearth_vec_dot_q4_0_q8_0_ref), so both give the same bits. */
#include "../layout.h"
#include "ref.h"

void hearth_vec_dot_q4_0_x16_q8_0_ref(int64_t n, float *restrict out, const void *restrict w,
                                      const void *restrict a) {
    const block_q8_0 *y = a;
    const int64_t nb = n / QK4_0;
    float sum = 0.0f;
    for (int64_t b = 0; b < nb; b++) {
        block_q4_0 x;
        hearth_q4_0_x16_block(w, nb, b, &x);
        int isum = 0;
        for (int j = 0; j < QK4_0 / 2; j++) {
            isum += ((x.qs[j] & 0x0f) - 8) * y[b].qs[j];
            isum += ((x.qs[j] >> 4) - 8) * y[b].qs[j + QK4_0 / 2];
        }
        const float d = hearth_f16_to_f32(x.d) * hearth_f16_to_f32(y[b].d);
        sum += d * (float)isum;
    }
    *out = sum;
}

HEARTH_DEFINE_MAT_DOT_REF(hearth_mat_dot_q4_0_x16_ref, hearth_vec_dot_q4_0_x16_q8_0_ref)
