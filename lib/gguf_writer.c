/* gguf_writer.c - streams a GGUF v3 file to disk (layout: gguf.h).
 *
 * Metadata and tensor declarations are kept in memory (they are small); tensor
 * data goes straight to the file as the caller hands it over, so writing a
 * multi-gigabyte model needs memory for the header only. Any failure poisons
 * the writer, and a writer freed before a successful finish deletes its file:
 * a half-written model never stays on disk looking like a model.
 */
#include "gguf.h"

#include <errno.h>    /* errno for messages */
#include <stdarg.h>   /* va_list in fail() */
#include <inttypes.h> /* PRIu64 in messages */
#include <stdio.h>    /* FILE, fopen, fwrite */
#include <stdlib.h>   /* malloc, realloc, free */
#include <string.h>   /* strlen, strcmp, strerror */
#include <sys/stat.h> /* fstat: is the output a regular file */
#include <unistd.h>   /* unlink */

typedef struct writer_tensor {
    char *name;
    uint32_t type;
    uint32_t n_dims;
    int64_t ne[4];
    uint64_t n_bytes;
    uint64_t offset; /* relative to the data section; set when the header is written */
} writer_tensor;

enum writer_state { DECLARING, WRITING_DATA, FINISHED };

struct hearth_gguf_writer {
    char *path;
    FILE *f;
    hearth_status status;    /* first failure; every later call repeats it */
    char msg[512];
    enum writer_state state;
    bool remove_on_failure;  /* the path is a regular file we created */

    uint8_t *kv;             /* (kv_len) serialised key/value pairs */
    size_t kv_len, kv_cap;
    char **keys;             /* (n_kv) for the duplicate check */
    uint64_t n_kv;
    uint32_t alignment;

    writer_tensor *tensors;  /* (n_tensors) in declaration = data order */
    uint64_t n_tensors, tensors_cap;
    uint64_t cur;            /* tensor now receiving data */
    uint64_t cur_written;    /* bytes of it written so far */
};

/* ==== Failure bookkeeping ================================================ */

static hearth_status fail(hearth_gguf_writer *w, hearth_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static hearth_status fail(hearth_gguf_writer *w, hearth_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(w->msg, sizeof w->msg, "%s: ", w->path);
    vsnprintf(w->msg + n, sizeof w->msg - (size_t)n, fmt, ap);
    va_end(ap);
    w->status = st;
    return hearth_set_last_error(st, w->msg);
}

/* Common entry check: a NULL writer, or one that already failed or finished. */
static hearth_status usable(hearth_gguf_writer *w, const char *fn) {
    if (!w)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "%s: writer is NULL", fn);
    if (w->status != HEARTH_OK)
        return hearth_set_last_error(w->status, w->msg);
    if (w->state == FINISHED) /* not a failure of the file, which stays complete */
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "%s: %s: the file is already finished",
                                w->path, fn);
    return HEARTH_OK;
}

/* ==== Create / free ====================================================== */

hearth_status hearth_gguf_writer_create(const char *path, hearth_gguf_writer **out) {
    if (!out)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "hearth_gguf_writer_create: out is NULL");
    *out = NULL;
    if (!path)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "hearth_gguf_writer_create: path is NULL");
    hearth_gguf_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->path = strdup(path))) {
        free(w);
        return hearth_set_error(HEARTH_ERR_NOMEM, "%s: out of memory", path);
    }
    w->f = fopen(path, "wb");
    if (!w->f) {
        hearth_status st = hearth_set_error(HEARTH_ERR_IO, "%s: cannot create: %s", path,
                                            strerror(errno));
        free(w->path);
        free(w);
        return st;
    }
    /* Only a regular file is deleted on failure: "/dev/null" or a pipe given
     * as the path must never be unlinked. */
    struct stat st;
    w->remove_on_failure = fstat(fileno(w->f), &st) == 0 && S_ISREG(st.st_mode);
    w->alignment = GGUF_DEFAULT_ALIGNMENT;
    *out = w;
    return HEARTH_OK;
}

