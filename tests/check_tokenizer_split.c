/* check_tokenizer_split.c - tokenizer rules on hand-written cases (no ../shared):
 * Unicode tables, UTF-8 decoding and the streaming helper, every pre-tokenizer
 * split, and the three algorithms on tiny vocabularies built in memory, each
 * against results worked out by hand from the published rules.
 */
#include <check.h>
#include <stdlib.h> /* free */
#include <string.h> /* strlen, memcmp */

#include "lib/tokenizer.h"
#include "lib/unicode.h"
#include "util/testutil.h"

/* ---- Unicode ------------------------------------------------------------------ */

START_TEST(test_unicode_flags_by_category) {
    ck_assert(unicode_flags('A') & UCF_LETTER);
    ck_assert(unicode_flags('7') & UCF_NUMBER);
    ck_assert(unicode_flags('!') & UCF_PUNCT);
    ck_assert(unicode_flags('$') & UCF_SYMBOL);
    ck_assert(unicode_flags(' ') & UCF_WHITESPACE);
    ck_assert(unicode_flags('\n') & UCF_WHITESPACE);
    ck_assert(unicode_flags(0x3000) & UCF_WHITESPACE); /* ideographic space */
    ck_assert(unicode_flags(0x85) & UCF_WHITESPACE);   /* NEXT LINE is White_Space */
    ck_assert(!(unicode_flags(0x200B) & UCF_WHITESPACE)); /* ZERO WIDTH SPACE is not */
    ck_assert(unicode_flags(0xE9) & UCF_LETTER);     /* é */
    ck_assert(unicode_flags(0x4E00) & UCF_LETTER);   /* CJK ideograph (Lo) */
    ck_assert(unicode_flags(0x0301) & UCF_NONSPACING); /* combining acute */
    ck_assert(unicode_flags(0x00BD) & UCF_NUMBER);   /* ½ is No */
    ck_assert(unicode_flags(0x1F600) & UCF_SYMBOL);  /* emoji: So */
    ck_assert(unicode_flags(0x200D) & UCF_CONTROL);  /* ZWJ: Cf */
    ck_assert_uint_eq(unicode_flags(0x0378), 0);     /* unassigned */
    ck_assert_uint_eq(unicode_flags(UNICODE_INVALID_BASE + 0xFF), UCF_INVALID);
}
END_TEST

START_TEST(test_unicode_lower_and_strip) {
    ck_assert_uint_eq(unicode_tolower('Q'), 'q');
    ck_assert_uint_eq(unicode_tolower(0xC9), 0xE9);   /* É -> é */
    ck_assert_uint_eq(unicode_tolower(0x0100), 0x0101); /* stride-2 run */
    ck_assert_uint_eq(unicode_tolower(0x0101), 0x0101);
    ck_assert_uint_eq(unicode_tolower(0x0416), 0x0436); /* Cyrillic Ж -> ж */
    ck_assert_uint_eq(unicode_tolower(0x1E9E), 0xDF); /* ẞ -> ß */
    uint32_t out[3];
    ck_assert_uint_eq(unicode_strip_accents(0xE9, out), 1);
    ck_assert_uint_eq(out[0], 'e');
    ck_assert_uint_eq(unicode_strip_accents(0x1EC7, out), 1); /* ệ: two marks */
    ck_assert_uint_eq(out[0], 'e');
    ck_assert_uint_eq(unicode_strip_accents(0x0301, out), 0); /* a lone mark goes */
    ck_assert_uint_eq(unicode_strip_accents(0xD55C, out), 3); /* 한 = ᄒ ᅡ ᆫ */
    ck_assert_uint_eq(out[0], 0x1112);
    ck_assert_uint_eq(out[1], 0x1161);
    ck_assert_uint_eq(out[2], 0x11AB);
    ck_assert_uint_eq(unicode_strip_accents('x', out), 1);
    ck_assert_uint_eq(out[0], 'x');
}
END_TEST

static uint32_t decode1(const char *s, size_t n, size_t *len) {
    const unsigned char *p = (const unsigned char *)s;
    return unicode_decode(p, p + n, len);
}

