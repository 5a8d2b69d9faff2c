/* check_chat.c - native chat-template rendering against the reference.
 *
 * The reference for the templates in ../shared/chat-templates is Hugging Face's
 * Jinja rendering, produced at test time by ../shared/tools/render_chat_template.py
 * (same two conversations, BOS/EOS table and fixed date as below); hearth's
 * rendering must be byte-identical wherever the script renders (exit 0), and must
 * apply the documented fallback where the template refuses (exit 3). Families
 * without a template file are checked against strings written from their published
 * prompt formats. Detection is checked on every shared template file.
 */
#include <check.h>
#include <dirent.h>   /* opendir: every .jinja file */
#include <stdio.h>    /* popen */
#include <stdlib.h>   /* getenv, free */
#include <string.h>
#include <sys/wait.h> /* WEXITSTATUS */
#include <time.h>     /* today's date for Llama 3.2 */

#include "hearth.h"
#include "lib/chat.h"
#include "util/testutil.h"

/* ---- The protocol's conversations and token table ------------------------------ */

#define SYS "You are a helpful assistant."
static const hearth_chat_message conv_sys[] = {
    {"system", SYS},
    {"user", "Hello!"},
    {"assistant", "Hi there. How can I help?"},
    {"user", "What is 2+2?"},
};
#define N_SYS 4
#define DS_BOS "<\xef\xbd\x9c" "begin\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>"
#define DS_EOS "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>"
#define DS_USER "<\xef\xbd\x9cUser\xef\xbd\x9c>"
#define DS_ASSISTANT "<\xef\xbd\x9c" "Assistant\xef\xbd\x9c>"

/* The required templates, with the BOS/EOS text the script gives each one and the
 * family hearth must recognise. */
static const struct required {
    const char *file;
    const char *bos, *eos;
} required[] = {
    {"meta-llama-Llama-3.1-8B-Instruct", "<|begin_of_text|>", "<|eot_id|>"},
    {"meta-llama-Llama-3.2-3B-Instruct", "<|begin_of_text|>", "<|eot_id|>"},
    {"meta-llama-Llama-3.3-70B-Instruct", "<|begin_of_text|>", "<|eot_id|>"},
    {"Qwen-Qwen2.5-7B-Instruct", "", "<|im_end|>"},
    {"deepseek-ai-DeepSeek-R1-Distill-Llama-8B", DS_BOS, DS_EOS},
    {"deepseek-ai-DeepSeek-R1-Distill-Qwen-32B", DS_BOS, DS_EOS},
    {"llama-cpp-deepseek-r1", DS_BOS, DS_EOS},
    {"microsoft-Phi-3.5-mini-instruct", "<s>", "<|endoftext|>"},
    {"mistralai-Mistral-Nemo-Instruct-2407", "<s>", "</s>"},
    {"google-gemma-2-2b-it", "<bos>", "<eos>"},
};
#define N_REQUIRED (sizeof required / sizeof *required)

/* Every file in ../shared/chat-templates and the family it implements. */
static const struct {
    const char *file, *family;
} expected_family[] = {
    {"CohereForAI-c4ai-command-r-plus-tool_use", "command-r"},
    {"CohereForAI-c4ai-command-r7b-12-2024-tool_use", "command-r"},
    {"NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use", "chatml"},
    {"NousResearch-Hermes-3-Llama-3.1-8B-tool_use", "chatml"},
    {"Qwen-Qwen2.5-7B-Instruct", "qwen2.5"},
    {"deepseek-ai-DeepSeek-R1-Distill-Llama-8B", "deepseek-r1"},
    {"deepseek-ai-DeepSeek-R1-Distill-Qwen-32B", "deepseek-r1"},
    {"fireworks-ai-llama-3-firefunction-v2", "llama3"},
    {"google-gemma-2-2b-it", "gemma"},
    {"llama-cpp-deepseek-r1", "deepseek-r1-llama-cpp"},
    {"meetkai-functionary-medium-v3.1", "llama3.1"},
    {"meetkai-functionary-medium-v3.2", "llama3"},
    {"meta-llama-Llama-3.1-8B-Instruct", "llama3.1"},
    {"meta-llama-Llama-3.2-3B-Instruct", "llama3.1"},
    {"meta-llama-Llama-3.3-70B-Instruct", "llama3.1"},
    {"microsoft-Phi-3.5-mini-instruct", "phi3"},
    {"mistralai-Mistral-Nemo-Instruct-2407", "mistral-nemo"},
};

/* ---- Running the reference script -------------------------------------------------- */

static const char *python = "/usr/bin/python3";

static bool require_shared(void) {
    const char *v = getenv("HEARTH_REQUIRE_SHARED");
    return v && *v;
}

/* True when jinja2 imports; otherwise skip (or fail under HEARTH_REQUIRE_SHARED). */
static bool have_jinja2(void) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "%s -c 'import jinja2' >/dev/null 2>&1", python);
    int st = system(cmd);
    if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return true;
    if (require_shared())
        ck_abort_msg("jinja2 is missing for %s and HEARTH_REQUIRE_SHARED is set "
                     "(apt-get install python3-jinja2)", python);
    fprintf(stderr, "SKIP chat reference renderings: jinja2 missing for %s\n", python);
    return false;
}

