/* check_tokenizer.c - the tokenizer against real vocabularies (../shared/vocab):
 * every .inp/.out test vector, lossless round trips, special tokens from
 * metadata, streaming pieces, and invalid or oversized input. Tests skip (or
 * fail under HEARTH_REQUIRE_SHARED) when ../shared is absent.
 */
#include <check.h>
#include <pthread.h> /* one model shared by several tokenizing threads */
#include <stdio.h>   /* snprintf */
#include <stdlib.h> /* malloc, free */
#include <string.h> /* memcmp, strlen */

#include "hearth.h"
#include "lib/model.h" /* the tokenizer inside a model, for the word-cache check */
#include "util/testutil.h"

static hearth_model *load_vocab(const char *name) {
    char rel[128], path[1024];
    snprintf(rel, sizeof rel, "vocab/ggml-vocab-%s.gguf", name);
    if (!test_shared_path(rel, path, sizeof path, "tokenizer vectors"))
        return NULL;
    hearth_model_params p = hearth_model_default_params();
    p.vocab_only = true;
    hearth_model *m;
    ck_assert_msg(hearth_model_load(path, &p, &m) == HEARTH_OK, "%s: %s", path,
                  hearth_last_error());
    return m;
}

/* Tokenizes into a malloc'd array (count in *n). */
static int32_t *tokenize(const hearth_model *m, const char *text, size_t len, bool add_special,
                         bool parse_special, size_t *n) {
    size_t need = 0;
    hearth_status st = hearth_tokenize(m, text, len, add_special, parse_special, NULL, 0, &need);
    ck_assert(st == HEARTH_OK || st == HEARTH_ERR_BUFFER_TOO_SMALL);
    int32_t *ids = malloc((need ? need : 1) * sizeof *ids);
    ck_assert_ptr_nonnull(ids);
    ck_assert_int_eq(hearth_tokenize(m, text, len, add_special, parse_special, ids, need, n),
                     HEARTH_OK);
    ck_assert_uint_eq(*n, need);
    return ids;
}

static char *detokenize(const hearth_model *m, const int32_t *ids, size_t n, bool special,
                        size_t *len) {
    size_t need = 0;
    hearth_status st = hearth_detokenize(m, ids, n, special, NULL, 0, &need);
    ck_assert(st == HEARTH_OK || st == HEARTH_ERR_BUFFER_TOO_SMALL);
    char *buf = malloc(need + 1);
    ck_assert_int_eq(hearth_detokenize(m, ids, n, special, buf, need, len), HEARTH_OK);
    ck_assert_uint_eq(*len, need);
    return buf;
}

/* ---- test vectors -------------------------------------------------------------- */

static const struct {
    const char *vectors, *vocab;
    bool lossless; /* byte-level BPE and SentencePiece with byte fallback round-trip */
} cases[] = {
    {"llama-spm", "llama-spm", true},       {"phi-3", "phi-3", true},
    {"llama-bpe", "llama-bpe", true},       {"qwen2", "qwen2", true},
    {"gpt-2", "gpt-2", true},               {"deepseek-coder", "deepseek-coder", true},
    {"deepseek-llm", "deepseek-llm", true}, {"falcon", "falcon", true},
    {"mpt", "mpt", true},                   {"refact", "refact", true},
    {"starcoder", "starcoder", true},       {"bert-bge", "bert-bge", false},
    {"deepseek-r1-qwen", "qwen2", true},
};
#define N_CASES (int)(sizeof cases / sizeof *cases)