START_TEST(test_unicode_decode_rejects_invalid) {
    size_t l;
    ck_assert_uint_eq(decode1("\xE2\x82\xAC", 3, &l), 0x20AC);
    ck_assert_uint_eq(l, 3);
    ck_assert_uint_eq(decode1("\xF0\x9F\x98\x80", 4, &l), 0x1F600);
    ck_assert_uint_eq(l, 4);
    ck_assert_uint_eq(decode1("\xC0\x80", 2, &l), UNICODE_INVALID_BASE + 0xC0); /* overlong */
    ck_assert_uint_eq(l, 1);
    ck_assert_uint_eq(decode1("\xED\xA0\x80", 3, &l), UNICODE_INVALID_BASE + 0xED); /* surrogate */
    ck_assert_uint_eq(decode1("\xE2\x82", 2, &l), UNICODE_INVALID_BASE + 0xE2); /* truncated */
    ck_assert_uint_eq(l, 1);
    ck_assert_uint_eq(decode1("\xF4\x90\x80\x80", 4, &l), UNICODE_INVALID_BASE + 0xF4);
    ck_assert_uint_eq(decode1("\x80", 1, &l), UNICODE_INVALID_BASE + 0x80);
    char buf[4];
    ck_assert_uint_eq(unicode_encode(UNICODE_INVALID_BASE + 0xFE, buf), 1);
    ck_assert_uint_eq((unsigned char)buf[0], 0xFE);
    ck_assert_uint_eq(unicode_encode(0x1F600, buf), 4);
    ck_assert_int_eq(memcmp(buf, "\xF0\x9F\x98\x80", 4), 0);
}
END_TEST

START_TEST(test_utf8_complete_len_holds_back_partial_characters) {
    ck_assert_uint_eq(hearth_utf8_complete_len("abc", 3), 3);
    ck_assert_uint_eq(hearth_utf8_complete_len("a\xE2\x82", 3), 1);
    ck_assert_uint_eq(hearth_utf8_complete_len("a\xE2\x82\xAC", 4), 4);
    ck_assert_uint_eq(hearth_utf8_complete_len("\xF0\x9F\x98", 3), 0);
    ck_assert_uint_eq(hearth_utf8_complete_len("\xF0", 1), 0);
    ck_assert_uint_eq(hearth_utf8_complete_len("x\xC3", 2), 1);
    /* Bytes that can never become a character are not held back. */
    ck_assert_uint_eq(hearth_utf8_complete_len("\xFF", 1), 1);
    ck_assert_uint_eq(hearth_utf8_complete_len("a\xC0", 2), 2);
    ck_assert_uint_eq(hearth_utf8_complete_len("\xE0\x80", 2), 2);
    ck_assert_uint_eq(hearth_utf8_complete_len("\x80\x80\x80", 3), 3);
    ck_assert_uint_eq(hearth_utf8_complete_len(NULL, 0), 0);
    ck_assert_uint_eq(hearth_utf8_complete_len("", 0), 0);
}
END_TEST

/* ---- splits ------------------------------------------------------------------- */

typedef struct words {
    char buf[4096];
    size_t n;
} words;

/* Joins the words with '|' so a whole split reads as one string. */
static bool collect(void *user, const char *w, size_t len) {
    words *ws = user;
    ck_assert_uint_gt(len, 0);
    if (ws->n)
        ws->buf[ws->n++] = '|';
    memcpy(ws->buf + ws->n, w, len);
    ws->n += len;
    ws->buf[ws->n] = 0;
    return true;
}

static void check_split(tok_pre pre, const char *text, const char *expect) {
    words ws = {{0}, 0};
    ck_assert(tokenizer_split(pre, text, strlen(text), collect, &ws));
    ck_assert_msg(strcmp(ws.buf, expect) == 0, "%s split of \"%s\": got \"%s\", expected \"%s\"",
                  tokenizer_pre_name(pre), text, ws.buf, expect);
}

START_TEST(test_split_gpt2) {
    check_split(TOK_PRE_GPT2, "Hello world", "Hello| world");
    check_split(TOK_PRE_GPT2, "it's", "it|'s");
    check_split(TOK_PRE_GPT2, "I'LL", "I|'|LL"); /* contractions are case-sensitive here */
    check_split(TOK_PRE_GPT2, "a  b", "a| | b"); /* \s+(?!\S) leaves one space to " b" */
    check_split(TOK_PRE_GPT2, "a   ", "a|   ");  /* trailing run stays whole */
    check_split(TOK_PRE_GPT2, "x\n\ny", "x|\n|\n|y");
    check_split(TOK_PRE_GPT2, "123abc", "123|abc");
    check_split(TOK_PRE_GPT2, "ab!!? !!", "ab|!!?| !!");
    check_split(TOK_PRE_GPT2, "na\xC3\xAFve caf\xC3\xA9", "na\xC3\xAFve| caf\xC3\xA9");
    check_split(TOK_PRE_GPT2, "a\xFF" "b", "a|\xFF|b"); /* invalid byte: "other" */
}
END_TEST

