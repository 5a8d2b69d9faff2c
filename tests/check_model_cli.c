/* check_model_cli.c - hearth-generate and hearth-chat on a synthetic model,
 * checked against the API: --ids greedy output equals the argmax chain,
 * --dump-logits bytes equal the logits of a logits_all context, the context-
 * full stop, usage and load errors, and chat's piped mode.
 */
#include <check.h>
#include <stdio.h>    /* snprintf */
#include <stdlib.h>   /* system, free, strtol */
#include <string.h>   /* memcmp, strstr */
#include <sys/wait.h> /* WEXITSTATUS */

#include "hearth.h"
#include "synth_model.h"
#include "util/synth_testutil.h"
#include "util/testutil.h"

static char model_path[512];

static void write_model(void) {
    synth_model_params p = synth_model_default_params();
    p.seed = 11;
    snprintf(model_path, sizeof model_path, "%s/cli.gguf", test_tmpdir());
    ck_assert_int_eq(synth_model_write(model_path, &p), HEARTH_OK);
}

/* Runs `hearth-<prog> <args>` (stdin from `input` when non-NULL), stdout to
 * out.txt, stderr to err.txt in the test's temp folder; returns the exit code. */
static int run(const char *prog, const char *args, const char *input) {
    char bin[512], cmd[4096];
    test_bin(prog, bin, sizeof bin);
    /* `input` is a printf format: "\\n" in the C string separates lines. */
    snprintf(cmd, sizeof cmd, "%s%s%s '%s' %s > '%s/out.txt' 2> '%s/err.txt'",
             input ? "printf '" : "", input ? input : "", input ? "' | " : "", bin, args,
             test_tmpdir(), test_tmpdir());
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static char *output(const char *name, size_t *size) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s", test_tmpdir(), name);
    size_t dummy;
    char *s = test_read_file(path, size ? size : &dummy);
    ck_assert_ptr_nonnull(s);
    return s;
}

/* Greedy continuation through the API: stops at EOG, after n tokens, or when
 * the context is full, as hearth-generate does. Returns the count. */
static int api_greedy(const int32_t *prompt, int n_prompt, int n, int32_t n_ctx, int32_t *out) {
    hearth_model *m = mt_load(model_path);
    hearth_ctx *c = mt_ctx(m, n_ctx, false, false, 0);
    int count = 0;
    ck_assert_int_eq(hearth_ctx_decode(c, prompt, n_prompt), HEARTH_OK);
    while (count < n) {
        int32_t tok = mt_argmax(hearth_ctx_logits(c, -1), hearth_vocab_size(m));
        if (hearth_token_is_eog(m, tok))
            break;
        out[count++] = tok;
        if (count == n || hearth_ctx_decode(c, &tok, 1) != HEARTH_OK)
            break;
    }
    hearth_ctx_free(c);
    hearth_model_free(m);
    return count;
}

static int parse_ids(const char *s, int32_t *ids, int max) {
    int n = 0;
    char *end;
    while (n < max) {
        long v = strtol(s, &end, 10);
        if (end == s)
            break;
        ids[n++] = (int32_t)v;
        s = end;
    }
    return n;
}

START_TEST(test_generate_ids_equal_api_greedy) {
    write_model();
    char args[1024];
    snprintf(args, sizeof args, "-m '%s' --prompt-ids '1 40 41 300 7' -n 12 --temp 0 --ids",
             model_path);
    ck_assert_int_eq(run("hearth-generate", args, NULL), 0);
    char *out = output("out.txt", NULL), *err = output("err.txt", NULL);
    ck_assert_msg(out[strlen(out) - 1] == '\n', "--ids output ends with a newline");
    int32_t got[64], want[64];
    const int32_t prompt[] = {1, 40, 41, 300, 7};
    int n_got = parse_ids(out, got, 64), n_want = api_greedy(prompt, 5, 12, 256, want);
    ck_assert_int_eq(n_got, n_want);
    ck_assert_mem_eq(got, want, (size_t)n_got * sizeof(int32_t));
    ck_assert_ptr_nonnull(strstr(err, "seed: "));
    ck_assert_ptr_nonnull(strstr(err, "tokens/s"));
    free(out);
    free(err);
}
END_TEST

