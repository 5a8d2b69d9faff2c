/* check_quantize_plan.c - per-tensor type choice of the quantize presets.
 *
 * Synthetic llama-shaped tensor lists go through quant_plan(); the expected
 * types are written out by hand from llama.cpp's llama-quantize rules (Feb
 * 2025) as literal tables, one per model shape, and the 2-layer table is also
 * checked against the type mix llama-quantize really produced for the golden
 * micro models (../shared/golden/README.md).
 */
#include <check.h>
#include <stdio.h>  /* snprintf */
#include <string.h> /* strcmp, strtok_r */

#include "lib/quantize_plan.h"

/* ==== Synthetic models ==================================================== */

#define MAX_TENSORS 1200

typedef struct synth {
    quant_tensor t[MAX_TENSORS];
    char names[MAX_TENSORS][48];
    int64_t order[MAX_TENSORS];
    int64_t n;
    quant_model model;
} synth;

typedef struct shape {
    int64_t n_layer, dim, n_head, n_head_kv, ffn, vocab, n_expert;
    bool tied;         /* no output.weight */
    uint32_t src_type; /* type of the matrices in the source file */
} shape;

static void add(synth *s, const char *name, uint32_t type, int64_t ne0, int64_t ne1, int64_t ne2) {
    ck_assert_int_lt(s->n, MAX_TENSORS);
    quant_tensor *t = &s->t[s->n];
    snprintf(s->names[s->n], sizeof s->names[0], "%s", name);
    *t = (quant_tensor){.name = s->names[s->n], .src_type = type, .ne = {ne0, ne1, ne2, 1}};
    s->n++;
}

/* Tensors in the order convert_hf_to_gguf.py writes them; the plan re-sorts. */
static void make_llama(synth *s, const shape *sh) {
    memset(s, 0, sizeof *s);
    const int64_t kv_dim = sh->dim / sh->n_head * sh->n_head_kv;
    const uint32_t w = sh->src_type, f32 = HEARTH_TYPE_F32;
    char name[48];
    add(s, "token_embd.weight", w, sh->dim, sh->vocab, 1);
    for (int64_t l = 0; l < sh->n_layer; l++) {
#define ADD(suffix, type, a, b, c) \
    do { \
        snprintf(name, sizeof name, "blk.%lld." suffix, (long long)l); \
        add(s, name, type, a, b, c); \
    } while (0)
        ADD("attn_norm.weight", f32, sh->dim, 1, 1);
        ADD("attn_q.weight", w, sh->dim, sh->dim, 1);
        ADD("attn_k.weight", w, sh->dim, kv_dim, 1);
        ADD("attn_v.weight", w, sh->dim, kv_dim, 1);
        ADD("attn_output.weight", w, sh->dim, sh->dim, 1);
        ADD("ffn_norm.weight", f32, sh->dim, 1, 1);
        if (sh->n_expert > 0) {
            ADD("ffn_gate_inp.weight", f32, sh->dim, sh->n_expert, 1);
            ADD("ffn_gate_exps.weight", w, sh->dim, sh->ffn, sh->n_expert);
            ADD("ffn_up_exps.weight", w, sh->dim, sh->ffn, sh->n_expert);
            ADD("ffn_down_exps.weight", w, sh->ffn, sh->dim, sh->n_expert);
        } else {
            ADD("ffn_gate.weight", w, sh->dim, sh->ffn, 1);
            ADD("ffn_up.weight", w, sh->dim, sh->ffn, 1);
            ADD("ffn_down.weight", w, sh->ffn, sh->dim, 1);
        }
#undef ADD
    }
    add(s, "output_norm.weight", f32, sh->dim, 1, 1);
    if (!sh->tied)
        add(s, "output.weight", w, sh->dim, sh->vocab, 1);
    s->model = (quant_model){"llama", sh->n_layer, sh->n_head, sh->n_head_kv, sh->n_expert};
}

static hearth_status plan(synth *s, const char *preset_name) {
    const quant_preset *p = quant_preset_find(preset_name);
    ck_assert_msg(p != NULL, "preset %s", preset_name);
    hearth_errbuf err = {{0}};
    hearth_status st = quant_plan(p, &s->model, s->t, s->n, s->order, NULL, NULL, &err);
    if (st != HEARTH_OK)
        fprintf(stderr, "quant_plan(%s): %s\n", preset_name, err.msg);
    return st;
}

static const quant_tensor *find(const synth *s, const char *name) {
    for (int64_t i = 0; i < s->n; i++)
        if (strcmp(s->t[i].name, name) == 0)
            return &s->t[i];
    ck_abort_msg("no tensor %s", name);
    return NULL;
}

static const char *tname(uint32_t type) { return hearth_type_traits_of((int)type)->name; }

static void expect_type(const synth *s, const char *preset, const char *name, const char *type) {
    const quant_tensor *t = find(s, name);
    ck_assert_msg(strcmp(tname(t->dst_type), type) == 0, "%s: %s is %s, expected %s", preset,
                  name, tname(t->dst_type), type);
}

/* ==== Presets ============================================================= */

