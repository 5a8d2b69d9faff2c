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

/* A Q4_0 row of nb blocks whose every byte says where it came from: block
 * b's scale bytes are (b, 0x80 | b), code byte j is b + 16 j (mod 256)
 * xor 0x55. Not meaningful numbers, only positions. */
static void marked_row(block_q4_0 *x, int64_t nb) {
    for (int64_t b = 0; b < nb; b++) {
        const unsigned char d[2] = {(unsigned char)b, (unsigned char)(0x80 | b)};
        memcpy(&x[b].d, d, 2);
        for (int j = 0; j < 16; j++)
            x[b].qs[j] = (uint8_t)((b + 16 * j) ^ 0x55);
    }
}

/* The layout's definition, byte by byte: in whole group g, block L's code
 * word j at 288 g + 64 j + 4 L and its scale at 288 g + 256 + 2 L; the
 * blocks after the last whole group where GGUF has them. 17 blocks: one
 * group and one block after it; 33: two and one. Then unpack(pack) = id. */
START_TEST(test_layout_q4_0_x16_geometry) {
    static const int64_t counts[] = {1, 15, 16, 17, 33, 47, 64};
    for (size_t ci = 0; ci < sizeof counts / sizeof counts[0]; ci++) {
        const int64_t nb = counts[ci], n = nb * QK4_0;
        const size_t bytes = (size_t)nb * sizeof(block_q4_0);
        ck_assert(hearth_layout_fits(HEARTH_LAYOUT_Q4_0_X16, HEARTH_TYPE_Q4_0, n));
        block_q4_0 *x = malloc(bytes), *back = malloc(bytes);
        unsigned char *p = malloc(bytes);
        ck_assert(x && back && p);
        marked_row(x, nb);
        memset(p, 0xee, bytes);
        hearth_layout_pack_row(HEARTH_LAYOUT_Q4_0_X16, x, p, n);
        const int64_t whole = nb / 16 * 16;
        for (int64_t b = 0; b < nb; b++) {
            const unsigned char *blk = (const unsigned char *)&x[b];
            if (b >= whole) {
                ck_assert_msg(memcmp(p + b * 18, blk, 18) == 0, "nb %lld: block %lld moved",
                              (long long)nb, (long long)b);
                continue;
            }
            const size_t g = (size_t)(b / 16) * 288, l = (size_t)(b % 16);
            ck_assert_msg(memcmp(p + g + 256 + 2 * l, blk, 2) == 0, "nb %lld: scale of %lld",
                          (long long)nb, (long long)b);
            for (size_t j = 0; j < 4; j++)
                ck_assert_msg(memcmp(p + g + 64 * j + 4 * l, blk + 2 + 4 * j, 4) == 0,
                              "nb %lld: block %lld word %zu", (long long)nb, (long long)b, j);
        }
        hearth_layout_unpack_row(HEARTH_LAYOUT_Q4_0_X16, p, back, n);
        ck_assert_int_eq(memcmp(back, x, bytes), 0);
        free(x);
        free(back);
        free(p);
    }
    ck_assert(!hearth_layout_fits(HEARTH_LAYOUT_Q4_0_X16, HEARTH_TYPE_Q8_0, 512));
    ck_assert(!hearth_layout_fits(HEARTH_LAYOUT_GGUF, HEARTH_TYPE_Q4_0, 512));
    ck_assert(!hearth_layout_fits(HEARTH_LAYOUT_COUNT, HEARTH_TYPE_Q4_0, 512));
    ck_assert_int_eq(hearth_layout_type(HEARTH_LAYOUT_Q4_0_X16), HEARTH_TYPE_Q4_0);
}
END_TEST

/* Every tier's X16 dots give the bits of its plain Q4_0 dots on the same
 * rows (the reference's where the tier only inherits the reference's layout
 * kernels), for vec_dot and for mat_dot shapes that take the per-column path
 * (1 and 3 columns) and the 16-row batch path (4, 21 and 70 columns; 37 rows
 * leave 5 over). Block counts: under one group, at and around 16 and 32,
 * TinyLlama's 64 and 176, and 1100 (past the 512-block activation chunk
 * twice, with a GGUF tail). All six data patterns. */