void hearth_gguf_writer_free(hearth_gguf_writer *w) {
    if (!w)
        return;
    if (w->f)
        fclose(w->f);
    if (w->state != FINISHED && w->remove_on_failure)
        unlink(w->path);
    for (uint64_t i = 0; i < w->n_kv; i++)
        free(w->keys[i]);
    for (uint64_t i = 0; i < w->n_tensors; i++)
        free(w->tensors[i].name);
    free(w->keys);
    free(w->tensors);
    free(w->kv);
    free(w->path);
    free(w);
}

/* ==== Metadata =========================================================== */

static hearth_status kv_append(hearth_gguf_writer *w, const void *data, size_t n) {
    if (n > w->kv_cap - w->kv_len) {
        size_t cap = w->kv_cap ? w->kv_cap : 4096;
        while (cap - w->kv_len < n) {
            if (cap > SIZE_MAX / 2)
                return fail(w, HEARTH_ERR_NOMEM, "metadata too large");
            cap *= 2;
        }
        uint8_t *p = realloc(w->kv, cap);
        if (!p)
            return fail(w, HEARTH_ERR_NOMEM, "out of memory for %zu bytes of metadata", cap);
        w->kv = p;
        w->kv_cap = cap;
    }
    if (n)
        memcpy(w->kv + w->kv_len, data, n);
    w->kv_len += n;
    return HEARTH_OK;
}

static hearth_status kv_u32(hearth_gguf_writer *w, uint32_t x) {
    uint8_t b[4] = {(uint8_t)x, (uint8_t)(x >> 8), (uint8_t)(x >> 16), (uint8_t)(x >> 24)};
    return kv_append(w, b, 4);
}

static hearth_status kv_u64(hearth_gguf_writer *w, uint64_t x) {
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(x >> (8 * i));
    return kv_append(w, b, 8);
}

static hearth_status kv_string(hearth_gguf_writer *w, const char *s, uint64_t len) {
    if (len > SIZE_MAX)
        return fail(w, HEARTH_ERR_INVALID_ARG, "string of %" PRIu64 " bytes", len);
    HEARTH_TRY(kv_u64(w, len));
    return kv_append(w, s, (size_t)len);
}

/* Checks the key and writes it with the value type; the caller writes the value. */
static hearth_status begin_kv(hearth_gguf_writer *w, const char *fn, const char *key,
                              hearth_gguf_type type) {
    HEARTH_TRY(usable(w, fn));
    if (!key)
        return fail(w, HEARTH_ERR_INVALID_ARG, "%s: key is NULL", fn);
    if (w->state != DECLARING)
        return fail(w, HEARTH_ERR_INVALID_ARG,
                    "%s: key '%s' set after tensor data was written", fn, key);
    for (uint64_t i = 0; i < w->n_kv; i++)
        if (strcmp(w->keys[i], key) == 0)
            return fail(w, HEARTH_ERR_INVALID_ARG, "%s: key '%s' is already set", fn, key);
    if (strcmp(key, "general.alignment") == 0 && type != HEARTH_GGUF_UINT32)
        return fail(w, HEARTH_ERR_INVALID_ARG, "%s: general.alignment must be UINT32, not %s",
                    fn, gguf_value_type_name(type));
    char **keys = realloc(w->keys, (w->n_kv + 1) * sizeof *keys);
    if (!keys)
        return fail(w, HEARTH_ERR_NOMEM, "%s: out of memory", fn);
    w->keys = keys;
    if (!(w->keys[w->n_kv] = strdup(key)))
        return fail(w, HEARTH_ERR_NOMEM, "%s: out of memory", fn);
    w->n_kv++;
    HEARTH_TRY(kv_string(w, key, strlen(key)));
    return kv_u32(w, (uint32_t)type);
}

/* A fixed-size scalar given as its little-endian bytes. */
static hearth_status set_scalar(hearth_gguf_writer *w, const char *fn, const char *key,
                                hearth_gguf_type type, uint64_t bits) {
    HEARTH_TRY(begin_kv(w, fn, key, type));
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(bits >> (8 * i));
    return kv_append(w, b, gguf_value_size(type));
}

