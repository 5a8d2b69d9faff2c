/* synth_model.c - synthetic llama GGUF writer (random weights, small vocab).
 *
 * Used by the model tests, `make demo` and the benchmarks. Weights are drawn
 * from a seeded generator keyed by tensor name, so the same seed gives the
 * same float weights in every type. Converters for F32/F16/BF16/Q8_0/Q4_0 are
 * written here from the GGUF block layouts; other types need p->quantize.
 * Uses only the public API.
 */
#include <math.h>   /* sqrt, log, cos, fabsf, roundf */
#include <stdio.h>  /* snprintf */
#include <stdlib.h> /* malloc, free */
#include <string.h> /* strcmp, strncmp, memcpy */

#include "synth_model.h"

synth_model_params synth_model_default_params(void) {
    synth_model_params p;
    memset(&p, 0, sizeof p);
    p.n_embd = 64;
    p.n_layer = 2;
    p.n_ff = 172;
    p.n_head = 4;
    p.n_head_kv = 2;
    p.n_ctx_train = 256;
    p.n_vocab = 320;
    p.type = 0; /* F32 */
    p.embd_type = 0;
    p.rope_base = 10000.0f;
    p.rms_eps = 1e-5f;
    p.weight_std = 0.02f;
    p.seed = 1;
    return p;
}

/* ---- Random numbers (splitmix64 + Box-Muller) --------------------------- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *r) {
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double rng_normal(rng *r) {
    double u1 = ((double)(rng_next(r) >> 11) + 1.0) / 9007199254740993.0; /* (0, 1] */
    double u2 = (double)(rng_next(r) >> 11) / 9007199254740992.0;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static uint64_t hash_name(const char *s) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* ---- Converters (GGUF layouts) ------------------------------------------ */

static uint16_t f32_to_f16(float f) { /* IEEE binary16, round to nearest even */
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u, exp = (x >> 23) & 0xffu, man = x & 0x7fffffu;
    if (exp == 0xffu)
        return (uint16_t)(sign | 0x7c00u | (man ? 0x200u : 0));
    int e = (int)exp - 127 + 15;
    if (e >= 31)
        return (uint16_t)(sign | 0x7c00u);
    if (e <= 0) { /* subnormal or zero */
        if (e < -10)
            return (uint16_t)sign;
        man |= 0x800000u;
        int shift = 14 - e;
        uint32_t half = man >> shift, rem = man & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1)))
            half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = sign | ((uint32_t)e << 10) | (man >> 13), rem = man & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (half & 1)))
        half++; /* a carry into the exponent is the correct rounding */
    return (uint16_t)half;
}

static uint16_t f32_to_bf16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((x >> 16) | 0x40u); /* quiet NaN */
    return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

static void put_f16(uint8_t *dst, float f) {
    uint16_t h = f32_to_f16(f);
    dst[0] = (uint8_t)h;
    dst[1] = (uint8_t)(h >> 8);
}

/* Q8_0: 32 values -> f16 d = amax / 127, int8 q = round(x / d). 34 bytes. */
static void to_q8_0(const float *x, uint8_t *dst, int64_t n) {
    for (int64_t b = 0; b < n / 32; b++, x += 32, dst += 34) {
        float amax = 0.0f;
        for (int i = 0; i < 32; i++)
            amax = fabsf(x[i]) > amax ? fabsf(x[i]) : amax;
        float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        put_f16(dst, d);
        for (int i = 0; i < 32; i++)
            dst[2 + i] = (uint8_t)(int8_t)roundf(x[i] * id);
    }
}

/* Q4_0: 32 values -> f16 d = max / -8 (max: the value of largest magnitude),
 * q = x / d + 8 in 0..15; value j in the low nibble of byte j, j+16 in the high. */
