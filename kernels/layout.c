/* layout.c - the repacked weight layouts' geometry (layout.h). */
#include "layout.h"

#include <stddef.h> /* offsetof */
#include <string.h> /* memcpy */

int hearth_layout_type(int layout) {
    switch (layout) {
    case HEARTH_LAYOUT_Q4_0_X16: return HEARTH_TYPE_Q4_0;
    case HEARTH_LAYOUT_Q4_K_X4: return HEARTH_TYPE_Q4_K;
    case HEARTH_LAYOUT_Q8_0_X16: return HEARTH_TYPE_Q8_0;
    default: return -1;
    }
}

const char *hearth_layout_suffix(int layout) {
    switch (layout) {
    case HEARTH_LAYOUT_Q4_0_X16: return "x16";
    case HEARTH_LAYOUT_Q4_K_X4: return "x4";
    case HEARTH_LAYOUT_Q8_0_X16: return "x16";
    default: return "";
    }
}

bool hearth_layout_fits(int layout, int type, int64_t n) {
    const int64_t block = layout == HEARTH_LAYOUT_Q4_K_X4 ? QK_K : 32; /* X16: Q4_0, Q8_0 */
    return layout > HEARTH_LAYOUT_GGUF && layout < HEARTH_LAYOUT_COUNT &&
           type == hearth_layout_type(layout) && n > 0 && n % block == 0;
}

/* The two X16 layouts differ only in the block: Q4_0 (18 bytes, 4 code
 * words) or Q8_0 (34 bytes, 8 code words); the scale leads either block. */
typedef struct {
    size_t block_bytes;
    int words;
} x16_kind;

static const x16_kind x16_q4_0 = {sizeof(block_q4_0), 4};
static const x16_kind x16_q8_0 = {sizeof(block_q8_0), 8};

/* Where block b's code word j (4 bytes) and scale sit in an X16 row of nb
 * blocks: inside a whole group transposed, after the last one as in GGUF. */
static size_t x16_word_at(x16_kind k, int64_t nb, int64_t b, int j) {
    const int64_t g = b / HEARTH_X16_BLOCKS, whole = nb / HEARTH_X16_BLOCKS;
    if (g >= whole)
        return (size_t)b * k.block_bytes + 2 + 4 * (size_t)j; /* after the f16 scale */
    return (size_t)g * HEARTH_X16_BLOCKS * k.block_bytes + 64 * (size_t)j +
           4 * (size_t)(b % 16);
}

static size_t x16_scale_at(x16_kind k, int64_t nb, int64_t b) {
    const int64_t g = b / HEARTH_X16_BLOCKS, whole = nb / HEARTH_X16_BLOCKS;
    if (g >= whole)
        return (size_t)b * k.block_bytes;
    return (size_t)g * HEARTH_X16_BLOCKS * k.block_bytes + 64 * (size_t)k.words +
           2 * (size_t)(b % 16);
}

/* Block b of an X16 row into `out`, GGUF's bytes (scale, then code words). */
static void x16_block(x16_kind k, const char *row, int64_t nb, int64_t b, char *out) {
    memcpy(out, row + x16_scale_at(k, nb, b), 2);
    for (int j = 0; j < k.words; j++)
        memcpy(out + 2 + 4 * j, row + x16_word_at(k, nb, b, j), 4);
}

static void x16_pack(x16_kind k, const char *src, char *dst, int64_t nb) {
    for (int64_t b = 0; b < nb; b++) {
        const char *blk = src + (size_t)b * k.block_bytes;
        memcpy(dst + x16_scale_at(k, nb, b), blk, 2);
        for (int j = 0; j < k.words; j++)
            memcpy(dst + x16_word_at(k, nb, b, j), blk + 2 + 4 * j, 4);
    }
}

void hearth_q4_0_x16_block(const void *restrict row, int64_t nb, int64_t b,
                           block_q4_0 *restrict out) {
    x16_block(x16_q4_0, row, nb, b, (char *)out);
}

void hearth_q8_0_x16_block(const void *restrict row, int64_t nb, int64_t b,
                           block_q8_0 *restrict out) {
    x16_block(x16_q8_0, row, nb, b, (char *)out);
}

