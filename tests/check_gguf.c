/* check_gguf.c - GGUF reader and writer: round trips of every metadata value
 * type and every tensor type id, typed getters, the real vocab files of
 * ../shared, v2 and nested-array files built by hand, and writer misuse.
 *
 * The expectations are independent of the code under test: values are the
 * ones the test wrote, byte layouts are spelled out here from the format
 * description, and vocabulary sizes come from ../shared/README.md.
 * Malformed files live in check_gguf_corrupt.c, the CLI in check_gguf_cli.c.
 */
#include <check.h>
#include <inttypes.h> /* PRIu64 */
#include <stdio.h>    /* snprintf, fopen */
#include <stdlib.h>   /* malloc, free */
#include <string.h>   /* memcmp, strlen, strstr */
#include <unistd.h>   /* access */

#include "hearth.h"
#include "check_gguf.h"
#include "kernels/quant.h" /* HEARTH_TYPE_* ids */
#include "util/testutil.h"

/* ==== Metadata round trip ================================================ */

static const char *const words[] = {"", "<s>", "hello world", "\xe2\x96\x81the", "", "x"};
#define N_WORDS (sizeof words / sizeof words[0])

/* Writes one key of every value type (edge values) and reads them back. */
static void write_all_values(const char *path) {
    hearth_gguf_writer *w;
    ck_assert_int_eq(hearth_gguf_writer_create(path, &w), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_u8(w, "u8", 255), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_i8(w, "i8", -128), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_u16(w, "u16", 65535), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_i16(w, "i16", -32768), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_u32(w, "u32", 4000000000u), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_i32(w, "i32", -2000000000), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_u64(w, "u64", UINT64_MAX), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_i64(w, "i64", INT64_MIN), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_f32(w, "f32", 0.1f), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_f64(w, "f64", -1e300), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_bool(w, "bool_t", true), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_bool(w, "bool_f", false), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_str(w, "str", "caf\xc3\xa9\0x", 7), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_str(w, "str_empty", "", 0), HEARTH_OK);
    const int32_t i32s[] = {-1, 0, 7, INT32_MAX};
    ck_assert_int_eq(hearth_gguf_writer_set_array(w, "arr_i32", HEARTH_GGUF_INT32, i32s, 4),
                     HEARTH_OK);
    const uint8_t bools[] = {1, 0, 1};
    ck_assert_int_eq(hearth_gguf_writer_set_array(w, "arr_bool", HEARTH_GGUF_BOOL, bools, 3),
                     HEARTH_OK);
    const double f64s[] = {1.5, -0.25};
    ck_assert_int_eq(hearth_gguf_writer_set_array(w, "arr_f64", HEARTH_GGUF_FLOAT64, f64s, 2),
                     HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_array(w, "arr_empty", HEARTH_GGUF_FLOAT32, NULL, 0),
                     HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_str_array(w, "arr_str", words, NULL, N_WORDS),
                     HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_str_array(w, "arr_str_empty", NULL, NULL, 0),
                     HEARTH_OK);
    /* Every remaining fixed type as an array too. */
    for (int t = 0; t < 13; t++) {
        if (t == HEARTH_GGUF_STRING || t == HEARTH_GGUF_ARRAY)
            continue;
        uint8_t raw[3 * 8];
        for (size_t i = 0; i < sizeof raw; i++)
            raw[i] = t == HEARTH_GGUF_BOOL ? (uint8_t)(i & 1) : (uint8_t)(i * 37 + t);
        char key[32];
        snprintf(key, sizeof key, "arr_type_%d", t);
        ck_assert_int_eq(hearth_gguf_writer_set_array(w, key, (hearth_gguf_type)t, raw, 3),
                         HEARTH_OK);
    }
    ck_assert_int_eq(hearth_gguf_writer_finish(w), HEARTH_OK);
    hearth_gguf_writer_free(w);
}

