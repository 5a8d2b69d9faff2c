/* ref_forward.c - the reference llama forward pass (see ref_forward.h).
 *
 * The whole prompt goes through one layer at a time (positions x features, all
 * double), so that every weight tensor is dequantized once into a float
 * buffer and freed: memory stays at one tensor even for billion-parameter
 * models. Every formula is the textbook one; nothing is fused or cached.
 */
#include <math.h>   /* sqrt, exp, pow, cos, sin, frexp, ldexp, nearbyint */
#include <stdio.h>  /* fprintf */
#include <stdlib.h> /* malloc, calloc, free */
#include <string.h> /* strcmp */

#include "hearth.h"
#include "kernels/kernels.h" /* hearth_kernels_ref: the reference dequantizers */
#include "ref_forward.h"

typedef struct ref_model {
    const hearth_gguf *g;
    int64_t dim, n_layer, ff, n_head, n_kv, hd, n_rot, n_vocab;
    double rope_base, eps, freq_scale;
    const float *rope_freqs; /* (n_rot / 2) or NULL */
} ref_model;

static bool get_int(const hearth_gguf *g, const char *key, int64_t *out, bool required) {
    uint64_t v;
    if (hearth_gguf_find_key(g, key) < 0)
        return !required;
    if (hearth_gguf_get_u64(g, key, &v) != HEARTH_OK)
        return false;
    *out = (int64_t)v;
    return true;
}

static void get_float(const hearth_gguf *g, const char *key, double *out) {
    float v;
    if (hearth_gguf_find_key(g, key) >= 0 && hearth_gguf_get_f32(g, key, &v) == HEARTH_OK)
        *out = v;
}

/* Tensor `name` as a float matrix (rows, cols), malloc'd; NULL if absent. */
static float *load(const ref_model *m, const char *name, int64_t *rows, int64_t *cols) {
    const hearth_gguf_tensor *t = hearth_gguf_find_tensor(m->g, name);
    if (!t || !hearth_kernels_ref.dequantize_row[t->type])
        return NULL;
    *cols = t->ne[0];
    *rows = t->ne[1];
    float *f = malloc((size_t)(*rows * *cols) * sizeof(float));
    size_t row_bytes = (size_t)(t->ne[0] / hearth_type_block_size(t->type)) *
                       hearth_type_block_bytes(t->type);
    for (int64_t r = 0; f && r < *rows; r++)
        hearth_kernels_ref.dequantize_row[t->type]((const char *)t->data + r * row_bytes,
                                                   f + r * *cols, *cols);
    return f;
}

/* out (n, rows) = in (n, cols) . W^T for the tensor `name`. */
static bool matmul(const ref_model *m, const char *name, const double *in, int64_t n,
                   double *out) {
    int64_t rows, cols;
    float *W = load(m, name, &rows, &cols);
    if (!W) {
        fprintf(stderr, "ref_forward: tensor %s missing or not dequantizable\n", name);
        return false;
    }
    for (int64_t t = 0; t < n; t++)
        for (int64_t r = 0; r < rows; r++) {
            double s = 0.0;
            for (int64_t c = 0; c < cols; c++)
                s += (double)W[r * cols + c] * in[t * cols + c];
            out[t * rows + r] = s;
        }
    free(W);
    return true;
}

/* out = x / sqrt(mean(x^2) + eps) * w, for each of n rows of dim values. */
static bool rmsnorm(const ref_model *m, const char *name, const double *x, int64_t n,
                    double *out) {
    int64_t rows, cols;
    float *w = load(m, name, &rows, &cols);
    if (!w)
        return false;
    for (int64_t t = 0; t < n; t++) {
        double ss = 0.0;
        for (int64_t i = 0; i < m->dim; i++)
            ss += x[t * m->dim + i] * x[t * m->dim + i];
        double scale = 1.0 / sqrt(ss / (double)m->dim + m->eps);
        for (int64_t i = 0; i < m->dim; i++)
            out[t * m->dim + i] = x[t * m->dim + i] * scale * w[i];
    }
    free(w);
    return true;
}

