/* kquant_util.c - searches and generic loops shared by the K-quant reference files.
 *
 * The quantizers of Q2_K..Q6_K and IQ4_XS all fit, per small sub-block, a scale
 * (and for some a min) that minimises a weighted squared (or absolute) error,
 * by trying a grid of inverse scales and solving the least-squares problem for
 * the levels each trial picks. These are the same algorithms as llama.cpp's
 * reference quantizers (written anew here), so the RMSE on any data is the same.
 * Plain C, no ISA flags; rounding is half-to-even everywhere (kq_round_clamp).
 */
#include "kquant_util.h"

#include <math.h> /* fabsf, sqrtf */

/* Below this, a group counts as all zeros (same threshold as llama.cpp). */
#define KQ_GROUP_EPS 1e-15f

/* ---- Scale packing ------------------------------------------------------- */

void kquant_pack_scale_min(uint8_t packed[12], const uint8_t sc[8], const uint8_t m[8]) {
    for (int j = 0; j < 4; j++) {
        packed[j] = (uint8_t)(sc[j] | ((sc[j + 4] >> 4) << 6));
        packed[j + 4] = (uint8_t)(m[j] | ((m[j + 4] >> 4) << 6));
        packed[j + 8] = (uint8_t)((sc[j + 4] & 0xf) | ((m[j + 4] & 0xf) << 4));
    }
}

/* ---- Fits ---------------------------------------------------------------- */

/* Asymmetric fit: x[i] ~ scale * L[i] + min with L in 0..nmax and min <= 0.
 * Start from the min/max grid (iscale = nmax / (max - min)); then for each of
 * nstep + 1 trial inverse scales (rmin + rdelta * k + nmax) / (max - min),
 * round, and solve the 2x2 weighted least-squares system for (scale, min):
 *     D = Sw * Sll - Sl^2,  scale = (Sw * Sxl - Sx * Sl) / D,  min = (Sll * Sx - Sl * Sxl) / D
 * (min clipped to 0, then scale = Sxl / Sll); keep the trial with the lowest
 * weighted error sum_i w_i * e_i, e = |err| when use_abs else err^2. */
float kquant_fit_scale_min(int n, int nmax, const float *x, const float *weights, uint8_t *L,
                           float *min_out, float rmin, float rdelta, int nstep, bool use_abs) {
    float lo = x[0];
    float hi = x[0];
    float sum_w = weights[0];
    float sum_x = sum_w * x[0];
    for (int i = 1; i < n; i++) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
        sum_w += weights[i];
        sum_x += weights[i] * x[i];
    }
    if (lo > 0)
        lo = 0;
    if (hi == lo) {
        for (int i = 0; i < n; i++)
            L[i] = 0;
        *min_out = -lo;
        return 0.f;
    }
    float iscale = nmax / (hi - lo);
    float scale = 1 / iscale;
    float best_err = 0;
    for (int i = 0; i < n; i++) {
        L[i] = (uint8_t)kq_round_clamp(iscale * (x[i] - lo), 0, nmax);
        float diff = scale * L[i] + lo - x[i];
        best_err += weights[i] * (use_abs ? fabsf(diff) : diff * diff);
    }
    if (nstep < 1) {
        *min_out = -lo;
        return scale;
    }
    uint8_t trial[QK_K];
    for (int step = 0; step <= nstep; step++) {
        iscale = (rmin + rdelta * step + nmax) / (hi - lo);
        float sum_l = 0, sum_l2 = 0, sum_xl = 0;
        for (int i = 0; i < n; i++) {
            int l = kq_round_clamp(iscale * (x[i] - lo), 0, nmax);
            trial[i] = (uint8_t)l;
            float wl = weights[i] * l;
            sum_l += wl;
            sum_l2 += wl * l;
            sum_xl += wl * x[i];
        }
        float det = sum_w * sum_l2 - sum_l * sum_l;
        if (!(det > 0))
            continue;
        float t_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
        float t_min = (sum_l2 * sum_x - sum_l * sum_xl) / det;
        if (t_min > 0) {
            t_min = 0;
            t_scale = sum_xl / sum_l2;
        }
        float err = 0;
        for (int i = 0; i < n; i++) {
            float diff = t_scale * trial[i] + t_min - x[i];
            err += weights[i] * (use_abs ? fabsf(diff) : diff * diff);
        }
        if (err < best_err) {
            memcpy(L, trial, (size_t)n);
            best_err = err;
            scale = t_scale;
            lo = t_min;
        }
    }
    *min_out = -lo;
    return scale;
}

/* Value of largest magnitude (with its sign); 0 when all are 0. */
static float signed_absmax(int n, const float *x) {
    float amax = 0, max = 0;
    for (int i = 0; i < n; i++) {
        if (fabsf(x[i]) > amax) {
            amax = fabsf(x[i]);
            max = x[i];
        }
    }
    return max;
}

