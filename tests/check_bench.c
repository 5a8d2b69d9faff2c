/* check_bench.c - build/bin/hearth-bench's output contract (CONVENTIONS §3),
 * not its speed: --json gives one llama-bench-style object per test with the
 * fields scripts read, numbers that are measurements (positive, consistent
 * with the test's shape), the markdown table by default, and the exit codes
 * (0 ok, 1 runtime failure with a message, 2 usage; -h exits 0).
 */
#include <check.h>
#include <math.h> /* fabs */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "synth_model.h"
#include "util/testutil.h"

static int run_bench(const char *args, char **out, char **err) {
    return test_run_program("hearth-bench", args, out, err);
}

static const char *small_model(void) {
    static char path[512];
    snprintf(path, sizeof path, "%s/bench-small.gguf", test_tmpdir());
    struct stat sb;
    if (stat(path, &sb) != 0) {
        synth_model_params p = synth_model_default_params();
        p.n_embd = 128;
        p.n_ff = 256;
        p.type = 8; /* Q8_0 */
        p.embd_type = 8;
        ck_assert_int_eq(synth_model_write(path, &p), HEARTH_OK);
    }
    return path;
}

static int count(const char *s, const char *needle) {
    int n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Every value following `"key": ` in s, in order; returns how many (<= max). */
static int numbers(const char *s, const char *key, double *v, int max) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    int n = 0;
    for (const char *p = strstr(s, pat); p && n < max; p = strstr(p + 1, pat))
        v[n++] = strtod(p + strlen(pat), NULL);
    return n;
}

/* The numbers of the array following the idx-th `"key": [`; how many (<= max). */
static int array_numbers(const char *s, const char *key, int idx, double *v, int max) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": [", key);
    const char *p = strstr(s, pat);
    for (int k = 0; p && k < idx; k++)
        p = strstr(p + 1, pat);
    if (!p)
        return 0;
    p += strlen(pat);
    int n = 0;
    while (n < max) {
        char *end;
        double x = strtod(p, &end);
        if (end == p)
            break;
        v[n++] = x;
        p = end + strspn(end, " ,");
    }
    return n;
}

START_TEST(test_bench_json_rows_and_fields) {
    char args[1024], *out, *err;
    snprintf(args, sizeof args, "-m '%s' -p 8 -n 4 -r 2 -t 1,2 --read-mib 16 --json",
             small_model());
    ck_assert_int_eq(run_bench(args, &out, &err), 0);
    /* 2 thread counts x (pp8, tg4) = 4 objects, as a JSON array on stdout only. */
    ck_assert_msg(out[strspn(out, " \n")] == '[', "stdout is not a JSON array: %.80s", out);
    ck_assert_int_eq(count(out, "\"model_filename\""), 4);
    ck_assert_int_eq(count(out, "\"n_prompt\": 8,"), 2);
    ck_assert_int_eq(count(out, "\"n_gen\": 4,"), 2);
    ck_assert_int_eq(count(out, "\"n_prompt\": 0,"), 2);
    ck_assert_int_eq(count(out, "\"n_gen\": 0,"), 2);
    ck_assert_int_eq(count(out, "\"n_threads\": 1,"), 2);
    ck_assert_int_eq(count(out, "\"n_threads\": 2,"), 2);
    static const char *const positive[] = {"avg_ts", "roofline_pct", "ttft_ms", "peak_rss_bytes",
                                           "load_ms", "model_size", "avg_ns"};
    for (size_t k = 0; k < sizeof positive / sizeof positive[0]; k++) {
        double v[8];
        ck_assert_int_eq(numbers(out, positive[k], v, 8), 4);
        for (int i = 0; i < 4; i++)
            ck_assert_msg(v[i] > 0, "%s[%d] = %g", positive[k], i, v[i]);
    }
    /* llama-bench's definitions, object by object: each samples_ts entry is the
     * tokens over its samples_ns time, avg_ts their mean and avg_ns the mean
     * time (a mean of rates is not tokens over the mean time when samples
     * spread, so the two averages are checked against their own samples). */
    double ts[4], ns[4], tokens[4] = {8, 4, 8, 4};
    numbers(out, "avg_ts", ts, 4);
    numbers(out, "avg_ns", ns, 4);
    for (int i = 0; i < 4; i++) {
        double s_ns[2], s_ts[2];
        ck_assert_int_eq(array_numbers(out, "samples_ns", i, s_ns, 2), 2);
        ck_assert_int_eq(array_numbers(out, "samples_ts", i, s_ts, 2), 2);
        for (int j = 0; j < 2; j++) {
            double implied = tokens[i] / (s_ns[j] * 1e-9); /* ns printed to 1 ns */
            ck_assert_msg(fabs(s_ts[j] - implied) <= 1e-3 * implied, "sample %d.%d: %g t/s vs %g",
                          i, j, s_ts[j], implied);
        }
        double mean_ts = (s_ts[0] + s_ts[1]) / 2, mean_ns = (s_ns[0] + s_ns[1]) / 2;
        ck_assert_msg(fabs(ts[i] - mean_ts) <= 1e-6 * mean_ts + 1e-5, "avg_ts %g vs %g", ts[i],
                      mean_ts);
        ck_assert_msg(fabs(ns[i] - mean_ns) <= 1, "avg_ns %g vs %g", ns[i], mean_ns);
    }
    ck_assert_int_eq(count(out, "\"samples_ts\": ["), 4);
    ck_assert_msg(strstr(err, "measuring limits"), "no progress on stderr");
    free(out);
    free(err);
}
END_TEST

START_TEST(test_bench_markdown_default) {
    char args[1024], *out, *err;
    snprintf(args, sizeof args, "-m '%s' -p 8 -n 2 -r 1 -t 1 --read-mib 16", small_model());
    ck_assert_int_eq(run_bench(args, &out, &err), 0);
    ck_assert_msg(strncmp(out, "| model |", 9) == 0, "not a markdown table: %.80s", out);
    ck_assert_int_eq(count(out, "| pp8 |"), 1);
    ck_assert_int_eq(count(out, "| tg2 |"), 1);
    free(out);
    free(err);
}
END_TEST

START_TEST(test_bench_exit_codes) {
    char *out, *err;
    ck_assert_int_eq(run_bench("-h", &out, &err), 0);
    ck_assert_ptr_nonnull(strstr(out, "usage"));
    free(out);
    free(err);
    ck_assert_int_eq(run_bench("-p x", &out, &err), 2);
    free(out);
    free(err);
    ck_assert_int_eq(run_bench("-r 0", &out, &err), 2);
    free(out);
    free(err);
    char args[1024];
    snprintf(args, sizeof args, "-m '%s/missing.gguf' -p 8 -n 0 -r 1 -t 1 --read-mib 16",
             test_tmpdir());
    ck_assert_int_eq(run_bench(args, &out, &err), 1);
    ck_assert_ptr_nonnull(strstr(err, "missing.gguf"));
    free(out);
    free(err);
}
END_TEST

Suite *bench_suite(void);
Suite *bench_suite(void) {
    Suite *s = suite_create("bench");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_bench_json_rows_and_fields);
    tcase_add_test(tc, test_bench_markdown_default);
    tcase_add_test(tc, test_bench_exit_codes);
    suite_add_tcase(s, tc);
    return s;
}
