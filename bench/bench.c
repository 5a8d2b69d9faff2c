/* bench.c - hearth-bench: prompt-processing (pp) and token-generation (tg)
 * speed of GGUF models through the public API, next to the physical limits
 * measured in the same run (../shared/docs/BENCH.md): tg as % of the read
 * bandwidth limit, pp as % of the peak arithmetic rate. Also load time, time to
 * first token and peak RSS. Markdown by default; --json prints llama-bench's
 * field names (CONVENTIONS §3) so that the same scripts read both tools.
 * Without -m it benchmarks a synthetic TinyLlama-shaped Q4_0 model that it
 * writes once under build/bench-models/.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hearth.h"
#include "common/roofline.h"
#include "common/synth_model.h"

enum { MAX_LIST = 16, MAX_MODELS = 16 };
#define READ_BUFFER_BYTES ((size_t)512 << 20) /* 16x a 32 MiB L3 */

typedef struct options {
    const char *models[MAX_MODELS];
    int n_models;
    char *model_list; /* strdup of the -m argument the names point into */
    int prompts[MAX_LIST], n_prompts;
    int gens[MAX_LIST], n_gens;
    int threads[MAX_LIST], n_threads;
    int reps;
    int json;
    int pin;
    int no_hugepages; /* hearth_model_params.hugepage_weights = false */
    hearth_isa isa;
    size_t read_bytes;       /* buffer of the bandwidth loop (--read-mib) */
    const char *write_model; /* --write-model PATH: write a synthetic model and exit */
    uint32_t write_type;
} options;

/* One test's timings: per repetition, the seconds for the whole test and for
 * the first token (TTFT). */
typedef struct samples {
    double secs[64];
    double first[64];
    int n;
} samples;

/* What the limits need to know about a model, read from its GGUF tensors. */
typedef struct model_facts {
    uint64_t file_bytes;        /* all weight tensors */
    uint64_t static_read_bytes; /* read per generated token, KV cache excluded */
    double matmul_params;       /* weights that take part in matmuls (token_embd excluded
                                   unless it is the output matrix) */
    uint32_t main_type;         /* type holding most weight bytes */
    int64_t n_params;
    double n_embd, n_layer;
    char type_name[32];         /* "Q4_0", "Q4_K_M" ... from general.file_type */
} model_facts;

typedef struct result_row {
    const char *model;
    const model_facts *facts;
    int n_threads, n_prompt, n_gen, n_batch;
    samples s;
    double limit_ts;      /* tokens/s at 100 % of the limit */
    double limit_rate;    /* GB/s or GOP/s the limit was computed from */
    double bytes_per_tok; /* tg: average bytes read per token */
    double load_ms;
    uint64_t peak_rss;
    const char *isa;
} result_row;

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: hearth-bench [-m MODEL[,MODEL...]] [-p N[,N...]] [-n N[,N...]]\n"
            "                    [-t N[,N...]] [-r REPS] [--json | -o json | -o md] [--pin]\n"
            "                    [--no-hugepages]\n"
            "       hearth-bench --write-model PATH [--type Q4_0|Q8_0|F16|F32]\n"
            "  -m    GGUF models (default: synthetic TinyLlama-shaped Q4_0, written once\n"
            "        under build/bench-models/)\n"
            "  -p    prompt lengths for pp tests (default 512; 0 skips)\n"
            "  -n    generated tokens for tg tests (default 128; 0 skips)\n"
            "  -t    thread counts (default and 0: physical cores)\n"
            "  -r    repetitions after one warm-up run (default 5)\n"
            "  --pin pin worker threads to cores\n"
            "  --no-hugepages  read the weights in place (no move into huge pages)\n"
            "  --read-mib N  buffer of the read-bandwidth loop (default 512; keep it >> L3)\n"
            "  HEARTH_ISA=scalar|avx2|avx512|avx512vnni forces a kernel tier\n"
            "Results on stdout; progress and limits on stderr.\n");
}

static int parse_int_list(const char *s, int *out, int max, int min_value) {
    int n = 0;
    while (*s) {
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (end == s || errno || v < min_value || v > INT_MAX / 2 || n == max)
            return -1;
        out[n++] = (int)v;
        if (*end == ',')
            end++;
        else if (*end)
            return -1;
        s = end;
    }
    return n;
}

