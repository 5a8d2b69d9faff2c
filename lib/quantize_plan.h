/* quantize_plan.h - which type each tensor gets for a llama-quantize preset.
 *
 * Pure logic over tensor names, shapes and a few hyper-parameters: no files,
 * no kernels. hearth_quantize_file() (lib/quantize.c) builds a plan, then
 * streams the data; the tests drive the plan directly on synthetic tensor lists.
 *
 * The rules are those of llama.cpp's llama-quantize (Feb 2025): presets name a
 * "file type" (LLAMA_FTYPE numbering, written to general.file_type), a default
 * tensor type, and per-tensor exceptions by role (output, attn_v, ffn_down ...),
 * layer position and model shape. They are restated here as tables; see the
 * README section "Quantizing" for the user-facing summary.
 */
#ifndef HEARTH_QUANTIZE_PLAN_H
#define HEARTH_QUANTIZE_PLAN_H

#include "internal.h"

/* llama.cpp's LLAMA_FTYPE values for the presets we offer (the number stored
 * in general.file_type; values are fixed by the ecosystem). */
typedef enum quant_ftype {
    FTYPE_ALL_F32 = 0,
    FTYPE_F16 = 1,
    FTYPE_Q4_0 = 2,
    FTYPE_Q4_1 = 3,
    FTYPE_Q8_0 = 7,
    FTYPE_Q5_0 = 8,
    FTYPE_Q5_1 = 9,
    FTYPE_Q2_K = 10,
    FTYPE_Q3_K_S = 11,
    FTYPE_Q3_K_M = 12,
    FTYPE_Q3_K_L = 13,
    FTYPE_Q4_K_S = 14,
    FTYPE_Q4_K_M = 15,
    FTYPE_Q5_K_S = 16,
    FTYPE_Q5_K_M = 17,
    FTYPE_Q6_K = 18,
    FTYPE_IQ4_NL = 25,
    FTYPE_IQ4_XS = 30,
    FTYPE_BF16 = 32
} quant_ftype;

typedef struct quant_preset {
    const char *name;      /* canonical name, as llama-quantize spells it */
    quant_ftype ftype;     /* written to general.file_type */
    uint32_t default_type; /* type of every weight matrix no rule changes */
    const char *about;     /* one line for usage text */
} quant_preset;

/* Preset by name (case-insensitive; the aliases Q3_K, Q4_K, Q5_K name the _M
 * presets) or by LLAMA_FTYPE number ("15"), as llama-quantize accepts them.
 * NULL when unknown. */
const quant_preset *quant_preset_find(const char *name);
/* Preset i in llama-quantize's listing order; NULL past the end. */
const quant_preset *quant_preset_at(int32_t i);

/* The model facts the rules depend on (from {arch}.* metadata). */
typedef struct quant_model {
    const char *arch;  /* general.architecture ("" when absent) */
    int64_t n_layer;   /* {arch}.block_count */
    int64_t n_head;    /* {arch}.attention.head_count (layer 0) */
    int64_t n_head_kv; /* {arch}.attention.head_count_kv (layer 0; defaults to n_head) */
    int64_t n_expert;  /* {arch}.expert_count (0 when absent) */
} quant_model;

/* One tensor of the source file. quant_plan() reads the first group of fields
 * and fills the second. */
typedef struct quant_tensor {
    const char *name;  /* borrowed */
    uint32_t src_type; /* GGUF type id in the source file */
    int64_t ne[4];     /* shape, GGUF order; unused dims are 1 */

    uint32_t dst_type; /* type in the output file */
    bool convert;      /* data is converted; false: bytes are copied as they are */
    bool fallback;     /* the row length forced a fallback type */
} quant_tensor;

/* Chooses every tensor's output type, as llama-quantize does for `preset`.
 * `order` (n entries, caller-allocated) receives the tensor indices in the
 * order llama-quantize processes and writes them: tensors outside blocks
 * first, then block by block (blk.N by N), by name within each group. The
 * layer counters of the rules advance in that order.
 * Fallbacks are reported to log_fn as warnings.
 * Errors: HEARTH_ERR_UNSUPPORTED when a tensor that must be converted is
 * neither F32, F16 nor BF16 (requantizing is not supported), naming it. */
hearth_status quant_plan(const quant_preset *preset, const quant_model *model, quant_tensor *t,
                         int64_t n, int64_t *order, hearth_log_fn log_fn, void *log_user,
                         hearth_errbuf *err);

/* llama.cpp's layer-selection rule for the _M presets: the first and last
 * eighth of the layers, and every third layer in between, get more bits. */
bool quant_use_more_bits(int64_t i_layer, int64_t n_layer);

#endif /* HEARTH_QUANTIZE_PLAN_H */