START_TEST(test_layout_tier_matches_plain) {
    hearth_kernels k;
    if (!hearth_kernels_init(&k, tiers[_i])) {
        fprintf(stderr, "SKIP tier %s: not supported by this CPU\n", hearth_isa_name(tiers[_i]));
        return;
    }
    const hearth_kernels *ref = &hearth_kernels_ref;
    const bool own = k.preferred_layout[HEARTH_TYPE_Q4_0] == HEARTH_LAYOUT_Q4_0_X16;
    /* a tier that prefers the layout must have its own kernels for it */
    ck_assert(!own || k.layout_vec_dot[HEARTH_LAYOUT_Q4_0_X16] !=
                          ref->layout_vec_dot[HEARTH_LAYOUT_Q4_0_X16]);
    const hearth_kernels *plain = own ? &k : ref;
    static const int64_t counts[] = {1, 15, 16, 17, 31, 32, 33, 64, 176, 1100};
    static const int64_t shapes[][2] = {{1, 1}, {37, 1}, {37, 3}, {16, 4}, {37, 21}, {80, 70}};
    enum { MAX_ROWS = 80, MAX_COLS = 70 };
    for (size_t ci = 0; ci < sizeof counts / sizeof counts[0]; ci++) {
        const int64_t n = counts[ci] * QK4_0;
        const size_t ws = hearth_row_bytes(HEARTH_TYPE_Q4_0, n);
        const size_t as = hearth_row_bytes(HEARTH_TYPE_Q8_0, n);
        float *x = malloc((size_t)n * sizeof *x);
        char *w = malloc(ws * MAX_ROWS), *wx = malloc(ws * MAX_ROWS), *a = malloc(as * MAX_COLS);
        float *want = malloc(sizeof(float) * MAX_ROWS * MAX_COLS);
        float *got = malloc(sizeof(float) * MAX_ROWS * MAX_COLS);
        ck_assert(x && w && wx && a && want && got);
        for (int p = 0; p < KV_PATTERN_COUNT; p++) {
            for (int r = 0; r < MAX_ROWS; r++) {
                kv_fill(x, n, (kv_pattern)p, 100 * ci + (uint64_t)r);
                ref->quantize_row[HEARTH_TYPE_Q4_0](x, w + (size_t)r * ws, n);
                hearth_layout_pack_row(HEARTH_LAYOUT_Q4_0_X16, w + (size_t)r * ws,
                                       wx + (size_t)r * ws, n);
            }
            for (int c = 0; c < MAX_COLS; c++) {
                kv_fill(x, n, KV_NORMAL, 9000 + 100 * ci + (uint64_t)c);
                k.quantize_act[HEARTH_TYPE_Q8_0](x, a + (size_t)c * as, n);
            }
            plain->vec_dot[HEARTH_TYPE_Q4_0](n, want, w, a);
            k.layout_vec_dot[HEARTH_LAYOUT_Q4_0_X16](n, got, wx, a);
            ck_assert_msg(memcmp(want, got, sizeof *got) == 0,
                          "%s: vec_dot, %lld blocks, %s: %.9g vs plain %.9g",
                          hearth_isa_name(k.isa), (long long)counts[ci],
                          kv_pattern_name((kv_pattern)p), got[0], want[0]);
            /* the long rows and the big shapes only with random values */
            if (p != KV_NORMAL && (counts[ci] > 176))
                continue;
            for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
                const int64_t nr = shapes[s][0], nc = shapes[s][1];
                if (p != KV_NORMAL && nr * nc > 1000)
                    continue;
                plain->mat_dot[HEARTH_TYPE_Q4_0](n, nr, nc, want, nr, w, ws, a, as);
                k.layout_mat_dot[HEARTH_LAYOUT_Q4_0_X16](n, nr, nc, got, nr, wx, ws, a, as);
                for (int64_t i = 0; i < nr * nc; i++)
                    ck_assert_msg(memcmp(&want[i], &got[i], sizeof *got) == 0,
                                  "%s: mat_dot %lld x %lld, %lld blocks, %s: row %lld col "
                                  "%lld: %.9g vs plain %.9g",
                                  hearth_isa_name(k.isa), (long long)nr, (long long)nc,
                                  (long long)counts[ci], kv_pattern_name((kv_pattern)p),
                                  (long long)(i % nr), (long long)(i / nr), got[i], want[i]);
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
END_TEST

Suite *layout_suite(void);
Suite *layout_suite(void) {
    Suite *s = suite_create("layout");
    TCase *tc = tcase_create("q4_0_x16");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_layout_q4_0_x16_geometry);
    tcase_add_loop_test(tc, test_layout_tier_matches_plain, 0, N_TIERS);
    suite_add_tcase(s, tc);
    return s;
}