static void check_all_values(const hearth_gguf *g) {
    hearth_gguf_value v;
    uint32_t u32;
    uint64_t u64;
    int64_t i64;
    float f;
    bool b;
    const char *s;
    ck_assert_int_eq(hearth_gguf_n_kv(g), 20 + 11);
    ck_assert_int_eq(hearth_gguf_get_u32(g, "u8", &u32), HEARTH_OK);
    ck_assert_uint_eq(u32, 255);
    ck_assert_int_eq(hearth_gguf_get_i64(g, "i8", &i64), HEARTH_OK);
    ck_assert_int_eq(i64, -128);
    ck_assert_int_eq(hearth_gguf_get_u32(g, "u16", &u32), HEARTH_OK);
    ck_assert_uint_eq(u32, 65535);
    ck_assert_int_eq(hearth_gguf_get_i64(g, "i16", &i64), HEARTH_OK);
    ck_assert_int_eq(i64, -32768);
    ck_assert_int_eq(hearth_gguf_get_u32(g, "u32", &u32), HEARTH_OK);
    ck_assert_uint_eq(u32, 4000000000u);
    ck_assert_int_eq(hearth_gguf_get_i64(g, "i32", &i64), HEARTH_OK);
    ck_assert_int_eq(i64, -2000000000);
    ck_assert_int_eq(hearth_gguf_get_u64(g, "u64", &u64), HEARTH_OK);
    ck_assert_uint_eq(u64, UINT64_MAX);
    ck_assert_int_eq(hearth_gguf_get_i64(g, "i64", &i64), HEARTH_OK);
    ck_assert_int_eq(i64, INT64_MIN);
    ck_assert_int_eq(hearth_gguf_get_f32(g, "f32", &f), HEARTH_OK);
    ck_assert(f == 0.1f);
    ck_assert_int_eq(hearth_gguf_value_at(g, hearth_gguf_find_key(g, "f64"), &v), HEARTH_OK);
    ck_assert_int_eq(v.type, HEARTH_GGUF_FLOAT64);
    ck_assert(v.v.f64 == -1e300);
    ck_assert_int_eq(hearth_gguf_get_bool(g, "bool_t", &b), HEARTH_OK);
    ck_assert(b);
    ck_assert_int_eq(hearth_gguf_get_bool(g, "bool_f", &b), HEARTH_OK);
    ck_assert(!b);
    ck_assert_int_eq(hearth_gguf_value_at(g, hearth_gguf_find_key(g, "str"), &v), HEARTH_OK);
    ck_assert_int_eq(v.type, HEARTH_GGUF_STRING);
    ck_assert_uint_eq(v.v.s.len, 7);
    ck_assert_mem_eq(v.v.s.str, "caf\xc3\xa9\0x", 7);
    ck_assert_int_eq(hearth_gguf_get_str(g, "str_empty", &s), HEARTH_OK);
    ck_assert_str_eq(s, "");

    ck_assert_int_eq(hearth_gguf_get_array(g, "arr_i32", &v), HEARTH_OK);
    ck_assert_int_eq(v.v.arr.elem_type, HEARTH_GGUF_INT32);
    ck_assert_uint_eq(v.v.arr.count, 4);
    const int64_t want_i32[] = {-1, 0, 7, INT32_MAX};
    for (uint64_t i = 0; i < 4; i++) {
        hearth_gguf_value e;
        ck_assert_int_eq(hearth_gguf_array_get(&v, i, &e), HEARTH_OK);
        ck_assert_int_eq(e.type, HEARTH_GGUF_INT32);
        ck_assert_int_eq(e.v.i64, want_i32[i]);
    }
    hearth_gguf_value e;
    ck_assert_int_eq(hearth_gguf_array_get(&v, 4, &e), HEARTH_ERR_INVALID_ARG);
    ck_assert_int_eq(hearth_gguf_get_array(g, "arr_bool", &v), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_array_get(&v, 2, &e), HEARTH_OK);
    ck_assert_int_eq(e.type, HEARTH_GGUF_BOOL);
    ck_assert_uint_eq(e.v.u64, 1);
    ck_assert_int_eq(hearth_gguf_get_array(g, "arr_f64", &v), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_array_get(&v, 1, &e), HEARTH_OK);
    ck_assert(e.v.f64 == -0.25);
    ck_assert_int_eq(hearth_gguf_get_array(g, "arr_empty", &v), HEARTH_OK);
    ck_assert_int_eq(v.v.arr.elem_type, HEARTH_GGUF_FLOAT32);
    ck_assert_uint_eq(v.v.arr.count, 0);
    ck_assert_int_eq(hearth_gguf_array_get(&v, 0, &e), HEARTH_ERR_INVALID_ARG);
    ck_assert_int_eq(hearth_gguf_get_array(g, "arr_str_empty", &v), HEARTH_OK);
    ck_assert_int_eq(v.v.arr.elem_type, HEARTH_GGUF_STRING);
    ck_assert_uint_eq(v.v.arr.count, 0);

    ck_assert_int_eq(hearth_gguf_get_array(g, "arr_str", &v), HEARTH_OK);
    ck_assert_uint_eq(v.v.arr.count, N_WORDS);
    for (uint64_t i = N_WORDS; i-- > 0;) { /* backwards: random access, not a scan */
        ck_assert_int_eq(hearth_gguf_array_get(&v, i, &e), HEARTH_OK);
        ck_assert_int_eq(e.type, HEARTH_GGUF_STRING);
        ck_assert_uint_eq(e.v.s.len, strlen(words[i]));
        ck_assert_mem_eq(e.v.s.str, words[i], e.v.s.len);
    }
    /* Fixed-type arrays: element i decoded from the bytes the test wrote. */
    for (int t = 0; t < 13; t++) {
        if (t == HEARTH_GGUF_STRING || t == HEARTH_GGUF_ARRAY)
            continue;
        char key[32];
        snprintf(key, sizeof key, "arr_type_%d", t);
        ck_assert_int_eq(hearth_gguf_get_array(g, key, &v), HEARTH_OK);
        ck_assert_int_eq(v.v.arr.elem_type, t);
        ck_assert_uint_eq(v.v.arr.count, 3);
        ck_assert_int_eq(hearth_gguf_array_get(&v, 2, &e), HEARTH_OK);
        ck_assert_int_eq(e.type, t);
        uint8_t raw[3 * 8];
        for (size_t i = 0; i < sizeof raw; i++)
            raw[i] = t == HEARTH_GGUF_BOOL ? (uint8_t)(i & 1) : (uint8_t)(i * 37 + t);
        size_t sz = gl_value_size(t);
        gl_expect_scalar(&e, raw + 2 * sz);
    }
}

