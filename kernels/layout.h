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
 *
 * HEARTH_LAYOUT_Q8_0_X16: the same for Q8_0, whose blocks have 8 code words:
 * groups of 16 blocks, 544 bytes each, word j (j = 0..7) of block L's 32 code
 * bytes at 64 j + 4 L, the 16 f16 scales at [512, 544); blocks after the last
 * whole group as in GGUF.
 *
 * HEARTH_LAYOUT_Q4_K_X4: a Q4_K row's blocks go in groups of 4, each group
 * 576 bytes, the size of its 4 blocks. Bytes [0, 64) hold the four blocks'
 * 16-byte headers (d, dmin, the 12 packed scale bytes) in block order; bytes
 * [64 + 128 k, 192 + 128 k) hold block k's codes, byte i of half h (i < 64)
 * carrying value 128 h + i in its low nibble and 128 h + 64 + i in its high
 * one (GGUF pairs values 32 apart). Blocks after the last whole group stay as
 * in GGUF. Why: one 64-byte load is the four blocks' scales, decoded together,
 * and a 64-byte load of codes splits with one shift into two runs of 64
 * values in activation order (kernels/x86/avx512/q4_k_x4_body.h).
 */
#ifndef HEARTH_KERNELS_LAYOUT_H
#define HEARTH_KERNELS_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "kernels.h"

enum { HEARTH_X16_BLOCKS = 16, HEARTH_X16_GROUP_BYTES = 16 * 18, HEARTH_X16_Q8_0_GROUP_BYTES = 16 * 34 };
enum { HEARTH_X4_BLOCKS = 4, HEARTH_X4_GROUP_BYTES = 4 * 144, HEARTH_X4_HEADER_BYTES = 16 };

/* The type whose rows layout L rearranges (-1 for GGUF or an unknown L). */
int hearth_layout_type(int layout);

/* "" for GGUF, else a short tag for type names ("x16", "x4"). */
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

/* Block b of a Q8_0_X16 row of nb blocks, as the GGUF block. */
void hearth_q8_0_x16_block(const void *restrict row, int64_t nb, int64_t b,
                           block_q8_0 *restrict out);

/* Block b of a Q4_K_X4 row of nb blocks, as the GGUF block. */
void hearth_q4_k_x4_block(const void *restrict row, int64_t nb, int64_t b,
                          block_q4_K *restrict out);

#endif /* HEARTH_KERNELS_LAYOUT_H */
