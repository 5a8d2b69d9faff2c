/* check_quantize.c - hearth_quantize_file() and hearth-quantize end to end.
 *
 * Writes small llama-shaped F32/F16/BF16 models with the GGUF writer, quantizes
 * them with every preset and reads the result back: type mix against what
 * llama-quantize wrote for the same shape (../shared/golden/README.md), every
 * converted row against the reference quantizer of its type, dequantized values
 * against the source (per-type RMSE bound), metadata copied, general.file_type
 * set; bad inputs give clear errors and leave no file. With ../shared, our
 * output for micro-f32.gguf is compared with llama-quantize's own files.
 */
#include <check.h>
#include <math.h>     /* sqrt */
#include <stdio.h>    /* snprintf, fopen */
#include <stdlib.h>   /* malloc, system */
#include <string.h>   /* strcmp, memcmp */
#include <sys/wait.h> /* WEXITSTATUS */
#include <unistd.h>   /* access */

#include "hearth.h"
#include "kernels/kernels.h"
#include "tests/util/testutil.h"

/* ==== Synthetic source models ============================================= */

typedef struct model_shape {
    int64_t n_layer, dim, n_head, n_head_kv, ffn, vocab;
    bool tied;
    uint32_t type; /* F32, F16 or BF16 matrices; norms are always F32 */
} model_shape;

/* The golden micro models' shape (../shared/golden/README.md). */
static const model_shape micro = {2, 256, 4, 2, 512, 512, false, HEARTH_TYPE_F32};

static void ok(hearth_status st, const char *what) {
    ck_assert_msg(st == HEARTH_OK, "%s: %s (%s)", what, hearth_status_str(st),
                  hearth_last_error());
}

static void put_tensor(hearth_gguf_writer *w, uint32_t type, int64_t ne0, int64_t ne1,
                       bool unit, test_rng *rng) {
    int64_t n = ne0 * ne1;
    size_t elem = type == HEARTH_TYPE_F32 ? 4 : 2;
    unsigned char *buf = malloc((size_t)n * elem);
    ck_assert_ptr_nonnull(buf);
    for (int64_t i = 0; i < n; i++) {
        float v = unit ? 1.0f : 0.02f * test_rng_normal(rng);
        if (type == HEARTH_TYPE_F32) {
            memcpy(buf + 4 * i, &v, 4);
        } else {
            uint16_t h = type == HEARTH_TYPE_F16 ? hearth_f32_to_f16(v) : hearth_f32_to_bf16(v);
            memcpy(buf + 2 * i, &h, 2);
        }
    }
    ok(hearth_gguf_writer_write(w, buf, (size_t)n * elem), "write tensor");
    free(buf);
}

/* One tensor of the model: name, whether it is a norm, and its shape. */
typedef struct spec {
    char name[48];
    bool norm;
    int64_t ne0, ne1;
} spec;

static int model_specs(const model_shape *s, spec *out) {
    int n = 0;
    const int64_t kv = s->dim / s->n_head * s->n_head_kv;
#define SPEC(nm, is_norm, a, b)                                                                    \
    do {                                                                                           \
        snprintf(out[n].name, sizeof out[n].name, "%s", nm);                                       \
        out[n].norm = is_norm;                                                                     \
        out[n].ne0 = a;                                                                            \
        out[n].ne1 = b;                                                                            \
        n++;                                                                                       \
    } while (0)
    SPEC("token_embd.weight", false, s->dim, s->vocab);
    for (int64_t l = 0; l < s->n_layer; l++) {
        static const char *const suffix[] = {"attn_norm", "attn_q",  "attn_k", "attn_v",
                                             "attn_output", "ffn_norm", "ffn_gate", "ffn_up",
                                             "ffn_down"};
        const int64_t ne[9][2] = {{s->dim, 1},   {s->dim, s->dim}, {s->dim, kv},
                                  {s->dim, kv},  {s->dim, s->dim}, {s->dim, 1},
                                  {s->dim, s->ffn}, {s->dim, s->ffn}, {s->ffn, s->dim}};
        for (int k = 0; k < 9; k++) {
            char name[48];
            snprintf(name, sizeof name, "blk.%lld.%s.weight", (long long)l, suffix[k]);
            SPEC(name, ne[k][1] == 1, ne[k][0], ne[k][1]);
        }
    }
    SPEC("output_norm.weight", true, s->dim, 1);
    if (!s->tied)
        SPEC("output.weight", false, s->dim, s->vocab);
#undef SPEC
    return n;
}

/* Writes a llama-shaped model with seeded N(0, 0.02) matrices and unit norms.
 * Its metadata holds one value of every GGUF type, arrays included, plus keys
 * llama-quantize replaces (general.file_type) or drops (split.count). */