/* Where block b of a Q4_K_X4 row of nb blocks keeps its 16-byte header (d,
 * dmin, scales) and its 128 code bytes: in a whole group, headers first; after
 * the last one, as in GGUF. */
static size_t x4_header_at(int64_t nb, int64_t b) {
    if (b / HEARTH_X4_BLOCKS >= nb / HEARTH_X4_BLOCKS)
        return (size_t)b * sizeof(block_q4_K);
    return (size_t)(b / 4) * HEARTH_X4_GROUP_BYTES + HEARTH_X4_HEADER_BYTES * (size_t)(b % 4);
}

static size_t x4_codes_at(int64_t nb, int64_t b) {
    if (b / HEARTH_X4_BLOCKS >= nb / HEARTH_X4_BLOCKS)
        return (size_t)b * sizeof(block_q4_K) + offsetof(block_q4_K, qs);
    return (size_t)(b / 4) * HEARTH_X4_GROUP_BYTES + 64 + 128 * (size_t)(b % 4);
}

/* GGUF byte 64h + j (j < 32) holds values 128h + j and 128h + 32 + j, byte
 * 64h + 32 + j values 128h + 64 + j and 128h + 96 + j; X4 byte 64h + j holds
 * 128h + j and 128h + 64 + j, byte 64h + 32 + j values 128h + 32 + j and
 * 128h + 96 + j. Either way round it is the same swap of the two middle
 * nibbles of each byte pair, so one function packs and unpacks. */
static void swap_middle_nibbles(const uint8_t *restrict src, uint8_t *restrict dst) {
    for (int h = 0; h < 2; h++)
        for (int j = 0; j < 32; j++) {
            const uint8_t p = src[64 * h + j], q = src[64 * h + 32 + j];
            dst[64 * h + j] = (uint8_t)((p & 0x0f) | (q << 4));
            dst[64 * h + 32 + j] = (uint8_t)((p >> 4) | (q & 0xf0));
        }
}

void hearth_q4_k_x4_block(const void *restrict row, int64_t nb, int64_t b,
                          block_q4_K *restrict out) {
    const uint8_t *r = row;
    memcpy(out, r + x4_header_at(nb, b), HEARTH_X4_HEADER_BYTES);
    if (b / HEARTH_X4_BLOCKS >= nb / HEARTH_X4_BLOCKS)
        memcpy(out->qs, r + x4_codes_at(nb, b), sizeof out->qs);
    else
        swap_middle_nibbles(r + x4_codes_at(nb, b), out->qs);
}

static void pack_q4_k_x4(const block_q4_K *x, uint8_t *d, int64_t nb) {
    for (int64_t b = 0; b < nb; b++) {
        memcpy(d + x4_header_at(nb, b), &x[b], HEARTH_X4_HEADER_BYTES);
        if (b / HEARTH_X4_BLOCKS >= nb / HEARTH_X4_BLOCKS)
            memcpy(d + x4_codes_at(nb, b), x[b].qs, sizeof x[b].qs);
        else
            swap_middle_nibbles(x[b].qs, d + x4_codes_at(nb, b));
    }
}

void hearth_layout_pack_row(int layout, const void *restrict src, void *restrict dst,
                            int64_t n) {
    switch (layout) {
    case HEARTH_LAYOUT_Q4_K_X4: pack_q4_k_x4(src, dst, n / QK_K); return;
    case HEARTH_LAYOUT_Q8_0_X16: x16_pack(x16_q8_0, src, dst, n / QK8_0); return;
    default: x16_pack(x16_q4_0, src, dst, n / QK4_0); return;
    }
}

void hearth_layout_unpack_row(int layout, const void *restrict src, void *restrict dst,
                              int64_t n) {
    if (layout == HEARTH_LAYOUT_Q4_K_X4) {
        block_q4_K *x = dst;
        for (int64_t b = 0; b < n / QK_K; b++)
            hearth_q4_k_x4_block(src, n / QK_K, b, &x[b]);
        return;
    }
    const x16_kind k = layout == HEARTH_LAYOUT_Q8_0_X16 ? x16_q8_0 : x16_q4_0;
    const int64_t nb = n / 32;
    for (int64_t b = 0; b < nb; b++)
        x16_block(k, src, nb, b, (char *)dst + (size_t)b * k.block_bytes);
}
