/* gguf.c - hearth-gguf: prints what a GGUF file holds.
 *
 * Usage: hearth-gguf FILE. Prints the metadata (arrays abbreviated to their
 * type, count and first elements), one line per tensor
 * `name  type  ne0 x ne1 ...  offset  bytes` (offset relative to the data
 * section) and totals, all on stdout. Exit 0 on success, 1 when the file is
 * bad (hearth_last_error() on stderr), 2 on a usage error (CONVENTIONS §3).
 * Uses only the public header.
 */
#include <inttypes.h> /* PRIu64 */
#include <stdio.h>    /* printf, fprintf */
#include <string.h>   /* strcmp */

#include "hearth.h"

#define ARRAY_PREVIEW 5   /* elements shown of each array */
#define STRING_PREVIEW 60 /* bytes shown of each string */

static void usage(FILE *f) {
    fprintf(f, "usage: hearth-gguf FILE\n"
               "Prints the metadata, the tensor table (name, type, shape, offset in the data\n"
               "section, bytes) and totals of a GGUF file.\n"
               "  -h, --help   show this help\n");
}

static const char *value_type_name(hearth_gguf_type t) {
    static const char *const names[] = {"UINT8", "INT8",   "UINT16", "INT16", "UINT32",
                                        "INT32", "FLOAT32", "BOOL",  "STRING", "ARRAY",
                                        "UINT64", "INT64", "FLOAT64"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

/* A string in double quotes with control bytes and quotes escaped, cut after
 * STRING_PREVIEW bytes so that chat templates do not flood the listing. */
static void print_string(const char *s, uint64_t len) {
    uint64_t shown = len < STRING_PREVIEW ? len : STRING_PREVIEW;
    putchar('"');
    for (uint64_t i = 0; i < shown; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch == '\n')
            fputs("\\n", stdout);
        else if (ch < 0x20 || ch == 0x7f)
            printf("\\x%02x", ch);
        else
            putchar(ch);
    }
    putchar('"');
    if (shown < len)
        printf("...(%" PRIu64 " bytes)", len);
}

/* Keys and tensor names are bytes from the file: control characters are
 * escaped so that a hostile name cannot break the one-line-per-entry layout
 * or send escape sequences to the terminal. */
static void print_name(const char *s) {
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 || ch == 0x7f || ch == '\\')
            printf("\\x%02x", ch);
        else
            putchar(ch);
    }
}

static void print_value(const hearth_gguf_value *v, int depth);

static void print_array(const hearth_gguf_value *v, int depth) {
    printf("[%s x %" PRIu64 "]", value_type_name(v->v.arr.elem_type), v->v.arr.count);
    if (v->v.arr.count == 0)
        return;
    fputs(" [", stdout);
    uint64_t shown = v->v.arr.count < ARRAY_PREVIEW ? v->v.arr.count : ARRAY_PREVIEW;
    for (uint64_t i = 0; i < shown; i++) {
        hearth_gguf_value elem;
        if (hearth_gguf_array_get(v, i, &elem) != HEARTH_OK)
            break;
        if (i)
            fputs(", ", stdout);
        print_value(&elem, depth + 1);
    }
    if (shown < v->v.arr.count)
        fputs(", ...", stdout);
    putchar(']');
}

static void print_value(const hearth_gguf_value *v, int depth) {
    switch (v->type) {
    case HEARTH_GGUF_UINT8:
    case HEARTH_GGUF_UINT16:
    case HEARTH_GGUF_UINT32:
    case HEARTH_GGUF_UINT64: printf("%" PRIu64, v->v.u64); break;
    case HEARTH_GGUF_INT8:
    case HEARTH_GGUF_INT16:
    case HEARTH_GGUF_INT32:
    case HEARTH_GGUF_INT64: printf("%" PRId64, v->v.i64); break;
    case HEARTH_GGUF_FLOAT32:
    case HEARTH_GGUF_FLOAT64: printf("%.9g", v->v.f64); break;
    case HEARTH_GGUF_BOOL: fputs(v->v.u64 ? "true" : "false", stdout); break;
    case HEARTH_GGUF_STRING: print_string(v->v.s.str, v->v.s.len); break;
    case HEARTH_GGUF_ARRAY: print_array(v, depth); break;
    }
}

static void print_metadata(const hearth_gguf *g) {
    printf("GGUF v%u, alignment %u, %" PRId64 " keys, %" PRId64 " tensors, data at offset %"
           PRIu64 " (%" PRIu64 " bytes)\n",
           hearth_gguf_version(g), hearth_gguf_alignment(g), hearth_gguf_n_kv(g),
           hearth_gguf_n_tensors(g), hearth_gguf_data_offset(g), hearth_gguf_data_size(g));
    printf("\nmetadata:\n");
    for (int64_t i = 0; i < hearth_gguf_n_kv(g); i++) {
        hearth_gguf_value v;
        if (hearth_gguf_value_at(g, i, &v) != HEARTH_OK)
            continue;
        fputs("  ", stdout);
        print_name(hearth_gguf_key(g, i));
        printf("  %s  ", value_type_name(v.type));
        print_value(&v, 0);
        putchar('\n');
    }
}

static void print_tensors(const hearth_gguf *g) {
    uint64_t total_bytes = 0, total_params = 0;
    printf("\ntensors:\n");
    for (int64_t i = 0; i < hearth_gguf_n_tensors(g); i++) {
        const hearth_gguf_tensor *t = hearth_gguf_tensor_at(g, i);
        fputs("  ", stdout);
        print_name(t->name);
        printf("  %s  ", hearth_type_name(t->type));
        uint64_t n = 1;
        for (uint32_t d = 0; d < t->n_dims; d++) {
            printf(d ? " x %" PRId64 : "%" PRId64, t->ne[d]);
            n *= (uint64_t)t->ne[d]; /* the reader checked the product fits */
        }
        printf("  %" PRIu64 "  %" PRIu64 "\n", t->offset, t->n_bytes);
        total_bytes += t->n_bytes;
        total_params += n;
    }
    printf("\ntotal: %" PRId64 " tensors, %" PRIu64 " bytes, %" PRIu64 " parameters\n",
           hearth_gguf_n_tensors(g), total_bytes, total_params);
}

int main(int argc, char **argv) {
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "hearth-gguf: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
        if (path) {
            fprintf(stderr, "hearth-gguf: only one FILE may be given\n");
            usage(stderr);
            return 2;
        }
        path = argv[i];
    }
    if (!path) {
        usage(stderr);
        return 2;
    }
    hearth_gguf *g;
    hearth_status st = hearth_gguf_open(path, NULL, &g);
    if (st != HEARTH_OK) {
        fprintf(stderr, "hearth-gguf: %s: %s\n", hearth_status_str(st), hearth_last_error());
        return 1;
    }
    print_metadata(g);
    print_tensors(g);
    hearth_gguf_close(g);
    return 0;
}