static void write_model(const char *path, const model_shape *s, uint64_t seed) {
    hearth_gguf_writer *w;
    ok(hearth_gguf_writer_create(path, &w), "create source");
    ok(hearth_gguf_writer_set_str(w, "general.architecture", "llama", 5), "kv");
    ok(hearth_gguf_writer_set_str(w, "general.name", "synthetic", 9), "kv");
    ok(hearth_gguf_writer_set_u32(w, "general.file_type", 0), "kv");
    ok(hearth_gguf_writer_set_u32(w, "llama.context_length", 256), "kv");
    ok(hearth_gguf_writer_set_u32(w, "llama.embedding_length", (uint32_t)s->dim), "kv");
    ok(hearth_gguf_writer_set_u32(w, "llama.block_count", (uint32_t)s->n_layer), "kv");
    ok(hearth_gguf_writer_set_u32(w, "llama.feed_forward_length", (uint32_t)s->ffn), "kv");
    ok(hearth_gguf_writer_set_u32(w, "llama.attention.head_count", (uint32_t)s->n_head), "kv");
    ok(hearth_gguf_writer_set_u32(w, "llama.attention.head_count_kv", (uint32_t)s->n_head_kv),
       "kv");
    ok(hearth_gguf_writer_set_u32(w, "llama.rope.dimension_count", (uint32_t)(s->dim / s->n_head)),
       "kv");
    ok(hearth_gguf_writer_set_f32(w, "llama.rope.freq_base", 10000.0f), "kv");
    ok(hearth_gguf_writer_set_f32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f), "kv");
    ok(hearth_gguf_writer_set_u16(w, "split.count", 1), "kv");
    ok(hearth_gguf_writer_set_u8(w, "test.u8", 200), "kv");
    ok(hearth_gguf_writer_set_i8(w, "test.i8", -100), "kv");
    ok(hearth_gguf_writer_set_i16(w, "test.i16", -30000), "kv");
    ok(hearth_gguf_writer_set_i32(w, "test.i32", -7), "kv");
    ok(hearth_gguf_writer_set_u64(w, "test.u64", UINT64_C(1) << 40), "kv");
    ok(hearth_gguf_writer_set_i64(w, "test.i64", -(INT64_C(1) << 40)), "kv");
    ok(hearth_gguf_writer_set_f64(w, "test.f64", 0.125), "kv");
    ok(hearth_gguf_writer_set_bool(w, "test.bool", true), "kv");
    static const char *const toks[] = {"<unk>", "<s>", "</s>", "\xe2\x96\x81hello"};
    ok(hearth_gguf_writer_set_str_array(w, "tokenizer.ggml.tokens", toks, NULL, 4), "kv");
    const float scores[4] = {0.0f, -1.0f, -2.5f, 3.25f};
    ok(hearth_gguf_writer_set_array(w, "tokenizer.ggml.scores", HEARTH_GGUF_FLOAT32, scores, 4),
       "kv");

    static spec specs[1024];
    int n = model_specs(s, specs);
    for (int i = 0; i < n; i++) {
        int64_t ne[2] = {specs[i].ne0, specs[i].ne1};
        uint32_t type = specs[i].norm ? HEARTH_TYPE_F32 : s->type;
        ok(hearth_gguf_writer_add_tensor(w, specs[i].name, type, specs[i].norm ? 1 : 2, ne),
           "add tensor");
    }
    test_rng rng;
    test_rng_seed(&rng, seed);
    for (int i = 0; i < n; i++)
        put_tensor(w, specs[i].norm ? HEARTH_TYPE_F32 : s->type, specs[i].ne0, specs[i].ne1,
                   specs[i].norm, &rng);
    ok(hearth_gguf_writer_finish(w), "finish source");
    hearth_gguf_writer_free(w);
}

static const char *tmp_path(char *buf, size_t size, const char *name) {
    snprintf(buf, size, "%s/%s", test_tmpdir(), name);
    return buf;
}

/* The F32 micro source, written once per test process. */
static const char *micro_source(void) {
    static char path[512];
    if (!path[0]) {
        tmp_path(path, sizeof path, "micro-f32.gguf");
        write_model(path, &micro, 42);
    }
    return path;
}

static hearth_status quantize(const char *in, const char *out, const char *preset) {
    hearth_quantize_params p = hearth_quantize_default_params();
    p.n_threads = 2;
    return hearth_quantize_file(in, out, preset, &p);
}

/* ==== Comparing files ===================================================== */

static uint32_t type_id(const char *name) {
    uint32_t t;
    ok(hearth_type_from_name(name, &t), name);
    return t;
}

