/* layout.h - geometry of the repacked weight layouts (kernels.h hearth_layout):
 * which rows can take one, and the conversions between it and GGUF order.
 *
 * HEARTH_LAYOUT_Q4_0_X16: a Q4_0 row's blocks go in groups of 16, each group
 * 288 bytes, the size of its 16 blocks. Bytes [0, 256) hold the codes: the
 * 4-byte word j (j = 0..3) of block L's 16 code bytes sits at 64 j + 4 L, so
 * one 64-byte load is word j of all 16 blocks, one block per 32-bit lane.
 * Bytes [256, 288) hold the 16 f16 scales in block order. Blocks after the
 * last whole group (fewer than 16) stay as in GGUF. Why: the int8 products of
 * a 32-bit lane then all belong to one block, so neither the codes nor the
 * sums need moving between lanes (kernels/x86/avx512/gather_x16.h).
 */
#ifndef HEARTH_KERNELS_LAYOUT_H
#define HEARTH_KERNELS_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "kernels.h"

enum { HEARTH_X16_BLOCKS = 16, HEARTH_X16_GROUP_BYTES = 16 * 18 };

/* The type whose rows layout L rearranges (-1 for GGUF or an unknown L). */
int hearth_layout_type(int layout);

/* "" for GGUF, else a short tag for type names ("x16"). */
const char *hearth_layout_suffix(int layout);

/* True when rows of n values of `type` can be stored in layout L. */
bool hearth_layout_fits(int layout, int type, int64_t n);

/* One row of n values: GGUF order -> layout L, and back (src != dst). */
void hearth_layout_pack_row(int layout, const void *restrict src, void *restrict dst, int64_t n);
void hearth_layout_unpack_row(int layout, const void *restrict src, void *restrict dst,
                              int64_t n);

/* Block b of a Q4_0_X16 row of nb blocks, as the GGUF block. */
void hearth_q4_0_x16_block(const void *restrict row, int64_t nb, int64_t b,
                           block_q4_0 *restrict out);

#endif /* HEARTH_KERNELS_LAYOUT_H */
