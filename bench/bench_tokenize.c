/* bench_tokenize.c - hearth-bench-tokenize: tokenizer throughput per vocabulary type.
 *
 *   hearth-bench-tokenize [--json] [-r RUNS] [--text FILE] [--size BYTES] [MODEL.gguf ...]
 *
 * Tokenizes a text (default: /usr/share/common-licenses/GPL-3 repeated to
 * 1 MiB) with each model's tokenizer (default: the SentencePiece, byte-level
 * BPE and WordPiece vocabularies of ../shared/vocab) and reports MB/s as the
 * mean ± sd of RUNS timed runs after one warm-up (BENCH.md). Before timing,
 * byte-level BPE output is checked to detokenize back to the exact input.
 * Load time (vocab_only) is reported too. Uses only the public API.
 */
#include <math.h>   /* sqrt */
#include <stdio.h>  /* printf */
#include <stdlib.h> /* malloc, free, strtol */
#include <string.h> /* strcmp, memcmp */
#include <time.h>   /* clock_gettime */

#include "hearth.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *b = realloc(buf, cap *= 2);
            if (!b)
                free(buf);
            buf = b;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static const char *const default_models[] = {
    "../shared/vocab/ggml-vocab-llama-spm.gguf", "../shared/vocab/ggml-vocab-llama-bpe.gguf",
    "../shared/vocab/ggml-vocab-qwen2.gguf", "../shared/vocab/ggml-vocab-gpt-2.gguf",
    "../shared/vocab/ggml-vocab-bert-bge.gguf"};

int main(int argc, char **argv) {
    const char *text_path = "/usr/share/common-licenses/GPL-3";
    size_t size = 1 << 20;
    int runs = 5;
    bool json = false;
    const char *models[64];
    int n_models = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!strcmp(argv[i], "-r") && i + 1 < argc) {
            runs = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--text") && i + 1 < argc) {
            text_path = argv[++i];
        } else if (!strcmp(argv[i], "--size") && i + 1 < argc) {
            size = (size_t)strtoull(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: hearth-bench-tokenize [--json] [-r RUNS] [--text FILE] [--size BYTES] "
                   "[MODEL.gguf ...]\n");
            return 0;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "hearth-bench-tokenize: unknown option %s\n", argv[i]);
            return 2;
        } else if (n_models < 64) {
            models[n_models++] = argv[i];
        }
    }
    if (runs < 1 || size == 0) {
        fprintf(stderr, "hearth-bench-tokenize: need RUNS >= 1 and SIZE > 0\n");
        return 2;
    }
    if (n_models == 0)
        for (size_t k = 0; k < sizeof default_models / sizeof *default_models; k++)
            models[n_models++] = default_models[k];

    size_t src_len;
    char *src = read_file(text_path, &src_len);
    if (!src || src_len == 0) {
        fprintf(stderr, "hearth-bench-tokenize: cannot read %s\n", text_path);
        return 1;
    }
    char *text = malloc(size);
    for (size_t i = 0; text && i < size; i++)
        text[i] = src[i % src_len];
    free(src);
    if (!text)
        return 1;

    if (json)
        printf("[");
    else
        printf("| vocab | model | pre | load ms | tokens | MB/s | ms/run |\n"
               "|---|---|---|---:|---:|---:|---:|\n");
    int status = 0, printed = 0;
    for (int m = 0; m < n_models; m++) {
        hearth_model_params mp = hearth_model_default_params();
        mp.vocab_only = true;
        hearth_model *model;
        double t0 = now_s();
        if (hearth_model_load(models[m], &mp, &model) != HEARTH_OK) {
            fprintf(stderr, "skip %s: %s\n", models[m], hearth_last_error());
            continue;
        }
        double load_ms = (now_s() - t0) * 1e3;
        const hearth_gguf *g = hearth_model_gguf(model);
        const char *type = "?", *pre = "";
        hearth_gguf_get_str(g, "tokenizer.ggml.model", &type);
        if (hearth_gguf_find_key(g, "tokenizer.ggml.pre") >= 0)
            hearth_gguf_get_str(g, "tokenizer.ggml.pre", &pre);

        size_t n = 0;
        hearth_tokenize(model, text, size, false, false, NULL, 0, &n);
        int32_t *ids = malloc((n ? n : 1) * sizeof *ids);
        char *back = malloc(size + 1);
        if (!ids || !back || hearth_tokenize(model, text, size, false, false, ids, n, &n)) {
            fprintf(stderr, "%s: tokenize failed: %s\n", models[m], hearth_last_error());
            status = 1;
        } else if (!strcmp(type, "gpt2")) { /* lossless: check before timing */
            size_t bn;
            if (hearth_detokenize(model, ids, n, false, back, size + 1, &bn) != HEARTH_OK ||
                bn != size || memcmp(back, text, size) != 0) {
                fprintf(stderr, "%s: round trip FAILED; not timing it\n", models[m]);
                status = 1;
                n = 0;
            }
        }
        if (status == 0 && n > 0) {
            double sum = 0, sum2 = 0;
            for (int r = -1; r < runs; r++) { /* r = -1 is the warm-up */
                size_t k;
                double a = now_s();
                hearth_tokenize(model, text, size, false, false, ids, n, &k);
                double dt = now_s() - a;
                if (r >= 0) {
                    double mbs = (double)size / dt / 1e6;
                    sum += mbs;
                    sum2 += mbs * mbs;
                }
            }
            double mean = sum / runs, sd = sqrt(fmax(0.0, sum2 / runs - mean * mean));
            const char *name = strrchr(models[m], '/') ? strrchr(models[m], '/') + 1 : models[m];
            if (json)
                printf("%s\n  {\"vocab\": \"%s\", \"model\": \"%s\", \"pre\": \"%s\", "
                       "\"load_ms\": %.1f, \"bytes\": %zu, \"tokens\": %zu, \"mb_s\": %.3f, "
                       "\"stddev_mb_s\": %.3f}",
                       printed ? "," : "", name, type, pre, load_ms, size, n, mean, sd);
            else
                printf("| %s | %s | %s | %.1f | %zu | %.2f ± %.2f | %.1f |\n", name, type, pre,
                       load_ms, n, mean, sd, (double)size / mean / 1e3);
            printed++;
        }
        free(ids);
        free(back);
        hearth_model_free(model);
    }
    if (json)
        printf("\n]\n");
    free(text);
    return status;
}
