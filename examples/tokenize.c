/* tokenize.c - hearth-tokenize: text to token ids with a model's tokenizer.
 *
 *   hearth-tokenize -m MODEL.gguf [--ids] [--no-bos] [--special] (TEXT | -f FILE)
 *
 * Loads only the vocabulary (vocab_only), so it works on any architecture and
 * starts fast. Results go to stdout: one "ID -> 'piece'" line per token, or
 * with --ids a single line of space-separated ids. -f reads the file's bytes
 * exactly, up to EOF (pipes and /dev/stdin too); nothing is stripped.
 * Exit status: 0 success, 1 runtime failure, 2 usage error (CONVENTIONS §3).
 */
#include <stdio.h>  /* fprintf, fopen, fread */
#include <stdlib.h> /* malloc, realloc, free */
#include <string.h> /* strcmp, strlen */

#include "hearth.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: hearth-tokenize -m MODEL.gguf [--ids] [--no-bos] [--special] (TEXT | -f FILE)\n"
            "  -m, --model FILE  GGUF file (only its vocabulary is loaded)\n"
            "  -f, --file FILE   tokenize the bytes of FILE exactly (- or /dev/stdin: stdin)\n"
            "  --ids             print only the ids, space-separated, on one line\n"
            "  --no-bos          add no BOS/EOS or other special tokens\n"
            "  --special         parse control-token text (\"<|eot_id|>\") as those tokens\n"
            "  -h, --help        this help\n");
}

/* Reads a whole stream; NULL on failure. */
static char *read_all(FILE *f, size_t *len) {
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
        if (n == cap) {
            char *b = realloc(buf, cap * 2);
            if (!b) {
                free(buf);
                return NULL;
            }
            buf = b;
            cap *= 2;
        }
    }
    if (buf && ferror(f)) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static void log_to_stderr(void *user, hearth_log_level level, const char *msg) {
    (void)user;
    if (level >= HEARTH_LOG_WARN)
        fprintf(stderr, "hearth-tokenize: %s\n", msg);
}

int main(int argc, char **argv) {
    const char *model_path = NULL, *file = NULL, *text = NULL;
    bool ids_only = false, no_bos = false, special = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if ((!strcmp(a, "-m") || !strcmp(a, "--model")) && i + 1 < argc) {
            model_path = argv[++i];
        } else if ((!strcmp(a, "-f") || !strcmp(a, "--file")) && i + 1 < argc) {
            file = argv[++i];
        } else if (!strcmp(a, "--ids")) {
            ids_only = true;
        } else if (!strcmp(a, "--no-bos")) {
            no_bos = true;
        } else if (!strcmp(a, "--special")) {
            special = true;
        } else if (!strcmp(a, "--")) {
            if (i + 1 < argc && !text)
                text = argv[++i];
            if (i + 1 < argc) {
                usage(stderr);
                return 2;
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "hearth-tokenize: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        } else if (!text) {
            text = a;
        } else {
            fprintf(stderr, "hearth-tokenize: more than one TEXT argument\n");
            usage(stderr);
            return 2;
        }
    }
    if (!model_path || (!text == !file)) {
        fprintf(stderr, "hearth-tokenize: need -m MODEL and exactly one of TEXT or -f FILE\n");
        usage(stderr);
        return 2;
    }

    char *buf = NULL;
    size_t len = 0;
    if (file) {
        FILE *f = strcmp(file, "-") ? fopen(file, "rb") : stdin;
        if (!f) {
            perror(file);
            return 1;
        }
        buf = read_all(f, &len);
        if (f != stdin)
            fclose(f);
        if (!buf) {
            fprintf(stderr, "hearth-tokenize: cannot read %s\n", file);
            return 1;
        }
    } else {
        len = strlen(text);
    }

    hearth_model_params mp = hearth_model_default_params();
    mp.vocab_only = true;
    mp.log_fn = log_to_stderr;
    hearth_model *model;
    if (hearth_model_load(model_path, &mp, &model) != HEARTH_OK) {
        fprintf(stderr, "hearth-tokenize: %s\n", hearth_last_error());
        free(buf);
        return 1;
    }
    const char *src = file ? buf : text;
    size_t n = 0;
    hearth_status st = hearth_tokenize(model, src, len, !no_bos, special, NULL, 0, &n);
    int32_t *ids = NULL;
    if (st == HEARTH_ERR_BUFFER_TOO_SMALL || st == HEARTH_OK) {
        ids = malloc((n ? n : 1) * sizeof *ids);
        st = ids ? hearth_tokenize(model, src, len, !no_bos, special, ids, n, &n)
                 : HEARTH_ERR_NOMEM;
    }
    if (st != HEARTH_OK) {
        fprintf(stderr, "hearth-tokenize: %s\n", hearth_last_error());
        free(ids);
        free(buf);
        hearth_model_free(model);
        return 1;
    }
    if (ids_only) {
        for (size_t i = 0; i < n; i++)
            printf(i ? " %d" : "%d", (int)ids[i]);
        printf("\n");
    } else {
        char piece[256];
        for (size_t i = 0; i < n; i++) {
            size_t pl;
            printf("%6d -> '", (int)ids[i]);
            if (hearth_token_to_piece(model, ids[i], true, piece, sizeof piece, &pl) == HEARTH_OK)
                fwrite(piece, 1, pl, stdout);
            printf("'\n");
        }
    }
    free(ids);
    free(buf);
    hearth_model_free(model);
    return fflush(stdout) == 0 ? 0 : 1;
}
