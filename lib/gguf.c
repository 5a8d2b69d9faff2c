/* gguf.c - the hardened GGUF parser: bytes in, validated hearth_gguf out.
 *
 * Every count, length, offset and dimension comes from an untrusted file, so
 * each is checked against the bytes actually left before it is used, with
 * overflow-checked 64-bit arithmetic, and no allocation is ever larger than a
 * small multiple of the file size. Tensor data is never copied or touched.
 * Rules: CONVENTIONS §4. Layout: gguf.h. Queries live in gguf_api.c.
 */
#include "gguf.h"

#include <inttypes.h> /* PRIu64 in messages */
#include <stdio.h>    /* snprintf for message contexts */
#include <stdlib.h>   /* calloc, malloc, free, qsort */
#include <string.h>   /* memcmp, memcpy, memchr, strncmp */

/* ==== Value types ======================================================== */

uint32_t gguf_value_size(hearth_gguf_type type) {
    switch (type) {
    case HEARTH_GGUF_UINT8:
    case HEARTH_GGUF_INT8:
    case HEARTH_GGUF_BOOL: return 1;
    case HEARTH_GGUF_UINT16:
    case HEARTH_GGUF_INT16: return 2;
    case HEARTH_GGUF_UINT32:
    case HEARTH_GGUF_INT32:
    case HEARTH_GGUF_FLOAT32: return 4;
    case HEARTH_GGUF_UINT64:
    case HEARTH_GGUF_INT64:
    case HEARTH_GGUF_FLOAT64: return 8;
    case HEARTH_GGUF_STRING:
    case HEARTH_GGUF_ARRAY: return 0;
    }
    return 0;
}

const char *gguf_value_type_name(hearth_gguf_type type) {
    static const char *const names[GGUF_N_VALUE_TYPES] = {
        "UINT8", "INT8",   "UINT16", "INT16", "UINT32", "INT32",  "FLOAT32",
        "BOOL",  "STRING", "ARRAY",  "UINT64", "INT64", "FLOAT64"};
    if ((unsigned)type >= GGUF_N_VALUE_TYPES)
        return "invalid";
    return names[type];
}

/* ==== Name index ========================================================= */

/* Names are kept in a sorted index rather than a hash table: sorting is
 * O(n log n) whatever the names are, so a file crafted for hash collisions
 * cannot turn the duplicate check into a quadratic hang. */

static const char *entry_name(const hearth_gguf *g, bool tensors, int64_t i) {
    return tensors ? g->tensors[i].name : g->kv[i].key;
}

typedef struct sort_ctx {
    const hearth_gguf *g;
    bool tensors;
} sort_ctx;

static int by_name(const void *a, const void *b, void *arg) {
    const sort_ctx *sc = arg;
    int64_t ia = *(const int64_t *)a, ib = *(const int64_t *)b;
    /* Names never contain NUL (copy_name refuses them), so strcmp is exact. */
    int d = strcmp(entry_name(sc->g, sc->tensors, ia), entry_name(sc->g, sc->tensors, ib));
    if (d != 0)
        return d;
    return ia < ib ? -1 : ia > ib; /* equal names: file order, so [i] is the first */
}

/* Sorts the entries by name. On a duplicate returns its two indexes (file
 * order) in *first / *second; otherwise both are -1. */
static hearth_status index_build(hearth_gguf *g, bool tensors, int64_t *first,
                                 int64_t *second) {
    gguf_index *ix = tensors ? &g->tensor_index : &g->kv_index;
    int64_t n = tensors ? g->n_tensors : g->n_kv;
    *first = *second = -1;
    ix->order = malloc((size_t)(n ? n : 1) * sizeof *ix->order);
    if (!ix->order)
        return HEARTH_ERR_NOMEM;
    for (int64_t i = 0; i < n; i++)
        ix->order[i] = i;
    ix->n = n;
    sort_ctx sc = {g, tensors};
    qsort_r(ix->order, (size_t)n, sizeof *ix->order, by_name, &sc);
    for (int64_t i = 1; i < n; i++) {
        if (strcmp(entry_name(g, tensors, ix->order[i - 1]),
                   entry_name(g, tensors, ix->order[i])) == 0) {
            *first = ix->order[i - 1];
            *second = ix->order[i];
            return HEARTH_OK;
        }
    }
    return HEARTH_OK;
}