/* general.file_type values: llama.cpp's LLAMA_FTYPE enum (include/llama.h). */
START_TEST(test_quantize_preset_names_and_file_types) {
    static const struct {
        const char *name;
        int ftype;
        const char *type;
    } want[] = {
        {"Q4_0", 2, "Q4_0"},     {"Q4_1", 3, "Q4_1"},     {"Q5_0", 8, "Q5_0"},
        {"Q5_1", 9, "Q5_1"},     {"Q8_0", 7, "Q8_0"},     {"Q2_K", 10, "Q2_K"},
        {"Q3_K_S", 11, "Q3_K"},  {"Q3_K_M", 12, "Q3_K"},  {"Q3_K_L", 13, "Q3_K"},
        {"Q4_K_S", 14, "Q4_K"},  {"Q4_K_M", 15, "Q4_K"},  {"Q5_K_S", 16, "Q5_K"},
        {"Q5_K_M", 17, "Q5_K"},  {"Q6_K", 18, "Q6_K"},    {"IQ4_NL", 25, "IQ4_NL"},
        {"IQ4_XS", 30, "IQ4_XS"}, {"F16", 1, "F16"},      {"BF16", 32, "BF16"},
        {"F32", 0, "F32"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const quant_preset *p = quant_preset_find(want[i].name);
        ck_assert_msg(p != NULL, "%s", want[i].name);
        ck_assert_str_eq(p->name, want[i].name);
        ck_assert_int_eq(p->ftype, want[i].ftype);
        ck_assert_str_eq(tname(p->default_type), want[i].type);
    }
    /* Case, aliases and LLAMA_FTYPE numbers, as llama-quantize accepts them. */
    ck_assert_str_eq(quant_preset_find("q4_k_m")->name, "Q4_K_M");
    ck_assert_str_eq(quant_preset_find("Q3_K")->name, "Q3_K_M");
    ck_assert_str_eq(quant_preset_find("q4_k")->name, "Q4_K_M");
    ck_assert_str_eq(quant_preset_find("Q5_K")->name, "Q5_K_M");
    ck_assert_str_eq(quant_preset_find("15")->name, "Q4_K_M");
    ck_assert_str_eq(quant_preset_find("7")->name, "Q8_0");
    ck_assert_ptr_null(quant_preset_find("Q4_K_X"));
    ck_assert_ptr_null(quant_preset_find("IQ2_XXS")); /* needs an importance matrix */
    ck_assert_ptr_null(quant_preset_find("99"));
    ck_assert_ptr_null(quant_preset_find(""));
    ck_assert_ptr_null(quant_preset_find(NULL));
    int n = 0;
    while (quant_preset_at(n))
        n++;
    ck_assert_int_eq(n, (int)(sizeof want / sizeof want[0]));
}
END_TEST

/* use_more_bits: first and last eighth, and every third layer in between. */
START_TEST(test_quantize_use_more_bits_layers) {
    static const int more_32[] = {0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31};
    for (int i = 0, k = 0; i < 32; i++) {
        bool want = k < 16 && more_32[k] == i;
        k += want;
        ck_assert_msg(quant_use_more_bits(i, 32) == want, "layer %d of 32", i);
    }
    ck_assert(!quant_use_more_bits(0, 2));
    ck_assert(quant_use_more_bits(1, 2));
}
END_TEST

/* ==== The golden micro shape (2 layers, GQA 2) ============================ */

/* Per preset: token_embd, output, then per layer the types of
 * attn_q attn_k attn_v attn_output ffn_gate ffn_up ffn_down. */
typedef struct layer_table {
    const char *preset;
    const char *token_embd, *output;
    const char *layer[2];
} layer_table;

static const layer_table micro_expect[] = {
    {"Q4_0", "Q4_0", "Q6_K",
     {"Q4_0 Q4_0 Q4_0 Q4_0 Q4_0 Q4_0 Q4_0",
      "Q4_0 Q4_0 Q4_0 Q4_0 Q4_0 Q4_0 Q4_0"}},
    {"Q4_1", "Q4_1", "Q6_K",
     {"Q4_1 Q4_1 Q4_1 Q4_1 Q4_1 Q4_1 Q4_1",
      "Q4_1 Q4_1 Q4_1 Q4_1 Q4_1 Q4_1 Q4_1"}},
    {"Q5_0", "Q5_0", "Q6_K",
     {"Q5_0 Q5_0 Q5_0 Q5_0 Q5_0 Q5_0 Q5_0",
      "Q5_0 Q5_0 Q5_0 Q5_0 Q5_0 Q5_0 Q5_0"}},
    {"Q5_1", "Q5_1", "Q6_K",
     {"Q5_1 Q5_1 Q5_1 Q5_1 Q5_1 Q5_1 Q5_1",
      "Q5_1 Q5_1 Q5_1 Q5_1 Q5_1 Q5_1 Q5_1"}},
    {"Q8_0", "Q8_0", "Q8_0",
     {"Q8_0 Q8_0 Q8_0 Q8_0 Q8_0 Q8_0 Q8_0",
      "Q8_0 Q8_0 Q8_0 Q8_0 Q8_0 Q8_0 Q8_0"}},
    /* Q2_K: attn_v Q3_K (GQA < 4), attn_output and ffn_down Q3_K. */
    {"Q2_K", "Q2_K", "Q6_K",
     {"Q2_K Q2_K Q3_K Q3_K Q2_K Q2_K Q3_K",
      "Q2_K Q2_K Q3_K Q3_K Q2_K Q2_K Q3_K"}},
    {"Q3_K_S", "Q3_K", "Q6_K",
     {"Q3_K Q3_K Q3_K Q3_K Q3_K Q3_K Q3_K",
      "Q3_K Q3_K Q3_K Q3_K Q3_K Q3_K Q3_K"}},
    /* Q3_K_M: the first two attn_v Q5_K; attn_output Q4_K; ffn_down Q4_K
     * (the first 2/16 = 0 layers would get Q5_K). */
    {"Q3_K_M", "Q3_K", "Q6_K",
     {"Q3_K Q3_K Q5_K Q4_K Q3_K Q3_K Q4_K",
      "Q3_K Q3_K Q5_K Q4_K Q3_K Q3_K Q4_K"}},
    {"Q3_K_L", "Q3_K", "Q6_K",
     {"Q3_K Q3_K Q5_K Q5_K Q3_K Q3_K Q5_K",
      "Q3_K Q3_K Q5_K Q5_K Q3_K Q3_K Q5_K"}},
    /* Q4_K_S: the first four attn_v Q5_K; ffn_down of the first 2/8 = 0 layers. */
    {"Q4_K_S", "Q4_K", "Q6_K",
     {"Q4_K Q4_K Q5_K Q4_K Q4_K Q4_K Q4_K",
      "Q4_K Q4_K Q5_K Q4_K Q4_K Q4_K Q4_K"}},
    /* Q4_K_M: use_more_bits(i, 2) holds for layer 1 only. */
    {"Q4_K_M", "Q4_K", "Q6_K",
     {"Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K",
      "Q4_K Q4_K Q6_K Q4_K Q4_K Q4_K Q6_K"}},
    {"Q5_K_S", "Q5_K", "Q6_K",
     {"Q5_K Q5_K Q5_K Q5_K Q5_K Q5_K Q5_K",
      "Q5_K Q5_K Q5_K Q5_K Q5_K Q5_K Q5_K"}},
    {"Q5_K_M", "Q5_K", "Q6_K",
     {"Q5_K Q5_K Q5_K Q5_K Q5_K Q5_K Q5_K",
      "Q5_K Q5_K Q6_K Q5_K Q5_K Q5_K Q6_K"}},
    {"Q6_K", "Q6_K", "Q6_K",
     {"Q6_K Q6_K Q6_K Q6_K Q6_K Q6_K Q6_K",
      "Q6_K Q6_K Q6_K Q6_K Q6_K Q6_K Q6_K"}},
    {"IQ4_NL", "IQ4_NL", "Q6_K",
     {"IQ4_NL IQ4_NL IQ4_NL IQ4_NL IQ4_NL IQ4_NL IQ4_NL",
      "IQ4_NL IQ4_NL IQ4_NL IQ4_NL IQ4_NL IQ4_NL IQ4_NL"}},
    {"IQ4_XS", "IQ4_XS", "Q6_K",
     {"IQ4_XS IQ4_XS IQ4_XS IQ4_XS IQ4_XS IQ4_XS IQ4_XS",
      "IQ4_XS IQ4_XS IQ4_XS IQ4_XS IQ4_XS IQ4_XS IQ4_XS"}},
    {"F16", "F16", "F16", {"F16 F16 F16 F16 F16 F16 F16", "F16 F16 F16 F16 F16 F16 F16"}},
    {"BF16", "BF16", "BF16",
     {"BF16 BF16 BF16 BF16 BF16 BF16 BF16",
      "BF16 BF16 BF16 BF16 BF16 BF16 BF16"}},
};

static const char *const layer_roles[7] = {"attn_q", "attn_k", "attn_v", "attn_output",
                                           "ffn_gate", "ffn_up", "ffn_down"};

static void check_layer_table(const synth *s, const layer_table *e, int64_t n_layer) {
    expect_type(s, e->preset, "token_embd.weight", e->token_embd);
    expect_type(s, e->preset, "output.weight", e->output);
    for (int64_t l = 0; l < n_layer; l++) {
        char types[160], *save = NULL, name[64];
        snprintf(types, sizeof types, "%s", e->layer[l]);
        char *tok = strtok_r(types, " ", &save);
        for (int r = 0; r < 7; r++, tok = strtok_r(NULL, " ", &save)) {
            ck_assert_ptr_nonnull(tok);
            snprintf(name, sizeof name, "blk.%lld.%s.weight", (long long)l, layer_roles[r]);
            expect_type(s, e->preset, name, tok);
        }
    }
    /* Norms are never quantized. */
    expect_type(s, e->preset, "output_norm.weight", "F32");
    expect_type(s, e->preset, "blk.0.attn_norm.weight", "F32");
    expect_type(s, e->preset, "blk.1.ffn_norm.weight", "F32");
}

static const shape micro = {.n_layer = 2, .dim = 256, .n_head = 4, .n_head_kv = 2, .ffn = 512,
                            .vocab = 512, .src_type = HEARTH_TYPE_F32};

START_TEST(test_quantize_micro_model_types_per_preset) {
    static synth s;
    for (size_t i = 0; i < sizeof micro_expect / sizeof micro_expect[0]; i++) {
        make_llama(&s, &micro);
        ck_assert_int_eq(plan(&s, micro_expect[i].preset), HEARTH_OK);
        check_layer_table(&s, &micro_expect[i], 2);
    }
}
END_TEST

/* The type mix llama-quantize wrote into ../shared/golden/micro-*.gguf, copied
 * from the table in that folder's README. */
START_TEST(test_quantize_micro_model_matches_golden_type_mix) {
    static const struct {
        const char *preset, *mix;
    } golden[] = {
        {"Q8_0", "5 F32, 16 Q8_0"},
        {"Q4_0", "5 F32, 15 Q4_0, 1 Q6_K"},
        {"Q4_1", "5 F32, 15 Q4_1, 1 Q6_K"},
        {"Q5_0", "5 F32, 15 Q5_0, 1 Q6_K"},
        {"Q5_1", "5 F32, 15 Q5_1, 1 Q6_K"},
        {"Q2_K", "5 F32, 9 Q2_K, 6 Q3_K, 1 Q6_K"},
        {"Q3_K_M", "5 F32, 9 Q3_K, 4 Q4_K, 2 Q5_K, 1 Q6_K"},
        {"Q4_K_M", "5 F32, 13 Q4_K, 3 Q6_K"},
        {"Q5_K_M", "5 F32, 13 Q5_K, 3 Q6_K"},
        {"Q6_K", "5 F32, 16 Q6_K"},
        {"IQ4_NL", "5 F32, 15 IQ4_NL, 1 Q6_K"},
        {"IQ4_XS", "5 F32, 15 IQ4_XS, 1 Q6_K"},
        {"F16", "16 F16, 5 F32"},
        {"BF16", "16 BF16, 5 F32"},
    };
    static synth s;
    for (size_t i = 0; i < sizeof golden / sizeof golden[0]; i++) {
        make_llama(&s, &micro);
        ck_assert_int_eq(plan(&s, golden[i].preset), HEARTH_OK);
        int count[HEARTH_TYPE_COUNT] = {0};
        for (int64_t k = 0; k < s.n; k++)
            count[s.t[k].dst_type]++;
        /* Every "N TYPE" of the mix must match, and they must cover all tensors. */
        char mix[128], *save = NULL;
        snprintf(mix, sizeof mix, "%s", golden[i].mix);
        int covered = 0;
        for (char *item = strtok_r(mix, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
            int n;
            char type[16];
            ck_assert_int_eq(sscanf(item, " %d %15s", &n, type), 2);
            int id = -1;
            for (int t = 0; t < HEARTH_TYPE_COUNT; t++)
                if (strcmp(tname((uint32_t)t), type) == 0)
                    id = t;
            ck_assert_int_ge(id, 0);
            ck_assert_msg(count[id] == n, "%s: %d %s, golden file has %d", golden[i].preset,
                          count[id], type, n);
            covered += n;
        }
        ck_assert_int_eq(covered, (int)s.n);
    }
}
END_TEST

/* ==== A 32-layer GQA-4 model (8B-like, tiny dims) ========================= */

/* Layers of attn_v and ffn_down that a preset gives `bumped` (else `base`),
 * from llama.cpp's rules for 32 layers with n_head / n_head_kv = 4:
 * use_more_bits -> {0-3, 6, 9, ..., 27, 28-31}; n/8 = 4; n/16 = 2. */
typedef struct bump_table {
    const char *preset;
    const char *role;
    const char *base, *bumped;
    int layers[33]; /* -1 terminated */
} bump_table;

#define MORE_BITS_32 {0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31, -1}
#define ALL_32 \
    {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, \
     17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, -1}
#define NONE {-1}

static const bump_table deep_expect[] = {
    {"Q4_0", "attn_v", "Q4_0", "-", NONE},
    {"Q4_0", "ffn_down", "Q4_0", "-", NONE},
    {"Q8_0", "attn_v", "Q8_0", "-", NONE},
    {"Q2_K", "attn_v", "-", "Q4_K", ALL_32}, /* GQA 4 */
    {"Q2_K", "ffn_down", "-", "Q3_K", ALL_32},
    {"Q2_K", "attn_output", "-", "Q3_K", ALL_32},
    {"Q2_K", "attn_q", "Q2_K", "-", NONE},
    {"Q3_K_S", "attn_v", "Q3_K", "-", NONE},
    {"Q3_K_S", "ffn_down", "Q3_K", "-", NONE},
    {"Q3_K_M", "attn_v", "Q4_K", "Q5_K", {0, 1, -1}},
    {"Q3_K_M", "ffn_down", "Q4_K", "Q5_K", {0, 1, -1}},
    {"Q3_K_M", "attn_output", "Q4_K", "-", NONE},
    {"Q3_K_M", "ffn_up", "Q3_K", "-", NONE},
    {"Q3_K_L", "attn_v", "-", "Q5_K", ALL_32},
    {"Q3_K_L", "ffn_down", "-", "Q5_K", ALL_32},
    {"Q3_K_L", "attn_output", "-", "Q5_K", ALL_32},
    {"Q4_K_S", "attn_v", "Q4_K", "Q5_K", {0, 1, 2, 3, -1}},
    {"Q4_K_S", "ffn_down", "Q4_K", "Q5_K", {0, 1, 2, 3, -1}},
    {"Q4_K_S", "attn_output", "Q4_K", "-", NONE},
    {"Q4_K_M", "attn_v", "Q4_K", "Q6_K", MORE_BITS_32},
    {"Q4_K_M", "ffn_down", "Q4_K", "Q6_K", MORE_BITS_32},
    {"Q4_K_M", "attn_k", "Q4_K", "-", NONE},
    {"Q4_K_M", "ffn_gate", "Q4_K", "-", NONE},
    {"Q5_K_S", "attn_v", "Q5_K", "-", NONE},
    {"Q5_K_M", "attn_v", "Q5_K", "Q6_K", MORE_BITS_32},
    {"Q5_K_M", "ffn_down", "Q5_K", "Q6_K", MORE_BITS_32},
    {"Q6_K", "attn_v", "Q6_K", "-", NONE},
    {"IQ4_NL", "attn_v", "-", "Q5_K", ALL_32}, /* GQA 4 */
    {"IQ4_NL", "ffn_down", "IQ4_NL", "Q5_K", {0, 1, 2, 3, -1}},
    {"IQ4_XS", "attn_v", "-", "Q5_K", ALL_32},
    {"IQ4_XS", "ffn_down", "IQ4_XS", "Q5_K", {0, 1, 2, 3, -1}},
    {"IQ4_XS", "attn_output", "IQ4_XS", "-", NONE},
};

static void check_bumps(const synth *s, const bump_table *e, int64_t n_layer) {
    for (int64_t l = 0, k = 0; l < n_layer; l++) {
        bool bumped = e->layers[k] == l;
        k += bumped;
        char name[64];
        snprintf(name, sizeof name, "blk.%lld.%s.weight", (long long)l, e->role);
        expect_type(s, e->preset, name, bumped ? e->bumped : e->base);
    }
}

static const shape deep = {.n_layer = 32, .dim = 256, .n_head = 32, .n_head_kv = 8, .ffn = 512,
                           .vocab = 256, .src_type = HEARTH_TYPE_F16};

START_TEST(test_quantize_deep_model_layer_rules) {
    static synth s;
    for (size_t i = 0; i < sizeof deep_expect / sizeof deep_expect[0]; i++) {
        make_llama(&s, &deep);
        ck_assert_int_eq(plan(&s, deep_expect[i].preset), HEARTH_OK);
        check_bumps(&s, &deep_expect[i], deep.n_layer);
    }
    /* Every preset but Q8_0 stores output.weight as Q6_K; token_embd keeps the default. */
    make_llama(&s, &deep);
    ck_assert_int_eq(plan(&s, "Q4_K_M"), HEARTH_OK);
    expect_type(&s, "Q4_K_M", "output.weight", "Q6_K");
    expect_type(&s, "Q4_K_M", "token_embd.weight", "Q4_K");
}
END_TEST

/* ==== Order and counters ================================================== */

/* llama-quantize visits tensors by (layer number, name): blk.10 comes after
 * blk.9, and the attn_v counter follows that order. 12 layers:
 * use_more_bits -> {0, 3, 6, 9, 10, 11}. */
START_TEST(test_quantize_order_is_by_layer_number) {
    static synth s;
    shape sh = deep;
    sh.n_layer = 12;
    make_llama(&s, &sh);
    ck_assert_int_eq(plan(&s, "Q3_K_M"), HEARTH_OK);
    ck_assert_str_eq(s.t[s.order[0]].name, "output.weight");
    ck_assert_str_eq(s.t[s.order[1]].name, "output_norm.weight");
    ck_assert_str_eq(s.t[s.order[2]].name, "token_embd.weight");
    static const char *const blk0[] = {"attn_k", "attn_norm", "attn_output", "attn_q", "attn_v",
                                       "ffn_down", "ffn_gate", "ffn_norm", "ffn_up"};
    for (int i = 0; i < 9; i++) {
        char name[64];
        snprintf(name, sizeof name, "blk.0.%s.weight", blk0[i]);
        ck_assert_str_eq(s.t[s.order[3 + i]].name, name);
    }
    ck_assert_str_eq(s.t[s.order[3 + 9 * 9]].name, "blk.9.attn_k.weight");
    ck_assert_str_eq(s.t[s.order[3 + 9 * 10]].name, "blk.10.attn_k.weight");
    expect_type(&s, "Q3_K_M", "blk.0.attn_v.weight", "Q5_K");
    expect_type(&s, "Q3_K_M", "blk.1.attn_v.weight", "Q5_K");
    expect_type(&s, "Q3_K_M", "blk.10.attn_v.weight", "Q4_K");
    expect_type(&s, "Q3_K_M", "blk.2.attn_v.weight", "Q4_K");

    make_llama(&s, &sh);
    ck_assert_int_eq(plan(&s, "Q4_K_M"), HEARTH_OK);
    bump_table t = {"Q4_K_M", "attn_v", "Q4_K", "Q6_K", {0, 3, 6, 9, 10, 11, -1}};
    check_bumps(&s, &t, 12);
    t.role = "ffn_down";
    check_bumps(&s, &t, 12);
}
END_TEST

/* ==== Tied embeddings ===================================================== */

/* Without output.weight, token_embd is the output matrix and gets its type. */
START_TEST(test_quantize_tied_embedding_gets_output_type) {
    static synth s;
    shape sh = micro;
    sh.tied = true;
    static const struct {
        const char *preset, *type;
    } want[] = {{"Q4_K_M", "Q6_K"}, {"Q4_0", "Q6_K"}, {"Q2_K", "Q6_K"}, {"IQ4_XS", "Q6_K"},
                {"Q8_0", "Q8_0"},   {"F16", "F16"},   {"BF16", "BF16"}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        make_llama(&s, &sh);
        ck_assert_int_eq(plan(&s, want[i].preset), HEARTH_OK);
        expect_type(&s, want[i].preset, "token_embd.weight", want[i].type);
    }
}
END_TEST

/* ==== Row-length fallbacks ================================================ */

/* dim 288 = 9 x 32: no K type fits, the 32-blocks do. ffn 768 = 3 x 256 fits. */
START_TEST(test_quantize_fallback_rows_not_multiple_of_256) {
    static synth s;
    shape sh = {.n_layer = 2, .dim = 288, .n_head = 6, .n_head_kv = 6, .ffn = 768,
                .vocab = 512, .src_type = HEARTH_TYPE_F32};
    static const layer_table want[] = {
        /* Q4_K -> Q5_0, Q6_K -> Q8_0; ffn_down rows (768) fit; output: 288 does not
         * fit Q4_K blocks, so Q8_0 directly. */
        {"Q4_K_M", "Q5_0", "Q8_0",
         {"Q5_0 Q5_0 Q5_0 Q5_0 Q5_0 Q5_0 Q4_K",
          "Q5_0 Q5_0 Q8_0 Q5_0 Q5_0 Q5_0 Q6_K"}},
        {"Q5_K_M", "Q5_1", "Q8_0",
         {"Q5_1 Q5_1 Q5_1 Q5_1 Q5_1 Q5_1 Q5_K",
          "Q5_1 Q5_1 Q8_0 Q5_1 Q5_1 Q5_1 Q6_K"}},
        /* Q2_K and Q3_K -> IQ4_NL. */
        {"Q2_K", "IQ4_NL", "Q8_0",
         {"IQ4_NL IQ4_NL IQ4_NL IQ4_NL IQ4_NL IQ4_NL Q3_K",
          "IQ4_NL IQ4_NL IQ4_NL IQ4_NL IQ4_NL IQ4_NL Q3_K"}},
        {"Q3_K_M", "IQ4_NL", "Q8_0",
         {"IQ4_NL IQ4_NL Q5_1 Q5_0 IQ4_NL IQ4_NL Q4_K",
          "IQ4_NL IQ4_NL Q5_1 Q5_0 IQ4_NL IQ4_NL Q4_K"}},
        {"IQ4_XS", "IQ4_NL", "Q8_0",
         {"IQ4_NL IQ4_NL IQ4_NL IQ4_NL IQ4_NL IQ4_NL IQ4_XS",
          "IQ4_NL IQ4_NL IQ4_NL IQ4_NL IQ4_NL IQ4_NL IQ4_XS"}},
        {"Q6_K", "Q8_0", "Q8_0",
         {"Q8_0 Q8_0 Q8_0 Q8_0 Q8_0 Q8_0 Q6_K",
          "Q8_0 Q8_0 Q8_0 Q8_0 Q8_0 Q8_0 Q6_K"}},
        /* 32-blocks fit; output.weight Q6_K does not -> Q8_0. */
        {"Q4_0", "Q4_0", "Q8_0",
         {"Q4_0 Q4_0 Q4_0 Q4_0 Q4_0 Q4_0 Q4_0",
          "Q4_0 Q4_0 Q4_0 Q4_0 Q4_0 Q4_0 Q4_0"}},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        make_llama(&s, &sh);
        ck_assert_int_eq(plan(&s, want[i].preset), HEARTH_OK);
        check_layer_table(&s, &want[i], 2);
    }
    make_llama(&s, &sh);
    ck_assert_int_eq(plan(&s, "Q4_K_M"), HEARTH_OK);
    ck_assert(find(&s, "blk.0.attn_q.weight")->fallback);
    ck_assert(!find(&s, "blk.0.ffn_down.weight")->fallback);
}
END_TEST

/* ffn 172 (stories260K): not even a multiple of 32 -> F16 after the fallbacks. */
START_TEST(test_quantize_fallback_to_f16) {
    static synth s;
    shape sh = {.n_layer = 2, .dim = 256, .n_head = 4, .n_head_kv = 4, .ffn = 172,
                .vocab = 512, .src_type = HEARTH_TYPE_F32};
    make_llama(&s, &sh);
    ck_assert_int_eq(plan(&s, "Q4_K_M"), HEARTH_OK);
    expect_type(&s, "Q4_K_M", "blk.0.ffn_down.weight", "F16"); /* Q4_K -> Q5_0 -> F16 */
    expect_type(&s, "Q4_K_M", "blk.1.ffn_down.weight", "F16"); /* Q6_K -> Q8_0 -> F16 */
    expect_type(&s, "Q4_K_M", "blk.0.ffn_up.weight", "Q4_K");  /* rows of 256 */
    ck_assert(find(&s, "blk.0.ffn_down.weight")->fallback);
    /* Here llama-quantize stops ("Unsupported tensor size"); hearth keeps F16. */
    make_llama(&s, &sh);
    ck_assert_int_eq(plan(&s, "Q4_0"), HEARTH_OK);
    expect_type(&s, "Q4_0", "blk.0.ffn_down.weight", "F16");
    expect_type(&s, "Q4_0", "blk.0.ffn_gate.weight", "Q4_0");
    /* F16 needs no fallback at all. */
    make_llama(&s, &sh);
    ck_assert_int_eq(plan(&s, "F16"), HEARTH_OK);
    ck_assert(!find(&s, "blk.0.ffn_down.weight")->fallback);
}
END_TEST

/* ==== Big-model rules ===================================================== */

/* 80 llama layers with GQA are llama.cpp's "70B": attn_v Q3_K/Q4_K -> Q5_K.
 * use_more_bits(i, 80): n/8 = 10, so layer 10 is not bumped, layer 12 is. */
START_TEST(test_quantize_70b_attn_v_rule) {
    static synth s;
    shape sh = {.n_layer = 80, .dim = 256, .n_head = 64, .n_head_kv = 8, .ffn = 256,
                .vocab = 256, .src_type = HEARTH_TYPE_F16};
    make_llama(&s, &sh);
    ck_assert_int_eq(plan(&s, "Q3_K_S"), HEARTH_OK);
    expect_type(&s, "Q3_K_S", "blk.40.attn_v.weight", "Q5_K");
    expect_type(&s, "Q3_K_S", "blk.40.attn_q.weight", "Q3_K");
    make_llama(&s, &sh);
    ck_assert_int_eq(plan(&s, "Q4_K_M"), HEARTH_OK);
    expect_type(&s, "Q4_K_M", "blk.0.attn_v.weight", "Q6_K");
    expect_type(&s, "Q4_K_M", "blk.10.attn_v.weight", "Q5_K");
    expect_type(&s, "Q4_K_M", "blk.12.attn_v.weight", "Q6_K");
    make_llama(&s, &sh);
    ck_assert_int_eq(plan(&s, "Q4_0"), HEARTH_OK);
    expect_type(&s, "Q4_0", "blk.40.attn_v.weight", "Q4_0");
    /* Same depth without GQA is "65B": no bump. */
    sh.n_head_kv = sh.n_head;
    make_llama(&s, &sh);
    ck_assert_int_eq(plan(&s, "Q3_K_S"), HEARTH_OK);
    expect_type(&s, "Q3_K_S", "blk.40.attn_v.weight", "Q3_K");
}
END_TEST

/* 8 experts (Mixtral): attn_v and attn_k Q8_0, attn_output Q5_K, the router
 * kept F32, and ffn_down_exps layers read from the names. */
START_TEST(test_quantize_eight_expert_rules) {
    static synth s;
    shape sh = {.n_layer = 32, .dim = 256, .n_head = 32, .n_head_kv = 8, .ffn = 256,
                .vocab = 256, .n_expert = 8, .src_type = HEARTH_TYPE_BF16};
    make_llama(&s, &sh);
    ck_assert_int_eq(plan(&s, "Q4_K_M"), HEARTH_OK);
    expect_type(&s, "Q4_K_M", "blk.5.attn_v.weight", "Q8_0");
    expect_type(&s, "Q4_K_M", "blk.5.attn_k.weight", "Q8_0");
    expect_type(&s, "Q4_K_M", "blk.5.attn_output.weight", "Q5_K");
    expect_type(&s, "Q4_K_M", "blk.5.attn_q.weight", "Q4_K");
    expect_type(&s, "Q4_K_M", "blk.5.ffn_gate_inp.weight", "F32");
    expect_type(&s, "Q4_K_M", "blk.5.ffn_gate_exps.weight", "Q4_K");
    bump_table t = {"Q4_K_M", "ffn_down_exps", "Q4_K", "Q6_K", MORE_BITS_32};
    check_bumps(&s, &t, 32);
    make_llama(&s, &sh);
    ck_assert_int_eq(plan(&s, "Q3_K_L"), HEARTH_OK);
    expect_type(&s, "Q3_K_L", "blk.5.attn_output.weight", "Q3_K"); /* not in the 8-expert list */
    expect_type(&s, "Q3_K_L", "blk.5.ffn_down_exps.weight", "Q5_K");
}
END_TEST

/* ==== What is never quantized, copies, bad sources ======================== */

START_TEST(test_quantize_only_weight_matrices) {
    static synth s;
    make_llama(&s, &micro);
    add(&s, "rope_freqs.weight", HEARTH_TYPE_F32, 32, 1, 1);
    add(&s, "blk.0.attn_q.bias", HEARTH_TYPE_F32, 256, 2, 1);      /* not "...weight" */
    add(&s, "blk.0.flat.weight", HEARTH_TYPE_F32, 256, 1, 1);      /* [256, 1]: one dimension */
    add(&s, "position_embd.weight", HEARTH_TYPE_F32, 256, 64, 1);  /* BERT positions */
    add(&s, "blk.0.ssm_conv1d.weight", HEARTH_TYPE_F32, 4, 256, 1); /* Mamba */
    add(&s, "blk.0.extra.weight", HEARTH_TYPE_F16, 256, 8, 1);     /* unknown role: default */
    ck_assert_int_eq(plan(&s, "Q4_K_M"), HEARTH_OK);
    expect_type(&s, "Q4_K_M", "rope_freqs.weight", "F32");
    expect_type(&s, "Q4_K_M", "blk.0.attn_q.bias", "F32");
    expect_type(&s, "Q4_K_M", "blk.0.flat.weight", "F32");
    expect_type(&s, "Q4_K_M", "position_embd.weight", "F32");
    expect_type(&s, "Q4_K_M", "blk.0.ssm_conv1d.weight", "F32");
    expect_type(&s, "Q4_K_M", "blk.0.extra.weight", "Q4_K");
    ck_assert(!find(&s, "rope_freqs.weight")->convert);
    ck_assert(find(&s, "blk.0.extra.weight")->convert);
}
END_TEST

/* Tensors already in the target type are copied, not converted again. */
START_TEST(test_quantize_same_type_is_copied) {
    static synth s;
    shape sh = micro;
    sh.src_type = HEARTH_TYPE_F16;
    make_llama(&s, &sh);
    ck_assert_int_eq(plan(&s, "F16"), HEARTH_OK);
    for (int64_t i = 0; i < s.n; i++)
        ck_assert_msg(!s.t[i].convert, "%s converted", s.t[i].name);
    make_llama(&s, &sh);
    ck_assert_int_eq(plan(&s, "BF16"), HEARTH_OK);
    ck_assert(find(&s, "blk.0.attn_q.weight")->convert);
    ck_assert(!find(&s, "blk.0.attn_norm.weight")->convert);
}
END_TEST

/* A quantized source cannot be converted: clear error naming the tensor. */
START_TEST(test_quantize_rejects_quantized_source) {
    static synth s;
    shape sh = micro;
    sh.src_type = HEARTH_TYPE_Q4_0;
    make_llama(&s, &sh);
    const quant_preset *p = quant_preset_find("Q4_K_M");
    hearth_errbuf err = {{0}};
    ck_assert_int_eq(quant_plan(p, &s.model, s.t, s.n, s.order, NULL, NULL, &err),
                     HEARTH_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(err.msg, "Q4_0") && strstr(err.msg, ".weight"), "%s", err.msg);
    /* Even for its own preset: output.weight would need Q4_0 -> Q6_K. */
    make_llama(&s, &sh);
    p = quant_preset_find("Q4_0");
    ck_assert_int_eq(quant_plan(p, &s.model, s.t, s.n, s.order, NULL, NULL, &err),
                     HEARTH_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(err.msg, "output.weight"), "%s", err.msg);
}
END_TEST

/* Fallbacks are announced through the log callback. */
static int n_warnings;
static void count_warnings(void *user, hearth_log_level level, const char *msg) {
    (void)user;
    (void)msg;
    n_warnings += level == HEARTH_LOG_WARN;
}

START_TEST(test_quantize_fallback_is_logged) {
    static synth s;
    shape sh = micro;
    sh.ffn = 288; /* ffn_gate/up have 256-rows; ffn_down's 288 do not fit */
    make_llama(&s, &sh);
    n_warnings = 0;
    hearth_errbuf err;
    ck_assert_int_eq(quant_plan(quant_preset_find("Q4_K_M"), &s.model, s.t, s.n, s.order,
                                count_warnings, NULL, &err),
                     HEARTH_OK);
    ck_assert_int_eq(n_warnings, 2); /* blk.0 and blk.1 ffn_down */
}
END_TEST

Suite *quantize_plan_suite(void) {
    Suite *s = suite_create("quantize_plan");
    TCase *tc = tcase_create("presets");
    tcase_add_test(tc, test_quantize_preset_names_and_file_types);
    tcase_add_test(tc, test_quantize_use_more_bits_layers);
    suite_add_tcase(s, tc);
    tc = tcase_create("types");
    tcase_add_test(tc, test_quantize_micro_model_types_per_preset);
    tcase_add_test(tc, test_quantize_micro_model_matches_golden_type_mix);
    tcase_add_test(tc, test_quantize_deep_model_layer_rules);
    tcase_add_test(tc, test_quantize_order_is_by_layer_number);
    tcase_add_test(tc, test_quantize_tied_embedding_gets_output_type);
    tcase_add_test(tc, test_quantize_70b_attn_v_rule);
    tcase_add_test(tc, test_quantize_eight_expert_rules);
    suite_add_tcase(s, tc);
    tc = tcase_create("fallback");
    tcase_add_test(tc, test_quantize_fallback_rows_not_multiple_of_256);
    tcase_add_test(tc, test_quantize_fallback_to_f16);
    tcase_add_test(tc, test_quantize_fallback_is_logged);
    suite_add_tcase(s, tc);
    tc = tcase_create("sources");
    tcase_add_test(tc, test_quantize_only_weight_matrices);
    tcase_add_test(tc, test_quantize_same_type_is_copied);
    tcase_add_test(tc, test_quantize_rejects_quantized_source);
    suite_add_tcase(s, tc);
    return s;
}