/* 0 ok, 2 usage error, 3 help printed. */
static int parse_args(int argc, char **argv, options *o) {
    memset(o, 0, sizeof *o);
    o->prompts[0] = 512, o->n_prompts = 1;
    o->gens[0] = 128, o->n_gens = 1;
    o->reps = 5;
    o->write_type = 2;
    o->read_bytes = READ_BUFFER_BYTES;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 3;
        } else if (!strcmp(a, "--json")) {
            o->json = 1;
        } else if (!strcmp(a, "--md")) {
            o->json = 0;
        } else if (!strcmp(a, "--pin")) {
            o->pin = 1;
        } else if (!strcmp(a, "--no-hugepages")) {
            o->no_hugepages = 1;
        } else if (!v) {
            fprintf(stderr, "hearth-bench: %s needs a value\n", a);
            return 2;
        } else if (!strcmp(a, "-o")) {
            if (strcmp(v, "json") && strcmp(v, "md")) {
                fprintf(stderr, "hearth-bench: -o takes json or md\n");
                return 2;
            }
            o->json = !strcmp(v, "json");
            i++;
        } else if (!strcmp(a, "-m")) {
            free(o->model_list);
            o->n_models = 0;
            char *copy = o->model_list = strdup(v), *save = NULL;
            if (!copy) {
                fprintf(stderr, "hearth-bench: out of memory\n");
                return 2;
            }
            for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (o->n_models == MAX_MODELS) {
                    fprintf(stderr, "hearth-bench: at most %d models\n", MAX_MODELS);
                    return 2;
                }
                o->models[o->n_models++] = t; /* points into o->model_list */
            }
            i++;
        } else if (!strcmp(a, "-p") || !strcmp(a, "-n") || !strcmp(a, "-t")) {
            int *list = a[1] == 'p' ? o->prompts : a[1] == 'n' ? o->gens : o->threads;
            int *count = a[1] == 'p' ? &o->n_prompts : a[1] == 'n' ? &o->n_gens : &o->n_threads;
            *count = parse_int_list(v, list, MAX_LIST, 0);
            if (*count <= 0) {
                fprintf(stderr, "hearth-bench: bad list for %s: '%s'\n", a, v);
                return 2;
            }
            i++;
        } else if (!strcmp(a, "-r")) {
            char *end;
            long r = strtol(v, &end, 10);
            if (*end || r < 1 || r > 64) {
                fprintf(stderr, "hearth-bench: -r takes 1..64\n");
                return 2;
            }
            o->reps = (int)r;
            i++;
        } else if (!strcmp(a, "--read-mib")) {
            char *end;
            long mib = strtol(v, &end, 10);
            if (*end || mib < 8 || mib > 65536) {
                fprintf(stderr, "hearth-bench: --read-mib takes 8..65536\n");
                return 2;
            }
            o->read_bytes = (size_t)mib << 20;
            i++;
        } else if (!strcmp(a, "--write-model")) {
            o->write_model = v;
            i++;
        } else if (!strcmp(a, "--type")) {
            if (hearth_type_from_name(v, &o->write_type) != HEARTH_OK ||
                (o->write_type != 0 && o->write_type != 1 && o->write_type != 2 &&
                 o->write_type != 8)) {
                fprintf(stderr, "hearth-bench: --type takes Q4_0, Q8_0, F16 or F32\n");
                return 2;
            }
            i++;
        } else {
            fprintf(stderr, "hearth-bench: unknown argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (o->n_threads == 0) { /* 0: the library's default (physical cores) */
        o->threads[0] = 0;
        o->n_threads = 1;
    }
    const char *isa = getenv("HEARTH_ISA");
    if (isa && *isa && hearth_isa_from_name(isa, &o->isa) != HEARTH_OK) {
        fprintf(stderr, "hearth-bench: HEARTH_ISA='%s' is not a tier name\n", isa);
        return 2;
    }
    return 0;
}

/* ---- Model facts ---------------------------------------------------------- */

