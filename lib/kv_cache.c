/* kv_cache.c - allocation, row storage and cell moves of the KV cache.
 *
 * Sized once at context creation for n_ctx tokens; never reallocated. The
 * F16 conversion is passed in by the caller (the context's kernel table) so
 * that this module stays free of kernels and math.
 */
#include <stdlib.h> /* calloc, free */
#include <string.h> /* memcpy, memmove */

#include "kv_cache.h"

hearth_status kv_init(kv_cache *kv, hearth_kv_type type, int64_t n_layer, int64_t n_ctx,
                      int64_t kv_dim, hearth_errbuf *err) {
    memset(kv, 0, sizeof *kv);
    kv->type = type;
    kv->n_layer = n_layer;
    kv->n_ctx = n_ctx;
    kv->kv_dim = kv_dim;
    kv->elt_bytes = type == HEARTH_KV_F32 ? 4 : 2;
    uint64_t n_elts, bytes;
    if (hearth_mul_overflow_u64((uint64_t)n_layer * (uint64_t)n_ctx, (uint64_t)kv_dim, &n_elts) ||
        hearth_mul_overflow_u64(n_elts, kv->elt_bytes, &bytes) || bytes > SIZE_MAX / 2)
        return hearth_fail(err, HEARTH_ERR_NOMEM, "KV cache of %lld tokens: size overflows",
                           (long long)n_ctx);
    kv->k = calloc(1, (size_t)bytes ? (size_t)bytes : 1);
    kv->v = calloc(1, (size_t)bytes ? (size_t)bytes : 1);
    if (!kv->k || !kv->v) {
        kv_free(kv);
        return hearth_fail(err, HEARTH_ERR_NOMEM, "KV cache: out of memory for %llu bytes",
                           (unsigned long long)(2 * bytes));
    }
    return HEARTH_OK;
}

void kv_free(kv_cache *kv) {
    free(kv->k);
    free(kv->v);
    kv->k = kv->v = NULL;
}

uint64_t kv_bytes(const kv_cache *kv) {
    return 2ull * (uint64_t)kv->n_layer * (uint64_t)kv->n_ctx * (uint64_t)kv->kv_dim *
           kv->elt_bytes;
}

static void store_row(const kv_cache *kv, void *dst, const float *src,
                      hearth_quantize_row_fn to_f16) {
    if (kv->type == HEARTH_KV_F32)
        memcpy(dst, src, (size_t)kv->kv_dim * sizeof(float));
    else
        to_f16(src, dst, kv->kv_dim);
}

void kv_store(kv_cache *kv, int64_t layer, int64_t pos, const float *k, const float *v,
              hearth_quantize_row_fn to_f16) {
    store_row(kv, kv_k_row(kv, layer, pos), k, to_f16);
    store_row(kv, kv_v_row(kv, layer, pos), v, to_f16);
}

void kv_store_k(kv_cache *kv, int64_t layer, int64_t pos, const float *k,
                hearth_quantize_row_fn to_f16) {
    store_row(kv, kv_k_row(kv, layer, pos), k, to_f16);
}

void kv_load_k(const kv_cache *kv, int64_t layer, int64_t pos, float *out,
               hearth_dequantize_row_fn from_f16) {
    const void *src = kv_k_row(kv, layer, pos);
    if (kv->type == HEARTH_KV_F32)
        memcpy(out, src, (size_t)kv->kv_dim * sizeof(float));
    else
        from_f16(src, out, kv->kv_dim);
}

void kv_move(kv_cache *kv, int64_t dst, int64_t src, int64_t n) {
    size_t row = (size_t)kv->kv_dim * kv->elt_bytes;
    for (int64_t l = 0; l < kv->n_layer; l++) {
        memmove(kv_k_row(kv, l, dst), kv_k_row(kv, l, src), (size_t)n * row);
        memmove(kv_v_row(kv, l, dst), kv_v_row(kv, l, src), (size_t)n * row);
    }
}
