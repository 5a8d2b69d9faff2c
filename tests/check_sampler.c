/* check_sampler.c - the sampler chain against independent expectations.
 *
 * Expected values are computed here from the definitions, in double precision:
 * argmax for greedy, softmax(logits / T) for the draw distribution, the closed-form
 * candidate sets of top-k / top-p / min-p (and of a whole chain in a given order),
 * llama.cpp's penalty formulas, and the documented generator (splitmix64-seeded
 * xoshiro256**, inverse-CDF walk over the candidates) for the exact draw sequence.
 */
#include <check.h>
#include <math.h>   /* exp, log, INFINITY */
#include <stdlib.h> /* qsort */
#include <string.h> /* memcpy, memcmp */

#include "hearth.h"
#include "lib/sampler.h"
#include "util/testutil.h"

/* ---- Helpers --------------------------------------------------------------- */

static void random_logits(float *l, int n, uint64_t seed, float lo, float hi) {
    test_rng r;
    test_rng_seed(&r, seed);
    for (int i = 0; i < n; i++)
        l[i] = lo + (hi - lo) * test_rng_uniform(&r);
}

/* Params with every filter disabled: only the stages the test turns on act. */
static hearth_sampler_params plain_params(uint64_t seed, float temperature) {
    hearth_sampler_params p = hearth_sampler_default_params();
    p.seed = seed;
    p.temperature = temperature;
    p.top_k = 0;
    p.top_p = 1.0f;
    p.min_p = 0.0f;
    return p;
}

static hearth_sampler *make_sampler(const hearth_sampler_params *p) {
    hearth_sampler *s = NULL;
    ck_assert_int_eq(hearth_sampler_create(p, &s), HEARTH_OK);
    ck_assert_ptr_nonnull(s);
    return s;
}

/* probabilities softmax(l / t) in double */
static void softmax_ref(const float *l, int n, double t, double *prob) {
    double max = -INFINITY, sum = 0;
    for (int i = 0; i < n; i++)
        if (l[i] / t > max)
            max = l[i] / t;
    for (int i = 0; i < n; i++)
        sum += prob[i] = exp(l[i] / t - max);
    for (int i = 0; i < n; i++)
        prob[i] /= sum;
}

/* ids sorted by descending value (ties: ascending id) */
static const double *sort_key;
static int by_key_desc(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    if (sort_key[x] != sort_key[y])
        return sort_key[x] > sort_key[y] ? -1 : 1;
    return x - y;
}
static void order_desc(const double *key, int n, int *ids) {
    for (int i = 0; i < n; i++)
        ids[i] = i;
    sort_key = key;
    qsort(ids, (size_t)n, sizeof *ids, by_key_desc);
}

/* Draws n_draws tokens and checks that exactly the tokens marked in `expect`
 * are drawn: never one outside the set, and every one inside at least once. */
static void check_draws_cover_set(hearth_sampler *s, const float *l, int n, const bool *expect,
                                  int n_draws) {
    int count[512] = {0};
    ck_assert_int_le(n, 512);
    /* Check's assertions report each pass to the parent process (a syscall), so
     * hot loops collect and assert once afterwards. */
    int bad_status = 0, outside = -1;
    for (int d = 0; d < n_draws; d++) {
        int32_t tok = -1;
        bad_status += hearth_sampler_sample(s, l, n, &tok) != HEARTH_OK;
        if (tok < 0 || tok >= n || !expect[tok]) {
            outside = tok;
            break;
        }
        count[tok]++;
    }
    ck_assert_int_eq(bad_status, 0);
    ck_assert_msg(outside == -1, "token %d drawn but outside the expected set", outside);
    for (int i = 0; i < n; i++)
        if (expect[i])
            ck_assert_msg(count[i] > 0, "token %d is in the set but never drawn", i);
}

/* The sampler's own survivor set (sampler_transform) must equal `expect`. */
static void check_transform_set(hearth_sampler *s, const float *l, int n, const bool *expect) {
    float out[512];
    ck_assert_int_le(n, 512);
    ck_assert_int_eq(sampler_transform(s, l, n, out), HEARTH_OK);
    for (int i = 0; i < n; i++)
        ck_assert_msg((out[i] != -INFINITY) == expect[i], "token %d: kept %d, expected %d", i,
                      out[i] != -INFINITY, expect[i]);
}

/* ---- Defaults and validation ----------------------------------------------- */

