/* check_layout.c - the repacked weight layouts (kernels/layout.h): their
 * geometry against the definition written out by hand, and every tier's
 * layout kernels against its plain kernels on the same rows, bit for bit.
 */
#include <check.h>
#include <stdio.h>  /* fprintf */
#include <stdlib.h> /* malloc */
#include <string.h> /* memcmp */

#include "kernels/kernels.h"
#include "kernels/layout.h"
#include "util/kernel_verify.h"

static const hearth_isa tiers[] = {HEARTH_ISA_SCALAR, HEARTH_ISA_AVX2, HEARTH_ISA_AVX512,
                                   HEARTH_ISA_AVX512VNNI, HEARTH_ISA_NEON,
                                   HEARTH_ISA_NEON_DOTPROD};
#define N_TIERS ((int)(sizeof tiers / sizeof tiers[0]))

/* A Q4_0 or Q8_0 row of nb blocks (of `bytes` each: the f16 scale, then the
 * codes) whose every byte says where it came from: block b's scale bytes are
 * (b, 0x80 | b), code byte j is b + 16 j (mod 256) xor 0x55. Not meaningful
 * numbers, only positions. */
static void mark_blocks(unsigned char *row, int64_t nb, size_t bytes) {
    for (int64_t b = 0; b < nb; b++) {
        unsigned char *x = row + (size_t)b * bytes;
        x[0] = (unsigned char)b;
        x[1] = (unsigned char)(0x80 | b);
        for (size_t j = 0; j + 2 < bytes; j++)
            x[2 + j] = (unsigned char)((b + 16 * (int64_t)j) ^ 0x55);
    }
}

static void mark_q4_0(void *row, int64_t nb) { mark_blocks(row, nb, sizeof(block_q4_0)); }
static void mark_q8_0(void *row, int64_t nb) { mark_blocks(row, nb, sizeof(block_q8_0)); }

/* Packs a marked row of each of the block counts into layout L, hands every
 * block to `check` (which asserts where the layout's definition puts it),
 * then asserts unpack(pack) = id. */
typedef void (*mark_fn)(void *row, int64_t nb);
typedef void (*block_check_fn)(const unsigned char *packed, const void *row, int64_t nb,
                               int64_t b);

static void check_geometry(int layout, const int64_t *counts, size_t n_counts, mark_fn mark,
                           block_check_fn check) {
    const int type = hearth_layout_type(layout);
    for (size_t ci = 0; ci < n_counts; ci++) {
        const int64_t nb = counts[ci], n = nb * hearth_type_traits_of(type)->block_size;
        const size_t bytes = hearth_row_bytes(type, n);
        ck_assert(hearth_layout_fits(layout, type, n));
        void *x = malloc(bytes), *back = malloc(bytes);
        unsigned char *p = malloc(bytes);
        ck_assert(x && back && p);
        mark(x, nb);
        memset(p, 0xee, bytes);
        hearth_layout_pack_row(layout, x, p, n);
        for (int64_t b = 0; b < nb; b++)
            check(p, x, nb, b);
        hearth_layout_unpack_row(layout, p, back, n);
        ck_assert_int_eq(memcmp(back, x, bytes), 0);
        free(x);
        free(back);
        free(p);
    }
}

/* The X16 definitions, byte by byte, for blocks of `bytes` with `words` code
 * words (Q4_0: 18, 4; Q8_0: 34, 8): in whole group g (16 blocks, 16 * bytes
 * long), block L's code word j at 16 bytes g + 64 j + 4 L and its scale at
 * 16 bytes g + 64 words + 2 L; the blocks after the last whole group where
 * GGUF has them. And the block reader gives the GGUF block back. */