START_TEST(test_split_llama3_and_qwen2) {
    check_split(TOK_PRE_LLAMA3, "Hello world", "Hello| world");
    check_split(TOK_PRE_LLAMA3, "I'LL", "I|'LL"); /* case-insensitive contractions */
    check_split(TOK_PRE_LLAMA3, "12345", "123|45");
    check_split(TOK_PRE_LLAMA3, "x\n\ny", "x|\n\n|y");
    check_split(TOK_PRE_LLAMA3, "!hello", "!hello"); /* one non-letter may lead letters */
    check_split(TOK_PRE_LLAMA3, "a  b", "a| | b");
    check_split(TOK_PRE_LLAMA3, "a \n b", "a| \n| b"); /* \s*[\r\n]+ ends at the newline */
    check_split(TOK_PRE_LLAMA3, "...\n\nx", "...\n\n|x");
    check_split(TOK_PRE_LLAMA3, " 42", " |42");
    check_split(TOK_PRE_QWEN2, "12345", "1|2|3|4|5");
    check_split(TOK_PRE_QWEN2, "Hello 2024!", "Hello| |2|0|2|4|!");
}
END_TEST

START_TEST(test_split_sequences) {
    check_split(TOK_PRE_DEEPSEEK_CODER, "Hello world\n123", "Hello| world|\n|1|2|3");
    check_split(TOK_PRE_DEEPSEEK_CODER, "a, b", "a|,| b");
    check_split(TOK_PRE_DEEPSEEK_LLM, "Hi \xE4\xBD\xA0\xE5\xA5\xBD 12\n",
                "Hi| |\xE4\xBD\xA0\xE5\xA5\xBD| |12|\n");
    check_split(TOK_PRE_DEEPSEEK_LLM, "ok  ", "ok|  "); /* \s+$ */
    check_split(TOK_PRE_FALCON, "a+b=1234", "a|+|b|=|123|4");
    check_split(TOK_PRE_STARCODER, "ab 12", "ab| |1|2");
    check_split(TOK_PRE_DEFAULT, "x=12345.", "x|=|123|45|.");
}
END_TEST

static bool concat(void *user, const char *w, size_t len) {
    words *ws = user;
    ck_assert_uint_gt(len, 0);
    memcpy(ws->buf + ws->n, w, len);
    ws->n += len;
    return true;
}

/* Whatever the bytes, the words are non-empty and give back the text exactly. */
START_TEST(test_split_concatenates_to_input) {
    test_rng rng;
    test_rng_seed(&rng, 1234);
    static const char alphabet[] = "ab Z9 \n\r\t'.,!\xC3\xA9\xE4\xBD\xA0\xF0\x9F\x98\x80\xFF\x80";
    for (int trial = 0; trial < 60; trial++) {
        char text[512];
        size_t n = test_rng_u64(&rng) % sizeof text;
        for (size_t i = 0; i < n; i++)
            text[i] = alphabet[test_rng_u64(&rng) % (sizeof alphabet - 1)];
        for (int pre = 0; pre < TOK_PRE_COUNT; pre++) {
            words ws = {{0}, 0};
            ck_assert(tokenizer_split((tok_pre)pre, text, n, concat, &ws));
            ck_assert_uint_eq(ws.n, n);
            ck_assert_int_eq(memcmp(ws.buf, text, n), 0);
        }
    }
}
END_TEST

/* ---- tiny vocabularies ------------------------------------------------------ */

typedef struct tiny_tok {
    const char *text;
    float score;
    uint16_t attr;
} tiny_tok;

