/* quantize_plan.c - the type each tensor gets under a llama-quantize preset.
 *
 * The choices restate llama.cpp's llama-quantize (Feb 2025) so that a file we
 * write has the same tensor types as one written by that tool: which tensors
 * are quantized at all, the per-role exceptions (output, attn_v, ffn_down ...),
 * the layer counters they use, and the fallbacks for rows that are not a
 * multiple of the block size. Everything is table-driven; the order of the
 * tables is the precedence. No file access and no kernels here.
 */
#include "quantize_plan.h"

#include <stdlib.h>  /* qsort, strtol */
#include <string.h>  /* strcmp, strstr, strlen */
#include <strings.h> /* strcasecmp */

/* ==== Presets ============================================================= */

static uint32_t block_size(uint32_t type) { return hearth_type_traits_of((int)type)->block_size; }
static const char *type_name(uint32_t type) { return hearth_type_traits_of((int)type)->name; }

/* In llama-quantize's listing order. `about` is ours. */
static const quant_preset presets[] = {
    {"Q4_0", FTYPE_Q4_0, HEARTH_TYPE_Q4_0, "4.5 bpw; output.weight Q6_K"},
    {"Q4_1", FTYPE_Q4_1, HEARTH_TYPE_Q4_1, "5.0 bpw; output.weight Q6_K"},
    {"Q5_0", FTYPE_Q5_0, HEARTH_TYPE_Q5_0, "5.5 bpw; output.weight Q6_K"},
    {"Q5_1", FTYPE_Q5_1, HEARTH_TYPE_Q5_1, "6.0 bpw; output.weight Q6_K"},
    {"Q2_K", FTYPE_Q2_K, HEARTH_TYPE_Q2_K, "Q2_K; Q3_K attn_output/ffn_down, Q3_K or Q4_K attn_v"},
    {"Q3_K_S", FTYPE_Q3_K_S, HEARTH_TYPE_Q3_K, "Q3_K; output.weight Q6_K"},
    {"Q3_K_M", FTYPE_Q3_K_M, HEARTH_TYPE_Q3_K, "Q3_K; Q4_K/Q5_K attn_v, attn_output, ffn_down"},
    {"Q3_K_L", FTYPE_Q3_K_L, HEARTH_TYPE_Q3_K, "Q3_K; Q5_K attn_v, attn_output, ffn_down"},
    {"IQ4_NL", FTYPE_IQ4_NL, HEARTH_TYPE_IQ4_NL, "4.5 bpw non-linear; output.weight Q6_K"},
    {"IQ4_XS", FTYPE_IQ4_XS, HEARTH_TYPE_IQ4_XS, "4.25 bpw non-linear; output.weight Q6_K"},
    {"Q4_K_S", FTYPE_Q4_K_S, HEARTH_TYPE_Q4_K, "Q4_K; Q5_K for the first attn_v and ffn_down"},
    {"Q4_K_M", FTYPE_Q4_K_M, HEARTH_TYPE_Q4_K, "Q4_K; Q6_K for half of attn_v and ffn_down"},
    {"Q5_K_S", FTYPE_Q5_K_S, HEARTH_TYPE_Q5_K, "Q5_K; output.weight Q6_K"},
    {"Q5_K_M", FTYPE_Q5_K_M, HEARTH_TYPE_Q5_K, "Q5_K; Q6_K for half of attn_v and ffn_down"},
    {"Q6_K", FTYPE_Q6_K, HEARTH_TYPE_Q6_K, "6.56 bpw"},
    {"Q8_0", FTYPE_Q8_0, HEARTH_TYPE_Q8_0, "8.5 bpw; output.weight Q8_0 too"},
    {"F16", FTYPE_F16, HEARTH_TYPE_F16, "IEEE half precision"},
    {"BF16", FTYPE_BF16, HEARTH_TYPE_BF16, "bfloat16"},
    {"F32", FTYPE_ALL_F32, HEARTH_TYPE_F32, "single precision"},
};
#define N_PRESETS ((int32_t)(sizeof presets / sizeof presets[0]))

/* llama-quantize's short names for the _M presets. */
static const struct {
    const char *alias;
    const char *target;
} aliases[] = {{"Q3_K", "Q3_K_M"}, {"Q4_K", "Q4_K_M"}, {"Q5_K", "Q5_K_M"}};