hearth_status hearth_gguf_writer_set_u8(hearth_gguf_writer *w, const char *key, uint8_t v) {
    return set_scalar(w, "hearth_gguf_writer_set_u8", key, HEARTH_GGUF_UINT8, v);
}
hearth_status hearth_gguf_writer_set_i8(hearth_gguf_writer *w, const char *key, int8_t v) {
    return set_scalar(w, "hearth_gguf_writer_set_i8", key, HEARTH_GGUF_INT8, (uint8_t)v);
}
hearth_status hearth_gguf_writer_set_u16(hearth_gguf_writer *w, const char *key, uint16_t v) {
    return set_scalar(w, "hearth_gguf_writer_set_u16", key, HEARTH_GGUF_UINT16, v);
}
hearth_status hearth_gguf_writer_set_i16(hearth_gguf_writer *w, const char *key, int16_t v) {
    return set_scalar(w, "hearth_gguf_writer_set_i16", key, HEARTH_GGUF_INT16, (uint16_t)v);
}
hearth_status hearth_gguf_writer_set_u32(hearth_gguf_writer *w, const char *key, uint32_t v) {
    if (key && strcmp(key, "general.alignment") == 0) {
        HEARTH_TRY(usable(w, "hearth_gguf_writer_set_u32"));
        if (v == 0 || (v & (v - 1)) != 0)
            return fail(w, HEARTH_ERR_INVALID_ARG,
                        "general.alignment %u is not a non-zero power of two", v);
        HEARTH_TRY(set_scalar(w, "hearth_gguf_writer_set_u32", key, HEARTH_GGUF_UINT32, v));
        w->alignment = v;
        return HEARTH_OK;
    }
    return set_scalar(w, "hearth_gguf_writer_set_u32", key, HEARTH_GGUF_UINT32, v);
}
hearth_status hearth_gguf_writer_set_i32(hearth_gguf_writer *w, const char *key, int32_t v) {
    return set_scalar(w, "hearth_gguf_writer_set_i32", key, HEARTH_GGUF_INT32, (uint32_t)v);
}
hearth_status hearth_gguf_writer_set_u64(hearth_gguf_writer *w, const char *key, uint64_t v) {
    return set_scalar(w, "hearth_gguf_writer_set_u64", key, HEARTH_GGUF_UINT64, v);
}
hearth_status hearth_gguf_writer_set_i64(hearth_gguf_writer *w, const char *key, int64_t v) {
    return set_scalar(w, "hearth_gguf_writer_set_i64", key, HEARTH_GGUF_INT64, (uint64_t)v);
}
hearth_status hearth_gguf_writer_set_f32(hearth_gguf_writer *w, const char *key, float v) {
    uint32_t bits;
    memcpy(&bits, &v, 4);
    return set_scalar(w, "hearth_gguf_writer_set_f32", key, HEARTH_GGUF_FLOAT32, bits);
}
hearth_status hearth_gguf_writer_set_f64(hearth_gguf_writer *w, const char *key, double v) {
    uint64_t bits;
    memcpy(&bits, &v, 8);
    return set_scalar(w, "hearth_gguf_writer_set_f64", key, HEARTH_GGUF_FLOAT64, bits);
}
hearth_status hearth_gguf_writer_set_bool(hearth_gguf_writer *w, const char *key, bool v) {
    return set_scalar(w, "hearth_gguf_writer_set_bool", key, HEARTH_GGUF_BOOL, v ? 1 : 0);
}

hearth_status hearth_gguf_writer_set_str(hearth_gguf_writer *w, const char *key, const char *str,
                                         uint64_t len) {
    const char *fn = "hearth_gguf_writer_set_str";
    HEARTH_TRY(usable(w, fn));
    if (!str && len > 0)
        return fail(w, HEARTH_ERR_INVALID_ARG, "%s: key '%s': str is NULL", fn,
                    key ? key : "(null)");
    HEARTH_TRY(begin_kv(w, fn, key, HEARTH_GGUF_STRING));
    return kv_string(w, str, len);
}

