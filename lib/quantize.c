/* quantize.c - hearth_quantize_file(): F32/F16/BF16 GGUF -> a llama-quantize preset.
 *
 * The type of every tensor comes from quantize_plan.c; this file moves the
 * bytes. The GGUF reader supplies metadata and the tensor directory; tensor
 * data is read with pread() one chunk of rows at a time (not through the
 * mapping, so the source never accumulates in resident memory), widened to
 * float and quantized with the kernel table's quantize_row[type], in parallel
 * by rows, then appended to the streaming GGUF writer. Memory is one source
 * chunk, one output chunk and one float row per thread, whatever the model.
 * It never prints: progress and warnings go to the params' log callback.
 */
#include <errno.h>    /* EINTR */
#include <fcntl.h>    /* open */
#include <stdio.h>    /* snprintf */
#include <stdlib.h>   /* malloc, free */
#include <string.h>   /* memcpy, strcmp */
#include <sys/stat.h> /* stat: refuse to overwrite the input */
#include <unistd.h>   /* pread, close */

#include "quantize_plan.h"
#include "threadpool.h"

/* Source bytes read per chunk: large enough for efficient I/O and parallel
 * work, small enough that memory stays flat (a chunk holds at least one row). */
#define CHUNK_TARGET_BYTES ((size_t)8 << 20)

/* Keys that llama-quantize drops (split files become one file) or rewrites. */
static const char *const keys_not_copied[] = {
    "general.file_type", "general.quantization_version", "split.no", "split.count",
    "split.tensors.count",
};

/* ==== Public helpers ====================================================== */

hearth_quantize_params hearth_quantize_default_params(void) {
    hearth_quantize_params p = {0};
    return p;
}

static void preset_to_public(const quant_preset *q, hearth_quantize_preset *out) {
    out->name = q->name;
    out->file_type = (uint32_t)q->ftype;
    out->default_type = q->default_type;
    out->description = q->about;
}

bool hearth_quantize_preset_at(int32_t i, hearth_quantize_preset *out) {
    const quant_preset *q = quant_preset_at(i);
    if (!q || !out)
        return false;
    preset_to_public(q, out);
    return true;
}