static const char *file_type_name(uint32_t ft) {
    static const char *names[] = {
        [0] = "F32",     [1] = "F16",     [2] = "Q4_0",    [3] = "Q4_1",   [7] = "Q8_0",
        [8] = "Q5_0",    [9] = "Q5_1",    [10] = "Q2_K",   [11] = "Q3_K_S", [12] = "Q3_K_M",
        [13] = "Q3_K_L", [14] = "Q4_K_S", [15] = "Q4_K_M", [16] = "Q5_K_S", [17] = "Q5_K_M",
        [18] = "Q6_K",   [25] = "IQ4_NL", [30] = "IQ4_XS", [32] = "BF16",
    };
    if (ft < sizeof names / sizeof names[0] && names[ft])
        return names[ft];
    return NULL;
}

static void read_model_facts(const hearth_model *model, model_facts *f) {
    memset(f, 0, sizeof *f);
    const hearth_gguf *g = hearth_model_gguf(model);
    int64_t n = hearth_gguf_n_tensors(g);
    const hearth_gguf_tensor *embd = hearth_gguf_find_tensor(g, "token_embd.weight");
    bool tied = hearth_gguf_find_tensor(g, "output.weight") == NULL;
    uint64_t bytes_by_type[64] = {0};
    for (int64_t i = 0; i < n; i++) {
        const hearth_gguf_tensor *t = hearth_gguf_tensor_at(g, i);
        int64_t count = t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3];
        f->file_bytes += t->n_bytes;
        f->n_params += count;
        if (t->type < 64)
            bytes_by_type[t->type] += t->n_bytes;
        if (t == embd)
            continue;
        f->static_read_bytes += t->n_bytes;
        if (t->n_dims >= 2)
            f->matmul_params += (double)count;
    }
    if (embd) {
        int64_t rows = embd->ne[1] > 0 ? embd->ne[1] : 1;
        f->static_read_bytes += embd->n_bytes / (uint64_t)rows; /* the looked-up row */
        if (tied) {
            f->static_read_bytes += embd->n_bytes; /* read again as the output matrix */
            f->matmul_params += (double)(embd->ne[0] * embd->ne[1]);
        }
    }
    for (uint32_t t = 0; t < 64; t++)
        if (bytes_by_type[t] > bytes_by_type[f->main_type])
            f->main_type = t;
    uint32_t ft;
    const char *name = NULL;
    if (hearth_gguf_get_u32(g, "general.file_type", &ft) == HEARTH_OK)
        name = file_type_name(ft);
    snprintf(f->type_name, sizeof f->type_name, "%s", name ? name : hearth_type_name(f->main_type));
}

/* Float weight types run on the FMA units; quantized ones on the int8 dot units. */
static bool is_float_type(uint32_t type) { return type == 0 || type == 1 || type == 30; }

/* ---- Process memory ------------------------------------------------------- */

