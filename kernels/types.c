/* types.c - the geometry of every GGUF tensor type id (CONVENTIONS §4).
 *
 * Knowing block size and byte size of every id, computable or not, is what lets
 * the reader open any valid file and name what it cannot run. `vec_dot_type`
 * records the activation format each weight type pairs with (CONVENTIONS §5).
 */
#include "quant.h"

#define T(id, nm, bs, ts, q, vdt) [id] = {nm, bs, ts, false, q, vdt}
#define REMOVED(id, nm) [id] = {nm, 0, 0, true, false, -1}

static const hearth_type_traits traits[HEARTH_TYPE_COUNT] = {
    T(HEARTH_TYPE_F32, "F32", 1, 4, false, HEARTH_TYPE_F32),
    T(HEARTH_TYPE_F16, "F16", 1, 2, false, HEARTH_TYPE_F16),
    T(HEARTH_TYPE_Q4_0, "Q4_0", 32, 18, true, HEARTH_TYPE_Q8_0),
    T(HEARTH_TYPE_Q4_1, "Q4_1", 32, 20, true, HEARTH_TYPE_Q8_1),
    REMOVED(4, "Q4_2"),
    REMOVED(5, "Q4_3"),
    T(HEARTH_TYPE_Q5_0, "Q5_0", 32, 22, true, HEARTH_TYPE_Q8_0),
    T(HEARTH_TYPE_Q5_1, "Q5_1", 32, 24, true, HEARTH_TYPE_Q8_1),
    T(HEARTH_TYPE_Q8_0, "Q8_0", 32, 34, true, HEARTH_TYPE_Q8_0),
    T(HEARTH_TYPE_Q8_1, "Q8_1", 32, 36, true, -1),
    T(HEARTH_TYPE_Q2_K, "Q2_K", 256, 84, true, HEARTH_TYPE_Q8_K),
    T(HEARTH_TYPE_Q3_K, "Q3_K", 256, 110, true, HEARTH_TYPE_Q8_K),
    T(HEARTH_TYPE_Q4_K, "Q4_K", 256, 144, true, HEARTH_TYPE_Q8_K),
    T(HEARTH_TYPE_Q5_K, "Q5_K", 256, 176, true, HEARTH_TYPE_Q8_K),
    T(HEARTH_TYPE_Q6_K, "Q6_K", 256, 210, true, HEARTH_TYPE_Q8_K),
    T(HEARTH_TYPE_Q8_K, "Q8_K", 256, 292, true, -1),
    T(HEARTH_TYPE_IQ2_XXS, "IQ2_XXS", 256, 66, true, -1),
    T(HEARTH_TYPE_IQ2_XS, "IQ2_XS", 256, 74, true, -1),
    T(HEARTH_TYPE_IQ3_XXS, "IQ3_XXS", 256, 98, true, -1),
    T(HEARTH_TYPE_IQ1_S, "IQ1_S", 256, 50, true, -1),
    T(HEARTH_TYPE_IQ4_NL, "IQ4_NL", 32, 18, true, HEARTH_TYPE_Q8_0),
    T(HEARTH_TYPE_IQ3_S, "IQ3_S", 256, 110, true, -1),
    T(HEARTH_TYPE_IQ2_S, "IQ2_S", 256, 82, true, -1),
    T(HEARTH_TYPE_IQ4_XS, "IQ4_XS", 256, 136, true, HEARTH_TYPE_Q8_K),
    T(HEARTH_TYPE_I8, "I8", 1, 1, false, -1),
    T(HEARTH_TYPE_I16, "I16", 1, 2, false, -1),
    T(HEARTH_TYPE_I32, "I32", 1, 4, false, -1),
    T(HEARTH_TYPE_I64, "I64", 1, 8, false, -1),
    T(HEARTH_TYPE_F64, "F64", 1, 8, false, -1),
    T(HEARTH_TYPE_IQ1_M, "IQ1_M", 256, 56, true, -1),
    T(HEARTH_TYPE_BF16, "BF16", 1, 2, false, HEARTH_TYPE_BF16),
    REMOVED(31, "Q4_0_4_4"),
    REMOVED(32, "Q4_0_4_8"),
    REMOVED(33, "Q4_0_8_8"),
    T(HEARTH_TYPE_TQ1_0, "TQ1_0", 256, 54, true, -1),
    T(HEARTH_TYPE_TQ2_0, "TQ2_0", 256, 66, true, -1),
    REMOVED(36, "IQ4_NL_4_4"),
    REMOVED(37, "IQ4_NL_4_8"),
    REMOVED(38, "IQ4_NL_8_8"),
    T(HEARTH_TYPE_MXFP4, "MXFP4", 32, 17, true, -1),
};

static const hearth_type_traits unknown = {"unknown", 0, 0, false, false, -1};

const hearth_type_traits *hearth_type_traits_of(int type) {
    if (type < 0 || type >= HEARTH_TYPE_COUNT)
        return &unknown;
    return &traits[type];
}

const int8_t hearth_kvalues_iq4nl[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                         1,    13,   25,  38,  53,  69,  89,  113};
