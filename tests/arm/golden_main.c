/* golden_main.c - the golden accuracy test (../shared/golden/README.md) for
 * one ISA tier, Check-free so that it cross-compiles for arm64 and runs under
 * qemu (`make test-arm-golden`, CONVENTIONS §8). For every golden file: the
 * README's 16-token prompt in one batch with logits_all must be at least as
 * close to the exact float64 logits (.ref64) as llama.cpp's (.logits) are:
 * relrms <= 1.25 x llama.cpp's + 1e-3, top-1 >= llama.cpp's - 1/16, llama.cpp's
 * figures computed here. stories260K must also give the README's 24 greedy ids.
 * Usage: golden_main TIER (scalar, neon, neon-dotprod). Exit 1 on any failure.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h> /* access */

#include "hearth.h"

static const char *const golden[] = {
    "micro-f32",    "micro-f16",    "micro-BF16",   "micro-Q8_0",   "micro-Q4_0",
    "micro-Q4_1",   "micro-Q5_0",   "micro-Q5_1",   "micro-Q2_K",   "micro-Q3_K_M",
    "micro-Q4_K_M", "micro-Q5_K_M", "micro-Q6_K",   "micro-IQ4_NL", "micro-IQ4_XS",
    "stories260K",
};
#define N_GOLDEN ((int)(sizeof golden / sizeof golden[0]))

static const int32_t golden_prompt[16] = {1,   300, 301, 302, 303, 304, 305, 306,
                                          307, 308, 309, 310, 13,  461, 401, 378};
/* The README's greedy continuation of stories260K from the single id 1. */
static const int32_t stories_greedy[24] = {461, 461, 401, 401, 401, 461, 378, 455,
                                           473, 456, 435, 299, 362, 409, 283, 264,
                                           283, 452, 288, 13,  431, 431, 431, 431};
#define N_POS 16
#define N_VOCAB 512
#define N_LOGITS (N_POS * N_VOCAB)

static hearth_isa tier;
static int failures;

static int argmax(const float *x, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best])
            best = i;
    return best;
}

/* sqrt(mean((a-b)^2) / mean(b^2)) over all values, in double. */
static double relrms(const float *a, const float *b, int n) {
    double num = 0, den = 0;
    for (int i = 0; i < n; i++) {
        double d = (double)a[i] - b[i];
        num += d * d;
        den += (double)b[i] * b[i];
    }
    return den > 0 ? sqrt(num / den) : INFINITY;
}

static double top1(const float *a, const float *b) {
    int agree = 0;
    for (int t = 0; t < N_POS; t++)
        agree += argmax(a + t * N_VOCAB, N_VOCAB) == argmax(b + t * N_VOCAB, N_VOCAB);
    return (double)agree / N_POS;
}

static void fail(const char *name, const char *what) {
    printf("FAIL %-13s %-12s %s\n", name, hearth_isa_name(tier), what);
    failures++;
}

/* 16 x 512 little-endian float32 (this harness only runs on little-endian
 * arm64 and x86). NULL when the file is missing or has another size. */
static float *read_logits(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    float *x = malloc(sizeof(float) * N_LOGITS);
    size_t got = x ? fread(x, sizeof(float), N_LOGITS, f) : 0;
    int extra = fgetc(f);
    fclose(f);
    if (got != N_LOGITS || extra != EOF) {
        free(x);
        return NULL;
    }
    return x;
}

/* A context at the requested tier with one thread; checks that the tier the
 * context reports is the one asked for (qemu's CPU model decides what exists). */
static hearth_ctx *make_ctx(const char *name, hearth_model *m, bool logits_all) {
    hearth_ctx_params cp = hearth_ctx_default_params();
    cp.n_ctx = 64;
    cp.n_threads = 1;
    cp.isa = tier;
    cp.kv_type = HEARTH_KV_F16;
    cp.logits_all = logits_all;
    hearth_ctx *c;
    hearth_ctx_info info;
    if (hearth_ctx_create(m, &cp, &c) != HEARTH_OK) {
        fail(name, hearth_last_error());
        return NULL;
    }
    if (hearth_ctx_info_get(c, &info) != HEARTH_OK || info.isa != tier) {
        fail(name, "context reports another ISA tier than the one requested");
        hearth_ctx_free(c);
        return NULL;
    }
    return c;
}