/* "5 F32, 13 Q4_K, 3 Q6_K" must be exactly the file's type counts. */
static void expect_type_mix(const hearth_gguf *g, const char *mix, const char *what) {
    int64_t count[HEARTH_TYPE_COUNT] = {0};
    for (int64_t i = 0; i < hearth_gguf_n_tensors(g); i++)
        count[hearth_gguf_tensor_at(g, i)->type]++;
    char buf[128], *save = NULL;
    snprintf(buf, sizeof buf, "%s", mix);
    int64_t covered = 0;
    for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        long long n;
        char type[16];
        ck_assert_int_eq(sscanf(item, " %lld %15s", &n, type), 2);
        ck_assert_msg(count[type_id(type)] == n, "%s: %lld %s, expected %lld", what,
                      (long long)count[type_id(type)], type, n);
        covered += n;
    }
    ck_assert_msg(covered == hearth_gguf_n_tensors(g), "%s: %lld tensors, mix lists %lld", what,
                  (long long)hearth_gguf_n_tensors(g), (long long)covered);
}

static bool values_equal(const hearth_gguf_value *a, const hearth_gguf_value *b) {
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case HEARTH_GGUF_STRING:
        return a->v.s.len == b->v.s.len && memcmp(a->v.s.str, b->v.s.str, a->v.s.len) == 0;
    case HEARTH_GGUF_ARRAY:
        if (a->v.arr.elem_type != b->v.arr.elem_type || a->v.arr.count != b->v.arr.count)
            return false;
        for (uint64_t i = 0; i < a->v.arr.count; i++) {
            hearth_gguf_value x, y;
            if (hearth_gguf_array_get(a, i, &x) != HEARTH_OK ||
                hearth_gguf_array_get(b, i, &y) != HEARTH_OK || !values_equal(&x, &y))
                return false;
        }
        return true;
    case HEARTH_GGUF_FLOAT32:
    case HEARTH_GGUF_FLOAT64:
        return a->v.f64 == b->v.f64;
    case HEARTH_GGUF_INT8:
    case HEARTH_GGUF_INT16:
    case HEARTH_GGUF_INT32:
    case HEARTH_GGUF_INT64:
        return a->v.i64 == b->v.i64;
    default:
        return a->v.u64 == b->v.u64;
    }
}

static bool dropped_key(const char *key) {
    return !strcmp(key, "general.file_type") || !strcmp(key, "general.quantization_version") ||
           !strncmp(key, "split.", 6);
}

/* Every source key but the rewritten and split ones, in source order, then
 * general.quantization_version = 2 and general.file_type = ftype. */
static void expect_metadata(const hearth_gguf *src, const hearth_gguf *out, uint32_t ftype) {
    int64_t j = 0;
    for (int64_t i = 0; i < hearth_gguf_n_kv(src); i++) {
        const char *key = hearth_gguf_key(src, i);
        if (dropped_key(key)) {
            ck_assert_msg(strcmp(key, "general.file_type") == 0 ||
                              hearth_gguf_find_key(out, key) < 0,
                          "%s should be dropped", key);
            continue;
        }
        ck_assert_str_eq(hearth_gguf_key(out, j), key);
        hearth_gguf_value a, b;
        ok(hearth_gguf_value_at(src, i, &a), key);
        ok(hearth_gguf_value_at(out, j, &b), key);
        ck_assert_msg(values_equal(&a, &b), "metadata %s differs", key);
        j++;
    }
    ck_assert_int_eq(hearth_gguf_n_kv(out), j + 2);
    ck_assert_str_eq(hearth_gguf_key(out, j), "general.quantization_version");
    ck_assert_str_eq(hearth_gguf_key(out, j + 1), "general.file_type");
    uint32_t v;
    ok(hearth_gguf_get_u32(out, "general.quantization_version", &v), "quantization_version");
    ck_assert_uint_eq(v, 2);
    ok(hearth_gguf_get_u32(out, "general.file_type", &v), "file_type");
    ck_assert_uint_eq(v, ftype);
}

/* relrms of dequantized output vs source that a type must stay under on
 * N(0, s) data. About 1.5x what these quantizers reach (see README). */
