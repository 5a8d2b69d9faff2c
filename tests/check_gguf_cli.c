/* check_gguf_cli.c - build/bin/hearth-gguf: its listing of a file the test
 * writes, and its exit codes (CONVENTIONS §3: 0 ok, 1 bad file with the
 * message on stderr, 2 usage; -h/--help exits 0).
 *
 * Expected lines are computed from the format: a Q4_0 block is 32 values in
 * 18 bytes, so a 64 x 2 tensor is 72 bytes and the next tensor starts at the
 * next multiple of 32, 96.
 */
#include <check.h>
#include <stdio.h>    /* snprintf, popen */
#include <stdlib.h>   /* system, free */
#include <string.h>   /* strstr */
#include <sys/wait.h> /* WEXITSTATUS */

#include "hearth.h"
#include "kernels/quant.h" /* HEARTH_TYPE_* ids */
#include "util/testutil.h"

/* Runs `hearth-gguf ARGS`, stdout and stderr to files; returns the exit code. */
static int run_cli(const char *args, char **out, char **err) {
    return test_run_program("hearth-gguf", args, out, err);
}

static void write_small_model(const char *path) {
    hearth_gguf_writer *w;
    ck_assert_int_eq(hearth_gguf_writer_create(path, &w), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_str(w, "general.architecture", "llama", 5), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_u32(w, "llama.block_count", 2), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_i8(w, "bad\nkey", -3), HEARTH_OK);
    const char *toks[] = {"<unk>", "<s>", "a\"b", "d", "e", "f", "g"};
    ck_assert_int_eq(hearth_gguf_writer_set_str_array(w, "tokenizer.ggml.tokens", toks, NULL, 7),
                     HEARTH_OK);
    int64_t ne_w[2] = {64, 2}, ne_n[1] = {8};
    ck_assert_int_eq(hearth_gguf_writer_add_tensor(w, "w", HEARTH_TYPE_Q4_0, 2, ne_w), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_add_tensor(w, "n", HEARTH_TYPE_F32, 1, ne_n), HEARTH_OK);
    uint8_t zeros[72 + 32] = {0};
    ck_assert_int_eq(hearth_gguf_writer_write(w, zeros, sizeof zeros), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_finish(w), HEARTH_OK);
    hearth_gguf_writer_free(w);
}

START_TEST(test_gguf_cli_lists_file) {
    char path[512], args[600];
    snprintf(path, sizeof path, "%s/cli-model.gguf", test_tmpdir());
    write_small_model(path);
    snprintf(args, sizeof args, "'%s'", path);
    char *out, *err;
    ck_assert_int_eq(run_cli(args, &out, &err), 0);
    ck_assert_msg(strstr(out, "  general.architecture  STRING  \"llama\"\n"), "%s", out);
    ck_assert_msg(strstr(out, "  llama.block_count  UINT32  2\n"), "%s", out);
    /* A control character in a name is escaped, keeping one entry per line. */
    ck_assert_msg(strstr(out, "  bad\\x0akey  INT8  -3\n"), "%s", out);
    ck_assert_msg(strstr(out, "  tokenizer.ggml.tokens  ARRAY  [STRING x 7] "
                              "[\"<unk>\", \"<s>\", \"a\\\"b\", \"d\", \"e\", ...]\n"), "%s", out);
    ck_assert_msg(strstr(out, "\n  w  Q4_0  64 x 2  0  72\n"), "%s", out);
    ck_assert_msg(strstr(out, "\n  n  F32  8  96  32\n"), "%s", out);
    ck_assert_msg(strstr(out, "total: 2 tensors, 104 bytes, 136 parameters\n"), "%s", out);
    free(out);
    free(err);
}
END_TEST

START_TEST(test_gguf_cli_exit_codes) {
    char path[512], args[600];
    char *out, *err;
    /* A bad file: exit 1 and the reader's message (naming the file) on stderr. */
    snprintf(path, sizeof path, "%s/cli-bad.gguf", test_tmpdir());
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs("GGUF but not really a gguf file", f);
    fclose(f);
    snprintf(args, sizeof args, "'%s'", path);
    ck_assert_int_eq(run_cli(args, &out, &err), 1);
    ck_assert_msg(strstr(err, path), "stderr: %s", err);
    ck_assert_str_eq(out, "");
    free(out);
    free(err);
    /* A missing file: also a runtime failure. */
    ck_assert_int_eq(run_cli("/nonexistent/model.gguf", &out, &err), 1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/model.gguf"));
    free(out);
    free(err);
    /* Usage errors. */
    ck_assert_int_eq(run_cli("", &out, &err), 2);
    ck_assert_ptr_nonnull(strstr(err, "usage"));
    free(out);
    free(err);
    ck_assert_int_eq(run_cli("--bogus x.gguf", &out, &err), 2);
    free(out);
    free(err);
    ck_assert_int_eq(run_cli("a.gguf b.gguf", &out, &err), 2);
    free(out);
    free(err);
    /* Help goes to stdout with exit 0. */
    ck_assert_int_eq(run_cli("--help", &out, &err), 0);
    ck_assert_ptr_nonnull(strstr(out, "usage: hearth-gguf"));
    free(out);
    free(err);
    ck_assert_int_eq(run_cli("-h", &out, &err), 0);
    free(out);
    free(err);
}
END_TEST

Suite *gguf_cli_suite(void);
Suite *gguf_cli_suite(void) {
    Suite *s = suite_create("gguf_cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 60); /* seven program runs; slow under ASan on a busy machine */
    tcase_add_test(tc, test_gguf_cli_lists_file);
    tcase_add_test(tc, test_gguf_cli_exit_codes);
    suite_add_tcase(s, tc);
    return s;
}