static uint64_t proc_status_kb(const char *key) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    char line[256];
    uint64_t kb = 0;
    size_t klen = strlen(key);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, klen) && line[klen] == ':') {
            kb = strtoull(line + klen + 1, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

/* Resets the peak-RSS counter (VmHWM) so that each model reports its own peak. */
static void reset_peak_rss(void) {
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

/* ---- Running tests -------------------------------------------------------- */

static int32_t argmax(const float *x, int32_t n) {
    int32_t best = 0;
    for (int32_t i = 1; i < n; i++)
        if (x[i] > x[best])
            best = i;
    return best;
}

static int fail(const char *what, hearth_status st) {
    fprintf(stderr, "hearth-bench: %s: %s (%s)\n", what, hearth_status_str(st),
            hearth_last_error());
    return 1;
}

/* One prompt of n tokens into an empty context; returns seconds, or < 0 on failure.
 * *first = seconds until the first generated token is chosen (prefill + argmax). */
static double run_pp(hearth_ctx *ctx, const int32_t *tokens, int n, int32_t n_vocab,
                     double *first) {
    if (hearth_ctx_reset(ctx) != HEARTH_OK)
        return -1;
    double t0 = now_seconds();
    hearth_status st = hearth_ctx_decode(ctx, tokens, n);
    if (st != HEARTH_OK)
        return fail("prompt decode", st), -1;
    volatile int32_t next = argmax(hearth_ctx_logits(ctx, -1), n_vocab);
    (void)next;
    double dt = now_seconds() - t0;
    *first = dt;
    return dt;
}

/* n single-token decodes from an empty context, each fed the previous argmax. */
static double run_tg(hearth_ctx *ctx, int32_t first_token, int n, int32_t n_vocab,
                     double *first) {
    if (hearth_ctx_reset(ctx) != HEARTH_OK)
        return -1;
    int32_t tok = first_token;
    double t0 = now_seconds();
    for (int i = 0; i < n; i++) {
        hearth_status st = hearth_ctx_decode(ctx, &tok, 1);
        if (st != HEARTH_OK)
            return fail("token decode", st), -1;
        tok = argmax(hearth_ctx_logits(ctx, -1), n_vocab);
        if (i == 0)
            *first = now_seconds() - t0;
    }
    return now_seconds() - t0;
}

static void mean_sd(const double *x, int n, double *mean, double *sd) {
    double m = 0, v = 0;
    for (int i = 0; i < n; i++)
        m += x[i];
    m /= n > 0 ? n : 1;
    for (int i = 0; i < n; i++)
        v += (x[i] - m) * (x[i] - m);
    *mean = m;
    *sd = n > 1 ? sqrt(v / (n - 1)) : 0;
}

/* Tokens/s of each repetition. */
static void rates(const result_row *r, double *ts) {
    int tokens = r->n_prompt + r->n_gen;
    for (int i = 0; i < r->s.n; i++)
        ts[i] = tokens / r->s.secs[i];
}

/* ---- Output --------------------------------------------------------------- */

static void cpu_name(char *buf, size_t size) {
    snprintf(buf, size, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "model name", 10)) {
            char *p = strchr(line, ':');
            if (p) {
                p += 1 + (p[1] == ' ');
                p[strcspn(p, "\n")] = 0;
                snprintf(buf, size, "%s", p);
            }
            break;
        }
    fclose(f);
}

static void json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static double row_pct(const result_row *r, double avg_ts) {
    return r->limit_ts > 0 ? 100.0 * avg_ts / r->limit_ts : 0;
}

static void print_json(const result_row *rows, int n_rows, const char *test_time) {
    char cpu[256];
    cpu_name(cpu, sizeof cpu);
    printf("[\n");
    for (int k = 0; k < n_rows; k++) {
        const result_row *r = &rows[k];
        double ts[64], ns[64], avg_ts, sd_ts, avg_ns, sd_ns, ttft, ttft_sd;
        rates(r, ts);
        for (int i = 0; i < r->s.n; i++)
            ns[i] = r->s.secs[i] * 1e9;
        mean_sd(ts, r->s.n, &avg_ts, &sd_ts);
        mean_sd(ns, r->s.n, &avg_ns, &sd_ns);
        mean_sd(r->s.first, r->s.n, &ttft, &ttft_sd);
        char model_type[96];
        snprintf(model_type, sizeof model_type, "llama %.1fB %s", (double)r->facts->n_params * 1e-9,
                 r->facts->type_name);
        printf("  {\n    \"build_commit\": ");
        json_string(stdout, hearth_version_string());
        printf(",\n    \"build_number\": %u,\n    \"cpu_info\": ", hearth_version_number());
        json_string(stdout, cpu);
        printf(",\n    \"gpu_info\": \"\",\n    \"backends\": \"CPU\",\n    \"model_filename\": ");
        json_string(stdout, r->model);
        printf(",\n    \"model_type\": ");
        json_string(stdout, model_type);
        printf(",\n    \"model_size\": %llu,\n    \"model_n_params\": %lld,\n",
               (unsigned long long)r->facts->file_bytes, (long long)r->facts->n_params);
        printf("    \"n_batch\": %d,\n    \"n_ubatch\": %d,\n    \"n_threads\": %d,\n", r->n_batch,
               r->n_batch, r->n_threads);
        printf("    \"type_k\": \"f16\",\n    \"type_v\": \"f16\",\n    \"n_gpu_layers\": 0,\n");
        printf("    \"use_mmap\": true,\n    \"embeddings\": false,\n");
        printf("    \"n_prompt\": %d,\n    \"n_gen\": %d,\n    \"test_time\": \"%s\",\n",
               r->n_prompt, r->n_gen, test_time);
        printf("    \"avg_ns\": %.0f,\n    \"stddev_ns\": %.0f,\n", avg_ns, sd_ns);
        printf("    \"avg_ts\": %.6f,\n    \"stddev_ts\": %.6f,\n", avg_ts, sd_ts);
        printf("    \"roofline_pct\": %.2f,\n    \"limit_ts\": %.3f,\n", row_pct(r, avg_ts),
               r->limit_ts);
        printf("    \"limit_kind\": \"%s\",\n    \"limit_rate\": %.2f,\n",
               r->n_gen ? "read_gbs" : (is_float_type(r->facts->main_type) ? "fma_gflops"
                                                                           : "int8_gops"),
               r->limit_rate);
        if (r->n_gen)
            printf("    \"bytes_per_token\": %.0f,\n", r->bytes_per_tok);
        printf("    \"ttft_ms\": %.3f,\n    \"peak_rss_bytes\": %llu,\n", ttft * 1e3,
               (unsigned long long)r->peak_rss);
        printf("    \"load_ms\": %.3f,\n    \"isa\": \"%s\",\n", r->load_ms, r->isa);
        printf("    \"samples_ns\": [ ");
        for (int i = 0; i < r->s.n; i++)
            printf("%s%.0f", i ? ", " : "", ns[i]);
        printf(" ],\n    \"samples_ts\": [ ");
        for (int i = 0; i < r->s.n; i++)
            printf("%s%.6f", i ? ", " : "", ts[i]);
        printf(" ]\n  }%s\n", k + 1 < n_rows ? "," : "");
    }
    printf("]\n");
}

static void print_markdown(const result_row *rows, int n_rows) {
    printf("| model | size | params | threads | isa | test | t/s | %% of limit | TTFT ms "
           "| load ms | peak RSS MiB |\n");
    printf("|---|---:|---:|---:|---|---|---:|---:|---:|---:|---:|\n");
    for (int k = 0; k < n_rows; k++) {
        const result_row *r = &rows[k];
        double ts[64], avg_ts, sd_ts, ttft, ttft_sd;
        rates(r, ts);
        mean_sd(ts, r->s.n, &avg_ts, &sd_ts);
        mean_sd(r->s.first, r->s.n, &ttft, &ttft_sd);
        const char *base = strrchr(r->model, '/');
        base = base ? base + 1 : r->model;
        char test[32];
        if (r->n_prompt)
            snprintf(test, sizeof test, "pp%d", r->n_prompt);
        else
            snprintf(test, sizeof test, "tg%d", r->n_gen);
        printf("| %s %s | %.1f MiB | %.2f B | %d | %s | %s | %.2f ± %.2f | %.1f %% | %.1f | %.1f "
               "| %.0f |\n",
               base, r->facts->type_name, (double)r->facts->file_bytes / 1048576.0,
               (double)r->facts->n_params * 1e-9, r->n_threads, r->isa, test, avg_ts, sd_ts,
               row_pct(r, avg_ts), ttft * 1e3, r->load_ms, (double)r->peak_rss / 1048576.0);
    }
}

/* ---- Default model -------------------------------------------------------- */

/* build/bench-models/ next to the build/bin/ this program runs from. */
static int default_model_path(char *buf, size_t size) {
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return -1;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash)
        return -1;
    *slash = 0; /* .../build/bin */
    snprintf(buf, size, "%s/../bench-models", exe);
    mkdir(buf, 0755);
    snprintf(buf, size, "%s/../bench-models/tinyllama-synthetic-q4_0.gguf", exe);
    return 0;
}

static int ensure_default_model(char *path, size_t size) {
    if (default_model_path(path, size) != 0) {
        fprintf(stderr, "hearth-bench: cannot locate build/ for the default model\n");
        return 1;
    }
    struct stat sb;
    if (stat(path, &sb) == 0)
        return 0;
    fprintf(stderr, "hearth-bench: writing the synthetic TinyLlama-shaped Q4_0 model (once)\n");
    synth_shape shape = synth_tinyllama_shape();
    hearth_status st = synth_write_llama(path, &shape, 2, 42, isatty(2));
    return st == HEARTH_OK ? 0 : fail("writing the default model", st);
}

/* ---- Main ----------------------------------------------------------------- */

typedef struct thread_limits {
    int n_threads;
    roofline_limits lim;
} thread_limits;

/* Runs every test of one model; appends rows. Returns 0 or 1 (failure). */
/* The limits at n_threads, measured the first time that count is seen. */
static const roofline_limits *limits_for(thread_limits *limits, int *n_limits, int n_threads,
                                         size_t read_bytes) {
    for (int i = 0; i < *n_limits; i++)
        if (limits[i].n_threads == n_threads)
            return &limits[i].lim;
    thread_limits *l = &limits[(*n_limits)++];
    l->n_threads = n_threads;
    roofline_measure(&l->lim, n_threads, read_bytes, 1);
    /* The read buffer is gone: restart the peak-RSS count from what the model holds. */
    reset_peak_rss();
    return &l->lim;
}

static int bench_model(const options *o, const char *path, thread_limits *limits, int *n_limits,
                       result_row *rows, int *n_rows, model_facts *facts) {
    reset_peak_rss();
    fprintf(stderr, "hearth-bench: loading %s\n", path);
    double t0 = now_seconds();
    hearth_model *model = NULL;
    hearth_model_params mp = hearth_model_default_params();
    mp.hugepage_weights = !o->no_hugepages;
    hearth_status st = hearth_model_load(path, &mp, &model);
    double load_ms = (now_seconds() - t0) * 1e3;
    if (st != HEARTH_OK)
        return fail(path, st);
    read_model_facts(model, facts);
    hearth_model_info mi;
    if (hearth_model_info_get(model, &mi) == HEARTH_OK) {
        facts->n_embd = mi.n_embd;
        facts->n_layer = mi.n_layer;
    }
    int32_t n_vocab = hearth_vocab_size(model);

    int max_p = 1, max_n = 1;
    for (int i = 0; i < o->n_prompts; i++)
        max_p = o->prompts[i] > max_p ? o->prompts[i] : max_p;
    for (int i = 0; i < o->n_gens; i++)
        max_n = o->gens[i] > max_n ? o->gens[i] : max_n;
    int32_t *tokens = malloc((size_t)max_p * sizeof *tokens);
    if (!tokens) {
        hearth_model_free(model);
        return fail("prompt", HEARTH_ERR_NOMEM);
    }
    /* Ordinary tokens past the specials and byte tokens of a SentencePiece vocab. */
    uint64_t x = 12345;
    for (int i = 0; i < max_p; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        int32_t lo = n_vocab > 1000 ? 300 : 0;
        tokens[i] = lo + (int32_t)((x >> 33) % (uint64_t)(n_vocab - lo));
    }

    int first_row = *n_rows, rc = 0;
    for (int ti = 0; ti < o->n_threads && rc == 0; ti++) {
        hearth_ctx_params cp = hearth_ctx_default_params();
        cp.n_ctx = (max_p > max_n ? max_p : max_n) + 8;
        cp.n_batch = max_p;
        cp.n_threads = o->threads[ti];
        cp.pin_threads = o->pin;
        cp.isa = o->isa;
        hearth_ctx *ctx = NULL;
        st = hearth_ctx_create(model, &cp, &ctx);
        if (st != HEARTH_OK) {
            rc = fail("context", st);
            break;
        }
        hearth_ctx_info info;
        hearth_ctx_info_get(ctx, &info);
        const roofline_limits *lim = limits_for(limits, n_limits, info.n_threads, o->read_bytes);
        double kv_per_token = info.n_ctx > 0 ? (double)info.kv_bytes / info.n_ctx : 0;
        const char *isa = hearth_isa_name(info.isa);

        for (int pass = 0; pass < 2 && rc == 0; pass++) {
            int count = pass == 0 ? o->n_prompts : o->n_gens;
            for (int k = 0; k < count && rc == 0; k++) {
                int n = pass == 0 ? o->prompts[k] : o->gens[k];
                if (n == 0)
                    continue;
                result_row *r = &rows[(*n_rows)++];
                memset(r, 0, sizeof *r);
                r->model = path;
                r->facts = facts;
                r->n_threads = info.n_threads;
                r->n_prompt = pass == 0 ? n : 0;
                r->n_gen = pass == 1 ? n : 0;
                r->n_batch = cp.n_batch;
                r->load_ms = load_ms;
                r->isa = isa;
                if (pass == 0) { /* compute-bound: ops per token vs the peak */
                    /* Matmuls, plus attention (q.k and p.v) at the mean context. */
                    double ops = 2.0 * facts->matmul_params +
                                 4.0 * facts->n_embd * facts->n_layer * (n + 1) / 2.0;
                    double peak = is_float_type(facts->main_type) ? lim->fma_gflops
                                                                  : lim->int8_gops;
                    r->limit_rate = peak;
                    r->limit_ts = ops > 0 ? peak * 1e9 / ops : 0;
                } else { /* memory-bound: bytes per token vs the read bandwidth */
                    r->bytes_per_tok = (double)facts->static_read_bytes +
                                       kv_per_token * (n + 1) / 2.0;
                    r->limit_rate = lim->read_gbs;
                    r->limit_ts = lim->read_gbs * 1e9 / r->bytes_per_tok;
                }
                double first, secs;
                for (int rep = -1; rep < o->reps && rc == 0; rep++) {
                    fprintf(stderr, "\rhearth-bench: %s %s%d t=%d %s %d/%d   ",
                            facts->type_name, pass == 0 ? "pp" : "tg", n, info.n_threads,
                            rep < 0 ? "warm-up" : "rep", rep < 0 ? 0 : rep + 1, o->reps);
                    secs = pass == 0 ? run_pp(ctx, tokens, n, n_vocab, &first)
                                     : run_tg(ctx, tokens[0], n, n_vocab, &first);
                    if (secs < 0)
                        rc = 1;
                    else if (rep >= 0) {
                        r->s.secs[r->s.n] = secs;
                        r->s.first[r->s.n] = first;
                        r->s.n++;
                    }
                }
                fprintf(stderr, "\n");
            }
        }
        hearth_ctx_free(ctx);
    }
    uint64_t peak = proc_status_kb("VmHWM") * 1024;
    for (int k = first_row; k < *n_rows; k++)
        rows[k].peak_rss = peak;
    free(tokens);
    hearth_model_free(model);
    return rc;
}

int main(int argc, char **argv) {
    options o;
    int prc = parse_args(argc, argv, &o);
    if (prc) {
        free(o.model_list);
        return prc == 3 ? 0 : prc;
    }
    if (o.write_model) {
        synth_shape shape = synth_tinyllama_shape();
        hearth_status st = synth_write_llama(o.write_model, &shape, o.write_type, 42, isatty(2));
        free(o.model_list);
        return st == HEARTH_OK ? 0 : fail(o.write_model, st);
    }
    static char default_path[PATH_MAX + 64];
    if (o.n_models == 0) {
        if (ensure_default_model(default_path, sizeof default_path))
            return 1;
        o.models[o.n_models++] = default_path;
    }
    /* Measured lazily, once per thread count actually used (0 = the library's default). */
    thread_limits limits[MAX_LIST];
    int n_limits = 0;

    char test_time[64];
    time_t now = time(NULL);
    strftime(test_time, sizeof test_time, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    int max_rows = o.n_models * o.n_threads * (o.n_prompts + o.n_gens);
    result_row *rows = calloc((size_t)max_rows, sizeof *rows);
    model_facts *facts = calloc((size_t)o.n_models, sizeof *facts);
    if (!rows || !facts) {
        free(rows);
        free(facts);
        free(o.model_list);
        return fail("results", HEARTH_ERR_NOMEM);
    }
    int n_rows = 0, rc = 0;
    for (int m = 0; m < o.n_models && rc == 0; m++)
        rc = bench_model(&o, o.models[m], limits, &n_limits, rows, &n_rows, &facts[m]);
    if (o.json)
        print_json(rows, n_rows, test_time);
    else {
        print_markdown(rows, n_rows);
        for (int i = 0; i < n_limits; i++)
            printf("\nLimits at %d thread%s: read %.1f GB/s (%s loop), f32 FMA %.0f GFLOP/s, "
                   "int8 dot %.0f GOP/s (%s).",
                   limits[i].n_threads, limits[i].n_threads == 1 ? "" : "s",
                   limits[i].lim.read_gbs, limits[i].lim.read_isa, limits[i].lim.fma_gflops,
                   limits[i].lim.int8_gops, limits[i].lim.int8_isa);
        printf("\n\ntg %% = t/s ÷ (read bandwidth ÷ bytes read per token); pp %% = t/s × 2 × "
               "matmul weights ÷ peak (int8 for quantized, FMA for float weights).\n");
    }
    free(rows);
    free(facts);
    free(o.model_list);
    return rc;
}