const quant_preset *quant_preset_at(int32_t i) {
    return i >= 0 && i < N_PRESETS ? &presets[i] : NULL;
}

const quant_preset *quant_preset_find(const char *name) {
    if (!name || !*name)
        return NULL;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcasecmp(name, aliases[i].alias) == 0)
            name = aliases[i].target;
    for (int32_t i = 0; i < N_PRESETS; i++)
        if (strcasecmp(name, presets[i].name) == 0)
            return &presets[i];
    /* A bare number is a LLAMA_FTYPE value, as llama-quantize also accepts. */
    if (strspn(name, "0123456789") == strlen(name) && strlen(name) <= 4) {
        long ftype = strtol(name, NULL, 10);
        for (int32_t i = 0; i < N_PRESETS; i++)
            if ((long)presets[i].ftype == ftype)
                return &presets[i];
    }
    return NULL;
}

/* ==== Which tensors are weight matrices to quantize ======================= */

/* llama-quantize converts only tensors whose name ends in "weight", that have
 * at least two dimensions larger than one, and whose name contains none of
 * these (norms, MoE routers, positional tables and small recurrent-state
 * weights that are kept exact). */
static const char *const never_quantized[] = {
    "_norm.weight",          "ffn_gate_inp.weight",       "ssm_conv1d.weight",
    "time_mix_first.weight", "time_mix_w1.weight",        "time_mix_w2.weight",
    "time_mix_decay_w1.weight", "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight",
    "attn_rel_b.weight",
};
/* ... nor these exact names (BERT-style position and token-type tables). */
static const char *const never_quantized_exact[] = {"position_embd.weight", "token_types.weight"};

/* Dimensions counted as ggml counts them: trailing dimensions of size <= 1 do
 * not count, so a [4096, 1] tensor is one-dimensional. */
static int effective_dims(const int64_t ne[4]) {
    for (int i = 3; i >= 1; i--)
        if (ne[i] > 1)
            return i + 1;
    return 1;
}

static bool is_weight_matrix(const quant_tensor *t) {
    size_t len = strlen(t->name);
    if (len < 6 || strcmp(t->name + len - 6, "weight") != 0)
        return false;
    if (effective_dims(t->ne) < 2)
        return false;
    for (size_t i = 0; i < sizeof never_quantized / sizeof never_quantized[0]; i++)
        if (strstr(t->name, never_quantized[i]))
            return false;
    for (size_t i = 0; i < sizeof never_quantized_exact / sizeof never_quantized_exact[0]; i++)
        if (strcmp(t->name, never_quantized_exact[i]) == 0)
            return false;
    return true;
}

/* ==== Tensor roles ======================================================== */

typedef enum role {
    ROLE_OTHER,
    ROLE_OUTPUT,      /* output.weight, or token_embd.weight when there is no output.weight */
    ROLE_TOKEN_EMBD,  /* token_embd.weight beside an output.weight */
    ROLE_ATTN_V,
    ROLE_ATTN_K,
    ROLE_ATTN_Q,
    ROLE_FFN_DOWN,
    ROLE_ATTN_OUTPUT,
    ROLE_ATTN_QKV,
    ROLE_FFN_GATE,
    ROLE_FFN_UP
} role;

/* Substring matches, tried in this order (llama.cpp's else-if chain: the first
 * match decides, e.g. "ffn_down_exps" is an ffn_down tensor). */
static const struct {
    const char *needle;
    role r;
} role_needles[] = {
    {"attn_v.weight", ROLE_ATTN_V},           {"attn_k.weight", ROLE_ATTN_K},
    {"attn_q.weight", ROLE_ATTN_Q},           {"ffn_down", ROLE_FFN_DOWN},
    {"attn_output.weight", ROLE_ATTN_OUTPUT}, {"attn_qkv.weight", ROLE_ATTN_QKV},
    {"ffn_gate", ROLE_FFN_GATE},              {"ffn_up", ROLE_FFN_UP},
};