static void check_x16_block(const unsigned char *p, const void *row, int64_t nb, int64_t b,
                            bool q8) {
    const size_t bytes = q8 ? sizeof(block_q8_0) : sizeof(block_q4_0), words = q8 ? 8 : 4;
    const unsigned char *blk = (const unsigned char *)row + (size_t)b * bytes;
    unsigned char one[sizeof(block_q8_0)];
    if (q8)
        hearth_q8_0_x16_block(p, nb, b, (block_q8_0 *)one);
    else
        hearth_q4_0_x16_block(p, nb, b, (block_q4_0 *)one);
    ck_assert_int_eq(memcmp(one, blk, bytes), 0);
    if (b >= nb / 16 * 16) {
        ck_assert_msg(memcmp(p + (size_t)b * bytes, blk, bytes) == 0,
                      "nb %lld: block %lld moved", (long long)nb, (long long)b);
        return;
    }
    const size_t g = (size_t)(b / 16) * 16 * bytes, l = (size_t)(b % 16);
    ck_assert_msg(memcmp(p + g + 64 * words + 2 * l, blk, 2) == 0, "nb %lld: scale of %lld",
                  (long long)nb, (long long)b);
    for (size_t j = 0; j < words; j++)
        ck_assert_msg(memcmp(p + g + 64 * j + 4 * l, blk + 2 + 4 * j, 4) == 0,
                      "nb %lld: block %lld word %zu", (long long)nb, (long long)b, j);
}

static void check_q4_0_x16_block(const unsigned char *p, const void *row, int64_t nb, int64_t b) {
    check_x16_block(p, row, nb, b, false);
}

static void check_q8_0_x16_block(const unsigned char *p, const void *row, int64_t nb, int64_t b) {
    check_x16_block(p, row, nb, b, true);
}

/* 17 blocks: one group and one block after it; 33: two and one. */
START_TEST(test_layout_q4_0_x16_geometry) {
    static const int64_t counts[] = {1, 15, 16, 17, 33, 47, 64};
    check_geometry(HEARTH_LAYOUT_Q4_0_X16, counts, sizeof counts / sizeof counts[0], mark_q4_0,
                   check_q4_0_x16_block);
    ck_assert(!hearth_layout_fits(HEARTH_LAYOUT_Q4_0_X16, HEARTH_TYPE_Q8_0, 512));
    ck_assert(!hearth_layout_fits(HEARTH_LAYOUT_GGUF, HEARTH_TYPE_Q4_0, 512));
    ck_assert(!hearth_layout_fits(HEARTH_LAYOUT_COUNT, HEARTH_TYPE_Q4_0, 512));
    ck_assert_int_eq(hearth_layout_type(HEARTH_LAYOUT_Q4_0_X16), HEARTH_TYPE_Q4_0);
}
END_TEST

START_TEST(test_layout_q8_0_x16_geometry) {
    static const int64_t counts[] = {1, 15, 16, 17, 33, 47, 64};
    check_geometry(HEARTH_LAYOUT_Q8_0_X16, counts, sizeof counts / sizeof counts[0], mark_q8_0,
                   check_q8_0_x16_block);
    ck_assert(!hearth_layout_fits(HEARTH_LAYOUT_Q8_0_X16, HEARTH_TYPE_Q4_0, 512));
    ck_assert_int_eq(hearth_layout_type(HEARTH_LAYOUT_Q8_0_X16), HEARTH_TYPE_Q8_0);
    ck_assert_str_eq(hearth_layout_suffix(HEARTH_LAYOUT_Q8_0_X16), "x16");
}
END_TEST

/* A Q4_K row of nb blocks whose header bytes say where they came from
 * (byte i of block b's header is 16 b + i, mod 256, xor 0xa5) and whose
 * values are value v of block b = (v + b) mod 16 written into GGUF's
 * nibbles: GGUF byte 32 c + j holds values 64 c + j (low) and 64 c + 32 + j. */
static void mark_q4_k(void *row, int64_t nb) {
    block_q4_K *x = row;
    for (int64_t b = 0; b < nb; b++) {
        unsigned char *h = (unsigned char *)&x[b];
        for (int i = 0; i < 16; i++)
            h[i] = (unsigned char)((16 * b + i) ^ 0xa5);
        for (int c = 0; c < 4; c++)
            for (int j = 0; j < 32; j++)
                x[b].qs[32 * c + j] = (uint8_t)(((64 * c + j + b) & 15) |
                                                (((64 * c + 32 + j + b) & 15) << 4));
    }
}

/* The X4 definition, value by value: in whole group g, block k's header at
 * 576 g + 16 k and value v (v = 128 h + u) in byte 576 g + 64 + 128 k + 64 h
 * + u % 64, low nibble for u < 64; blocks after the last whole group as in
 * GGUF. And the block reader gives the GGUF block back. */
