/* gen_seeds.c - writes the seed corpus of the GGUF fuzzer into a folder.
 *
 * Usage: gen_seeds DIR. The seeds are written with the library's own writer
 * and cover every metadata value type (scalars, arrays of each fixed type,
 * string arrays with empty strings, empty arrays), every tensor type id with
 * known geometry, a custom alignment and an empty tensor; plus two files the
 * writer cannot produce, built byte by byte: GGUF v2 and nested arrays.
 */
#include <stdint.h> /* fixed-width values */
#include <stdio.h>  /* fprintf, fopen */
#include <string.h> /* memset */

#include "hearth.h"

#define TRY(expr)                                                              \
    do {                                                                       \
        if ((expr) != HEARTH_OK) {                                             \
            fprintf(stderr, "gen_seeds: %s: %s\n", #expr, hearth_last_error()); \
            return 1;                                                          \
        }                                                                      \
    } while (0)

static char path_buf[4096];

static const char *seed_path(const char *dir, const char *name) {
    snprintf(path_buf, sizeof path_buf, "%s/%s", dir, name);
    return path_buf;
}

static int write_values(const char *dir) {
    hearth_gguf_writer *w;
    TRY(hearth_gguf_writer_create(seed_path(dir, "values.gguf"), &w));
    TRY(hearth_gguf_writer_set_str(w, "general.architecture", "llama", 5));
    TRY(hearth_gguf_writer_set_u32(w, "general.alignment", 64));
    TRY(hearth_gguf_writer_set_u8(w, "u8", 200));
    TRY(hearth_gguf_writer_set_i8(w, "i8", -5));
    TRY(hearth_gguf_writer_set_u16(w, "u16", 60000));
    TRY(hearth_gguf_writer_set_i16(w, "i16", -300));
    TRY(hearth_gguf_writer_set_u32(w, "u32", 123456));
    TRY(hearth_gguf_writer_set_i32(w, "i32", -123456));
    TRY(hearth_gguf_writer_set_u64(w, "u64", 1ull << 40));
    TRY(hearth_gguf_writer_set_i64(w, "i64", -(1ll << 40)));
    TRY(hearth_gguf_writer_set_f32(w, "f32", 1e-5f));
    TRY(hearth_gguf_writer_set_f64(w, "f64", 10000.0));
    TRY(hearth_gguf_writer_set_bool(w, "bool", true));
    TRY(hearth_gguf_writer_set_str(w, "empty_str", "", 0));
    uint8_t raw[4 * 8];
    for (int t = 0; t <= HEARTH_GGUF_FLOAT64; t++) {
        if (t == HEARTH_GGUF_STRING || t == HEARTH_GGUF_ARRAY)
            continue;
        for (size_t i = 0; i < sizeof raw; i++)
            raw[i] = t == HEARTH_GGUF_BOOL ? (uint8_t)(i & 1) : (uint8_t)(i * 29 + 3);
        char key[32];
        snprintf(key, sizeof key, "arr.%d", t);
        TRY(hearth_gguf_writer_set_array(w, key, (hearth_gguf_type)t, raw, 4));
    }
    TRY(hearth_gguf_writer_set_array(w, "arr.empty", HEARTH_GGUF_INT32, NULL, 0));
    const char *tokens[] = {"<unk>", "<s>", "", "\xe2\x96\x81hi", "a b"};
    TRY(hearth_gguf_writer_set_str_array(w, "tokenizer.ggml.tokens", tokens, NULL, 5));
    TRY(hearth_gguf_writer_set_str_array(w, "arr.str_empty", NULL, NULL, 0));
    int64_t ne[2] = {8, 2};
    TRY(hearth_gguf_writer_add_tensor(w, "w", 0, 2, ne));
    float data[16];
    for (int i = 0; i < 16; i++)
        data[i] = (float)i;
    TRY(hearth_gguf_writer_write(w, data, sizeof data));
    TRY(hearth_gguf_writer_finish(w));
    hearth_gguf_writer_free(w);
    return 0;
}

/* One file per tensor type id with known geometry, and one with all of them. */
static int write_tensors(const char *dir) {
    uint8_t block[2 * 292];
    for (size_t i = 0; i < sizeof block; i++)
        block[i] = (uint8_t)(i * 7 + 1);
    hearth_gguf_writer *all;
    TRY(hearth_gguf_writer_create(seed_path(dir, "all-types.gguf"), &all));
    TRY(hearth_gguf_writer_set_u32(all, "general.file_type", 1));
    for (uint32_t type = 0; type < 64; type++) {
        uint32_t bs = hearth_type_block_size(type), ts = hearth_type_block_bytes(type);
        if (bs == 0)
            continue;
        char name[64];
        snprintf(name, sizeof name, "type-%s.gguf", hearth_type_name(type));
        hearth_gguf_writer *w;
        TRY(hearth_gguf_writer_create(seed_path(dir, name), &w));
        int64_t ne[3] = {bs, 2, 1};
        TRY(hearth_gguf_writer_add_tensor(w, "blk.0.w", type, 3, ne));
        int64_t ne0[2] = {bs, 0};
        TRY(hearth_gguf_writer_add_tensor(w, "empty", type, 2, ne0));
        TRY(hearth_gguf_writer_write(w, block, 2 * ts));
        TRY(hearth_gguf_writer_finish(w));
        hearth_gguf_writer_free(w);
        snprintf(name, sizeof name, "t.%s", hearth_type_name(type));
        TRY(hearth_gguf_writer_add_tensor(all, name, type, 1, ne));
    }
    for (uint32_t type = 0; type < 64; type++)
        if (hearth_type_block_size(type))
            TRY(hearth_gguf_writer_write(all, block, hearth_type_block_bytes(type)));
    TRY(hearth_gguf_writer_finish(all));
    hearth_gguf_writer_free(all);
    return 0;
}

static int write_bytes(const char *dir, const char *name, const uint8_t *p, size_t n) {
    FILE *f = fopen(seed_path(dir, name), "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "gen_seeds: cannot write %s\n", path_buf);
        return 1;
    }
    return 0;
}

/* Little-endian byte builder for the files the writer cannot make. */
static uint8_t hand[512];
static size_t hand_n;
static void le(uint64_t x, int n) {
    for (int i = 0; i < n; i++)
        hand[hand_n++] = (uint8_t)(x >> (8 * i));
}
static void str(const char *s) {
    le(strlen(s), 8);
    memcpy(hand + hand_n, s, strlen(s));
    hand_n += strlen(s);
}

static int write_handmade(const char *dir) {
    /* v2: one key, one F32 tensor of 4 values. */
    hand_n = 0;
    memcpy(hand, "GGUF", 4);
    hand_n = 4;
    le(2, 4);
    le(1, 8);
    le(1, 8);
    str("general.name");
    le(HEARTH_GGUF_STRING, 4);
    str("v2");
    str("t");
    le(1, 4);
    le(4, 8);
    le(0, 4);
    le(0, 8);
    while (hand_n % 32)
        hand[hand_n++] = 0;
    memset(hand + hand_n, 0x3f, 16);
    hand_n += 16;
    if (write_bytes(dir, "v2.gguf", hand, hand_n))
        return 1;
    /* Nested arrays: [[1, 2], [], ["ab", ""]] */
    hand_n = 0;
    memcpy(hand, "GGUF", 4);
    hand_n = 4;
    le(3, 4);
    le(0, 8);
    le(1, 8);
    str("nested");
    le(HEARTH_GGUF_ARRAY, 4);
    le(HEARTH_GGUF_ARRAY, 4);
    le(3, 8);
    le(HEARTH_GGUF_UINT16, 4);
    le(2, 8);
    le(1, 2);
    le(2, 2);
    le(HEARTH_GGUF_INT8, 4);
    le(0, 8);
    le(HEARTH_GGUF_STRING, 4);
    le(2, 8);
    str("ab");
    str("");
    return write_bytes(dir, "nested.gguf", hand, hand_n);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: gen_seeds DIR\n");
        return 2;
    }
    if (write_values(argv[1]) || write_tensors(argv[1]) || write_handmade(argv[1]))
        return 1;
    return 0;
}