static void to_q4_0(const float *x, uint8_t *dst, int64_t n) {
    for (int64_t b = 0; b < n / 32; b++, x += 32, dst += 18) {
        float amax = 0.0f, max = 0.0f;
        for (int i = 0; i < 32; i++)
            if (fabsf(x[i]) > amax) {
                amax = fabsf(x[i]);
                max = x[i];
            }
        float d = max / -8.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        put_f16(dst, d);
        for (int j = 0; j < 16; j++) {
            float a = x[j] * id + 8.5f, c = x[j + 16] * id + 8.5f;
            int q0 = a < 15.0f ? (int)a : 15, q1 = c < 15.0f ? (int)c : 15;
            dst[2 + j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

static bool convert(const synth_model_params *p, uint32_t type, const float *x, void *dst,
                    int64_t n) {
    switch (type) {
    case 0: /* F32 */
        memcpy(dst, x, (size_t)n * sizeof(float));
        return true;
    case 1: /* F16 */
        for (int64_t i = 0; i < n; i++)
            put_f16((uint8_t *)dst + 2 * i, x[i]);
        return true;
    case 30: /* BF16 */
        for (int64_t i = 0; i < n; i++) {
            uint16_t h = f32_to_bf16(x[i]);
            ((uint8_t *)dst)[2 * i] = (uint8_t)h;
            ((uint8_t *)dst)[2 * i + 1] = (uint8_t)(h >> 8);
        }
        return true;
    case 8: /* Q8_0 */
        to_q8_0(x, dst, n);
        return true;
    case 2: /* Q4_0 */
        to_q4_0(x, dst, n);
        return true;
    default:
        return p->quantize && p->quantize(type, x, dst, n);
    }
}

/* ---- Tensor list -------------------------------------------------------- */

typedef struct tdesc {
    char name[64];
    uint32_t type;
    int64_t cols, rows; /* rows 0: a vector */
    bool norm;          /* values 1 + N(0, 0.1) instead of N(0, std) */
    bool freqs;         /* rope divisors: 1 + i / 4 for pair i */
} tdesc;

static int list_tensors(const synth_model_params *p, int32_t n_vocab, tdesc *t) {
    int n = 0;
    const int64_t kv_dim = (int64_t)p->n_embd / p->n_head * p->n_head_kv;
#define ADD(nm, ty, c, r, nrm)                                                                \
    do {                                                                                      \
        snprintf(t[n].name, sizeof t[n].name, "%s", nm);                                     \
        t[n].type = ty, t[n].cols = c, t[n].rows = r, t[n].norm = nrm;                         \
        n++;                                                                                  \
    } while (0)
    ADD("token_embd.weight", p->embd_type, p->n_embd, n_vocab, false);
    ADD("output_norm.weight", 0, p->n_embd, 0, true);
    if (!p->tied)
        ADD("output.weight", p->type, p->n_embd, n_vocab, false);
    if (p->rope_freqs) {
        ADD("rope_freqs.weight", 0, p->n_embd / p->n_head / 2, 0, false);
        t[n - 1].freqs = true;
    }
    char nm[64];
    for (int l = 0; l < p->n_layer; l++) {
#define LAYER(suffix, ty, c, r, nrm)                                                          \
    do {                                                                                      \
        snprintf(nm, sizeof nm, "blk.%d.%s.weight", l, suffix);                              \
        ADD(nm, ty, c, r, nrm);                                                               \
    } while (0)
        LAYER("attn_norm", 0, p->n_embd, 0, true);
        LAYER("attn_q", p->type, p->n_embd, p->n_embd, false);
        LAYER("attn_k", p->type, p->n_embd, kv_dim, false);
        LAYER("attn_v", p->type, p->n_embd, kv_dim, false);
        LAYER("attn_output", p->type, p->n_embd, p->n_embd, false);
        LAYER("ffn_norm", 0, p->n_embd, 0, true);
        LAYER("ffn_gate", p->type, p->n_embd, p->n_ff, false);
        LAYER("ffn_up", p->type, p->n_embd, p->n_ff, false);
        LAYER("ffn_down", p->type, p->n_ff, p->n_embd, false);
#undef LAYER
    }
#undef ADD
    return n;
}

/* ---- Vocabulary --------------------------------------------------------- */

/* A SentencePiece ("llama") vocabulary: <unk> <s> </s>, the 256 byte tokens,
 * "▁", printable ASCII characters, "▁" + letter, then "▁w<i>" fillers. Byte
 * fallback makes any text tokenizable. */
static hearth_status write_builtin_vocab(hearth_gguf_writer *w, int32_t n_vocab) {
    char (*text)[16] = calloc((size_t)n_vocab, sizeof *text);
    const char **strs = calloc((size_t)n_vocab, sizeof *strs);
    float *scores = calloc((size_t)n_vocab, sizeof *scores);
    int32_t *types = calloc((size_t)n_vocab, sizeof *types);
    hearth_status st = HEARTH_ERR_NOMEM;
    if (!text || !strs || !scores || !types)
        goto out;
    int32_t i = 0;
    strcpy(text[i], "<unk>"), types[i++] = 2;
    strcpy(text[i], "<s>"), types[i++] = 3;
    strcpy(text[i], "</s>"), types[i++] = 3;
    for (int b = 0; b < 256; b++)
        snprintf(text[i], 16, "<0x%02X>", b), types[i++] = 6;
    strcpy(text[i], "\xe2\x96\x81"), scores[i] = -1.0f, types[i++] = 1;
    for (int ch = 0x21; ch < 0x7f && i < n_vocab; ch++)
        text[i][0] = (char)ch, scores[i] = -2.0f - (float)ch, types[i++] = 1;
    const char *letters = "etaoinshrdlucmfwypvbgkqjxzETAOINSHRDLUCMFWYPVBGKQJXZ";
    for (const char *l = letters; *l && i < n_vocab; l++)
        snprintf(text[i], 16, "\xe2\x96\x81%c", *l), scores[i] = -0.5f, types[i++] = 1;
    for (int k = 0; i < n_vocab; k++)
        snprintf(text[i], 16, "\xe2\x96\x81w%d", k), scores[i] = -200.0f - (float)k,
                                                     types[i++] = 1;
    for (int32_t j = 0; j < n_vocab; j++)
        strs[j] = text[j];
    if ((st = hearth_gguf_writer_set_str(w, "tokenizer.ggml.model", "llama", 5)) ||
        (st = hearth_gguf_writer_set_str_array(w, "tokenizer.ggml.tokens", strs, NULL,
                                               (uint64_t)n_vocab)) ||
        (st = hearth_gguf_writer_set_array(w, "tokenizer.ggml.scores", HEARTH_GGUF_FLOAT32,
                                           scores, (uint64_t)n_vocab)) ||
        (st = hearth_gguf_writer_set_array(w, "tokenizer.ggml.token_type", HEARTH_GGUF_INT32,
                                           types, (uint64_t)n_vocab)) ||
        (st = hearth_gguf_writer_set_u32(w, "tokenizer.ggml.bos_token_id", 1)) ||
        (st = hearth_gguf_writer_set_u32(w, "tokenizer.ggml.eos_token_id", 2)) ||
        (st = hearth_gguf_writer_set_u32(w, "tokenizer.ggml.unknown_token_id", 0)) ||
        (st = hearth_gguf_writer_set_bool(w, "tokenizer.ggml.add_bos_token", true)) ||
        (st = hearth_gguf_writer_set_bool(w, "tokenizer.ggml.add_eos_token", false)))
        goto out;
    st = HEARTH_OK;
out:
    free(text);
    free(strs);
    free(scores);
    free(types);
    return st;
}

/* Copies every tokenizer.* key of `path`; the vocabulary size comes back in *n_vocab. */
static hearth_status copy_vocab(hearth_gguf_writer *w, const char *path, int32_t *n_vocab) {
    hearth_gguf *g;
    hearth_status st = hearth_gguf_open(path, NULL, &g);
    if (st)
        return st;
    hearth_gguf_value tokens;
    st = hearth_gguf_get_array(g, "tokenizer.ggml.tokens", &tokens);
    if (st == HEARTH_OK)
        *n_vocab = (int32_t)tokens.v.arr.count;
    for (int64_t i = 0; st == HEARTH_OK && i < hearth_gguf_n_kv(g); i++) {
        const char *key = hearth_gguf_key(g, i);
        hearth_gguf_value v;
        if (strncmp(key, "tokenizer.", 10) != 0)
            continue;
        st = hearth_gguf_value_at(g, i, &v);
        if (st == HEARTH_OK)
            st = hearth_gguf_writer_set_value(w, key, &v);
    }
    hearth_gguf_close(g);
    return st;
}

/* ---- Writer ------------------------------------------------------------- */

static hearth_status write_meta(hearth_gguf_writer *w, const synth_model_params *p,
                                const char *arch, int32_t *n_vocab) {
    char key[96];
    hearth_status st;
#define KEY(suffix) (snprintf(key, sizeof key, "%s.%s", arch, suffix), key)
    if ((st = hearth_gguf_writer_set_str(w, "general.architecture", arch, strlen(arch))) ||
        (st = hearth_gguf_writer_set_str(w, "general.name", "hearth synthetic (random weights)",
                                         33)) ||
        (st = hearth_gguf_writer_set_u32(w, KEY("context_length"), (uint32_t)p->n_ctx_train)) ||
        (st = hearth_gguf_writer_set_u32(w, KEY("embedding_length"), (uint32_t)p->n_embd)) ||
        (st = hearth_gguf_writer_set_u32(w, KEY("block_count"), (uint32_t)p->n_layer)) ||
        (st = hearth_gguf_writer_set_u32(w, KEY("feed_forward_length"), (uint32_t)p->n_ff)) ||
        (st = hearth_gguf_writer_set_u32(w, KEY("attention.head_count"), (uint32_t)p->n_head)) ||
        (st = hearth_gguf_writer_set_u32(w, KEY("attention.head_count_kv"),
                                         (uint32_t)p->n_head_kv)) ||
        (st = hearth_gguf_writer_set_u32(w, KEY("rope.dimension_count"),
                                         (uint32_t)(p->n_embd / p->n_head))) ||
        (st = hearth_gguf_writer_set_f32(w, KEY("attention.layer_norm_rms_epsilon"),
                                         p->rms_eps)))
        return st;
    if (p->rope_base > 0.0f &&
        (st = hearth_gguf_writer_set_f32(w, KEY("rope.freq_base"), p->rope_base)))
        return st;
    if (p->rope_scale_linear > 0.0f &&
        ((st = hearth_gguf_writer_set_str(w, KEY("rope.scaling.type"), "linear", 6)) ||
         (st = hearth_gguf_writer_set_f32(w, KEY("rope.scaling.factor"), p->rope_scale_linear))))
        return st;
#undef KEY
    if (p->vocab_path)
        return copy_vocab(w, p->vocab_path, n_vocab);
    *n_vocab = p->n_vocab;
    return write_builtin_vocab(w, p->n_vocab);
}

static hearth_status write_data(hearth_gguf_writer *w, const synth_model_params *p,
                                const tdesc *t, int n_t) {
    int64_t max_cols = 0;
    for (int i = 0; i < n_t; i++)
        max_cols = t[i].cols > max_cols ? t[i].cols : max_cols;
    float *row = malloc((size_t)max_cols * sizeof(float));
    void *conv = malloc((size_t)max_cols * sizeof(float));
    hearth_status st = row && conv ? HEARTH_OK : HEARTH_ERR_NOMEM;
    for (int i = 0; st == HEARTH_OK && i < n_t; i++) {
        rng r = {p->seed * 0x2545F4914F6CDD1Dull ^ hash_name(t[i].name)};
        int64_t rows = t[i].rows ? t[i].rows : 1;
        if (t[i].rows && p->misshape_tensor && strcmp(p->misshape_tensor, t[i].name) == 0)
            rows++;
        size_t bytes = (size_t)(t[i].cols / hearth_type_block_size(t[i].type)) *
                       hearth_type_block_bytes(t[i].type);
        for (int64_t rr = 0; st == HEARTH_OK && rr < rows; rr++) {
            for (int64_t c = 0; c < t[i].cols; c++) {
                double z = rng_normal(&r);
                row[c] = t[i].norm ? (float)(1.0 + 0.1 * z) : (float)(p->weight_std * z);
                if (t[i].freqs)
                    row[c] = 1.0f + (float)c / 4.0f;
            }
            if (!convert(p, t[i].type, row, conv, t[i].cols))
                st = HEARTH_ERR_UNSUPPORTED;
            else
                st = hearth_gguf_writer_write(w, conv, bytes);
        }
    }
    free(row);
    free(conv);
    return st;
}

hearth_status synth_model_write(const char *path, const synth_model_params *p) {
    const char *arch = p->arch ? p->arch : "llama";
    if (p->n_head <= 0 || p->n_head_kv <= 0 || p->n_embd % p->n_head != 0 ||
        (!p->vocab_path && p->n_vocab < 300))
        return HEARTH_ERR_INVALID_ARG;
    tdesc *t = calloc((size_t)(4 + 9 * p->n_layer), sizeof *t);
    if (!t)
        return HEARTH_ERR_NOMEM;
    hearth_gguf_writer *w = NULL;
    int32_t n_vocab = 0;
    hearth_status st = hearth_gguf_writer_create(path, &w);
    if (st == HEARTH_OK)
        st = write_meta(w, p, arch, &n_vocab);
    int n_t = list_tensors(p, n_vocab, t), n_written = 0;
    for (int i = 0; st == HEARTH_OK && i < n_t; i++) {
        if (p->omit_tensor && strcmp(p->omit_tensor, t[i].name) == 0)
            continue;
        int64_t ne[2] = {t[i].cols, t[i].rows ? t[i].rows : 1};
        if (t[i].rows && p->misshape_tensor && strcmp(p->misshape_tensor, t[i].name) == 0)
            ne[1]++;
        st = hearth_gguf_writer_add_tensor(w, t[i].name, t[i].type, t[i].rows ? 2 : 1, ne);
        t[n_written++] = t[i];
    }
    if (st == HEARTH_OK)
        st = write_data(w, p, t, n_written);
    if (st == HEARTH_OK)
        st = hearth_gguf_writer_finish(w);
    hearth_gguf_writer_free(w);
    free(t);
    return st;
}