/* Runs the script; returns its exit status and its stdout (malloc'd) in *out. */
static int run_reference(const char *script, const char *tmpl, const char *conv, bool gen,
                         char **out, size_t *out_len) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s '%s' '%s' %s%s 2>/dev/null", python, script, tmpl, conv,
             gen ? "" : " --no-generation-prompt");
    FILE *p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "popen failed: %s", cmd);
    size_t cap = 4096, n = 0, got;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    while ((got = fread(buf + n, 1, cap - n, p)) > 0) {
        n += got;
        if (n == cap) {
            buf = realloc(buf, cap *= 2);
            ck_assert_ptr_nonnull(buf);
        }
    }
    int st = pclose(p);
    *out = buf;
    *out_len = n;
    return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Prints the first differing byte with some context, for a readable failure. */
static void report_diff(const char *what, const char *want, size_t nw, const char *got,
                        size_t ng) {
    size_t i = 0;
    while (i < nw && i < ng && want[i] == got[i])
        i++;
    size_t from = i > 40 ? i - 40 : 0;
    fprintf(stderr, "MISMATCH %s at byte %zu\n  want: %.*s\n  got:  %.*s\n", what, i,
            (int)((nw > from ? nw - from : 0) < 120 ? nw - from : 120), want + from,
            (int)((ng > from ? ng - from : 0) < 120 ? ng - from : 120), got + from);
}

/* hearth's rendering of a template text with the protocol's tokens and date */
static char *render_native(const char *jinja, const struct required *r, bool with_sys, bool gen,
                           size_t *len) {
    static char buf[1 << 16];
    hearth_status st = chat_apply_template_text(jinja, r->bos, r->eos, "26 Jul 2024",
                                                with_sys ? conv_sys : conv_sys + 1,
                                                with_sys ? N_SYS : N_SYS - 1, gen, buf,
                                                sizeof buf, len);
    ck_assert_msg(st == HEARTH_OK, "%s: %s", r->file, hearth_last_error());
    ck_assert_uint_eq(strlen(buf), *len);
    return buf;
}

/* The documented fallback when a template refuses a system message (Gemma 2): the
 * system text opens the first user turn, separated by a blank line. Built from the
 * reference's own no-system rendering. */
static char *fallback_expectation(const char *nosys, size_t n, size_t *len) {
    const char *first_user = strstr(nosys, "Hello!");
    ck_assert_ptr_nonnull(first_user);
    size_t head = (size_t)(first_user - nosys), add = strlen(SYS "\n\n");
    char *s = malloc(n + add + 1);
    ck_assert_ptr_nonnull(s);
    memcpy(s, nosys, head);
    memcpy(s + head, SYS "\n\n", add);
    memcpy(s + head + add, first_user, n - head);
    s[n + add] = '\0';
    *len = n + add;
    return s;
}

/* Compares all required file x conversation pairs; returns how many rendered
 * byte-identically where the script exits 0, and the number of such pairs. */
static void compare_required(bool gen, int *matched, int *rendered) {
    char script[1024], tmpl[1024];
    *matched = *rendered = 0;
    if (!test_shared_path("tools/render_chat_template.py", script, sizeof script,
                          "chat reference renderings") ||
        !have_jinja2())
        return;
    int failures = 0;
    for (size_t i = 0; i < N_REQUIRED; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "chat-templates/%s.jinja", required[i].file);
        if (!test_shared_path(rel, tmpl, sizeof tmpl, "chat reference renderings"))
            continue;
        char *jinja = test_read_file(tmpl, NULL);
        ck_assert_ptr_nonnull(jinja);
        for (int with_sys = 1; with_sys >= 0; with_sys--) {
            char *ref;
            size_t ref_len, got_len;
            int st = run_reference(script, tmpl, with_sys ? "sys" : "nosys", gen, &ref, &ref_len);
            const char *got = render_native(jinja, &required[i], with_sys, gen, &got_len);
            char what[300];
            snprintf(what, sizeof what, "%s %s%s", required[i].file, with_sys ? "sys" : "nosys",
                     gen ? "" : " --no-generation-prompt");
            if (st == 0) {
                (*rendered)++;
                if (ref_len == got_len && memcmp(ref, got, ref_len) == 0) {
                    (*matched)++;
                } else {
                    report_diff(what, ref, ref_len, got, got_len);
                    failures++;
                }
            } else if (st == 3) {
                /* refused: our fallback is built from the no-system reference */
                char *nosys;
                size_t nosys_len, want_len;
                ck_assert_int_eq(run_reference(script, tmpl, "nosys", gen, &nosys, &nosys_len),
                                 0);
                char *want = fallback_expectation(nosys, nosys_len, &want_len);
                if (want_len != got_len || memcmp(want, got, got_len) != 0) {
                    report_diff(what, want, want_len, got, got_len);
                    failures++;
                }
                free(want);
                free(nosys);
            } else if (st != 4) {
                ck_abort_msg("%s: the reference script exited %d (setup failure)", what, st);
            }
            free(ref);
        }
        free(jinja);
    }
    fprintf(stderr, "chat: %d of %d reference renderings byte-identical%s\n", *matched,
            *rendered, gen ? "" : " (no generation prompt)");
    ck_assert_msg(failures == 0, "%d renderings differ (see stderr)", failures);
}

