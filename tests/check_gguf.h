/* check_gguf.h - builds GGUF bytes by hand for the gguf test suites.
 *
 * Deliberately independent of lib/: the layout is spelled out here from the
 * format description (little-endian, u64 string lengths), so that a reader bug
 * and a writer bug cannot cancel out. Header-only (static functions) because
 * tests/check_*.c files are suites, each compiled on its own.
 */
#ifndef HEARTH_CHECK_GGUF_H
#define HEARTH_CHECK_GGUF_H

#include <check.h>  /* ck_assert in gl_expect_scalar */
#include <stdint.h>
#include <stdlib.h> /* realloc */
#include <string.h> /* memcpy, strlen */

#include "hearth.h"

typedef struct gl_buf {
    uint8_t *p;
    size_t n, cap;
} gl_buf;

static inline void gl_bytes(gl_buf *b, const void *data, size_t n) {
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        ck_assert_ptr_nonnull(b->p);
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->n, data, n);
    b->n += n;
}

static inline void gl_le(gl_buf *b, uint64_t x, int n) {
    uint8_t tmp[8];
    for (int i = 0; i < n; i++)
        tmp[i] = (uint8_t)(x >> (8 * i));
    gl_bytes(b, tmp, (size_t)n);
}

static inline void gl_u8(gl_buf *b, uint8_t x) { gl_le(b, x, 1); }
static inline void gl_u16(gl_buf *b, uint16_t x) { gl_le(b, x, 2); }
static inline void gl_u32(gl_buf *b, uint32_t x) { gl_le(b, x, 4); }
static inline void gl_u64(gl_buf *b, uint64_t x) { gl_le(b, x, 8); }
static inline void gl_f32(gl_buf *b, float x) {
    uint32_t bits;
    memcpy(&bits, &x, 4);
    gl_u32(b, bits);
}
static inline void gl_f64(gl_buf *b, double x) {
    uint64_t bits;
    memcpy(&bits, &x, 8);
    gl_u64(b, bits);
}
static inline void gl_str(gl_buf *b, const char *s) {
    gl_u64(b, strlen(s));
    gl_bytes(b, s, strlen(s));
}

static inline void gl_header(gl_buf *b, uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
    gl_bytes(b, "GGUF", 4);
    gl_u32(b, version);
    gl_u64(b, n_tensors);
    gl_u64(b, n_kv);
}

static inline void gl_kv_str(gl_buf *b, const char *key, const char *val) {
    gl_str(b, key);
    gl_u32(b, HEARTH_GGUF_STRING);
    gl_str(b, val);
}

static inline void gl_kv_u32(gl_buf *b, const char *key, uint32_t val) {
    gl_str(b, key);
    gl_u32(b, HEARTH_GGUF_UINT32);
    gl_u32(b, val);
}

static inline void gl_tensor_info(gl_buf *b, const char *name, uint32_t n_dims,
                                  const uint64_t *ne, uint32_t type, uint64_t offset) {
    gl_str(b, name);
    gl_u32(b, n_dims);
    for (uint32_t d = 0; d < n_dims; d++)
        gl_u64(b, ne[d]);
    gl_u32(b, type);
    gl_u64(b, offset);
}

/* Zero bytes up to the next multiple of `alignment` (from the file start). */
static inline void gl_pad(gl_buf *b, uint32_t alignment) {
    while (b->n % alignment)
        gl_u8(b, 0);
}

static inline size_t gl_value_size(int type) {
    static const size_t sizes[13] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    return type >= 0 && type < 13 ? sizes[type] : 0;
}

/* Asserts that scalar `v` holds the little-endian value stored at raw. */
static inline void gl_expect_scalar(const hearth_gguf_value *v, const uint8_t *raw) {
    uint64_t u = 0;
    size_t n = gl_value_size(v->type);
    for (size_t i = 0; i < n; i++)
        u |= (uint64_t)raw[i] << (8 * i);
    switch (v->type) {
    case HEARTH_GGUF_UINT8:
    case HEARTH_GGUF_UINT16:
    case HEARTH_GGUF_UINT32:
    case HEARTH_GGUF_UINT64:
    case HEARTH_GGUF_BOOL: ck_assert_uint_eq(v->v.u64, u); break;
    case HEARTH_GGUF_INT8: ck_assert_int_eq(v->v.i64, (int8_t)u); break;
    case HEARTH_GGUF_INT16: ck_assert_int_eq(v->v.i64, (int16_t)u); break;
    case HEARTH_GGUF_INT32: ck_assert_int_eq(v->v.i64, (int32_t)u); break;
    case HEARTH_GGUF_INT64: ck_assert_int_eq(v->v.i64, (int64_t)u); break;
    case HEARTH_GGUF_FLOAT32: {
        float f;
        uint32_t bits = (uint32_t)u;
        memcpy(&f, &bits, 4);
        ck_assert((f != f && v->v.f64 != v->v.f64) || v->v.f64 == (double)f);
        break;
    }
    case HEARTH_GGUF_FLOAT64: {
        double d;
        memcpy(&d, &u, 8);
        ck_assert((d != d && v->v.f64 != v->v.f64) || v->v.f64 == d);
        break;
    }
    default: ck_abort_msg("not a scalar type %d", (int)v->type);
    }
}

#endif /* HEARTH_CHECK_GGUF_H */