START_TEST(test_sampler_defaults_match_llama_cpp) {
    hearth_sampler_params p = hearth_sampler_default_params();
    ck_assert_float_eq(p.temperature, 0.8f);
    ck_assert_int_eq(p.top_k, 40);
    ck_assert_float_eq(p.top_p, 0.95f);
    ck_assert_float_eq(p.min_p, 0.05f);
    ck_assert_float_eq(p.repeat_penalty, 1.0f);
    ck_assert_float_eq(p.frequency_penalty, 0.0f);
    ck_assert_float_eq(p.presence_penalty, 0.0f);
    ck_assert_int_eq(p.penalty_last_n, 64);
    ck_assert_int_eq(p.n_stages, 5);
    ck_assert_int_eq(p.stages[0], HEARTH_SAMPLE_PENALTIES);
    ck_assert_int_eq(p.stages[1], HEARTH_SAMPLE_TOP_K);
    ck_assert_int_eq(p.stages[2], HEARTH_SAMPLE_TOP_P);
    ck_assert_int_eq(p.stages[3], HEARTH_SAMPLE_MIN_P);
    ck_assert_int_eq(p.stages[4], HEARTH_SAMPLE_TEMPERATURE);
    hearth_sampler *s = make_sampler(NULL); /* NULL params = the defaults */
    hearth_sampler_free(s);
    hearth_sampler_free(NULL);
}
END_TEST

static void expect_rejected(const hearth_sampler_params *p, const char *what) {
    hearth_sampler *s = (hearth_sampler *)&s; /* must be overwritten with NULL */
    ck_assert_msg(hearth_sampler_create(p, &s) == HEARTH_ERR_INVALID_ARG, "%s accepted", what);
    ck_assert_ptr_null(s);
    ck_assert_int_gt((int)strlen(hearth_last_error()), 0);
}

START_TEST(test_sampler_rejects_invalid_params) {
    hearth_sampler_params p;
    p = hearth_sampler_default_params(); p.temperature = NAN; expect_rejected(&p, "temp NaN");
    p = hearth_sampler_default_params(); p.top_p = -0.1f; expect_rejected(&p, "top_p < 0");
    p = hearth_sampler_default_params(); p.top_p = NAN; expect_rejected(&p, "top_p NaN");
    p = hearth_sampler_default_params(); p.min_p = 1.5f; expect_rejected(&p, "min_p > 1");
    p = hearth_sampler_default_params(); p.min_p = NAN; expect_rejected(&p, "min_p NaN");
    p = hearth_sampler_default_params(); p.repeat_penalty = 0; expect_rejected(&p, "repeat 0");
    p = hearth_sampler_default_params(); p.repeat_penalty = -1; expect_rejected(&p, "repeat<0");
    p = hearth_sampler_default_params(); p.repeat_penalty = INFINITY;
    expect_rejected(&p, "repeat inf");
    p = hearth_sampler_default_params(); p.frequency_penalty = NAN; expect_rejected(&p, "freq");
    p = hearth_sampler_default_params(); p.presence_penalty = INFINITY;
    expect_rejected(&p, "presence inf");
    p = hearth_sampler_default_params(); p.penalty_last_n = -1; expect_rejected(&p, "last_n<0");
    p = hearth_sampler_default_params(); p.n_stages = HEARTH_SAMPLER_MAX_STAGES + 1;
    expect_rejected(&p, "n_stages too large");
    p = hearth_sampler_default_params(); p.n_stages = -1; expect_rejected(&p, "n_stages < 0");
    p = hearth_sampler_default_params(); p.stages[2] = (hearth_sampler_stage)17;
    expect_rejected(&p, "unknown stage");
    ck_assert_int_eq(hearth_sampler_create(NULL, NULL), HEARTH_ERR_INVALID_ARG);

    hearth_sampler *s = make_sampler(NULL);
    float l[4] = {0, 1, 2, 3};
    int32_t tok;
    ck_assert_int_eq(hearth_sampler_sample(s, NULL, 4, &tok), HEARTH_ERR_INVALID_ARG);
    ck_assert_int_eq(hearth_sampler_sample(s, l, 0, &tok), HEARTH_ERR_INVALID_ARG);
    ck_assert_int_eq(hearth_sampler_sample(s, l, -3, &tok), HEARTH_ERR_INVALID_ARG);
    ck_assert_int_eq(hearth_sampler_sample(s, l, 4, NULL), HEARTH_ERR_INVALID_ARG);
    ck_assert_int_eq(hearth_sampler_sample(NULL, l, 4, &tok), HEARTH_ERR_INVALID_ARG);
    l[2] = NAN;
    ck_assert_int_eq(hearth_sampler_sample(s, l, 4, &tok), HEARTH_ERR_INVALID_ARG);
    l[2] = INFINITY;
    ck_assert_int_eq(hearth_sampler_sample(s, l, 4, &tok), HEARTH_ERR_INVALID_ARG);
    for (int i = 0; i < 4; i++)
        l[i] = -INFINITY;
    ck_assert_int_eq(hearth_sampler_sample(s, l, 4, &tok), HEARTH_ERR_INVALID_ARG);
    hearth_sampler_free(s);
}
END_TEST