static tokenizer *make_tok(tok_model model, const tiny_tok *toks, int n, const char *const *merges,
                           int n_merges, const tokenizer_opts *opts) {
    tokenizer *t;
    hearth_errbuf err = {""};
    ck_assert_int_eq(tokenizer_create(&t, model, n, &err), HEARTH_OK);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(tokenizer_set_token(t, i, toks[i].text, strlen(toks[i].text),
                                             toks[i].score, toks[i].attr, &err),
                         HEARTH_OK);
    for (int i = 0; i < n_merges; i++)
        ck_assert_int_eq(tokenizer_add_merge(t, merges[i], strlen(merges[i]), &err), HEARTH_OK);
    ck_assert_msg(tokenizer_finish(t, opts, &err) == HEARTH_OK, "%s", err.msg);
    return t;
}

static void check_ids(const tokenizer *t, const char *text, size_t len, bool add_special,
                      const int32_t *expect, size_t n_expect) {
    int32_t *ids;
    size_t n;
    hearth_errbuf err = {""};
    ck_assert_int_eq(tokenizer_encode(t, text, len, add_special, false, &ids, &n, &err),
                     HEARTH_OK);
    ck_assert_uint_eq(n, n_expect);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(ids[i] == expect[i], "\"%s\": id %zu is %d, expected %d", text, i,
                      (int)ids[i], (int)expect[i]);
    free(ids);
}

#define NORMAL TOK_ATTR_NORMAL
#define CONTROL TOK_ATTR_CONTROL
#define BYTE TOK_ATTR_BYTE
#define SP "\xE2\x96\x81" /* ▁ */

START_TEST(test_spm_merges_by_score) {
    static const tiny_tok v[] = {
        {"<unk>", 0, TOK_ATTR_UNKNOWN}, {"<s>", 0, CONTROL}, {"</s>", 0, CONTROL},
        {"<0x0A>", 0, BYTE},            {"<0xC3>", 0, BYTE}, {"<0xA9>", 0, BYTE},
        {SP, -1, NORMAL},               {"a", -2, NORMAL},   {"b", -2, NORMAL},
        {"c", -2, NORMAL},              {SP "a", -3, NORMAL}, {"ab", -1.5f, NORMAL},
        {SP "ab", -0.5f, NORMAL},       {"bc", -0.1f, NORMAL}};
    tokenizer *t = make_tok(TOK_MODEL_SPM, v, 14, NULL, 0, NULL);
    /* "▁abc": "bc" (-0.1) beats "ab" (-1.5), leaving ▁a + bc. */
    check_ids(t, "abc", 3, false, (const int32_t[]){10, 13}, 2);
    /* "▁ab": ab (-1.5) first, then ▁ + ab = ▁ab (-0.5). */
    check_ids(t, "ab", 2, false, (const int32_t[]){12}, 1);
    /* BOS from the default (1); é has no token: its bytes; \n: <0x0A>; z: UNK. */
    check_ids(t, "a\xC3\xA9\nz", 5, true, (const int32_t[]){1, 10, 4, 5, 3, 0}, 6);
    /* Spaces inside the text are ▁ too. */
    check_ids(t, "a b", 3, false, (const int32_t[]){10, 6, 8}, 3);
    tokenizer_free(t);
}
END_TEST