static role role_of(const char *name, bool has_output) {
    /* A token_embd without an output.weight doubles as the output matrix, so
     * it is stored like one (tied embeddings). */
    if (strcmp(name, "output.weight") == 0 ||
        (!has_output && strcmp(name, "token_embd.weight") == 0))
        return ROLE_OUTPUT;
    if (strcmp(name, "token_embd.weight") == 0)
        return ROLE_TOKEN_EMBD;
    for (size_t i = 0; i < sizeof role_needles / sizeof role_needles[0]; i++)
        if (strstr(name, role_needles[i].needle))
            return role_needles[i].r;
    return ROLE_OTHER;
}

/* ==== Per-role rules ====================================================== */

bool quant_use_more_bits(int64_t i_layer, int64_t n_layer) {
    return i_layer < n_layer / 8 || i_layer >= 7 * n_layer / 8 || (i_layer - n_layer / 8) % 3 == 2;
}

/* Conditions a rule may require (all of those it names must hold). "pos" is
 * the tensor's position among its kind: for attn_v the count of attn_v tensors
 * seen before it (of all attn_v/attn_qkv/attn_kv_b tensors), for ffn_down its
 * layer (of block_count layers). */
enum {
    C_GQA4 = 1 << 0,       /* n_head / n_head_kv >= 4 */
    C_POS_LT2 = 1 << 1,    /* pos < 2 */
    C_POS_LT4 = 1 << 2,    /* pos < 4 */
    C_FIRST_8TH = 1 << 3,  /* pos < n / 8 */
    C_FIRST_16TH = 1 << 4, /* pos < n / 16 */
    C_MORE_BITS = 1 << 5,  /* quant_use_more_bits(pos, n) */
    C_FALCON = 1 << 6,     /* general.architecture is falcon */
    C_NOT_FALCON = 1 << 7,
    C_EXPERT8 = 1 << 8,    /* expert_count == 8 (Mixtral-style) */
    C_NOT_EXPERT8 = 1 << 9,
};

#define FT(x) (UINT64_C(1) << FTYPE_##x)
#define FT_ANY (~UINT64_C(0))

typedef struct type_rule {
    role r;
    uint64_t ftypes; /* presets it applies to: bit LLAMA_FTYPE */
    unsigned when;   /* C_* conditions, all required */
    uint32_t type;   /* the type it gives */
} type_rule;

/* For each role the first rule whose preset and conditions match decides;
 * when none matches, the preset's default type stays. Only rules reachable
 * with our presets and without an importance matrix are listed. */
