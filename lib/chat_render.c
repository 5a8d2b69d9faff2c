/* chat_render.c - writes a conversation in one family's prompt format.
 *
 * Each renderer reproduces, byte for byte, what Hugging Face's Jinja rendering of
 * the family's reference template gives for system/user/assistant messages
 * (trim_blocks, lstrip_blocks; Jinja's `trim` is Python's str.strip(), Unicode
 * whitespace included). Where a template refuses a conversation (no system role,
 * roles that do not alternate) we render anyway with the fallback documented in
 * the README instead of failing. Output goes straight into the caller's buffer;
 * nothing is allocated.
 */
#include <string.h> /* strlen, memcpy, memcmp, strcmp, strncmp, strstr */

#include "chat.h"

/* ---- Output ----------------------------------------------------------------- */

/* Counts every byte, stores what fits (keeping room for the NUL). */
typedef struct out_buf {
    char *buf;
    size_t size;
    size_t len;
} out_buf;

static void put_n(out_buf *o, const char *s, size_t n) {
    if (o->len < o->size && n > 0) {
        size_t room = o->size - 1 - o->len;
        memcpy(o->buf + o->len, s, n < room ? n : room);
    }
    o->len = o->len + n < o->len ? SIZE_MAX : o->len + n; /* saturate, never wrap */
}

static void put(out_buf *o, const char *s) { put_n(o, s, strlen(s)); }

/* A borrowed byte range (a message's content, maybe trimmed). */
typedef struct text {
    const char *p;
    size_t n;
} text;

static text whole(const char *s) { return (text){s, strlen(s)}; }
static void put_text(out_buf *o, text t) { put_n(o, t.p, t.n); }

/* ---- Python str.strip() -------------------------------------------------------- */

/* Byte length of the whitespace character that starts at s (0 if none): ASCII
 * \t \n \v \f \r, space, \x1c-\x1f, and the Unicode spaces Python counts (U+0085,
 * U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000). */
static size_t space_len_at(const unsigned char *s, size_t n) {
    if (n >= 1 && ((s[0] >= 0x09 && s[0] <= 0x0d) || s[0] == 0x20 ||
                   (s[0] >= 0x1c && s[0] <= 0x1f)))
        return 1;
    if (n >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
        return 2;
    if (n >= 3) {
        if (s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80)
            return 3;
        if (s[0] == 0xe2 && s[1] == 0x80 &&
            ((s[2] >= 0x80 && s[2] <= 0x8a) || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf))
            return 3;
        if (s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f)
            return 3;
        if (s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80)
            return 3;
    }
    return 0;
}

/* Length of the whitespace character that ends s[0..n) (0 if none). */
static size_t space_len_before(const unsigned char *s, size_t n) {
    for (size_t k = 1; k <= 3 && k <= n; k++)
        if (space_len_at(s + n - k, k) == k)
            return k;
    return 0;
}

static text rstrip(text t) {
    size_t k;
    while (t.n > 0 && (k = space_len_before((const unsigned char *)t.p, t.n)) > 0)
        t.n -= k;
    return t;
}

static text strip(text t) {
    size_t k;
    while (t.n > 0 && (k = space_len_at((const unsigned char *)t.p, t.n)) > 0) {
        t.p += k;
        t.n -= k;
    }
    return rstrip(t);
}

static text trimmed(const char *s) { return strip(whole(s)); }

/* ---- Shared helpers ---------------------------------------------------------------- */

static bool is_role(const hearth_chat_message *m, const char *role) {
    return strcmp(m->role, role) == 0;
}

/* Index of the last message with `role`, or n when there is none. */
static size_t last_index_of(const hearth_chat_message *m, size_t n, const char *role) {
    for (size_t i = n; i-- > 0;)
        if (is_role(&m[i], role))
            return i;
    return n;
}

/* Writes every system message's content, joined by "\n\n" (the families whose
 * template has one system slot receive them all there). */
static void put_all_system(out_buf *o, const hearth_chat_message *m, size_t n) {
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (!is_role(&m[i], "system"))
            continue;
        if (!first)
            put(o, "\n\n");
        put(o, m[i].content);
        first = false;
    }
}

static bool any_system(const hearth_chat_message *m, size_t n) {
    return last_index_of(m, n, "system") < n;
}

/* DeepSeek R1 shows the model only the answer of earlier turns: the part after
 * the last "</think>" (Python's content.split('</think>')[-1]). */
static text after_last_think(const char *s) {
    const char *p = s, *hit;
    while ((hit = strstr(p, "</think>")) != NULL)
        p = hit + strlen("</think>");
    return whole(p);
}

