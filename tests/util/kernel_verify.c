/* kernel_verify.c - compares kernel tables with the scalar reference.
 *
 * Check-free on purpose: the same code runs inside the Check suite
 * (tests/check_kernels.c) and in the NEON harness cross-compiled for qemu
 * (tests/arm/). Buffers are allocated at their exact size so that ASan sees
 * any read past `n` values. The acceptance rules are STYLE §8: bit-exact for
 * (de)quantization and integer paths, 2 * n * FLT_EPSILON * sum|term| for
 * float reductions, and the per-op bounds declared in kernels/kernels.h.
 */
#include "kernel_verify.h"

#include <float.h>  /* FLT_EPSILON */
#include <math.h>   /* fabs, isfinite */
#include <stdio.h>  /* snprintf */
#include <stdlib.h> /* malloc, free */
#include <string.h> /* memcmp, memset */

/* ---- Seeded data ---------------------------------------------------------- */

/* splitmix64: tiny, good enough, and identical on every platform. */
static uint64_t next_u64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double next_unit(uint64_t *s) { /* [0, 1) */
    return (double)(next_u64(s) >> 11) / 9007199254740992.0;
}

static float next_normal(uint64_t *s) {
    const double u1 = next_unit(s) + 1e-300, u2 = next_unit(s);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

const char *kv_pattern_name(kv_pattern p) {
    static const char *names[] = {"normal", "zeros", "huge", "tiny", "outlier", "ties"};
    return p < KV_PATTERN_COUNT ? names[p] : "?";
}

void kv_fill(float *x, int64_t n, kv_pattern p, uint64_t seed) {
    uint64_t s = seed * 0x2545F4914F6CDD1Dull + (uint64_t)p;
    for (int64_t i = 0; i < n; i++) {
        switch (p) {
        case KV_NORMAL:
            x[i] = next_normal(&s);
            break;
        case KV_ZEROS:
            x[i] = 0.0f;
            break;
        case KV_HUGE:
            x[i] = (float)((next_unit(&s) * 5e4 + 1e4) * (next_u64(&s) & 1 ? 1 : -1));
            break;
        case KV_TINY:
            x[i] = next_normal(&s) * 1e-6f;
            break;
        case KV_OUTLIER:
            x[i] = i % 32 == (int64_t)(seed % 32) ? (next_u64(&s) & 1 ? 50.0f : -50.0f)
                                                  : next_normal(&s);
            break;
        case KV_TIES:
            /* one 127 per block gives Q8 scale 1 exactly, so x * id lands on
             * k + 0.5: the rounding rule of every quantizer is exercised */
            x[i] = i % 32 == 0 ? 127.0f : (float)((int)(next_u64(&s) % 253) - 126) + 0.5f;
            break;
        default:
            x[i] = 0.0f;
        }
    }
}

uint64_t kv_fnv1a(const void *data, size_t n) {
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

bool kv_type_computable(const hearth_kernels *ref, int type) {
    return type >= 0 && type < HEARTH_TYPE_COUNT && ref->vec_dot[type] != NULL;
}

/* ---- Quantize / dequantize ------------------------------------------------ */

static void *xmalloc(size_t n) {
    void *p = calloc(n ? n : 1, 1); /* zeroed: no uninitialised reads anywhere */
    if (!p)
        abort(); /* a test process, not the library */
    return p;
}

/* `slot` names the slot in the message ("quantize_row" or "quantize_act"). */
static bool check_quantize(hearth_quantize_row_fn got_fn, hearth_quantize_row_fn want_fn,
                           const char *slot, int type, int64_t n, kv_pattern p, uint64_t seed,
                           char *msg, size_t msg_size) {
    const size_t bytes = hearth_row_bytes(type, n);
    float *x = xmalloc((size_t)n * sizeof(float));
    unsigned char *a = xmalloc(bytes), *b = xmalloc(bytes);
    kv_fill(x, n, p, seed);
    memset(a, 0xAA, bytes);
    memset(b, 0x55, bytes);
    want_fn(x, a, n);
    got_fn(x, b, n);
    bool ok = memcmp(a, b, bytes) == 0;
    if (!ok) {
        size_t at = 0;
        while (a[at] == b[at])
            at++;
        snprintf(msg, msg_size, "%s %s n=%lld %s seed=%llu: byte %zu is %02x, ref %02x", slot,
                 hearth_type_traits_of(type)->name, (long long)n, kv_pattern_name(p),
                 (unsigned long long)seed, at, b[at], a[at]);
    }
    free(x);
    free(a);
    free(b);
    return ok;
}

bool kv_check_quantize(const hearth_kernels *k, const hearth_kernels *ref, int type, int64_t n,
                       kv_pattern p, uint64_t seed, char *msg, size_t msg_size) {
    return check_quantize(k->quantize_row[type], ref->quantize_row[type], "quantize_row", type, n,
                          p, seed, msg, msg_size);
}

bool kv_check_quantize_act(const hearth_kernels *k, const hearth_kernels *ref, int type,
                           int64_t n, kv_pattern p, uint64_t seed, char *msg, size_t msg_size) {
    return check_quantize(k->quantize_act[type], ref->quantize_act[type], "quantize_act", type, n,
                          p, seed, msg, msg_size);
}

bool kv_check_dequantize(const hearth_kernels *k, const hearth_kernels *ref, int type,
                         int64_t n, kv_pattern p, uint64_t seed, char *msg, size_t msg_size) {
    const size_t bytes = hearth_row_bytes(type, n);
    float *x = xmalloc((size_t)n * sizeof(float));
    float *ya = xmalloc((size_t)n * sizeof(float)), *yb = xmalloc((size_t)n * sizeof(float));
    unsigned char *q = xmalloc(bytes);
    kv_fill(x, n, p, seed);
    ref->quantize_row[type](x, q, n);
    ref->dequantize_row[type](q, ya, n);
    k->dequantize_row[type](q, yb, n);
    bool ok = memcmp(ya, yb, (size_t)n * sizeof(float)) == 0;
    if (!ok) {
        int64_t at = 0;
        while (memcmp(&ya[at], &yb[at], sizeof(float)) == 0)
            at++;
        snprintf(msg, msg_size, "dequantize_row %s n=%lld %s seed=%llu: [%lld] = %.9g, ref %.9g",
                 hearth_type_traits_of(type)->name, (long long)n, kv_pattern_name(p),
                 (unsigned long long)seed, (long long)at, yb[at], ya[at]);
    }
    free(x);
    free(ya);
    free(yb);
    free(q);
    return ok;
}

/* ---- Dot products --------------------------------------------------------- */

/* An upper bound of sum|term| over every float term any summation order of
 * this dot product can form: for each value, |w| plus twice the largest |w|
 * of its 32-value block (which covers separately summed offset terms such as
 * Q4_1's m * s), times |a|, in double. */
static double abs_terms(const float *w, const float *a, int64_t n) {
    double total = 0.0;
    for (int64_t b0 = 0; b0 < n; b0 += 32) {
        const int64_t end = b0 + 32 < n ? b0 + 32 : n;
        double m = 0.0;
        for (int64_t i = b0; i < end; i++)
            m = fmax(m, fabs((double)w[i]));
        for (int64_t i = b0; i < end; i++)
            total += (fabs((double)w[i]) + 2.0 * m) * fabs((double)a[i]);
    }
    return total;
}

typedef struct dot_case {
    int type, atype;
    size_t wbytes, abytes;
    unsigned char *w, *a; /* one weight row, one activation row */
    float *wf, *af;       /* their dequantized values (for the bound) */
} dot_case;

static void dot_case_make(dot_case *c, const hearth_kernels *ref, int type, int64_t n,
                          kv_pattern p, uint64_t seed) {
    c->type = type;
    c->atype = hearth_type_traits_of(type)->vec_dot_type;
    c->wbytes = hearth_row_bytes(type, n);
    c->abytes = hearth_row_bytes(c->atype, n);
    float *x = xmalloc((size_t)n * sizeof(float));
    c->w = xmalloc(c->wbytes);
    c->a = xmalloc(c->abytes);
    c->wf = xmalloc((size_t)n * sizeof(float));
    c->af = xmalloc((size_t)n * sizeof(float));
    kv_fill(x, n, p, seed);
    ref->quantize_row[type](x, c->w, n);
    kv_fill(x, n, p == KV_ZEROS ? KV_ZEROS : KV_NORMAL, seed + 7777);
    ref->quantize_row[c->atype](x, c->a, n);
    ref->dequantize_row[type](c->w, c->wf, n);
    ref->dequantize_row[c->atype](c->a, c->af, n);
    free(x);
}

static void dot_case_free(dot_case *c) {
    free(c->w);
    free(c->a);
    free(c->wf);
    free(c->af);
}

bool kv_check_vec_dot(const hearth_kernels *k, const hearth_kernels *ref, int type, int64_t n,
                      kv_pattern p, uint64_t seed, char *msg, size_t msg_size) {
    dot_case c;
    dot_case_make(&c, ref, type, n, p, seed);
    float want = -1.0f, got = -2.0f;
    ref->vec_dot[type](n, &want, c.w, c.a);
    k->vec_dot[type](n, &got, c.w, c.a);
    const double bound = 2.0 * (double)n * FLT_EPSILON * abs_terms(c.wf, c.af, n);
    const double diff = fabs((double)got - (double)want);
    const bool ok = isfinite(got) && diff <= bound;
    if (!ok)
        snprintf(msg, msg_size,
                 "vec_dot %s n=%lld %s seed=%llu: %.9g, ref %.9g (|diff| %.3g > bound %.3g)",
                 hearth_type_traits_of(type)->name, (long long)n, kv_pattern_name(p),
                 (unsigned long long)seed, got, want, diff, bound);
    dot_case_free(&c);
    return ok;
}

bool kv_check_mat_dot(const hearth_kernels *k, int type, int64_t n, int64_t nr, int64_t nc,
                      uint64_t seed, char *msg, size_t msg_size) {
    const int atype = hearth_type_traits_of(type)->vec_dot_type;
    const size_t wrow = hearth_row_bytes(type, n), arow = hearth_row_bytes(atype, n);
    /* strides larger than a row prove the kernel honours them; multiples of
     * 8 keep rows aligned to their element / block struct (kernels.h) */
    const size_t ws = wrow + 8, as = arow + 16;
    const int64_t ldo = nr + 3;
    unsigned char *w = xmalloc(ws * (size_t)nr), *a = xmalloc(as * (size_t)nc);
    float *x = xmalloc((size_t)n * sizeof(float));
    float *out = xmalloc((size_t)(ldo * nc) * sizeof(float));
    for (int64_t r = 0; r < nr; r++) {
        kv_fill(x, n, (kv_pattern)(r % 2 ? KV_OUTLIER : KV_NORMAL), seed + (uint64_t)r);
        k->quantize_row[type](x, w + (size_t)r * ws, n);
    }
    for (int64_t c = 0; c < nc; c++) {
        kv_fill(x, n, KV_NORMAL, seed + 1000 + (uint64_t)c);
        k->quantize_row[atype](x, a + (size_t)c * as, n);
    }
    const float sentinel = -12345.0f;
    for (int64_t i = 0; i < ldo * nc; i++)
        out[i] = sentinel;
    k->mat_dot[type](n, nr, nc, out, ldo, w, ws, a, as);
    /* rows a tier computes in its batch layout carry the reference's bits */
    const int group = k->mat_dot_ref_rows[type];
    const int64_t ref_rows = group && nc >= HEARTH_MAT_DOT_REF_MIN_COLS ? nr / group * group : 0;
    bool ok = true;
    for (int64_t c = 0; c < nc && ok; c++) {
        for (int64_t r = 0; r < ldo && ok; r++) {
            const float got = out[c * ldo + r];
            if (r >= nr) {
                if (memcmp(&got, &sentinel, sizeof got) != 0) {
                    ok = false;
                    snprintf(msg, msg_size, "mat_dot %s n=%lld %lldx%lld wrote outside the tile "
                             "at r=%lld c=%lld", hearth_type_traits_of(type)->name,
                             (long long)n, (long long)nr, (long long)nc, (long long)r,
                             (long long)c);
                }
                continue;
            }
            float want;
            const hearth_kernels *by = r < ref_rows ? &hearth_kernels_ref : k;
            by->vec_dot[type](n, &want, w + (size_t)r * ws, a + (size_t)c * as);
            if (memcmp(&got, &want, sizeof got) != 0) {
                ok = false;
                snprintf(msg, msg_size,
                         "mat_dot %s n=%lld %lldx%lld seed=%llu: out[r=%lld c=%lld] = %.9g, "
                         "%s vec_dot %.9g (must be bit-identical)",
                         hearth_type_traits_of(type)->name, (long long)n, (long long)nr,
                         (long long)nc, (unsigned long long)seed, (long long)r, (long long)c,
                         got, r < ref_rows ? "reference" : "the tier's", want);
            }
        }
    }
    free(w);
    free(a);
    free(x);
    free(out);
    return ok;
}

/* ---- Element ops ---------------------------------------------------------- */

/* |got - want| <= rel * |want| + abs_tol, element by element. */
static bool close_rel(const char *op, const float *got, const float *want, int64_t n,
                      double rel, double abs_tol, char *msg, size_t msg_size) {
    for (int64_t i = 0; i < n; i++) {
        const double d = fabs((double)got[i] - (double)want[i]);
        if (!(d <= rel * fabs((double)want[i]) + abs_tol)) {
            snprintf(msg, msg_size, "%s n=%lld: [%lld] = %.9g, ref %.9g (rel bound %.3g)", op,
                     (long long)n, (long long)i, got[i], want[i], rel);
            return false;
        }
    }
    return true;
}

static bool dot_bound(const char *op, float got, float want, double sum_abs, int64_t n,
                      char *msg, size_t msg_size) {
    const double bound = 2.0 * (double)n * FLT_EPSILON * sum_abs;
    if (fabs((double)got - (double)want) <= bound)
        return true;
    snprintf(msg, msg_size, "%s n=%lld: %.9g, ref %.9g (bound %.3g)", op, (long long)n, got, want,
             bound);
    return false;
}

bool kv_check_ops(const hearth_kernels *k, const hearth_kernels *ref, int64_t n, uint64_t seed,
                  char *msg, size_t msg_size) {
    const size_t fb = (size_t)n * sizeof(float);
    float *x = xmalloc(fb), *y = xmalloc(fb), *w = xmalloc(fb);
    float *o1 = xmalloc(fb), *o2 = xmalloc(fb);
    hearth_f16 *h = xmalloc((size_t)n * sizeof(hearth_f16));
    kv_fill(x, n, KV_NORMAL, seed);
    kv_fill(y, n, KV_NORMAL, seed + 1);
    kv_fill(w, n, KV_NORMAL, seed + 2);
    for (int64_t i = 0; i < n; i++)
        h[i] = hearth_f32_to_f16(w[i]);
    const double eps = FLT_EPSILON;
    bool ok = true;

    /* rmsnorm: the sum of squares may be reordered (relative error
     * 2 n eps of a positive sum, halved by the square root), plus a few
     * roundings of the final products */
    ref->rmsnorm(o1, x, w, n, 1e-5f);
    k->rmsnorm(o2, x, w, n, 1e-5f);
    ok = ok && close_rel("rmsnorm", o2, o1, n, (double)n * eps + 4 * eps, 0.0, msg, msg_size);
    memcpy(o2, x, fb); /* in place (out aliases x) must give the same values */
    k->rmsnorm(o2, o2, w, n, 1e-5f);
    ok = ok && close_rel("rmsnorm(in place)", o2, o1, n, (double)n * eps + 4 * eps, 0.0, msg,
                         msg_size);

    /* softmax: exp within 4e-6 relative, plus the reordered positive sum */
    for (int64_t i = 0; i < n; i++)
        o1[i] = o2[i] = x[i] * 8.0f;
    ref->softmax(o1, n);
    k->softmax(o2, n);
    ok = ok && close_rel("softmax", o2, o1, n, 4e-6 + 2.0 * (double)n * eps, 0.0, msg, msg_size);
    /* softmax over the whole range of exp down to past ln(FLT_MIN) (terms
     * that small may be flushed to 0: absolute FLT_MIN) */
    for (int64_t i = 0; i < n; i++)
        o1[i] = o2[i] = -100.0f * (float)i / (float)n + 0.37f * x[i];
    ref->softmax(o1, n);
    k->softmax(o2, n);
    ok = ok && close_rel("softmax(wide)", o2, o1, n, 4e-6 + 2.0 * (double)n * eps, FLT_MIN, msg,
                         msg_size);

    /* silu_mul: exp within 4e-6 relative; no cancellation in g / (1 + e^-g) */
    for (int64_t i = 0; i < n; i++)
        x[i] *= 6.0f;
    ref->silu_mul(o1, x, y, n);
    k->silu_mul(o2, x, y, n);
    ok = ok && close_rel("silu_mul", o2, o1, n, 4e-6, 0.0, msg, msg_size);
    memcpy(o2, x, fb);
    k->silu_mul(o2, o2, y, n);
    ok = ok && close_rel("silu_mul(in place)", o2, o1, n, 4e-6, 0.0, msg, msg_size);
    /* silu_mul over gates from -80 to 80 (exp of every magnitude) */
    for (int64_t i = 0; i < n; i++)
        w[i] = n > 1 ? -80.0f + 160.0f * (float)i / (float)(n - 1) : -80.0f;
    ref->silu_mul(o1, w, y, n);
    k->silu_mul(o2, w, y, n);
    ok = ok && close_rel("silu_mul(wide)", o2, o1, n, 4e-6, 0.0, msg, msg_size);

    /* add and axpy: element-wise, every tier rounds exactly like the reference */
    ref->add(o1, x, y, n);
    k->add(o2, x, y, n);
    ok = ok && close_rel("add", o2, o1, n, 0.0, 0.0, msg, msg_size);
    memcpy(o1, y, fb);
    memcpy(o2, y, fb);
    ref->axpy_f32(o1, 0.37f, x, n);
    k->axpy_f32(o2, 0.37f, x, n);
    ok = ok && close_rel("axpy_f32", o2, o1, n, 0.0, 0.0, msg, msg_size);
    memcpy(o1, y, fb);
    memcpy(o2, y, fb);
    ref->axpy_f16(o1, -1.7f, h, n);
    k->axpy_f16(o2, -1.7f, h, n);
    ok = ok && close_rel("axpy_f16", o2, o1, n, 0.0, 0.0, msg, msg_size);

    /* dot products: float reductions */
    double s32 = 0.0, s16 = 0.0;
    for (int64_t i = 0; i < n; i++) {
        s32 += fabs((double)x[i] * y[i]);
        s16 += fabs((double)hearth_f16_to_f32(h[i]) * y[i]);
    }
    ok = ok && dot_bound("dot_f32", k->dot_f32(x, y, n), ref->dot_f32(x, y, n), s32, n, msg,
                         msg_size);
    ok = ok && dot_bound("dot_f16_f32", k->dot_f16_f32(h, y, n), ref->dot_f16_f32(h, y, n), s16,
                         n, msg, msg_size);
    free(x);
    free(y);
    free(w);
    free(o1);
    free(o2);
    free(h);
    return ok;
}

/* ---- Attention tiles -------------------------------------------------------- */

/* First output where got and want differ in bits, or -1. */
static int64_t first_diff(const float *got, const float *want, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (memcmp(&got[i], &want[i], sizeof *got) != 0)
            return i;
    return -1;
}

bool kv_check_gemm(const hearth_kernels *k, const hearth_kernels *ref, int64_t m, int64_t n,
                   int64_t kk, uint64_t seed, char *msg, size_t msg_size) {
    /* strides wider than the shapes; buffers end exactly at the last value
     * used, so ASan sees any access past it */
    const int64_t lda = kk + 3, ldb = n + 5, ldc = n + 2;
    const int64_t na = (m - 1) * lda + kk, nb = kk > 0 ? (kk - 1) * ldb + n : 0;
    const int64_t nc = (m - 1) * ldc + n;
    float *a = xmalloc((size_t)na * sizeof(float)), *b = xmalloc((size_t)nb * sizeof(float));
    float *c0 = xmalloc((size_t)nc * sizeof(float)), *c1 = xmalloc((size_t)nc * sizeof(float));
    float *c2 = xmalloc((size_t)nc * sizeof(float));
    kv_fill(a, na, KV_NORMAL, seed);
    kv_fill(b, nb, KV_OUTLIER, seed + 1);
    kv_fill(c0, nc, KV_NORMAL, seed + 2);
    bool ok = true;
    const char *what = "";
    for (int accumulate = 0; accumulate < 2 && ok; accumulate++) {
        memcpy(c1, c0, (size_t)nc * sizeof(float));
        memcpy(c2, c0, (size_t)nc * sizeof(float));
        ref->gemm_f32(m, n, kk, a, lda, b, ldb, c1, ldc, accumulate);
        k->gemm_f32(m, n, kk, a, lda, b, ldb, c2, ldc, accumulate);
        what = accumulate ? "accumulate" : "overwrite";
        ok = first_diff(c2, c1, nc) < 0;
        if (ok && kk > 1) { /* the same chain split in two calls */
            const int64_t k1 = kk / 2;
            memcpy(c2, c0, (size_t)nc * sizeof(float));
            k->gemm_f32(m, n, k1, a, lda, b, ldb, c2, ldc, accumulate);
            k->gemm_f32(m, n, kk - k1, a + k1, lda, b + k1 * ldb, ldb, c2, ldc, true);
            what = accumulate ? "accumulate, k split" : "overwrite, k split";
            ok = first_diff(c2, c1, nc) < 0;
        }
    }
    if (!ok) {
        const int64_t at = first_diff(c2, c1, nc);
        snprintf(msg, msg_size,
                 "gemm_f32 %lldx%lldx%lld (%s) seed=%llu: c[%lld][%lld] = %.9g, ref %.9g "
                 "(must be bit-identical)",
                 (long long)m, (long long)n, (long long)kk, what, (unsigned long long)seed,
                 (long long)(at / ldc), (long long)(at % ldc), c2[at], c1[at]);
    }
    free(a);
    free(b);
    free(c0);
    free(c1);
    free(c2);
    return ok;
}

bool kv_check_transpose(const hearth_kernels *k, const hearth_kernels *ref, int64_t n_rows,
                        int64_t n_cols, uint64_t seed, char *msg, size_t msg_size) {
    const int64_t lds = n_cols + 3, ldd = n_rows + 1;
    const int64_t ns = (n_rows - 1) * lds + n_cols, nd = (n_cols - 1) * ldd + n_rows;
    float *x = xmalloc((size_t)ns * sizeof(float));
    hearth_f16 *h = xmalloc((size_t)ns * sizeof(hearth_f16));
    float *d1 = xmalloc((size_t)nd * sizeof(float)), *d2 = xmalloc((size_t)nd * sizeof(float));
    kv_fill(x, ns, KV_NORMAL, seed);
    for (int64_t i = 0; i < ns; i++)
        h[i] = hearth_f32_to_f16(x[i]);
    ref->transpose_f16_f32(d1, ldd, h, (size_t)lds * sizeof *h, n_rows, n_cols);
    k->transpose_f16_f32(d2, ldd, h, (size_t)lds * sizeof *h, n_rows, n_cols);
    int64_t at = first_diff(d2, d1, nd);
    const char *op = "transpose_f16_f32";
    if (at < 0) {
        ref->transpose_f32(d1, ldd, x, (size_t)lds * sizeof *x, n_rows, n_cols);
        k->transpose_f32(d2, ldd, x, (size_t)lds * sizeof *x, n_rows, n_cols);
        at = first_diff(d2, d1, nd);
        op = "transpose_f32";
    }
    if (at >= 0)
        snprintf(msg, msg_size, "%s %lldx%lld: dst[%lld][%lld] = %.9g, ref %.9g", op,
                 (long long)n_rows, (long long)n_cols, (long long)(at / ldd),
                 (long long)(at % ldd), d2[at], d1[at]);
    free(x);
    free(h);
    free(d1);
    free(d2);
    return at < 0;
}