/* Array header plus `count` fixed-size elements already in file layout. */
static hearth_status put_fixed_array(hearth_gguf_writer *w, const char *fn, const char *key,
                                     hearth_gguf_type elem_type, const void *data,
                                     uint64_t count) {
    uint32_t size = gguf_value_size(elem_type);
    HEARTH_TRY(usable(w, fn));
    if (size == 0)
        return fail(w, HEARTH_ERR_INVALID_ARG, "%s: key '%s': element type %s is not a "
                    "fixed-size type", fn, key ? key : "(null)", gguf_value_type_name(elem_type));
    if (!data && count > 0)
        return fail(w, HEARTH_ERR_INVALID_ARG, "%s: key '%s': data is NULL", fn,
                    key ? key : "(null)");
    if (count > SIZE_MAX / size)
        return fail(w, HEARTH_ERR_INVALID_ARG, "%s: key '%s': %" PRIu64 " elements are too many",
                    fn, key ? key : "(null)", count);
    if (elem_type == HEARTH_GGUF_BOOL)
        for (uint64_t i = 0; i < count; i++)
            if (((const uint8_t *)data)[i] > 1)
                return fail(w, HEARTH_ERR_INVALID_ARG, "%s: key '%s': element %" PRIu64
                            " is not a BOOL 0 or 1", fn, key ? key : "(null)", i);
    HEARTH_TRY(begin_kv(w, fn, key, HEARTH_GGUF_ARRAY));
    HEARTH_TRY(kv_u32(w, (uint32_t)elem_type));
    HEARTH_TRY(kv_u64(w, count));
    return kv_append(w, data, (size_t)(count * size));
}

hearth_status hearth_gguf_writer_set_array(hearth_gguf_writer *w, const char *key,
                                           hearth_gguf_type elem_type, const void *data,
                                           uint64_t count) {
    /* The caller's bytes are in the file's layout, i.e. little-endian; on the
     * little-endian hosts hearth runs on that is also native order. */
    return put_fixed_array(w, "hearth_gguf_writer_set_array", key, elem_type, data, count);
}

hearth_status hearth_gguf_writer_set_str_array(hearth_gguf_writer *w, const char *key,
                                               const char *const *strs, const uint64_t *lens,
                                               uint64_t count) {
    const char *fn = "hearth_gguf_writer_set_str_array";
    HEARTH_TRY(usable(w, fn));
    if (!strs && count > 0)
        return fail(w, HEARTH_ERR_INVALID_ARG, "%s: key '%s': strs is NULL", fn,
                    key ? key : "(null)");
    for (uint64_t i = 0; i < count; i++)
        if (!strs[i] && (!lens || lens[i] > 0))
            return fail(w, HEARTH_ERR_INVALID_ARG, "%s: key '%s': string %" PRIu64 " is NULL",
                        fn, key ? key : "(null)", i);
    HEARTH_TRY(begin_kv(w, fn, key, HEARTH_GGUF_ARRAY));
    HEARTH_TRY(kv_u32(w, HEARTH_GGUF_STRING));
    HEARTH_TRY(kv_u64(w, count));
    for (uint64_t i = 0; i < count; i++)
        HEARTH_TRY(kv_string(w, strs[i], lens ? lens[i] : strlen(strs[i])));
    return HEARTH_OK;
}

