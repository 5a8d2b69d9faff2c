/* chat.c - public chat-template entry points: picks the family (caller's name,
 * else the model's tokenizer.chat_template, else ChatML with a warning), finds
 * the BOS/EOS text (caller's, else the model's vocabulary, else the family's
 * usual tokens) and the date, validates the messages, then renders natively
 * (lib/chat_render.c). Reads the model only through the public GGUF API.
 */
#include <string.h> /* strcmp, memset, memcpy */

#include "chat.h"
#include "model.h" /* the model's log callback */

/* ---- Params ------------------------------------------------------------------ */

hearth_chat_params hearth_chat_default_params(void) {
    hearth_chat_params p;
    memset(&p, 0, sizeof p);
    p.add_generation_prompt = true;
    return p;
}

/* ---- Validation ---------------------------------------------------------------- */

static hearth_status check_messages(const hearth_chat_message *m, size_t n) {
    if (n > 0 && !m)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "chat: messages is NULL");
    for (size_t i = 0; i < n; i++) {
        if (!m[i].role || !m[i].content)
            return hearth_set_error(HEARTH_ERR_INVALID_ARG,
                                    "chat: message %zu has a NULL role or content", i);
        if (strcmp(m[i].role, "system") != 0 && strcmp(m[i].role, "user") != 0 &&
            strcmp(m[i].role, "assistant") != 0)
            return hearth_set_error(HEARTH_ERR_INVALID_ARG,
                                    "chat: message %zu has role \"%.40s\"; expected system, "
                                    "user or assistant",
                                    i, m[i].role);
    }
    return HEARTH_OK;
}

/* ---- Test entry --------------------------------------------------------------- */

hearth_status chat_apply_template_text(const char *jinja_text, const char *bos, const char *eos,
                                       const char *date, const hearth_chat_message *msgs,
                                       size_t n_msgs, bool add_generation_prompt, char *buf,
                                       size_t size, size_t *n_out) {
    if (!n_out)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "chat: n_out is NULL");
    HEARTH_TRY(check_messages(msgs, n_msgs));
    chat_family f = chat_detect(jinja_text);
    if (f == CHAT_UNKNOWN)
        f = CHAT_CHATML;
    char today[32];
    if (!date) {
        chat_default_date(jinja_text, today, sizeof today);
        date = today;
    }
    chat_render_opts opts = {f, bos ? bos : chat_family_bos(f), eos ? eos : chat_family_eos(f),
                             date, add_generation_prompt, false};
    chat_variant_opts(jinja_text, &opts);
    return chat_render(&opts, msgs, n_msgs, buf, size, n_out);
}

/* ---- Model metadata ------------------------------------------------------------- */

/* Text of the token whose id is stored under `id_key` (tokenizer.ggml.bos_token_id),
 * read from tokenizer.ggml.tokens; NULL when the model does not say. The string
 * lives in the mapped file and is not NUL-terminated, so it is copied to out. */
static const char *vocab_token_text(const hearth_gguf *g, const char *id_key, char *out,
                                    size_t size) {
    uint32_t id;
    hearth_gguf_value tokens, tok;
    if (!g || hearth_gguf_find_key(g, id_key) < 0 ||
        hearth_gguf_find_key(g, "tokenizer.ggml.tokens") < 0)
        return NULL;
    if (hearth_gguf_get_u32(g, id_key, &id) != HEARTH_OK ||
        hearth_gguf_get_array(g, "tokenizer.ggml.tokens", &tokens) != HEARTH_OK ||
        hearth_gguf_array_get(&tokens, id, &tok) != HEARTH_OK ||
        tok.type != HEARTH_GGUF_STRING || tok.v.s.len >= size)
        return NULL;
    memcpy(out, tok.v.s.str, (size_t)tok.v.s.len);
    out[tok.v.s.len] = '\0';
    return out;
}

