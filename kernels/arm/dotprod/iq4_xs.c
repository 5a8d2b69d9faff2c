/* iq4_xs.c (NEON dotprod) - IQ4_XS x Q8_K vec_dot and matmul tile.
 *
 * The block is decoded to signed levels and per-16 scales (kqn_decode_iq4_xs), then
 * the shared column dot of this tier (kqn_sumi_dot) runs per activation column; see
 * kquant_util.h for the arithmetic and why vec_dot and mat_dot agree bit for bit.
 */
#include "kquant_util.h"

void hearth_vec_dot_iq4_xs_q8_k_neon_dotprod(KQ_VEC_DOT_ARGS) {
    kqn_vec_dot(n, out, w, a, sizeof(block_iq4_xs), kqn_decode_iq4_xs, false, kqn_sumi_dot);
}

void hearth_mat_dot_iq4_xs_q8_k_neon_dotprod(KQ_MAT_DOT_ARGS) {
    kqn_mat_dot(n, nr, nc, out, ldo, w, w_stride, a, a_stride, sizeof(block_iq4_xs),
                kqn_decode_iq4_xs, false, kqn_sumi_dot);
}
