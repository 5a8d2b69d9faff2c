/* synth_model.c - synthetic Llama GGUF files with random weights (see synth_model.h).
 *
 * Quantized weights are written as random blocks directly (random nibbles or
 * int8 values with a small random scale), not quantized from floats: random
 * bits are as good as any for timing, and it makes a 600 MiB file in a second.
 * Float weights are N(0, 0.02)-ish, norms 1 +- small noise, so activations stay
 * finite through 22 layers.
 */
#include "synth_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GGUF tensor type ids (CONVENTIONS §4). */
enum { T_F32 = 0, T_F16 = 1, T_Q4_0 = 2, T_Q8_0 = 8 };
/* llama.cpp's general.file_type values for those "mostly" types. */
enum { FT_ALL_F32 = 0, FT_MOSTLY_F16 = 1, FT_MOSTLY_Q4_0 = 2, FT_MOSTLY_Q8_0 = 7 };

#define TRY(expr)                                                                          \
    do {                                                                                   \
        hearth_status try_st_ = (expr);                                                    \
        if (try_st_ != HEARTH_OK)                                                          \
            return try_st_;                                                                \
    } while (0)

synth_shape synth_tinyllama_shape(void) {
    synth_shape s = {2048, 22, 5632, 32, 4, 32000, 2048};
    return s;
}

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *r) {
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}

/* Roughly N(0, 1): sum of four uniforms, rescaled (enough for random weights). */
static float rng_normalish(rng *r) {
    uint64_t x = rng_next(r);
    float s = 0;
    for (int k = 0; k < 4; k++)
        s += (float)((x >> (16 * k)) & 0xFFFF) / 65536.0f;
    return (s - 2.0f) * 1.7320508f;
}

/* float -> IEEE half, round to nearest even; normal range only (our values are). */
static uint16_t to_half(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    int32_t exp = (int32_t)((x >> 23) & 0xFF) - 127 + 15;
    uint32_t mant = x & 0x7FFFFF;
    if (exp <= 0)
        return (uint16_t)sign; /* flush tiny values to zero */
    if (exp >= 31)
        return (uint16_t)(sign | 0x7BFF); /* clamp to the largest finite half */
    uint32_t h = sign | ((uint32_t)exp << 10) | (mant >> 13);
    uint32_t rest = mant & 0x1FFF;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
        h++;
    return (uint16_t)h;
}

/* Bytes of one row of n values in the given type. */
static uint64_t row_bytes(uint32_t type, int64_t n) {
    switch (type) {
    case T_F32: return (uint64_t)n * 4;
    case T_F16: return (uint64_t)n * 2;
    case T_Q4_0: return (uint64_t)n / 32 * 18;
    case T_Q8_0: return (uint64_t)n / 32 * 34;
    default: return 0;
    }
}

/* Fills one row of random data of the given type. */
static void fill_row(uint8_t *dst, uint32_t type, int64_t n, rng *r, int is_norm) {
    switch (type) {
    case T_F32: {
        float *f = (float *)dst;
        for (int64_t i = 0; i < n; i++)
            f[i] = is_norm ? 1.0f + 0.05f * rng_normalish(r) : 0.02f * rng_normalish(r);
        break;
    }
    case T_F16: {
        uint16_t *h = (uint16_t *)dst;
        for (int64_t i = 0; i < n; i++)
            h[i] = to_half(0.02f * rng_normalish(r));
        break;
    }
    case T_Q4_0: /* d (f16) then 16 bytes of nibbles; value = d * (q - 8), std(q) ~ 4.6 */
        for (int64_t b = 0; b < n / 32; b++) {
            uint8_t *blk = dst + b * 18;
            uint16_t d = to_half(0.0043f * (0.75f + 0.5f * (float)(rng_next(r) & 0xFF) / 255.0f));
            memcpy(blk, &d, 2);
            uint64_t q0 = rng_next(r), q1 = rng_next(r);
            memcpy(blk + 2, &q0, 8);
            memcpy(blk + 10, &q1, 8);
        }
        break;
    case T_Q8_0: /* d (f16) then 32 int8; uniform int8 has std ~ 74 */
        for (int64_t b = 0; b < n / 32; b++) {
            uint8_t *blk = dst + b * 34;
            uint16_t d = to_half(0.00027f * (0.75f + 0.5f * (float)(rng_next(r) & 0xFF) / 255.0f));
            memcpy(blk, &d, 2);
            for (int k = 0; k < 4; k++) {
                uint64_t q = rng_next(r);
                memcpy(blk + 2 + 8 * k, &q, 8);
            }
        }
        break;
    default:
        break;
    }
}

typedef struct tensor_plan {
    char name[64];
    uint32_t type;
    int64_t ne0, ne1; /* ne1 = 1 for vectors */
    int is_norm;
} tensor_plan;

