/* chat.c - hearth-chat: multi-turn chat with a model's chat template.
 *
 * Each turn renders the whole conversation with hearth_chat_apply(), compares
 * its tokens with those already in the KV cache and decodes only the new
 * suffix, so earlier turns are never recomputed. On a terminal it is
 * interactive; with stdin piped, each line is one user message and stdout
 * carries only the replies, each ending with one '\n' (CONVENTIONS §3).
 * /reset starts over, /quit (or EOF) exits 0. Timings go to stderr.
 */
#include <stdio.h>  /* fgets, fprintf */
#include <stdlib.h> /* malloc, realloc, free */
#include <string.h> /* strcmp, strlen, strdup */
#include <unistd.h> /* isatty */

#include "hearth.h"
#include "run_util.h" /* timing, HEARTH_ISA, sampling flags, UTF-8 streaming */

static void usage(FILE *f) {
    fprintf(f,
            "usage: hearth-chat -m MODEL [options]\n"
            "  -m, --model FILE         GGUF model (llama architecture)\n"
            "  -sys, --system TEXT      system prompt\n"
            "  -c, --ctx-size N         context size (default min(4096, trained))\n"
            "  -n, --n-predict N        most tokens per reply (default: until end of turn)\n"
            "  -t, --threads N          threads (default: physical cores)\n"
            "  --chat-template NAME     template family (llama2, llama3, chatml, ...)\n"
            "                           instead of the one the model's metadata names\n"
            "%s"
            "  -h, --help               this text\n"
            "Type /reset to start over, /quit (or end of input) to leave.\n"
            "environment: HEARTH_ISA=scalar|avx2|avx512|avx512vnni|neon|neon-dotprod\n",
            ru_sampling_help);
}

typedef struct chat {
    const char *model_path, *system, *template_name;
    long n_ctx, n_predict, n_threads;
    hearth_sampler_params sp;
    bool seed_set, interactive;

    hearth_model *m;
    hearth_ctx *ctx;
    hearth_sampler *sampler;
    hearth_chat_message *msgs; /* the conversation; contents malloc'd */
    size_t n_msgs, cap_msgs;
    int32_t *cached;           /* (n_cached) tokens in the KV cache, in order */
    size_t n_cached, cap_cached;
} chat;

static int fail(const char *what) {
    fprintf(stderr, "hearth-chat: %s: %s\n", what, hearth_last_error());
    return 1;
}

static bool parse_long(const char *flag, const char *s, long *out) {
    char *end;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || !*s || *end || v < 0) {
        fprintf(stderr, "%s: expected an integer >= 0, got '%s'\n", flag, s ? s : "");
        return false;
    }
    *out = v;
    return true;
}

/* Returns -1 to continue, else the exit status. */
static int parse_args(int argc, char **argv, chat *ch) {
    ch->sp = hearth_sampler_default_params();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        int r = ru_parse_sampling_flag(argc, argv, &i, &ch->sp, &ch->seed_set);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        bool ok = true;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!val) {
            fprintf(stderr, "%s: missing value or unknown flag\n", a);
            return 2;
        } else if (!strcmp(a, "-m") || !strcmp(a, "--model")) {
            ch->model_path = argv[++i];
        } else if (!strcmp(a, "-sys") || !strcmp(a, "--system")) {
            ch->system = argv[++i];
        } else if (!strcmp(a, "--chat-template")) {
            ch->template_name = argv[++i];
        } else if (!strcmp(a, "-c") || !strcmp(a, "--ctx-size")) {
            ok = parse_long(a, argv[++i], &ch->n_ctx);
        } else if (!strcmp(a, "-n") || !strcmp(a, "--n-predict")) {
            ok = parse_long(a, argv[++i], &ch->n_predict);
        } else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) {
            ok = parse_long(a, argv[++i], &ch->n_threads);
        } else {
            fprintf(stderr, "unknown flag %s (see --help)\n", a);
            return 2;
        }
        if (!ok)
            return 2;
    }
    if (!ch->model_path) {
        fprintf(stderr, "hearth-chat: need -m MODEL\n");
        usage(stderr);
        return 2;
    }
    return -1;
}

/* ---- Conversation -------------------------------------------------------- */