/* Rotates pairs (v[2i], v[2i+1]) of each head by pos * freq_i. */
static void rope(const ref_model *m, double *v, int64_t n_heads, int64_t pos) {
    for (int64_t h = 0; h < n_heads; h++)
        for (int64_t i = 0; i < m->n_rot / 2; i++) {
            double freq = pow(m->rope_base, -2.0 * (double)i / (double)m->n_rot);
            if (m->rope_freqs)
                freq /= m->rope_freqs[i];
            double a = (double)pos * m->freq_scale * freq;
            double *p = v + h * m->hd + 2 * i;
            double x0 = p[0], x1 = p[1];
            p[0] = x0 * cos(a) - x1 * sin(a);
            p[1] = x0 * sin(a) + x1 * cos(a);
        }
}

/* The nearest IEEE binary16 value (round half to even), as a double. */
static double round_f16(double x) {
    double ax = fabs(x);
    if (ax == 0.0 || ax >= 65520.0)
        return ax == 0.0 ? x : copysign(INFINITY, x);
    int e;
    frexp(ax, &e); /* ax = f * 2^e, f in [0.5, 1) */
    int exp2 = e - 1 < -14 ? -14 : e - 1;     /* subnormals share the exponent of 2^-14 */
    double quantum = ldexp(1.0, exp2 - 10);   /* 10 fraction bits */
    return copysign(nearbyint(ax / quantum) * quantum, x);
}

static bool run(const ref_model *m, const int32_t *tokens, int64_t n, bool kv_f16,
                float *logits) {
    const int64_t dim = m->dim, kv_dim = m->n_kv * m->hd, ff = m->ff;
#define ALLOC(count) calloc((size_t)(count), sizeof(double))
    double *x = ALLOC(n * dim), *xb = ALLOC(n * dim), *q = ALLOC(n * dim), *att = ALLOC(n * dim);
    double *k = ALLOC(n * kv_dim), *v = ALLOC(n * kv_dim), *g = ALLOC(n * ff), *u = ALLOC(n * ff);
    double *s = ALLOC(n), *out = ALLOC(n * m->n_vocab);
#undef ALLOC
    bool ok = x && xb && q && att && k && v && g && u && s && out;
    char name[96];

    int64_t rows, cols;
    float *E = ok ? load(m, "token_embd.weight", &rows, &cols) : NULL;
    ok = ok && E;
    for (int64_t t = 0; ok && t < n; t++)
        for (int64_t i = 0; i < dim; i++)
            x[t * dim + i] = E ? E[(int64_t)tokens[t] * dim + i] : 0.0;
    free(E);

    for (int64_t l = 0; ok && l < m->n_layer; l++) {
#define T(suffix) (snprintf(name, sizeof name, "blk.%lld.%s.weight", (long long)l, suffix), name)
        ok = rmsnorm(m, T("attn_norm"), x, n, xb) && matmul(m, T("attn_q"), xb, n, q) &&
             matmul(m, T("attn_k"), xb, n, k) && matmul(m, T("attn_v"), xb, n, v);
        if (!ok)
            break;
        for (int64_t t = 0; t < n; t++) {
            rope(m, q + t * dim, m->n_head, t);
            rope(m, k + t * kv_dim, m->n_kv, t);
            for (int64_t i = 0; kv_f16 && i < kv_dim; i++) { /* the cache stores F16 */
                k[t * kv_dim + i] = round_f16(k[t * kv_dim + i]);
                v[t * kv_dim + i] = round_f16(v[t * kv_dim + i]);
            }
        }
        for (int64_t t = 0; t < n; t++)
            for (int64_t h = 0; h < m->n_head; h++) {
                int64_t kvh = h / (m->n_head / m->n_kv);
                double max = -INFINITY, sum = 0.0;
                for (int64_t p = 0; p <= t; p++) { /* causal: positions 0..t */
                    double d = 0.0;
                    for (int64_t i = 0; i < m->hd; i++)
                        d += q[t * dim + h * m->hd + i] * k[p * kv_dim + kvh * m->hd + i];
                    s[p] = d / sqrt((double)m->hd);
                    max = s[p] > max ? s[p] : max;
                }
                for (int64_t p = 0; p <= t; p++)
                    sum += (s[p] = exp(s[p] - max));
                for (int64_t i = 0; i < m->hd; i++) {
                    double a = 0.0;
                    for (int64_t p = 0; p <= t; p++)
                        a += s[p] / sum * v[p * kv_dim + kvh * m->hd + i];
                    att[t * dim + h * m->hd + i] = a;
                }
            }
        ok = matmul(m, T("attn_output"), att, n, xb);
        for (int64_t i = 0; ok && i < n * dim; i++)
            x[i] += xb[i];
        ok = ok && rmsnorm(m, T("ffn_norm"), x, n, xb) && matmul(m, T("ffn_gate"), xb, n, g) &&
             matmul(m, T("ffn_up"), xb, n, u);
        for (int64_t i = 0; ok && i < n * ff; i++)
            g[i] = g[i] / (1.0 + exp(-g[i])) * u[i]; /* silu(gate) * up */
        ok = ok && matmul(m, T("ffn_down"), g, n, xb);
        for (int64_t i = 0; ok && i < n * dim; i++)
            x[i] += xb[i];
#undef T
    }
    ok = ok && rmsnorm(m, "output_norm.weight", x, n, xb);
    const char *out_name = hearth_gguf_find_tensor(m->g, "output.weight") ? "output.weight"
                                                                          : "token_embd.weight";
    ok = ok && matmul(m, out_name, xb, n, out);
    for (int64_t i = 0; ok && i < n * m->n_vocab; i++)
        logits[i] = (float)out[i];
    free(x), free(xb), free(q), free(att), free(k), free(v), free(g), free(u), free(s), free(out);
    return ok;
}

