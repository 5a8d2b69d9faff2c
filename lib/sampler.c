/* sampler.c - turns a row of logits into one token: penalties, top-k, top-p,
 * min-p and temperature in a user-chosen order, then a seeded random draw.
 *
 * Semantics follow llama.cpp's sampler chain so that the same settings mean the
 * same thing to its users. The caller's logits are never written: the chain works
 * on a scratch candidate list owned by the sampler, grown only when a larger
 * vocabulary is seen (so a steady generation loop never allocates). The RNG is
 * xoshiro256** seeded through splitmix64: same seed, same history and same logits
 * give the same token (the generator is exact integer arithmetic everywhere; the
 * probabilities use libm's exp, so another libm could in principle move a draw
 * that lands within an ulp of a boundary). Depends on nothing but libc and libm.
 */
#include <float.h>  /* FLT_MAX */
#include <math.h>   /* exp, log, isnan, INFINITY */
#include <stdlib.h> /* malloc, realloc, free, qsort */
#include <string.h> /* memcpy */

#include "sampler.h"

/* ---- Types --------------------------------------------------------------- */

typedef struct candidate {
    float logit;
    int32_t id;
} candidate;

struct hearth_sampler {
    hearth_sampler_params p;
    uint64_t rng[4]; /* xoshiro256** state */

    /* Penalty history: ring buffer of the last penalty_last_n tokens. */
    int32_t *history;      /* (penalty_last_n) */
    int32_t *history_sort; /* (penalty_last_n) scratch: sorted copy for counting */
    int32_t n_history;     /* tokens stored, <= penalty_last_n */
    int32_t history_head;  /* next slot to overwrite */

    /* Candidate list the chain works on; capacity grows to the largest vocab seen. */
    candidate *cand; /* (cap) */
    int32_t cap;
    int32_t n_cand;
    bool sorted;   /* cand is in descending logit order (ties: ascending id) */
    bool by_id;    /* cand[i].id == i for every i (nothing reordered or removed yet) */
};

/* ---- RNG: splitmix64 seeding, xoshiro256** generation -------------------- */

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void rng_seed(uint64_t state[4], uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        state[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(uint64_t s[4]) {
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform double in [0, 1) with 53 random bits. */
static double rng_uniform(uint64_t s[4]) { return (double)(rng_next(s) >> 11) * 0x1.0p-53; }

/* ---- Params -------------------------------------------------------------- */

hearth_sampler_params hearth_sampler_default_params(void) {
    hearth_sampler_params p;
    memset(&p, 0, sizeof p);
    p.seed = 0x5EED;
    p.temperature = 0.8f;
    p.top_k = 40;
    p.top_p = 0.95f;
    p.min_p = 0.05f;
    p.repeat_penalty = 1.0f;
    p.frequency_penalty = 0.0f;
    p.presence_penalty = 0.0f;
    p.penalty_last_n = 64;
    /* llama.cpp's default order: penalties first, temperature last. */
    p.stages[0] = HEARTH_SAMPLE_PENALTIES;
    p.stages[1] = HEARTH_SAMPLE_TOP_K;
    p.stages[2] = HEARTH_SAMPLE_TOP_P;
    p.stages[3] = HEARTH_SAMPLE_MIN_P;
    p.stages[4] = HEARTH_SAMPLE_TEMPERATURE;
    p.n_stages = 5;
    return p;
}

/* Largest penalty window accepted: bounds the history memory (4 bytes x 2 each). */
#define MAX_PENALTY_LAST_N (1 << 20)

static hearth_status check_params(const hearth_sampler_params *p) {
    if (isnan(p->temperature))
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "sampler: temperature is NaN");
    if (isnan(p->top_p) || p->top_p < 0.0f)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG,
                                "sampler: top_p %g outside [0, 1] (>= 1 disables)",
                                (double)p->top_p);
    if (isnan(p->min_p) || p->min_p > 1.0f)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG,
                                "sampler: min_p %g outside [0, 1] (<= 0 disables)",
                                (double)p->min_p);
    if (!isfinite(p->repeat_penalty) || p->repeat_penalty <= 0.0f)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG,
                                "sampler: repeat_penalty %g must be finite and > 0 (1 = off)",
                                (double)p->repeat_penalty);
    if (!isfinite(p->frequency_penalty) || !isfinite(p->presence_penalty))
        return hearth_set_error(HEARTH_ERR_INVALID_ARG,
                                "sampler: frequency/presence penalties must be finite");
    if (p->penalty_last_n < 0 || p->penalty_last_n > MAX_PENALTY_LAST_N)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG,
                                "sampler: penalty_last_n %d outside 0..%d",
                                (int)p->penalty_last_n, MAX_PENALTY_LAST_N);
    if (p->n_stages < 0 || p->n_stages > HEARTH_SAMPLER_MAX_STAGES)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "sampler: n_stages %d outside 0..%d",
                                (int)p->n_stages, HEARTH_SAMPLER_MAX_STAGES);
    for (int32_t i = 0; i < p->n_stages; i++) {
        if ((int)p->stages[i] < HEARTH_SAMPLE_PENALTIES ||
            (int)p->stages[i] > HEARTH_SAMPLE_TEMPERATURE)
            return hearth_set_error(HEARTH_ERR_INVALID_ARG, "sampler: stages[%d] = %d is unknown",
                                    (int)i, (int)p->stages[i]);
    }
    return HEARTH_OK;
}