/* ---- ChatML, Qwen2.5, Zephyr, Phi-3 ------------------------------------------------- */

static void render_chatml(out_buf *o, const chat_render_opts *r, const hearth_chat_message *m,
                          size_t n) {
    if (r->family == CHAT_QWEN25 && (n == 0 || !is_role(&m[0], "system")))
        put(o, "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. "
               "You are a helpful assistant.<|im_end|>\n");
    for (size_t i = 0; i < n; i++) {
        put(o, "<|im_start|>");
        put(o, m[i].role);
        put(o, "\n");
        put(o, m[i].content);
        put(o, "<|im_end|>\n");
    }
    if (r->add_generation_prompt)
        put(o, "<|im_start|>assistant\n");
}

/* Python's s.lstrip('\n') / rstrip('\n') / strip('\n') on a borrowed range. */
static text lstrip_nl(text t) {
    while (t.n > 0 && t.p[0] == '\n') {
        t.p++;
        t.n--;
    }
    return t;
}
static text rstrip_nl(text t) {
    while (t.n > 0 && t.p[t.n - 1] == '\n')
        t.n--;
    return t;
}

/* Last occurrence of `needle` in t, or NULL. */
static const char *last_in(text t, const char *needle) {
    size_t k = strlen(needle);
    for (size_t i = t.n >= k ? t.n - k + 1 : 0; i-- > 0;)
        if (memcmp(t.p + i, needle, k) == 0)
            return t.p + i;
    return NULL;
}

/* Qwen3: ChatML, but an assistant turn shows its reasoning (<think>...</think>)
 * only after the last user query, where it is rewritten as "<think>\nR\n</think>
 * \n\n" + answer; earlier turns keep only the answer. Mirrors the template's
 * split('</think>') / split('<think>') / strip('\n') steps exactly. */
static void put_qwen3_assistant(out_buf *o, const char *content, bool after_query, bool last) {
    text c = whole(content), answer = c, reasoning = {"", 0};
    const char *close = last_in(c, "</think>");
    if (close) {
        const char *first_close = strstr(c.p, "</think>");
        answer = lstrip_nl((text){close + 8, (size_t)(c.p + c.n - (close + 8))});
        text before = rstrip_nl((text){c.p, (size_t)(first_close - c.p)});
        const char *open = last_in(before, "<think>");
        reasoning = open ? (text){open + 7, (size_t)(before.p + before.n - (open + 7))} : before;
        reasoning = lstrip_nl(reasoning);
    }
    put(o, "<|im_start|>assistant\n");
    if (after_query && (last || reasoning.n > 0)) {
        put(o, "<think>\n");
        put_text(o, rstrip_nl(lstrip_nl(reasoning)));
        put(o, "\n</think>\n\n");
        put_text(o, lstrip_nl(answer));
    } else {
        put_text(o, answer);
    }
    put(o, "<|im_end|>\n");
}