/* Symmetric fit with weights w = x^2: for the 19 inverse scales
 * -(nmax + 0.1 k) / max, k = -9..9, round l = clamp(x / s, -nmax, nmax - 1) and
 * take the least-squares scale Sxl / Sll; keep the trial maximising Sxl^2 / Sll
 * (i.e. minimising the weighted error). k = 0 is the starting point.
 * L[i] = l + nmax (0..2 nmax - 1). */
float kquant_fit_symmetric(int n, int nmax, const float *x, int8_t *L) {
    float max = signed_absmax(n, x);
    if (fabsf(max) < KQ_GROUP_EPS) {
        for (int i = 0; i < n; i++)
            L[i] = 0;
        return 0.f;
    }
    float scale = 0, best = 0;
    for (int k = 0; k <= 18; k++) {
        /* trial order: k = 0 first (the plain absmax grid), then -9..-1, 1..9 */
        int step = k == 0 ? 0 : (k <= 9 ? k - 10 : k - 9);
        float iscale = -(nmax + 0.1f * step) / max;
        float sum_lx = 0, sum_l2 = 0;
        for (int i = 0; i < n; i++) {
            int l = kq_round_clamp(iscale * x[i], -nmax, nmax - 1);
            float wl = x[i] * x[i];
            sum_lx += wl * x[i] * l;
            sum_l2 += wl * l * l;
        }
        bool take;
        if (k == 0) {
            take = true;
            scale = sum_l2 ? sum_lx / sum_l2 : 0.0f;
            best = scale * sum_lx;
        } else {
            take = sum_l2 > 0 && sum_lx * sum_lx > best * sum_l2;
            if (take) {
                scale = sum_lx / sum_l2;
                best = scale * sum_lx;
            }
        }
        if (take) {
            for (int i = 0; i < n; i++)
                L[i] = (int8_t)(nmax + kq_round_clamp(iscale * x[i], -nmax, nmax - 1));
        }
    }
    return scale;
}

/* Q3_K fit: start at l = clamp(round(-nmax / max * x), -nmax, nmax - 1), then up
 * to 5 sweeps of coordinate descent: for each i, the level that the other
 * values' least-squares scale suggests, kept when it raises Sxl^2 / Sll (weights
 * x^2). Returns Sxl / Sll; L[i] = l + nmax. */
float kquant_fit_q3(int n, int nmax, const float *x, int8_t *L) {
    float max = signed_absmax(n, x);
    if (fabsf(max) < KQ_GROUP_EPS) {
        for (int i = 0; i < n; i++)
            L[i] = 0;
        return 0.f;
    }
    float iscale = -nmax / max;
    float sum_lx = 0, sum_l2 = 0;
    for (int i = 0; i < n; i++) {
        int l = kq_round_clamp(iscale * x[i], -nmax, nmax - 1);
        L[i] = (int8_t)l;
        float w = x[i] * x[i];
        sum_lx += w * x[i] * l;
        sum_l2 += w * l * l;
    }
    for (int sweep = 0; sweep < 5; sweep++) {
        int changed = 0;
        for (int i = 0; i < n; i++) {
            float w = x[i] * x[i];
            float slx = sum_lx - w * x[i] * L[i];
            if (!(slx > 0))
                continue;
            float sl2 = sum_l2 - w * L[i] * L[i];
            int l = kq_round_clamp(x[i] * sl2 / slx, -nmax, nmax - 1);
            if (l == L[i])
                continue;
            slx += w * x[i] * l;
            sl2 += w * l * l;
            if (sl2 > 0 && slx * slx * sum_l2 > sum_lx * sum_lx * sl2) {
                L[i] = (int8_t)l;
                sum_lx = slx;
                sum_l2 = sl2;
                changed++;
            }
        }
        if (!changed)
            break;
    }
    for (int i = 0; i < n; i++)
        L[i] = (int8_t)(L[i] + nmax);
    return sum_lx / sum_l2;
}

int kquant_nearest_iq4(float v) {
    const int8_t *lv = hearth_kvalues_iq4nl;
    if (v <= lv[0])
        return 0;
    if (v >= lv[15])
        return 15;
    int hi = 1; /* first level above v: lv[hi - 1] <= v < lv[hi] */
    while (v >= lv[hi])
        hi++;
    return v - lv[hi - 1] < lv[hi] - v ? hi - 1 : hi;
}

/* ---- Generic reference loops --------------------------------------------- */

void kquant_dequantize_ref(const void *src, float *dst, int64_t n, size_t type_size,
                           kq_decode_fn decode) {
    kq_block b;
    for (int64_t ib = 0; ib < n / QK_K; ib++) {
        decode((const char *)src + ib * type_size, &b);
        int sub = QK_K / b.n_sub;
        for (int i = 0; i < QK_K; i++) {
            int j = i / sub;
            dst[ib * QK_K + i] = (b.d * b.sc[j]) * b.q[i] - (b.dmin * b.m[j]);
        }
    }
}

