/* check_kernels_arm.c - the kernel checks of tests/check_kernels.c, without
 * Check, for the arm64 build run under qemu (CONVENTIONS §8; `make test-arm`).
 *
 * Verifies the scalar reference against the llama.cpp expectations (the
 * reference must give the same bits on arm64: no contraction into FMA, same
 * f16 rounding), that the detected tier is the one the qemu CPU model implies
 * (HEARTH_ARM_EXPECT=neon|neon-dotprod), and every slot of every NEON tier
 * the CPU has against the reference. Exit status 0 only if all passed.
 */
#include <stdio.h>  /* printf */
#include <stdlib.h> /* getenv, malloc */
#include <string.h> /* strcmp */

#include "kernels/kernels.h"
#include "util/kernel_verify.h"

#include "check_kernels_llama.inc"

static int n_checks, n_failed;

static void expect(bool ok, const char *what, const char *msg) {
    n_checks++;
    if (!ok) {
        n_failed++;
        if (n_failed <= 20)
            printf("FAIL %s: %s\n", what, msg);
    }
}

static void check_reference(void) {
    enum { N = 4096 };
    float *x = malloc(N * sizeof(float));
    void *q = malloc(N * 2);
    char msg[256];
    for (size_t i = 0; i < sizeof llama_hashes / sizeof llama_hashes[0]; i++) {
        kv_fill(x, N, llama_hashes[i].pattern, 77);
        hearth_kernels_ref.quantize_row[llama_hashes[i].type](x, q, N);
        const uint64_t h = kv_fnv1a(q, hearth_row_bytes(llama_hashes[i].type, N));
        snprintf(msg, sizeof msg, "%s on %s data: hash %016llx, llama.cpp %016llx",
                 hearth_type_traits_of(llama_hashes[i].type)->name,
                 kv_pattern_name(llama_hashes[i].pattern), (unsigned long long)h,
                 (unsigned long long)llama_hashes[i].hash);
        expect(h == llama_hashes[i].hash, "reference quantizer", msg);
    }
    free(x);
    free(q);
}

