/* kv_cache.h - per-context storage of attention keys and values (lib/kv_cache.c).
 *
 * One K and one V matrix per layer, each (n_ctx, kv_dim), in F16 (default) or
 * F32. Cell p holds the token at position p: positions are contiguous from 0
 * to n_used - 1 (a context shift moves cells so that this stays true). This
 * module stores, moves and converts rows; it knows no attention math.
 */
#ifndef HEARTH_KV_CACHE_H
#define HEARTH_KV_CACHE_H

#include "internal.h"

typedef struct kv_cache {
    hearth_kv_type type;
    int64_t n_layer;
    int64_t n_ctx;    /* capacity in tokens */
    int64_t kv_dim;   /* n_head_kv * head_dim */
    size_t elt_bytes; /* 2 (F16) or 4 (F32) */
    int64_t n_used;   /* cells 0..n_used-1 hold positions 0..n_used-1 */
    void *k;          /* (n_layer, n_ctx, kv_dim) */
    void *v;          /* (n_layer, n_ctx, kv_dim) */
} kv_cache;

hearth_status kv_init(kv_cache *kv, hearth_kv_type type, int64_t n_layer, int64_t n_ctx,
                      int64_t kv_dim, hearth_errbuf *err);
void kv_free(kv_cache *kv);
uint64_t kv_bytes(const kv_cache *kv);

/* Row of cell `pos` in layer `layer` (elements of kv->type). */
static inline void *kv_k_row(const kv_cache *kv, int64_t layer, int64_t pos) {
    return (char *)kv->k + ((size_t)(layer * kv->n_ctx + pos) * (size_t)kv->kv_dim) * kv->elt_bytes;
}
static inline void *kv_v_row(const kv_cache *kv, int64_t layer, int64_t pos) {
    return (char *)kv->v + ((size_t)(layer * kv->n_ctx + pos) * (size_t)kv->kv_dim) * kv->elt_bytes;
}

/* Stores float rows k and v (kv_dim values each) into cell pos of layer, rounded
 * to the cache type with `to_f16` (the context's F16 conversion kernel). */
void kv_store(kv_cache *kv, int64_t layer, int64_t pos, const float *k, const float *v,
              hearth_quantize_row_fn to_f16);
/* Reads the key of cell pos as floats into out (kv_dim values). */
void kv_load_k(const kv_cache *kv, int64_t layer, int64_t pos, float *out,
               hearth_dequantize_row_fn from_f16);
/* Writes float key values into cell pos (used when re-rotating keys). */
void kv_store_k(kv_cache *kv, int64_t layer, int64_t pos, const float *k,
                hearth_quantize_row_fn to_f16);
/* Moves cells [src, src + n) to [dst, dst + n) in every layer (dst < src). */
void kv_move(kv_cache *kv, int64_t dst, int64_t src, int64_t n);

#endif /* HEARTH_KV_CACHE_H */
