/* ref_kquants.h - reference slots of the K-quant family (Q2_K..Q6_K, Q8_K)
 * and IQ4_XS. PLACEHOLDER owned by the K-quant branch, which replaces this
 * file: it declares its _ref kernels here and lists their table entries in
 * HEARTH_REF_KQUANT_SLOTS as designated initializers, each followed by a
 * comma, e.g.
 *     #define HEARTH_REF_KQUANT_SLOTS \
 *         .vec_dot[HEARTH_TYPE_Q4_K] = hearth_vec_dot_q4_K_q8_K_ref, ...
 * HEARTH_REF_KQUANTS_PRESENT tells tests/check_kernels.c whether to demand
 * non-NULL slots for those types.
 */
#ifndef HEARTH_KERNELS_REF_KQUANTS_H
#define HEARTH_KERNELS_REF_KQUANTS_H

#include "ref.h"

#define HEARTH_REF_KQUANTS_PRESENT 0
#define HEARTH_REF_KQUANT_SLOTS

#endif /* HEARTH_KERNELS_REF_KQUANTS_H */