int64_t gguf_index_find(const hearth_gguf *g, bool tensors, const char *name) {
    const gguf_index *ix = tensors ? &g->tensor_index : &g->kv_index;
    int64_t lo = 0, hi = ix->n; /* binary search in [lo, hi) */
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int d = strcmp(entry_name(g, tensors, ix->order[mid]), name);
        if (d == 0)
            return ix->order[mid];
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* ==== Freeing ============================================================ */

static void free_array(gguf_array *a) {
    if (a->sub) {
        for (uint64_t i = 0; i < a->count; i++)
            free_array(&a->sub[i]);
        free(a->sub);
    }
    free(a->elem_offset);
    a->sub = NULL;
    a->elem_offset = NULL;
}

void gguf_free(hearth_gguf *g) {
    if (!g)
        return;
    if (g->kv) {
        for (int64_t i = 0; i < g->n_kv; i++) {
            free(g->kv[i].key);
            free(g->kv[i].str_copy);
            free_array(&g->kv[i].array);
        }
        free(g->kv);
    }
    if (g->tensors) {
        for (int64_t i = 0; i < g->n_tensors; i++)
            free((char *)g->tensors[i].name);
        free(g->tensors);
    }
    free(g->kv_index.order);
    free(g->tensor_index.order);
    free(g->tensor_info_offset);
    mapfile_close(&g->file);
    free(g->path);
    free(g);
}

/* ==== Cursor over the untrusted bytes ==================================== */

typedef struct cursor {
    const uint8_t *base;
    uint64_t size;
    uint64_t pos;       /* invariant: pos <= size */
    const char *where;  /* file path or "GGUF buffer", for messages */
    hearth_errbuf *e;
} cursor;

static uint64_t left(const cursor *c) { return c->size - c->pos; }

/* Fails unless n more bytes exist; `what` says what was being read. */
static hearth_status need(cursor *c, uint64_t n, const char *ctx, const char *what) {
    if (n <= left(c))
        return HEARTH_OK;
    return hearth_fail(c->e, HEARTH_ERR_FORMAT,
                       "%s: offset %" PRIu64 ": %s%s%s needs %" PRIu64 " bytes but only %" PRIu64
                       " are left (file truncated?)",
                       c->where, c->pos, ctx, *ctx ? ": " : "", what, n, left(c));
}

static hearth_status take_u32(cursor *c, const char *ctx, const char *what, uint32_t *out) {
    HEARTH_TRY(need(c, 4, ctx, what));
    *out = gguf_rd_u32(c->base + c->pos);
    c->pos += 4;
    return HEARTH_OK;
}

static hearth_status take_u64(cursor *c, const char *ctx, const char *what, uint64_t *out) {
    HEARTH_TRY(need(c, 8, ctx, what));
    *out = gguf_rd_u64(c->base + c->pos);
    c->pos += 8;
    return HEARTH_OK;
}

/* A string: u64 length then bytes. The length is checked against the bytes
 * left before anything else, so a length near 2^64 fails here, not in malloc. */
static hearth_status take_string(cursor *c, const char *ctx, const char *what,
                                 const uint8_t **str, uint64_t *len) {
    uint64_t at = c->pos;
    if (left(c) < 8) { /* the message is formatted only here: this is the hot path */
        char what_len[64];
        snprintf(what_len, sizeof what_len, "%s length", what);
        return need(c, 8, ctx, what_len);
    }
    *len = gguf_rd_u64(c->base + c->pos);
    c->pos += 8;
    if (*len > left(c)) {
        c->pos = at;
        return hearth_fail(c->e, HEARTH_ERR_FORMAT,
                           "%s: offset %" PRIu64 ": %s%s%s length %" PRIu64
                           " exceeds the %" PRIu64 " bytes left (file truncated?)",
                           c->where, at, ctx, *ctx ? ": " : "", what, *len, left(c) + 8);
    }
    *str = c->base + c->pos;
    c->pos += *len;
    return HEARTH_OK;
}

/* NUL-terminated copy of a name; names with an embedded NUL are refused
 * because every lookup API takes C strings and would see a different name. */
static hearth_status copy_name(cursor *c, uint64_t at, const uint8_t *s, uint64_t len,
                               const char *what, char **out) {
    if (memchr(s, 0, len))
        return hearth_fail(c->e, HEARTH_ERR_FORMAT,
                           "%s: offset %" PRIu64 ": %s contains a NUL byte", c->where, at, what);
    char *copy = malloc(len + 1); /* len <= file size, so no overflow */
    if (!copy)
        return hearth_fail(c->e, HEARTH_ERR_NOMEM, "%s: out of memory copying a %s", c->where,
                           what);
    memcpy(copy, s, len);
    copy[len] = '\0';
    *out = copy;
    return HEARTH_OK;
}

/* ==== Metadata values ==================================================== */

static hearth_status take_value_type(cursor *c, const char *ctx, const char *what,
                                     hearth_gguf_type *out) {
    uint64_t at = c->pos;
    uint32_t t;
    HEARTH_TRY(take_u32(c, ctx, what, &t));
    if (t >= GGUF_N_VALUE_TYPES)
        return hearth_fail(c->e, HEARTH_ERR_FORMAT,
                           "%s: offset %" PRIu64 ": %s: %s %u is not a GGUF value type "
                           "(expected 0..12)", c->where, at, ctx, what, t);
    *out = (hearth_gguf_type)t;
    return HEARTH_OK;
}

static hearth_status parse_array(cursor *c, gguf_array *a, int depth, const char *ctx);

/* Reads one scalar of fixed-size `type` at p into a public value. */
static void decode_scalar(hearth_gguf_type type, const uint8_t *p, hearth_gguf_value *v) {
    v->type = type;
    switch (type) {
    case HEARTH_GGUF_UINT8:
    case HEARTH_GGUF_BOOL: v->v.u64 = p[0]; break;
    case HEARTH_GGUF_INT8: v->v.i64 = (int8_t)p[0]; break;
    case HEARTH_GGUF_UINT16: v->v.u64 = (uint16_t)(p[0] | p[1] << 8); break;
    case HEARTH_GGUF_INT16: v->v.i64 = (int16_t)(uint16_t)(p[0] | p[1] << 8); break;
    case HEARTH_GGUF_UINT32: v->v.u64 = gguf_rd_u32(p); break;
    case HEARTH_GGUF_INT32: v->v.i64 = (int32_t)gguf_rd_u32(p); break;
    case HEARTH_GGUF_UINT64: v->v.u64 = gguf_rd_u64(p); break;
    case HEARTH_GGUF_INT64: v->v.i64 = (int64_t)gguf_rd_u64(p); break;
    case HEARTH_GGUF_FLOAT32: {
        uint32_t bits = gguf_rd_u32(p);
        float f;
        memcpy(&f, &bits, 4);
        v->v.f64 = f;
        break;
    }
    case HEARTH_GGUF_FLOAT64: {
        uint64_t bits = gguf_rd_u64(p);
        memcpy(&v->v.f64, &bits, 8);
        break;
    }
    case HEARTH_GGUF_STRING:
    case HEARTH_GGUF_ARRAY: break;
    }
}

void gguf_decode_scalar(hearth_gguf_type type, const uint8_t *p, hearth_gguf_value *v) {
    decode_scalar(type, p, v);
}

static hearth_status check_bools(cursor *c, const uint8_t *p, uint64_t n, const char *ctx) {
    for (uint64_t i = 0; i < n; i++)
        if (p[i] > 1)
            return hearth_fail(c->e, HEARTH_ERR_FORMAT,
                               "%s: offset %" PRIu64 ": %s: BOOL value %u (expected 0 or 1)",
                               c->where, (uint64_t)(p + i - c->base), ctx, p[i]);
    return HEARTH_OK;
}

/* The elements of an array start at c->pos; its header has been read. */
static hearth_status parse_array_elements(cursor *c, gguf_array *a, int depth, const char *ctx) {
    uint64_t at = c->pos;
    a->data = c->base + c->pos;
    uint32_t fixed = gguf_value_size(a->elem_type);
    /* Smallest encoding of one element: bounds count by the bytes left, so
     * neither the loop below nor any allocation can be driven past the file. */
    uint64_t min_elem = fixed ? fixed : a->elem_type == HEARTH_GGUF_STRING ? 8 : 12;
    if (a->count > left(c) / min_elem)
        return hearth_fail(c->e, HEARTH_ERR_FORMAT,
                           "%s: offset %" PRIu64 ": %s: array of %" PRIu64 " %s elements cannot "
                           "fit in the %" PRIu64 " bytes left",
                           c->where, at, ctx, a->count, gguf_value_type_name(a->elem_type),
                           left(c));
    if (fixed) {
        if (a->elem_type == HEARTH_GGUF_BOOL)
            HEARTH_TRY(check_bools(c, a->data, a->count, ctx));
        c->pos += a->count * fixed;
        return HEARTH_OK;
    }
    if (a->count == 0)
        return HEARTH_OK;
    if (a->elem_type == HEARTH_GGUF_STRING) {
        a->elem_offset = malloc(a->count * sizeof *a->elem_offset);
        if (!a->elem_offset)
            return hearth_fail(c->e, HEARTH_ERR_NOMEM, "%s: %s: out of memory indexing %" PRIu64
                               " strings", c->where, ctx, a->count);
        for (uint64_t i = 0; i < a->count; i++) {
            const uint8_t *s;
            uint64_t len;
            a->elem_offset[i] = c->pos - at;
            HEARTH_TRY(take_string(c, ctx, "array string", &s, &len));
        }
        return HEARTH_OK;
    }
    a->sub = calloc(a->count, sizeof *a->sub);
    if (!a->sub)
        return hearth_fail(c->e, HEARTH_ERR_NOMEM, "%s: %s: out of memory for %" PRIu64
                           " nested arrays", c->where, ctx, a->count);
    for (uint64_t i = 0; i < a->count; i++)
        HEARTH_TRY(parse_array(c, &a->sub[i], depth + 1, ctx));
    return HEARTH_OK;
}

/* An array header (u32 element type, u64 count) and its elements. */
static hearth_status parse_array(cursor *c, gguf_array *a, int depth, const char *ctx) {
    uint64_t at = c->pos;
    if (depth > GGUF_MAX_ARRAY_DEPTH)
        return hearth_fail(c->e, HEARTH_ERR_UNSUPPORTED,
                           "%s: offset %" PRIu64 ": %s: arrays nested more than %d deep",
                           c->where, at, ctx, GGUF_MAX_ARRAY_DEPTH);
    HEARTH_TRY(take_value_type(c, ctx, "array element type", &a->elem_type));
    HEARTH_TRY(take_u64(c, ctx, "array count", &a->count));
    return parse_array_elements(c, a, depth, ctx);
}

/* ==== Key/value pairs ==================================================== */

static bool is_pow2(uint64_t x) { return x && !(x & (x - 1)); }

static hearth_status parse_kv(hearth_gguf *g, cursor *c, int64_t idx) {
    gguf_kv *kv = &g->kv[idx];
    kv->file_offset = c->pos;
    const uint8_t *key;
    char ctx[128];
    snprintf(ctx, sizeof ctx, "key #%" PRId64, idx);
    HEARTH_TRY(take_string(c, ctx, "key", &key, &kv->key_len));
    HEARTH_TRY(copy_name(c, kv->file_offset, key, kv->key_len, "key", &kv->key));
    snprintf(ctx, sizeof ctx, "key '%.80s'", kv->key);

    hearth_gguf_type type;
    HEARTH_TRY(take_value_type(c, ctx, "value type", &type));
    uint64_t at = c->pos;
    hearth_gguf_value *v = &kv->value;
    v->type = type;
    if (type == HEARTH_GGUF_STRING) {
        const uint8_t *s;
        uint64_t len;
        HEARTH_TRY(take_string(c, ctx, "string", &s, &len));
        kv->str_copy = malloc(len + 1);
        if (!kv->str_copy)
            return hearth_fail(c->e, HEARTH_ERR_NOMEM, "%s: %s: out of memory", c->where, ctx);
        memcpy(kv->str_copy, s, len);
        kv->str_copy[len] = '\0';
        v->v.s.str = kv->str_copy;
        v->v.s.len = len;
    } else if (type == HEARTH_GGUF_ARRAY) {
        HEARTH_TRY(parse_array(c, &kv->array, 1, ctx));
        v->v.arr.elem_type = kv->array.elem_type;
        v->v.arr.count = kv->array.count;
        v->v.arr.handle = &kv->array;
    } else {
        uint32_t n = gguf_value_size(type);
        HEARTH_TRY(need(c, n, ctx, gguf_value_type_name(type)));
        if (type == HEARTH_GGUF_BOOL)
            HEARTH_TRY(check_bools(c, c->base + c->pos, 1, ctx));
        decode_scalar(type, c->base + c->pos, v);
        c->pos += n;
    }

    if (strcmp(kv->key, "general.alignment") == 0) {
        if (type != HEARTH_GGUF_UINT32)
            return hearth_fail(c->e, HEARTH_ERR_FORMAT,
                               "%s: offset %" PRIu64 ": %s has type %s, expected UINT32",
                               c->where, at, ctx, gguf_value_type_name(type));
        if (!is_pow2(v->v.u64))
            return hearth_fail(c->e, HEARTH_ERR_FORMAT,
                               "%s: offset %" PRIu64 ": %s is %" PRIu64
                               ", expected a non-zero power of two", c->where, at, ctx, v->v.u64);
        g->alignment = (uint32_t)v->v.u64;
    }
    return HEARTH_OK;
}

/* ==== Tensor infos ======================================================= */

static hearth_status parse_tensor_info(hearth_gguf *g, cursor *c, int64_t idx) {
    hearth_gguf_tensor *t = &g->tensors[idx];
    uint64_t start = c->pos;
    char ctx[128];
    snprintf(ctx, sizeof ctx, "tensor #%" PRId64, idx);
    const uint8_t *name;
    uint64_t name_len;
    HEARTH_TRY(take_string(c, ctx, "name", &name, &name_len));
    char *copy;
    HEARTH_TRY(copy_name(c, start, name, name_len, "tensor name", &copy));
    t->name = copy;
    snprintf(ctx, sizeof ctx, "tensor '%.80s'", t->name);
    g->tensor_info_offset[idx] = start;

    uint64_t at = c->pos;
    HEARTH_TRY(take_u32(c, ctx, "n_dims", &t->n_dims));
    if (t->n_dims < 1 || t->n_dims > 4)
        return hearth_fail(c->e, HEARTH_ERR_FORMAT,
                           "%s: offset %" PRIu64 ": %s has n_dims %u, expected 1 to 4", c->where,
                           at, ctx, t->n_dims);
    uint64_t dims_at = c->pos;
    for (int d = 0; d < 4; d++) {
        uint64_t ne = 1;
        if ((uint32_t)d < t->n_dims) {
            at = c->pos;
            HEARTH_TRY(take_u64(c, ctx, "dimension", &ne));
            if (ne > (uint64_t)INT64_MAX)
                return hearth_fail(c->e, HEARTH_ERR_FORMAT,
                                   "%s: offset %" PRIu64 ": %s: ne[%d] = %" PRIu64
                                   " exceeds INT64_MAX", c->where, at, ctx, d, ne);
        }
        t->ne[d] = (int64_t)ne;
    }
    at = c->pos;
    HEARTH_TRY(take_u32(c, ctx, "type", &t->type));
    /* Ids past the table (up to 2^32-1) map to the "unknown" record. */
    const hearth_type_traits *tt =
        hearth_type_traits_of(t->type < HEARTH_TYPE_COUNT ? (int)t->type : -1);
    if (tt->removed)
        return hearth_fail(c->e, HEARTH_ERR_UNSUPPORTED,
                           "%s: offset %" PRIu64 ": %s: tensor type %s (id %u) was removed "
                           "from GGUF", c->where, at, ctx, tt->name, t->type);
    if (tt->block_size == 0)
        return hearth_fail(c->e, HEARTH_ERR_UNSUPPORTED,
                           "%s: offset %" PRIu64 ": %s has unknown tensor type id %u", c->where,
                           at, ctx, t->type);
    if (t->ne[0] % tt->block_size != 0)
        return hearth_fail(c->e, HEARTH_ERR_FORMAT,
                           "%s: offset %" PRIu64 ": %s: ne[0] = %" PRId64 " is not a multiple "
                           "of the %s block size %u", c->where, dims_at, ctx, t->ne[0], tt->name,
                           tt->block_size);
    /* Bytes = blocks per row * block bytes * ne1 * ne2 * ne3; every partial
     * product is checked, including the element count, which must fit int64. */
    uint64_t n_elems = 1;
    uint64_t n_bytes;
    bool overflow = hearth_mul_overflow_u64((uint64_t)t->ne[0] / tt->block_size, tt->type_size,
                                            &n_bytes) != 0;
    for (int d = 0; d < 4; d++) {
        overflow |= hearth_mul_overflow_u64(n_elems, (uint64_t)t->ne[d], &n_elems) != 0;
        if (d > 0)
            overflow |= hearth_mul_overflow_u64(n_bytes, (uint64_t)t->ne[d], &n_bytes) != 0;
    }
    if (overflow || n_elems > (uint64_t)INT64_MAX || n_bytes > (uint64_t)INT64_MAX)
        return hearth_fail(c->e, HEARTH_ERR_FORMAT,
                           "%s: offset %" PRIu64 ": %s: shape %" PRId64 " x %" PRId64 " x %" PRId64
                           " x %" PRId64 " overflows 64-bit element or byte counts", c->where,
                           dims_at, ctx, t->ne[0], t->ne[1], t->ne[2], t->ne[3]);
    t->n_bytes = n_bytes;
    at = c->pos;
    HEARTH_TRY(take_u64(c, ctx, "data offset", &t->offset));
    if (t->offset % g->alignment != 0)
        return hearth_fail(c->e, HEARTH_ERR_FORMAT,
                           "%s: offset %" PRIu64 ": %s: data offset %" PRIu64
                           " is not a multiple of the alignment %u", c->where, at, ctx,
                           t->offset, g->alignment);
    return HEARTH_OK;
}

/* ==== Data section ======================================================= */

static int by_offset(const void *a, const void *b) {
    const hearth_gguf_tensor *ta = *(const hearth_gguf_tensor *const *)a;
    const hearth_gguf_tensor *tb = *(const hearth_gguf_tensor *const *)b;
    if (ta->offset != tb->offset)
        return ta->offset < tb->offset ? -1 : 1;
    if (ta->n_bytes != tb->n_bytes)
        return ta->n_bytes < tb->n_bytes ? -1 : 1;
    return 0;
}

/* Every tensor inside the data section, none overlapping another. */
static hearth_status check_data(hearth_gguf *g, cursor *c) {
    for (int64_t i = 0; i < g->n_tensors; i++) {
        hearth_gguf_tensor *t = &g->tensors[i];
        uint64_t end;
        if (hearth_add_overflow_u64(t->offset, t->n_bytes, &end) || end > g->data_size)
            return hearth_fail(c->e, HEARTH_ERR_FORMAT,
                               "%s: tensor '%.80s': data at [%" PRIu64 ", +%" PRIu64
                               ") lies outside the %" PRIu64 "-byte data section at offset %"
                               PRIu64 " (file truncated?)", c->where, t->name, t->offset,
                               t->n_bytes, g->data_size, g->data_offset);
        uint64_t abs = g->data_offset + t->offset; /* <= size: checked just above */
        t->data = g->base + (abs < g->size ? abs : g->size);
    }
    if (g->n_tensors < 2)
        return HEARTH_OK;
    const hearth_gguf_tensor **order = malloc((size_t)g->n_tensors * sizeof *order);
    if (!order)
        return hearth_fail(c->e, HEARTH_ERR_NOMEM, "%s: out of memory", c->where);
    for (int64_t i = 0; i < g->n_tensors; i++)
        order[i] = &g->tensors[i];
    qsort(order, (size_t)g->n_tensors, sizeof *order, by_offset);
    hearth_status st = HEARTH_OK;
    const hearth_gguf_tensor *prev = NULL; /* the non-empty tensor reaching furthest so far */
    for (int64_t i = 0; i < g->n_tensors && st == HEARTH_OK; i++) {
        const hearth_gguf_tensor *t = order[i];
        if (t->n_bytes == 0)
            continue; /* an empty tensor occupies no bytes, so overlaps nothing */
        if (prev && t->offset < prev->offset + prev->n_bytes)
            st = hearth_fail(c->e, HEARTH_ERR_FORMAT,
                             "%s: tensor '%.80s' (data [%" PRIu64 ", %" PRIu64
                             ")) overlaps tensor '%.80s' (data [%" PRIu64 ", %" PRIu64 "))",
                             c->where, t->name, t->offset, t->offset + t->n_bytes, prev->name,
                             prev->offset, prev->offset + prev->n_bytes);
        if (!prev || t->offset + t->n_bytes > prev->offset + prev->n_bytes)
            prev = t;
    }
    free(order);
    return st;
}

/* ==== Whole file ========================================================= */

static hearth_status parse_header(hearth_gguf *g, cursor *c, uint64_t *n_tensors,
                                  uint64_t *n_kv) {
    if (c->size < GGUF_HEADER_BYTES)
        return hearth_fail(c->e, HEARTH_ERR_FORMAT,
                           "%s: file is %" PRIu64 " bytes, shorter than the %d-byte GGUF header",
                           c->where, c->size, GGUF_HEADER_BYTES);
    if (memcmp(c->base, GGUF_MAGIC, 4) != 0)
        return hearth_fail(c->e, HEARTH_ERR_FORMAT,
                           "%s: offset 0: bad magic %02x %02x %02x %02x, expected \"GGUF\" "
                           "(not a GGUF file)", c->where, c->base[0], c->base[1], c->base[2],
                           c->base[3]);
    c->pos = 4;
    uint32_t version = gguf_rd_u32(c->base + 4);
    if (version != 2 && version != 3) {
        bool swapped = version == 0x02000000u || version == 0x03000000u;
        return hearth_fail(c->e, HEARTH_ERR_UNSUPPORTED,
                           "%s: offset 4: GGUF version %u is not supported (expected 2 or 3)%s",
                           c->where, version,
                           swapped ? "; this looks like a big-endian file, which hearth cannot "
                                     "read" : version == 1 ? "; convert version 1 files with "
                                                             "current tools" : "");
    }
    g->version = version;
    *n_tensors = gguf_rd_u64(c->base + 8);
    *n_kv = gguf_rd_u64(c->base + 16);
    c->pos = GGUF_HEADER_BYTES;
    /* A pair takes at least 13 bytes (key length, value type, 1-byte value) and
     * a tensor info at least 32; counts that cannot fit are refused before any
     * allocation sized by them. */
    if (*n_kv > left(c) / 13)
        return hearth_fail(c->e, HEARTH_ERR_FORMAT,
                           "%s: offset 16: n_kv = %" PRIu64 " cannot fit in the %" PRIu64
                           " bytes after the header (file truncated?)", c->where, *n_kv,
                           left(c));
    if (*n_tensors > left(c) / 32)
        return hearth_fail(c->e, HEARTH_ERR_FORMAT,
                           "%s: offset 8: n_tensors = %" PRIu64 " cannot fit in the %" PRIu64
                           " bytes after the header (file truncated?)", c->where, *n_tensors,
                           left(c));
    return HEARTH_OK;
}

hearth_status gguf_parse(hearth_gguf *g, hearth_errbuf *e) {
    cursor c = {g->base, g->size, 0, g->path ? g->path : "GGUF buffer", e};
    uint64_t n_tensors = 0, n_kv = 0;
    HEARTH_TRY(parse_header(g, &c, &n_tensors, &n_kv));
    g->alignment = GGUF_DEFAULT_ALIGNMENT;

    g->kv = calloc(n_kv ? n_kv : 1, sizeof *g->kv);
    g->tensors = calloc(n_tensors ? n_tensors : 1, sizeof *g->tensors);
    g->tensor_info_offset = calloc(n_tensors ? n_tensors : 1, sizeof *g->tensor_info_offset);
    if (!g->kv || !g->tensors || !g->tensor_info_offset)
        return hearth_fail(e, HEARTH_ERR_NOMEM, "%s: out of memory for %" PRIu64 " keys and %"
                           PRIu64 " tensors", c.where, n_kv, n_tensors);
    /* n_kv / n_tensors count the entries filled so far, so gguf_free() after a
     * failure frees exactly what was allocated. */
    for (uint64_t i = 0; i < n_kv; i++) {
        g->n_kv = (int64_t)i + 1;
        HEARTH_TRY(parse_kv(g, &c, (int64_t)i));
    }
    int64_t first, second;
    if (index_build(g, false, &first, &second) != HEARTH_OK)
        return hearth_fail(e, HEARTH_ERR_NOMEM, "%s: out of memory", c.where);
    if (first >= 0)
        return hearth_fail(e, HEARTH_ERR_FORMAT,
                           "%s: offset %" PRIu64 ": key '%.80s' appears twice (first at offset %"
                           PRIu64 "); keys must be unique", c.where, g->kv[second].file_offset,
                           g->kv[second].key, g->kv[first].file_offset);
    for (uint64_t i = 0; i < n_tensors; i++) {
        g->n_tensors = (int64_t)i + 1;
        HEARTH_TRY(parse_tensor_info(g, &c, (int64_t)i));
    }
    if (index_build(g, true, &first, &second) != HEARTH_OK)
        return hearth_fail(e, HEARTH_ERR_NOMEM, "%s: out of memory", c.where);
    if (first >= 0)
        return hearth_fail(e, HEARTH_ERR_FORMAT,
                           "%s: offset %" PRIu64 ": tensor '%.80s' appears twice (first at offset %"
                           PRIu64 "); tensor names must be unique", c.where,
                           g->tensor_info_offset[second], g->tensors[second].name,
                           g->tensor_info_offset[first]);

    /* The data section starts at the next multiple of the alignment. A file
     * without tensor data (vocab-only files) may end before that point. */
    uint64_t pad = (g->alignment - c.pos % g->alignment) % g->alignment;
    if (hearth_add_overflow_u64(c.pos, pad, &g->data_offset))
        return hearth_fail(e, HEARTH_ERR_FORMAT, "%s: data section offset overflows", c.where);
    g->data_size = g->data_offset < g->size ? g->size - g->data_offset : 0;
    return check_data(g, &c);
}