static bool add_message(chat *ch, const char *role, const char *content, size_t len) {
    if (ch->n_msgs == ch->cap_msgs) {
        size_t cap = ch->cap_msgs ? 2 * ch->cap_msgs : 8;
        hearth_chat_message *p = realloc(ch->msgs, cap * sizeof *p);
        if (!p)
            return false;
        ch->msgs = p, ch->cap_msgs = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return false;
    memcpy(copy, content, len);
    copy[len] = '\0';
    ch->msgs[ch->n_msgs++] = (hearth_chat_message){role, copy};
    return true;
}

static void clear_conversation(chat *ch) {
    for (size_t i = 0; i < ch->n_msgs; i++)
        free((char *)ch->msgs[i].content);
    ch->n_msgs = 0;
    ch->n_cached = 0;
    hearth_ctx_reset(ch->ctx);
    hearth_sampler_reset(ch->sampler);
    if (ch->system)
        add_message(ch, "system", ch->system, strlen(ch->system));
}

static bool push_cached(chat *ch, int32_t tok) {
    if (ch->n_cached == ch->cap_cached) {
        size_t cap = ch->cap_cached ? 2 * ch->cap_cached : 256;
        int32_t *p = realloc(ch->cached, cap * sizeof *p);
        if (!p)
            return false;
        ch->cached = p, ch->cap_cached = cap;
    }
    ch->cached[ch->n_cached++] = tok;
    return true;
}

/* Renders the conversation (with the assistant opening) and tokenizes it. */
static int render(chat *ch, int32_t **toks, size_t *n) {
    size_t len = 0;
    hearth_status st = hearth_chat_apply(ch->m, ch->template_name, ch->msgs, ch->n_msgs, true,
                                         NULL, 0, &len);
    if (st != HEARTH_OK && st != HEARTH_ERR_BUFFER_TOO_SMALL)
        return fail("chat template");
    char *text = malloc(len + 1);
    if (!text || hearth_chat_apply(ch->m, ch->template_name, ch->msgs, ch->n_msgs, true, text,
                                   len + 1, &len) != HEARTH_OK) {
        free(text);
        return fail("chat template");
    }
    /* The template carries the BOS text itself: no special tokens added, but
     * control-token text in it is parsed as those tokens. */
    size_t need = 0;
    st = hearth_tokenize(ch->m, text, len, false, true, NULL, 0, &need);
    *toks = malloc((need ? need : 1) * sizeof **toks);
    if ((st != HEARTH_OK && st != HEARTH_ERR_BUFFER_TOO_SMALL) || !*toks ||
        hearth_tokenize(ch->m, text, len, false, true, *toks, need, n) != HEARTH_OK) {
        free(text);
        return fail("tokenize");
    }
    free(text);
    return -1;
}

/* Brings the KV cache to `toks`: keeps the common prefix, decodes the rest.
 * Returns -1 on success, 2 when the context is full, 1 on failure. */
static int feed(chat *ch, const int32_t *toks, size_t n, size_t *n_new) {
    size_t common = 0;
    while (common < n && common < ch->n_cached && toks[common] == ch->cached[common])
        common++;
    if (common == n) /* nothing new: recompute the last token to get its logits */
        common = n - 1;
    hearth_ctx_kv_truncate(ch->ctx, (int32_t)common);
    ch->n_cached = common;
    *n_new = n - common;
    hearth_ctx_info info;
    hearth_ctx_info_get(ch->ctx, &info);
    int32_t batch = info.n_ctx; /* n_batch defaults to n_ctx */
    for (size_t off = common; off < n; off += (size_t)batch) {
        int32_t k = n - off < (size_t)batch ? (int32_t)(n - off) : batch;
        hearth_status st = hearth_ctx_decode(ch->ctx, toks + off, k);
        if (st == HEARTH_ERR_CONTEXT_FULL) {
            fprintf(stderr, "hearth-chat: the conversation no longer fits the context (%d "
                            "tokens); /reset to start over\n", info.n_ctx);
            return 2; /* not fatal: see turn() */
        }
        if (st != HEARTH_OK)
            return fail("decode");
        for (int32_t i = 0; i < k; i++)
            push_cached(ch, toks[off + (size_t)i]);
    }
    return -1;
}

/* One user turn: feed the prompt, stream the reply, remember it. */
static int turn(chat *ch, const char *line, size_t len) {
    if (!add_message(ch, "user", line, len))
        return 1;
    int32_t *toks = NULL;
    size_t n = 0, n_new = 0;
    double t0 = ru_now_ms();
    int status = render(ch, &toks, &n);
    if (status < 0)
        status = feed(ch, toks, n, &n_new);
    free(toks);
    if (status >= 0) {
        ch->n_msgs--; /* the turn did not happen */
        free((char *)ch->msgs[ch->n_msgs].content);
        if (status != 2) /* context full: an empty reply keeps scripts in step */
            return status;
        fputc('\n', stdout);
        fflush(stdout);
        return -1;
    }
    double pp_ms = ru_now_ms() - t0;

    const int32_t n_vocab = hearth_vocab_size(ch->m);
    char *reply = NULL;
    size_t reply_len = 0;
    ru_stream out = {{0}, 0};
    int n_gen = 0;
    t0 = ru_now_ms();
    while (ch->n_predict == 0 || n_gen < ch->n_predict) {
        int32_t tok;
        if (hearth_sampler_sample(ch->sampler, hearth_ctx_logits(ch->ctx, -1), n_vocab, &tok))
            return fail("sample");
        if (hearth_token_is_eog(ch->m, tok))
            break;
        size_t plen = 0; /* the reply's text is kept for the next rendering */
        char size_query;
        hearth_token_to_piece(ch->m, tok, false, &size_query, 0, &plen);
        char *r = realloc(reply, reply_len + plen + 1);
        if (r && hearth_token_to_piece(ch->m, tok, false, r + reply_len, plen + 1, &plen) ==
                     HEARTH_OK) {
            ru_stream_put(&out, stdout, r + reply_len, plen);
            reply_len += plen;
        }
        if (r)
            reply = r;
        n_gen++;
        if (hearth_ctx_decode(ch->ctx, &tok, 1) != HEARTH_OK) {
            fprintf(stderr, "\nhearth-chat: context full; /reset to start over\n");
            break;
        }
        push_cached(ch, tok);
    }
    double tg_ms = ru_now_ms() - t0;
    ru_stream_flush(&out, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    add_message(ch, "assistant", reply ? reply : "", reply_len);
    free(reply);
    fprintf(stderr, "[prompt: %zu new tokens (%zu cached) in %.1f ms; reply: %d tokens, %.2f "
                    "tokens/s]\n",
            n_new, ch->n_cached - n_new - (size_t)n_gen, pp_ms, n_gen,
            n_gen && tg_ms > 0 ? n_gen / (tg_ms / 1e3) : 0.0);
    return -1;
}

static int loop(chat *ch) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int status = -1;
    for (;;) {
        if (ch->interactive)
            fprintf(stderr, "> ");
        if ((len = getline(&line, &cap, stdin)) < 0)
            break; /* EOF */
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (!strcmp(line, "/quit"))
            break;
        if (!strcmp(line, "/reset")) {
            clear_conversation(ch);
            fprintf(stderr, "(conversation reset)\n");
            continue;
        }
        if (len == 0 && ch->interactive)
            continue;
        if ((status = turn(ch, line, (size_t)len)) >= 0)
            break;
    }
    free(line);
    return status < 0 ? 0 : status;
}

int main(int argc, char **argv) {
    chat ch;
    memset(&ch, 0, sizeof ch);
    int status = parse_args(argc, argv, &ch);
    if (status >= 0)
        return status;
    ch.interactive = isatty(0);
    hearth_ctx_params cp = hearth_ctx_default_params();
    if (!ru_isa_from_env(&cp.isa))
        return 2;
    cp.n_ctx = (int32_t)ch.n_ctx;
    cp.n_threads = (int32_t)ch.n_threads;
    double t0 = ru_now_ms();
    if (hearth_model_load(ch.model_path, NULL, &ch.m) != HEARTH_OK)
        return fail("load");
    if (hearth_ctx_create(ch.m, &cp, &ch.ctx) != HEARTH_OK) {
        hearth_model_free(ch.m);
        return fail("context");
    }
    if (!ch.seed_set)
        ch.sp.seed = ru_random_seed();
    if (hearth_sampler_create(&ch.sp, &ch.sampler) != HEARTH_OK) {
        hearth_ctx_free(ch.ctx);
        hearth_model_free(ch.m);
        return fail("sampler");
    }
    hearth_ctx_info info;
    hearth_ctx_info_get(ch.ctx, &info);
    fprintf(stderr, "loaded %s in %.1f ms; seed %llu, isa %s, %d threads, n_ctx %d\n",
            ch.model_path, ru_now_ms() - t0, (unsigned long long)ch.sp.seed,
            hearth_isa_name(info.isa), info.n_threads, info.n_ctx);
    clear_conversation(&ch);
    status = loop(&ch);
    for (size_t i = 0; i < ch.n_msgs; i++)
        free((char *)ch.msgs[i].content);
    free(ch.msgs);
    free(ch.cached);
    hearth_sampler_free(ch.sampler);
    hearth_ctx_free(ch.ctx);
    hearth_model_free(ch.m);
    return status;
}