START_TEST(test_tokenizer_vectors) {
    const char *vec = cases[_i].vectors;
    hearth_model *m = load_vocab(cases[_i].vocab);
    if (!m)
        return;
    char rel[128], inp_path[1024], out_path[1024];
    snprintf(rel, sizeof rel, "vocab/ggml-vocab-%s.gguf.inp", vec);
    ck_assert(test_shared_path(rel, inp_path, sizeof inp_path, "tokenizer vectors"));
    snprintf(rel, sizeof rel, "vocab/ggml-vocab-%s.gguf.out", vec);
    ck_assert(test_shared_path(rel, out_path, sizeof out_path, "tokenizer vectors"));
    size_t inp_len, out_len;
    char *inp = test_read_file(inp_path, &inp_len);
    char *out = test_read_file(out_path, &out_len);
    ck_assert(inp && out);

    static const char sep[] = "\n__ggml_vocab_test__\n";
    const size_t sep_len = sizeof sep - 1;
    char *s = inp, *end = inp + inp_len, *line = out;
    int n_strings = 0;
    while (s < end) {
        char *hit = memmem(s, (size_t)(end - s), sep, sep_len);
        ck_assert_msg(hit != NULL, "%s: string %d has no separator", vec, n_strings);
        size_t len = (size_t)(hit - s);
        /* Expected ids: one line of the .out file. */
        char *nl = strchr(line, '\n');
        ck_assert_msg(nl != NULL, "%s: .out has too few lines", vec);
        *nl = 0;
        int32_t expect[1024];
        size_t n_expect = 0;
        for (char *p = line, *q; (q = NULL, n_expect < 1024);) {
            long v = strtol(p, &q, 10);
            if (q == p)
                break;
            expect[n_expect++] = (int32_t)v;
            p = q;
        }
        size_t n;
        int32_t *ids = tokenize(m, s, len, false, false, &n);
        bool same = n == n_expect && (n == 0 || memcmp(ids, expect, n * sizeof *ids) == 0);
        ck_assert_msg(same, "%s string %d (\"%.40s\"): %zu tokens, expected %zu (%s)", vec,
                      n_strings, s, n, n_expect, line);
        if (cases[_i].lossless) {
            size_t back_len;
            char *back = detokenize(m, ids, n, false, &back_len);
            ck_assert_msg(back_len == len && memcmp(back, s, len) == 0,
                          "%s string %d does not round-trip", vec, n_strings);
            free(back);
        }
        free(ids);
        n_strings++;
        s = hit + sep_len;
        line = nl + 1;
    }
    ck_assert_int_eq(n_strings, 46);

    /* Shortcuts (BPE's per-call word cache, SentencePiece's independent
     * segments) give the same ids as the plain algorithms. The whole .inp file
     * (separators included) repeated to 64 KiB. */
    size_t big_len = 0, cap = 64 << 10;
    char *big = malloc(cap + inp_len);
    while (big_len < cap) {
        memcpy(big + big_len, inp, inp_len);
        big_len += inp_len;
    }
    int32_t *with, *without;
    size_t n_with, n_without;
    hearth_errbuf err;
    ck_assert_int_eq(tokenizer_encode_ex(m->tok, big, big_len, false, false, true, &with,
                                         &n_with, &err), HEARTH_OK);
    ck_assert_int_eq(tokenizer_encode_ex(m->tok, big, big_len, false, false, false, &without,
                                         &n_without, &err), HEARTH_OK);
    ck_assert_uint_eq(n_with, n_without);
    ck_assert_int_eq(memcmp(with, without, n_with * sizeof *with), 0);
    free(with);
    free(without);
    free(big);
    free(inp);
    free(out);
    hearth_model_free(m);
}
END_TEST

/* ---- special tokens and metadata --------------------------------------------- */