/* "Q4_0, Q4_1, ..." for error messages. */
static void list_presets(char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (int32_t i = 0; quant_preset_at(i) && used < size; i++) {
        int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", quant_preset_at(i)->name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static hearth_status find_preset(const char *name, const quant_preset **out, hearth_errbuf *err) {
    *out = quant_preset_find(name);
    if (*out)
        return HEARTH_OK;
    char known[256];
    list_presets(known, sizeof known);
    return hearth_fail(err, HEARTH_ERR_INVALID_ARG, "unknown quantization type '%s' (known: %s)",
                       name ? name : "(null)", known);
}

hearth_status hearth_quantize_preset_find(const char *name, hearth_quantize_preset *out) {
    hearth_errbuf err;
    const quant_preset *q;
    if (!out)
        return hearth_set_error(HEARTH_ERR_INVALID_ARG, "hearth_quantize_preset_find: out is NULL");
    hearth_status st = find_preset(name, &q, &err);
    if (st != HEARTH_OK)
        return hearth_set_last_error(st, err.msg);
    preset_to_public(q, out);
    return HEARTH_OK;
}

/* ==== Reading the model facts ============================================= */

/* An integer key that may also be stored as a per-layer array (head counts
 * are, in some models): the value for layer 0. Absent keys give `fallback`. */
static int64_t int_key_or_first(const hearth_gguf *g, const char *key, int64_t fallback) {
    int64_t id = hearth_gguf_find_key(g, key);
    hearth_gguf_value v;
    if (id < 0 || hearth_gguf_value_at(g, id, &v) != HEARTH_OK)
        return fallback;
    if (v.type == HEARTH_GGUF_ARRAY) {
        hearth_gguf_value first;
        if (v.v.arr.count == 0 || hearth_gguf_array_get(&v, 0, &first) != HEARTH_OK)
            return fallback;
        v = first;
    }
    switch (v.type) {
    case HEARTH_GGUF_UINT8:
    case HEARTH_GGUF_UINT16:
    case HEARTH_GGUF_UINT32:
    case HEARTH_GGUF_UINT64:
        return v.v.u64 > INT64_MAX ? fallback : (int64_t)v.v.u64;
    case HEARTH_GGUF_INT8:
    case HEARTH_GGUF_INT16:
    case HEARTH_GGUF_INT32:
    case HEARTH_GGUF_INT64:
        return v.v.i64;
    default:
        return fallback;
    }
}

/* general.architecture and the {arch}.* counts the rules use. `arch` receives
 * the name (storage owned by g). A missing block_count is derived from the
 * blk.N tensor names. */
static void read_model_facts(const hearth_gguf *g, quant_model *m) {
    const char *arch = "";
    if (hearth_gguf_get_str(g, "general.architecture", &arch) != HEARTH_OK)
        arch = "";
    char key[160];
    m->arch = arch;
    snprintf(key, sizeof key, "%s.block_count", arch);
    m->n_layer = int_key_or_first(g, key, -1);
    if (m->n_layer < 0) {
        m->n_layer = 0;
        for (int64_t i = 0; i < hearth_gguf_n_tensors(g); i++) {
            const char *name = hearth_gguf_tensor_at(g, i)->name;
            long layer;
            if (sscanf(name, "blk.%ld.", &layer) == 1 && layer >= m->n_layer && layer < INT32_MAX)
                m->n_layer = layer + 1;
        }
    }
    snprintf(key, sizeof key, "%s.attention.head_count", arch);
    m->n_head = int_key_or_first(g, key, 0);
    snprintf(key, sizeof key, "%s.attention.head_count_kv", arch);
    m->n_head_kv = int_key_or_first(g, key, m->n_head);
    snprintf(key, sizeof key, "%s.expert_count", arch);
    m->n_expert = int_key_or_first(g, key, 0);
}

/* ==== Row conversion ====================================================== */

typedef struct convert_job {
    const hearth_kernels *k;
    uint32_t src_type, dst_type;
    int64_t ne0;          /* values per row */
    const uint8_t *src;   /* source chunk, as read from the file */
    size_t src_row_bytes;
    uint8_t *dst;         /* output chunk */
    size_t dst_row_bytes;
    float **scratch;      /* (n_threads, ne0) float rows */
} convert_job;

/* One row: source type -> float -> destination type. */
static void convert_row(void *arg, int64_t row, int thread) {
    const convert_job *j = arg;
    const uint8_t *src = j->src + (size_t)row * j->src_row_bytes;
    uint8_t *dst = j->dst + (size_t)row * j->dst_row_bytes;
    float *f = j->scratch[thread];
    const int64_t n = j->ne0;

    switch (j->src_type) {
    case HEARTH_TYPE_F32:
        memcpy(f, src, (size_t)n * sizeof(float)); /* the mapping need not be float-aligned */
        break;
    case HEARTH_TYPE_F16:
        for (int64_t i = 0; i < n; i++) {
            hearth_f16 h;
            memcpy(&h, src + 2 * i, 2);
            f[i] = hearth_f16_to_f32(h);
        }
        break;
    default: /* BF16: quant_plan() admits nothing else */
        for (int64_t i = 0; i < n; i++) {
            hearth_bf16 h;
            memcpy(&h, src + 2 * i, 2);
            f[i] = hearth_bf16_to_f32(h);
        }
        break;
    }

    /* Every destination, F16/BF16/F32 included, has a row quantizer in the
     * table (checked before any data is written). */
    j->k->quantize_row[j->dst_type](f, dst, n);
}

/* ==== The run ============================================================= */

typedef struct run {
    const quant_preset *preset;
    const hearth_quantize_params *params;
    hearth_gguf *in;
    hearth_gguf_writer *out;
    threadpool *tp;
    hearth_kernels k;
    quant_tensor *tensors; /* (n_tensors) in source order */
    int64_t *order;        /* (n_tensors) processing order */
    int64_t n_tensors;
    float **scratch;       /* (n_threads) rows of max_ne0 floats */
    int n_scratch;
    int fd;                /* the source file, for pread; -1 when closed */
    const char *in_path;
    uint8_t *src_chunk;    /* (src_chunk_bytes) source rows */
    size_t src_chunk_bytes;
    uint8_t *dst_chunk;    /* (dst_chunk_bytes) the same rows converted */
    size_t dst_chunk_bytes;
    int64_t i_tensor;      /* progress: position of the tensor being written */
    uint64_t done_in, total_in; /* progress: source bytes finished / in all */
} run;

static void run_free(run *r) {
    if (r->scratch)
        for (int i = 0; i < r->n_scratch; i++)
            free(r->scratch[i]);
    free(r->scratch);
    free(r->src_chunk);
    free(r->dst_chunk);
    if (r->fd >= 0)
        close(r->fd);
    free(r->order);
    free(r->tensors);
    tp_free(r->tp);
    hearth_gguf_writer_free(r->out);
    hearth_gguf_close(r->in);
}

/* Wraps a failed public call's message (already in the thread's last error). */
static hearth_status fail_from_last(hearth_errbuf *err, hearth_status st, const char *what) {
    return hearth_fail(err, st, "%s: %s", what, hearth_last_error());
}

static hearth_status refuse_same_file(const char *in_path, const char *out_path,
                                      hearth_errbuf *err) {
    struct stat a, b;
    if (stat(in_path, &a) == 0 && stat(out_path, &b) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino)
        return hearth_fail(err, HEARTH_ERR_INVALID_ARG,
                           "output '%s' is the input file: choose another path", out_path);
    return HEARTH_OK;
}

static hearth_status load_plan(run *r, hearth_errbuf *err) {
    const hearth_gguf *g = r->in;
    r->n_tensors = hearth_gguf_n_tensors(g);
    size_t n = (size_t)(r->n_tensors > 0 ? r->n_tensors : 1);
    r->tensors = calloc(n, sizeof *r->tensors);
    r->order = calloc(n, sizeof *r->order);
    if (!r->tensors || !r->order)
        return hearth_fail(err, HEARTH_ERR_NOMEM, "quantize: out of memory");
    for (int64_t i = 0; i < r->n_tensors; i++) {
        const hearth_gguf_tensor *src = hearth_gguf_tensor_at(g, i);
        quant_tensor *t = &r->tensors[i];
        t->name = src->name;
        t->src_type = src->type;
        memcpy(t->ne, src->ne, sizeof t->ne);
    }
    quant_model m;
    read_model_facts(g, &m);
    const hearth_quantize_params *p = r->params;
    return quant_plan(r->preset, &m, r->tensors, r->n_tensors, r->order, p->log_fn, p->log_user,
                      err);
}

/* Rows of a tensor read per chunk: as many as fit CHUNK_TARGET_BYTES, at least one. */
static int64_t rows_per_chunk(size_t src_row_bytes) {
    size_t rows = src_row_bytes ? CHUNK_TARGET_BYTES / src_row_bytes : 1;
    return rows > 0 ? (int64_t)rows : 1;
}

/* Every target type must have a quantizer in this build; the chunk buffers
 * and float rows are sized for the largest tensor. */
static hearth_status prepare_buffers(run *r, hearth_errbuf *err) {
    int64_t max_ne0 = 1;
    r->src_chunk_bytes = CHUNK_TARGET_BYTES;
    r->dst_chunk_bytes = 1;
    for (int64_t i = 0; i < r->n_tensors; i++) {
        const quant_tensor *t = &r->tensors[i];
        size_t src_row = hearth_row_bytes((int)t->src_type, t->ne[0]);
        if (src_row > r->src_chunk_bytes)
            r->src_chunk_bytes = src_row;
        if (!t->convert)
            continue;
        if (!r->k.quantize_row[t->dst_type])
            return hearth_fail(err, HEARTH_ERR_UNSUPPORTED,
                               "tensor '%s': no quantizer for %s in this build", t->name,
                               hearth_type_traits_of((int)t->dst_type)->name);
        if (t->ne[0] > max_ne0)
            max_ne0 = t->ne[0];
        size_t dst = (size_t)rows_per_chunk(src_row) * hearth_row_bytes((int)t->dst_type, t->ne[0]);
        if (dst > r->dst_chunk_bytes)
            r->dst_chunk_bytes = dst;
    }
    r->n_scratch = tp_n_threads(r->tp);
    r->scratch = calloc((size_t)r->n_scratch, sizeof *r->scratch);
    if (!r->scratch)
        return hearth_fail(err, HEARTH_ERR_NOMEM, "quantize: out of memory");
    for (int i = 0; i < r->n_scratch; i++) {
        r->scratch[i] = malloc((size_t)max_ne0 * sizeof(float));
        if (!r->scratch[i])
            return hearth_fail(err, HEARTH_ERR_NOMEM, "quantize: no memory for a row of %lld",
                               (long long)max_ne0);
    }
    r->src_chunk = malloc(r->src_chunk_bytes);
    r->dst_chunk = malloc(r->dst_chunk_bytes);
    if (!r->src_chunk || !r->dst_chunk)
        return hearth_fail(err, HEARTH_ERR_NOMEM, "quantize: no memory for %zu + %zu bytes",
                           r->src_chunk_bytes, r->dst_chunk_bytes);
    return HEARTH_OK;
}

/* Reads exactly n bytes at file offset `at` into the source chunk. */
static hearth_status read_source(run *r, uint64_t at, size_t n, const char *tensor,
                                 hearth_errbuf *err) {
    size_t done = 0;
    while (done < n) {
        ssize_t got = pread(r->fd, r->src_chunk + done, n - done, (off_t)(at + done));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            char buf[128];
            const char *why = got < 0 ? strerror_r(errno, buf, sizeof buf) /* GNU: thread-safe */
                                      : "file shrank while reading";
            return hearth_fail(err, HEARTH_ERR_IO, "%s: reading tensor '%s' at offset %llu: %s",
                               r->in_path, tensor, (unsigned long long)(at + done), why);
        }
        done += (size_t)got;
    }
    return HEARTH_OK;
}