static void check_tier(hearth_isa isa) {
    const hearth_kernels *ref = &hearth_kernels_ref;
    hearth_kernels k;
    if (!hearth_kernels_init(&k, isa)) {
        printf("SKIP tier %s: not supported by this CPU\n", hearth_isa_name(isa));
        return;
    }
    static const int64_t blocks[] = {1, 2, 3, 5, 8, 9, 17, 33, 130};
    static const int64_t floats[] = {1, 7, 15, 16, 17, 33, 100, 257, 1000};
    static const int64_t tiles[][2] = {{1, 1}, {4, 1}, {7, 1}, {1, 4}, {3, 5}, {8, 8}};
    char msg[512] = "";
    for (int t = 0; t < HEARTH_TYPE_COUNT; t++) {
        if (!kv_type_computable(ref, t))
            continue;
        const hearth_type_traits *tr = hearth_type_traits_of(t);
        const int at = tr->vec_dot_type;
        const bool is_float = tr->block_size == 1;
        /* 256-value blocks (K-quants) stop at 9 blocks: their reference
         * quantizers search scales and qemu is slow */
        const size_t n_counts = tr->block_size >= 256 ? 6 : 9;
        for (size_t ci = 0; ci < n_counts; ci++) {
            const int64_t n = is_float ? floats[ci] : blocks[ci] * tr->block_size;
            for (int p = 0; p < KV_PATTERN_COUNT; p++) {
                const uint64_t seed = 1000 * ci + (uint64_t)p;
                if (k.quantize_row[t] != ref->quantize_row[t])
                    expect(kv_check_quantize(&k, ref, t, n, p, seed, msg, sizeof msg),
                           hearth_isa_name(isa), msg);
                if (k.quantize_row[at] != ref->quantize_row[at])
                    expect(kv_check_quantize(&k, ref, at, n, p, seed, msg, sizeof msg),
                           hearth_isa_name(isa), msg);
                if (k.quantize_act[at] != ref->quantize_act[at])
                    expect(kv_check_quantize_act(&k, ref, at, n, p, seed, msg, sizeof msg),
                           hearth_isa_name(isa), msg);
                if (k.dequantize_row[t] != ref->dequantize_row[t])
                    expect(kv_check_dequantize(&k, ref, t, n, p, seed, msg, sizeof msg),
                           hearth_isa_name(isa), msg);
                if (k.vec_dot[t] != ref->vec_dot[t])
                    expect(kv_check_vec_dot(&k, ref, t, n, p, seed, msg, sizeof msg),
                           hearth_isa_name(isa), msg);
            }
            for (size_t ti = 0; ti < sizeof tiles / sizeof tiles[0]; ti++)
                expect(kv_check_mat_dot(&k, t, n, tiles[ti][0], tiles[ti][1], 31 + ci, msg,
                                        sizeof msg),
                       hearth_isa_name(isa), msg);
        }
    }
    for (size_t ci = 0; ci < sizeof floats / sizeof floats[0]; ci++)
        expect(kv_check_ops(&k, ref, floats[ci], 5 + ci, msg, sizeof msg), hearth_isa_name(isa),
               msg);
    /* the NEON tiers replace the attention slots: the checks below must
     * compare their own code with the reference, not the reference twice */
    if (isa != HEARTH_ISA_SCALAR) {
        const bool own = k.gemm_f32 != ref->gemm_f32 &&
                         k.transpose_f16_f32 != ref->transpose_f16_f32 &&
                         k.transpose_f32 != ref->transpose_f32 && k.softmax != ref->softmax &&
                         k.silu_mul != ref->silu_mul;
        expect(own, hearth_isa_name(isa),
               "gemm_f32, transpose_f16_f32, transpose_f32, softmax or silu_mul is the reference");
    }
    /* attention tiles: gemm shapes around 4-row tiles and the NEON column
     * steps (16, then 4, then 1..3 ragged: 23 = 16 + 4 + 3, 38 = 2*16 + 4 + 2) */
    static const int64_t gemm_shapes[][3] = {{1, 1, 1},   {5, 17, 3},  {8, 64, 64}, {13, 65, 67},
                                             {3, 23, 5},  {6, 7, 10},  {4, 38, 9},  {2, 4, 1}};
    for (size_t si = 0; si < sizeof gemm_shapes / sizeof gemm_shapes[0]; si++)
        expect(kv_check_gemm(&k, ref, gemm_shapes[si][0], gemm_shapes[si][1], gemm_shapes[si][2],
                             77 + si, msg, sizeof msg),
               hearth_isa_name(isa), msg);
    static const int64_t transpose_shapes[][2] = {{23, 65}, {8, 4}, {3, 5}, {4, 9}, {9, 3}};
    for (size_t si = 0; si < sizeof transpose_shapes / sizeof transpose_shapes[0]; si++)
        expect(kv_check_transpose(&k, ref, transpose_shapes[si][0], transpose_shapes[si][1],
                                  99 + si, msg, sizeof msg),
               hearth_isa_name(isa), msg);
    printf("tier %s: checked\n", hearth_isa_name(isa));
}

int main(void) {
    check_reference();
    const char *want = getenv("HEARTH_ARM_EXPECT");
    const hearth_isa best = hearth_isa_best();
    printf("best tier on this CPU: %s\n", hearth_isa_name(best));
    if (want) {
        char msg[128];
        snprintf(msg, sizeof msg, "detected %s, expected %s", hearth_isa_name(best), want);
        expect(strcmp(hearth_isa_name(best), want) == 0, "tier detection", msg);
    }
    hearth_kernels k;
    expect(!hearth_kernels_init(&k, HEARTH_ISA_AVX2), "forcing avx2 on arm64",
           "hearth_kernels_init accepted an x86 tier");
    check_tier(HEARTH_ISA_SCALAR);
    check_tier(HEARTH_ISA_NEON);
    check_tier(HEARTH_ISA_NEON_DOTPROD);
    printf("%d checks, %d failed\n", n_checks, n_failed);
    return n_failed == 0 ? 0 : 1;
}
