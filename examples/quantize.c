/* quantize.c - hearth-quantize: convert an F32/F16/BF16 GGUF model to a
 * llama-quantize preset (Q4_K_M, Q8_0, IQ4_XS, ...).
 *
 *     hearth-quantize [-t N] [-v] IN.gguf OUT.gguf TYPE [NTHREADS]
 *
 * A thin program over hearth_quantize_file(): it parses arguments, draws the
 * progress bar on a terminal from the library's per-tensor log messages, and
 * prints the resulting type mix. Everything goes to stderr (the result is the
 * file); exit 0 on success, 1 on a runtime failure, 2 on a usage error.
 */
#include <errno.h>   /* strtol range errors */
#include <stdio.h>   /* fprintf */
#include <stdlib.h>  /* strtol */
#include <string.h>  /* strcmp */
#include <unistd.h>  /* isatty */

#include "hearth.h"

static void usage(FILE *f, const char *prog) {
    fprintf(f,
            "usage: %s [options] IN.gguf OUT.gguf TYPE [NTHREADS]\n"
            "\n"
            "Converts an F32/F16/BF16 GGUF model. TYPE names a llama-quantize preset and\n"
            "gives every tensor the type that tool gives it (case-insensitive; Q3_K, Q4_K\n"
            "and Q5_K mean the _M presets):\n\n",
            prog);
    hearth_quantize_preset p;
    for (int32_t i = 0; hearth_quantize_preset_at(i, &p); i++)
        fprintf(f, "  %-7s %s\n", p.name, p.description);
    fprintf(f,
            "\noptions:\n"
            "  -t, --threads N  threads that quantize (default: physical cores)\n"
            "  -v, --verbose    one line per tensor instead of a progress bar\n"
            "  -q, --quiet      no progress and no summary\n"
            "  -h, --help       this text\n");
}

/* ==== Progress ============================================================ */

typedef struct progress {
    bool bar;     /* stderr is a terminal: redraw one line */
    bool verbose; /* print every tensor line */
    bool quiet;
    bool drawn;   /* a bar is on the current line */
} progress;

static void clear_bar(progress *p) {
    if (p->drawn)
        fputs("\r\033[K", stderr);
    p->drawn = false;
}

static void draw_bar(progress *p, long long i, long long n, double pct, const char *rest) {
    enum { WIDTH = 30 };
    int filled = (int)(pct / 100.0 * WIDTH + 0.5);
    char bar[WIDTH + 1];
    for (int k = 0; k < WIDTH; k++)
        bar[k] = k < filled ? '#' : '.';
    bar[WIDTH] = '\0';
    /* The tensor name is clipped so the line never wraps on an 80-column terminal. */
    char name[33];
    snprintf(name, sizeof name, "%s", rest);
    char *space = strchr(name, ' ');
    if (space)
        *space = '\0';
    fprintf(stderr, "\r\033[K[%s] %5.1f%% %lld/%lld %s", bar, pct, i, n, name);
    fflush(stderr);
    p->drawn = true;
}

/* The library's log callback: "[i/n] p% name SRC -> DST [shape]" lines are
 * progress (INFO when tensor i is done, DEBUG while it is being written);
 * everything else is printed as it is. */
static void on_log(void *user, hearth_log_level level, const char *msg) {
    progress *p = user;
    long long i, n;
    double pct;
    int used = 0;
    if (sscanf(msg, "[%lld/%lld] %lf%%%n", &i, &n, &pct, &used) == 3 && used > 0) {
        /* DEBUG ones come while a large tensor is under way: bar only. */
        if (p->verbose && level >= HEARTH_LOG_INFO) {
            clear_bar(p);
            fprintf(stderr, "%s\n", msg);
        } else if (p->bar) {
            draw_bar(p, i, n, pct, msg + used + (msg[used] == ' '));
        }
        return;
    }
    if (p->quiet && level < HEARTH_LOG_WARN)
        return;
    clear_bar(p);
    fprintf(stderr, "%s%s\n", level >= HEARTH_LOG_WARN ? "warning: " : "", msg);
}

/* "5 F32, 13 Q4_K, 3 Q6_K" of the written file. */
static void print_type_mix(const char *path) {
    hearth_gguf *g = NULL;
    if (hearth_gguf_open(path, NULL, &g) != HEARTH_OK) {
        fprintf(stderr, "hearth-quantize: cannot reopen %s: %s\n", path, hearth_last_error());
        return;
    }
    enum { MAX_TYPE = 64 };
    long long count[MAX_TYPE] = {0};
    for (int64_t i = 0; i < hearth_gguf_n_tensors(g); i++) {
        uint32_t t = hearth_gguf_tensor_at(g, i)->type;
        if (t < MAX_TYPE)
            count[t]++;
    }
    fprintf(stderr, "tensor types:");
    const char *sep = " ";
    for (uint32_t t = 0; t < MAX_TYPE; t++)
        if (count[t]) {
            fprintf(stderr, "%s%lld %s", sep, count[t], hearth_type_name(t));
            sep = ", ";
        }
    fprintf(stderr, "\n");
    hearth_gguf_close(g);
}

/* ==== Main ================================================================ */

static bool parse_threads(const char *s, int32_t *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > 4096)
        return false;
    *out = (int32_t)v;
    return true;
}

int main(int argc, char **argv) {
    const char *prog = "hearth-quantize";
    const char *pos[4];
    int n_pos = 0;
    progress prog_state = {.bar = isatty(2) != 0};
    hearth_quantize_params params = hearth_quantize_default_params();

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout, prog);
            return 0;
        } else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) {
            if (i + 1 >= argc || !parse_threads(argv[++i], &params.n_threads)) {
                fprintf(stderr, "%s: %s needs a thread count (1..4096)\n", prog, a);
                return 2;
            }
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            prog_state.verbose = true;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            prog_state.quiet = true;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "%s: unknown option %s (see --help)\n", prog, a);
            return 2;
        } else if (n_pos < 4) {
            pos[n_pos++] = a;
        } else {
            fprintf(stderr, "%s: too many arguments (see --help)\n", prog);
            return 2;
        }
    }
    if (n_pos < 3) {
        usage(stderr, prog);
        return 2;
    }
    /* llama-quantize takes the thread count as an optional last argument. */
    if (n_pos == 4 && !parse_threads(pos[3], &params.n_threads)) {
        fprintf(stderr, "%s: NTHREADS '%s' is not a count in 1..4096\n", prog, pos[3]);
        return 2;
    }
    hearth_quantize_preset preset;
    if (hearth_quantize_preset_find(pos[2], &preset) != HEARTH_OK) {
        fprintf(stderr, "%s: %s\n", prog, hearth_last_error());
        return 2;
    }

    if (prog_state.quiet)
        prog_state.bar = prog_state.verbose = false;
    params.progress = prog_state.bar || prog_state.verbose;
    params.log_fn = on_log;
    params.log_user = &prog_state;

    hearth_status st = hearth_quantize_file(pos[0], pos[1], preset.name, &params);
    clear_bar(&prog_state);
    if (st != HEARTH_OK) {
        fprintf(stderr, "%s: %s: %s\n", prog, hearth_status_str(st), hearth_last_error());
        return 1;
    }
    if (!prog_state.quiet) {
        fprintf(stderr, "wrote %s (%s, general.file_type %u)\n", pos[1], preset.name,
                preset.file_type);
        print_type_mix(pos[1]);
    }
    return 0;
}
