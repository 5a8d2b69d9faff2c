/* weight_home.c - weight matrices moved into huge pages on first use
 * (interface and reasons: weight_home.h). */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE, MADV_* */
#include "weight_home.h"

#include <stdint.h>   /* uintptr_t */
#include <stdio.h>    /* fopen: the THP setting */
#include <stdlib.h>   /* calloc, free */
#include <string.h>   /* memcpy, strstr */
#include <sys/mman.h> /* mmap, madvise */
#include <unistd.h>   /* sysconf */

#include "../kernels/layout.h" /* repacked rows */
#include "model.h"            /* weight */

enum { HUGE_PAGE = 2 << 20 }; /* x86-64 and arm64 (4 KiB granule) PMD size */
enum { MOVE_CHUNK = 1 << 20 }; /* bytes copied per pool task */

struct weight_homes {
    char *map;      /* the reserved region, as mmap returned it */
    size_t map_bytes;
    atomic_int *states; /* one per weight */
    uint8_t *layouts;   /* one per weight */
};

/* "always" or "madvise" in the kernel's THP switch: MADV_HUGEPAGE then gives
 * anonymous memory huge pages. Anything else (never, no such file: not
 * Linux, no THP) makes a copy pointless. */
static bool thp_available(void) {
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (!f)
        return false;
    char line[128] = "";
    const bool ok = fgets(line, sizeof line, f) &&
                    (strstr(line, "[always]") || strstr(line, "[madvise]"));
    fclose(f);
    return ok;
}

static size_t weight_size(const weight *w) {
    return w->row_bytes * (size_t)w->rows;
}

static size_t round_up(size_t v, size_t to) {
    return (v + to - 1) / to * to;
}

hearth_status weight_homes_create(weight_homes **out, weight *const *weights, int64_t n,
                                  bool mapped, hearth_errbuf *err) {
    *out = NULL;
    if (!mapped || n <= 0 || !thp_available())
        return HEARTH_OK;
    size_t total = 0;
    for (int64_t i = 0; i < n; i++)
        total += round_up(weight_size(weights[i]), 64);
    weight_homes *h = calloc(1, sizeof *h);
    atomic_int *states = calloc((size_t)n, sizeof *states);
    uint8_t *layouts = calloc((size_t)n, sizeof *layouts);
    if (!h || !states || !layouts) {
        free(h);
        free(states);
        free(layouts);
        return hearth_fail(err, HEARTH_ERR_NOMEM, "weight homes: out of memory");
    }
    /* Address space only: pages exist once a weight is copied in. */
    h->map_bytes = total + HUGE_PAGE;
    void *map = mmap(NULL, h->map_bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED) { /* no room to reserve: read the weights in place */
        free(h);
        free(states);
        free(layouts);
        return HEARTH_OK;
    }
    h->map = map;
    h->states = states;
    h->layouts = layouts;
    char *base = (char *)round_up((size_t)(uintptr_t)map, HUGE_PAGE);
    (void)madvise(base, total, MADV_HUGEPAGE); /* a hint: refused = 4 KiB pages */
    size_t off = 0;
    for (int64_t i = 0; i < n; i++) {
        atomic_init(&states[i], WEIGHT_NONE);
        weights[i]->place.home = base + off;
        weights[i]->place.state = &states[i];
        weights[i]->place.layout = &layouts[i];
        off += round_up(weight_size(weights[i]), 64);
    }
    *out = h;
    return HEARTH_OK;
}

void weight_homes_free(weight_homes *h) {
    if (!h)
        return;
    munmap(h->map, h->map_bytes);
    free(h->states);
    free(h->layouts);
    free(h);
}

/* ---- Moving one weight ---------------------------------------------------- */

typedef struct move_job {
    const char *from;
    char *to;
    size_t bytes;
    int layout;       /* HEARTH_LAYOUT_GGUF: a plain copy */
    int64_t cols;     /* repacking: values per row, */
    size_t row_bytes; /* its bytes, */
    int64_t rows_per_task;
} move_job;

static void move_task(void *arg, int64_t task, int thread) {
    (void)thread;
    const move_job *j = arg;
    if (j->layout != HEARTH_LAYOUT_GGUF) {
        const int64_t r0 = task * j->rows_per_task;
        const int64_t rows = (int64_t)(j->bytes / j->row_bytes);
        const int64_t r1 = rows - r0 < j->rows_per_task ? rows : r0 + j->rows_per_task;
        for (int64_t r = r0; r < r1; r++)
            hearth_layout_pack_row(j->layout, j->from + (size_t)r * j->row_bytes,
                                   j->to + (size_t)r * j->row_bytes, j->cols);
        return;
    }
    const size_t off = (size_t)task * MOVE_CHUNK;
    const size_t n = j->bytes - off < MOVE_CHUNK ? j->bytes - off : MOVE_CHUNK;
    memcpy(j->to + off, j->from + off, n);
}

/* Copies (or repacks) w home with the pool, then gives back the whole file
 * pages it covers (pages shared with a neighbouring tensor stay). */
static void move_home(threadpool *tp, const weight *w, int layout) {
    move_job j = {w->data, w->place.home, weight_size(w), layout, w->cols, w->row_bytes, 1};
    int64_t n_tasks = (int64_t)((j.bytes + MOVE_CHUNK - 1) / MOVE_CHUNK);
    if (layout != HEARTH_LAYOUT_GGUF) { /* whole rows per task, about MOVE_CHUNK bytes */
        j.rows_per_task = (int64_t)(MOVE_CHUNK / w->row_bytes) + 1;
        n_tasks = (w->rows + j.rows_per_task - 1) / j.rows_per_task;
    }
    tp_parallel_for(tp, n_tasks, move_task, &j);
    const long page = sysconf(_SC_PAGESIZE);
    if (page <= 0)
        return;
    const uintptr_t lo = round_up((uintptr_t)j.from, (size_t)page);
    const uintptr_t hi = ((uintptr_t)j.from + j.bytes) / (uintptr_t)page * (uintptr_t)page;
    /* Private, never-written file pages: dropping them only unmaps them; a
     * reader still holding the mapped address gets them back from the page
     * cache. */
    if (hi > lo)
        (void)madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

weight_view weight_bytes(threadpool *tp, const hearth_kernels *k, const weight *w) {
    const weight_view in_place = {w->data, HEARTH_LAYOUT_GGUF};
    if (!w->place.home)
        return in_place;
    int s = atomic_load_explicit(w->place.state, memory_order_acquire);
    if (s == WEIGHT_HOME)
        return (weight_view){w->place.home, *w->place.layout};
    if (s == WEIGHT_NONE &&
        atomic_compare_exchange_strong(w->place.state, &s, WEIGHT_MOVING)) {
        int layout = w->type < HEARTH_TYPE_COUNT ? k->preferred_layout[w->type] : 0;
        if (!hearth_layout_fits(layout, (int)w->type, w->cols) || !k->layout_mat_dot[layout])
            layout = HEARTH_LAYOUT_GGUF;
        move_home(tp, w, layout);
        *w->place.layout = (uint8_t)layout;
        /* release: the copy's bytes (written by the pool, whose job end the
         * caller has acquired) and its layout before the state other
         * contexts read */
        atomic_store_explicit(w->place.state, WEIGHT_HOME, memory_order_release);
        return (weight_view){w->place.home, layout};
    }
    return in_place; /* another context is moving it: read the mapping meanwhile */
}