static double rmse_bound(uint32_t type) {
    switch (type) {
    case HEARTH_TYPE_F32: return 0.0;
    case HEARTH_TYPE_F16: return 1e-3;
    case HEARTH_TYPE_BF16: return 5e-3;
    case HEARTH_TYPE_Q8_0: return 0.01;
    case HEARTH_TYPE_Q6_K: return 0.03;
    case HEARTH_TYPE_Q5_0:
    case HEARTH_TYPE_Q5_1:
    case HEARTH_TYPE_Q5_K: return 0.06;
    case HEARTH_TYPE_Q4_0:
    case HEARTH_TYPE_Q4_1:
    case HEARTH_TYPE_Q4_K:
    case HEARTH_TYPE_IQ4_NL:
    case HEARTH_TYPE_IQ4_XS: return 0.12;
    case HEARTH_TYPE_Q3_K: return 0.2;
    case HEARTH_TYPE_Q2_K: return 0.4;
    default: return -1.0;
    }
}

/* Same tensors (names, shapes) as the source, in the plan's order; each one
 * either copied byte for byte or, when converted, equal row by row to the
 * reference quantizer of its type applied to the source row, and within the
 * type's RMSE bound. `exact` also re-runs the reference quantizer. */
static void expect_tensors(const hearth_gguf *src, const hearth_gguf *out, bool exact) {
    const hearth_kernels *k = &hearth_kernels_ref;
    ck_assert_int_eq(hearth_gguf_n_tensors(out), hearth_gguf_n_tensors(src));
    for (int64_t i = 0; i < hearth_gguf_n_tensors(out); i++) {
        const hearth_gguf_tensor *o = hearth_gguf_tensor_at(out, i);
        const hearth_gguf_tensor *s = hearth_gguf_find_tensor(src, o->name);
        ck_assert_msg(s != NULL, "%s not in source", o->name);
        ck_assert_uint_eq(o->n_dims, s->n_dims);
        ck_assert_mem_eq(o->ne, s->ne, sizeof o->ne);
        if (o->type == s->type) {
            ck_assert_uint_eq(o->n_bytes, s->n_bytes);
            ck_assert_msg(memcmp(o->data, s->data, o->n_bytes) == 0, "%s not copied", o->name);
            continue;
        }
        const int64_t ne0 = s->ne[0], rows = s->ne[1] * s->ne[2] * s->ne[3];
        const size_t src_row = (size_t)(s->n_bytes / (uint64_t)rows);
        const size_t out_row = (size_t)(o->n_bytes / (uint64_t)rows);
        float *a = malloc((size_t)ne0 * sizeof *a), *b = malloc((size_t)ne0 * sizeof *b);
        unsigned char *q = malloc(out_row);
        double num = 0, den = 0;
        for (int64_t r = 0; r < rows; r++) {
            const unsigned char *srow = (const unsigned char *)s->data + (size_t)r * src_row;
            const unsigned char *orow = (const unsigned char *)o->data + (size_t)r * out_row;
            k->dequantize_row[s->type](srow, a, ne0);
            k->dequantize_row[o->type](orow, b, ne0);
            for (int64_t c = 0; c < ne0; c++) {
                num += ((double)a[c] - b[c]) * ((double)a[c] - b[c]);
                den += (double)a[c] * a[c];
            }
            if (exact) {
                k->quantize_row[o->type](a, q, ne0);
                ck_assert_msg(memcmp(q, orow, out_row) == 0, "%s row %lld differs from %s ref",
                              o->name, (long long)r, hearth_type_name(o->type));
            }
        }
        double rel = sqrt(num / den), bound = rmse_bound(o->type);
        ck_assert_msg(rel <= bound, "%s (%s): relrms %.4g > %.4g", o->name,
                      hearth_type_name(o->type), rel, bound);
        free(a);
        free(b);
        free(q);
    }
}

/* True when the reference table can produce every type of `mix`; otherwise
 * prints a SKIP note naming the missing quantizer (the K-quant slots arrive
 * with their own branch; once they are in the table nothing is skipped). */
static bool quantizers_present(const char *mix, const char *what) {
    char buf[128], *save = NULL;
    snprintf(buf, sizeof buf, "%s", mix);
    for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        long long n;
        char type[16];
        if (sscanf(item, " %lld %15s", &n, type) == 2 &&
            !hearth_kernels_ref.quantize_row[type_id(type)]) {
            fprintf(stderr, "SKIP %s: no %s quantizer in the kernel table\n", what, type);
            return false;
        }
    }
    return true;
}

/* ==== Presets on the golden micro shape =================================== */