hearth_status hearth_gguf_writer_set_value(hearth_gguf_writer *w, const char *key,
                                           const hearth_gguf_value *value) {
    const char *fn = "hearth_gguf_writer_set_value";
    HEARTH_TRY(usable(w, fn));
    if (!value)
        return fail(w, HEARTH_ERR_INVALID_ARG, "%s: value is NULL", fn);
    switch (value->type) {
    case HEARTH_GGUF_UINT8: return hearth_gguf_writer_set_u8(w, key, (uint8_t)value->v.u64);
    case HEARTH_GGUF_INT8: return hearth_gguf_writer_set_i8(w, key, (int8_t)value->v.i64);
    case HEARTH_GGUF_UINT16: return hearth_gguf_writer_set_u16(w, key, (uint16_t)value->v.u64);
    case HEARTH_GGUF_INT16: return hearth_gguf_writer_set_i16(w, key, (int16_t)value->v.i64);
    case HEARTH_GGUF_UINT32: return hearth_gguf_writer_set_u32(w, key, (uint32_t)value->v.u64);
    case HEARTH_GGUF_INT32: return hearth_gguf_writer_set_i32(w, key, (int32_t)value->v.i64);
    case HEARTH_GGUF_UINT64: return hearth_gguf_writer_set_u64(w, key, value->v.u64);
    case HEARTH_GGUF_INT64: return hearth_gguf_writer_set_i64(w, key, value->v.i64);
    case HEARTH_GGUF_FLOAT32: return hearth_gguf_writer_set_f32(w, key, (float)value->v.f64);
    case HEARTH_GGUF_FLOAT64: return hearth_gguf_writer_set_f64(w, key, value->v.f64);
    case HEARTH_GGUF_BOOL: return hearth_gguf_writer_set_bool(w, key, value->v.u64 != 0);
    case HEARTH_GGUF_STRING:
        return hearth_gguf_writer_set_str(w, key, value->v.s.str, value->v.s.len);
    case HEARTH_GGUF_ARRAY: break;
    }
    if (value->type != HEARTH_GGUF_ARRAY || !value->v.arr.handle)
        return fail(w, HEARTH_ERR_INVALID_ARG, "%s: key '%s': value type %d is invalid", fn,
                    key ? key : "(null)", (int)value->type);
    const gguf_array *a = value->v.arr.handle;
    if (a->elem_type == HEARTH_GGUF_ARRAY)
        return fail(w, HEARTH_ERR_UNSUPPORTED, "%s: key '%s': nested arrays are never written",
                    fn, key ? key : "(null)");
    if (a->elem_type != HEARTH_GGUF_STRING)
        return put_fixed_array(w, fn, key, a->elem_type, a->data, a->count);
    HEARTH_TRY(begin_kv(w, fn, key, HEARTH_GGUF_ARRAY));
    HEARTH_TRY(kv_u32(w, HEARTH_GGUF_STRING));
    HEARTH_TRY(kv_u64(w, a->count));
    for (uint64_t i = 0; i < a->count; i++) {
        hearth_gguf_value s;
        if (hearth_gguf_array_get(value, i, &s) != HEARTH_OK)
            return fail(w, HEARTH_ERR_INTERNAL, "%s: key '%s': element %" PRIu64, fn, key, i);
        HEARTH_TRY(kv_string(w, s.v.s.str, s.v.s.len));
    }
    return HEARTH_OK;
}

/* ==== Tensor declarations ================================================ */