/* ---- Lifetime ------------------------------------------------------------ */

hearth_status hearth_sampler_create(const hearth_sampler_params *params, hearth_sampler **out) {
    if (!out)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "hearth_sampler_create: out is NULL");
    *out = NULL;
    hearth_sampler_params p = params ? *params : hearth_sampler_default_params();
    HEARTH_TRY(check_params(&p));

    hearth_sampler *s = calloc(1, sizeof *s);
    if (!s)
        return hearth_set_error(HEARTH_ERR_NOMEM, "hearth_sampler_create: out of memory");
    s->p = p;
    if (p.penalty_last_n > 0) {
        s->history = malloc((size_t)p.penalty_last_n * sizeof *s->history);
        s->history_sort = malloc((size_t)p.penalty_last_n * sizeof *s->history_sort);
        if (!s->history || !s->history_sort) {
            hearth_sampler_free(s);
            return hearth_set_error(HEARTH_ERR_NOMEM, "hearth_sampler_create: out of memory");
        }
    }
    rng_seed(s->rng, p.seed);
    *out = s;
    return HEARTH_OK;
}

void hearth_sampler_free(hearth_sampler *s) {
    if (!s)
        return;
    free(s->history);
    free(s->history_sort);
    free(s->cand);
    free(s);
}

void hearth_sampler_reset(hearth_sampler *s) {
    if (!s)
        return;
    s->n_history = 0;
    s->history_head = 0;
    rng_seed(s->rng, s->p.seed);
}

void hearth_sampler_accept(hearth_sampler *s, int32_t token) {
    if (!s || s->p.penalty_last_n == 0)
        return;
    s->history[s->history_head] = token;
    s->history_head = (s->history_head + 1) % s->p.penalty_last_n;
    if (s->n_history < s->p.penalty_last_n)
        s->n_history++;
}

/* ---- Candidate list ------------------------------------------------------ */

/* Descending logit, then ascending id: a total order, so results never depend
 * on the sort algorithm. */
