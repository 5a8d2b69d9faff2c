/* kquants_arm.c - Check-free harness for the K-quant NEON tiers (run under qemu).
 *
 * Check is not installed for arm64 here (CONVENTIONS §8), so this small program
 * repeats the tier checks of tests/check_kquants.c for the NEON and NEON dotprod
 * kernels: Q8_K quantize bit-exact with the reference, vec_dot within the STYLE §8
 * bound of the reference, mat_dot bit-identical to the tier's vec_dot. The
 * dotprod tier is skipped (with a note) on a CPU without it. Build and run:
 * tests/arm/run.sh (both QEMU_CPU=cortex-a72 and the default max CPU).
 */
#include <float.h>   /* FLT_EPSILON */
#include <math.h>    /* fabs */
#include <stdint.h>
#include <stdio.h>   /* printf */
#include <stdlib.h>  /* malloc */
#include <string.h>  /* memcmp */
#include <sys/auxv.h> /* getauxval: does this CPU have dotprod */

#include "kernels/ref/kquant_util.h"

#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif

typedef void (*vec_fn)(KQ_VEC_DOT_ARGS);
typedef void (*mat_fn)(KQ_MAT_DOT_ARGS);
typedef void (*quant_fn)(const float *restrict, void *restrict, int64_t);
typedef void (*dequant_fn)(const void *restrict, float *restrict, int64_t);

