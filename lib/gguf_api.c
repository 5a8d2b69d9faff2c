/* gguf_api.c - the public face of the GGUF reader: open/close, lookups, typed
 * getters, array elements, and the tensor type names.
 *
 * Everything here reads a hearth_gguf that gguf.c has fully validated, so no
 * function re-checks the file; they only check the caller's arguments. All
 * methods are read-only and therefore safe on a shared hearth_gguf.
 */
#include "gguf.h"

#include <inttypes.h> /* PRIu64 in messages */
#include <stdlib.h>   /* calloc, free */
#include <string.h>   /* strlen, strdup, memset */
#include <strings.h>  /* strcasecmp */

/* ==== Open / close ======================================================= */

hearth_gguf_params hearth_gguf_default_params(void) {
    hearth_gguf_params p = {.use_mmap = true};
    return p;
}

static hearth_status finish_open(hearth_gguf *g, hearth_gguf **out) {
    hearth_errbuf e = {{0}};
    hearth_status st = gguf_parse(g, &e);
    if (st != HEARTH_OK) {
        gguf_free(g);
        return hearth_set_last_error(st, e.msg);
    }
    *out = g;
    return HEARTH_OK;
}

hearth_status hearth_gguf_open(const char *path, const hearth_gguf_params *params,
                               hearth_gguf **out) {
    if (!out)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "hearth_gguf_open: out is NULL");
    *out = NULL;
    if (!path)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "hearth_gguf_open: path is NULL");
    hearth_gguf_params p = params ? *params : hearth_gguf_default_params();
    hearth_gguf *g = calloc(1, sizeof *g);
    char *path_copy = strdup(path);
    if (!g || !path_copy) {
        free(g);
        free(path_copy);
        return hearth_set_error(HEARTH_ERR_NOMEM, "%s: out of memory", path);
    }
    g->path = path_copy;
    hearth_errbuf e = {{0}};
    /* The header size is the minimum: shorter files are refused before mapping. */
    hearth_status st = mapfile_open(&g->file, path, p.use_mmap, GGUF_HEADER_BYTES, &e);
    if (st != HEARTH_OK) {
        gguf_free(g);
        return hearth_set_last_error(st, e.msg);
    }
    g->base = g->file.data;
    g->size = g->file.size;
    return finish_open(g, out);
}

hearth_status hearth_gguf_open_buffer_ref(const void *data, size_t size, hearth_gguf **out) {
    if (!out)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "hearth_gguf_open_buffer_ref: out is NULL");
    *out = NULL;
    if (!data && size > 0)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG,
                                "hearth_gguf_open_buffer_ref: data is NULL with size %zu", size);
    hearth_gguf *g = calloc(1, sizeof *g);
    if (!g)
        return hearth_set_error(HEARTH_ERR_NOMEM, "GGUF buffer: out of memory");
    static const uint8_t empty[1] = {0};
    g->base = data ? data : empty;
    g->size = size;
    return finish_open(g, out);
}

void hearth_gguf_close(hearth_gguf *gguf) { gguf_free(gguf); }

/* ==== File-level facts =================================================== */

uint32_t hearth_gguf_version(const hearth_gguf *g) { return g ? g->version : 0; }
uint32_t hearth_gguf_alignment(const hearth_gguf *g) { return g ? g->alignment : 0; }
uint64_t hearth_gguf_data_offset(const hearth_gguf *g) { return g ? g->data_offset : 0; }
uint64_t hearth_gguf_data_size(const hearth_gguf *g) { return g ? g->data_size : 0; }
int64_t hearth_gguf_n_kv(const hearth_gguf *g) { return g ? g->n_kv : 0; }
int64_t hearth_gguf_n_tensors(const hearth_gguf *g) { return g ? g->n_tensors : 0; }

/* ==== Metadata =========================================================== */

const char *hearth_gguf_key(const hearth_gguf *g, int64_t i) {
    if (!g || i < 0 || i >= g->n_kv)
        return NULL;
    return g->kv[i].key;
}

int64_t hearth_gguf_find_key(const hearth_gguf *g, const char *key) {
    if (!g || !key)
        return -1;
    return gguf_index_find(g, false, key);
}

hearth_status hearth_gguf_value_at(const hearth_gguf *g, int64_t i, hearth_gguf_value *out) {
    if (!g || !out)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "hearth_gguf_value_at: NULL argument");
    if (i < 0 || i >= g->n_kv)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG,
                                "hearth_gguf_value_at: index %" PRId64 " outside 0..%" PRId64, i,
                                g->n_kv - 1);
    *out = g->kv[i].value;
    return HEARTH_OK;
}

