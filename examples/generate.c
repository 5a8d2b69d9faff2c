/* generate.c - hearth-generate: one-shot completion of a prompt.
 *
 * The generated text (or ids with --ids) streams to stdout; everything else
 * (load info, seed, timings, notes) goes to stderr (CONVENTIONS §3). The
 * prompt is not echoed. Generation stops at an end-of-generation token (not
 * printed), after -n tokens, or when the context is full (unless --ctx-shift).
 * Exit status: 0 success, 1 runtime failure, 2 usage error.
 */
#include <stdio.h>  /* fprintf, fopen, fwrite */
#include <stdlib.h> /* malloc, free, strtol */
#include <string.h> /* strcmp, strlen */

#include "hearth.h"
#include "run_util.h" /* timing, HEARTH_ISA, sampling flags, UTF-8 streaming */

static void usage(FILE *f) {
    fprintf(f,
            "usage: hearth-generate -m MODEL (-p TEXT | --prompt-ids \"1 2 3\") [options]\n"
            "  -m, --model FILE         GGUF model (llama architecture)\n"
            "  -p, --prompt TEXT        prompt, tokenized with the model's BOS rule\n"
            "  --prompt-ids \"IDS\"       prompt token ids used verbatim (no BOS added)\n"
            "  -n, --n-predict N        tokens to generate (default 128)\n"
            "  -c, --ctx-size N         context size (default min(4096, trained))\n"
            "  --ctx-shift              when the context is full, drop the oldest half\n"
            "  --keep N                 tokens kept on a shift (default: the prompt, up to\n"
            "                           half the context)\n"
            "  -t, --threads N          threads (default: physical cores)\n"
            "  --ids                    print generated ids (space-separated) instead of text\n"
            "  --dump-logits FILE       write the logits of every prompt position (float32,\n"
            "                           n_prompt x n_vocab) and exit unless -n is given\n"
            "%s"
            "  -h, --help               this text\n"
            "environment: HEARTH_ISA=scalar|avx2|avx512|avx512vnni|neon|neon-dotprod\n",
            ru_sampling_help);
}

typedef struct options {
    const char *model, *prompt, *prompt_ids, *dump_logits;
    long n_predict, n_ctx, n_keep, n_threads;
    bool n_given, ids, ctx_shift;
    hearth_sampler_params sp;
    bool seed_set;
} options;

static bool parse_long(const char *flag, const char *s, long lo, long *out) {
    char *end;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || !*s || *end || v < lo) {
        fprintf(stderr, "%s: expected an integer >= %ld, got '%s'\n", flag, lo, s ? s : "");
        return false;
    }
    *out = v;
    return true;
}

/* Returns -1 to continue, else the exit status. */
static int parse_args(int argc, char **argv, options *o) {
    memset(o, 0, sizeof *o);
    o->n_predict = 128;
    o->n_keep = -1;
    o->sp = hearth_sampler_default_params();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        int r = ru_parse_sampling_flag(argc, argv, &i, &o->sp, &o->seed_set);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        bool ok = true;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--ids")) {
            o->ids = true;
        } else if (!strcmp(a, "--ctx-shift")) {
            o->ctx_shift = true;
        } else if (!val) {
            fprintf(stderr, "%s: missing value or unknown flag\n", a);
            return 2;
        } else if (!strcmp(a, "-m") || !strcmp(a, "--model")) {
            o->model = argv[++i];
        } else if (!strcmp(a, "-p") || !strcmp(a, "--prompt")) {
            o->prompt = argv[++i];
        } else if (!strcmp(a, "--prompt-ids")) {
            o->prompt_ids = argv[++i];
        } else if (!strcmp(a, "--dump-logits")) {
            o->dump_logits = argv[++i];
        } else if (!strcmp(a, "-n") || !strcmp(a, "--n-predict")) {
            ok = parse_long(a, argv[++i], 0, &o->n_predict);
            o->n_given = true;
        } else if (!strcmp(a, "-c") || !strcmp(a, "--ctx-size")) {
            ok = parse_long(a, argv[++i], 0, &o->n_ctx);
        } else if (!strcmp(a, "--keep")) {
            ok = parse_long(a, argv[++i], 0, &o->n_keep);
        } else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) {
            ok = parse_long(a, argv[++i], 0, &o->n_threads);
        } else {
            fprintf(stderr, "unknown flag %s (see --help)\n", a);
            return 2;
        }
        if (!ok)
            return 2;
    }
    if (!o->model || (!o->prompt == !o->prompt_ids)) {
        fprintf(stderr, "hearth-generate: need -m MODEL and exactly one of -p / --prompt-ids\n");
        usage(stderr);
        return 2;
    }
    return -1;
}