static const struct {
    const char *name;
    size_t type_size;
    quant_fn quant;
    dequant_fn dequant;
    vec_fn vec[3]; /* ref, neon, neon dotprod */
    mat_fn mat[3];
} types[] = {
#define T(t, blk, nm)                                                                         \
    {nm, sizeof(blk), hearth_quantize_row_##t##_ref, hearth_dequantize_row_##t##_ref,        \
     {hearth_vec_dot_##t##_q8_k_ref, hearth_vec_dot_##t##_q8_k_neon,                         \
      hearth_vec_dot_##t##_q8_k_neon_dotprod},                                               \
     {hearth_mat_dot_##t##_q8_k_ref, hearth_mat_dot_##t##_q8_k_neon,                         \
      hearth_mat_dot_##t##_q8_k_neon_dotprod}}
    T(q4_k, block_q4_K, "Q4_K"), T(q6_k, block_q6_K, "Q6_K"), T(q5_k, block_q5_K, "Q5_K"),
    T(iq4_xs, block_iq4_xs, "IQ4_XS"), T(q3_k, block_q3_K, "Q3_K"), T(q2_k, block_q2_K, "Q2_K"),
#undef T
};
static const char *const tier_names[3] = {"ref", "neon", "neon-dotprod"};

static int failures, checks;

#define CHECK(cond, ...)                     \
    do {                                     \
        checks++;                            \
        if (!(cond)) {                       \
            failures++;                      \
            printf("FAIL: " __VA_ARGS__);    \
            printf("\n");                    \
        }                                    \
    } while (0)

/* xorshift64* and Box-Muller, seeded: the same data on every run. */
static uint64_t rng_state;
static double rng_uniform(void) {
    rng_state ^= rng_state >> 12, rng_state ^= rng_state << 25, rng_state ^= rng_state >> 27;
    return (double)((rng_state * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}
static float rng_normal(void) {
    double u1 = rng_uniform() + 1e-300, u2 = rng_uniform();
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

/* kind 0 normal, 1 zeros, 2 one outlier per block, 3 huge, 4 ties of +-4 */
static void fill(float *x, int64_t n, int kind, uint64_t seed) {
    rng_state = seed * 2654435761u + 1;
    for (int64_t i = 0; i < n; i++) {
        float v = rng_normal();
        if (kind == 1) v = 0;
        if (kind == 2 && i % 256 == (int64_t)(seed % 256)) v = 1000.f;
        if (kind == 3) v *= 3e4f;
        if (kind == 4) v = (i % 3 == 0) ? -4.f : (i % 3 == 1 ? 4.f : 0.5f * v);
        x[i] = v;
    }
}

static void check_q8_k(int kind, int64_t n) {
    float *x = malloc(n * sizeof *x);
    size_t bytes = (size_t)(n / QK_K) * sizeof(block_q8_K);
    void *a = malloc(bytes), *b = malloc(bytes);
    memset(a, 0x55, bytes), memset(b, 0xaa, bytes);
    fill(x, n, kind, 11 + (uint64_t)kind);
    hearth_quantize_row_q8_k_ref(x, a, n);
    hearth_quantize_row_q8_k_neon(x, b, n);
    CHECK(memcmp(a, b, bytes) == 0, "q8_k neon kind %d n %lld differs from ref", kind,
          (long long)n);
    free(x), free(a), free(b);
}

static void check_type(int ti, int tier, int kind, int64_t n, int64_t nr, int64_t nc) {
    const size_t ts = types[ti].type_size, nb = (size_t)(n / QK_K);
    float *x = malloc((size_t)(n * (nr > nc ? nr : nc)) * sizeof *x);
    char *w = malloc(nr * nb * ts);
    block_q8_K *a = malloc(nc * nb * sizeof *a);
    uint64_t seed = 100 * (uint64_t)ti + 10 * (uint64_t)kind + (uint64_t)nr;
    fill(x, n * nr, kind, seed);
    for (int64_t r = 0; r < nr; r++)
        types[ti].quant(x + r * n, w + r * nb * ts, n);
    fill(x, n * nc, 0, seed + 1);
    for (int64_t c = 0; c < nc; c++)
        hearth_quantize_row_q8_k_ref(x + c * n, a + c * nb, n);
    float *wf = malloc(n * sizeof *wf), *af = malloc(n * sizeof *af);
    float *out = malloc((size_t)((nr + 1) * nc) * sizeof *out);
    types[ti].mat[tier](n, nr, nc, out, nr + 1, w, nb * ts, a, nb * sizeof *a);
    for (int64_t r = 0; r < nr; r++) {
        types[ti].dequant(w + r * nb * ts, wf, n);
        for (int64_t c = 0; c < nc; c++) {
            hearth_dequantize_row_q8_k_ref(a + c * nb, af, n);
            double abs_sum = 0;
            for (int64_t i = 0; i < n; i++)
                abs_sum += fabs((double)wf[i] * af[i]);
            float ref, got;
            types[ti].vec[0](n, &ref, w + r * nb * ts, a + c * nb);
            types[ti].vec[tier](n, &got, w + r * nb * ts, a + c * nb);
            double bound = 2.0 * n * FLT_EPSILON * abs_sum;
            CHECK(fabs((double)got - ref) <= bound,
                  "%s %s kind %d n %lld r %lld c %lld: %.9g vs ref %.9g", types[ti].name,
                  tier_names[tier], kind, (long long)n, (long long)r, (long long)c, got, ref);
            float tile = out[c * (nr + 1) + r];
            CHECK(memcmp(&tile, &got, sizeof got) == 0,
                  "%s %s mat_dot r %lld c %lld: %.9g != vec_dot %.9g", types[ti].name,
                  tier_names[tier], (long long)r, (long long)c, tile, got);
        }
    }
    free(x), free(w), free(a), free(wf), free(af), free(out);
}

int main(void) {
    int has_dot = (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
    printf("kquants_arm: neon yes, neon-dotprod %s\n", has_dot ? "yes" : "no (skipped)");
    static const int64_t sizes[] = {256, 3 * 256, 16 * 256};
    for (int kind = 0; kind < 5; kind++)
        for (int s = 0; s < 3; s++)
            check_q8_k(kind, sizes[s]);
    for (int tier = 1; tier <= 2; tier++) {
        if (tier == 2 && !has_dot)
            continue;
        for (int ti = 0; ti < (int)(sizeof types / sizeof types[0]); ti++) {
            for (int kind = 0; kind < 5; kind++)
                for (int s = 0; s < 3; s++)
                    check_type(ti, tier, kind, sizes[s], 1, 1);
            check_type(ti, tier, 0, 3 * 256, 5, 7);
            check_type(ti, tier, 2, 8 * 256, 3, 9);
        }
    }
    printf("kquants_arm: %d checks, %d failures\n", checks, failures);
    return failures != 0;
}
