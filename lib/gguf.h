/* gguf.h - internal layout of a parsed GGUF file (reader in gguf.c, queries in
 * gguf_api.c, writer in gguf_writer.c).
 *
 * The GGUF format (versions 2 and 3; all numbers little-endian; hearth reads
 * little-endian files only - a big-endian file shows up as a huge version):
 *
 *   offset 0   "GGUF"                      magic, 4 bytes
 *          4   u32 version                 2 or 3 (1 used 32-bit counts: unsupported)
 *          8   u64 n_tensors
 *         16   u64 n_kv
 *         24   n_kv key/value pairs:
 *                string key                (a string is u64 length + bytes, no NUL)
 *                u32 value type            hearth_gguf_type, 0..12
 *                value                     fixed-size scalar, string, or
 *                                          array = u32 elem type, u64 count, elements
 *              n_tensors tensor infos:
 *                string name
 *                u32 n_dims                1..4
 *                u64 ne[n_dims]            ne[0] is the row length
 *                u32 type                  tensor type id (kernels/quant.h)
 *                u64 offset                relative to the data section
 *              padding to `alignment`      general.alignment (u32 power of two), default 32
 *   data_offset tensor data                each tensor aligned, not overlapping
 *
 * Version 2 and 3 have the same layout for little-endian files (3 only added
 * big-endian files, told apart by nothing but their byte order).
 */
#ifndef HEARTH_GGUF_H
#define HEARTH_GGUF_H

#include "internal.h"
#include "mapfile.h" /* the file image a hearth_gguf may own */

#define GGUF_MAGIC "GGUF"
#define GGUF_HEADER_BYTES 24        /* magic + version + n_tensors + n_kv */
#define GGUF_DEFAULT_ALIGNMENT 32
#define GGUF_MAX_ARRAY_DEPTH 8      /* nested arrays deeper than this are refused */
#define GGUF_N_VALUE_TYPES 13

/* An array value. Fixed-size elements are read straight from `data`; string
 * and nested-array elements have variable size, so `elem_offset` (built at
 * parse time) makes element i an O(1) lookup: tokenizers read 150k-entry
 * string arrays through it. */
typedef struct gguf_array {
    hearth_gguf_type elem_type;
    uint64_t count;
    const uint8_t *data;      /* first element inside the file image */
    uint64_t *elem_offset;    /* (count) byte offset of element i from data;
                                 STRING only, else NULL */
    struct gguf_array *sub;   /* (count) nested arrays; ARRAY only, else NULL */
} gguf_array;

typedef struct gguf_kv {
    char *key;               /* NUL-terminated copy */
    uint64_t key_len;
    uint64_t file_offset;    /* where the pair starts, for messages */
    hearth_gguf_value value; /* top-level strings point at str_copy (NUL-terminated);
                                arrays' handle points at `array` */
    char *str_copy;
    gguf_array array;
} gguf_kv;

/* Entries sorted by name, for duplicate checks at parse time and lookups by
 * binary search afterwards. */
typedef struct gguf_index {
    int64_t *order; /* (n) entry indexes in strcmp order of their names */
    int64_t n;
} gguf_index;

struct hearth_gguf {
    mapfile file;            /* owned image when opened by path (zeroed for buffers) */
    const uint8_t *base;     /* (size) the image being described */
    uint64_t size;
    char *path;              /* for messages; NULL for buffers */

    uint32_t version;
    uint32_t alignment;
    uint64_t data_offset;    /* file offset of the data section */
    uint64_t data_size;

    int64_t n_kv;
    gguf_kv *kv;             /* (n_kv) */
    gguf_index kv_index;

    int64_t n_tensors;
    hearth_gguf_tensor *tensors; /* (n_tensors) in file order */
    uint64_t *tensor_info_offset; /* (n_tensors) file offset of each info, for messages */
    gguf_index tensor_index;
};

/* Size in bytes of a fixed-size value type, 0 for STRING/ARRAY/invalid. */
uint32_t gguf_value_size(hearth_gguf_type type);
/* "UINT8" ... "FLOAT64", or "invalid". */
const char *gguf_value_type_name(hearth_gguf_type type);

/* Index of the key (tensors = false) or tensor named `name`, or -1. */
int64_t gguf_index_find(const hearth_gguf *g, bool tensors, const char *name);

/* Decodes one fixed-size scalar of `type` stored little-endian at p. */
void gguf_decode_scalar(hearth_gguf_type type, const uint8_t *p, hearth_gguf_value *v);

/* Frees everything a hearth_gguf owns (also used on the failure path of parse). */
void gguf_free(hearth_gguf *g);
/* Parses g->base[0..size) into g (g->path set or NULL). On failure the caller
 * frees g with gguf_free(). */
hearth_status gguf_parse(hearth_gguf *g, hearth_errbuf *e);

/* Reads little-endian numbers from an unaligned position. */
static inline uint32_t gguf_rd_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t gguf_rd_u64(const uint8_t *p) {
    return (uint64_t)gguf_rd_u32(p) | (uint64_t)gguf_rd_u32(p + 4) << 32;
}

#endif /* HEARTH_GGUF_H */
