/* fuzz_gguf.c - libFuzzer target for the GGUF reader (make fuzz-gguf).
 *
 * Parses the input with hearth_gguf_open_buffer_ref() and, when it is
 * accepted, walks every key, every array element (nested arrays included),
 * every tensor and the first and last byte of its data, checking the
 * invariants a validated file promises. A rejected input must leave *out NULL
 * and a message in hearth_last_error(). Any broken promise traps, so
 * libFuzzer reports it like a sanitizer finding.
 */
#include <stddef.h> /* size_t */
#include <stdint.h> /* uint8_t */
#include <string.h> /* strlen, strcmp */

#include "hearth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define EXPECT(cond)            \
    do {                        \
        if (!(cond))            \
            __builtin_trap();   \
    } while (0)

static volatile uint8_t sink; /* keeps the byte reads from being optimised away */

static void walk_value(const hearth_gguf_value *v, int depth) {
    EXPECT(depth < 64);
    if (v->type == HEARTH_GGUF_STRING) {
        if (v->v.s.len > 0)
            sink ^= (uint8_t)(v->v.s.str[0] ^ v->v.s.str[v->v.s.len - 1]);
        return;
    }
    if (v->type != HEARTH_GGUF_ARRAY)
        return;
    hearth_gguf_value e;
    for (uint64_t i = 0; i < v->v.arr.count; i++) {
        EXPECT(hearth_gguf_array_get(v, i, &e) == HEARTH_OK);
        EXPECT(e.type == v->v.arr.elem_type);
        walk_value(&e, depth + 1);
    }
    EXPECT(hearth_gguf_array_get(v, v->v.arr.count, &e) == HEARTH_ERR_INVALID_ARG);
}

/* Every typed getter on every key: each must succeed or fail cleanly. */
static void call_getters(const hearth_gguf *g, const char *key) {
    uint32_t u32;
    uint64_t u64;
    int64_t i64;
    float f;
    bool b;
    const char *s;
    hearth_gguf_value v;
    (void)hearth_gguf_get_u32(g, key, &u32);
    (void)hearth_gguf_get_u64(g, key, &u64);
    (void)hearth_gguf_get_i64(g, key, &i64);
    (void)hearth_gguf_get_f32(g, key, &f);
    (void)hearth_gguf_get_bool(g, key, &b);
    if (hearth_gguf_get_str(g, key, &s) == HEARTH_OK)
        sink ^= (uint8_t)strlen(s);
    (void)hearth_gguf_get_array(g, key, &v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hearth_gguf *g = (hearth_gguf *)&sink;
    hearth_status st = hearth_gguf_open_buffer_ref(data, size, &g);
    if (st != HEARTH_OK) {
        EXPECT(g == NULL);
        EXPECT(st == HEARTH_ERR_FORMAT || st == HEARTH_ERR_UNSUPPORTED);
        EXPECT(hearth_last_error()[0] != '\0');
        return 0;
    }
    EXPECT(hearth_gguf_version(g) == 2 || hearth_gguf_version(g) == 3);
    uint32_t align = hearth_gguf_alignment(g);
    EXPECT(align != 0 && (align & (align - 1)) == 0);
    uint64_t data_off = hearth_gguf_data_offset(g), data_size = hearth_gguf_data_size(g);
    EXPECT(data_off % align == 0);
    EXPECT(data_size == 0 || data_off + data_size == size);

    for (int64_t i = 0; i < hearth_gguf_n_kv(g); i++) {
        const char *key = hearth_gguf_key(g, i);
        EXPECT(key != NULL);
        EXPECT(hearth_gguf_find_key(g, key) == i); /* keys are unique */
        hearth_gguf_value v;
        EXPECT(hearth_gguf_value_at(g, i, &v) == HEARTH_OK);
        walk_value(&v, 0);
        call_getters(g, key);
    }
    EXPECT(hearth_gguf_key(g, hearth_gguf_n_kv(g)) == NULL);

    for (int64_t i = 0; i < hearth_gguf_n_tensors(g); i++) {
        const hearth_gguf_tensor *t = hearth_gguf_tensor_at(g, i);
        EXPECT(t != NULL && t->name != NULL);
        EXPECT(hearth_gguf_find_tensor(g, t->name) == t);
        EXPECT(t->n_dims >= 1 && t->n_dims <= 4);
        EXPECT(hearth_type_block_size(t->type) != 0);
        EXPECT(t->ne[0] % hearth_type_block_size(t->type) == 0);
        EXPECT(t->offset % align == 0);
        EXPECT(t->offset + t->n_bytes <= data_size);
        const uint8_t *p = t->data;
        if (t->n_bytes > 0) {
            EXPECT(p >= data + data_off && p + t->n_bytes <= data + size);
            sink ^= (uint8_t)(p[0] ^ p[t->n_bytes - 1]);
        }
    }
    EXPECT(hearth_gguf_tensor_at(g, hearth_gguf_n_tensors(g)) == NULL);
    hearth_gguf_close(g);
    return 0;
}