static void check_q4_k_x4_block(const unsigned char *p, const void *row, int64_t nb, int64_t b) {
    const block_q4_K *x = row;
    block_q4_K one;
    hearth_q4_k_x4_block(p, nb, b, &one);
    ck_assert_int_eq(memcmp(&one, &x[b], sizeof one), 0);
    if (b >= nb / 4 * 4) {
        ck_assert_msg(memcmp(p + b * 144, &x[b], 144) == 0, "nb %lld: block %lld moved",
                      (long long)nb, (long long)b);
        return;
    }
    const size_t g = (size_t)(b / 4) * 576, k = (size_t)(b % 4);
    ck_assert_msg(memcmp(p + g + 16 * k, &x[b], 16) == 0, "nb %lld: header of %lld",
                  (long long)nb, (long long)b);
    for (int v = 0; v < 256; v++) {
        const int u = v % 128;
        const unsigned char byte = p[g + 64 + 128 * k + 64 * (size_t)(v / 128) + u % 64];
        const int got = u < 64 ? byte & 15 : byte >> 4;
        ck_assert_msg(got == ((v + b) & 15), "nb %lld: block %lld value %d: %d", (long long)nb,
                      (long long)b, v, got);
    }
}

/* 5 blocks: one group and one block after it; 23: five and three. */
START_TEST(test_layout_q4_k_x4_geometry) {
    static const int64_t counts[] = {1, 3, 4, 5, 8, 22, 23};
    check_geometry(HEARTH_LAYOUT_Q4_K_X4, counts, sizeof counts / sizeof counts[0], mark_q4_k,
                   check_q4_k_x4_block);
    ck_assert(!hearth_layout_fits(HEARTH_LAYOUT_Q4_K_X4, HEARTH_TYPE_Q4_K, 128));
    ck_assert(!hearth_layout_fits(HEARTH_LAYOUT_Q4_K_X4, HEARTH_TYPE_Q5_K, 256));
    ck_assert_int_eq(hearth_layout_type(HEARTH_LAYOUT_Q4_K_X4), HEARTH_TYPE_Q4_K);
    ck_assert_str_eq(hearth_layout_suffix(HEARTH_LAYOUT_Q4_K_X4), "x4");
}
END_TEST

/* Every tier's layout dots give the bits of its plain dots of the layout's
 * type on the same rows (the reference's where the tier only inherits the
 * reference's layout kernels), for vec_dot and for mat_dot shapes that take
 * the per-column path (1 and 3 columns) and the batch paths (4, 21 and 70
 * columns; 37 rows leave 5 over). Block counts (per layout, in its blocks):
 * under one group, at and around the group sizes, TinyLlama's rows (64 and
 * 176 Q4_0 or Q8_0 blocks, 8 and 22 Q4_K blocks), and rows past the activation
 * preparation limits (1100 Q4_0 or Q8_0 blocks, past gather_dot.h's chunk of
 * 512; 65 and 70 Q4_K blocks, past KQ512_PREP_BLOCKS). All six data patterns. */
typedef struct {
    int layout;
    int64_t counts[10];
} layout_case;

static const layout_case layout_cases[] = {
    {HEARTH_LAYOUT_Q4_0_X16, {1, 15, 16, 17, 31, 32, 33, 64, 176, 1100}},
    {HEARTH_LAYOUT_Q4_K_X4, {1, 3, 4, 5, 7, 8, 9, 22, 65, 70}},
    {HEARTH_LAYOUT_Q8_0_X16, {1, 15, 16, 17, 31, 32, 33, 64, 176, 1100}},
};
#define N_LAYOUT_CASES ((int)(sizeof layout_cases / sizeof layout_cases[0]))