START_TEST(test_tokenizer_llama3_special_tokens) {
    hearth_model *m = load_vocab("llama-bpe");
    if (!m)
        return;
    ck_assert_int_eq(hearth_vocab_size(m), 128256);
    ck_assert_int_eq(hearth_token_bos(m), 128000); /* <|begin_of_text|> */
    ck_assert(hearth_token_is_eog(m, 128009));     /* <|eot_id|> */
    ck_assert(hearth_token_is_eog(m, hearth_token_eos(m)));
    ck_assert(!hearth_token_is_eog(m, 9906));
    ck_assert(!hearth_token_is_eog(m, -1));
    const char *text = "Hi<|eot_id|>";
    size_t n;
    /* parse_special: one token; add_special: BOS first (add_bos from metadata). */
    int32_t *ids = tokenize(m, text, strlen(text), true, true, &n);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(ids[0], 128000);
    ck_assert_int_eq(ids[2], 128009);
    free(ids);
    /* Without parse_special the control text is ordinary text. */
    ids = tokenize(m, text, strlen(text), false, false, &n);
    ck_assert_uint_gt(n, 3);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_lt(ids[i], 128000);
    size_t back_len;
    char *back = detokenize(m, ids, n, false, &back_len);
    ck_assert_uint_eq(back_len, strlen(text));
    ck_assert_int_eq(memcmp(back, text, back_len), 0);
    free(back);
    free(ids);
    /* Control tokens print only when asked. */
    char piece[64];
    size_t pl;
    ck_assert_int_eq(hearth_token_to_piece(m, 128009, false, piece, sizeof piece, &pl), HEARTH_OK);
    ck_assert_uint_eq(pl, 0);
    ck_assert_int_eq(hearth_token_to_piece(m, 128009, true, piece, sizeof piece, &pl), HEARTH_OK);
    ck_assert_uint_eq(pl, strlen("<|eot_id|>"));
    ck_assert_int_eq(memcmp(piece, "<|eot_id|>", pl), 0);
    ck_assert_int_eq(hearth_token_to_piece(m, 128256, true, piece, sizeof piece, &pl),
                     HEARTH_ERR_INVALID_ARG);
    hearth_model_free(m);
}
END_TEST