START_TEST(test_generate_text_prompt_uses_the_tokenizer) {
    write_model();
    hearth_model *m = mt_load(model_path);
    int32_t prompt[64];
    size_t n_prompt;
    ck_assert_int_eq(hearth_tokenize(m, "Once upon a time", 16, true, true, prompt, 64, &n_prompt),
                     HEARTH_OK);
    ck_assert_int_eq(prompt[0], hearth_token_bos(m));
    hearth_model_free(m);
    char args[1024];
    snprintf(args, sizeof args, "-m '%s' -p 'Once upon a time' -n 6 --greedy --ids", model_path);
    ck_assert_int_eq(run("hearth-generate", args, NULL), 0);
    char *out = output("out.txt", NULL);
    int32_t got[64], want[64];
    int n_got = parse_ids(out, got, 64), n_want = api_greedy(prompt, (int)n_prompt, 6, 256, want);
    ck_assert_int_eq(n_got, n_want);
    ck_assert_mem_eq(got, want, (size_t)n_got * sizeof(int32_t));
    free(out);
    /* As text: the pieces of those ids, and nothing else (the prompt is not echoed). */
    snprintf(args, sizeof args, "-m '%s' -p 'Once upon a time' -n 6 --temp 0", model_path);
    ck_assert_int_eq(run("hearth-generate", args, NULL), 0);
    size_t n_text;
    out = output("out.txt", &n_text);
    m = mt_load(model_path);
    char want_text[512];
    size_t n_want_text;
    ck_assert_int_eq(hearth_detokenize(m, want, (size_t)n_want, false, want_text,
                                       sizeof want_text, &n_want_text), HEARTH_OK);
    hearth_model_free(m);
    ck_assert_uint_eq(n_text, n_want_text);
    ck_assert_mem_eq(out, want_text, n_text);
    free(out);
}
END_TEST

START_TEST(test_generate_dump_logits_equal_api) {
    write_model();
    char args[2048], dump[600];
    snprintf(dump, sizeof dump, "%s/logits.bin", test_tmpdir());
    snprintf(args, sizeof args, "-m '%s' --prompt-ids '1 9 8 7 300 301' --dump-logits '%s'",
             model_path, dump);
    ck_assert_int_eq(run("hearth-generate", args, NULL), 0);
    size_t n_out, n_bytes;
    char *out = output("out.txt", &n_out);
    ck_assert_uint_eq(n_out, 0); /* no -n: exits without generating */
    char *bytes = test_read_file(dump, &n_bytes);
    const int32_t prompt[] = {1, 9, 8, 7, 300, 301};
    float *want = mt_logits_all(model_path, prompt, 6, HEARTH_ISA_AUTO, HEARTH_KV_F16);
    ck_assert_uint_eq(n_bytes, 6 * 320 * sizeof(float));
    ck_assert_mem_eq(bytes, want, n_bytes);
    free(out);
    free(bytes);
    free(want);
    /* With -n it generates too. */
    snprintf(args, sizeof args,
             "-m '%s' --prompt-ids '1 9 8 7 300 301' --dump-logits '%s' -n 3 --ids --temp 0",
             model_path, dump);
    ck_assert_int_eq(run("hearth-generate", args, NULL), 0);
    out = output("out.txt", &n_out);
    ck_assert_uint_gt(n_out, 1);
    free(out);
}
END_TEST