static int cand_cmp(const void *a, const void *b) {
    const candidate *x = a, *y = b;
    if (x->logit != y->logit)
        return x->logit > y->logit ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* true when x ranks below y in cand_cmp's order */
static bool ranks_below(const candidate *x, const candidate *y) {
    return x->logit < y->logit || (x->logit == y->logit && x->id > y->id);
}

/* Copies the logits into the candidate list, growing it when the vocab is larger
 * than any seen before. Rejects NaN and +inf, which have no probability. */
static hearth_status load_candidates(hearth_sampler *s, const float *logits, int32_t n_vocab) {
    if (n_vocab > s->cap) {
        candidate *c = realloc(s->cand, (size_t)n_vocab * sizeof *c);
        if (!c)
            return hearth_set_error(HEARTH_ERR_NOMEM, "sampler: no memory for %d candidates",
                                    (int)n_vocab);
        s->cand = c;
        s->cap = n_vocab;
    }
    bool any_finite = false;
    for (int32_t i = 0; i < n_vocab; i++) {
        float l = logits[i];
        if (isnan(l) || l == INFINITY)
            return hearth_set_error(HEARTH_ERR_INVALID_ARG, "sampler: logit %d is %s", (int)i,
                                    isnan(l) ? "NaN" : "+inf");
        any_finite |= l != -INFINITY;
        s->cand[i].logit = l;
        s->cand[i].id = i;
    }
    if (!any_finite)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "sampler: every logit is -inf");
    s->n_cand = n_vocab;
    s->sorted = false;
    s->by_id = true;
    return HEARTH_OK;
}

static void sort_candidates(hearth_sampler *s) {
    if (!s->sorted) {
        qsort(s->cand, (size_t)s->n_cand, sizeof *s->cand, cand_cmp);
        s->by_id = false;
    }
    s->sorted = true;
}

/* ---- Stages -------------------------------------------------------------- */