/* GPT-2 byte alphabet: 'Ġ' (U+0120) is the space byte. */
START_TEST(test_bpe_merges_by_rank) {
    static const tiny_tok v[] = {{"a", 0, NORMAL},  {"b", 0, NORMAL},   {"c", 0, NORMAL},
                                 {"\xC4\xA0", 0, NORMAL}, {"ab", 0, NORMAL}, {"abc", 0, NORMAL},
                                 {"aa", 0, NORMAL}, {"<|eot|>", 0, CONTROL}};
    static const char *const merges[] = {"a b", "ab c", "a a"};
    tokenizer_opts o = tokenizer_default_opts();
    o.pre = "gpt-2";
    tokenizer *t = make_tok(TOK_MODEL_BPE, v, 8, merges, 3, &o);
    ck_assert_int_eq(tokenizer_pre(t), TOK_PRE_GPT2);
    /* "abc" -> ab (rank 0) -> abc (rank 1); " abc": Ġ stays alone (no "Ġ a" merge). */
    check_ids(t, "abc abc", 7, false, (const int32_t[]){5, 3, 5}, 3);
    /* Equal ranks: the leftmost pair merges first. */
    check_ids(t, "aaa", 3, false, (const int32_t[]){6, 0}, 2);
    /* A byte with no token is dropped ('z'). */
    check_ids(t, "azb", 3, false, (const int32_t[]){0, 1}, 2);
    /* Control-token text is plain text unless parse_special. */
    int32_t *ids;
    size_t n;
    hearth_errbuf err;
    ck_assert_int_eq(tokenizer_encode(t, "a<|eot|>", 8, false, true, &ids, &n, &err), HEARTH_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(ids[0], 0);
    ck_assert_int_eq(ids[1], 7);
    free(ids);
    size_t len;
    const char *p = tokenizer_piece(t, 3, false, &len);
    ck_assert_uint_eq(len, 1);
    ck_assert_int_eq(p[0], ' ');
    p = tokenizer_piece(t, 7, false, &len);
    ck_assert_uint_eq(len, 0);
    p = tokenizer_piece(t, 7, true, &len);
    ck_assert_uint_eq(len, 7);
    tokenizer_free(t);
}
END_TEST

static void log_count(void *user, hearth_log_level level, const char *msg) {
    (void)msg;
    if (level == HEARTH_LOG_WARN)
        ++*(int *)user;
}

START_TEST(test_bpe_unknown_pre_warns_and_uses_default) {
    static const tiny_tok v[] = {{"a", 0, NORMAL}};
    int warnings = 0;
    tokenizer_opts o = tokenizer_default_opts();
    o.pre = "no-such-pre";
    o.log_fn = log_count;
    o.log_user = &warnings;
    tokenizer *t = make_tok(TOK_MODEL_BPE, v, 1, NULL, 0, &o);
    ck_assert_int_eq(tokenizer_pre(t), TOK_PRE_DEFAULT);
    ck_assert_int_eq(warnings, 1);
    tokenizer_free(t);
}
END_TEST

START_TEST(test_wpm_longest_match_first) {
    static const tiny_tok v[] = {{"[UNK]", 0, TOK_ATTR_UNKNOWN}, {"[CLS]", 0, CONTROL},
                                 {"[SEP]", 0, CONTROL},         {SP "hello", 0, NORMAL},
                                 {SP "world", 0, NORMAL},       {SP "un", 0, NORMAL},
                                 {"aff", 0, NORMAL},            {"able", 0, NORMAL},
                                 {SP "!", 0, NORMAL},           {SP "cafe", 0, NORMAL},
                                 {SP "u", 0, NORMAL}};
    tokenizer_opts o = tokenizer_default_opts();
    o.unk = 0;
    o.bos = 1;
    o.sep = 2;
    tokenizer *t = make_tok(TOK_MODEL_WPM, v, 11, NULL, 0, &o);
    /* lower-cased, accents stripped, punctuation split; "," has no token: UNK;
     * "▁unaffable" = ▁un + aff + able (longest first, not ▁u). */
    const char *text = "Hello, UNAFFABLE caf\xC3\xA9!";
    check_ids(t, text, strlen(text), true, (const int32_t[]){1, 3, 0, 5, 6, 7, 9, 8, 2}, 9);
    /* A word with an uncovered part is one UNK as a whole. */
    check_ids(t, "helloq world", 12, false, (const int32_t[]){0, 4}, 2);
    tokenizer_free(t);
}
END_TEST

Suite *tokenizer_split_suite(void) {
    Suite *s = suite_create("tokenizer_split");
    TCase *tc = tcase_create("unicode");
    tcase_add_test(tc, test_unicode_flags_by_category);
    tcase_add_test(tc, test_unicode_lower_and_strip);
    tcase_add_test(tc, test_unicode_decode_rejects_invalid);
    tcase_add_test(tc, test_utf8_complete_len_holds_back_partial_characters);
    suite_add_tcase(s, tc);
    tc = tcase_create("split");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_split_gpt2);
    tcase_add_test(tc, test_split_llama3_and_qwen2);
    tcase_add_test(tc, test_split_sequences);
    tcase_add_test(tc, test_split_concatenates_to_input);
    suite_add_tcase(s, tc);
    tc = tcase_create("tiny");
    tcase_add_test(tc, test_spm_merges_by_score);
    tcase_add_test(tc, test_bpe_merges_by_rank);
    tcase_add_test(tc, test_bpe_unknown_pre_warns_and_uses_default);
    tcase_add_test(tc, test_wpm_longest_match_first);
    suite_add_tcase(s, tc);
    return s;
}