hearth_status hearth_gguf_writer_add_tensor(hearth_gguf_writer *w, const char *name,
                                            uint32_t type, uint32_t n_dims, const int64_t *ne) {
    const char *fn = "hearth_gguf_writer_add_tensor";
    HEARTH_TRY(usable(w, fn));
    if (!name || !ne)
        return fail(w, HEARTH_ERR_INVALID_ARG, "%s: name or ne is NULL", fn);
    if (w->state != DECLARING)
        return fail(w, HEARTH_ERR_INVALID_ARG, "%s: tensor '%s' declared after data was written",
                    fn, name);
    const hearth_type_traits *tt = hearth_type_traits_of(type < HEARTH_TYPE_COUNT ? (int)type : -1);
    if (tt->block_size == 0)
        return fail(w, HEARTH_ERR_INVALID_ARG, "%s: tensor '%s': type id %u is %s", fn, name,
                    type, tt->removed ? "removed from GGUF" : "unknown");
    if (n_dims < 1 || n_dims > 4)
        return fail(w, HEARTH_ERR_INVALID_ARG, "%s: tensor '%s': n_dims %u, expected 1 to 4", fn,
                    name, n_dims);
    int64_t dims[4] = {1, 1, 1, 1};
    for (uint32_t d = 0; d < n_dims; d++) {
        if (ne[d] < 0)
            return fail(w, HEARTH_ERR_INVALID_ARG, "%s: tensor '%s': ne[%u] = %" PRId64
                        " is negative", fn, name, d, ne[d]);
        dims[d] = ne[d];
    }
    if (dims[0] % tt->block_size != 0)
        return fail(w, HEARTH_ERR_INVALID_ARG, "%s: tensor '%s': ne[0] = %" PRId64 " is not a "
                    "multiple of the %s block size %u", fn, name, dims[0], tt->name,
                    tt->block_size);
    uint64_t n_bytes;
    uint64_t n_elems = 1;
    bool overflow = hearth_mul_overflow_u64((uint64_t)dims[0] / tt->block_size, tt->type_size,
                                            &n_bytes) != 0;
    for (int d = 0; d < 4; d++) {
        overflow |= hearth_mul_overflow_u64(n_elems, (uint64_t)dims[d], &n_elems) != 0;
        if (d > 0)
            overflow |= hearth_mul_overflow_u64(n_bytes, (uint64_t)dims[d], &n_bytes) != 0;
    }
    if (overflow || n_elems > (uint64_t)INT64_MAX || n_bytes > (uint64_t)INT64_MAX)
        return fail(w, HEARTH_ERR_INVALID_ARG, "%s: tensor '%s': shape overflows", fn, name);
    for (uint64_t i = 0; i < w->n_tensors; i++)
        if (strcmp(w->tensors[i].name, name) == 0)
            return fail(w, HEARTH_ERR_INVALID_ARG, "%s: tensor '%s' is already declared", fn,
                        name);
    if (w->n_tensors == w->tensors_cap) {
        uint64_t cap = w->tensors_cap ? w->tensors_cap * 2 : 64;
        writer_tensor *t = realloc(w->tensors, cap * sizeof *t);
        if (!t)
            return fail(w, HEARTH_ERR_NOMEM, "%s: out of memory", fn);
        w->tensors = t;
        w->tensors_cap = cap;
    }
    writer_tensor *t = &w->tensors[w->n_tensors];
    memset(t, 0, sizeof *t);
    if (!(t->name = strdup(name)))
        return fail(w, HEARTH_ERR_NOMEM, "%s: out of memory", fn);
    t->type = type;
    t->n_dims = n_dims;
    memcpy(t->ne, dims, sizeof dims);
    t->n_bytes = n_bytes;
    w->n_tensors++;
    return HEARTH_OK;
}

/* ==== Streaming the file ================================================= */

static hearth_status put(hearth_gguf_writer *w, const void *data, size_t n) {
    if (n && fwrite(data, 1, n, w->f) != n)
        return fail(w, HEARTH_ERR_IO, "write failed: %s", strerror(errno));
    return HEARTH_OK;
}

static hearth_status put_zeros(hearth_gguf_writer *w, uint64_t n) {
    static const uint8_t zeros[256];
    while (n > 0) {
        size_t k = n < sizeof zeros ? (size_t)n : sizeof zeros;
        HEARTH_TRY(put(w, zeros, k));
        n -= k;
    }
    return HEARTH_OK;
}

static uint64_t pad_to(uint64_t x, uint32_t alignment) {
    return (alignment - x % alignment) % alignment;
}

static hearth_status put_u32(hearth_gguf_writer *w, uint32_t x) {
    uint8_t b[4] = {(uint8_t)x, (uint8_t)(x >> 8), (uint8_t)(x >> 16), (uint8_t)(x >> 24)};
    return put(w, b, 4);
}

static hearth_status put_u64(hearth_gguf_writer *w, uint64_t x) {
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(x >> (8 * i));
    return put(w, b, 8);
}

/* Header, metadata, tensor infos and the padding before the data section.
 * Offsets are assigned here because general.alignment may be set at any time
 * before. */