START_TEST(test_gguf_roundtrip_every_value_type) {
    char path[512];
    snprintf(path, sizeof path, "%s/values.gguf", test_tmpdir());
    write_all_values(path);
    for (int mmap_on = 0; mmap_on < 2; mmap_on++) {
        hearth_gguf_params p = hearth_gguf_default_params();
        p.use_mmap = mmap_on;
        hearth_gguf *g;
        ck_assert_int_eq(hearth_gguf_open(path, &p, &g), HEARTH_OK);
        ck_assert_uint_eq(hearth_gguf_version(g), 3);
        ck_assert_int_eq(hearth_gguf_n_tensors(g), 0);
        check_all_values(g);
        hearth_gguf_close(g);
    }
}
END_TEST

/* Copying every value with set_value gives a file with the same values. */
START_TEST(test_gguf_set_value_copies_every_type) {
    char src[512], dst[512];
    snprintf(src, sizeof src, "%s/copy-src.gguf", test_tmpdir());
    snprintf(dst, sizeof dst, "%s/copy-dst.gguf", test_tmpdir());
    write_all_values(src);
    hearth_gguf *g;
    ck_assert_int_eq(hearth_gguf_open(src, NULL, &g), HEARTH_OK);
    hearth_gguf_writer *w;
    ck_assert_int_eq(hearth_gguf_writer_create(dst, &w), HEARTH_OK);
    for (int64_t i = 0; i < hearth_gguf_n_kv(g); i++) {
        hearth_gguf_value v;
        ck_assert_int_eq(hearth_gguf_value_at(g, i, &v), HEARTH_OK);
        ck_assert_int_eq(hearth_gguf_writer_set_value(w, hearth_gguf_key(g, i), &v), HEARTH_OK);
    }
    ck_assert_int_eq(hearth_gguf_writer_finish(w), HEARTH_OK);
    hearth_gguf_writer_free(w);
    hearth_gguf_close(g);
    size_t n_src, n_dst;
    char *a = test_read_file(src, &n_src);
    char *b = test_read_file(dst, &n_dst);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    /* Same keys in the same order with the same values: the same bytes. */
    ck_assert_uint_eq(n_src, n_dst);
    ck_assert_mem_eq(a, b, n_src);
    free(a);
    free(b);
}
END_TEST

/* ==== Tensor round trip ================================================== */

/* Every type id with known geometry: a 2-D and a 1-D tensor each, random
 * bytes, written in odd-sized pieces, read back in place. */