static hearth_status write_header(run *r, hearth_errbuf *err) {
    const hearth_gguf *g = r->in;
    for (int64_t i = 0; i < hearth_gguf_n_kv(g); i++) {
        const char *key = hearth_gguf_key(g, i);
        bool skip = false;
        for (size_t s = 0; s < sizeof keys_not_copied / sizeof keys_not_copied[0]; s++)
            skip |= strcmp(key, keys_not_copied[s]) == 0;
        if (skip)
            continue;
        hearth_gguf_value v;
        hearth_status st = hearth_gguf_value_at(g, i, &v);
        if (st == HEARTH_OK)
            st = hearth_gguf_writer_set_value(r->out, key, &v);
        if (st != HEARTH_OK)
            return hearth_fail(err, st, "copying metadata '%s': %s", key, hearth_last_error());
    }
    /* Appended last, as llama-quantize does. */
    if (hearth_gguf_writer_set_u32(r->out, "general.quantization_version", 2) != HEARTH_OK ||
        hearth_gguf_writer_set_u32(r->out, "general.file_type", (uint32_t)r->preset->ftype) !=
            HEARTH_OK)
        return fail_from_last(err, HEARTH_ERR_IO, "writing metadata");

    for (int64_t k = 0; k < r->n_tensors; k++) {
        const hearth_gguf_tensor *src = hearth_gguf_tensor_at(g, r->order[k]);
        const quant_tensor *t = &r->tensors[r->order[k]];
        hearth_status st =
            hearth_gguf_writer_add_tensor(r->out, t->name, t->dst_type, src->n_dims, src->ne);
        if (st != HEARTH_OK)
            return hearth_fail(err, st, "declaring tensor '%s': %s", t->name, hearth_last_error());
    }
    return HEARTH_OK;
}