START_TEST(test_chat_required_renderings_are_byte_identical) {
    int matched, rendered;
    compare_required(true, &matched, &rendered);
    if (rendered > 0) { /* not skipped: the protocol promises 19 renderings */
        ck_assert_int_eq(rendered, 19);
        ck_assert_int_eq(matched, 19);
    }
}
END_TEST

START_TEST(test_chat_renderings_without_generation_prompt) {
    int matched, rendered;
    compare_required(false, &matched, &rendered);
    ck_assert_int_eq(matched, rendered);
}
END_TEST

/* ---- Detection -------------------------------------------------------------------------- */

START_TEST(test_chat_detects_every_shared_template) {
    char dir_path[1024];
    if (!test_shared_path("chat-templates/README.md", dir_path, sizeof dir_path,
                          "chat template detection"))
        return;
    *strrchr(dir_path, '/') = '\0';
    DIR *dir = opendir(dir_path);
    ck_assert_ptr_nonnull(dir);
    struct dirent *e;
    int checked = 0;
    while ((e = readdir(dir)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 7 || strcmp(e->d_name + n - 6, ".jinja") != 0)
            continue;
        const char *want = NULL;
        for (size_t i = 0; i < sizeof expected_family / sizeof *expected_family; i++)
            if (strncmp(e->d_name, expected_family[i].file, n - 6) == 0 &&
                expected_family[i].file[n - 6] == '\0')
                want = expected_family[i].family;
        ck_assert_msg(want != NULL, "%s: new template file, add its family to the test",
                      e->d_name);
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir_path, e->d_name);
        char *text = test_read_file(path, NULL);
        ck_assert_ptr_nonnull(text);
        const char *got = hearth_chat_detect(text);
        ck_assert_msg(got && strcmp(got, want) == 0, "%s: detected %s, expected %s", e->d_name,
                      got ? got : "(none)", want);
        free(text);
        checked++;
    }
    closedir(dir);
    ck_assert_int_eq(checked, (int)(sizeof expected_family / sizeof *expected_family));
}
END_TEST

/* Families without a shared file, from short templates written in each family's
 * own style, plus names, aliases and the unknown case. */