hearth_status hearth_gguf_array_get(const hearth_gguf_value *array, uint64_t i,
                                    hearth_gguf_value *out) {
    if (!array || !out || array->type != HEARTH_GGUF_ARRAY || !array->v.arr.handle)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG,
                                "hearth_gguf_array_get: not an array value");
    const gguf_array *a = array->v.arr.handle;
    if (i >= a->count)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG,
                                "hearth_gguf_array_get: index %" PRIu64 " outside an array of %"
                                PRIu64, i, a->count);
    memset(out, 0, sizeof *out);
    out->type = a->elem_type;
    if (a->elem_type == HEARTH_GGUF_STRING) {
        /* elem_offset[i] was recorded while the parser checked this string's
         * length against the file, so both reads below are in bounds. */
        const uint8_t *p = a->data + a->elem_offset[i];
        out->v.s.len = gguf_rd_u64(p);
        out->v.s.str = (const char *)(p + 8);
    } else if (a->elem_type == HEARTH_GGUF_ARRAY) {
        const gguf_array *sub = &a->sub[i];
        out->v.arr.elem_type = sub->elem_type;
        out->v.arr.count = sub->count;
        out->v.arr.handle = sub;
    } else {
        gguf_decode_scalar(a->elem_type, a->data + i * gguf_value_size(a->elem_type), out);
    }
    return HEARTH_OK;
}

/* ==== Typed getters ====================================================== */

static const char *where(const hearth_gguf *g) { return g->path ? g->path : "GGUF buffer"; }

/* The value under `key`, or INVALID_ARG naming the key when absent. */
static hearth_status lookup(const hearth_gguf *g, const char *key, const char *fn,
                            const hearth_gguf_value **out) {
    if (!g || !key)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "%s: NULL argument", fn);
    int64_t i = hearth_gguf_find_key(g, key);
    if (i < 0)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "%s: key '%s' not found", where(g), key);
    *out = &g->kv[i].value;
    return HEARTH_OK;
}

static hearth_status wrong_type(const hearth_gguf *g, const char *key,
                                const hearth_gguf_value *v, const char *expected) {
    return hearth_set_error(HEARTH_ERR_INVALID_ARG, "%s: key '%s' has type %s, expected %s",
                            where(g), key, gguf_value_type_name(v->type), expected);
}

static bool is_unsigned_int(hearth_gguf_type t) {
    return t == HEARTH_GGUF_UINT8 || t == HEARTH_GGUF_UINT16 || t == HEARTH_GGUF_UINT32 ||
           t == HEARTH_GGUF_UINT64;
}
static bool is_signed_int(hearth_gguf_type t) {
    return t == HEARTH_GGUF_INT8 || t == HEARTH_GGUF_INT16 || t == HEARTH_GGUF_INT32 ||
           t == HEARTH_GGUF_INT64;
}

/* Any integer type whose value fits in [0, max]. */
static hearth_status get_unsigned(const hearth_gguf *g, const char *key, uint64_t max,
                                  const char *fn, uint64_t *out) {
    const hearth_gguf_value *v;
    HEARTH_TRY(lookup(g, key, fn, &v));
    uint64_t x;
    if (is_unsigned_int(v->type))
        x = v->v.u64;
    else if (is_signed_int(v->type) && v->v.i64 >= 0)
        x = (uint64_t)v->v.i64;
    else if (is_signed_int(v->type))
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "%s: key '%s' is %" PRId64
                                ", expected a non-negative value", where(g), key, v->v.i64);
    else
        return wrong_type(g, key, v, "an integer");
    if (x > max)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "%s: key '%s' is %" PRIu64
                                ", more than the %" PRIu64 " this getter returns", where(g), key,
                                x, max);
    *out = x;
    return HEARTH_OK;
}

hearth_status hearth_gguf_get_u32(const hearth_gguf *g, const char *key, uint32_t *out) {
    uint64_t x;
    if (!out)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "hearth_gguf_get_u32: out is NULL");
    HEARTH_TRY(get_unsigned(g, key, UINT32_MAX, "hearth_gguf_get_u32", &x));
    *out = (uint32_t)x;
    return HEARTH_OK;
}

hearth_status hearth_gguf_get_u64(const hearth_gguf *g, const char *key, uint64_t *out) {
    if (!out)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "hearth_gguf_get_u64: out is NULL");
    return get_unsigned(g, key, UINT64_MAX, "hearth_gguf_get_u64", out);
}

