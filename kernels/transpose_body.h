/* transpose_body.h - the loop every tier's transpose slots share
 * (transpose_f16_f32, transpose_f32: kernels.h), written once: W x W blocks
 * go through registers (the tier's LOAD, TRANSPOSE and STORE), the ragged
 * right and bottom edges one value at a time (TO_F32). Expands inside a
 * function with the slot's parameters: src, src_stride, n_rows, n_cols, dst,
 * ldd. Included only by tier files, after their vector helpers.
 */
#ifndef HEARTH_KERNELS_TRANSPOSE_BODY_H
#define HEARTH_KERNELS_TRANSPOSE_BODY_H

#define HEARTH_TRANSPOSE_BODY(T, W, VEC, LOAD, TRANSPOSE, STORE, TO_F32)                   \
    int64_t i = 0;                                                                         \
    for (; i + (W) <= n_rows; i += (W)) {                                                  \
        const T *row[W];                                                                   \
        for (int q = 0; q < (W); q++)                                                      \
            row[q] = (const T *)((const char *)src + (size_t)(i + q) * src_stride);        \
        int64_t j = 0;                                                                     \
        for (; j + (W) <= n_cols; j += (W)) {                                              \
            VEC r[W], o[W];                                                                \
            for (int q = 0; q < (W); q++)                                                  \
                r[q] = LOAD(row[q] + j);                                                   \
            TRANSPOSE(r, o);                                                               \
            for (int q = 0; q < (W); q++)                                                  \
                STORE(dst + (j + q) * ldd + i, o[q]);                                      \
        }                                                                                  \
        for (; j < n_cols; j++)                                                            \
            for (int q = 0; q < (W); q++)                                                  \
                dst[j * ldd + i + q] = TO_F32(row[q][j]);                                  \
    }                                                                                      \
    for (; i < n_rows; i++) {                                                              \
        const T *row1 = (const T *)((const char *)src + (size_t)i * src_stride);           \
        for (int64_t j = 0; j < n_cols; j++)                                               \
            dst[j * ldd + i] = TO_F32(row1[j]);                                            \
    }

#endif /* HEARTH_KERNELS_TRANSPOSE_BODY_H */