static int int32_cmp(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Occurrences of `id` in the sorted history (binary search for the first). */
static int32_t history_count(const int32_t *sorted, int32_t n, int32_t id) {
    int32_t lo = 0, hi = n;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    int32_t count = 0;
    while (lo + count < n && sorted[lo + count] == id)
        count++;
    return count;
}

/* llama.cpp semantics for a token seen `count` > 0 times in the last N:
 *   logit = logit <= 0 ? logit * repeat : logit / repeat   (a penalty either way)
 *   logit -= count * frequency + presence */
static void penalize(const hearth_sampler_params *p, candidate *c, int32_t count) {
    float l = c->logit;
    l = l <= 0.0f ? l * p->repeat_penalty : l / p->repeat_penalty;
    l -= (float)count * p->frequency_penalty + p->presence_penalty;
    c->logit = l;
}

static void apply_penalties(hearth_sampler *s) {
    const hearth_sampler_params *p = &s->p;
    if (s->n_history == 0 ||
        (p->repeat_penalty == 1.0f && p->frequency_penalty == 0.0f &&
         p->presence_penalty == 0.0f))
        return;
    int32_t n = s->n_history;
    memcpy(s->history_sort, s->history, (size_t)n * sizeof *s->history);
    qsort(s->history_sort, (size_t)n, sizeof *s->history_sort, int32_cmp);
    if (s->by_id) {
        /* The usual case (penalties first): index the few history tokens directly
         * instead of looking every candidate up. */
        for (int32_t i = 0; i < n;) {
            int32_t id = s->history_sort[i], count = 1;
            while (i + count < n && s->history_sort[i + count] == id)
                count++;
            if (id >= 0 && id < s->n_cand)
                penalize(p, &s->cand[id], count);
            i += count;
        }
    } else {
        for (int32_t i = 0; i < s->n_cand; i++) {
            int32_t count = history_count(s->history_sort, n, s->cand[i].id);
            if (count > 0)
                penalize(p, &s->cand[i], count);
        }
    }
    s->sorted = false;
}

/* Heap helpers for top-k: a min-heap (worst candidate at the root) of size k. */
static void heap_sift_down(candidate *h, int32_t n, int32_t i) {
    for (;;) {
        int32_t worst = i, l = 2 * i + 1, r = l + 1;
        if (l < n && ranks_below(&h[l], &h[worst]))
            worst = l;
        if (r < n && ranks_below(&h[r], &h[worst]))
            worst = r;
        if (worst == i)
            return;
        candidate t = h[i];
        h[i] = h[worst];
        h[worst] = t;
        i = worst;
    }
}

/* Moves the k best candidates to the front, sorted; the others stay behind them
 * in some order (nothing is lost). O(n log k): the first k slots become a heap of
 * the best seen so far; a better later candidate swaps places with the root. */
static void select_best(hearth_sampler *s, int32_t k) {
    candidate *h = s->cand;
    for (int32_t i = k / 2 - 1; i >= 0; i--)
        heap_sift_down(h, k, i);
    for (int32_t i = k; i < s->n_cand; i++) {
        if (ranks_below(&h[0], &s->cand[i])) {
            candidate t = h[0];
            h[0] = s->cand[i];
            s->cand[i] = t;
            heap_sift_down(h, k, 0);
        }
    }
    qsort(h, (size_t)k, sizeof *h, cand_cmp);
    s->by_id = false;
}

static void apply_top_k(hearth_sampler *s) {
    int32_t k = s->p.top_k;
    if (k <= 0 || k >= s->n_cand)
        return;
    if (!s->sorted)
        select_best(s, k);
    s->n_cand = k;
    s->sorted = true;
    s->by_id = false;
}

/* Index of the best candidate (ties: lowest id). */
static int32_t argmax_index(const hearth_sampler *s) {
    int32_t best = 0;
    for (int32_t i = 1; i < s->n_cand; i++)
        if (ranks_below(&s->cand[best], &s->cand[i]))
            best = i;
    return best;
}

/* Keeps the smallest prefix (by descending probability) whose mass reaches p.
 * Sorting a whole vocabulary costs milliseconds, and the nucleus is usually a
 * handful of tokens: so the best 64, 256, ... are selected and sorted until they
 * hold mass p; only a flat distribution ends in a full sort. */
static void apply_top_p(hearth_sampler *s) {
    float p = s->p.top_p;
    if (p >= 1.0f)
        return;
    double max = (double)s->cand[argmax_index(s)].logit, total = 0.0;
    for (int32_t i = 0; i < s->n_cand; i++)
        total += exp((double)s->cand[i].logit - max);
    int32_t k = 64;
    for (;;) {
        if (k >= s->n_cand || s->sorted) {
            sort_candidates(s);
            k = s->n_cand;
        } else {
            select_best(s, k);
        }
        double cum = 0.0;
        for (int32_t i = 0; i < k; i++) {
            cum += exp((double)s->cand[i].logit - max) / total;
            if (cum >= (double)p) {
                s->n_cand = i + 1;
                s->sorted = true;
                return;
            }
        }
        if (k == s->n_cand) /* rounding kept the sum just under p: keep all */
            return;
        k = k > s->n_cand / 4 ? s->n_cand : k * 4;
    }
}

/* Keeps candidates whose probability is at least min_p times the largest one:
 * logit >= max_logit + log(min_p). Order is preserved. */
static void apply_min_p(hearth_sampler *s) {
    float p = s->p.min_p;
    if (p <= 0.0f)
        return;
    float max = -INFINITY;
    for (int32_t i = 0; i < s->n_cand; i++)
        if (s->cand[i].logit > max)
            max = s->cand[i].logit;
    double threshold = (double)max + log((double)p);
    int32_t kept = 0;
    for (int32_t i = 0; i < s->n_cand; i++)
        if ((double)s->cand[i].logit >= threshold)
            s->cand[kept++] = s->cand[i];
    if (kept < s->n_cand)
        s->by_id = false;
    s->n_cand = kept;
}

/* Divides by the temperature (order preserved: t > 0). t <= 0 is handled as greedy
 * before the chain runs. A tiny t could overflow a logit to +inf, which has no
 * probability; it is clamped to FLT_MAX instead (then it simply dominates). */
static void apply_temperature(hearth_sampler *s) {
    float t = s->p.temperature;
    for (int32_t i = 0; i < s->n_cand; i++) {
        float l = s->cand[i].logit / t;
        if (l > FLT_MAX) {
            l = FLT_MAX;
            s->sorted = false; /* clamped ties may break the id order */
        }
        s->cand[i].logit = l;
    }
}

/* Runs the chain over the loaded candidates. Greedy (temperature <= 0) applies
 * only the penalties, then keeps the single best candidate: the other stages can
 * never remove the argmax, so running them would change nothing. */
static void run_chain(hearth_sampler *s) {
    bool greedy = s->p.temperature <= 0.0f;
    for (int32_t i = 0; i < s->p.n_stages; i++) {
        switch (s->p.stages[i]) {
        case HEARTH_SAMPLE_PENALTIES: apply_penalties(s); break;
        case HEARTH_SAMPLE_TOP_K:
            if (!greedy)
                apply_top_k(s);
            break;
        case HEARTH_SAMPLE_TOP_P:
            if (!greedy)
                apply_top_p(s);
            break;
        case HEARTH_SAMPLE_MIN_P:
            if (!greedy)
                apply_min_p(s);
            break;
        case HEARTH_SAMPLE_TEMPERATURE:
            if (!greedy)
                apply_temperature(s);
            break;
        }
    }
    if (greedy) {
        s->cand[0] = s->cand[argmax_index(s)];
        s->n_cand = 1;
        s->sorted = true;
        s->by_id = false;
    }
}

/* ---- Entry points -------------------------------------------------------- */

static hearth_status check_call(const hearth_sampler *s, const float *logits, int32_t n_vocab,
                                const void *out) {
    if (!s || !logits || !out)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "sampler: NULL argument");
    if (n_vocab <= 0)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "sampler: n_vocab %d must be > 0",
                                (int)n_vocab);
    return HEARTH_OK;
}