/* "4096 x 32000" */
static void format_shape(const hearth_gguf_tensor *t, char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (uint32_t d = 0; d < t->n_dims && used < size; d++) {
        int n = snprintf(buf + used, size - used, "%s%lld", d ? " x " : "", (long long)t->ne[d]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* One progress message: INFO once a tensor is done, DEBUG while a large one
 * is under way (`in_done` of its source bytes written), so that a bar keeps
 * moving; the format is the one hearth.h documents. */
static void report_progress(const run *r, const hearth_gguf_tensor *src, const quant_tensor *t,
                            uint64_t in_done, bool finished) {
    const hearth_quantize_params *p = r->params;
    if (!p->progress)
        return;
    char shape[96];
    format_shape(src, shape, sizeof shape);
    uint64_t done = r->done_in + in_done;
    double pct = r->total_in ? 100.0 * (double)done / (double)r->total_in : 100.0;
    hearth_log(p->log_fn, p->log_user, finished ? HEARTH_LOG_INFO : HEARTH_LOG_DEBUG,
               "[%lld/%lld] %.1f%% %s %s -> %s [%s]", (long long)r->i_tensor + 1,
               (long long)r->n_tensors, pct, t->name,
               hearth_type_traits_of((int)t->src_type)->name,
               hearth_type_traits_of((int)t->dst_type)->name, shape);
}

/* Writes one tensor chunk by chunk: its bytes as they are, or converted. */
static hearth_status write_tensor(run *r, const hearth_gguf_tensor *src, const quant_tensor *t,
                                  uint64_t *bytes_out, hearth_errbuf *err) {
    const int64_t ne0 = t->ne[0];
    const int64_t n_rows = t->ne[1] * t->ne[2] * t->ne[3]; /* the reader bounds the product */
    const uint64_t at = hearth_gguf_data_offset(r->in) + src->offset;
    *bytes_out = 0;
    if (ne0 == 0 || n_rows == 0)
        return HEARTH_OK; /* an empty tensor has no data */
    convert_job job = {
        .k = &r->k,
        .src_type = t->src_type,
        .dst_type = t->dst_type,
        .ne0 = ne0,
        .src = r->src_chunk,
        .src_row_bytes = hearth_row_bytes((int)t->src_type, ne0),
        .dst_row_bytes = hearth_row_bytes((int)t->dst_type, ne0),
        .scratch = r->scratch,
        .dst = r->dst_chunk,
    };
    const int64_t step = rows_per_chunk(job.src_row_bytes);
    for (int64_t row = 0; row < n_rows; row += step) {
        int64_t rows = n_rows - row < step ? n_rows - row : step;
        HEARTH_TRY(read_source(r, at + (uint64_t)row * job.src_row_bytes,
                               (size_t)rows * job.src_row_bytes, t->name, err));
        const uint8_t *out = r->src_chunk;
        size_t bytes = (size_t)rows * job.src_row_bytes;
        if (t->convert) {
            tp_parallel_for(r->tp, rows, convert_row, &job);
            out = r->dst_chunk;
            bytes = (size_t)rows * job.dst_row_bytes;
        }
        hearth_status st = hearth_gguf_writer_write(r->out, out, bytes);
        if (st != HEARTH_OK)
            return fail_from_last(err, st, t->name);
        *bytes_out += bytes;
        if (row + rows < n_rows)
            report_progress(r, src, t, (uint64_t)(row + rows) * job.src_row_bytes, false);
    }
    return HEARTH_OK;
}

static hearth_status write_data(run *r, hearth_errbuf *err) {
    const hearth_quantize_params *p = r->params;
    uint64_t total_out = 0;
    for (int64_t i = 0; i < r->n_tensors; i++)
        r->total_in += hearth_gguf_tensor_at(r->in, i)->n_bytes;

    for (int64_t k = 0; k < r->n_tensors; k++) {
        const hearth_gguf_tensor *src = hearth_gguf_tensor_at(r->in, r->order[k]);
        const quant_tensor *t = &r->tensors[r->order[k]];
        uint64_t bytes = 0;
        r->i_tensor = k;
        HEARTH_TRY(write_tensor(r, src, t, &bytes, err));
        total_out += bytes;
        r->done_in += src->n_bytes;
        report_progress(r, src, t, 0, true);
    }
    hearth_status st = hearth_gguf_writer_finish(r->out);
    if (st != HEARTH_OK)
        return fail_from_last(err, st, "finishing the output file");
    hearth_log(p->log_fn, p->log_user, HEARTH_LOG_INFO,
               "%s: %lld tensors, %.2f MiB -> %.2f MiB of tensor data", r->preset->name,
               (long long)r->n_tensors, (double)r->total_in / 1048576.0,
               (double)total_out / 1048576.0);
    return HEARTH_OK;
}

static hearth_status quantize(run *r, const char *in_path, const char *out_path,
                              const char *preset, hearth_errbuf *err) {
    if (!in_path || !out_path)
        return hearth_fail(err, HEARTH_ERR_INVALID_ARG, "hearth_quantize_file: NULL path");
    HEARTH_TRY(find_preset(preset, &r->preset, err));
    HEARTH_TRY(refuse_same_file(in_path, out_path, err));
    if (r->params->n_threads < 0)
        return hearth_fail(err, HEARTH_ERR_INVALID_ARG, "n_threads %d: expected >= 0",
                           r->params->n_threads);

    hearth_status st = hearth_gguf_open(in_path, NULL, &r->in);
    if (st != HEARTH_OK)
        return hearth_fail(err, st, "%s", hearth_last_error());
    HEARTH_TRY(load_plan(r, err));
    r->in_path = in_path;
    r->fd = open(in_path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        char why[128];
        const char *msg = strerror_r(errno, why, sizeof why); /* GNU: thread-safe */
        return hearth_fail(err, HEARTH_ERR_IO, "%s: %s", in_path, msg);
    }

    if (!hearth_kernels_init(&r->k, HEARTH_ISA_AUTO))
        return hearth_fail(err, HEARTH_ERR_INTERNAL, "quantize: kernel table unavailable");
    int n_threads = r->params->n_threads > 0 ? r->params->n_threads : tp_default_threads();
    HEARTH_TRY(tp_create(&r->tp, n_threads, false, err));
    HEARTH_TRY(prepare_buffers(r, err));

    st = hearth_gguf_writer_create(out_path, &r->out);
    if (st != HEARTH_OK)
        return hearth_fail(err, st, "%s", hearth_last_error());
    HEARTH_TRY(write_header(r, err));
    return write_data(r, err);
}

hearth_status hearth_quantize_file(const char *in_path, const char *out_path, const char *preset,
                                   const hearth_quantize_params *params) {
    hearth_quantize_params defaults = hearth_quantize_default_params();
    run r = {.params = params ? params : &defaults, .fd = -1};
    hearth_errbuf err = {{0}};
    hearth_status st = quantize(&r, in_path, out_path, preset, &err);
    run_free(&r);
    if (st != HEARTH_OK)
        return hearth_set_last_error(st, err.msg);
    return HEARTH_OK;
}