/* ---- Greedy and determinism ---------------------------------------------------- */

START_TEST(test_sampler_greedy_is_argmax) {
    static float l[1000];
    for (uint64_t seed = 1; seed <= 20; seed++) {
        int n = 10 + (int)(seed * 47 % 990);
        random_logits(l, n, seed, -10, 10);
        int best = 0;
        for (int i = 1; i < n; i++)
            if (l[i] > l[best])
                best = i;
        /* the default chain, only with temperature 0 */
        hearth_sampler_params p = hearth_sampler_default_params();
        p.temperature = seed % 2 ? 0.0f : -1.0f;
        p.seed = seed;
        hearth_sampler *s = make_sampler(&p);
        for (int rep = 0; rep < 3; rep++) {
            int32_t tok = -1;
            ck_assert_int_eq(hearth_sampler_sample(s, l, n, &tok), HEARTH_OK);
            ck_assert_int_eq(tok, best);
        }
        hearth_sampler_free(s);
    }
    /* ties resolve to the lowest id */
    float tie[5] = {1, 3, 2, 3, 3};
    hearth_sampler_params p = plain_params(1, 0.0f);
    hearth_sampler *s = make_sampler(&p);
    int32_t tok;
    ck_assert_int_eq(hearth_sampler_sample(s, tie, 5, &tok), HEARTH_OK);
    ck_assert_int_eq(tok, 1);
    hearth_sampler_free(s);
}
END_TEST