hearth_status sampler_transform(hearth_sampler *s, const float *logits, int32_t n_vocab,
                                float *out) {
    HEARTH_TRY(check_call(s, logits, n_vocab, out));
    HEARTH_TRY(load_candidates(s, logits, n_vocab));
    run_chain(s);
    for (int32_t i = 0; i < n_vocab; i++)
        out[i] = -INFINITY;
    for (int32_t i = 0; i < s->n_cand; i++)
        out[s->cand[i].id] = s->cand[i].logit;
    return HEARTH_OK;
}

hearth_status hearth_sampler_sample(hearth_sampler *s, const float *logits, int32_t n_vocab,
                                    int32_t *token) {
    HEARTH_TRY(check_call(s, logits, n_vocab, token));
    HEARTH_TRY(load_candidates(s, logits, n_vocab));
    run_chain(s);

    /* Draw from softmax(remaining logits): walk the cumulative mass in list order
     * until it passes u * total. Candidates at -inf have zero mass and are never
     * chosen; the last candidate with mass catches rounding at the top end. */
    float max = s->cand[argmax_index(s)].logit;
    double total = 0.0;
    for (int32_t i = 0; i < s->n_cand; i++)
        total += exp((double)s->cand[i].logit - (double)max);
    double target = rng_uniform(s->rng) * total, cum = 0.0;
    int32_t chosen = -1;
    for (int32_t i = 0; i < s->n_cand; i++) {
        double w = exp((double)s->cand[i].logit - (double)max);
        if (w <= 0.0)
            continue;
        chosen = s->cand[i].id;
        cum += w;
        if (cum > target)
            break;
    }
    if (chosen < 0)
        return hearth_set_error(HEARTH_ERR_INTERNAL, "sampler: no candidate left to draw");
    *token = chosen;
    hearth_sampler_accept(s, chosen);
    return HEARTH_OK;
}
