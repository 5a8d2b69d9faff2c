/* chat.h - chat-template families: detection from a template text, and native
 * rendering of a conversation (lib/chat_detect.c, lib/chat_render.c, lib/chat.c).
 *
 * hearth has no Jinja engine. A model's tokenizer.chat_template is only read to
 * recognise which published prompt format it implements; the format itself is
 * written out in C, byte for byte what Hugging Face's Jinja rendering of that
 * template produces for system/user/assistant conversations.
 */
#ifndef HEARTH_CHAT_H
#define HEARTH_CHAT_H

#include "internal.h"

typedef enum chat_family {
    CHAT_UNKNOWN = 0,
    CHAT_CHATML,           /* <|im_start|>role\n...<|im_end|>\n */
    CHAT_QWEN25,           /* ChatML with Qwen2.5's default system prompt */
    CHAT_QWEN3,            /* ChatML; reasoning kept only after the last user turn */
    CHAT_LLAMA2,           /* <s>[INST] <<SYS>>...<</SYS>> ... [/INST] ... </s> */
    CHAT_LLAMA3,           /* Llama 3.0 headers, no date block */
    CHAT_LLAMA31,          /* Llama 3.1/3.2/3.3: system header with knowledge/today dates */
    CHAT_PHI3,             /* <|user|>\n...<|end|>\n */
    CHAT_GEMMA,            /* <start_of_turn>user\n...<end_of_turn>\n (Gemma 1 and 2) */
    CHAT_MISTRAL_V1,       /* " [INST] ... [/INST]" with spaces, system in the first turn */
    CHAT_MISTRAL_V3,       /* "[INST] ...[/INST]", system in the last user turn */
    CHAT_MISTRAL_V7,       /* [SYSTEM_PROMPT] ...[/SYSTEM_PROMPT][INST] ...[/INST] */
    CHAT_MISTRAL_NEMO,     /* v3-tekken: "[INST]...[/INST]" without spaces */
    CHAT_DEEPSEEK_R1,      /* R1 distill: <｜User｜>...<｜Assistant｜>...; <think> prompt */
    CHAT_DEEPSEEK_R1_LCPP, /* llama.cpp's R1 template: user turns end with end-of-sentence */
    CHAT_DEEPSEEK_V3,      /* as R1 without the <think> opening */
    CHAT_COMMAND_R,        /* <|START_OF_TURN_TOKEN|><|USER_TOKEN|>... */
    CHAT_ZEPHYR,           /* <|user|>\n...EOS\n */
    CHAT_VICUNA,           /* FastChat v1.1: "SYSTEM USER: ... ASSISTANT: ...</s>" */
    CHAT_FAMILY_COUNT
} chat_family;

/* Canonical name of a family ("llama3.1"); "unknown" for CHAT_UNKNOWN. */
const char *chat_family_name(chat_family f);
/* Family for a name or alias ("chatml", "gemma2", "llama3.2", ...); CHAT_UNKNOWN if none. */
chat_family chat_family_from_name(const char *name);
/* Recognises the family a Jinja chat template implements (or a bare family name
 * given as the template text, as llama.cpp accepts); CHAT_UNKNOWN if none. */
chat_family chat_detect(const char *template_text);
/* The BOS/EOS token text the family's models usually have (used without a model). */
const char *chat_family_bos(chat_family f);
const char *chat_family_eos(chat_family f);

/* Everything a rendering needs besides the messages. */
typedef struct chat_render_opts {
    chat_family family;
    const char *bos;           /* BOS token text, never NULL ("" when none) */
    const char *eos;           /* EOS token text, never NULL */
    const char *date;          /* "26 Jul 2024" for Llama 3.1+; never NULL for LLAMA31 */
    bool add_generation_prompt;
    bool phi3_bos;             /* the first Phi-3 mini template opens with bos_token */
} chat_render_opts;

/* Options a template's text implies beyond its family (the Phi-3 BOS). */
void chat_variant_opts(const char *template_text, chat_render_opts *opts);

/* Renders into buf (NUL-terminated) and sets *n_out to the length; when buf is too
 * small, writes what fits, returns HEARTH_ERR_BUFFER_TOO_SMALL and sets *n_out to
 * the bytes needed (without the NUL). Messages must already be validated. */
hearth_status chat_render(const chat_render_opts *opts, const hearth_chat_message *msgs,
                          size_t n_msgs, char *buf, size_t size, size_t *n_out);

/* The date a Llama 3.1+ template prints when the caller gives none: the fixed
 * `date_string = "..."` default written in the template (Llama 3.1/3.3), else today
 * in local time as "%d %b %Y" with English month names (Llama 3.2 calls
 * strftime_now). Writes at most size bytes (NUL-terminated). */
void chat_default_date(const char *template_text, char *out, size_t size);

/* Test entry: renders `msgs` with the family recognised in `jinja_text`, the given
 * BOS/EOS text and date (NULL date = chat_default_date). An unrecognised template
 * renders as ChatML (the public entry also logs a warning). Same buffer rule as
 * chat_render; HEARTH_ERR_INVALID_ARG for malformed messages. */
hearth_status chat_apply_template_text(const char *jinja_text, const char *bos, const char *eos,
                                       const char *date, const hearth_chat_message *msgs,
                                       size_t n_msgs, bool add_generation_prompt, char *buf,
                                       size_t size, size_t *n_out);

#endif /* HEARTH_CHAT_H */