START_TEST(test_chat_detects_families_and_names) {
    static const struct {
        const char *text, *family;
    } cases[] = {
        {"{% if messages[0]['role'] == 'system' %}{% set system_message = messages[0]['content'] "
         "%}{% endif %}{{ bos_token + '[INST] ' + '<<SYS>>\\n' + system_message }}",
         "llama2"},
        {"{{ bos_token }}{% for m in messages %}{{ '[INST] ' + m['content'] + ' [/INST]' }}"
         "{% endfor %}",
         "llama2"},
        {"{{- bos_token }}{%- if loop.first and system_message is defined %}{{- ' [INST] ' + "
         "system_message + '\\n\\n' + message['content'] + ' [/INST]' }}",
         "mistral-v1"},
        {"{%- if loop.last and system_message is defined %}{{- \"[INST] \" + system_message + "
         "\"\\n\\n\" + message[\"content\"] + \"[/INST]\" }}{{- \"[AVAILABLE_TOOLS] [\" }}",
         "mistral-v3"},
        {"{{ '[SYSTEM_PROMPT] ' + message['content'] + '[/SYSTEM_PROMPT]' }}{{ '[INST] ' }}",
         "mistral-v7"},
        {"{% for m in messages %}{{'<start_of_turn>' + m['role'] + '\\n'}}{% endfor %}", "gemma"},
        {"{{ '<|user|>\\n' + message['content'] + eos_token }}{{ '<|assistant|>' }}", "zephyr"},
        {"{{'<|START_OF_TURN_TOKEN|><|USER_TOKEN|>' + content.strip() }}", "command-r"},
        {"{{'<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'}}", "llama3"},
        {"{{ 'USER: ' + message['content'] + '\\n' }}{{ 'ASSISTANT: ' }}", "vicuna"},
        {"{{'<\xef\xbd\x9cUser\xef\xbd\x9c>' + c}}{{'<\xef\xbd\x9c" "Assistant\xef\xbd\x9c>'}}",
         "deepseek3"},
        {"{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>'}}",
         "chatml"},
        {"llama2", "llama2"},  /* a bare name is accepted as the template (as llama.cpp) */
        {"gemma2", "gemma"},   /* aliases */
        {"llama3.2", "llama3.1"},
        {"mistral-v3-tekken", "mistral-nemo"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *got = hearth_chat_detect(cases[i].text);
        ck_assert_msg(got && strcmp(got, cases[i].family) == 0, "case %zu: %s, expected %s", i,
                      got ? got : "(none)", cases[i].family);
    }
    ck_assert_ptr_null(hearth_chat_detect("{{ messages | tojson }}"));
    ck_assert_ptr_null(hearth_chat_detect(""));
    ck_assert_ptr_null(hearth_chat_detect(NULL));
}
END_TEST

/* ---- Published formats of the families without a shared file ------------------------ */

static void expect_named(const char *name, const hearth_chat_message *m, size_t n, bool gen,
                         const char *want) {
    char buf[4096];
    size_t len = 0;
    hearth_status st = hearth_chat_apply(NULL, name, m, n, gen, buf, sizeof buf, &len);
    ck_assert_msg(st == HEARTH_OK, "%s: %s", name, hearth_last_error());
    ck_assert_msg(strcmp(buf, want) == 0, "%s:\n got: %s\nwant: %s", name, buf, want);
    ck_assert_uint_eq(len, strlen(want));
}

START_TEST(test_chat_published_formats) {
    /* Meta's Llama 2 chat format (<s>[INST] <<SYS>> ... [/INST] reply </s>) */
    expect_named("llama2", conv_sys, N_SYS, true,
                 "<s>[INST] <<SYS>>\n" SYS "\n<</SYS>>\n\nHello! [/INST] Hi there. How can I "
                 "help? </s><s>[INST] What is 2+2? [/INST]");
    expect_named("llama2", conv_sys + 1, N_SYS - 1, true,
                 "<s>[INST] Hello! [/INST] Hi there. How can I help? </s><s>[INST] What is 2+2? "
                 "[/INST]");
    /* Llama 3.0: headers, no date block */
    expect_named("llama3", conv_sys, N_SYS, true,
                 "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n" SYS
                 "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>"
                 "<|start_header_id|>assistant<|end_header_id|>\n\nHi there. How can I help?"
                 "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
                 "<|start_header_id|>assistant<|end_header_id|>\n\n");
    /* ChatML */
    expect_named("chatml", conv_sys, N_SYS, true,
                 "<|im_start|>system\n" SYS "<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n"
                 "<|im_start|>assistant\nHi there. How can I help?<|im_end|>\n<|im_start|>user\n"
                 "What is 2+2?<|im_end|>\n<|im_start|>assistant\n");
    /* Mistral v1: spaces around [INST], system text in the first turn */
    expect_named("mistral-v1", conv_sys, N_SYS, true,
                 "<s> [INST] " SYS "\n\nHello! [/INST] Hi there. How can I help?</s> [INST] "
                 "What is 2+2? [/INST]");
    /* Mistral v3: system text in the last user turn */
    expect_named("mistral-v3", conv_sys, N_SYS, true,
                 "<s>[INST] Hello![/INST] Hi there. How can I help?</s>[INST] " SYS
                 "\n\nWhat is 2+2?[/INST]");
    /* Mistral v7: system prompt tags */
    expect_named("mistral-v7", conv_sys, N_SYS, true,
                 "<s>[SYSTEM_PROMPT] " SYS "[/SYSTEM_PROMPT][INST] Hello![/INST] Hi there. How "
                 "can I help?</s>[INST] What is 2+2?[/INST]");
    /* Gemma 1 (same turns as Gemma 2); the system text joins the first user turn */
    expect_named("gemma", conv_sys, N_SYS, true,
                 "<bos><start_of_turn>user\n" SYS "\n\nHello!<end_of_turn>\n<start_of_turn>model"
                 "\nHi there. How can I help?<end_of_turn>\n<start_of_turn>user\nWhat is 2+2?"
                 "<end_of_turn>\n<start_of_turn>model\n");
    /* Zephyr */
    expect_named("zephyr", conv_sys, N_SYS, true,
                 "<|system|>\n" SYS "</s>\n<|user|>\nHello!</s>\n<|assistant|>\nHi there. How "
                 "can I help?</s>\n<|user|>\nWhat is 2+2?</s>\n<|assistant|>\n");
    /* Vicuna v1.1 (FastChat), with its default system text when none is given */
    expect_named("vicuna", conv_sys, N_SYS, true,
                 SYS " USER: Hello! ASSISTANT: Hi there. How can I help?</s>USER: What is 2+2? "
                 "ASSISTANT:");
    expect_named("vicuna", conv_sys + 1, N_SYS - 1, true,
                 "A chat between a curious user and an artificial intelligence assistant. The "
                 "assistant gives helpful, detailed, and polite answers to the user's questions. "
                 "USER: Hello! ASSISTANT: Hi there. How can I help?</s>USER: What is 2+2? "
                 "ASSISTANT:");
    /* Command R */
    expect_named("command-r", conv_sys, N_SYS, true,
                 "<BOS_TOKEN><|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>" SYS "<|END_OF_TURN_TOKEN|>"
                 "<|START_OF_TURN_TOKEN|><|USER_TOKEN|>Hello!<|END_OF_TURN_TOKEN|>"
                 "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>Hi there. How can I help?"
                 "<|END_OF_TURN_TOKEN|><|START_OF_TURN_TOKEN|><|USER_TOKEN|>What is 2+2?"
                 "<|END_OF_TURN_TOKEN|><|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>");
    /* DeepSeek V3: as R1 without <think> */
    expect_named("deepseek3", conv_sys, N_SYS, true,
                 DS_BOS SYS DS_USER "Hello!" DS_ASSISTANT "Hi there. How can I help?" DS_EOS
                 DS_USER "What is 2+2?" DS_ASSISTANT);
    /* Phi-3 without a generation prompt ends with EOS */
    expect_named("phi3", conv_sys, N_SYS, false,
                 "<|system|>\n" SYS "<|end|>\n<|user|>\nHello!<|end|>\n<|assistant|>\nHi there. "
                 "How can I help?<|end|>\n<|user|>\nWhat is 2+2?<|end|>\n<|endoftext|>");
}
END_TEST

/* ---- Behaviour details -------------------------------------------------------------------- */

START_TEST(test_chat_trims_like_python_strip) {
    /* Llama 3 trims contents with Python's str.strip(): Unicode spaces included
     * (U+00A0, U+3000), but not U+200B (zero-width space, not whitespace). */
    const hearth_chat_message m[] = {
        {"user", " \t\xc2\xa0Hi\xe3\x80\x80\n"},
        {"assistant", "\xe2\x80\x8bok "},
    };
    expect_named("llama3", m, 2, false,
                 "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                 "<|start_header_id|>assistant<|end_header_id|>\n\n\xe2\x80\x8bok<|eot_id|>");
}
END_TEST

START_TEST(test_chat_deepseek_hides_earlier_reasoning) {
    const hearth_chat_message m[] = {
        {"user", "Q"},
        {"assistant", "<think>a</think>b</think>Answer"},
        {"user", "Q2"},
    };
    expect_named("deepseek-r1", m, 3, true,
                 DS_BOS DS_USER "Q" DS_ASSISTANT "Answer" DS_EOS DS_USER "Q2" DS_ASSISTANT
                 "<think>\n");
}
END_TEST

START_TEST(test_chat_llama31_dates) {
    char path[1024];
    char buf[4096];
    size_t len;
    const struct required r31 = {"Llama-3.1", "<|begin_of_text|>", "<|eot_id|>"};
    /* the caller's date wins; without one, 3.1 prints its template's fixed date */
    if (test_shared_path("chat-templates/meta-llama-Llama-3.1-8B-Instruct.jinja", path,
                         sizeof path, "Llama 3.1 date")) {
        char *t31 = test_read_file(path, NULL);
        ck_assert_int_eq(chat_apply_template_text(t31, r31.bos, r31.eos, NULL, conv_sys + 1, 1,
                                                  true, buf, sizeof buf, &len),
                         HEARTH_OK);
        ck_assert_ptr_nonnull(strstr(buf, "Today Date: 26 Jul 2024\n"));
        ck_assert_int_eq(chat_apply_template_text(t31, r31.bos, r31.eos, "01 Feb 2030",
                                                  conv_sys + 1, 1, true, buf, sizeof buf, &len),
                         HEARTH_OK);
        ck_assert_ptr_nonnull(strstr(buf, "Today Date: 01 Feb 2030\n"));
        free(t31);
    }
    /* 3.2 calls strftime_now("%d %b %Y"): today (C locale month names) */
    if (test_shared_path("chat-templates/meta-llama-Llama-3.2-3B-Instruct.jinja", path,
                         sizeof path, "Llama 3.2 date")) {
        char *t32 = test_read_file(path, NULL);
        char today[64], line[96];
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        strftime(today, sizeof today, "%d %b %Y", &tm); /* the runner never sets a locale */
        snprintf(line, sizeof line, "Today Date: %s\n", today);
        ck_assert_int_eq(chat_apply_template_text(t32, r31.bos, r31.eos, NULL, conv_sys + 1, 1,
                                                  true, buf, sizeof buf, &len),
                         HEARTH_OK);
        ck_assert_msg(strstr(buf, line) != NULL, "no '%s' in %s", today, buf);
        free(t32);
    }
}
END_TEST

START_TEST(test_chat_mistral_system_goes_to_last_user_turn) {
    /* ending with a reply, the v3/Nemo templates drop the system text (documented) */
    expect_named("mistral-nemo", conv_sys, 3, false,
                 "<s>[INST]Hello![/INST]Hi there. How can I help?</s>");
    expect_named("mistral-nemo", conv_sys, 2, true, "<s>[INST]" SYS "\n\nHello![/INST]");
}
END_TEST

static int warnings;
static void count_warning(void *user, hearth_log_level level, const char *msg) {
    (void)user;
    if (level == HEARTH_LOG_WARN && strstr(msg, "ChatML"))
        warnings++;
}

START_TEST(test_chat_unknown_template_falls_back_to_chatml) {
    hearth_chat_params p = hearth_chat_default_params();
    ck_assert(p.add_generation_prompt);
    p.template_text = "{% for m in messages %}{{ m.content }}{% endfor %}";
    p.log_fn = count_warning;
    warnings = 0;
    char got[2048], want[2048];
    size_t n_got, n_want;
    ck_assert_int_eq(hearth_chat_apply_ex(NULL, &p, conv_sys, N_SYS, got, sizeof got, &n_got),
                     HEARTH_OK);
    ck_assert_int_eq(warnings, 1);
    ck_assert_int_eq(hearth_chat_apply(NULL, "chatml", conv_sys, N_SYS, true, want, sizeof want,
                                       &n_want),
                     HEARTH_OK);
    ck_assert_str_eq(got, want);
    /* a name overrides the template text */
    p.template_name = "zephyr";
    ck_assert_int_eq(hearth_chat_apply_ex(NULL, &p, conv_sys, N_SYS, got, sizeof got, &n_got),
                     HEARTH_OK);
    ck_assert_ptr_nonnull(strstr(got, "<|user|>\nHello!</s>\n"));
    ck_assert_int_eq(warnings, 1);
    /* BOS/EOS overrides */
    p.template_name = "llama2";
    p.bos_text = "[B]";
    p.eos_text = "[E]";
    ck_assert_int_eq(hearth_chat_apply_ex(NULL, &p, conv_sys + 1, 2, got, sizeof got, &n_got),
                     HEARTH_OK);
    ck_assert_str_eq(got, "[B][INST] Hello! [/INST] Hi there. How can I help? [E]");
}
END_TEST

START_TEST(test_chat_buffer_and_argument_errors) {
    size_t need = 0, n = 0;
    ck_assert_int_eq(hearth_chat_apply(NULL, "llama3", conv_sys, N_SYS, true, NULL, 0, &need),
                     HEARTH_ERR_BUFFER_TOO_SMALL);
    ck_assert_uint_gt(need, 100);
    char buf[1024];
    memset(buf, 'x', sizeof buf);
    ck_assert_int_eq(hearth_chat_apply(NULL, "llama3", conv_sys, N_SYS, true, buf, need, &n),
                     HEARTH_ERR_BUFFER_TOO_SMALL); /* no room for the NUL */
    ck_assert_uint_eq(n, need);
    ck_assert_uint_eq(strlen(buf), need - 1);
    ck_assert_int_eq(hearth_chat_apply(NULL, "llama3", conv_sys, N_SYS, true, buf, need + 1, &n),
                     HEARTH_OK);
    ck_assert_uint_eq(n, need);
    ck_assert_uint_eq(strlen(buf), need);

    const hearth_chat_message bad_role[] = {{"tool", "x"}};
    const hearth_chat_message null_content[] = {{"user", NULL}};
    ck_assert_int_eq(hearth_chat_apply(NULL, "chatml", bad_role, 1, true, buf, sizeof buf, &n),
                     HEARTH_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(hearth_last_error(), "tool"));
    ck_assert_int_eq(hearth_chat_apply(NULL, "chatml", null_content, 1, true, buf, sizeof buf,
                                       &n),
                     HEARTH_ERR_INVALID_ARG);
    ck_assert_int_eq(hearth_chat_apply(NULL, "no-such-family", conv_sys, N_SYS, true, buf,
                                       sizeof buf, &n),
                     HEARTH_ERR_INVALID_ARG);
    ck_assert_int_eq(hearth_chat_apply(NULL, NULL, conv_sys, N_SYS, true, buf, sizeof buf, &n),
                     HEARTH_ERR_INVALID_ARG);
    ck_assert_int_eq(hearth_chat_apply(NULL, "chatml", NULL, 2, true, buf, sizeof buf, &n),
                     HEARTH_ERR_INVALID_ARG);
    ck_assert_int_eq(hearth_chat_apply(NULL, "chatml", conv_sys, N_SYS, true, buf, sizeof buf,
                                       NULL),
                     HEARTH_ERR_INVALID_ARG);
    /* an empty conversation is valid */
    ck_assert_int_eq(hearth_chat_apply(NULL, "chatml", NULL, 0, true, buf, sizeof buf, &n),
                     HEARTH_OK);
    ck_assert_str_eq(buf, "<|im_start|>assistant\n");
}
END_TEST

/* ---- Real vocabularies: templates and BOS/EOS from GGUF metadata ------------------- */

static hearth_model *load_vocab(const char *name, hearth_log_fn log_fn) {
    char rel[256], path[1024];
    snprintf(rel, sizeof rel, "vocab/ggml-vocab-%s.gguf", name);
    if (!test_shared_path(rel, path, sizeof path, "chat templates of real vocabularies"))
        return NULL;
    hearth_model_params mp = hearth_model_default_params();
    mp.vocab_only = true;
    mp.log_fn = log_fn;
    hearth_model *m = NULL;
    ck_assert_msg(hearth_model_load(path, &mp, &m) == HEARTH_OK, "%s: %s", path,
                  hearth_last_error());
    return m;
}

/* The templates stored in the shared vocab files (Llama 3.0, the first Phi-3 mini
 * template, Qwen3) against the reference script; the script gives unknown files
 * "<s>"/"</s>". Phi-3 mini's template drops system messages: we keep them as a
 * <|system|> turn (README), checked against the reference's no-system text. */
START_TEST(test_chat_vocab_templates_match_reference) {
    static const struct {
        const char *vocab, *family;
        bool sys_identical;
    } cases[] = {
        {"llama-bpe", "llama3", true},
        {"phi-3", "phi3", false},
        {"qwen2", "qwen3", true}, /* this vocab file carries Qwen3's template */
    };
    char script[1024];
    if (!test_shared_path("tools/render_chat_template.py", script, sizeof script,
                          "chat templates of real vocabularies") ||
        !have_jinja2())
        return;
    const struct required tokens = {"vocab", "<s>", "</s>"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        hearth_model *model = load_vocab(cases[i].vocab, NULL);
        if (!model)
            continue;
        const char *text = NULL;
        ck_assert_int_eq(hearth_gguf_get_str(hearth_model_gguf(model), "tokenizer.chat_template",
                                             &text),
                         HEARTH_OK);
        ck_assert_str_eq(hearth_chat_detect(text), cases[i].family);
        char tmpl[1024];
        snprintf(tmpl, sizeof tmpl, "%s/ggml-vocab-%s.jinja", test_tmpdir(), cases[i].vocab);
        FILE *f = fopen(tmpl, "wb");
        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        fclose(f);
        for (int with_sys = 0; with_sys <= 1; with_sys++) {
            char *ref;
            size_t ref_len, got_len;
            ck_assert_int_eq(run_reference(script, tmpl, with_sys ? "sys" : "nosys", true, &ref,
                                           &ref_len),
                             0);
            const char *got = render_native(text, &tokens, with_sys, true, &got_len);
            if (with_sys && !cases[i].sys_identical) {
                /* reference without the system turn + ours = the same with it */
                const char *turn = "<|system|>\n" SYS "<|end|>\n";
                const char *at = strstr(got, turn);
                ck_assert_ptr_nonnull(at);
                size_t head = (size_t)(at - got), tl = strlen(turn);
                ck_assert_uint_eq(got_len, ref_len + tl);
                ck_assert(memcmp(got, ref, head) == 0);
                ck_assert(memcmp(got + head + tl, ref + head, ref_len - head) == 0);
            } else if (ref_len != got_len || memcmp(ref, got, ref_len) != 0) {
                report_diff(cases[i].vocab, ref, ref_len, got, got_len);
                ck_abort_msg("%s %s differs from the reference", cases[i].vocab,
                             with_sys ? "sys" : "nosys");
            }
            free(ref);
        }
        hearth_model_free(model);
    }
}
END_TEST

/* Qwen3 keeps reasoning only after the last user query. The shared script has no
 * conversation with <think> blocks, so this test renders its own conversations
 * with the same Jinja environment (a few lines of Python written at test time). */
START_TEST(test_chat_qwen3_reasoning_matches_jinja) {
    char vocab[1024];
    if (!test_shared_path("vocab/ggml-vocab-qwen2.gguf", vocab, sizeof vocab,
                          "Qwen3 reasoning rendering") ||
        !have_jinja2())
        return;
    hearth_model *model = load_vocab("qwen2", NULL);
    const char *text = NULL;
    ck_assert_int_eq(hearth_gguf_get_str(hearth_model_gguf(model), "tokenizer.chat_template",
                                         &text),
                     HEARTH_OK);
    char tmpl[1024], harness[1024];
    snprintf(tmpl, sizeof tmpl, "%s/qwen3.jinja", test_tmpdir());
    snprintf(harness, sizeof harness, "%s/qwen3_harness.py", test_tmpdir());
    FILE *f = fopen(tmpl, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    f = fopen(harness, "wb");
    ck_assert_ptr_nonnull(f);
    fputs("import sys\n"
          "from jinja2.sandbox import ImmutableSandboxedEnvironment\n"
          "env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,\n"
          "    extensions=['jinja2.ext.loopcontrols'])\n"
          "A = [dict(role='system', content='S'), dict(role='user', content='Q1'),\n"
          "     dict(role='assistant', content='<think>\\nR1\\n</think>\\n\\nA1'),\n"
          "     dict(role='user', content='Q2'),\n"
          "     dict(role='assistant', content='\\n<think>x<think>\\nR2\\n\\n</think>\\n\\nA2')]\n"
          "B = [dict(role='user', content='Q1'), dict(role='assistant', content='A1'),\n"
          "     dict(role='user', content='Q2'), dict(role='assistant', content='plain')]\n"
          "conv = {'A': A, 'A4': A[:4], 'B': B}[sys.argv[2]]\n"
          "t = env.from_string(open(sys.argv[1], encoding='utf-8').read())\n"
          "sys.stdout.write(t.render(messages=conv, add_generation_prompt=sys.argv[3] == '1',\n"
          "    bos_token='', eos_token='<|im_end|>'))\n",
          f);
    fclose(f);
    const hearth_chat_message a[] = {
        {"system", "S"},
        {"user", "Q1"},
        {"assistant", "<think>\nR1\n</think>\n\nA1"},
        {"user", "Q2"},
        {"assistant", "\n<think>x<think>\nR2\n\n</think>\n\nA2"},
    };
    const hearth_chat_message b[] = {
        {"user", "Q1"}, {"assistant", "A1"}, {"user", "Q2"}, {"assistant", "plain"}};
    const struct {
        const char *name;
        const hearth_chat_message *m;
        size_t n;
        bool gen;
    } cases[] = {{"A", a, 5, false}, {"A4", a, 4, true}, {"B", b, 4, false}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char cmd[2200], ref[4096], got[4096];
        snprintf(cmd, sizeof cmd, "%s '%s' '%s' %s %d 2>&1", python, harness, tmpl,
                 cases[i].name, cases[i].gen);
        FILE *p = popen(cmd, "r");
        ck_assert_ptr_nonnull(p);
        size_t n_ref = fread(ref, 1, sizeof ref - 1, p);
        ref[n_ref] = '\0';
        ck_assert_int_eq(pclose(p), 0);
        size_t n_got;
        ck_assert_int_eq(chat_apply_template_text(text, "", "<|im_end|>", NULL, cases[i].m,
                                                  cases[i].n, cases[i].gen, got, sizeof got,
                                                  &n_got),
                         HEARTH_OK);
        ck_assert_msg(n_got == n_ref && memcmp(got, ref, n_ref) == 0,
                      "case %zu:\n got: %s\nwant: %s", i, got, ref);
    }
    hearth_model_free(model);
}
END_TEST

static char last_warning[512];
static void keep_warning(void *user, hearth_log_level level, const char *msg) {
    (void)user;
    if (level == HEARTH_LOG_WARN)
        snprintf(last_warning, sizeof last_warning, "%s", msg);
}

START_TEST(test_chat_model_metadata_gives_family_and_tokens) {
    char buf[4096];
    size_t n;
    /* Llama 3 vocab: family from tokenizer.chat_template, BOS text from the vocab */
    hearth_model *m = load_vocab("llama-bpe", NULL);
    if (!m)
        return;
    ck_assert_int_eq(hearth_chat_apply(m, NULL, conv_sys + 1, 1, true, buf, sizeof buf, &n),
                     HEARTH_OK);
    ck_assert_str_eq(buf, "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHello!"
                          "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
    /* a name override keeps the model's tokens: this vocab's EOS (id 128001) is
     * <|end_of_text|>, not Llama 2's usual </s> */
    ck_assert_int_eq(hearth_chat_apply(m, "llama2", conv_sys + 1, 2, true, buf, sizeof buf, &n),
                     HEARTH_OK);
    ck_assert_str_eq(buf, "<|begin_of_text|>[INST] Hello! [/INST] Hi there. How can I help? "
                          "<|end_of_text|>");
    hearth_model_free(m);

    /* Phi-3 vocab: BOS id 1 "<s>", EOS id 32000 "<|endoftext|>" */
    m = load_vocab("phi-3", NULL);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(hearth_chat_apply(m, NULL, conv_sys + 1, 1, false, buf, sizeof buf, &n),
                     HEARTH_OK);
    ck_assert_str_eq(buf, "<s><|user|>\nHello!<|end|>\n<|endoftext|>");
    hearth_model_free(m);

    /* no chat template in the file: ChatML, with a warning through the model's log */
    last_warning[0] = '\0';
    m = load_vocab("llama-spm", keep_warning);
    ck_assert_ptr_nonnull(m);
    last_warning[0] = '\0';
    ck_assert_int_eq(hearth_chat_apply(m, NULL, conv_sys + 1, 1, true, buf, sizeof buf, &n),
                     HEARTH_OK);
    ck_assert_str_eq(buf, "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n");
    ck_assert_ptr_nonnull(strstr(last_warning, "ChatML"));
    hearth_model_free(m);
}
END_TEST

Suite *chat_suite(void) {
    Suite *s = suite_create("chat");
    TCase *tc = tcase_create("reference");
    tcase_set_timeout(tc, 120); /* 40+ Python start-ups on a shared machine */
    tcase_add_test(tc, test_chat_required_renderings_are_byte_identical);
    tcase_add_test(tc, test_chat_renderings_without_generation_prompt);
    tcase_add_test(tc, test_chat_vocab_templates_match_reference);
    tcase_add_test(tc, test_chat_qwen3_reasoning_matches_jinja);
    suite_add_tcase(s, tc);

    tc = tcase_create("detect");
    tcase_add_test(tc, test_chat_detects_every_shared_template);
    tcase_add_test(tc, test_chat_detects_families_and_names);
    suite_add_tcase(s, tc);

    tc = tcase_create("families");
    tcase_add_test(tc, test_chat_published_formats);
    tcase_add_test(tc, test_chat_trims_like_python_strip);
    tcase_add_test(tc, test_chat_deepseek_hides_earlier_reasoning);
    tcase_add_test(tc, test_chat_llama31_dates);
    tcase_add_test(tc, test_chat_mistral_system_goes_to_last_user_turn);
    tcase_add_test(tc, test_chat_unknown_template_falls_back_to_chatml);
    tcase_add_test(tc, test_chat_buffer_and_argument_errors);
    tcase_add_test(tc, test_chat_model_metadata_gives_family_and_tokens);
    suite_add_tcase(s, tc);
    return s;
}