START_TEST(test_gguf_roundtrip_every_tensor_type) {
    char path[512];
    snprintf(path, sizeof path, "%s/tensors-%d.gguf", test_tmpdir(), _i);
    uint32_t alignment = _i == 0 ? 32 : 64;
    hearth_gguf_writer *w;
    ck_assert_int_eq(hearth_gguf_writer_create(path, &w), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_str(w, "general.architecture", "test", 4), HEARTH_OK);
    if (_i)
        ck_assert_int_eq(hearth_gguf_writer_set_u32(w, "general.alignment", alignment),
                         HEARTH_OK);
    uint64_t total = 0;
    int n_decl = 0;
    uint64_t sizes[2 * 64];
    for (uint32_t type = 0; type < 64; type++) {
        uint32_t bs = hearth_type_block_size(type), ts = hearth_type_block_bytes(type);
        if (bs == 0)
            continue;
        char name[64];
        int64_t ne2[2] = {2 * (int64_t)bs, 3};
        snprintf(name, sizeof name, "t%u.%s.2d", type, hearth_type_name(type));
        ck_assert_int_eq(hearth_gguf_writer_add_tensor(w, name, type, 2, ne2), HEARTH_OK);
        sizes[n_decl++] = 6ull * ts;
        int64_t ne1[1] = {(int64_t)bs};
        snprintf(name, sizeof name, "t%u.%s.1d", type, hearth_type_name(type));
        ck_assert_int_eq(hearth_gguf_writer_add_tensor(w, name, type, 1, ne1), HEARTH_OK);
        sizes[n_decl++] = ts;
        total += 7ull * ts;
    }
    ck_assert_int_eq(n_decl, 2 * 32); /* the 32 ids of CONVENTIONS §4 */
    uint8_t *data = malloc(total);
    test_rng rng;
    test_rng_seed(&rng, 1234 + _i);
    for (uint64_t i = 0; i < total; i++)
        data[i] = (uint8_t)test_rng_u64(&rng);
    for (uint64_t done = 0; done < total;) { /* pieces that straddle tensors */
        uint64_t k = 1 + test_rng_u64(&rng) % 500;
        if (k > total - done)
            k = total - done;
        ck_assert_int_eq(hearth_gguf_writer_write(w, data + done, k), HEARTH_OK);
        done += k;
    }
    ck_assert_int_eq(hearth_gguf_writer_finish(w), HEARTH_OK);
    hearth_gguf_writer_free(w);

    hearth_gguf *g;
    ck_assert_int_eq(hearth_gguf_open(path, NULL, &g), HEARTH_OK);
    ck_assert_uint_eq(hearth_gguf_alignment(g), alignment);
    ck_assert_uint_eq(hearth_gguf_data_offset(g) % alignment, 0);
    ck_assert_int_eq(hearth_gguf_n_tensors(g), n_decl);
    uint64_t at = 0;
    for (int i = 0; i < n_decl; i++) {
        const hearth_gguf_tensor *t = hearth_gguf_tensor_at(g, i);
        uint32_t type = (uint32_t)atoi(t->name + 1);
        ck_assert_uint_eq(t->type, type);
        ck_assert_uint_eq(t->n_bytes, sizes[i]);
        ck_assert_uint_eq(t->offset % alignment, 0);
        ck_assert_uint_eq(t->n_dims, strstr(t->name, ".2d") ? 2 : 1);
        int64_t rows_of_blocks = t->n_dims == 2 ? 2 : 1;
        ck_assert_int_eq(t->ne[0], (int64_t)hearth_type_block_size(type) * rows_of_blocks);
        ck_assert_int_eq(t->ne[1], t->n_dims == 2 ? 3 : 1);
        ck_assert_int_eq(t->ne[2], 1);
        ck_assert_mem_eq(t->data, data + at, t->n_bytes);
        ck_assert_ptr_eq(hearth_gguf_find_tensor(g, t->name), t);
        at += t->n_bytes;
    }
    ck_assert_ptr_null(hearth_gguf_find_tensor(g, "missing"));
    ck_assert_ptr_null(hearth_gguf_tensor_at(g, n_decl));
    hearth_gguf_close(g);
    free(data);
}
END_TEST

/* A tensor with a zero dimension is a valid, empty tensor. */
START_TEST(test_gguf_zero_dimension_tensor_is_empty) {
    char path[512];
    snprintf(path, sizeof path, "%s/empty-tensor.gguf", test_tmpdir());
    hearth_gguf_writer *w;
    ck_assert_int_eq(hearth_gguf_writer_create(path, &w), HEARTH_OK);
    int64_t ne_empty[2] = {32, 0};
    int64_t ne_full[1] = {4};
    ck_assert_int_eq(hearth_gguf_writer_add_tensor(w, "empty", HEARTH_TYPE_Q4_0, 2, ne_empty),
                     HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_add_tensor(w, "full", HEARTH_TYPE_F32, 1, ne_full),
                     HEARTH_OK);
    const float vals[4] = {1, 2, 3, 4};
    ck_assert_int_eq(hearth_gguf_writer_write(w, vals, sizeof vals), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_finish(w), HEARTH_OK);
    hearth_gguf_writer_free(w);
    hearth_gguf *g;
    ck_assert_int_eq(hearth_gguf_open(path, NULL, &g), HEARTH_OK);
    const hearth_gguf_tensor *t = hearth_gguf_find_tensor(g, "empty");
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(t->n_bytes, 0);
    ck_assert_int_eq(t->ne[1], 0);
    t = hearth_gguf_find_tensor(g, "full");
    ck_assert_mem_eq(t->data, vals, sizeof vals);
    hearth_gguf_close(g);
}
END_TEST

/* ==== Hand-built files: v2, nested arrays, buffers ======================= */

/* GGUF v2 has the v3 layout; written byte by byte from the format description. */
START_TEST(test_gguf_reads_version_2) {
    gl_buf b = {0};
    gl_header(&b, 2, 1, 2);
    gl_kv_str(&b, "general.architecture", "llama");
    gl_kv_u32(&b, "answer", 42);
    const uint64_t ne[2] = {4, 2};
    gl_tensor_info(&b, "w", 2, ne, HEARTH_TYPE_F32, 0);
    gl_pad(&b, 32);
    size_t data_at = b.n;
    for (int i = 0; i < 8; i++)
        gl_f32(&b, (float)i);
    hearth_gguf *g;
    ck_assert_int_eq(hearth_gguf_open_buffer_ref(b.p, b.n, &g), HEARTH_OK);
    ck_assert_uint_eq(hearth_gguf_version(g), 2);
    ck_assert_uint_eq(hearth_gguf_data_offset(g), data_at);
    ck_assert_uint_eq(hearth_gguf_data_size(g), 32);
    const char *arch;
    ck_assert_int_eq(hearth_gguf_get_str(g, "general.architecture", &arch), HEARTH_OK);
    ck_assert_str_eq(arch, "llama");
    uint32_t answer;
    ck_assert_int_eq(hearth_gguf_get_u32(g, "answer", &answer), HEARTH_OK);
    ck_assert_uint_eq(answer, 42);
    const hearth_gguf_tensor *t = hearth_gguf_find_tensor(g, "w");
    ck_assert_ptr_eq(t->data, b.p + data_at);
    ck_assert_uint_eq(t->n_bytes, 32);
    float x;
    memcpy(&x, (const uint8_t *)t->data + 7 * 4, 4);
    ck_assert(x == 7.0f);
    hearth_gguf_close(g);
    free(b.p);
}
END_TEST