hearth_status hearth_gguf_get_i64(const hearth_gguf *g, const char *key, int64_t *out) {
    const hearth_gguf_value *v;
    if (!out)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "hearth_gguf_get_i64: out is NULL");
    HEARTH_TRY(lookup(g, key, "hearth_gguf_get_i64", &v));
    if (is_signed_int(v->type)) {
        *out = v->v.i64;
        return HEARTH_OK;
    }
    if (!is_unsigned_int(v->type))
        return wrong_type(g, key, v, "an integer");
    if (v->v.u64 > (uint64_t)INT64_MAX)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "%s: key '%s' is %" PRIu64
                                ", more than INT64_MAX", where(g), key, v->v.u64);
    *out = (int64_t)v->v.u64;
    return HEARTH_OK;
}

hearth_status hearth_gguf_get_f32(const hearth_gguf *g, const char *key, float *out) {
    const hearth_gguf_value *v;
    if (!out)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "hearth_gguf_get_f32: out is NULL");
    HEARTH_TRY(lookup(g, key, "hearth_gguf_get_f32", &v));
    if (v->type != HEARTH_GGUF_FLOAT32 && v->type != HEARTH_GGUF_FLOAT64)
        return wrong_type(g, key, v, "FLOAT32 or FLOAT64");
    *out = (float)v->v.f64;
    return HEARTH_OK;
}

hearth_status hearth_gguf_get_bool(const hearth_gguf *g, const char *key, bool *out) {
    const hearth_gguf_value *v;
    if (!out)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "hearth_gguf_get_bool: out is NULL");
    HEARTH_TRY(lookup(g, key, "hearth_gguf_get_bool", &v));
    if (v->type != HEARTH_GGUF_BOOL)
        return wrong_type(g, key, v, "BOOL");
    *out = v->v.u64 != 0;
    return HEARTH_OK;
}

hearth_status hearth_gguf_get_str(const hearth_gguf *g, const char *key, const char **out) {
    const hearth_gguf_value *v;
    if (!out)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "hearth_gguf_get_str: out is NULL");
    HEARTH_TRY(lookup(g, key, "hearth_gguf_get_str", &v));
    if (v->type != HEARTH_GGUF_STRING)
        return wrong_type(g, key, v, "STRING");
    *out = v->v.s.str; /* the parser's NUL-terminated copy */
    return HEARTH_OK;
}

hearth_status hearth_gguf_get_array(const hearth_gguf *g, const char *key,
                                    hearth_gguf_value *out) {
    const hearth_gguf_value *v;
    if (!out)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "hearth_gguf_get_array: out is NULL");
    HEARTH_TRY(lookup(g, key, "hearth_gguf_get_array", &v));
    if (v->type != HEARTH_GGUF_ARRAY)
        return wrong_type(g, key, v, "ARRAY");
    *out = *v;
    return HEARTH_OK;
}

/* ==== Tensors ============================================================ */

const hearth_gguf_tensor *hearth_gguf_tensor_at(const hearth_gguf *g, int64_t i) {
    if (!g || i < 0 || i >= g->n_tensors)
        return NULL;
    return &g->tensors[i];
}

const hearth_gguf_tensor *hearth_gguf_find_tensor(const hearth_gguf *g, const char *name) {
    if (!g || !name)
        return NULL;
    int64_t i = gguf_index_find(g, true, name);
    return i < 0 ? NULL : &g->tensors[i];
}

/* ==== Tensor type ids ==================================================== */

const char *hearth_type_name(uint32_t type) {
    return hearth_type_traits_of(type < HEARTH_TYPE_COUNT ? (int)type : -1)->name;
}

uint32_t hearth_type_block_size(uint32_t type) {
    return hearth_type_traits_of(type < HEARTH_TYPE_COUNT ? (int)type : -1)->block_size;
}

uint32_t hearth_type_block_bytes(uint32_t type) {
    return hearth_type_traits_of(type < HEARTH_TYPE_COUNT ? (int)type : -1)->type_size;
}

hearth_status hearth_type_from_name(const char *name, uint32_t *out) {
    if (!name || !out)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "hearth_type_from_name: NULL argument");
    for (int id = 0; id < HEARTH_TYPE_COUNT; id++) {
        const hearth_type_traits *t = hearth_type_traits_of(id);
        if (strcasecmp(t->name, name) != 0)
            continue;
        if (t->removed)
            return hearth_set_error(HEARTH_ERR_INVALID_ARG,
                                    "tensor type %s (id %d) was removed from GGUF", t->name, id);
        *out = (uint32_t)id;
        return HEARTH_OK;
    }
    return hearth_set_error(HEARTH_ERR_INVALID_ARG, "unknown tensor type name '%s'", name);
}