START_TEST(test_tokenizer_spm_bos_and_space_prefix) {
    hearth_model *m = load_vocab("llama-spm");
    if (!m)
        return;
    ck_assert_int_eq(hearth_token_bos(m), 1);
    ck_assert_int_eq(hearth_token_eos(m), 2);
    size_t n;
    int32_t *ids = tokenize(m, "Hello", 5, true, false, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(ids[0], 1);
    ck_assert_int_eq(ids[1], 15043); /* "▁Hello" */
    size_t len;
    char *text = detokenize(m, ids, n, false, &len); /* the prefix space is removed */
    ck_assert_uint_eq(len, 5);
    ck_assert_int_eq(memcmp(text, "Hello", 5), 0);
    free(text);
    free(ids);
    /* With parse_special, "<s>" is BOS and the text after it gets a space prefix. */
    ids = tokenize(m, "<s>Hello", 8, false, true, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(ids[0], 1);
    ck_assert_int_eq(ids[1], 15043);
    free(ids);
    /* Byte fallback: a character with no token comes out as its UTF-8 bytes. */
    ids = tokenize(m, "\xF0\x9F\xA6\x99", 4, false, false, &n); /* U+1F999 */
    ck_assert_uint_ge(n, 4);
    char piece[8];
    size_t pl;
    ck_assert_int_eq(hearth_token_to_piece(m, ids[n - 1], false, piece, sizeof piece, &pl),
                     HEARTH_OK);
    ck_assert_uint_eq(pl, 1);
    ck_assert_uint_eq((unsigned char)piece[0], 0x99);
    free(ids);
    hearth_model_free(m);
}
END_TEST

START_TEST(test_tokenizer_bert_cls_sep) {
    hearth_model *m = load_vocab("bert-bge");
    if (!m)
        return;
    size_t n;
    int32_t *ids = tokenize(m, "Hello World", 11, true, false, &n);
    ck_assert_uint_eq(n, 4);
    ck_assert_int_eq(ids[0], 101);  /* [CLS] */
    ck_assert_int_eq(ids[1], 7592); /* hello */
    ck_assert_int_eq(ids[2], 2088); /* world */
    ck_assert_int_eq(ids[3], 102);  /* [SEP] */
    free(ids);
    hearth_model_free(m);
}
END_TEST

/* ---- streaming, buffers and bad input ----------------------------------------- */

/* Pieces printed through hearth_utf8_complete_len() never split a character and
 * add up to the text. */
START_TEST(test_tokenizer_streaming_never_splits_utf8) {
    hearth_model *m = load_vocab("qwen2");
    if (!m)
        return;
    const char *text = "\xE6\x88\x91\xE6\x83\xB3\xE5\x9C\xA8 apple \xF0\x9F\x98\x81 \xF0\x9F\xA6\x99"
                       " Cửa Việt \xE1\x9E\x80\xE1\x9E\xB6";
    size_t n;
    int32_t *ids = tokenize(m, text, strlen(text), false, false, &n);
    char pending[64], out[256];
    size_t n_pending = 0, n_out = 0;
    bool split_seen = false;
    for (size_t i = 0; i < n; i++) {
        size_t pl;
        ck_assert_int_eq(hearth_token_to_piece(m, ids[i], false, pending + n_pending,
                                               sizeof pending - n_pending, &pl),
                         HEARTH_OK);
        n_pending += pl;
        size_t ok = hearth_utf8_complete_len(pending, n_pending);
        split_seen |= ok < n_pending;
        /* What is released is valid UTF-8 on its own. */
        for (size_t k = 0; k < ok;) {
            unsigned c = (unsigned char)pending[k];
            size_t cl = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
            ck_assert_uint_le(k + cl, ok);
            k += cl;
        }
        memcpy(out + n_out, pending, ok);
        n_out += ok;
        memmove(pending, pending + ok, n_pending - ok);
        n_pending -= ok;
    }
    ck_assert_uint_eq(n_pending, 0);
    ck_assert_uint_eq(n_out, strlen(text));
    ck_assert_int_eq(memcmp(out, text, n_out), 0);
    ck_assert(split_seen); /* the emoji are split across byte tokens in this vocab */
    free(ids);
    hearth_model_free(m);
}
END_TEST

START_TEST(test_tokenizer_buffer_too_small_reports_count) {
    hearth_model *m = load_vocab("gpt-2");
    if (!m)
        return;
    const char *text = "The quick brown fox jumps over the lazy dog.";
    size_t n_full;
    int32_t *ids = tokenize(m, text, strlen(text), false, false, &n_full);
    ck_assert_uint_eq(n_full, 10);
    int32_t small[4] = {-7, -7, -7, -7};
    size_t n = 0;
    ck_assert_int_eq(hearth_tokenize(m, text, strlen(text), false, false, small, 4, &n),
                     HEARTH_ERR_BUFFER_TOO_SMALL);
    ck_assert_uint_eq(n, n_full);
    ck_assert_int_eq(small[0], -7); /* nothing written on failure */
    ck_assert_ptr_ne(strstr(hearth_last_error(), "10 tokens"), NULL);
    char buf[8];
    size_t len;
    ck_assert_int_eq(hearth_detokenize(m, ids, n_full, false, buf, sizeof buf, &len),
                     HEARTH_ERR_BUFFER_TOO_SMALL);
    ck_assert_uint_eq(len, strlen(text));
    ck_assert_int_eq(hearth_tokenize(NULL, text, 1, false, false, small, 4, &n),
                     HEARTH_ERR_INVALID_ARG);
    ck_assert_int_eq(hearth_tokenize(m, NULL, 1, false, false, small, 4, &n),
                     HEARTH_ERR_INVALID_ARG);
    ck_assert_int_eq(hearth_tokenize(m, "", 0, false, false, NULL, 0, &n), HEARTH_OK);
    ck_assert_uint_eq(n, 0);
    int32_t bad = 50257;
    ck_assert_int_eq(hearth_detokenize(m, &bad, 1, false, buf, sizeof buf, &len),
                     HEARTH_ERR_INVALID_ARG);
    free(ids);
    hearth_model_free(m);
}
END_TEST

/* Invalid UTF-8 and NUL bytes: byte-level BPE keeps every byte (lossless), and
 * SentencePiece falls back to byte tokens; nothing is read past len. */
START_TEST(test_tokenizer_invalid_utf8_and_nul) {
    static const char text[] = "ab\xFF\xFE\0cd\xC3(\xE2\x82 \xED\xA0\x80z\0";
    size_t len = sizeof text - 1; /* the final NUL is part of the input */
    const char *vocabs[] = {"llama-bpe", "llama-spm"};
    for (int v = 0; v < 2; v++) {
        hearth_model *m = load_vocab(vocabs[v]);
        if (!m)
            return;
        /* A heap copy, exactly len bytes, so ASan catches any over-read. */
        char *copy = malloc(len);
        memcpy(copy, text, len);
        size_t n, back_len;
        int32_t *ids = tokenize(m, copy, len, false, false, &n);
        char *back = detokenize(m, ids, n, false, &back_len);
        ck_assert_msg(back_len == len && memcmp(back, text, len) == 0,
                      "%s: invalid UTF-8 does not round-trip", vocabs[v]);
        free(back);
        free(ids);
        free(copy);
        hearth_model_free(m);
    }
}
END_TEST

/* Random bytes (every value, any order) through every kind of tokenizer and
 * several pre-tokenizers: valid ids, and the lossless ones give the bytes back,
 * except bytes the vocabulary has no token for at all (several byte-level
 * vocabularies lack bytes that never occur in UTF-8, such as 0xC0 or 0xFF):
 * those are dropped. */
START_TEST(test_tokenizer_random_bytes) {
    static const struct {
        const char *vocab;
        bool lossless;
    } v[] = {{"llama-spm", true}, {"deepseek-llm", true}, {"falcon", true},
             {"deepseek-coder", true}, {"bert-bge", false}};
    test_rng rng;
    test_rng_seed(&rng, 7);
    size_t len = 32 << 10;
    char *text = malloc(len), *expect = malloc(len);
    for (size_t k = 0; k < sizeof v / sizeof *v; k++) {
        hearth_model *m = load_vocab(v[k].vocab);
        if (!m)
            break;
        for (size_t i = 0; i < len; i++) /* mostly ASCII, so that words form */
            text[i] = (char)((test_rng_u64(&rng) & 3) ? test_rng_u64(&rng) % 128
                                                      : test_rng_u64(&rng) & 0xFF);
        size_t n, back_len;
        int32_t *ids = tokenize(m, text, len, true, true, &n);
        ck_assert_uint_gt(n, 0);
        for (size_t i = 0; i < n; i++)
            ck_assert(ids[i] >= 0 && ids[i] < hearth_vocab_size(m));
        free(ids);
        if (!v[k].lossless) {
            hearth_model_free(m);
            continue;
        }
        /* Which single bytes the vocabulary can represent at all. */
        bool representable[256];
        for (int b = 0; b < 256; b++) {
            char c = (char)b;
            int32_t one[8];
            size_t n1;
            ck_assert_int_eq(hearth_tokenize(m, &c, 1, false, false, one, 8, &n1), HEARTH_OK);
            representable[b] = n1 > 0;
        }
        size_t n_expect = 0;
        for (size_t i = 0; i < len; i++)
            if (representable[(unsigned char)text[i]])
                expect[n_expect++] = text[i];
        ids = tokenize(m, text, len, false, false, &n);
        char *back = detokenize(m, ids, n, false, &back_len);
        ck_assert_msg(back_len == n_expect && memcmp(back, expect, n_expect) == 0,
                      "%s: random bytes do not round-trip", v[k].vocab);
        free(back);
        free(ids);
        hearth_model_free(m);
    }
    free(text);
    free(expect);
}
END_TEST

/* A model is immutable: threads tokenizing with it at once get the same ids
 * as one thread (and TSan sees no race). */
typedef struct thread_job {
    const hearth_model *m;
    const char *text;
    size_t len;
    const int32_t *expect;
    size_t n_expect;
    bool same;
} thread_job;

static void *tokenize_thread(void *arg) {
    thread_job *j = arg;
    j->same = true;
    for (int r = 0; r < 4 && j->same; r++) {
        size_t n = 0;
        int32_t *ids = malloc(j->n_expect * sizeof *ids);
        j->same = ids && hearth_tokenize(j->m, j->text, j->len, true, true, ids, j->n_expect,
                                         &n) == HEARTH_OK &&
                  n == j->n_expect && memcmp(ids, j->expect, n * sizeof *ids) == 0;
        free(ids);
    }
    return NULL;
}

START_TEST(test_tokenizer_threads_share_a_model) {
    hearth_model *m = load_vocab("gpt-2");
    if (!m)
        return;
    size_t len = 16 << 10;
    char *text = malloc(len);
    static const char words[] = "Hello, world! It's 2024: caf\xC3\xA9 \xF0\x9F\x98\x81 <|endoftext|>\n";
    for (size_t i = 0; i < len; i++)
        text[i] = words[i % (sizeof words - 1)];
    size_t n;
    int32_t *expect = tokenize(m, text, len, true, true, &n);
    thread_job jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (thread_job){m, text, len, expect, n, false};
        ck_assert_int_eq(pthread_create(&th[i], NULL, tokenize_thread, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        ck_assert_msg(jobs[i].same, "thread %d got other ids", i);
    }
    free(expect);
    free(text);
    hearth_model_free(m);
}
END_TEST

/* 10 MB: English with random bytes sprinkled in (NULs and invalid UTF-8
 * included) tokenizes without trouble and round-trips exactly. */
START_TEST(test_tokenizer_ten_megabytes) {
    hearth_model *m = load_vocab("llama-bpe");
    if (!m)
        return;
    size_t src_len;
    char *src = test_read_file("/usr/share/common-licenses/GPL-3", &src_len);
    static const char fallback[] = "Some English text, with numbers 12345 and words.\n";
    if (!src || src_len == 0) {
        free(src);
        src = strdup(fallback);
        src_len = strlen(fallback);
    }
    size_t len = 10u << 20;
    char *text = malloc(len);
    ck_assert_ptr_nonnull(text);
    test_rng rng;
    test_rng_seed(&rng, 42);
    for (size_t i = 0; i < len; i++)
        text[i] = src[i % src_len];
    for (size_t i = 0; i < len / 64; i++)
        text[test_rng_u64(&rng) % len] = (char)(test_rng_u64(&rng) & 0xFF);
    size_t n, back_len;
    int32_t *ids = tokenize(m, text, len, true, false, &n);
    ck_assert_uint_gt(n, len / 8);
    ck_assert_int_eq(ids[0], hearth_token_bos(m));
    char *back = detokenize(m, ids, n, false, &back_len);
    ck_assert_uint_eq(back_len, len);
    ck_assert_int_eq(memcmp(back, text, len), 0);
    free(back);
    free(ids);
    free(text);
    free(src);
    hearth_model_free(m);
}
END_TEST

Suite *tokenizer_suite(void) {
    Suite *s = suite_create("tokenizer");
    TCase *tc = tcase_create("vectors");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_tokenizer_vectors, 0, N_CASES);
    suite_add_tcase(s, tc);
    tc = tcase_create("special");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_tokenizer_llama3_special_tokens);
    tcase_add_test(tc, test_tokenizer_spm_bos_and_space_prefix);
    tcase_add_test(tc, test_tokenizer_bert_cls_sep);
    suite_add_tcase(s, tc);
    tc = tcase_create("input");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_tokenizer_streaming_never_splits_utf8);
    tcase_add_test(tc, test_tokenizer_buffer_too_small_reports_count);
    tcase_add_test(tc, test_tokenizer_invalid_utf8_and_nul);
    tcase_add_test(tc, test_tokenizer_random_bytes);
    tcase_add_test(tc, test_tokenizer_threads_share_a_model);
    tcase_add_test(tc, test_tokenizer_ten_megabytes);
    suite_add_tcase(s, tc);
    return s;
}