static const char *model_template(const hearth_model *model) {
    const hearth_gguf *g = model ? hearth_model_gguf(model) : NULL;
    const char *text = NULL;
    if (g && hearth_gguf_find_key(g, "tokenizer.chat_template") >= 0 &&
        hearth_gguf_get_str(g, "tokenizer.chat_template", &text) == HEARTH_OK)
        return text;
    return NULL;
}

/* ---- Public entry points ------------------------------------------------------------ */

const char *hearth_chat_detect(const char *template_text) {
    chat_family f = chat_detect(template_text);
    return f == CHAT_UNKNOWN ? NULL : chat_family_name(f);
}

hearth_status hearth_chat_apply_ex(const hearth_model *model, const hearth_chat_params *params,
                                   const hearth_chat_message *messages, size_t n_messages,
                                   char *buf, size_t size, size_t *n_out) {
    if (!n_out)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "hearth_chat_apply: n_out is NULL");
    *n_out = 0;
    hearth_chat_params p = params ? *params : hearth_chat_default_params();
    HEARTH_TRY(check_messages(messages, n_messages));
    hearth_log_fn log_fn = p.log_fn ? p.log_fn : model ? model->params.log_fn : NULL;
    void *log_user = p.log_fn ? p.log_user : model ? model->params.log_user : NULL;

    /* Family: explicit name > explicit template text > the model's template. */
    chat_family f = CHAT_UNKNOWN;
    const char *text = p.template_text ? p.template_text : model_template(model);
    if (p.template_name) {
        f = chat_family_from_name(p.template_name);
        if (f == CHAT_UNKNOWN)
            return hearth_set_error(HEARTH_ERR_INVALID_ARG,
                                    "chat: unknown template name \"%.60s\" (see the README "
                                    "for the list)",
                                    p.template_name);
    } else if (!text) {
        if (!model && !p.template_text)
            return hearth_set_error(HEARTH_ERR_INVALID_ARG,
                                    "chat: no model, template name or template text given");
        hearth_log(log_fn, log_user, HEARTH_LOG_WARN,
                   "model has no tokenizer.chat_template; using ChatML");
        f = CHAT_CHATML;
    } else {
        f = chat_detect(text);
        if (f == CHAT_UNKNOWN) {
            hearth_log(log_fn, log_user, HEARTH_LOG_WARN,
                       "chat template not recognised; using ChatML (choose another with a "
                       "template name)");
            f = CHAT_CHATML;
        }
    }

    /* BOS/EOS text: caller > model vocabulary > the family's usual tokens. */
    char bos_buf[256], eos_buf[256];
    const hearth_gguf *g = model ? hearth_model_gguf(model) : NULL;
    const char *bos = p.bos_text ? p.bos_text
                                 : vocab_token_text(g, "tokenizer.ggml.bos_token_id", bos_buf,
                                                    sizeof bos_buf);
    const char *eos = p.eos_text ? p.eos_text
                                 : vocab_token_text(g, "tokenizer.ggml.eos_token_id", eos_buf,
                                                    sizeof eos_buf);
    char today[32];
    const char *date = p.date;
    if (!date) {
        chat_default_date(p.template_name ? NULL : text, today, sizeof today);
        date = today;
    }
    chat_render_opts opts = {f, bos ? bos : chat_family_bos(f), eos ? eos : chat_family_eos(f),
                             date, p.add_generation_prompt, false};
    if (!p.template_name)
        chat_variant_opts(text, &opts);
    return chat_render(&opts, messages, n_messages, buf, size, n_out);
}

hearth_status hearth_chat_apply(const hearth_model *model, const char *template_name,
                                const hearth_chat_message *messages, size_t n_messages,
                                bool add_generation_prompt, char *buf, size_t size,
                                size_t *n_out) {
    hearth_chat_params p = hearth_chat_default_params();
    p.template_name = template_name;
    p.add_generation_prompt = add_generation_prompt;
    return hearth_chat_apply_ex(model, &p, messages, n_messages, buf, size, n_out);
}
