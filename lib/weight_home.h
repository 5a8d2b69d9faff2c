/* weight_home.h - the weight matrices move into transparent huge pages the
 * first time a forward pass uses them (owned by lib/weight_home.c).
 *
 * Why: decode reads every weight matrix once per token. Mapped file pages are
 * 4 KiB each, and a sweep over gigabytes of them misses the TLB on every page;
 * in a virtual machine each miss is a two-level page walk. Measured here
 * (2-core VM, TinyLlama-shaped models, one thread): the same kernels read
 * F16 weights at 3-6 GB/s from the mapping and 25 GB/s from huge pages, and
 * decode ran 2.8x (F16), 1.4x (Q8_0) and 1.15x (Q4_0) faster.
 *
 * How: at load, one anonymous region (address space only, MADV_HUGEPAGE) is
 * reserved with a home for every matmul weight. The first matmul that uses a
 * weight copies it there with the context's threads, then releases the
 * mapped file pages it replaces (MADV_DONTNEED: resident memory stays about
 * the size of the weights, CONVENTIONS §5), and from then on every context
 * reads the copy. Loading stays a mapping (fast); the first forward pass pays
 * the copy.
 *
 * Repacking: when the moving context's kernel tier prefers another layout of
 * the weight's type (kernels.h preferred_layout; Q4_0 on the AVX-512 tiers),
 * the copy is made in that layout instead of byte for byte, at no extra
 * memory, and readers are told the layout with the bytes. The layout
 * kernels give the bits of the plain ones on the tier that chose them, so
 * results do not change either way.
 *
 * Threads: contexts on different threads may meet a weight at the same
 * moment. Its state moves NONE -> MOVING -> HOME by compare-and-swap; the one
 * context that wins the swap copies, the others keep reading the mapping
 * (still valid: a released file page is read back from the page cache) until
 * they see HOME. The model is otherwise immutable.
 */
#ifndef HEARTH_WEIGHT_HOME_H
#define HEARTH_WEIGHT_HOME_H

#include <stdatomic.h>

#include "../kernels/kernels.h" /* hearth_kernels, hearth_layout */
#include "internal.h"
#include "threadpool.h"

typedef struct weight weight;

enum { WEIGHT_NONE = 0, WEIGHT_MOVING = 1, WEIGHT_HOME = 2 };

/* Where a weight lives: set up by weight_home_create() for the weights given
 * to it; a weight without one (home == NULL) is always read in place. */
typedef struct weight_place {
    void *home;         /* its bytes in the huge-page region once HOME */
    atomic_int *state;  /* WEIGHT_NONE / MOVING / HOME */
    uint8_t *layout;    /* the home's hearth_layout, written before state turns HOME */
} weight_place;

typedef struct weight_homes weight_homes;

/* Reserves homes for the n weights (matrices read by matmuls) and sets their
 * place. Does nothing, successfully, when the file is not mapped (`mapped`
 * false: its bytes are already private memory), when the kernel has
 * transparent huge pages disabled, or when the address space cannot be
 * reserved (the weights are then read in place). *out may be NULL after. */
hearth_status weight_homes_create(weight_homes **out, weight *const *weights, int64_t n,
                                  bool mapped, hearth_errbuf *err);
void weight_homes_free(weight_homes *h); /* NULL is a no-op */

/* The bytes of a weight to compute with, and their layout. */
typedef struct weight_view {
    const void *data;
    int layout; /* hearth_layout: HEARTH_LAYOUT_GGUF unless repacked */
} weight_view;

/* w's home once it has moved, else the mapping (GGUF layout). The first
 * caller to find it unmoved moves it with tp's threads, repacked into the
 * layout k prefers for its type if there is one. */
weight_view weight_bytes(threadpool *tp, const hearth_kernels *k, const weight *w);

#endif /* HEARTH_WEIGHT_HOME_H */