/* Nested arrays are read (never written): [[1, 2], [], [["a"]]]-like shapes. */
START_TEST(test_gguf_reads_nested_arrays) {
    gl_buf b = {0};
    gl_header(&b, 3, 0, 1);
    gl_str(&b, "nested");
    gl_u32(&b, HEARTH_GGUF_ARRAY);
    gl_u32(&b, HEARTH_GGUF_ARRAY); /* outer: 3 arrays */
    gl_u64(&b, 3);
    gl_u32(&b, HEARTH_GGUF_UINT16); /* [0]: [1, 2] */
    gl_u64(&b, 2);
    gl_u16(&b, 1);
    gl_u16(&b, 2);
    gl_u32(&b, HEARTH_GGUF_INT8); /* [1]: [] */
    gl_u64(&b, 0);
    gl_u32(&b, HEARTH_GGUF_STRING); /* [2]: ["ab", ""] */
    gl_u64(&b, 2);
    gl_str(&b, "ab");
    gl_str(&b, "");
    hearth_gguf *g;
    ck_assert_int_eq(hearth_gguf_open_buffer_ref(b.p, b.n, &g), HEARTH_OK);
    hearth_gguf_value v, e, x;
    ck_assert_int_eq(hearth_gguf_get_array(g, "nested", &v), HEARTH_OK);
    ck_assert_int_eq(v.v.arr.elem_type, HEARTH_GGUF_ARRAY);
    ck_assert_uint_eq(v.v.arr.count, 3);
    ck_assert_int_eq(hearth_gguf_array_get(&v, 0, &e), HEARTH_OK);
    ck_assert_int_eq(e.type, HEARTH_GGUF_ARRAY);
    ck_assert_int_eq(e.v.arr.elem_type, HEARTH_GGUF_UINT16);
    ck_assert_int_eq(hearth_gguf_array_get(&e, 1, &x), HEARTH_OK);
    ck_assert_uint_eq(x.v.u64, 2);
    ck_assert_int_eq(hearth_gguf_array_get(&v, 1, &e), HEARTH_OK);
    ck_assert_uint_eq(e.v.arr.count, 0);
    ck_assert_int_eq(hearth_gguf_array_get(&v, 2, &e), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_array_get(&e, 0, &x), HEARTH_OK);
    ck_assert_uint_eq(x.v.s.len, 2);
    ck_assert_mem_eq(x.v.s.str, "ab", 2);
    /* A nested array cannot be copied by the writer. */
    char path[512];
    snprintf(path, sizeof path, "%s/nested-copy.gguf", test_tmpdir());
    hearth_gguf_writer *w;
    ck_assert_int_eq(hearth_gguf_writer_create(path, &w), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_set_value(w, "nested", &v), HEARTH_ERR_UNSUPPORTED);
    hearth_gguf_writer_free(w);
    ck_assert_int_ne(access(path, F_OK), 0);
    hearth_gguf_close(g);
    free(b.p);
}
END_TEST

/* A vocab-only file may end right after its metadata (no padding, no data). */
START_TEST(test_gguf_no_tensors_no_padding) {
    gl_buf b = {0};
    gl_header(&b, 3, 0, 1);
    gl_kv_str(&b, "k", "v");
    hearth_gguf *g;
    ck_assert_int_eq(hearth_gguf_open_buffer_ref(b.p, b.n, &g), HEARTH_OK);
    ck_assert_uint_eq(hearth_gguf_data_size(g), 0);
    ck_assert_int_eq(hearth_gguf_n_tensors(g), 0);
    hearth_gguf_close(g);
    free(b.p);
}
END_TEST

/* Thousands of keys and tensors in scrambled order: every lookup finds its
 * own entry, and one repeated name anywhere is caught and named. */