static int plan_tensors(tensor_plan *t, const synth_shape *s, uint32_t wtype) {
    int n = 0;
    const int64_t head_dim = s->n_embd / s->n_head, n_kv = head_dim * s->n_head_kv;
#define ADD(NAME, TYPE, NE0, NE1, NORM)                                                    \
    do {                                                                                   \
        snprintf(t[n].name, sizeof t[n].name, "%s", NAME);                                 \
        t[n].type = (TYPE);                                                                \
        t[n].ne0 = (NE0);                                                                  \
        t[n].ne1 = (NE1);                                                                  \
        t[n].is_norm = (NORM);                                                             \
        n++;                                                                               \
    } while (0)
    ADD("token_embd.weight", wtype, s->n_embd, s->n_vocab, 0);
    ADD("output_norm.weight", T_F32, s->n_embd, 1, 1);
    ADD("output.weight", wtype, s->n_embd, s->n_vocab, 0);
    char name[64];
    for (int64_t l = 0; l < s->n_layer; l++) {
#define LAYER(SUFFIX, TYPE, NE0, NE1, NORM)                                                \
    do {                                                                                   \
        snprintf(name, sizeof name, "blk.%lld.%s", (long long)l, SUFFIX);                  \
        ADD(name, TYPE, NE0, NE1, NORM);                                                   \
    } while (0)
        LAYER("attn_norm.weight", T_F32, s->n_embd, 1, 1);
        LAYER("attn_q.weight", wtype, s->n_embd, s->n_embd, 0);
        LAYER("attn_k.weight", wtype, s->n_embd, n_kv, 0);
        LAYER("attn_v.weight", wtype, s->n_embd, n_kv, 0);
        LAYER("attn_output.weight", wtype, s->n_embd, s->n_embd, 0);
        LAYER("ffn_norm.weight", T_F32, s->n_embd, 1, 1);
        LAYER("ffn_gate.weight", wtype, s->n_embd, s->n_ff, 0);
        LAYER("ffn_up.weight", wtype, s->n_embd, s->n_ff, 0);
        LAYER("ffn_down.weight", wtype, s->n_ff, s->n_embd, 0);
#undef LAYER
    }
#undef ADD
    return n;
}

/* The vocabulary: SentencePiece layout, pieces made unique by their index. */
static hearth_status write_vocab(hearth_gguf_writer *w, int64_t n_vocab) {
    char **tokens = calloc((size_t)n_vocab, sizeof *tokens);
    float *scores = calloc((size_t)n_vocab, sizeof *scores);
    int32_t *types = calloc((size_t)n_vocab, sizeof *types);
    char *text = calloc((size_t)n_vocab, 24);
    hearth_status st = HEARTH_ERR_NOMEM;
    if (tokens && scores && types && text) {
        for (int64_t i = 0; i < n_vocab; i++) {
            char *p = text + i * 24;
            tokens[i] = p;
            if (i == 0) {
                strcpy(p, "<unk>");
                types[i] = 2; /* unknown */
            } else if (i == 1 || i == 2) {
                strcpy(p, i == 1 ? "<s>" : "</s>");
                types[i] = 3; /* control */
            } else if (i < 3 + 256) {
                snprintf(p, 24, "<0x%02X>", (unsigned)(i - 3));
                types[i] = 6; /* byte */
            } else {
                snprintf(p, 24, "\xe2\x96\x81t%u", (unsigned)i); /* "▁t<i>" */
                types[i] = 1; /* normal */
            }
            scores[i] = -(float)i;
        }
        st = hearth_gguf_writer_set_str(w, "tokenizer.ggml.model", "llama", 5);
        if (st == HEARTH_OK)
            st = hearth_gguf_writer_set_str_array(w, "tokenizer.ggml.tokens",
                                                  (const char *const *)tokens, NULL,
                                                  (uint64_t)n_vocab);
        if (st == HEARTH_OK)
            st = hearth_gguf_writer_set_array(w, "tokenizer.ggml.scores", HEARTH_GGUF_FLOAT32,
                                              scores, (uint64_t)n_vocab);
        if (st == HEARTH_OK)
            st = hearth_gguf_writer_set_array(w, "tokenizer.ggml.token_type", HEARTH_GGUF_INT32,
                                              types, (uint64_t)n_vocab);
        if (st == HEARTH_OK)
            st = hearth_gguf_writer_set_u32(w, "tokenizer.ggml.bos_token_id", 1);
        if (st == HEARTH_OK)
            st = hearth_gguf_writer_set_u32(w, "tokenizer.ggml.eos_token_id", 2);
        if (st == HEARTH_OK)
            st = hearth_gguf_writer_set_u32(w, "tokenizer.ggml.unknown_token_id", 0);
    }
    free(tokens);
    free(scores);
    free(types);
    free(text);
    return st;
}