START_TEST(test_generate_stops_when_context_full) {
    write_model();
    char args[1024];
    snprintf(args, sizeof args, "-m '%s' --prompt-ids '1 50 60 70' -n 20 -c 8 --temp 0 --ids",
             model_path);
    ck_assert_int_eq(run("hearth-generate", args, NULL), 0);
    char *out = output("out.txt", NULL), *err = output("err.txt", NULL);
    int32_t got[64], want[64];
    const int32_t prompt[] = {1, 50, 60, 70};
    int n_got = parse_ids(out, got, 64), n_want = api_greedy(prompt, 4, 20, 8, want);
    ck_assert_int_eq(n_got, n_want);
    ck_assert_mem_eq(got, want, (size_t)n_got * sizeof(int32_t));
    if (n_got == 5) /* not stopped by an end-of-generation token first */
        ck_assert_ptr_nonnull(strstr(err, "context full"));
    free(out);
    free(err);
    /* With --ctx-shift it keeps going. */
    snprintf(args, sizeof args,
             "-m '%s' --prompt-ids '1 50 60 70' -n 20 -c 8 --temp 0 --ids --ctx-shift --keep 1",
             model_path);
    ck_assert_int_eq(run("hearth-generate", args, NULL), 0);
    out = output("out.txt", NULL);
    ck_assert_int_ge(parse_ids(out, got, 64), n_got);
    free(out);
}
END_TEST

START_TEST(test_generate_usage_and_load_errors) {
    write_model();
    ck_assert_int_eq(run("hearth-generate", "-p hello", NULL), 2);
    ck_assert_int_eq(run("hearth-generate", "--help", NULL), 0);
    ck_assert_int_eq(run("hearth-generate", "-m /nonexistent.gguf -p hi", NULL), 1);
    char args[1024];
    snprintf(args, sizeof args, "-m '%s' --prompt-ids '1 99999' -n 2", model_path);
    ck_assert_int_eq(run("hearth-generate", args, NULL), 1); /* id outside the vocabulary */
    char *err = output("err.txt", NULL);
    ck_assert_ptr_nonnull(strstr(err, "99999"));
    free(err);
    snprintf(args, sizeof args, "-m '%s' --prompt-ids '1 2' -n x", model_path);
    ck_assert_int_eq(run("hearth-generate", args, NULL), 2);
}
END_TEST

START_TEST(test_chat_piped_one_reply_line_per_message) {
    write_model();
    char args[1024];
    snprintf(args, sizeof args, "-m '%s' -n 4 --temp 0 --chat-template chatml -sys 'Be brief.'",
             model_path);
    ck_assert_int_eq(run("hearth-chat", args, "hello\\nhow are you\\n/reset\\nagain\\n"), 0);
    size_t n;
    char *out = output("out.txt", &n), *err = output("err.txt", NULL);
    int lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += out[i] == '\n';
    ck_assert_int_ge(lines, 3); /* one reply per message (a reply may itself hold a newline) */
    ck_assert(n > 0 && out[n - 1] == '\n');
    /* The second turn reuses the first turn's tokens from the KV cache. */
    const char *second = strstr(strstr(err, "cached)") + 1, "new tokens (");
    ck_assert_ptr_nonnull(second);
    ck_assert_int_gt(strtol(second + strlen("new tokens ("), NULL, 10), 0);
    ck_assert_ptr_nonnull(strstr(err, "tokens/s"));
    free(out);
    free(err);
    ck_assert_int_eq(run("hearth-chat", "", NULL), 2);
}
END_TEST

Suite *model_cli_suite(void) {
    Suite *s = suite_create("model_cli");
    TCase *tc = tcase_create("generate");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_generate_ids_equal_api_greedy);
    tcase_add_test(tc, test_generate_text_prompt_uses_the_tokenizer);
    tcase_add_test(tc, test_generate_dump_logits_equal_api);
    tcase_add_test(tc, test_generate_stops_when_context_full);
    tcase_add_test(tc, test_generate_usage_and_load_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("chat");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_chat_piped_one_reply_line_per_message);
    suite_add_tcase(s, tc);
    return s;
}
