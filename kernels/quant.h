/* quant.h - GGUF tensor type ids, their block geometry, and the block structs.
 *
 * These are facts of the GGUF format (bit-compatible with the files the llama.cpp
 * ecosystem publishes), not choices of ours. The type id IS the GGUF id, so every
 * table in hearth is indexed by the id read from the file. Nothing here allocates
 * or depends on lib/.
 */
#ifndef HEARTH_KERNELS_QUANT_H
#define HEARTH_KERNELS_QUANT_H

#include <assert.h> /* static_assert on block sizes */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Type ids (GGUF numbering; gaps are removed types) ------------------ */
enum {
    HEARTH_TYPE_F32 = 0,
    HEARTH_TYPE_F16 = 1,
    HEARTH_TYPE_Q4_0 = 2,
    HEARTH_TYPE_Q4_1 = 3,
    /* 4 Q4_2 and 5 Q4_3: removed from the format */
    HEARTH_TYPE_Q5_0 = 6,
    HEARTH_TYPE_Q5_1 = 7,
    HEARTH_TYPE_Q8_0 = 8,
    HEARTH_TYPE_Q8_1 = 9,
    HEARTH_TYPE_Q2_K = 10,
    HEARTH_TYPE_Q3_K = 11,
    HEARTH_TYPE_Q4_K = 12,
    HEARTH_TYPE_Q5_K = 13,
    HEARTH_TYPE_Q6_K = 14,
    HEARTH_TYPE_Q8_K = 15,
    HEARTH_TYPE_IQ2_XXS = 16,
    HEARTH_TYPE_IQ2_XS = 17,
    HEARTH_TYPE_IQ3_XXS = 18,
    HEARTH_TYPE_IQ1_S = 19,
    HEARTH_TYPE_IQ4_NL = 20,
    HEARTH_TYPE_IQ3_S = 21,
    HEARTH_TYPE_IQ2_S = 22,
    HEARTH_TYPE_IQ4_XS = 23,
    HEARTH_TYPE_I8 = 24,
    HEARTH_TYPE_I16 = 25,
    HEARTH_TYPE_I32 = 26,
    HEARTH_TYPE_I64 = 27,
    HEARTH_TYPE_F64 = 28,
    HEARTH_TYPE_IQ1_M = 29,
    HEARTH_TYPE_BF16 = 30,
    /* 31..33 Q4_0_4_4, Q4_0_4_8, Q4_0_8_8: removed (repacked layouts) */
    HEARTH_TYPE_TQ1_0 = 34,
    HEARTH_TYPE_TQ2_0 = 35,
    /* 36..38 IQ4_NL_4_4, IQ4_NL_4_8, IQ4_NL_8_8: removed */
    HEARTH_TYPE_MXFP4 = 39,
    HEARTH_TYPE_COUNT = 40
};

/* Geometry of one type: `block_size` values are stored in `type_size` bytes.
 * A type with block_size 0 is removed or unknown. `removed` names types that
 * once existed so that errors can say so by name. */
typedef struct hearth_type_traits {
    const char *name;    /* "Q4_K", or the removed type's old name */
    uint32_t block_size; /* values per block; 0 = not a valid type */
    uint32_t type_size;  /* bytes per block */
    bool removed;        /* id was used by an old format revision */
    bool quantized;      /* a block format (not a plain number type) */
    int vec_dot_type;    /* activation format this weight type multiplies with;
                            -1 when hearth cannot compute with the type */
} hearth_type_traits;

/* Traits of type id `type`; an id outside 0..HEARTH_TYPE_COUNT-1 returns a
 * record with block_size 0 and name "unknown". Never NULL. */
const hearth_type_traits *hearth_type_traits_of(int type);

/* True when `type` is a valid, non-removed GGUF type id. */
static inline bool hearth_type_valid(int type) {
    return hearth_type_traits_of(type)->block_size != 0;
}

/* Bytes of a row of `n` values (n must be a multiple of the block size). */
static inline size_t hearth_row_bytes(int type, int64_t n) {
    const hearth_type_traits *t = hearth_type_traits_of(type);
    return (size_t)(n / t->block_size) * t->type_size;
}

/* ---- Half-precision storage -------------------------------------------- */
typedef uint16_t hearth_f16;  /* IEEE 754 binary16 bits */
typedef uint16_t hearth_bf16; /* bfloat16 bits (upper half of a binary32) */

/* ---- Block structs (layouts from GGUF; sizes pinned by static_assert) --- */
#define QK4_0 32
#define QK4_1 32
#define QK5_0 32
#define QK5_1 32
#define QK8_0 32
#define QK8_1 32
#define QK4_NL 32
#define QK_K 256
#define K_SCALE_SIZE 12

/* Q4_0 (id 2): x[i] = d * (q[i] - 8); q[j] low nibble of qs[j], q[j+16] high nibble. */
typedef struct {
    hearth_f16 d;
    uint8_t qs[QK4_0 / 2];
} block_q4_0;
static_assert(sizeof(block_q4_0) == 18, "q4_0 block size");