bool ref_forward(const char *path, const int32_t *tokens, int n, bool kv_f16,
                 float **logits_out, int *n_vocab_out) {
    *logits_out = NULL;
    hearth_gguf *g;
    if (hearth_gguf_open(path, NULL, &g) != HEARTH_OK) {
        fprintf(stderr, "ref_forward: %s\n", hearth_last_error());
        return false;
    }
    ref_model m = {.g = g, .rope_base = 10000.0, .eps = 1e-5, .freq_scale = 1.0};
    bool ok = get_int(g, "llama.embedding_length", &m.dim, true) &&
              get_int(g, "llama.block_count", &m.n_layer, true) &&
              get_int(g, "llama.feed_forward_length", &m.ff, true) &&
              get_int(g, "llama.attention.head_count", &m.n_head, true);
    m.n_kv = m.n_head;
    ok = ok && get_int(g, "llama.attention.head_count_kv", &m.n_kv, false);
    m.hd = ok ? m.dim / m.n_head : 0;
    m.n_rot = m.hd;
    ok = ok && get_int(g, "llama.rope.dimension_count", &m.n_rot, false);
    get_float(g, "llama.rope.freq_base", &m.rope_base);
    get_float(g, "llama.attention.layer_norm_rms_epsilon", &m.eps);
    double factor = 0.0;
    get_float(g, "llama.rope.scaling.factor", &factor);
    if (factor > 0.0)
        m.freq_scale = 1.0 / factor;
    const hearth_gguf_tensor *te = hearth_gguf_find_tensor(g, "token_embd.weight");
    const hearth_gguf_tensor *rf = hearth_gguf_find_tensor(g, "rope_freqs.weight");
    m.rope_freqs = rf ? rf->data : NULL;
    ok = ok && te;
    m.n_vocab = te ? te->ne[1] : 0;
    float *logits = ok ? malloc((size_t)(n * m.n_vocab) * sizeof(float)) : NULL;
    ok = ok && logits && run(&m, tokens, n, kv_f16, logits);
    hearth_gguf_close(g);
    if (!ok) {
        free(logits);
        fprintf(stderr, "ref_forward: %s: cannot run the reference\n", path);
        return false;
    }
    *logits_out = logits;
    *n_vocab_out = (int)m.n_vocab;
    return true;
}