START_TEST(test_gguf_many_names_lookup_and_duplicates) {
    enum { N = 3000 };
    for (int with_dup = 0; with_dup < 2; with_dup++) {
        gl_buf b = {0};
        gl_header(&b, 3, N, N);
        char name[32];
        for (int i = 0; i < N; i++) {
            int k = (i * 1237) % N; /* 1237 is coprime with 3000: a permutation */
            snprintf(name, sizeof name, "key.%d", with_dup && i == N - 1 ? 1237 % N : k);
            gl_kv_u32(&b, name, (uint32_t)k);
        }
        for (int i = 0; i < N; i++) {
            uint64_t ne[1] = {0}; /* empty tensors: no data needed */
            snprintf(name, sizeof name, "t.%d", (i * 7) % N);
            gl_tensor_info(&b, name, 1, ne, HEARTH_TYPE_F32, 0);
        }
        hearth_gguf *g;
        hearth_status st = hearth_gguf_open_buffer_ref(b.p, b.n, &g);
        if (with_dup) {
            ck_assert_int_eq(st, HEARTH_ERR_FORMAT);
            ck_assert_ptr_nonnull(strstr(hearth_last_error(), "key 'key.1237' appears twice"));
            free(b.p);
            continue;
        }
        ck_assert_int_eq(st, HEARTH_OK);
        for (int k = 0; k < N; k++) {
            uint32_t v;
            snprintf(name, sizeof name, "key.%d", k);
            ck_assert_int_eq(hearth_gguf_get_u32(g, name, &v), HEARTH_OK);
            ck_assert_uint_eq(v, (uint32_t)k);
            ck_assert_str_eq(hearth_gguf_key(g, hearth_gguf_find_key(g, name)), name);
            snprintf(name, sizeof name, "t.%d", k);
            const hearth_gguf_tensor *t = hearth_gguf_find_tensor(g, name);
            ck_assert_ptr_nonnull(t);
            ck_assert_str_eq(t->name, name);
        }
        ck_assert_int_eq(hearth_gguf_find_key(g, "key.3000"), -1);
        ck_assert_int_eq(hearth_gguf_find_key(g, ""), -1);
        ck_assert_ptr_null(hearth_gguf_find_tensor(g, "t.-1"));
        hearth_gguf_close(g);
        free(b.p);
    }
}
END_TEST

/* ==== Getters ============================================================ */

START_TEST(test_gguf_getters_check_type_and_range) {
    gl_buf b = {0};
    gl_header(&b, 3, 0, 6);
    gl_kv_u32(&b, "u32", 7);
    gl_str(&b, "neg");
    gl_u32(&b, HEARTH_GGUF_INT8);
    gl_u8(&b, 0xff); /* -1 */
    gl_str(&b, "big");
    gl_u32(&b, HEARTH_GGUF_UINT64);
    gl_u64(&b, 1ull << 40);
    gl_kv_str(&b, "s", "text");
    gl_str(&b, "f64");
    gl_u32(&b, HEARTH_GGUF_FLOAT64);
    gl_f64(&b, 2.5);
    gl_str(&b, "huge");
    gl_u32(&b, HEARTH_GGUF_UINT64);
    gl_u64(&b, UINT64_MAX);
    hearth_gguf *g;
    ck_assert_int_eq(hearth_gguf_open_buffer_ref(b.p, b.n, &g), HEARTH_OK);
    uint32_t u32;
    uint64_t u64;
    int64_t i64;
    float f;
    bool bl;
    const char *s;
    hearth_gguf_value v;
    ck_assert_int_eq(hearth_gguf_get_u64(g, "u32", &u64), HEARTH_OK);
    ck_assert_uint_eq(u64, 7);
    ck_assert_int_eq(hearth_gguf_get_i64(g, "neg", &i64), HEARTH_OK);
    ck_assert_int_eq(i64, -1);
    ck_assert_int_eq(hearth_gguf_get_u32(g, "neg", &u32), HEARTH_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(hearth_last_error(), "neg"));
    ck_assert_int_eq(hearth_gguf_get_u32(g, "big", &u32), HEARTH_ERR_INVALID_ARG);
    ck_assert_int_eq(hearth_gguf_get_i64(g, "big", &i64), HEARTH_OK);
    ck_assert_int_eq(i64, 1ll << 40);
    ck_assert_int_eq(hearth_gguf_get_i64(g, "huge", &i64), HEARTH_ERR_INVALID_ARG);
    ck_assert_int_eq(hearth_gguf_get_u32(g, "s", &u32), HEARTH_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(hearth_last_error(), "'s'"));
    ck_assert_int_eq(hearth_gguf_get_f32(g, "f64", &f), HEARTH_OK);
    ck_assert(f == 2.5f);
    ck_assert_int_eq(hearth_gguf_get_bool(g, "u32", &bl), HEARTH_ERR_INVALID_ARG);
    ck_assert_int_eq(hearth_gguf_get_str(g, "u32", &s), HEARTH_ERR_INVALID_ARG);
    ck_assert_int_eq(hearth_gguf_get_array(g, "s", &v), HEARTH_ERR_INVALID_ARG);
    ck_assert_int_eq(hearth_gguf_get_str(g, "absent.key", &s), HEARTH_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(hearth_last_error(), "absent.key"));
    ck_assert_int_eq(hearth_gguf_find_key(g, "absent.key"), -1);
    ck_assert_ptr_null(hearth_gguf_key(g, 6));
    ck_assert_ptr_null(hearth_gguf_key(g, -1));
    ck_assert_int_eq(hearth_gguf_value_at(g, 6, &v), HEARTH_ERR_INVALID_ARG);
    ck_assert_int_eq(hearth_gguf_array_get(&v, 0, &v), HEARTH_ERR_INVALID_ARG);
    hearth_gguf_close(g);
    free(b.p);
}
END_TEST