static void check_layout_tier(const hearth_kernels *k, const layout_case *lc) {
    const hearth_kernels *ref = &hearth_kernels_ref;
    const int L = lc->layout, type = hearth_layout_type(L);
    const int act = hearth_type_traits_of(type)->vec_dot_type;
    const int64_t block = hearth_type_traits_of(type)->block_size;
    const bool own = k->preferred_layout[type] == L;
    /* a tier that prefers the layout must have its own kernels for it */
    ck_assert(!own || k->layout_vec_dot[L] != ref->layout_vec_dot[L]);
    const hearth_kernels *plain = own ? k : ref;
    static const int64_t shapes[][2] = {{1, 1}, {37, 1}, {37, 3}, {16, 4}, {37, 21}, {80, 70}};
    enum { MAX_ROWS = 80, MAX_COLS = 70 };
    for (size_t ci = 0; ci < 10; ci++) {
        const int64_t n = lc->counts[ci] * block;
        const bool long_row = ci >= 8; /* the last two counts */
        const size_t ws = hearth_row_bytes(type, n);
        const size_t as = hearth_row_bytes(act, n);
        float *x = malloc((size_t)n * sizeof *x);
        char *w = malloc(ws * MAX_ROWS), *wx = malloc(ws * MAX_ROWS), *a = malloc(as * MAX_COLS);
        float *want = malloc(sizeof(float) * MAX_ROWS * MAX_COLS);
        float *got = malloc(sizeof(float) * MAX_ROWS * MAX_COLS);
        ck_assert(x && w && wx && a && want && got);
        for (int p = 0; p < KV_PATTERN_COUNT; p++) {
            for (int r = 0; r < MAX_ROWS; r++) {
                kv_fill(x, n, (kv_pattern)p, 100 * ci + (uint64_t)r);
                ref->quantize_row[type](x, w + (size_t)r * ws, n);
                hearth_layout_pack_row(L, w + (size_t)r * ws, wx + (size_t)r * ws, n);
            }
            for (int c = 0; c < MAX_COLS; c++) {
                kv_fill(x, n, KV_NORMAL, 9000 + 100 * ci + (uint64_t)c);
                k->quantize_act[act](x, a + (size_t)c * as, n);
            }
            plain->vec_dot[type](n, want, w, a);
            k->layout_vec_dot[L](n, got, wx, a);
            ck_assert_msg(memcmp(want, got, sizeof *got) == 0,
                          "%s %s%s: vec_dot, %lld blocks, %s: %.9g vs plain %.9g",
                          hearth_isa_name(k->isa), hearth_type_traits_of(type)->name,
                          hearth_layout_suffix(L),
                          (long long)lc->counts[ci], kv_pattern_name((kv_pattern)p), got[0],
                          want[0]);
            /* the long rows and the big shapes only with random values */
            if (p != KV_NORMAL && long_row)
                continue;
            for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
                const int64_t nr = shapes[s][0], nc = shapes[s][1];
                if (p != KV_NORMAL && nr * nc > 1000)
                    continue;
                plain->mat_dot[type](n, nr, nc, want, nr, w, ws, a, as);
                k->layout_mat_dot[L](n, nr, nc, got, nr, wx, ws, a, as);
                for (int64_t i = 0; i < nr * nc; i++)
                    ck_assert_msg(memcmp(&want[i], &got[i], sizeof *got) == 0,
                                  "%s %s%s: mat_dot %lld x %lld, %lld blocks, %s: row %lld "
                                  "col %lld: %.9g vs plain %.9g",
                                  hearth_isa_name(k->isa), hearth_type_traits_of(type)->name,
                                  hearth_layout_suffix(L),
                                  (long long)nr, (long long)nc, (long long)lc->counts[ci],
                                  kv_pattern_name((kv_pattern)p), (long long)(i % nr),
                                  (long long)(i / nr), got[i], want[i]);
            }
        }
        free(x);
        free(w);
        free(wx);
        free(a);
        free(want);
        free(got);
    }
}

START_TEST(test_layout_tier_matches_plain) {
    hearth_kernels k;
    if (!hearth_kernels_init(&k, tiers[_i])) {
        fprintf(stderr, "SKIP tier %s: not supported by this CPU\n", hearth_isa_name(tiers[_i]));
        return;
    }
    for (int c = 0; c < N_LAYOUT_CASES; c++)
        check_layout_tier(&k, &layout_cases[c]);
}
END_TEST

Suite *layout_suite(void);
Suite *layout_suite(void) {
    Suite *s = suite_create("layout");
    TCase *tc = tcase_create("layouts");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_layout_q4_0_x16_geometry);
    tcase_add_test(tc, test_layout_q4_k_x4_geometry);
    tcase_add_test(tc, test_layout_q8_0_x16_geometry);
    tcase_add_loop_test(tc, test_layout_tier_matches_plain, 0, N_TIERS);
    suite_add_tcase(s, tc);
    return s;
}