/* The type mix llama-quantize wrote for this shape: ../shared/golden/README.md. */
static const struct {
    const char *preset, *mix;
    uint32_t ftype;
} golden_mix[] = {
    {"Q8_0", "5 F32, 16 Q8_0", 7},
    {"Q4_0", "5 F32, 15 Q4_0, 1 Q6_K", 2},
    {"Q4_1", "5 F32, 15 Q4_1, 1 Q6_K", 3},
    {"Q5_0", "5 F32, 15 Q5_0, 1 Q6_K", 8},
    {"Q5_1", "5 F32, 15 Q5_1, 1 Q6_K", 9},
    {"Q2_K", "5 F32, 9 Q2_K, 6 Q3_K, 1 Q6_K", 10},
    {"Q3_K_M", "5 F32, 9 Q3_K, 4 Q4_K, 2 Q5_K, 1 Q6_K", 12},
    {"Q4_K_M", "5 F32, 13 Q4_K, 3 Q6_K", 15},
    {"Q5_K_M", "5 F32, 13 Q5_K, 3 Q6_K", 17},
    {"Q6_K", "5 F32, 16 Q6_K", 18},
    {"IQ4_NL", "5 F32, 15 IQ4_NL, 1 Q6_K", 25},
    {"IQ4_XS", "5 F32, 15 IQ4_XS, 1 Q6_K", 30},
    {"F16", "16 F16, 5 F32", 1},
    {"BF16", "16 BF16, 5 F32", 32},
};
#define N_GOLDEN ((int)(sizeof golden_mix / sizeof golden_mix[0]))

/* Loop test: _i selects the preset. */
START_TEST(test_quantize_micro_preset_end_to_end) {
    const char *preset = golden_mix[_i].preset;
    if (!quantizers_present(golden_mix[_i].mix, preset))
        return;
    char out_path[512], name[64];
    snprintf(name, sizeof name, "micro-%s.gguf", preset);
    tmp_path(out_path, sizeof out_path, name);
    ok(quantize(micro_source(), out_path, preset), preset);

    hearth_gguf *src, *out;
    ok(hearth_gguf_open(micro_source(), NULL, &src), "open source");
    ok(hearth_gguf_open(out_path, NULL, &out), "open output");
    expect_type_mix(out, golden_mix[_i].mix, preset);
    expect_metadata(src, out, golden_mix[_i].ftype);
    /* Row-exact against the reference for a spread of types; RMSE for all. */
    bool exact = !strcmp(preset, "Q3_K_M") || !strcmp(preset, "IQ4_XS") ||
                 !strcmp(preset, "Q4_0") || !strcmp(preset, "BF16");
    expect_tensors(src, out, exact);
    /* llama-quantize's order: output, output_norm, token_embd, then blk.0 ... */
    ck_assert_str_eq(hearth_gguf_tensor_at(out, 0)->name, "output.weight");
    ck_assert_str_eq(hearth_gguf_tensor_at(out, 2)->name, "token_embd.weight");
    ck_assert_str_eq(hearth_gguf_tensor_at(out, 3)->name, "blk.0.attn_k.weight");
    hearth_gguf_close(out);
    hearth_gguf_close(src);
    unlink(out_path);
}
END_TEST

/* F16 and BF16 sources convert too, and tensors already in the target type
 * are copied byte for byte. */
START_TEST(test_quantize_half_precision_sources) {
    static const uint32_t types[2] = {HEARTH_TYPE_F16, HEARTH_TYPE_BF16};
    for (int t = 0; t < 2; t++) {
        model_shape s = micro;
        s.type = types[t];
        s.vocab = 256;
        char in[512], out[512];
        tmp_path(in, sizeof in, "half-src.gguf");
        tmp_path(out, sizeof out, "half-out.gguf");
        write_model(in, &s, 7);
        hearth_gguf *src, *dst;
        ok(hearth_gguf_open(in, NULL, &src), "open source");
        const char *presets[] = {"Q8_0", t == 0 ? "F16" : "BF16"};
        for (int p = 0; p < 2; p++) {
            ok(quantize(in, out, presets[p]), presets[p]);
            ok(hearth_gguf_open(out, NULL, &dst), "open output");
            expect_tensors(src, dst, true);
            hearth_gguf_close(dst);
        }
        hearth_gguf_close(src);
    }
}
END_TEST

/* dim 288 (not a multiple of 256) and ffn 172 (not even of 32): the K types
 * fall back (Q4_K -> Q5_0, Q6_K -> Q8_0), then F16; a tied token_embd is
 * stored as the output matrix (Q6_K -> Q8_0 here). */