START_TEST(test_gguf_type_names) {
    ck_assert_str_eq(hearth_type_name(12), "Q4_K");
    ck_assert_str_eq(hearth_type_name(4), "Q4_2");
    ck_assert_str_eq(hearth_type_name(39), "MXFP4");
    ck_assert_str_eq(hearth_type_name(40), "unknown");
    ck_assert_str_eq(hearth_type_name(UINT32_MAX), "unknown");
    ck_assert_uint_eq(hearth_type_block_size(39), 32);
    ck_assert_uint_eq(hearth_type_block_bytes(39), 17);
    ck_assert_uint_eq(hearth_type_block_size(4), 0);
    ck_assert_uint_eq(hearth_type_block_bytes(1000), 0);
    uint32_t id = 99;
    int n_valid = 0;
    for (uint32_t t = 0; t < 64; t++) {
        if (hearth_type_block_size(t) == 0)
            continue;
        n_valid++;
        ck_assert_int_eq(hearth_type_from_name(hearth_type_name(t), &id), HEARTH_OK);
        ck_assert_uint_eq(id, t);
    }
    ck_assert_int_eq(n_valid, 32);
    ck_assert_int_eq(hearth_type_from_name("q8_0", &id), HEARTH_OK);
    ck_assert_uint_eq(id, 8);
    ck_assert_int_eq(hearth_type_from_name("Q4_2", &id), HEARTH_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(hearth_last_error(), "removed"));
    ck_assert_int_eq(hearth_type_from_name("Q9_9", &id), HEARTH_ERR_INVALID_ARG);
}
END_TEST

/* ==== Writer misuse ====================================================== */

static bool exists(const char *path) { return access(path, F_OK) == 0; }

static void check_misuse(int i) {
    char path[512];
    snprintf(path, sizeof path, "%s/misuse-%d.gguf", test_tmpdir(), i);
    hearth_gguf_writer *w;
    ck_assert_int_eq(hearth_gguf_writer_create(path, &w), HEARTH_OK);
    int64_t ne[1] = {32};
    ck_assert_int_eq(hearth_gguf_writer_set_u32(w, "k", 1), HEARTH_OK);
    ck_assert_int_eq(hearth_gguf_writer_add_tensor(w, "t", HEARTH_TYPE_Q8_0, 1, ne), HEARTH_OK);
    hearth_status want = HEARTH_ERR_INVALID_ARG;
    uint8_t block[40] = {0};
    int64_t bad_ne[1] = {33};
    switch (i) {
    case 0: ck_assert_int_eq(hearth_gguf_writer_set_u8(w, "k", 1), want); break;
    case 1: ck_assert_int_eq(hearth_gguf_writer_add_tensor(w, "t", 0, 1, ne), want); break;
    case 2: ck_assert_int_eq(hearth_gguf_writer_add_tensor(w, "u", 4, 1, ne), want); break;
    case 3: ck_assert_int_eq(hearth_gguf_writer_add_tensor(w, "u", 2, 1, bad_ne), want); break;
    case 4: ck_assert_int_eq(hearth_gguf_writer_add_tensor(w, "u", 0, 5, ne), want); break;
    case 5: ck_assert_int_eq(hearth_gguf_writer_write(w, block, 35), want); break;
    case 6: /* data missing at finish */
        ck_assert_int_eq(hearth_gguf_writer_write(w, block, 20), HEARTH_OK);
        ck_assert_int_eq(hearth_gguf_writer_finish(w), want);
        break;
    case 7: ck_assert_int_eq(hearth_gguf_writer_set_u32(w, "general.alignment", 24), want); break;
    case 8: ck_assert_int_eq(hearth_gguf_writer_set_u64(w, "general.alignment", 64), want); break;
    case 9: /* metadata after data */
        ck_assert_int_eq(hearth_gguf_writer_write(w, block, 1), HEARTH_OK);
        ck_assert_int_eq(hearth_gguf_writer_set_u8(w, "late", 1), want);
        break;
    case 11: { /* 2^61 F64 values: 2^64 bytes would wrap to 0 */
        int64_t wrap_ne[1] = {INT64_C(1) << 61};
        ck_assert_int_eq(hearth_gguf_writer_add_tensor(w, "u", HEARTH_TYPE_F64, 1, wrap_ne), want);
        break;
    }
    case 10: /* freed without finish: no file left behind, and no error */
        hearth_gguf_writer_free(w);
        ck_assert(!exists(path));
        return;
    }
    ck_assert_str_ne(hearth_last_error(), "");
    /* The writer stays failed: even a correct call now repeats the failure. */
    ck_assert_int_eq(hearth_gguf_writer_set_u8(w, "another", 1), want);
    ck_assert_int_eq(hearth_gguf_writer_finish(w), want);
    hearth_gguf_writer_free(w);
    ck_assert(!exists(path));
}