static const type_rule rules[] = {
    /* attn_v: small under GQA, so more bits here are cheap and help most. */
    {ROLE_ATTN_V, FT(Q2_K), C_GQA4, HEARTH_TYPE_Q4_K},
    {ROLE_ATTN_V, FT(Q2_K), 0, HEARTH_TYPE_Q3_K},
    {ROLE_ATTN_V, FT(Q3_K_M), C_POS_LT2, HEARTH_TYPE_Q5_K},
    {ROLE_ATTN_V, FT(Q3_K_M), 0, HEARTH_TYPE_Q4_K},
    {ROLE_ATTN_V, FT(Q3_K_L), 0, HEARTH_TYPE_Q5_K},
    {ROLE_ATTN_V, FT(IQ4_NL) | FT(IQ4_XS), C_GQA4, HEARTH_TYPE_Q5_K},
    {ROLE_ATTN_V, FT(Q4_K_M) | FT(Q5_K_M), C_MORE_BITS, HEARTH_TYPE_Q6_K},
    {ROLE_ATTN_V, FT(Q4_K_S), C_POS_LT4, HEARTH_TYPE_Q5_K},

    /* attn_k: only Mixtral-style models bump it. */
    {ROLE_ATTN_K, FT_ANY, C_EXPERT8, HEARTH_TYPE_Q8_0},

    /* ffn_down: the most sensitive matrix of the feed-forward block. */
    {ROLE_FFN_DOWN, FT(Q2_K), 0, HEARTH_TYPE_Q3_K},
    {ROLE_FFN_DOWN, FT(Q3_K_M), C_FIRST_16TH, HEARTH_TYPE_Q5_K},
    {ROLE_FFN_DOWN, FT(Q3_K_M), C_NOT_FALCON, HEARTH_TYPE_Q4_K},
    {ROLE_FFN_DOWN, FT(Q3_K_M), C_MORE_BITS, HEARTH_TYPE_Q4_K},
    {ROLE_FFN_DOWN, FT(Q3_K_L), C_FALCON, HEARTH_TYPE_Q4_K},
    {ROLE_FFN_DOWN, FT(Q3_K_L), 0, HEARTH_TYPE_Q5_K},
    {ROLE_FFN_DOWN, FT(Q4_K_M), C_FALCON | C_FIRST_16TH, HEARTH_TYPE_Q6_K},
    {ROLE_FFN_DOWN, FT(Q4_K_M), C_FALCON | C_MORE_BITS, HEARTH_TYPE_Q5_K},
    {ROLE_FFN_DOWN, FT(Q4_K_M), C_NOT_FALCON | C_MORE_BITS, HEARTH_TYPE_Q6_K},
    {ROLE_FFN_DOWN, FT(IQ4_NL) | FT(IQ4_XS), C_FIRST_8TH, HEARTH_TYPE_Q5_K},
    {ROLE_FFN_DOWN, FT(Q5_K_M), C_MORE_BITS, HEARTH_TYPE_Q6_K},
    {ROLE_FFN_DOWN, FT(Q4_K_S), C_NOT_FALCON | C_FIRST_8TH, HEARTH_TYPE_Q5_K},

    /* attn_output: Mixtral-style models give it Q5_K at every low-bit preset. */
    {ROLE_ATTN_OUTPUT,
     FT(Q2_K) | FT(Q3_K_S) | FT(Q3_K_M) | FT(IQ4_NL) | FT(Q4_K_S) | FT(Q4_K_M) | FT(IQ4_XS),
     C_NOT_FALCON | C_EXPERT8, HEARTH_TYPE_Q5_K},
    {ROLE_ATTN_OUTPUT, FT(Q2_K), C_NOT_FALCON | C_NOT_EXPERT8, HEARTH_TYPE_Q3_K},
    {ROLE_ATTN_OUTPUT, FT(Q3_K_M), C_NOT_FALCON | C_NOT_EXPERT8, HEARTH_TYPE_Q4_K},
    {ROLE_ATTN_OUTPUT, FT(Q3_K_L), C_NOT_FALCON | C_NOT_EXPERT8, HEARTH_TYPE_Q5_K},
    {ROLE_ATTN_OUTPUT, FT(Q3_K_L), C_FALCON, HEARTH_TYPE_Q4_K},

    /* attn_qkv: fused Q/K/V of some architectures gets what attn_v would. */
    {ROLE_ATTN_QKV, FT(Q3_K_M) | FT(Q3_K_L), 0, HEARTH_TYPE_Q4_K},
    {ROLE_ATTN_QKV, FT(Q4_K_M), 0, HEARTH_TYPE_Q5_K},
    {ROLE_ATTN_QKV, FT(Q5_K_M), 0, HEARTH_TYPE_Q6_K},
};

/* Replacement when the row length is not a multiple of the chosen type's
 * block size (256 for the K types, 32 for the others). */
static const struct {
    uint32_t from, to;
} fallbacks[] = {
    {HEARTH_TYPE_Q2_K, HEARTH_TYPE_IQ4_NL},   {HEARTH_TYPE_Q3_K, HEARTH_TYPE_IQ4_NL},
    {HEARTH_TYPE_IQ4_XS, HEARTH_TYPE_IQ4_NL}, {HEARTH_TYPE_Q4_K, HEARTH_TYPE_Q5_0},
    {HEARTH_TYPE_Q5_K, HEARTH_TYPE_Q5_1},     {HEARTH_TYPE_Q6_K, HEARTH_TYPE_Q8_0},
};

/* Models whose llama.cpp size class is "70B": their attn_v gets Q5_K instead
 * of Q3_K/Q4_K (8 query heads share each V head there). */
static bool is_70b(const quant_model *m) {
    static const char *const arch_70b_at_80_layers[] = {"deci", "qwen2", "qwen2vl", "olmo"};
    if (m->n_layer != 80)
        return false;
    if (strcmp(m->arch, "llama") == 0)
        return m->n_expert != 8 && m->n_head != m->n_head_kv; /* equal heads: 65B */
    for (size_t i = 0; i < sizeof arch_70b_at_80_layers / sizeof arch_70b_at_80_layers[0]; i++)
        if (strcmp(m->arch, arch_70b_at_80_layers[i]) == 0)
            return true;
    return false;
}