START_TEST(test_quantize_fallbacks_in_file) {
    model_shape s = {2, 288, 4, 4, 172, 256, true, HEARTH_TYPE_F32};
    char in[512], out[512];
    tmp_path(in, sizeof in, "odd-src.gguf");
    tmp_path(out, sizeof out, "odd-out.gguf");
    write_model(in, &s, 9);
    ok(quantize(in, out, "Q4_K_M"), "Q4_K_M");
    hearth_gguf *src, *dst;
    ok(hearth_gguf_open(in, NULL, &src), "open source");
    ok(hearth_gguf_open(out, NULL, &dst), "open output");
    static const struct {
        const char *name, *type;
    } want[] = {
        {"token_embd.weight", "Q8_0"},    {"blk.0.attn_q.weight", "Q5_0"},
        {"blk.1.attn_v.weight", "Q8_0"},  {"blk.0.attn_v.weight", "Q5_0"},
        {"blk.0.ffn_down.weight", "F16"}, {"blk.1.ffn_down.weight", "F16"},
        {"blk.0.ffn_up.weight", "Q5_0"},  {"blk.0.ffn_norm.weight", "F32"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const hearth_gguf_tensor *t = hearth_gguf_find_tensor(dst, want[i].name);
        ck_assert_ptr_nonnull(t);
        ck_assert_msg(strcmp(hearth_type_name(t->type), want[i].type) == 0, "%s: %s, want %s",
                      want[i].name, hearth_type_name(t->type), want[i].type);
    }
    expect_tensors(src, dst, true);
    hearth_gguf_close(dst);
    hearth_gguf_close(src);
}
END_TEST

/* ==== Progress and errors ================================================= */

typedef struct log_record {
    int n_progress, n_partial;
    long long last_i, last_n;
    double last_pct;
} log_record;

/* INFO progress: one per tensor, i = 1, 2, ...; DEBUG progress: inside tensor
 * i = last_i + 1. The share done never decreases. */
static void record_log(void *user, hearth_log_level level, const char *msg) {
    log_record *r = user;
    long long i, n;
    double pct;
    if (sscanf(msg, "[%lld/%lld] %lf%%", &i, &n, &pct) != 3)
        return;
    ck_assert_int_eq(i, r->last_i + 1);
    ck_assert(pct >= r->last_pct);
    r->last_pct = pct;
    if (level == HEARTH_LOG_DEBUG) {
        r->n_partial++;
        ck_assert(pct < 100.0);
        return;
    }
    ck_assert_int_eq(level, HEARTH_LOG_INFO);
    r->n_progress++;
    r->last_i = i;
    r->last_n = n;
}

START_TEST(test_quantize_reports_progress_per_tensor) {
    char out[512];
    tmp_path(out, sizeof out, "progress.gguf");
    log_record rec = {0};
    hearth_quantize_params p = hearth_quantize_default_params();
    p.progress = true;
    p.log_fn = record_log;
    p.log_user = &rec;
    ok(hearth_quantize_file(micro_source(), out, "Q8_0", &p), "quantize");
    ck_assert_int_eq(rec.n_progress, 21);
    ck_assert_int_eq(rec.n_partial, 0); /* no tensor spans more than one chunk */
    ck_assert_int_eq(rec.last_i, 21);
    ck_assert_int_eq(rec.last_n, 21);
    ck_assert_double_eq_tol(rec.last_pct, 100.0, 1e-9);

    /* A 16 MiB token_embd (16384 x 256 F32) spans two 8 MiB chunks. */
    model_shape big = {1, 256, 4, 2, 512, 16384, false, HEARTH_TYPE_F32};
    char in[512];
    tmp_path(in, sizeof in, "big-vocab.gguf");
    write_model(in, &big, 5);
    rec = (log_record){0};
    ok(hearth_quantize_file(in, out, "Q8_0", &p), "quantize big");
    ck_assert_int_eq(rec.n_progress, 12);
    ck_assert_int_ge(rec.n_partial, 2); /* output.weight and token_embd */
}
END_TEST

static void expect_failure(const char *in, const char *out, const char *preset,
                           hearth_status want, const char *needle) {
    hearth_status st = quantize(in, out, preset);
    ck_assert_msg(st == want, "%s -> %s: %s, expected %s (%s)", in ? in : "NULL",
                  preset ? preset : "NULL", hearth_status_str(st), hearth_status_str(want),
                  hearth_last_error());
    ck_assert_msg(strstr(hearth_last_error(), needle), "error '%s' lacks '%s'",
                  hearth_last_error(), needle);
    if (out && in && strcmp(in, out) != 0)
        ck_assert_msg(access(out, F_OK) != 0, "%s left behind", out);
}

START_TEST(test_quantize_bad_inputs) {
    char out[512], q4[512], junk[512];
    tmp_path(out, sizeof out, "bad-out.gguf");
    tmp_path(q4, sizeof q4, "already-q8.gguf");
    tmp_path(junk, sizeof junk, "junk.gguf");
    unlink(out);

    expect_failure(micro_source(), out, "Q4_K_X", HEARTH_ERR_INVALID_ARG, "Q4_K_M");
    expect_failure(micro_source(), out, NULL, HEARTH_ERR_INVALID_ARG, "unknown");
    expect_failure(NULL, out, "Q4_0", HEARTH_ERR_INVALID_ARG, "NULL");
    expect_failure("/nonexistent/model.gguf", out, "Q4_0", HEARTH_ERR_IO, "nonexistent");

    FILE *f = fopen(junk, "wb");
    ck_assert_ptr_nonnull(f);
    fputs("this is not a GGUF file at all, just some text", f);
    fclose(f);
    expect_failure(junk, out, "Q4_0", HEARTH_ERR_FORMAT, "");

    /* Requantizing: the output of one run is not a valid input for another. */
    ok(quantize(micro_source(), q4, "Q8_0"), "Q8_0");
    expect_failure(q4, out, "Q4_0", HEARTH_ERR_UNSUPPORTED, "Q8_0");
    expect_failure(q4, out, "Q4_0", HEARTH_ERR_UNSUPPORTED, "output.weight");

    /* Writing over the input would destroy it while it is read. */
    size_t before = 0, after = 0;
    free(test_read_file(q4, &before));
    expect_failure(q4, q4, "Q8_0", HEARTH_ERR_INVALID_ARG, "input");
    free(test_read_file(q4, &after));
    ck_assert_uint_eq(before, after);

    expect_failure(micro_source(), "/nonexistent/dir/out.gguf", "Q8_0", HEARTH_ERR_IO, "");

    hearth_quantize_preset p;
    ck_assert_int_eq(hearth_quantize_preset_find("q5_k", &p), HEARTH_OK);
    ck_assert_str_eq(p.name, "Q5_K_M");
    ck_assert_uint_eq(p.file_type, 17);
    ck_assert_int_eq(hearth_quantize_preset_find("Q1_X", &p), HEARTH_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(hearth_last_error(), "IQ4_XS"));
    ck_assert(hearth_quantize_preset_at(0, &p));
    ck_assert_str_eq(p.name, "Q4_0");
    ck_assert(!hearth_quantize_preset_at(1000, &p));
}
END_TEST

/* ==== The program ========================================================= */

static int run(const char *args) {
    char bin[512], cmd[2048];
    test_bin("hearth-quantize", bin, sizeof bin);
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s/cli.out' 2>'%s/cli.err'", bin, args, test_tmpdir(),
             test_tmpdir());
    int rc = system(cmd);
    ck_assert_msg(WIFEXITED(rc), "%s did not exit", cmd);
    return WEXITSTATUS(rc);
}

