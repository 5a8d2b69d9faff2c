/* check_tokenizer_cli.c - vocab-only loading of any architecture and the
 * hearth-tokenize program (CONVENTIONS §3), run from HEARTH_BIN_DIR.
 *
 * A tiny vocabulary of a made-up architecture is written with the project's
 * GGUF writer (no ../shared needed); the real-vocabulary cases skip without
 * ../shared like the other tokenizer tests.
 */
#include <check.h>
#include <stdio.h>    /* popen, snprintf */
#include <stdlib.h>   /* system, free */
#include <string.h>   /* strcmp, strlen */
#include <sys/wait.h> /* WEXITSTATUS */

#include "hearth.h"
#include "util/testutil.h"

/* Writes a byte-level BPE vocabulary for architecture "madeup": the 256 byte
 * tokens of the GPT-2 alphabet (token b is byte b), "he" 256, "ll" 257,
 * "hell" 258, "hello" 259, and the control token "<|end|>" 260. */
static const char *write_tiny_vocab(const char *pre) {
    static char path[512];
    snprintf(path, sizeof path, "%s/tiny-%s.gguf", test_tmpdir(), pre);
    char tokens[261][8];
    const char *ptrs[261];
    int32_t types[261];
    for (int b = 0; b < 256; b++) {
        /* byte -> printable codepoint, written out as UTF-8 */
        unsigned cp = b;
        if (!((b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE))
            cp = b <= 0x20 ? 0x100 + b : b <= 0xA0 ? 0x100 + 33 + (b - 0x7F) : 0x100 + 67;
        if (cp < 0x80) {
            tokens[b][0] = (char)cp;
            tokens[b][1] = 0;
        } else {
            tokens[b][0] = (char)(0xC0 | (cp >> 6));
            tokens[b][1] = (char)(0x80 | (cp & 0x3F));
            tokens[b][2] = 0;
        }
        types[b] = 1;
    }
    static const char *const extra[] = {"he", "ll", "hell", "hello", "<|end|>"};
    for (int i = 0; i < 5; i++) {
        strcpy(tokens[256 + i], extra[i]);
        types[256 + i] = i < 4 ? 1 : 3;
    }
    for (int i = 0; i < 261; i++)
        ptrs[i] = tokens[i];
    const char *merges[] = {"h e", "l l", "he ll", "hell o"};
    hearth_gguf_writer *w;
    ck_assert_int_eq(hearth_gguf_writer_create(path, &w), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_str(w, "general.architecture", "madeup", 6), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_str(w, "tokenizer.ggml.model", "gpt2", 4), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_str(w, "tokenizer.ggml.pre", pre, strlen(pre)),
                     HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_str_array(w, "tokenizer.ggml.tokens", ptrs, NULL, 261),
                     HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_array(w, "tokenizer.ggml.token_type",
                                                  HEARTH_GGUF_INT32, types, 261),
                     HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_str_array(w, "tokenizer.ggml.merges", merges, NULL, 4),
                     HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_u32(w, "tokenizer.ggml.eos_token_id", 260), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_finish(w), HEARTH_OK);
    hearth_gguf_writer_free(w);
    return path;
}

static void count_warnings(void *user, hearth_log_level level, const char *msg) {
    if (level == HEARTH_LOG_WARN && strstr(msg, "pre-tokenizer"))
        ++*(int *)user;
}

START_TEST(test_vocab_only_loads_any_architecture) {
    const char *path = write_tiny_vocab("gpt-2");
    hearth_model_params p = hearth_model_default_params();
    hearth_model *m;
    /* A full load of an architecture hearth does not run is refused, named. */
    ck_assert_int_eq(hearth_model_load(path, &p, &m), HEARTH_ERR_UNSUPPORTED);
    ck_assert_ptr_null(m);
    ck_assert_ptr_ne(strstr(hearth_last_error(), "madeup"), NULL);
    p.vocab_only = true;
    ck_assert_int_eq(hearth_model_load(path, &p, &m), HEARTH_OK);
    hearth_model_info info;
    ck_assert_int_eq(hearth_model_info_get(m, &info), HEARTH_OK);
    ck_assert_str_eq(info.arch, "madeup");
    ck_assert_int_eq(info.n_vocab, 261);
    ck_assert(info.vocab_only);
    ck_assert_int_eq(hearth_token_eos(m), 260);
    ck_assert(hearth_token_is_eog(m, 260));
    int32_t ids[8];
    size_t n;
    /* "hello": h+e -> he, l+l -> ll, he+ll -> hell, hell+o -> hello. */
    ck_assert_int_eq(hearth_tokenize(m, "hello!", 6, true, false, ids, 8, &n), HEARTH_OK);
    ck_assert_uint_eq(n, 2); /* no BOS: this vocabulary has none */
    ck_assert_int_eq(ids[0], 259);
    ck_assert_int_eq(ids[1], '!');
    hearth_model_free(m);
}
END_TEST

START_TEST(test_unknown_pre_tokenizer_warns) {
    const char *path = write_tiny_vocab("brand-new-pre");
    int warnings = 0;
    hearth_model_params p = hearth_model_default_params();
    p.vocab_only = true;
    p.log_fn = count_warnings;
    p.log_user = &warnings;
    hearth_model *m;
    ck_assert_int_eq(hearth_model_load(path, &p, &m), HEARTH_OK);
    ck_assert_int_eq(warnings, 1);
    int32_t ids[8];
    size_t n;
    ck_assert_int_eq(hearth_tokenize(m, "hello", 5, false, false, ids, 8, &n), HEARTH_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(ids[0], 259);
    hearth_model_free(m);
}
END_TEST

/* A tokenizer type hearth does not implement is refused, by name. */
START_TEST(test_unsupported_tokenizer_model_is_named) {
    char path[512];
    snprintf(path, sizeof path, "%s/t5.gguf", test_tmpdir());
    const char *toks[] = {"<pad>", "</s>", "<unk>"};
    hearth_gguf_writer *w;
    ck_assert_int_eq(hearth_gguf_writer_create(path, &w), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_str(w, "general.architecture", "t5", 2), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_str(w, "tokenizer.ggml.model", "t5", 2), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_str_array(w, "tokenizer.ggml.tokens", toks, NULL, 3),
                     HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_finish(w), HEARTH_OK);
    hearth_gguf_writer_free(w);
    hearth_model_params p = hearth_model_default_params();
    p.vocab_only = true;
    hearth_model *m;
    ck_assert_int_eq(hearth_model_load(path, &p, &m), HEARTH_ERR_UNSUPPORTED);
    ck_assert_ptr_null(m);
    ck_assert_ptr_ne(strstr(hearth_last_error(), "'t5'"), NULL);
}
END_TEST

/* ---- hearth-tokenize ------------------------------------------------------------ */

/* Runs a shell command; stdout into out (NUL-terminated), returns the exit status. */
static int run(const char *cmd, char *out, size_t size) {
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(out, 1, size - 1, p);
    out[n] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(test_cli_ids_and_flags) {
    char bin[512], cmd[2048], out[4096];
    test_bin("hearth-tokenize", bin, sizeof bin);
    const char *path = write_tiny_vocab("gpt-2");
    snprintf(cmd, sizeof cmd, "%s -m %s --ids 'hello hello'", bin, path);
    ck_assert_int_eq(run(cmd, out, sizeof out), 0);
    ck_assert_str_eq(out, "259 32 259\n"); /* " hello" = Ġ + hello: no "Ġ h" merge */
    snprintf(cmd, sizeof cmd, "%s -m %s 'he<|end|>'", bin, path);
    ck_assert_int_eq(run(cmd, out, sizeof out), 0);
    ck_assert_ptr_ne(strstr(out, "256 -> 'he'\n"), NULL);
    ck_assert_ptr_eq(strstr(out, "260"), NULL); /* control text is plain text... */
    snprintf(cmd, sizeof cmd, "%s -m %s --special --ids 'he<|end|>'", bin, path);
    ck_assert_int_eq(run(cmd, out, sizeof out), 0);
    ck_assert_str_eq(out, "256 260\n"); /* ...unless --special */
    snprintf(cmd, sizeof cmd, "%s -h", bin);
    ck_assert_int_eq(run(cmd, out, sizeof out), 0);
    ck_assert_ptr_ne(strstr(out, "usage"), NULL);
    snprintf(cmd, sizeof cmd, "%s -m %s 2>/dev/null", bin, path);
    ck_assert_int_eq(run(cmd, out, sizeof out), 2); /* no TEXT */
    snprintf(cmd, sizeof cmd, "%s --bogus -m %s x 2>/dev/null", bin, path);
    ck_assert_int_eq(run(cmd, out, sizeof out), 2);
    snprintf(cmd, sizeof cmd, "%s -m %s/missing.gguf x 2>&1 >/dev/null", bin, test_tmpdir());
    ck_assert_int_eq(run(cmd, out, sizeof out), 1);
    ck_assert_ptr_ne(strstr(out, "missing.gguf"), NULL); /* the error names the file */
}
END_TEST

/* -f reads bytes exactly (trailing newlines, NUL bytes), from files and pipes. */
START_TEST(test_cli_file_is_byte_exact) {
    char bin[512], cmd[2048], out[4096], txt[512];
    test_bin("hearth-tokenize", bin, sizeof bin);
    const char *path = write_tiny_vocab("gpt-2");
    snprintf(txt, sizeof txt, "%s/input.txt", test_tmpdir());
    static const char content[] = "hello\0he\n\n";
    FILE *f = fopen(txt, "wb");
    fwrite(content, 1, sizeof content - 1, f);
    fclose(f);
    /* hello, the NUL byte, he, and the final "\n\n" kept as two byte tokens */
    snprintf(cmd, sizeof cmd, "%s -m %s --ids -f %s", bin, path, txt);
    ck_assert_int_eq(run(cmd, out, sizeof out), 0);
    ck_assert_str_eq(out, "259 0 256 10 10\n");
    snprintf(cmd, sizeof cmd, "cat %s | %s -m %s --ids -f /dev/stdin", txt, bin, path);
    ck_assert_int_eq(run(cmd, out, sizeof out), 0);
    ck_assert_str_eq(out, "259 0 256 10 10\n");
    snprintf(cmd, sizeof cmd, "%s -m %s --ids -f - < %s", bin, path, txt);
    ck_assert_int_eq(run(cmd, out, sizeof out), 0);
    ck_assert_str_eq(out, "259 0 256 10 10\n");
}
END_TEST

/* On a real vocabulary the program agrees with the library, BOS included. */
START_TEST(test_cli_real_vocab_matches_library) {
    char rel[] = "vocab/ggml-vocab-llama-bpe.gguf", path[1024];
    if (!test_shared_path(rel, path, sizeof path, "hearth-tokenize on llama-bpe"))
        return;
    char bin[512], cmd[2048], out[4096];
    test_bin("hearth-tokenize", bin, sizeof bin);
    snprintf(cmd, sizeof cmd, "%s -m %s --ids 'Hello world'", bin, path);
    ck_assert_int_eq(run(cmd, out, sizeof out), 0);
    ck_assert_str_eq(out, "128000 9906 1917\n");
    snprintf(cmd, sizeof cmd, "%s -m %s --ids --no-bos 'Hello world'", bin, path);
    ck_assert_int_eq(run(cmd, out, sizeof out), 0);
    ck_assert_str_eq(out, "9906 1917\n");
    snprintf(cmd, sizeof cmd, "%s -m %s --ids --special '<|eot_id|>'", bin, path);
    ck_assert_int_eq(run(cmd, out, sizeof out), 0);
    ck_assert_str_eq(out, "128000 128009\n");
}
END_TEST

Suite *tokenizer_cli_suite(void) {
    Suite *s = suite_create("tokenizer_cli");
    TCase *tc = tcase_create("vocab_only");
    tcase_add_test(tc, test_vocab_only_loads_any_architecture);
    tcase_add_test(tc, test_unknown_pre_tokenizer_warns);
    tcase_add_test(tc, test_unsupported_tokenizer_model_is_named);
    suite_add_tcase(s, tc);
    tc = tcase_create("cli");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_cli_ids_and_flags);
    tcase_add_test(tc, test_cli_file_is_byte_exact);
    tcase_add_test(tc, test_cli_real_vocab_matches_library);
    suite_add_tcase(s, tc);
    return s;
}