START_TEST(test_gguf_writer_rejects_misuse_and_deletes_partial_file) {
    for (int i = 0; i < 12; i++)
        check_misuse(i);
}
END_TEST

START_TEST(test_gguf_writer_create_fails_on_bad_path) {
    hearth_gguf_writer *w = (hearth_gguf_writer *)1;
    ck_assert_int_eq(hearth_gguf_writer_create("/nonexistent-dir/x.gguf", &w), HEARTH_ERR_IO);
    ck_assert_ptr_null(w);
    ck_assert_ptr_nonnull(strstr(hearth_last_error(), "/nonexistent-dir/x.gguf"));
}
END_TEST

/* ==== Real vocab files from ../shared ==================================== */

static const struct {
    const char *file;
    uint64_t n_vocab;
} vocabs[] = {
    {"ggml-vocab-llama-spm.gguf", 32000},      {"ggml-vocab-phi-3.gguf", 32064},
    {"ggml-vocab-baichuan.gguf", 64000},       {"ggml-vocab-llama-bpe.gguf", 128256},
    {"ggml-vocab-qwen2.gguf", 151669},         {"ggml-vocab-gpt-2.gguf", 50257},
    {"ggml-vocab-deepseek-coder.gguf", 32256}, {"ggml-vocab-deepseek-llm.gguf", 102400},
    {"ggml-vocab-falcon.gguf", 65024},         {"ggml-vocab-mpt.gguf", 50432},
    {"ggml-vocab-refact.gguf", 49216},         {"ggml-vocab-starcoder.gguf", 49152},
    {"ggml-vocab-gpt-neox.gguf", 50432},       {"ggml-vocab-bert-bge.gguf", 30522},
};

static void check_vocab(int i) {
    char rel[128], path[1024];
    snprintf(rel, sizeof rel, "vocab/%s", vocabs[i].file);
    if (!test_shared_path(rel, path, sizeof path, "GGUF vocab test"))
        return;
    hearth_gguf *g;
    ck_assert_msg(hearth_gguf_open(path, NULL, &g) == HEARTH_OK, "%s: %s", path,
                  hearth_last_error());
    hearth_gguf_value tokens, last;
    ck_assert_int_eq(hearth_gguf_get_array(g, "tokenizer.ggml.tokens", &tokens), HEARTH_OK);
    ck_assert_int_eq(tokens.v.arr.elem_type, HEARTH_GGUF_STRING);
    ck_assert_msg(tokens.v.arr.count == vocabs[i].n_vocab, "%s: %" PRIu64 " tokens, expected %"
                  PRIu64, path, tokens.v.arr.count, vocabs[i].n_vocab);
    ck_assert_int_eq(hearth_gguf_array_get(&tokens, tokens.v.arr.count - 1, &last), HEARTH_OK);
    ck_assert_int_eq(last.type, HEARTH_GGUF_STRING);
    const char *model;
    ck_assert_int_eq(hearth_gguf_get_str(g, "tokenizer.ggml.model", &model), HEARTH_OK);
    ck_assert_uint_gt(strlen(model), 0);
    hearth_gguf_close(g);
}

START_TEST(test_gguf_opens_every_shared_vocab) {
    for (int i = 0; i < (int)(sizeof vocabs / sizeof vocabs[0]); i++)
        check_vocab(i);
}
END_TEST

Suite *gguf_suite(void);
Suite *gguf_suite(void) {
    Suite *s = suite_create("gguf");
    TCase *tc = tcase_create("roundtrip");
    tcase_add_test(tc, test_gguf_roundtrip_every_value_type);
    tcase_add_test(tc, test_gguf_set_value_copies_every_type);
    tcase_add_loop_test(tc, test_gguf_roundtrip_every_tensor_type, 0, 2);
    tcase_add_test(tc, test_gguf_zero_dimension_tensor_is_empty);
    suite_add_tcase(s, tc);
    tc = tcase_create("handmade");
    tcase_add_test(tc, test_gguf_reads_version_2);
    tcase_add_test(tc, test_gguf_reads_nested_arrays);
    tcase_add_test(tc, test_gguf_no_tensors_no_padding);
    tcase_add_test(tc, test_gguf_many_names_lookup_and_duplicates);
    tcase_add_test(tc, test_gguf_getters_check_type_and_range);
    tcase_add_test(tc, test_gguf_type_names);
    suite_add_tcase(s, tc);
    tc = tcase_create("writer");
    tcase_add_test(tc, test_gguf_writer_rejects_misuse_and_deletes_partial_file);
    tcase_add_test(tc, test_gguf_writer_create_fails_on_bad_path);
    suite_add_tcase(s, tc);
    tc = tcase_create("vocab");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_gguf_opens_every_shared_vocab);
    suite_add_tcase(s, tc);
    return s;
}