/* State that advances as tensors are visited in processing order. */
typedef struct plan_state {
    const quant_preset *preset;
    const quant_model *model;
    bool has_output;
    int64_t n_attention_wv; /* attn_v + attn_qkv + attn_kv_b tensors in the file */
    int64_t i_attention_wv; /* attn_v tensors visited so far */
    int64_t i_ffn_down;     /* ffn_down tensors visited so far */
} plan_state;

static unsigned conditions(const plan_state *s, int64_t pos, int64_t n) {
    const quant_model *m = s->model;
    int64_t gqa = m->n_head_kv > 0 ? m->n_head / m->n_head_kv : 0;
    bool falcon = strcmp(m->arch, "falcon") == 0;
    unsigned c = 0;
    c |= gqa >= 4 ? C_GQA4 : 0;
    c |= pos < 2 ? C_POS_LT2 : 0;
    c |= pos < 4 ? C_POS_LT4 : 0;
    c |= pos < n / 8 ? C_FIRST_8TH : 0;
    c |= pos < n / 16 ? C_FIRST_16TH : 0;
    c |= quant_use_more_bits(pos, n) ? C_MORE_BITS : 0;
    c |= falcon ? C_FALCON : C_NOT_FALCON;
    c |= m->n_expert == 8 ? C_EXPERT8 : C_NOT_EXPERT8;
    return c;
}

/* "blk.N." -> N, else -1 (what llama.cpp's name parsing yields). */
static int64_t layer_of(const char *name) {
    if (strncmp(name, "blk.", 4) != 0)
        return -1;
    char *end;
    long v = strtol(name + 4, &end, 10);
    if (end == name + 4)
        return -1;
    return v;
}

/* The type llama-quantize's per-tensor rules give a weight matrix, before the
 * row-length fallbacks. */
static hearth_status rule_type(plan_state *s, const quant_tensor *t, uint32_t *type,
                               hearth_errbuf *err) {
    const quant_preset *p = s->preset;
    const quant_model *m = s->model;
    uint32_t chosen = p->default_type;
    role r = role_of(t->name, s->has_output);

    if (r == ROLE_OUTPUT) {
        /* The output matrix is the most sensitive: Q6_K unless the preset is
         * Q8_0; Q8_0 when its rows do not fit the preset's blocks (and always
         * for falcon). */
        uint32_t bs = block_size(p->default_type);
        if (strcmp(m->arch, "falcon") == 0 || t->ne[0] % bs != 0)
            chosen = HEARTH_TYPE_Q8_0;
        else if (p->default_type != HEARTH_TYPE_Q8_0)
            chosen = HEARTH_TYPE_Q6_K;
        *type = chosen;
        return HEARTH_OK;
    }

    /* Position among the tensors of its kind, for the layer-dependent rules. */
    int64_t pos = 0, n = 0;
    if (r == ROLE_ATTN_V) {
        pos = s->i_attention_wv;
        n = s->n_attention_wv;
    } else if (r == ROLE_FFN_DOWN) {
        pos = s->i_ffn_down;
        n = m->n_layer;
        /* With experts the ffn_down tensors of one layer are not adjacent,
         * so the layer comes from the name. */
        if (m->n_expert > 1) {
            pos = layer_of(t->name);
            if (pos < 0 || pos >= n)
                return hearth_fail(err, HEARTH_ERR_FORMAT,
                                   "tensor '%s': cannot tell its layer (block_count %lld)",
                                   t->name, (long long)n);
        }
    }

    unsigned have = conditions(s, pos, n);
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        const type_rule *rule = &rules[i];
        if (rule->r == r && (rule->ftypes & (UINT64_C(1) << p->ftype)) &&
            (rule->when & have) == rule->when) {
            chosen = rule->type;
            break;
        }
    }

    if (r == ROLE_ATTN_V) {
        if (is_70b(m) && (chosen == HEARTH_TYPE_Q3_K || chosen == HEARTH_TYPE_Q4_K))
            chosen = HEARTH_TYPE_Q5_K;
        if (m->n_expert == 8) /* cheap on 8-expert models: attn_v is shared */
            chosen = HEARTH_TYPE_Q8_0;
        s->i_attention_wv++;
    } else if (r == ROLE_FFN_DOWN) {
        s->i_ffn_down++;
    }
    *type = chosen;
    return HEARTH_OK;
}