static char *cli_output(const char *which) {
    char path[512];
    snprintf(path, sizeof path, "%s/cli.%s", test_tmpdir(), which);
    char *text = test_read_file(path, NULL);
    ck_assert_ptr_nonnull(text);
    return text;
}

START_TEST(test_quantize_cli_exit_codes) {
    char args[1600], out[512];
    tmp_path(out, sizeof out, "cli-out.gguf");

    ck_assert_int_eq(run("--help"), 0);
    char *text = cli_output("out");
    ck_assert_ptr_nonnull(strstr(text, "Q4_K_M"));
    free(text);
    ck_assert_int_eq(run(""), 2);
    snprintf(args, sizeof args, "'%s' '%s' Q9_Z", micro_source(), out);
    ck_assert_int_eq(run(args), 2);
    text = cli_output("err");
    ck_assert_ptr_nonnull(strstr(text, "Q9_Z"));
    free(text);
    snprintf(args, sizeof args, "'%s' '%s' Q4_0 zero", micro_source(), out);
    ck_assert_int_eq(run(args), 2);
    ck_assert_int_eq(run("--frobnicate a b Q4_0"), 2);
    snprintf(args, sizeof args, "/nonexistent/in.gguf '%s' Q4_0", out);
    ck_assert_int_eq(run(args), 1);
    text = cli_output("err");
    ck_assert_ptr_nonnull(strstr(text, "nonexistent"));
    free(text);

    snprintf(args, sizeof args, "'%s' '%s' q8_0 2", micro_source(), out);
    ck_assert_int_eq(run(args), 0);
    text = cli_output("err");
    ck_assert_msg(strstr(text, "5 F32, 16 Q8_0") && strstr(text, "general.file_type 7"), "%s",
                  text);
    free(text);
    text = cli_output("out");
    ck_assert_str_eq(text, ""); /* results are the file; stdout stays empty */
    free(text);
    snprintf(args, sizeof args, "-v -t 1 '%s' '%s' Q8_0", micro_source(), out);
    ck_assert_int_eq(run(args), 0);
    text = cli_output("err");
    ck_assert_ptr_nonnull(strstr(text, "[21/21] 100.0% blk.1.ffn_up.weight F32 -> Q8_0"));
    free(text);
}
END_TEST