/* "1 2 3" (spaces or commas) -> ids; false on anything else. */
static bool parse_ids(const char *s, int32_t **ids, size_t *n) {
    size_t cap = strlen(s) / 2 + 1;
    *ids = malloc(cap * sizeof **ids);
    *n = 0;
    while (*ids && *s) {
        if (*s == ' ' || *s == ',' || *s == '\t' || *s == '\n') {
            s++;
            continue;
        }
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 0 || v > INT32_MAX)
            return false;
        (*ids)[(*n)++] = (int32_t)v;
        s = end;
    }
    return *ids != NULL;
}

static int fail(const char *what) {
    fprintf(stderr, "hearth-generate: %s: %s\n", what, hearth_last_error());
    return 1;
}

/* Tokens of the prompt: -p text with the model's BOS rule, or ids verbatim. */
static int prompt_tokens(const options *o, const hearth_model *m, int32_t **toks, size_t *n) {
    if (o->prompt_ids) {
        if (!parse_ids(o->prompt_ids, toks, n) || *n == 0) {
            fprintf(stderr, "--prompt-ids: expected space-separated token ids\n");
            return 2;
        }
        return -1;
    }
    size_t len = strlen(o->prompt), need = 0;
    hearth_status st = hearth_tokenize(m, o->prompt, len, true, true, NULL, 0, &need);
    if (st != HEARTH_OK && st != HEARTH_ERR_BUFFER_TOO_SMALL)
        return fail("tokenize");
    *toks = malloc((need ? need : 1) * sizeof **toks);
    if (!*toks || hearth_tokenize(m, o->prompt, len, true, true, *toks, need, n) != HEARTH_OK)
        return fail("tokenize");
    if (*n == 0) {
        fprintf(stderr, "hearth-generate: the prompt is empty (and the model adds no BOS)\n");
        return 2;
    }
    return -1;
}

static int dump_logits(const char *path, const hearth_ctx *c, size_t n_prompt, int32_t n_vocab) {
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "hearth-generate: cannot create %s\n", path);
        return 1;
    }
    for (size_t t = 0; t < n_prompt; t++)
        fwrite(hearth_ctx_logits(c, (int32_t)t), sizeof(float), (size_t)n_vocab, f);
    if (fclose(f) != 0) {
        fprintf(stderr, "hearth-generate: writing %s failed\n", path);
        return 1;
    }
    return -1;
}

/* Samples, prints and feeds back up to n_predict tokens. */
static int generate(const options *o, const hearth_model *m, hearth_ctx *c, hearth_sampler *s,
                    int *n_generated, double *ms) {
    const int32_t n_vocab = hearth_vocab_size(m);
    ru_stream out = {{0}, 0};
    double t0 = ru_now_ms();
    int status = 0;
    for (long i = 0; i < o->n_predict; i++) {
        int32_t tok;
        if (hearth_sampler_sample(s, hearth_ctx_logits(c, -1), n_vocab, &tok) != HEARTH_OK) {
            status = fail("sample");
            break;
        }
        if (hearth_token_is_eog(m, tok))
            break;
        if (o->ids)
            printf("%s%d", *n_generated ? " " : "", tok), fflush(stdout);
        else
            ru_stream_token(&out, stdout, m, tok);
        ++*n_generated;
        if (i + 1 == o->n_predict)
            break;
        hearth_status st = hearth_ctx_decode(c, &tok, 1);
        if (st == HEARTH_ERR_CONTEXT_FULL) {
            fprintf(stderr, "\nhearth-generate: context full (%d tokens); stopping\n",
                    *n_generated);
            break;
        }
        if (st != HEARTH_OK) {
            status = fail("decode");
            break;
        }
    }
    *ms = ru_now_ms() - t0;
    if (o->ids)
        printf("\n");
    else
        ru_stream_flush(&out, stdout);
    return status;
}

static void log_to_stderr(void *user, hearth_log_level level, const char *msg) {
    if (level >= HEARTH_LOG_INFO)
        fprintf(stderr, "hearth: %s\n", msg);
}

