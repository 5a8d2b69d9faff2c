/* iq4_nl.c - reference kernels for IQ4_NL: 32 values per block, each a 4-bit
 * index into the 16 non-linear levels hearth_kvalues_iq4nl, times one f16
 * scale. Activations are Q8_0.
 *
 * The quantizer follows the algorithm llama-quantize uses for this type
 * (llama.cpp's quantize_iq4_nl without an importance matrix): weights x^2,
 * an initial scale from the extreme value, then 15 trial scales around it,
 * keeping the one that maximises (sum w*q*x)^2 / (sum w*q*q), i.e. the
 * weighted least-squares fit. Written from the algorithm, not copied.
 */
#include <math.h>   /* fabsf */
#include <string.h> /* memset */

#include "ref.h"

#define IQ4NL_TRIES 7 /* trial scales: 2 * 7 + 1 around the first guess */

/* Index of the level nearest to v (ties go to the lower level, as a binary
 * search over the sorted table with a strict comparison gives). */
static int nearest_level(float v) {
    const int8_t *lv = hearth_kvalues_iq4nl;
    if (v <= lv[0])
        return 0;
    if (v >= lv[15])
        return 15;
    int lo = 0, hi = 15;
    while (hi - lo > 1) {
        const int mid = (lo + hi) / 2;
        if (v < lv[mid])
            hi = mid;
        else
            lo = mid;
    }
    return v - lv[hi - 1] < lv[hi] - v ? hi - 1 : hi;
}

/* Weighted fit of the block at inverse scale id: returns sum w*q*x and
 * sum w*q*q (q = level chosen for id*x), optionally the indices. */
static void fit(const float *x, const float *w, float id, float *sqx, float *sq2, uint8_t *L) {
    float a = 0.0f, b = 0.0f;
    for (int j = 0; j < QK4_NL; j++) {
        const int l = nearest_level(id * x[j]);
        if (L)
            L[j] = (uint8_t)l;
        const float q = hearth_kvalues_iq4nl[l];
        const float wq = w[j] * q;
        a += wq * x[j];
        b += wq * q;
    }
    *sqx = a;
    *sq2 = b;
}

/* Per block: weights w = x^2; max = value of largest magnitude; if
 * |max| < 1e-15 the block is zero. Else fit at id = 1 / (max / 127) (the
 * extreme value on the level -127), take d = sqx / sq2 as the first fit, then for
 * t = -7..7 try id = (t + levels[0]) / max and keep the best d = sqx/sq2 by
 * the criterion sqx^2 / sq2; finally q[j] = nearest level of x[j] / d and the
 * stored scale is f16(d) (round to nearest even). */
void hearth_quantize_row_iq4_nl_ref(const float *restrict src, void *restrict dst, int64_t n) {
    block_iq4_nl *y = dst;
    const int8_t *lv = hearth_kvalues_iq4nl;
    for (int64_t b = 0; b < n / QK4_NL; b++) {
        const float *x = src + b * QK4_NL;
        float w[QK4_NL];
        uint8_t L[QK4_NL];
        memset(L, 0, sizeof L);
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < QK4_NL; j++) {
            w[j] = x[j] * x[j];
            if (fabsf(x[j]) > amax) {
                amax = fabsf(x[j]);
                max = x[j];
            }
        }
        float d = 0.0f;
        if (amax >= 1e-15f) {
            float sqx, sq2;
            /* first guess maps the extreme value onto the most negative level */
            fit(x, w, 1.0f / (-max / lv[0]), &sqx, &sq2, NULL);
            d = sqx / sq2;
            float best = d * sqx;
            for (int t = -IQ4NL_TRIES; t <= IQ4NL_TRIES; t++) {
                fit(x, w, (float)(t + lv[0]) / max, &sqx, &sq2, NULL);
                if (sq2 > 0 && sqx * sqx > best * sq2) {
                    d = sqx / sq2;
                    best = d * sqx;
                }
            }
            const float id = d != 0.0f ? 1.0f / d : 0.0f;
            for (int j = 0; j < QK4_NL; j++)
                L[j] = (uint8_t)nearest_level(id * x[j]);
        }
        y[b].d = hearth_f32_to_f16(d);
        for (int j = 0; j < QK4_NL / 2; j++)
            y[b].qs[j] = (uint8_t)(L[j] | (L[j + QK4_NL / 2] << 4));
    }
}

/* x[j] = d * levels[q[j]], nibble order as Q4_0. */
void hearth_dequantize_row_iq4_nl_ref(const void *restrict src, float *restrict dst, int64_t n) {
    const block_iq4_nl *x = src;
    for (int64_t b = 0; b < n / QK4_NL; b++) {
        const float d = hearth_f16_to_f32(x[b].d);
        for (int j = 0; j < QK4_NL / 2; j++) {
            dst[b * QK4_NL + j] = d * (float)hearth_kvalues_iq4nl[x[b].qs[j] & 0x0f];
            dst[b * QK4_NL + j + 16] = d * (float)hearth_kvalues_iq4nl[x[b].qs[j] >> 4];
        }
    }
}

/* *out = sum over blocks of (dw * da) * sum_j levels[q[j]] * qa[j]. */
void hearth_vec_dot_iq4_nl_q8_0_ref(int64_t n, float *restrict out, const void *restrict w,
                                    const void *restrict a) {
    const block_iq4_nl *x = w;
    const block_q8_0 *y = a;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / QK4_NL; b++) {
        int isum = 0;
        for (int j = 0; j < QK4_NL / 2; j++) {
            isum += hearth_kvalues_iq4nl[x[b].qs[j] & 0x0f] * y[b].qs[j];
            isum += hearth_kvalues_iq4nl[x[b].qs[j] >> 4] * y[b].qs[j + 16];
        }
        const float d = hearth_f16_to_f32(x[b].d) * hearth_f16_to_f32(y[b].d);
        sum += d * (float)isum;
    }
    *out = sum;
}

HEARTH_DEFINE_MAT_DOT_REF(hearth_mat_dot_iq4_nl_ref, hearth_vec_dot_iq4_nl_q8_0_ref)