/* ==== llama-quantize's own files ========================================== */

/* micro-f32.gguf is the source llama-quantize converted into the other golden
 * files: ours must have the same tensors in the same order with the same
 * types and metadata; tensors of the types whose quantizers are bit-identical
 * to llama.cpp's reference (Q4_0 ... Q8_0, F16, BF16) must have the same bytes. */
START_TEST(test_quantize_matches_llama_quantize_files) {
    char src_path[512], ref_path[512], out[512], rel[64];
    if (!test_shared_path("golden/micro-f32.gguf", src_path, sizeof src_path,
                          "llama-quantize comparison"))
        return;
    const char *preset = golden_mix[_i].preset;
    if (!quantizers_present(golden_mix[_i].mix, preset))
        return;
    snprintf(rel, sizeof rel, "golden/micro-%s.gguf", strcmp(preset, "F16") ? preset : "f16");
    if (!test_shared_path(rel, ref_path, sizeof ref_path, "llama-quantize comparison"))
        return;
    tmp_path(out, sizeof out, "vs-llama.gguf");
    ok(quantize(src_path, out, preset), preset);
    hearth_gguf *ours, *ref;
    ok(hearth_gguf_open(out, NULL, &ours), "open ours");
    ok(hearth_gguf_open(ref_path, NULL, &ref), "open llama-quantize's");

    /* micro-f16.gguf came from llama.cpp's converter, not llama-quantize:
     * same tensors and data, other key and tensor order. */
    bool from_converter = strcmp(preset, "F16") == 0;
    if (!from_converter)
        ck_assert_int_eq(hearth_gguf_n_kv(ours), hearth_gguf_n_kv(ref));
    for (int64_t i = 0; !from_converter && i < hearth_gguf_n_kv(ref); i++) {
        const char *key = hearth_gguf_key(ref, i);
        ck_assert_str_eq(hearth_gguf_key(ours, i), key);
        hearth_gguf_value a, b;
        ok(hearth_gguf_value_at(ours, i, &a), key);
        ok(hearth_gguf_value_at(ref, i, &b), key);
        ck_assert_msg(values_equal(&a, &b), "%s: metadata %s differs", preset, key);
    }
    ck_assert_int_eq(hearth_gguf_n_tensors(ours), hearth_gguf_n_tensors(ref));
    for (int64_t i = 0; i < hearth_gguf_n_tensors(ref); i++) {
        const hearth_gguf_tensor *b = hearth_gguf_tensor_at(ref, i);
        const hearth_gguf_tensor *a = from_converter ? hearth_gguf_find_tensor(ours, b->name)
                                                     : hearth_gguf_tensor_at(ours, i);
        ck_assert_ptr_nonnull(a);
        ck_assert_str_eq(a->name, b->name);
        ck_assert_msg(a->type == b->type, "%s %s: %s, llama-quantize %s", preset, a->name,
                      hearth_type_name(a->type), hearth_type_name(b->type));
        ck_assert_mem_eq(a->ne, b->ne, sizeof a->ne);
        ck_assert_uint_eq(a->n_bytes, b->n_bytes);
        uint32_t t = a->type;
        bool bit_identical = t == HEARTH_TYPE_F32 || t == HEARTH_TYPE_F16 ||
                             t == HEARTH_TYPE_BF16 || t == HEARTH_TYPE_Q4_0 ||
                             t == HEARTH_TYPE_Q4_1 || t == HEARTH_TYPE_Q5_0 ||
                             t == HEARTH_TYPE_Q5_1 || t == HEARTH_TYPE_Q8_0;
        if (bit_identical)
            ck_assert_msg(memcmp(a->data, b->data, a->n_bytes) == 0, "%s %s: data differs",
                          preset, a->name);
    }
    hearth_gguf_close(ref);
    hearth_gguf_close(ours);
    unlink(out);
}
END_TEST

Suite *quantize_suite(void) {
    Suite *s = suite_create("quantize");
    TCase *tc = tcase_create("presets");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_quantize_micro_preset_end_to_end, 0, N_GOLDEN);
    tcase_add_test(tc, test_quantize_half_precision_sources);
    tcase_add_test(tc, test_quantize_fallbacks_in_file);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_test(tc, test_quantize_reports_progress_per_tensor);
    tcase_add_test(tc, test_quantize_bad_inputs);
    suite_add_tcase(s, tc);
    tc = tcase_create("cli");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_quantize_cli_exit_codes);
    suite_add_tcase(s, tc);
    tc = tcase_create("llama");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_quantize_matches_llama_quantize_files, 0, N_GOLDEN);
    suite_add_tcase(s, tc);
    return s;
}