static int run(const options *o, hearth_model *m, const int32_t *toks, size_t n_prompt) {
    hearth_ctx_params cp = hearth_ctx_default_params();
    if (!ru_isa_from_env(&cp.isa))
        return 2;
    cp.n_ctx = (int32_t)o->n_ctx;
    cp.n_threads = (int32_t)o->n_threads;
    cp.ctx_shift = o->ctx_shift;
    cp.logits_all = o->dump_logits != NULL;
    cp.log_fn = log_to_stderr;
    hearth_ctx *c;
    if (hearth_ctx_create(m, &cp, &c) != HEARTH_OK)
        return fail("context");
    hearth_ctx_info info;
    hearth_ctx_info_get(c, &info);
    if (n_prompt > (size_t)info.n_ctx) {
        fprintf(stderr, "hearth-generate: the prompt has %zu tokens; the context holds %d\n",
                n_prompt, info.n_ctx);
        hearth_ctx_free(c);
        return 1;
    }
    if (o->dump_logits || o->ctx_shift) { /* logits_all needs the whole prompt in one batch */
        hearth_ctx_free(c);
        cp.n_ctx = info.n_ctx;
        cp.n_batch = o->dump_logits ? (int32_t)n_prompt : 0;
        long keep = o->n_keep >= 0 ? o->n_keep : (long)n_prompt;
        cp.n_keep = (int32_t)(keep < info.n_ctx / 2 || o->n_keep >= 0 ? keep : info.n_ctx / 2);
        if (hearth_ctx_create(m, &cp, &c) != HEARTH_OK)
            return fail("context");
    }
    hearth_sampler_params sp = o->sp;
    if (!o->seed_set)
        sp.seed = ru_random_seed();
    fprintf(stderr, "seed: %llu  isa: %s  threads: %d  n_ctx: %d\n", (unsigned long long)sp.seed,
            hearth_isa_name(info.isa), info.n_threads, info.n_ctx);
    hearth_sampler *s;
    if (hearth_sampler_create(&sp, &s) != HEARTH_OK) {
        hearth_ctx_free(c);
        return fail("sampler");
    }
    double t0 = ru_now_ms();
    int status = -1;
    if (hearth_ctx_decode(c, toks, (int32_t)n_prompt) != HEARTH_OK)
        status = fail("prompt");
    double pp_ms = ru_now_ms() - t0;
    if (status < 0 && o->dump_logits)
        status = dump_logits(o->dump_logits, c, n_prompt, hearth_vocab_size(m));
    if (status < 0 && o->dump_logits && !o->n_given)
        status = 0;
    int n_gen = 0;
    double tg_ms = 0.0;
    if (status < 0) {
        for (size_t i = 0; i < n_prompt; i++)
            hearth_sampler_accept(s, toks[i]);
        status = generate(o, m, c, s, &n_gen, &tg_ms);
        fprintf(stderr, "\nprompt: %zu tokens in %.1f ms (%.2f tokens/s)\n", n_prompt, pp_ms,
                n_prompt / (pp_ms / 1e3));
        fprintf(stderr, "generation: %d tokens in %.1f ms (%.2f tokens/s)\n", n_gen, tg_ms,
                n_gen > 0 && tg_ms > 0 ? n_gen / (tg_ms / 1e3) : 0.0);
    }
    hearth_sampler_free(s);
    hearth_ctx_free(c);
    return status;
}

int main(int argc, char **argv) {
    options o;
    int status = parse_args(argc, argv, &o);
    if (status >= 0)
        return status;
    double t0 = ru_now_ms();
    hearth_model *m;
    if (hearth_model_load(o.model, NULL, &m) != HEARTH_OK)
        return fail("load");
    hearth_model_info mi;
    hearth_model_info_get(m, &mi);
    fprintf(stderr, "loaded %s (%s, %lld params, %d layers, vocab %d) in %.1f ms\n", o.model,
            mi.arch, (long long)mi.n_params, mi.n_layer, mi.n_vocab, ru_now_ms() - t0);
    int32_t *toks = NULL;
    size_t n_prompt = 0;
    status = prompt_tokens(&o, m, &toks, &n_prompt);
    if (status < 0)
        status = run(&o, m, toks, n_prompt);
    free(toks);
    hearth_model_free(m);
    return status;
}