/* The documented generator, written again here from its published definition. */
static uint64_t ref_splitmix(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static uint64_t ref_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static uint64_t ref_xoshiro(uint64_t s[4]) {
    uint64_t r = ref_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = ref_rotl(s[3], 45);
    return r;
}

START_TEST(test_sampler_fixed_seed_gives_documented_sequence) {
    enum { N = 12, DRAWS = 200 };
    float l[N];
    random_logits(l, N, 99, -1, 1);
    double prob[N];
    softmax_ref(l, N, 0.9, prob);

    uint64_t x = 12345, st[4];
    for (int i = 0; i < 4; i++)
        st[i] = ref_splitmix(&x);
    hearth_sampler_params p = plain_params(12345, 0.9f);
    hearth_sampler *s = make_sampler(&p);
    int32_t first[DRAWS];
    for (int d = 0; d < DRAWS; d++) {
        /* inverse CDF over ids in order (no filter reorders the candidates) */
        double u = (double)(ref_xoshiro(st) >> 11) * 0x1.0p-53, cum = 0;
        int expect = N - 1;
        for (int i = 0; i < N; i++) {
            cum += prob[i];
            if (cum > u) {
                expect = i;
                break;
            }
        }
        ck_assert_int_eq(hearth_sampler_sample(s, l, N, &first[d]), HEARTH_OK);
        ck_assert_int_eq(first[d], expect);
    }
    /* reset restores the seed: the same sequence again */
    hearth_sampler_reset(s);
    for (int d = 0; d < DRAWS; d++) {
        int32_t tok;
        ck_assert_int_eq(hearth_sampler_sample(s, l, N, &tok), HEARTH_OK);
        ck_assert_int_eq(tok, first[d]);
    }
    hearth_sampler_free(s);

    /* and a second sampler with the same seed and the default chain agrees with a
     * first one, draw for draw, including penalties fed by its own history */
    hearth_sampler_params q = hearth_sampler_default_params();
    q.seed = 777;
    q.repeat_penalty = 1.3f;
    float big[300];
    random_logits(big, 300, 5, -3, 3);
    hearth_sampler *a = make_sampler(&q), *b = make_sampler(&q);
    for (int d = 0; d < 500; d++) {
        int32_t ta, tb;
        ck_assert_int_eq(hearth_sampler_sample(a, big, 300, &ta), HEARTH_OK);
        ck_assert_int_eq(hearth_sampler_sample(b, big, 300, &tb), HEARTH_OK);
        ck_assert_int_eq(ta, tb);
    }
    hearth_sampler_free(a);
    hearth_sampler_free(b);
}
END_TEST

START_TEST(test_sampler_different_seeds_differ) {
    enum { N = 16, DRAWS = 64, SEEDS = 8 };
    float l[N];
    random_logits(l, N, 3, -0.5f, 0.5f);
    int32_t seq[SEEDS][DRAWS];
    for (int k = 0; k < SEEDS; k++) {
        hearth_sampler_params p = plain_params((uint64_t)k * 1000003u + 1, 1.0f);
        hearth_sampler *s = make_sampler(&p);
        for (int d = 0; d < DRAWS; d++)
            ck_assert_int_eq(hearth_sampler_sample(s, l, N, &seq[k][d]), HEARTH_OK);
        hearth_sampler_free(s);
    }
    for (int a = 0; a < SEEDS; a++)
        for (int b = a + 1; b < SEEDS; b++)
            ck_assert_msg(memcmp(seq[a], seq[b], sizeof seq[a]) != 0,
                          "seeds %d and %d gave the same 64 draws", a, b);
}
END_TEST

/* ---- Distribution ------------------------------------------------------------ */

/* 10^5 draws at temperature T: every token's frequency within 1 % (absolute) of
 * softmax(logits / T). With p(1-p)/N <= 2.5e-6 the standard error is <= 0.0016,
 * so 1 % is > 6 sigma; the fixed seed makes the outcome reproducible. */
START_TEST(test_sampler_frequencies_match_softmax) {
    enum { N = 10, DRAWS = 100000 };
    const float temps[] = {0.5f, 1.0f, 1.7f};
    for (int t = 0; t < 3; t++) {
        float l[N];
        random_logits(l, N, 40 + (uint64_t)t, -2, 2);
        double prob[N];
        softmax_ref(l, N, temps[t], prob);
        hearth_sampler_params p = plain_params(2024 + (uint64_t)t, temps[t]);
        hearth_sampler *s = make_sampler(&p);
        int count[N] = {0};
        int bad_status = 0;
        for (int d = 0; d < DRAWS; d++) {
            int32_t tok = 0;
            bad_status += hearth_sampler_sample(s, l, N, &tok) != HEARTH_OK;
            count[tok]++;
        }
        ck_assert_int_eq(bad_status, 0);
        for (int i = 0; i < N; i++) {
            double freq = (double)count[i] / DRAWS;
            ck_assert_msg(fabs(freq - prob[i]) < 0.01, "T=%g token %d: freq %.4f, p %.4f",
                          (double)temps[t], i, freq, prob[i]);
        }
        hearth_sampler_free(s);
    }
}
END_TEST

/* ---- Closed-form candidate sets ---------------------------------------------- */

START_TEST(test_sampler_top_k_keeps_k_best) {
    enum { N = 60 };
    float l[N];
    random_logits(l, N, 7, 0, 2);
    double key[N];
    for (int i = 0; i < N; i++)
        key[i] = l[i];
    int ids[N];
    order_desc(key, N, ids);
    const int ks[] = {1, 5, 17, 59, 60, 100};
    for (int j = 0; j < 6; j++) {
        bool expect[N] = {false};
        for (int i = 0; i < N && i < ks[j]; i++)
            expect[ids[i]] = true;
        hearth_sampler_params p = plain_params(11 + (uint64_t)j, 1.0f);
        p.top_k = ks[j];
        hearth_sampler *s = make_sampler(&p);
        check_transform_set(s, l, N, expect);
        check_draws_cover_set(s, l, N, expect, 20000);
        hearth_sampler_free(s);
    }
}
END_TEST

/* smallest prefix of the descending probabilities whose mass reaches p; asserts
 * that the partial sums on both sides of the cut are more than 1e-4 from p, so
 * float rounding cannot move it */
static int top_p_count(const double *prob, const int *ids, int n, double p) {
    double cum = 0;
    for (int i = 0; i < n; i++) {
        double before = cum;
        cum += prob[ids[i]];
        if (cum >= p) {
            ck_assert_msg(cum - p > 1e-4 || i == 0, "test data too close to the top-p edge");
            ck_assert_msg(p - before > 1e-4 || i == 0, "test data too close to the top-p edge");
            return i + 1;
        }
    }
    return n;
}

/* 40 tokens (one sort), then 300 (the nucleus found by growing partial
 * selections of 64, 256, then all) */
START_TEST(test_sampler_top_p_keeps_nucleus) {
    enum { N = 300 };
    const int n = _i == 0 ? 40 : N;
    float l[N];
    random_logits(l, n, 21 + (uint64_t)_i * 29, -1, 3);
    double prob[N];
    softmax_ref(l, n, 1.0, prob);
    int ids[N];
    order_desc(prob, n, ids);
    const float ps[] = {0.0f, 0.3f, 0.62f, 0.9f, 0.97f};
    for (int j = 0; j < 5; j++) {
        int m = top_p_count(prob, ids, n, ps[j]);
        bool expect[N] = {false};
        for (int i = 0; i < m; i++)
            expect[ids[i]] = true;
        if (_i == 1 && j == 2)
            ck_assert_int_gt(m, 64); /* the growth path is exercised */
        hearth_sampler_params p = plain_params(31 + (uint64_t)j, 1.0f);
        p.top_p = ps[j];
        hearth_sampler *s = make_sampler(&p);
        check_transform_set(s, l, n, expect);
        check_draws_cover_set(s, l, n, expect, 20000);
        hearth_sampler_free(s);
    }
}
END_TEST

/* tokens whose probability is at least min_p times the largest; asserts a margin */
static void min_p_set(const double *prob, int n, double min_p, bool *expect) {
    double pmax = 0;
    for (int i = 0; i < n; i++)
        pmax = prob[i] > pmax ? prob[i] : pmax;
    for (int i = 0; i < n; i++) {
        double ratio = prob[i] / pmax;
        if (prob[i] != pmax) /* the best token is always kept, even at min_p = 1 */
            ck_assert_msg(fabs(ratio - min_p) > 1e-4, "test data too close to the min-p edge");
        expect[i] = ratio >= min_p;
    }
}

START_TEST(test_sampler_min_p_keeps_relative_mass) {
    enum { N = 50 };
    float l[N];
    random_logits(l, N, 57, -2, 2);
    double prob[N];
    softmax_ref(l, N, 1.0, prob);
    const float mps[] = {0.05f, 0.2f, 0.5f, 1.0f};
    for (int j = 0; j < 4; j++) {
        bool expect[N];
        min_p_set(prob, N, mps[j], expect);
        hearth_sampler_params p = plain_params(41 + (uint64_t)j, 1.0f);
        p.min_p = mps[j];
        hearth_sampler *s = make_sampler(&p);
        check_transform_set(s, l, N, expect);
        check_draws_cover_set(s, l, N, expect, 20000);
        hearth_sampler_free(s);
    }
}
END_TEST

/* The whole default chain (top-k 40, top-p 0.95, min-p 0.05, temperature 0.8):
 * each filter acts on the renormalized survivors of the one before. Then the same
 * filters with temperature moved first, which changes the sets: the order is the
 * user's, not fixed. */
static void chain_expected(const float *l, int n, double temp, bool temp_first, bool *expect) {
    double key[512] = {0}, prob[512] = {0};
    int ids[512] = {0}, m = n;
    double t = temp_first ? temp : 1.0;
    for (int i = 0; i < n; i++)
        key[i] = l[i] / t;
    order_desc(key, n, ids);
    m = m < 40 ? m : 40; /* top-k */
    double max = key[ids[0]], sum = 0;
    for (int i = 0; i < m; i++)
        sum += prob[i] = exp(key[ids[i]] - max);
    double cum = 0;
    int keep = m;
    for (int i = 0; i < m; i++) { /* top-p over the k survivors */
        cum += prob[i] / sum;
        ck_assert_msg(fabs(cum - 0.95) > 1e-4, "too close to the top-p edge");
        if (cum >= 0.95) {
            keep = i + 1;
            break;
        }
    }
    for (int i = 0; i < n; i++)
        expect[i] = false;
    for (int i = 0; i < keep; i++) { /* min-p relative to the best survivor */
        double ratio = prob[i] / prob[0];
        ck_assert_msg(fabs(ratio - 0.05) > 1e-4, "too close to the min-p edge");
        expect[ids[i]] = ratio >= 0.05;
    }
}

START_TEST(test_sampler_chain_order_is_respected) {
    enum { N = 200 };
    float l[N];
    random_logits(l, N, 77, -4, 4);
    bool expect_default[N], expect_temp_first[N];
    chain_expected(l, N, 0.8, false, expect_default);
    chain_expected(l, N, 0.8, true, expect_temp_first);
    ck_assert_msg(memcmp(expect_default, expect_temp_first, sizeof expect_default) != 0,
                  "test data does not separate the two orders");

    hearth_sampler_params p = hearth_sampler_default_params();
    p.seed = 5;
    hearth_sampler *s = make_sampler(&p);
    check_transform_set(s, l, N, expect_default);
    check_draws_cover_set(s, l, N, expect_default, 20000);
    hearth_sampler_free(s);

    p.stages[0] = HEARTH_SAMPLE_TEMPERATURE;
    p.stages[1] = HEARTH_SAMPLE_TOP_K;
    p.stages[2] = HEARTH_SAMPLE_TOP_P;
    p.stages[3] = HEARTH_SAMPLE_MIN_P;
    p.n_stages = 4;
    s = make_sampler(&p);
    check_transform_set(s, l, N, expect_temp_first);
    check_draws_cover_set(s, l, N, expect_temp_first, 20000);
    hearth_sampler_free(s);
}
END_TEST

/* ---- Penalties ------------------------------------------------------------------ */

START_TEST(test_sampler_penalties_follow_formulas) {
    enum { N = 12, LAST_N = 6 };
    const float l[N] = {2.0f, -1.5f, 0.0f, 3.25f, -0.5f, 1.0f, 4.0f, -2.0f, 0.5f, 1.5f, -3, 0.25f};
    hearth_sampler_params p = plain_params(1, 1.0f);
    p.repeat_penalty = 1.25f;
    p.frequency_penalty = 0.3f;
    p.presence_penalty = 0.7f;
    p.penalty_last_n = LAST_N;
    p.stages[0] = HEARTH_SAMPLE_PENALTIES;
    p.n_stages = 1;
    hearth_sampler *s = make_sampler(&p);
    /* 3, 11 and 0 fall out of the window of the last 6; 99 and -4 are not in the vocab */
    const int32_t hist[] = {3, 11, 0, 1, 1, 99, 2, -4, 1};
    for (size_t i = 0; i < sizeof hist / sizeof *hist; i++)
        hearth_sampler_accept(s, hist[i]);
    int count[N] = {0};
    for (size_t i = sizeof hist / sizeof *hist - LAST_N; i < sizeof hist / sizeof *hist; i++)
        if (hist[i] >= 0 && hist[i] < N)
            count[hist[i]]++;
    ck_assert_int_eq(count[1], 3); /* the window really is what we think it is */
    ck_assert_int_eq(count[2], 1);
    ck_assert_int_eq(count[0] + count[3] + count[11], 0);

    float out[N];
    ck_assert_int_eq(sampler_transform(s, l, N, out), HEARTH_OK);
    for (int i = 0; i < N; i++) {
        double want = l[i];
        if (count[i] > 0) {
            want = want <= 0 ? want * 1.25 : want / 1.25;
            want -= count[i] * 0.3 + 0.7;
        }
        ck_assert_msg(fabs(out[i] - want) < 1e-6, "token %d: %g, expected %g", i,
                      (double)out[i], want);
    }

    /* after top-k (candidates reordered) the same formulas hold for the survivors */
    hearth_sampler_params pk = p;
    pk.top_k = 8;
    pk.stages[0] = HEARTH_SAMPLE_TOP_K;
    pk.stages[1] = HEARTH_SAMPLE_PENALTIES;
    pk.n_stages = 2;
    hearth_sampler *sk = make_sampler(&pk);
    for (size_t i = 0; i < sizeof hist / sizeof *hist; i++)
        hearth_sampler_accept(sk, hist[i]);
    float outk[N];
    ck_assert_int_eq(sampler_transform(sk, l, N, outk), HEARTH_OK);
    int kept = 0;
    for (int i = 0; i < N; i++) {
        int better = 0; /* tokens ranked above i by the raw logits */
        for (int j = 0; j < N; j++)
            better += l[j] > l[i] || (l[j] == l[i] && j < i);
        if (better >= 8) {
            ck_assert_msg(outk[i] == -INFINITY, "token %d should be cut by top-k", i);
            continue;
        }
        kept++;
        ck_assert_float_eq_tol(outk[i], out[i], 1e-6); /* same penalized value as above */
    }
    ck_assert_int_eq(kept, 8);
    hearth_sampler_free(sk);

    /* reset clears the history: no penalty any more */
    hearth_sampler_reset(s);
    ck_assert_int_eq(sampler_transform(s, l, N, out), HEARTH_OK);
    for (int i = 0; i < N; i++)
        ck_assert_float_eq(out[i], l[i]);
    hearth_sampler_free(s);

    /* drawn tokens enter the history: greedy with a strong presence penalty must
     * alternate between the two best tokens (6 then 3, then 6 again once ...) */
    hearth_sampler_params g = plain_params(1, 0.0f);
    g.presence_penalty = 2.0f;
    g.penalty_last_n = 1;
    s = make_sampler(&g);
    int32_t a, b, c;
    ck_assert_int_eq(hearth_sampler_sample(s, l, N, &a), HEARTH_OK);
    ck_assert_int_eq(hearth_sampler_sample(s, l, N, &b), HEARTH_OK);
    ck_assert_int_eq(hearth_sampler_sample(s, l, N, &c), HEARTH_OK);
    ck_assert_int_eq(a, 6); /* 4.0 */
    ck_assert_int_eq(b, 3); /* 6 penalized to 2.0 < 3.25 */
    ck_assert_int_eq(c, 6); /* window of 1 only holds 3 now */
    hearth_sampler_free(s);
}
END_TEST

/* ---- Caller's data ---------------------------------------------------------------- */

START_TEST(test_sampler_never_modifies_logits) {
    enum { N = 500 };
    static float l[N], copy[N];
    random_logits(l, N, 123, -5, 5);
    memcpy(copy, l, sizeof l);
    hearth_sampler_params p = hearth_sampler_default_params();
    p.repeat_penalty = 1.5f;
    p.frequency_penalty = 0.2f;
    p.presence_penalty = 0.2f;
    p.top_p = 0.5f;
    hearth_sampler *s = make_sampler(&p);
    for (int i = 0; i < 50; i++)
        hearth_sampler_accept(s, i * 7 % N);
    for (int d = 0; d < 100; d++) {
        int32_t tok;
        ck_assert_int_eq(hearth_sampler_sample(s, l, N, &tok), HEARTH_OK);
    }
    ck_assert_mem_eq(l, copy, sizeof l);
    /* a smaller, then larger vocabulary reuses/grows the scratch correctly */
    int32_t tok;
    ck_assert_int_eq(hearth_sampler_sample(s, l, 3, &tok), HEARTH_OK);
    ck_assert_int_lt(tok, 3);
    ck_assert_int_eq(hearth_sampler_sample(s, l, N, &tok), HEARTH_OK);
    ck_assert_mem_eq(l, copy, sizeof l);
    hearth_sampler_free(s);
}
END_TEST

Suite *sampler_suite(void) {
    Suite *s = suite_create("sampler");
    TCase *tc = tcase_create("params");
    tcase_add_test(tc, test_sampler_defaults_match_llama_cpp);
    tcase_add_test(tc, test_sampler_rejects_invalid_params);
    suite_add_tcase(s, tc);

    tc = tcase_create("determinism");
    tcase_add_test(tc, test_sampler_greedy_is_argmax);
    tcase_add_test(tc, test_sampler_fixed_seed_gives_documented_sequence);
    tcase_add_test(tc, test_sampler_different_seeds_differ);
    suite_add_tcase(s, tc);

    tc = tcase_create("distribution");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_sampler_frequencies_match_softmax);
    tcase_add_test(tc, test_sampler_top_k_keeps_k_best);
    tcase_add_loop_test(tc, test_sampler_top_p_keeps_nucleus, 0, 2);
    tcase_add_test(tc, test_sampler_min_p_keeps_relative_mass);
    tcase_add_test(tc, test_sampler_chain_order_is_respected);
    suite_add_tcase(s, tc);

    tc = tcase_create("penalties");
    tcase_add_test(tc, test_sampler_penalties_follow_formulas);
    tcase_add_test(tc, test_sampler_never_modifies_logits);
    suite_add_tcase(s, tc);
    return s;
}