/* The 16-token prompt in one batch; NULL (and a failure counted) on error. */
static float *prompt_logits(const char *name, hearth_model *m) {
    hearth_ctx *c = make_ctx(name, m, true);
    if (!c)
        return NULL;
    float *out = NULL;
    if (hearth_vocab_size(m) != N_VOCAB)
        fail(name, "vocabulary is not 512 tokens");
    else if (hearth_ctx_decode(c, golden_prompt, N_POS) != HEARTH_OK)
        fail(name, hearth_last_error());
    else if ((out = malloc(sizeof(float) * N_LOGITS)) != NULL)
        for (int t = 0; t < N_POS; t++)
            memcpy(out + t * N_VOCAB, hearth_ctx_logits(c, t), sizeof(float) * N_VOCAB);
    hearth_ctx_free(c);
    return out;
}

static void check_greedy(const char *name, hearth_model *m) {
    hearth_ctx *c = make_ctx(name, m, false);
    if (!c)
        return;
    int32_t tok = 1;
    for (int i = 0; i < 24; i++) {
        if (hearth_ctx_decode(c, &tok, 1) != HEARTH_OK) {
            fail(name, hearth_last_error());
            break;
        }
        tok = argmax(hearth_ctx_logits(c, -1), N_VOCAB);
        if (tok != stories_greedy[i]) {
            char msg[96];
            snprintf(msg, sizeof msg, "greedy id %d is %d, expected %d", i, tok,
                     stories_greedy[i]);
            fail(name, msg);
            break;
        }
        if (i == 23)
            printf("ok   %-13s %-12s 24 greedy ids match\n", name, hearth_isa_name(tier));
    }
    hearth_ctx_free(c);
}

static void check_file(const char *dir, const char *name) {
    char gguf[512], ref_path[512], lcpp_path[512];
    snprintf(gguf, sizeof gguf, "%s/golden/%s.gguf", dir, name);
    snprintf(ref_path, sizeof ref_path, "%s/golden/%s.ref64", dir, name);
    snprintf(lcpp_path, sizeof lcpp_path, "%s/golden/%s.logits", dir, name);
    float *ref = read_logits(ref_path), *lcpp = read_logits(lcpp_path);
    hearth_model *m = NULL;
    if (!ref || !lcpp)
        fail(name, "missing or malformed .ref64/.logits (16 x 512 float32)");
    else if (hearth_model_load(gguf, NULL, &m) != HEARTH_OK)
        fail(name, hearth_last_error());
    float *got = m ? prompt_logits(name, m) : NULL;
    if (got) {
        const double lrr = relrms(lcpp, ref, N_LOGITS), lt1 = top1(lcpp, ref);
        const double rr = relrms(got, ref, N_LOGITS), t1 = top1(got, ref);
        const bool ok = rr <= 1.25 * lrr + 1e-3 && t1 >= lt1 - 1.0 / 16 - 1e-9;
        printf("%-4s %-13s %-12s relrms %.3e top-1 %.3f | llama.cpp %.3e %.3f\n",
               ok ? "ok" : "FAIL", name, hearth_isa_name(tier), rr, t1, lrr, lt1);
        failures += !ok;
    }
    if (m && strcmp(name, "stories260K") == 0)
        check_greedy(name, m);
    free(got);
    hearth_model_free(m);
    free(ref);
    free(lcpp);
}

int main(int argc, char **argv) {
    if (argc != 2 || hearth_isa_from_name(argv[1], &tier) != HEARTH_OK ||
        tier == HEARTH_ISA_AUTO) {
        fprintf(stderr, "usage: %s scalar|neon|neon-dotprod|...\n", argv[0]);
        return 2;
    }
    if (!hearth_isa_supported(tier)) {
        printf("FAIL this CPU lacks the %s tier\n", argv[1]);
        return 1;
    }
    const char *dir = getenv("HEARTH_SHARED_DIR");
    if (!dir || !*dir)
        dir = "../shared";
    char probe[512];
    snprintf(probe, sizeof probe, "%s/golden/README.md", dir);
    if (access(probe, R_OK) != 0) {
        const char *req = getenv("HEARTH_REQUIRE_SHARED");
        if (req && *req) {
            printf("FAIL %s not found and HEARTH_REQUIRE_SHARED is set\n", probe);
            return 1;
        }
        printf("SKIP golden accuracy: %s not found (../shared is optional)\n", probe);
        return 0;
    }
    for (int i = 0; i < N_GOLDEN; i++)
        check_file(dir, golden[i]);
    printf("golden %s: %d failure(s)\n", hearth_isa_name(tier), failures);
    return failures ? 1 : 0;
}