float kquant_block_dot_ref(const kq_block *w, const block_q8_K *a) {
    int sub = QK_K / w->n_sub;
    int32_t isum = 0, msum = 0;
    for (int j = 0; j < w->n_sub; j++) {
        int32_t s = 0;
        for (int i = j * sub; i < (j + 1) * sub; i++)
            s += w->q[i] * a->qs[i];
        int32_t bs = 0;
        for (int k = j * sub / 16; k < (j + 1) * sub / 16; k++)
            bs += a->bsums[k];
        isum += w->sc[j] * s;
        msum += w->m[j] * bs;
    }
    return (w->d * a->d) * (float)isum - (w->dmin * a->d) * (float)msum;
}

void kquant_vec_dot_ref(int64_t n, float *out, const void *w, const void *a, size_t type_size,
                        kq_decode_fn decode) {
    const block_q8_K *ab = a;
    kq_block b;
    float sum = 0;
    for (int64_t ib = 0; ib < n / QK_K; ib++) {
        decode((const char *)w + ib * type_size, &b);
        sum += kquant_block_dot_ref(&b, &ab[ib]);
    }
    *out = sum;
}

void kquant_mat_dot_ref(int64_t n, int64_t nr, int64_t nc, float *out, int64_t ldo,
                        const void *w, size_t w_stride, const void *a, size_t a_stride,
                        size_t type_size, kq_decode_fn decode) {
    enum { COLS = 16 }; /* columns whose sums are carried per pass */
    kq_block b;
    for (int64_t r = 0; r < nr; r++) {
        const char *row = (const char *)w + r * w_stride;
        for (int64_t c0 = 0; c0 < nc; c0 += COLS) {
            int64_t cn = nc - c0 < COLS ? nc - c0 : COLS;
            float sum[COLS] = {0};
            for (int64_t ib = 0; ib < n / QK_K; ib++) {
                decode(row + ib * type_size, &b); /* once per block, reused by cn columns */
                for (int64_t c = 0; c < cn; c++) {
                    const block_q8_K *col = (const void *)((const char *)a + (c0 + c) * a_stride);
                    sum[c] += kquant_block_dot_ref(&b, &col[ib]);
                }
            }
            for (int64_t c = 0; c < cn; c++)
                out[(c0 + c) * ldo + r] = sum[c];
        }
    }
}

/* Q4_K / Q5_K super-block quantization (one 256-value block; same algorithm as
 * llama.cpp's reference):
 * 1. per sub-block j of 32, weights w_i = rms(x_j) + |x_i|; fit x ~ s_j * L - m_j with
 *    kquant_fit_scale_min (nmax levels, nstep + 1 trial scales from nmax + rmin by rdelta);
 * 2. d = max s_j / 63, dmin = max m_j / 63 (f16, round to nearest even);
 *    sc_j = round(63 s_j / max s), m_j = round(63 m_j / max m) (half to even, <= 63);
 * 3. requantize each value with the stored scales: q = clamp(round((x + dmin*m) / (d*sc)), 0, nmax)
 *    (a sub-block whose d*sc is 0 keeps its fitted levels).
 * Writes L[256], the packed scales and d/dmin; the caller packs L into its layout. */
void kquant_quantize_scale_min_block(const float *x, int nmax, float rmin, float rdelta,
                                     int nstep, uint8_t L[QK_K], uint8_t packed[12],
                                     hearth_f16 *d_out, hearth_f16 *dmin_out) {
    float scales[8], mins[8], weights[32];
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < 8; j++) {
        const float *xj = x + 32 * j;
        float sum_x2 = 0;
        for (int l = 0; l < 32; l++)
            sum_x2 += xj[l] * xj[l];
        float rms = sqrtf(sum_x2 / 32);
        for (int l = 0; l < 32; l++)
            weights[l] = rms + fabsf(xj[l]);
        scales[j] = kquant_fit_scale_min(32, nmax, xj, weights, L + 32 * j, &mins[j], rmin,
                                         rdelta, nstep, false);
        max_scale = scales[j] > max_scale ? scales[j] : max_scale;
        max_min = mins[j] > max_min ? mins[j] : max_min;
    }
    float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
    float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
    uint8_t sc[8], m[8];
    for (int j = 0; j < 8; j++) {
        sc[j] = (uint8_t)kq_round_clamp(inv_scale * scales[j], 0, 63);
        m[j] = (uint8_t)kq_round_clamp(inv_min * mins[j], 0, 63);
    }
    kquant_pack_scale_min(packed, sc, m);
    *d_out = kq_f32_to_f16(max_scale / 63.f);
    *dmin_out = kq_f32_to_f16(max_min / 63.f);

    float d_all = kq_f16_to_f32(*d_out), dmin_all = kq_f16_to_f32(*dmin_out);
    for (int j = 0; j < 8; j++) {
        float d = d_all * sc[j];
        if (!d)
            continue;
        float dm = dmin_all * m[j];
        for (int l = 0; l < 32; l++)
            L[32 * j + l] = (uint8_t)kq_round_clamp((x[32 * j + l] + dm) / d, 0, nmax);
    }
}
