/* layout.c - the repacked weight layouts' geometry (layout.h). */
#include "layout.h"

#include <string.h> /* memcpy */

int hearth_layout_type(int layout) {
    return layout == HEARTH_LAYOUT_Q4_0_X16 ? HEARTH_TYPE_Q4_0 : -1;
}

const char *hearth_layout_suffix(int layout) {
    return layout == HEARTH_LAYOUT_Q4_0_X16 ? "x16" : "";
}

bool hearth_layout_fits(int layout, int type, int64_t n) {
    return layout > HEARTH_LAYOUT_GGUF && layout < HEARTH_LAYOUT_COUNT &&
           type == hearth_layout_type(layout) && n > 0 && n % QK4_0 == 0;
}

/* Where block b's code word j (4 bytes) and scale sit in an X16 row of nb
 * blocks: inside a whole group transposed, after the last one as in GGUF. */
static size_t x16_word_at(int64_t nb, int64_t b, int j) {
    const int64_t g = b / HEARTH_X16_BLOCKS, whole = nb / HEARTH_X16_BLOCKS;
    if (g >= whole)
        return (size_t)b * sizeof(block_q4_0) + offsetof(block_q4_0, qs) + 4 * (size_t)j;
    return (size_t)g * HEARTH_X16_GROUP_BYTES + 64 * (size_t)j + 4 * (size_t)(b % 16);
}

static size_t x16_scale_at(int64_t nb, int64_t b) {
    const int64_t g = b / HEARTH_X16_BLOCKS, whole = nb / HEARTH_X16_BLOCKS;
    if (g >= whole)
        return (size_t)b * sizeof(block_q4_0);
    return (size_t)g * HEARTH_X16_GROUP_BYTES + 256 + 2 * (size_t)(b % 16);
}

void hearth_q4_0_x16_block(const void *restrict row, int64_t nb, int64_t b,
                           block_q4_0 *restrict out) {
    const char *r = row;
    memcpy(&out->d, r + x16_scale_at(nb, b), sizeof out->d);
    for (int j = 0; j < 4; j++)
        memcpy(out->qs + 4 * j, r + x16_word_at(nb, b, j), 4);
}

void hearth_layout_pack_row(int layout, const void *restrict src, void *restrict dst,
                            int64_t n) {
    (void)layout; /* one layout so far: Q4_0_X16 */
    const block_q4_0 *x = src;
    char *d = dst;
    const int64_t nb = n / QK4_0;
    for (int64_t b = 0; b < nb; b++) {
        memcpy(d + x16_scale_at(nb, b), &x[b].d, sizeof x[b].d);
        for (int j = 0; j < 4; j++)
            memcpy(d + x16_word_at(nb, b, j), x[b].qs + 4 * j, 4);
    }
}

void hearth_layout_unpack_row(int layout, const void *restrict src, void *restrict dst,
                              int64_t n) {
    (void)layout;
    block_q4_0 *x = dst;
    for (int64_t b = 0; b < n / QK4_0; b++)
        hearth_q4_0_x16_block(src, n / QK4_0, b, &x[b]);
}
