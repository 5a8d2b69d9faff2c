/* chat_detect.c - which published prompt format a chat template implements.
 *
 * Templates are recognised by the control-token text and the few distinctive
 * expressions each family's template contains (a Jinja template is never run).
 * The checks are ordered from the most specific marker to the most generic, so
 * that e.g. a Llama-3-based model shipping a ChatML template is ChatML. Also
 * holds the family names, their aliases and each family's usual BOS/EOS text.
 */
#include <stdio.h>  /* snprintf */
#include <string.h> /* strstr, strchr, strcmp, strlen, memcpy */
#include <time.h>   /* time, localtime_r for the Llama 3.2 default date */

#include "chat.h"

/* ---- Names ------------------------------------------------------------------- */

typedef struct family_info {
    const char *name;
    const char *bos; /* usual token text of the family's models */
    const char *eos;
} family_info;

/* Indexed by chat_family. */
static const family_info families[CHAT_FAMILY_COUNT] = {
    [CHAT_UNKNOWN] = {"unknown", "", ""},
    [CHAT_CHATML] = {"chatml", "", "<|im_end|>"},
    [CHAT_QWEN25] = {"qwen2.5", "", "<|im_end|>"},
    [CHAT_QWEN3] = {"qwen3", "", "<|im_end|>"},
    [CHAT_LLAMA2] = {"llama2", "<s>", "</s>"},
    [CHAT_LLAMA3] = {"llama3", "<|begin_of_text|>", "<|eot_id|>"},
    [CHAT_LLAMA31] = {"llama3.1", "<|begin_of_text|>", "<|eot_id|>"},
    [CHAT_PHI3] = {"phi3", "<s>", "<|endoftext|>"},
    [CHAT_GEMMA] = {"gemma", "<bos>", "<eos>"},
    [CHAT_MISTRAL_V1] = {"mistral-v1", "<s>", "</s>"},
    [CHAT_MISTRAL_V3] = {"mistral-v3", "<s>", "</s>"},
    [CHAT_MISTRAL_V7] = {"mistral-v7", "<s>", "</s>"},
    [CHAT_MISTRAL_NEMO] = {"mistral-nemo", "<s>", "</s>"},
    [CHAT_DEEPSEEK_R1] = {"deepseek-r1", "<\xef\xbd\x9c" "begin\xe2\x96\x81of\xe2\x96\x81sentence"
                                         "\xef\xbd\x9c>",
                          "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>"},
    [CHAT_DEEPSEEK_R1_LCPP] = {"deepseek-r1-llama-cpp",
                               "<\xef\xbd\x9c" "begin\xe2\x96\x81of\xe2\x96\x81sentence"
                               "\xef\xbd\x9c>",
                               "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence"
                               "\xef\xbd\x9c>"},
    [CHAT_DEEPSEEK_V3] = {"deepseek3", "<\xef\xbd\x9c" "begin\xe2\x96\x81of\xe2\x96\x81sentence"
                                       "\xef\xbd\x9c>",
                          "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>"},
    [CHAT_COMMAND_R] = {"command-r", "<BOS_TOKEN>", "<|END_OF_TURN_TOKEN|>"},
    [CHAT_ZEPHYR] = {"zephyr", "<s>", "</s>"},
    [CHAT_VICUNA] = {"vicuna", "<s>", "</s>"},
};

/* Other spellings users reach for (llama.cpp's names included). */
static const struct {
    const char *alias;
    chat_family family;
} aliases[] = {
    {"qwen", CHAT_QWEN25},          {"qwen2", CHAT_QWEN25},
    {"llama3.2", CHAT_LLAMA31},     {"llama3.3", CHAT_LLAMA31},
    {"phi3.5", CHAT_PHI3},          {"gemma2", CHAT_GEMMA},
    {"gemma1", CHAT_GEMMA},         {"mistral-v3-tekken", CHAT_MISTRAL_NEMO},
    {"mistral", CHAT_MISTRAL_V1},   {"deepseek3-r1", CHAT_DEEPSEEK_R1},
    {"hermes", CHAT_CHATML},        {"llama2-sys", CHAT_LLAMA2},
};

const char *chat_family_name(chat_family f) {
    return (unsigned)f < CHAT_FAMILY_COUNT ? families[f].name : "unknown";
}
const char *chat_family_bos(chat_family f) {
    return (unsigned)f < CHAT_FAMILY_COUNT ? families[f].bos : "";
}
const char *chat_family_eos(chat_family f) {
    return (unsigned)f < CHAT_FAMILY_COUNT ? families[f].eos : "";
}

chat_family chat_family_from_name(const char *name) {
    if (!name)
        return CHAT_UNKNOWN;
    for (int f = CHAT_UNKNOWN + 1; f < CHAT_FAMILY_COUNT; f++)
        if (strcmp(name, families[f].name) == 0)
            return (chat_family)f;
    for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
        if (strcmp(name, aliases[i].alias) == 0)
            return aliases[i].family;
    return CHAT_UNKNOWN;
}

