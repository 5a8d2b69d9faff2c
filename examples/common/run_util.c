/* run_util.c - helpers shared by hearth-generate and hearth-chat (run_util.h). */
#include <stdlib.h> /* strtol, strtof, getenv */
#include <string.h> /* strcmp, memcpy */
#include <time.h>   /* clock_gettime */

#include "run_util.h"

double ru_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

bool ru_isa_from_env(hearth_isa *isa) {
    const char *name = getenv("HEARTH_ISA");
    *isa = HEARTH_ISA_AUTO;
    if (!name || !*name)
        return true;
    if (hearth_isa_from_name(name, isa) != HEARTH_OK) {
        fprintf(stderr, "HEARTH_ISA=%s: expected scalar, avx2, avx512, avx512vnni, neon or "
                        "neon-dotprod\n", name);
        return false;
    }
    return true;
}

uint64_t ru_random_seed(void) {
    uint64_t seed = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    if (f) {
        if (fread(&seed, sizeof seed, 1, f) != 1)
            seed = 0;
        fclose(f);
    }
    if (!seed) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20);
    }
    return seed & 0xffffffffull; /* short enough to type back in */
}

const char ru_sampling_help[] =
    "  -s, --seed N             RNG seed (default: random, printed on stderr)\n"
    "  --temp T                 temperature (default 0.8; 0 = greedy)\n"
    "  --greedy                 always take the most likely token (same as --temp 0)\n"
    "  --top-k K                keep the K most likely tokens (default 40; 0 = off)\n"
    "  --top-p P                nucleus sampling (default 0.95; 1 = off)\n"
    "  --min-p P                drop tokens below P x the top probability (default 0.05)\n"
    "  --repeat-penalty F       penalise recent tokens (default 1.0 = off)\n"
    "  --repeat-last-n N        tokens the penalties look back over (default 64)\n"
    "  --frequency-penalty F    (default 0)\n"
    "  --presence-penalty F     (default 0)\n";

static bool parse_float(const char *flag, const char *s, float *out) {
    char *end;
    *out = s ? strtof(s, &end) : 0.0f;
    if (!s || !*s || *end) {
        fprintf(stderr, "%s: expected a number, got '%s'\n", flag, s ? s : "");
        return false;
    }
    return true;
}

static bool parse_int(const char *flag, const char *s, long long *out) {
    char *end;
    *out = s ? strtoll(s, &end, 10) : 0;
    if (!s || !*s || *end) {
        fprintf(stderr, "%s: expected an integer, got '%s'\n", flag, s ? s : "");
        return false;
    }
    return true;
}

int ru_parse_sampling_flag(int argc, char **argv, int *i, hearth_sampler_params *sp,
                           bool *seed_set) {
    const char *a = argv[*i];
    const char *val = *i + 1 < argc ? argv[*i + 1] : NULL;
    long long n;
    if (!strcmp(a, "--greedy")) {
        sp->temperature = 0.0f;
        return 1;
    }
    float *ftarget = !strcmp(a, "--temp")                ? &sp->temperature
                     : !strcmp(a, "--top-p")             ? &sp->top_p
                     : !strcmp(a, "--min-p")             ? &sp->min_p
                     : !strcmp(a, "--repeat-penalty")    ? &sp->repeat_penalty
                     : !strcmp(a, "--frequency-penalty") ? &sp->frequency_penalty
                     : !strcmp(a, "--presence-penalty")  ? &sp->presence_penalty
                                                         : NULL;
    if (ftarget) {
        (*i)++;
        return parse_float(a, val, ftarget) ? 1 : -1;
    }
    if (!strcmp(a, "--top-k") || !strcmp(a, "--repeat-last-n")) {
        (*i)++;
        if (!parse_int(a, val, &n) || n < -1 || n > 1 << 30)
            return -1;
        *(!strcmp(a, "--top-k") ? &sp->top_k : &sp->penalty_last_n) = (int32_t)n;
        return 1;
    }
    if (!strcmp(a, "-s") || !strcmp(a, "--seed")) {
        (*i)++;
        if (!parse_int(a, val, &n) || n < 0)
            return -1;
        sp->seed = (uint64_t)n;
        *seed_set = true;
        return 1;
    }
    return 0;
}

void ru_stream_put(ru_stream *s, FILE *f, const char *bytes, size_t n) {
    char buf[256];
    while (n > 0) {
        /* Join what is held with as much new text as fits, write the complete
         * characters, hold the incomplete tail (at most 3 bytes). */
        size_t take = n < sizeof buf - s->n_pending ? n : sizeof buf - s->n_pending;
        memcpy(buf, s->pending, s->n_pending);
        memcpy(buf + s->n_pending, bytes, take);
        size_t total = s->n_pending + take;
        size_t done = hearth_utf8_complete_len(buf, total);
        fwrite(buf, 1, done, f);
        s->n_pending = total - done;
        memcpy(s->pending, buf + done, s->n_pending);
        bytes += take;
        n -= take;
    }
    fflush(f);
}

void ru_stream_flush(ru_stream *s, FILE *f) {
    fwrite(s->pending, 1, s->n_pending, f);
    s->n_pending = 0;
    fflush(f);
}

void ru_stream_token(ru_stream *s, FILE *f, const hearth_model *m, int32_t token) {
    char piece[256];
    size_t n = 0;
    hearth_status st = hearth_token_to_piece(m, token, false, piece, sizeof piece, &n);
    if (st == HEARTH_OK) {
        ru_stream_put(s, f, piece, n);
    } else if (st == HEARTH_ERR_BUFFER_TOO_SMALL) { /* a rare long piece */
        char *big = malloc(n);
        if (big && hearth_token_to_piece(m, token, false, big, n, &n) == HEARTH_OK)
            ru_stream_put(s, f, big, n);
        free(big);
    }
}