/* Applies the row-length fallbacks; returns the usable type. */
static uint32_t fit_row_length(uint32_t type, int64_t ne0, bool *fell_back) {
    *fell_back = false;
    if (ne0 % block_size(type) == 0)
        return type;
    *fell_back = true;
    /* Types without a listed fallback (the 32-blocks) go straight to F16;
     * llama-quantize stops with "Unsupported tensor size" there instead. */
    uint32_t next = HEARTH_TYPE_F16;
    for (size_t i = 0; i < sizeof fallbacks / sizeof fallbacks[0]; i++)
        if (fallbacks[i].from == type)
            next = fallbacks[i].to;
    if (ne0 % block_size(next) != 0)
        next = HEARTH_TYPE_F16;
    return next;
}

/* ==== Processing order ==================================================== */

typedef struct order_key {
    int64_t index;
    int64_t layer; /* -1 outside blocks */
    const char *name;
} order_key;

/* llama.cpp keeps tensors in a map ordered by (layer, name). */
static int order_cmp(const void *a, const void *b) {
    const order_key *x = a, *y = b;
    if (x->layer != y->layer)
        return x->layer < y->layer ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* ==== The plan ============================================================ */

hearth_status quant_plan(const quant_preset *preset, const quant_model *model, quant_tensor *t,
                         int64_t n, int64_t *order, hearth_log_fn log_fn, void *log_user,
                         hearth_errbuf *err) {
    plan_state s = {.preset = preset, .model = model};
    for (int64_t i = 0; i < n; i++) {
        const char *name = t[i].name;
        if (strstr(name, "attn_v.weight") || strstr(name, "attn_qkv.weight") ||
            strstr(name, "attn_kv_b.weight"))
            s.n_attention_wv++;
        else if (strcmp(name, "output.weight") == 0)
            s.has_output = true;
    }

    order_key *keys = malloc((size_t)(n > 0 ? n : 1) * sizeof *keys);
    if (!keys)
        return hearth_fail(err, HEARTH_ERR_NOMEM, "quantize: no memory for %lld tensors",
                           (long long)n);
    for (int64_t i = 0; i < n; i++)
        keys[i] = (order_key){i, layer_of(t[i].name), t[i].name};
    qsort(keys, (size_t)n, sizeof *keys, order_cmp);
    for (int64_t i = 0; i < n; i++)
        order[i] = keys[i].index;
    free(keys);

    bool preset_quantized = hearth_type_traits_of((int)preset->default_type)->quantized;
    for (int64_t k = 0; k < n; k++) {
        quant_tensor *x = &t[order[k]];
        x->dst_type = x->src_type;
        x->convert = false;
        x->fallback = false;
        if (!is_weight_matrix(x))
            continue;
        uint32_t type = preset->default_type;
        if (preset_quantized) {
            HEARTH_TRY(rule_type(&s, x, &type, err));
            uint32_t fitted = fit_row_length(type, x->ne[0], &x->fallback);
            if (x->fallback)
                hearth_log(log_fn, log_user, HEARTH_LOG_WARN,
                           "%s: row length %lld is not a multiple of %u (%s): using %s",
                           x->name, (long long)x->ne[0], block_size(type),
                           type_name(type), type_name(fitted));
            type = fitted;
        }
        /* A tensor already in the target type is copied as it is. */
        if (type == x->src_type)
            continue;
        if (x->src_type != HEARTH_TYPE_F32 && x->src_type != HEARTH_TYPE_F16 &&
            x->src_type != HEARTH_TYPE_BF16)
            return hearth_fail(err, HEARTH_ERR_UNSUPPORTED,
                               "tensor '%s' is %s: only F32, F16 and BF16 tensors can be "
                               "quantized (requantizing is not supported)",
                               x->name, type_name(x->src_type));
        x->dst_type = type;
        x->convert = true;
    }
    return HEARTH_OK;
}
