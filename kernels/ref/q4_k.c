/* q4_k.c - reference Q4_K (GGUF type 12): quantize, dequantize, dot with Q8_K.
 *
 * Block of 256 values = 8 sub-blocks of 32. Value i of sub-block j:
 *     x = (d * sc[j]) * q - (dmin * m[j]),  q in 0..15, sc and m 6-bit (packed, 12 bytes)
 * qs byte l of chunk c (c = 0..3, 32 bytes each) holds sub-block 2c in its low
 * nibble and sub-block 2c + 1 in its high nibble. This file is the specification
 * the SIMD tiers are tested against; plain C, no ISA flags.
 */
#include "kquant_util.h"

#include "../layout.h" /* Q4_K_X4 rows */


static void decode_q4_k(const void *blk, kq_block *out) {
    const block_q4_K *b = blk;
    uint8_t sc[8], m[8];
    kq_unpack_scales_mins(b->scales, sc, m);
    out->n_sub = 8;
    out->d = kq_f16_to_f32(b->d);
    out->dmin = kq_f16_to_f32(b->dmin);
    for (int j = 0; j < 8; j++) {
        out->sc[j] = sc[j];
        out->m[j] = m[j];
        const uint8_t *qs = b->qs + 32 * (j / 2);
        int shift = 4 * (j % 2);
        for (int l = 0; l < 32; l++)
            out->q[32 * j + l] = (int8_t)((qs[l] >> shift) & 0xf);
    }
}

/* x = (d * sc) * q - dmin * m per value (float, exactly llama.cpp's formula). */
void hearth_dequantize_row_q4_k_ref(const void *restrict src, float *restrict dst, int64_t n) {
    kquant_dequantize_ref(src, dst, n, sizeof(block_q4_K), decode_q4_k);
}

/* Quantize 256 values at a time with llama.cpp's reference algorithm
 * (kquant_quantize_scale_min_block: nmax 15, 21 trial scales from nmax - 1 in steps of 0.1), then pack the levels. */
void hearth_quantize_row_q4_k_ref(const float *restrict src, void *restrict dst, int64_t n) {
    block_q4_K *y = dst;
    for (int64_t ib = 0; ib < n / QK_K; ib++, src += QK_K) {
        const float *x = src;
        uint8_t L[QK_K];
        kquant_quantize_scale_min_block(x, 15, -1.f, 0.1f, 20, L, y[ib].scales, &y[ib].d,
                                        &y[ib].dmin);
        for (int c = 0; c < 4; c++)
            for (int l = 0; l < 32; l++)
                y[ib].qs[32 * c + l] = (uint8_t)(L[64 * c + l] | (L[64 * c + 32 + l] << 4));
    }
}

/* dot = sum over blocks of (d * a.d) * sum_j sc_j * sum_i q_i * a_i
 *                        - (dmin * a.d) * sum_j m_j * bsum_j  (kquant_block_dot_ref). */
void hearth_vec_dot_q4_k_q8_k_ref(KQ_VEC_DOT_ARGS) {
    kquant_vec_dot_ref(n, out, w, a, sizeof(block_q4_K), decode_q4_k);
}

void hearth_mat_dot_q4_k_q8_k_ref(KQ_MAT_DOT_ARGS) {
    kquant_mat_dot_ref(n, nr, nc, out, ldo, w, w_stride, a, a_stride, sizeof(block_q4_K),
                       decode_q4_k);
}

/* Rows in the Q4_K_X4 layout (kernels/layout.h): each block read back into
 * GGUF form, then the same arithmetic as the two above, so the same bits. */
void hearth_vec_dot_q4_k_x4_q8_k_ref(KQ_VEC_DOT_ARGS) {
    const block_q8_K *ab = a;
    const int64_t nb = n / QK_K;
    float sum = 0;
    for (int64_t ib = 0; ib < nb; ib++) {
        block_q4_K g;
        kq_block b;
        hearth_q4_k_x4_block(w, nb, ib, &g);
        decode_q4_k(&g, &b);
        sum += kquant_block_dot_ref(&b, &ab[ib]);
    }
    *out = sum;
}

void hearth_mat_dot_q4_k_x4_q8_k_ref(KQ_MAT_DOT_ARGS) {
    for (int64_t c = 0; c < nc; c++)
        for (int64_t r = 0; r < nr; r++)
            hearth_vec_dot_q4_k_x4_q8_k_ref(n, &out[c * ldo + r],
                                            (const char *)w + (size_t)r * w_stride,
                                            (const char *)a + (size_t)c * a_stride);
}