static hearth_status write_header(hearth_gguf_writer *w) {
    uint64_t running = 0;
    for (uint64_t i = 0; i < w->n_tensors; i++) {
        w->tensors[i].offset = running;
        uint64_t end = running + w->tensors[i].n_bytes;
        if (end < running || end + w->alignment < end)
            return fail(w, HEARTH_ERR_INVALID_ARG, "tensor data exceeds 2^64 bytes");
        running = end + pad_to(end, w->alignment);
    }
    uint64_t pos = GGUF_HEADER_BYTES + w->kv_len;
    HEARTH_TRY(put(w, GGUF_MAGIC, 4));
    HEARTH_TRY(put_u32(w, 3));
    HEARTH_TRY(put_u64(w, w->n_tensors));
    HEARTH_TRY(put_u64(w, w->n_kv));
    HEARTH_TRY(put(w, w->kv, w->kv_len));
    for (uint64_t i = 0; i < w->n_tensors; i++) {
        const writer_tensor *t = &w->tensors[i];
        uint64_t len = strlen(t->name);
        HEARTH_TRY(put_u64(w, len));
        HEARTH_TRY(put(w, t->name, (size_t)len));
        HEARTH_TRY(put_u32(w, t->n_dims));
        for (uint32_t d = 0; d < t->n_dims; d++)
            HEARTH_TRY(put_u64(w, (uint64_t)t->ne[d]));
        HEARTH_TRY(put_u32(w, t->type));
        HEARTH_TRY(put_u64(w, t->offset));
        pos += 8 + len + 4 + 8 * (uint64_t)t->n_dims + 4 + 8;
    }
    HEARTH_TRY(put_zeros(w, pad_to(pos, w->alignment)));
    w->state = WRITING_DATA;
    return HEARTH_OK;
}

/* Moves past tensors whose data is complete (empty ones included), writing
 * the padding that aligns the next one. */
static hearth_status skip_complete(hearth_gguf_writer *w) {
    while (w->cur < w->n_tensors && w->cur_written == w->tensors[w->cur].n_bytes) {
        HEARTH_TRY(put_zeros(w, pad_to(w->tensors[w->cur].n_bytes, w->alignment)));
        w->cur++;
        w->cur_written = 0;
    }
    return HEARTH_OK;
}

hearth_status hearth_gguf_writer_write(hearth_gguf_writer *w, const void *data, size_t n_bytes) {
    const char *fn = "hearth_gguf_writer_write";
    HEARTH_TRY(usable(w, fn));
    if (!data && n_bytes > 0)
        return fail(w, HEARTH_ERR_INVALID_ARG, "%s: data is NULL", fn);
    if (w->state == DECLARING)
        HEARTH_TRY(write_header(w));
    const uint8_t *p = data;
    while (n_bytes > 0) {
        HEARTH_TRY(skip_complete(w));
        if (w->cur == w->n_tensors)
            return fail(w, HEARTH_ERR_INVALID_ARG,
                        "%s: %zu bytes more than the declared tensors hold", fn, n_bytes);
        const writer_tensor *t = &w->tensors[w->cur];
        uint64_t room = t->n_bytes - w->cur_written;
        size_t k = room < n_bytes ? (size_t)room : n_bytes;
        HEARTH_TRY(put(w, p, k));
        w->cur_written += k;
        p += k;
        n_bytes -= k;
    }
    return skip_complete(w);
}

hearth_status hearth_gguf_writer_finish(hearth_gguf_writer *w) {
    const char *fn = "hearth_gguf_writer_finish";
    HEARTH_TRY(usable(w, fn));
    if (w->state == DECLARING)
        HEARTH_TRY(write_header(w));
    HEARTH_TRY(skip_complete(w));
    if (w->cur < w->n_tensors)
        return fail(w, HEARTH_ERR_INVALID_ARG, "%s: tensor '%s' has %" PRIu64 " of its %" PRIu64
                    " bytes; %" PRIu64 " tensor(s) incomplete", fn, w->tensors[w->cur].name,
                    w->cur_written, w->tensors[w->cur].n_bytes, w->n_tensors - w->cur);
    FILE *f = w->f;
    w->f = NULL;
    if (fflush(f) != 0 || ferror(f)) {
        fclose(f);
        return fail(w, HEARTH_ERR_IO, "write failed: %s", strerror(errno));
    }
    if (fclose(f) != 0)
        return fail(w, HEARTH_ERR_IO, "close failed: %s", strerror(errno));
    w->state = FINISHED;
    return HEARTH_OK;
}