/* ---- Detection ---------------------------------------------------------------- */

static bool has(const char *text, const char *needle) { return strstr(text, needle) != NULL; }

/* Mistral's [INST] formats differ only in spacing and in where the system text
 * goes; the official templates give themselves away by how they write [INST]. */
static chat_family detect_inst(const char *t) {
    if (has(t, "[SYSTEM_PROMPT]"))
        return CHAT_MISTRAL_V7;
    bool official = has(t, "[AVAILABLE_TOOLS]") || has(t, "' [INST] '") ||
                    has(t, "\" [INST] \"") || has(t, "system_message + '\\n\\n'") ||
                    has(t, "system_message + \"\\n\\n\"");
    if (official) {
        if (has(t, "\"[INST]\"") || has(t, "'[INST]'"))
            return CHAT_MISTRAL_NEMO; /* v3-tekken: no space after [INST] */
        if (has(t, "' [INST] '") || has(t, "\" [INST] \""))
            return CHAT_MISTRAL_V1;   /* v1: a space before [INST] */
        return CHAT_MISTRAL_V3;
    }
    return CHAT_LLAMA2; /* Meta's <<SYS>> template and the [INST]-only variants */
}

chat_family chat_detect(const char *t) {
    if (!t)
        return CHAT_UNKNOWN;
    chat_family named = chat_family_from_name(t);
    if (named != CHAT_UNKNOWN)
        return named;
    if (has(t, "<|im_start|>")) {
        if (has(t, "You are Qwen, created by Alibaba Cloud"))
            return CHAT_QWEN25;
        if (has(t, "reasoning_content") && has(t, "</think>"))
            return CHAT_QWEN3;
        return CHAT_CHATML;
    }
    if (has(t, "[INST]"))
        return detect_inst(t);
    if (has(t, "<|assistant|>") && has(t, "<|end|>"))
        return CHAT_PHI3;
    if (has(t, "<|user|>") && (has(t, "<|endoftext|>") || has(t, "eos_token")))
        return CHAT_ZEPHYR;
    if (has(t, "<start_of_turn>"))
        return CHAT_GEMMA;
    if (has(t, "<|START_OF_TURN_TOKEN|>") && has(t, "<|USER_TOKEN|>"))
        return CHAT_COMMAND_R;
    if (has(t, "<|start_header_id|>") && has(t, "<|end_header_id|>"))
        return has(t, "Cutting Knowledge Date") ? CHAT_LLAMA31 : CHAT_LLAMA3;
    /* DeepSeek's full-width bars: <｜User｜>, <｜Assistant｜> */
    if (has(t, "<\xef\xbd\x9cUser\xef\xbd\x9c>") &&
        has(t, "<\xef\xbd\x9c" "Assistant\xef\xbd\x9c>")) {
        if (!has(t, "<think>"))
            return CHAT_DEEPSEEK_V3;
        /* llama.cpp's own R1 template closes user turns with end-of-sentence */
        if (has(t, "'<\xef\xbd\x9cUser\xef\xbd\x9c>' + message['content'] + '<\xef\xbd\x9c"
                   "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>'"))
            return CHAT_DEEPSEEK_R1_LCPP;
        return CHAT_DEEPSEEK_R1;
    }
    if (has(t, "USER: ") && has(t, "ASSISTANT:"))
        return CHAT_VICUNA;
    return CHAT_UNKNOWN;
}

void chat_variant_opts(const char *t, chat_render_opts *opts) {
    /* Phi-3-mini's first template starts with {{ bos_token }}; Phi-3.5's has none */
    opts->phi3_bos = opts->family == CHAT_PHI3 && t && has(t, "bos_token }}");
}

/* ---- Llama 3.1+ date ------------------------------------------------------------ */

void chat_default_date(const char *t, char *out, size_t size) {
    if (size == 0)
        return;
    out[0] = '\0';
    /* Llama 3.1/3.3: {%- set date_string = "26 Jul 2024" %} unless the template
     * asks for the clock (3.2 calls strftime_now when the host defines it, as
     * transformers does). */
    const char *fixed = t && !has(t, "strftime_now") ? strstr(t, "date_string = \"") : NULL;
    if (fixed) {
        fixed += strlen("date_string = \"");
        const char *end = strchr(fixed, '"');
        if (end && (size_t)(end - fixed) < size) {
            memcpy(out, fixed, (size_t)(end - fixed));
            out[end - fixed] = '\0';
            return;
        }
    }
    /* "%d %b %Y" without strftime, whose %b follows the process locale */
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t now = time(NULL);
    struct tm tm;
    if (!localtime_r(&now, &tm))
        return;
    snprintf(out, size, "%02d %s %04d", tm.tm_mday, months[tm.tm_mon % 12],
             tm.tm_year + 1900);
}