/* Q4_1 (id 3): x[i] = d * q[i] + m; nibble order as Q4_0. */
typedef struct {
    hearth_f16 d;
    hearth_f16 m;
    uint8_t qs[QK4_1 / 2];
} block_q4_1;
static_assert(sizeof(block_q4_1) == 20, "q4_1 block size");

/* Q5_0 (id 6): x[i] = d * (q[i] - 16); bit 4 of q[i] is bit i of qh (little-endian u32). */
typedef struct {
    hearth_f16 d;
    uint8_t qh[4];
    uint8_t qs[QK5_0 / 2];
} block_q5_0;
static_assert(sizeof(block_q5_0) == 22, "q5_0 block size");

/* Q5_1 (id 7): x[i] = d * q[i] + m; 5-bit q as Q5_0. */
typedef struct {
    hearth_f16 d;
    hearth_f16 m;
    uint8_t qh[4];
    uint8_t qs[QK5_1 / 2];
} block_q5_1;
static_assert(sizeof(block_q5_1) == 24, "q5_1 block size");

/* Q8_0 (id 8): x[i] = d * qs[i]. */
typedef struct {
    hearth_f16 d;
    int8_t qs[QK8_0];
} block_q8_0;
static_assert(sizeof(block_q8_0) == 34, "q8_0 block size");

/* Q8_1 (id 9): x[i] = d * qs[i]; s = d * sum(qs) (activation format for Q4_1/Q5_1). */
typedef struct {
    hearth_f16 d;
    hearth_f16 s;
    int8_t qs[QK8_1];
} block_q8_1;
static_assert(sizeof(block_q8_1) == 36, "q8_1 block size");

/* Q2_K (id 10): 16 groups of 16; scales[j] = 4-bit scale | 4-bit min << 4. */
typedef struct {
    uint8_t scales[QK_K / 16];
    uint8_t qs[QK_K / 4];
    hearth_f16 d;
    hearth_f16 dmin;
} block_q2_K;
static_assert(sizeof(block_q2_K) == 84, "q2_K block size");

/* Q3_K (id 11): 16 groups of 16; 2 low bits in qs, high bit in hmask, 6-bit scales packed in 12 bytes. */
typedef struct {
    uint8_t hmask[QK_K / 8];
    uint8_t qs[QK_K / 4];
    uint8_t scales[12];
    hearth_f16 d;
} block_q3_K;
static_assert(sizeof(block_q3_K) == 110, "q3_K block size");

/* Q4_K (id 12): 8 groups of 32; 6-bit scales and mins packed in 12 bytes. */
typedef struct {
    hearth_f16 d;
    hearth_f16 dmin;
    uint8_t scales[K_SCALE_SIZE];
    uint8_t qs[QK_K / 2];
} block_q4_K;
static_assert(sizeof(block_q4_K) == 144, "q4_K block size");

/* Q5_K (id 13): as Q4_K plus one high bit per value in qh. */
typedef struct {
    hearth_f16 d;
    hearth_f16 dmin;
    uint8_t scales[K_SCALE_SIZE];
    uint8_t qh[QK_K / 8];
    uint8_t qs[QK_K / 2];
} block_q5_K;
static_assert(sizeof(block_q5_K) == 176, "q5_K block size");

/* Q6_K (id 14): 16 groups of 16; 4 low bits in ql, 2 high bits in qh, int8 scales; x = d*sc*(q-32). */
typedef struct {
    uint8_t ql[QK_K / 2];
    uint8_t qh[QK_K / 4];
    int8_t scales[QK_K / 16];
    hearth_f16 d;
} block_q6_K;
static_assert(sizeof(block_q6_K) == 210, "q6_K block size");

/* Q8_K (id 15): activation format of the K types; bsums[j] = sum of qs[16j..16j+15]. */
typedef struct {
    float d;
    int8_t qs[QK_K];
    int16_t bsums[QK_K / 16];
} block_q8_K;
static_assert(sizeof(block_q8_K) == 292, "q8_K block size");

/* IQ4_NL (id 20): x[i] = d * kvalues_iq4nl[q[i]]; nibble order as Q4_0. */
typedef struct {
    hearth_f16 d;
    uint8_t qs[QK4_NL / 2];
} block_iq4_nl;
static_assert(sizeof(block_iq4_nl) == 18, "iq4_nl block size");

/* IQ4_XS (id 23): 8 groups of 32 with 6-bit scales (low 4 in scales_l, high 2 in scales_h);
 * x = d * (ls - 32) * kvalues_iq4nl[q]. */
typedef struct {
    hearth_f16 d;
    uint16_t scales_h;
    uint8_t scales_l[QK_K / 64];
    uint8_t qs[QK_K / 2];
} block_iq4_xs;
static_assert(sizeof(block_iq4_xs) == 136, "iq4_xs block size");

/* The 16 non-linear levels shared by IQ4_NL and IQ4_XS. */
extern const int8_t hearth_kvalues_iq4nl[16];

#endif /* HEARTH_KERNELS_QUANT_H */