static void render_qwen3(out_buf *o, const chat_render_opts *r, const hearth_chat_message *m,
                         size_t n) {
    /* the last user message that is not a wrapped tool response */
    size_t last_query = n > 0 ? n - 1 : 0;
    for (size_t i = n; i-- > 0;) {
        const char *c = m[i].content;
        size_t len = strlen(c), tail = strlen("</tool_response>");
        bool tool = strncmp(c, "<tool_response>", strlen("<tool_response>")) == 0 &&
                    len >= tail && strcmp(c + len - tail, "</tool_response>") == 0;
        if (is_role(&m[i], "user") && !tool) {
            last_query = i;
            break;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (is_role(&m[i], "assistant")) {
            put_qwen3_assistant(o, m[i].content, i > last_query, i == n - 1);
            continue;
        }
        put(o, "<|im_start|>");
        put(o, m[i].role);
        put(o, "\n");
        put(o, m[i].content);
        put(o, "<|im_end|>\n");
    }
    if (r->add_generation_prompt)
        put(o, "<|im_start|>assistant\n");
}

/* HuggingFaceH4/zephyr-7b-beta: every turn ends with the EOS text and a newline. */
static void render_zephyr(out_buf *o, const chat_render_opts *r, const hearth_chat_message *m,
                          size_t n) {
    for (size_t i = 0; i < n; i++) {
        put(o, "<|");
        put(o, m[i].role);
        put(o, "|>\n");
        put(o, m[i].content);
        put(o, r->eos);
        put(o, "\n");
    }
    if (r->add_generation_prompt && n > 0)
        put(o, "<|assistant|>\n");
}

/* Phi-3/3.5: an empty system message is left out; without a generation prompt
 * the text ends with EOS. The first Phi-3 mini template opens with BOS and has no
 * system role (it drops system messages); we keep them as <|system|> turns, as
 * llama.cpp does and as the later Phi-3 templates do. */
static void render_phi3(out_buf *o, const chat_render_opts *r, const hearth_chat_message *m,
                        size_t n) {
    if (r->phi3_bos)
        put(o, r->bos);
    for (size_t i = 0; i < n; i++) {
        if (is_role(&m[i], "system") && m[i].content[0] == '\0')
            continue;
        put(o, "<|");
        put(o, m[i].role);
        put(o, "|>\n");
        put(o, m[i].content);
        put(o, "<|end|>\n");
    }
    put(o, r->add_generation_prompt ? "<|assistant|>\n" : r->eos);
}

/* ---- Llama 2 and 3 ------------------------------------------------------------------ */

/* Meta's Llama 2 chat format: every user turn is "<s>[INST] ... [/INST]", the
 * reply " ... </s>"; the system text opens the first turn inside <<SYS>>. The
 * template strips the whole "<<SYS>>...\n\n" + content string, so an all-blank
 * content also loses the block's trailing blank line. Later system messages
 * (which the template refuses) open the next turn the same way. */
static void render_llama2(out_buf *o, const chat_render_opts *r, const hearth_chat_message *m,
                          size_t n) {
    const hearth_chat_message *sys = NULL;
    for (size_t i = 0; i < n; i++) {
        if (is_role(&m[i], "system")) {
            sys = &m[i];
            continue;
        }
        bool user = is_role(&m[i], "user");
        if (user) {
            put(o, r->bos);
            put(o, "[INST] ");
        } else {
            put(o, " ");
        }
        text content = sys ? rstrip(whole(m[i].content)) : trimmed(m[i].content);
        if (sys) {
            put(o, "<<SYS>>\n");
            put(o, sys->content);
            if (content.n > 0)
                put(o, "\n<</SYS>>\n\n");
            else
                put(o, "\n<</SYS>>");
            sys = NULL;
        }
        put_text(o, content);
        if (user) {
            put(o, " [/INST]");
        } else {
            put(o, " ");
            put(o, r->eos);
        }
    }
}

static void put_llama3_turn(out_buf *o, const char *role, text content) {
    put(o, "<|start_header_id|>");
    put(o, role);
    put(o, "<|end_header_id|>\n\n");
    put_text(o, content);
    put(o, "<|eot_id|>");
}

/* Llama 3.0: BOS, then one header block per message, contents trimmed. */
static void render_llama3(out_buf *o, const chat_render_opts *r, const hearth_chat_message *m,
                          size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (i == 0)
            put(o, r->bos);
        put_llama3_turn(o, m[i].role, trimmed(m[i].content));
    }
    if (r->add_generation_prompt)
        put(o, "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

/* Llama 3.1/3.2/3.3: the system block always exists and carries the knowledge
 * cut-off and today's date; a leading system message fills it. Later system
 * messages stay in place as ordinary turns, as the template writes them. */
static void render_llama31(out_buf *o, const chat_render_opts *r, const hearth_chat_message *m,
                           size_t n) {
    put(o, r->bos);
    put(o, "<|start_header_id|>system<|end_header_id|>\n\n"
           "Cutting Knowledge Date: December 2023\nToday Date: ");
    put(o, r->date);
    put(o, "\n\n");
    size_t first = 0;
    if (n > 0 && is_role(&m[0], "system")) {
        put_text(o, trimmed(m[0].content));
        first = 1;
    }
    put(o, "<|eot_id|>");
    for (size_t i = first; i < n; i++)
        put_llama3_turn(o, m[i].role, trimmed(m[i].content));
    if (r->add_generation_prompt)
        put(o, "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

/* ---- Gemma ---------------------------------------------------------------------------- */

/* Gemma 1/2 have no system role and their templates raise on one. As llama.cpp
 * does, the (trimmed) system text is put in front of the next user turn,
 * separated by a blank line; several are joined the same way. */
static void render_gemma(out_buf *o, const chat_render_opts *r, const hearth_chat_message *m,
                         size_t n) {
    put(o, r->bos);
    size_t pending_from = n; /* first system message not yet written */
    for (size_t i = 0; i < n; i++) {
        if (is_role(&m[i], "system")) {
            if (pending_from == n)
                pending_from = i;
            continue;
        }
        bool model = is_role(&m[i], "assistant");
        put(o, model ? "<start_of_turn>model\n" : "<start_of_turn>user\n");
        if (!model && pending_from < n) {
            for (size_t k = pending_from; k < i; k++) {
                if (!is_role(&m[k], "system"))
                    continue;
                text sys = trimmed(m[k].content);
                if (sys.n == 0)
                    continue;
                put_text(o, sys);
                put(o, "\n\n");
            }
            pending_from = n;
        }
        put_text(o, trimmed(m[i].content));
        put(o, "<end_of_turn>\n");
    }
    if (r->add_generation_prompt)
        put(o, "<start_of_turn>model\n");
}

/* ---- Mistral ----------------------------------------------------------------------------- */

/* v1: " [INST] " ... " [/INST]" and " reply</s>"; the system text opens the first
 * user turn (later system messages, refused by the template, open the next one). */
static void render_mistral_v1(out_buf *o, const chat_render_opts *r,
                              const hearth_chat_message *m, size_t n) {
    put(o, r->bos);
    const hearth_chat_message *sys = NULL;
    for (size_t i = 0; i < n; i++) {
        if (is_role(&m[i], "system")) {
            sys = &m[i];
        } else if (is_role(&m[i], "user")) {
            put(o, " [INST] ");
            if (sys) {
                put(o, sys->content);
                put(o, "\n\n");
                sys = NULL;
            }
            put(o, m[i].content);
            put(o, " [/INST]");
        } else {
            put(o, " ");
            put(o, m[i].content);
            put(o, r->eos);
        }
    }
}

/* v3 and v3-tekken (Nemo): the system text goes into the LAST message when that
 * is a user turn (so it sits next to the question being answered); when the
 * conversation ends with a reply the template drops it, and so do we. v3 puts a
 * space after [INST] and before a trimmed reply; tekken puts none and keeps the
 * reply as is. */
static void render_mistral_v3(out_buf *o, const chat_render_opts *r,
                              const hearth_chat_message *m, size_t n) {
    bool tekken = r->family == CHAT_MISTRAL_NEMO;
    put(o, r->bos);
    for (size_t i = 0; i < n; i++) {
        if (is_role(&m[i], "system"))
            continue;
        if (is_role(&m[i], "user")) {
            put(o, tekken ? "[INST]" : "[INST] ");
            if (i == n - 1 && any_system(m, n)) {
                put_all_system(o, m, n);
                put(o, "\n\n");
            }
            put(o, m[i].content);
            put(o, "[/INST]");
        } else if (tekken) {
            put(o, m[i].content);
            put(o, r->eos);
        } else {
            put(o, " ");
            put_text(o, trimmed(m[i].content));
            put(o, r->eos);
        }
    }
}

/* v7: system prompts have their own tags, in place. */
static void render_mistral_v7(out_buf *o, const chat_render_opts *r,
                              const hearth_chat_message *m, size_t n) {
    put(o, r->bos);
    for (size_t i = 0; i < n; i++) {
        if (is_role(&m[i], "system")) {
            put(o, "[SYSTEM_PROMPT] ");
            put(o, m[i].content);
            put(o, "[/SYSTEM_PROMPT]");
        } else if (is_role(&m[i], "user")) {
            put(o, "[INST] ");
            put(o, m[i].content);
            put(o, "[/INST]");
        } else {
            put(o, " ");
            put(o, m[i].content);
            put(o, r->eos);
        }
    }
}

/* ---- DeepSeek ---------------------------------------------------------------------------- */

#define DS_USER "<\xef\xbd\x9cUser\xef\xbd\x9c>"           /* <｜User｜> */
#define DS_ASSISTANT "<\xef\xbd\x9c" "Assistant\xef\xbd\x9c>" /* <｜Assistant｜> */
#define DS_EOS "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>"

/* BOS, then the LAST system message's text bare (the templates keep only the last
 * one), then the turns. The end-of-sentence text is written literally in these
 * templates, not taken from eos_token. */
static void render_deepseek(out_buf *o, const chat_render_opts *r, const hearth_chat_message *m,
                            size_t n) {
    put(o, r->bos);
    size_t sys = last_index_of(m, n, "system");
    if (sys < n)
        put(o, m[sys].content);
    for (size_t i = 0; i < n; i++) {
        if (is_role(&m[i], "user")) {
            put(o, DS_USER);
            put(o, m[i].content);
            if (r->family == CHAT_DEEPSEEK_R1_LCPP)
                put(o, DS_EOS);
        } else if (is_role(&m[i], "assistant")) {
            put(o, DS_ASSISTANT);
            put_text(o, r->family == CHAT_DEEPSEEK_V3 ? whole(m[i].content)
                                                      : after_last_think(m[i].content));
            put(o, DS_EOS);
        }
    }
    if (r->add_generation_prompt)
        put(o, r->family == CHAT_DEEPSEEK_V3 ? DS_ASSISTANT : DS_ASSISTANT "<think>\n");
}

/* ---- Command R, Vicuna ---------------------------------------------------------------------- */

/* c4ai-command-r: BOS, a leading system turn as given, user and chatbot turns
 * stripped. A later system message (refused by the template) becomes a system
 * turn in place. */
static void render_command_r(out_buf *o, const chat_render_opts *r,
                             const hearth_chat_message *m, size_t n) {
    put(o, r->bos);
    for (size_t i = 0; i < n; i++) {
        bool sys = is_role(&m[i], "system"), user = is_role(&m[i], "user");
        put(o, sys ? "<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>"
                   : user ? "<|START_OF_TURN_TOKEN|><|USER_TOKEN|>"
                          : "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>");
        put_text(o, sys ? whole(m[i].content) : trimmed(m[i].content));
        put(o, "<|END_OF_TURN_TOKEN|>");
    }
    if (r->add_generation_prompt)
        put(o, "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>");
}

/* FastChat's vicuna_v1.1 conversation: system text (FastChat's default when none
 * is given) and a space, "USER: text " and "ASSISTANT: text</s>", then
 * "ASSISTANT:" to prompt the reply. */
static void render_vicuna(out_buf *o, const chat_render_opts *r, const hearth_chat_message *m,
                          size_t n) {
    if (any_system(m, n))
        put_all_system(o, m, n);
    else
        put(o, "A chat between a curious user and an artificial intelligence assistant. "
               "The assistant gives helpful, detailed, and polite answers to the user's "
               "questions.");
    put(o, " ");
    for (size_t i = 0; i < n; i++) {
        if (is_role(&m[i], "user")) {
            put(o, "USER: ");
            put(o, m[i].content);
            put(o, " ");
        } else if (is_role(&m[i], "assistant")) {
            put(o, "ASSISTANT: ");
            put(o, m[i].content);
            put(o, r->eos);
        }
    }
    if (r->add_generation_prompt)
        put(o, "ASSISTANT:");
}

/* ---- Entry ---------------------------------------------------------------------------------- */

hearth_status chat_render(const chat_render_opts *r, const hearth_chat_message *m, size_t n,
                          char *buf, size_t size, size_t *n_out) {
    out_buf o = {buf, buf ? size : 0, 0};
    switch (r->family) {
    case CHAT_LLAMA2: render_llama2(&o, r, m, n); break;
    case CHAT_LLAMA3: render_llama3(&o, r, m, n); break;
    case CHAT_LLAMA31: render_llama31(&o, r, m, n); break;
    case CHAT_PHI3: render_phi3(&o, r, m, n); break;
    case CHAT_GEMMA: render_gemma(&o, r, m, n); break;
    case CHAT_MISTRAL_V1: render_mistral_v1(&o, r, m, n); break;
    case CHAT_MISTRAL_V3:
    case CHAT_MISTRAL_NEMO: render_mistral_v3(&o, r, m, n); break;
    case CHAT_MISTRAL_V7: render_mistral_v7(&o, r, m, n); break;
    case CHAT_DEEPSEEK_R1:
    case CHAT_DEEPSEEK_R1_LCPP:
    case CHAT_DEEPSEEK_V3: render_deepseek(&o, r, m, n); break;
    case CHAT_COMMAND_R: render_command_r(&o, r, m, n); break;
    case CHAT_ZEPHYR: render_zephyr(&o, r, m, n); break;
    case CHAT_QWEN3: render_qwen3(&o, r, m, n); break;
    case CHAT_VICUNA: render_vicuna(&o, r, m, n); break;
    case CHAT_CHATML:
    case CHAT_QWEN25:
    case CHAT_UNKNOWN:
    case CHAT_FAMILY_COUNT: render_chatml(&o, r, m, n); break;
    }
    *n_out = o.len;
    if (o.len >= o.size) {
        if (o.size > 0)
            o.buf[o.size - 1] = '\0';
        return hearth_set_error(HEARTH_ERR_BUFFER_TOO_SMALL,
                                "chat template: %zu bytes needed (plus NUL), buffer has %zu",
                                o.len, o.size);
    }
    o.buf[o.len] = '\0';
    return HEARTH_OK;
}
