/* kquant_util.h (NEON dotprod) - the dotprod tier's column dot for K-quant blocks.
 *
 * Decoders and the tile driver are the NEON tier's (../neon/kquant_util.h); only
 * the inner product changes: vdotq_s32 sums four int8 products per int32 lane
 * (exact), then the lane sums are scaled per 16 values as in the NEON tier.
 */
#ifndef HEARTH_KQUANT_DOTPROD_UTIL_H
#define HEARTH_KQUANT_DOTPROD_UTIL_H

#include "../neon/kquant_util.h"

static inline int32x4_t kqn_sumi_dot(const kqn_block *b, const block_q8_K *a) {
    int32x4_t sumi = vdupq_n_s32(0);
    for (int j = 0; j < 16; j++) {
        int32x4_t p = vdotq_s32(vdupq_n_s32(0), b->q[j], vld1q_s8(a->qs + 16 * j));
        sumi = vmlaq_n_s32(sumi, p, b->sc[j]);
    }
    return sumi;
}

#endif /* HEARTH_KQUANT_DOTPROD_UTIL_H */