static hearth_status write_metadata(hearth_gguf_writer *w, const synth_shape *s, uint32_t wtype) {
    uint32_t ftype = wtype == T_F16    ? FT_MOSTLY_F16
                     : wtype == T_Q4_0 ? FT_MOSTLY_Q4_0
                     : wtype == T_Q8_0 ? FT_MOSTLY_Q8_0
                                       : FT_ALL_F32;
    TRY(hearth_gguf_writer_set_str(w, "general.architecture", "llama", 5));
    TRY(hearth_gguf_writer_set_str(w, "general.name", "hearth-synthetic", 16));
    TRY(hearth_gguf_writer_set_u32(w, "general.file_type", ftype));
    if (wtype == T_Q4_0 || wtype == T_Q8_0)
        TRY(hearth_gguf_writer_set_u32(w, "general.quantization_version", 2));
    TRY(hearth_gguf_writer_set_u32(w, "llama.context_length", (uint32_t)s->n_ctx_train));
    TRY(hearth_gguf_writer_set_u32(w, "llama.embedding_length", (uint32_t)s->n_embd));
    TRY(hearth_gguf_writer_set_u32(w, "llama.block_count", (uint32_t)s->n_layer));
    TRY(hearth_gguf_writer_set_u32(w, "llama.feed_forward_length", (uint32_t)s->n_ff));
    TRY(hearth_gguf_writer_set_u32(w, "llama.attention.head_count", (uint32_t)s->n_head));
    TRY(
        hearth_gguf_writer_set_u32(w, "llama.attention.head_count_kv", (uint32_t)s->n_head_kv));
    TRY(hearth_gguf_writer_set_u32(w, "llama.rope.dimension_count",
                                                (uint32_t)(s->n_embd / s->n_head)));
    TRY(hearth_gguf_writer_set_f32(w, "llama.rope.freq_base", 10000.0f));
    TRY(hearth_gguf_writer_set_f32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f));
    TRY(hearth_gguf_writer_set_u32(w, "llama.vocab_size", (uint32_t)s->n_vocab));
    return write_vocab(w, s->n_vocab);
}

hearth_status synth_write_llama(const char *path, const synth_shape *shape, uint32_t weight_type,
                                uint64_t seed, int verbose) {
    if (weight_type != T_F32 && weight_type != T_F16 && weight_type != T_Q4_0 &&
        weight_type != T_Q8_0)
        return HEARTH_ERR_INVALID_ARG;
    int max_tensors = 3 + 9 * (int)shape->n_layer;
    tensor_plan *plan = calloc((size_t)max_tensors, sizeof *plan);
    char *tmp = malloc(strlen(path) + 5);
    if (!plan || !tmp) {
        free(plan);
        free(tmp);
        return HEARTH_ERR_NOMEM;
    }
    sprintf(tmp, "%s.tmp", path);
    int n = plan_tensors(plan, shape, weight_type);
    hearth_gguf_writer *w = NULL;
    hearth_status st = hearth_gguf_writer_create(tmp, &w);
    if (st == HEARTH_OK)
        st = write_metadata(w, shape, weight_type);
    for (int i = 0; i < n && st == HEARTH_OK; i++) {
        int64_t ne[2] = {plan[i].ne0, plan[i].ne1};
        st = hearth_gguf_writer_add_tensor(w, plan[i].name, plan[i].type, plan[i].ne1 > 1 ? 2 : 1,
                                           ne);
    }
    uint8_t *row = NULL;
    size_t row_cap = 0;
    rng r = {seed ? seed : 0x853C49E6748FEA9Bull};
    for (int i = 0; i < n && st == HEARTH_OK; i++) {
        uint64_t rb = row_bytes(plan[i].type, plan[i].ne0);
        /* A few rows per write: fewer calls, bounded memory. */
        int64_t rows_per_chunk = rb > (1u << 20) ? 1 : (int64_t)((1u << 20) / rb);
        size_t need = (size_t)(rb * (uint64_t)rows_per_chunk);
        if (need > row_cap) {
            free(row);
            row = malloc(need);
            row_cap = row ? need : 0;
            if (!row) {
                st = HEARTH_ERR_NOMEM;
                break;
            }
        }
        for (int64_t r0 = 0; r0 < plan[i].ne1 && st == HEARTH_OK; r0 += rows_per_chunk) {
            int64_t nr = plan[i].ne1 - r0 < rows_per_chunk ? plan[i].ne1 - r0 : rows_per_chunk;
            for (int64_t k = 0; k < nr; k++)
                fill_row(row + (size_t)k * rb, plan[i].type, plan[i].ne0, &r, plan[i].is_norm);
            st = hearth_gguf_writer_write(w, row, (size_t)(rb * (uint64_t)nr));
        }
        if (verbose && (i % 9 == 2 || i == n - 1))
            fprintf(stderr, "\rhearth-bench: writing %s: tensor %d/%d", path, i + 1, n);
    }
    if (verbose)
        fprintf(stderr, "\n");
    if (st == HEARTH_OK)
        st = hearth_gguf_writer_finish(w);
    hearth_gguf_writer_free(w);
    if (st == HEARTH_OK && rename(tmp, path) != 0)
        st = HEARTH_ERR_IO;
    if (st != HEARTH_OK)
        remove(tmp);
    free(row);
    free(plan);
    free(tmp);
    return st;
}
