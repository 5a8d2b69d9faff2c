/* hearth.h - public API of the hearth on-device LLM inference runtime.
 *
 * This file is the complete public interface: anything not declared here is
 * internal and may change without notice. The header is C99/C11 and C++ clean.
 *
 * Conventions used throughout
 * - Every fallible function returns an hearth_status. On failure the calling
 *   thread's hearth_last_error() says what went wrong and where (file, offset,
 *   key, tensor, what was expected). It is the only process-wide state.
 * - CONSTRUCTORs always write *out: the object on success, NULL on failure.
 *   DESTRUCTORs accept NULL.
 * - Params structs come from *_default_params(); constructors take a pointer
 *   to one (NULL = defaults). New fields are only ever appended.
 * - Pointers returned to the caller are borrowed, with the lifetime stated.
 * - The library never prints, exits or aborts. Warnings go to an optional log
 *   callback in the params of the object that emits them (default: silent).
 */
#ifndef HEARTH_H
#define HEARTH_H

#include <stdbool.h> /* bool in params */
#include <stddef.h>  /* size_t */
#include <stdint.h>  /* fixed-width ids and counts */

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define HEARTH_API __attribute__((visibility("default")))
#else
#define HEARTH_API
#endif

/* ==== Version ============================================================ */
#define HEARTH_VERSION_MAJOR 0
#define HEARTH_VERSION_MINOR 1
#define HEARTH_VERSION_PATCH 0
#define HEARTH_VERSION_NUMBER \
    (HEARTH_VERSION_MAJOR * 10000 + HEARTH_VERSION_MINOR * 100 + HEARTH_VERSION_PATCH)
#define HEARTH_VERSION_STRING "0.1.0"

/* Version of the library actually linked; compare with HEARTH_VERSION_NUMBER. Thread-safe. */
HEARTH_API unsigned hearth_version_number(void);
HEARTH_API const char *hearth_version_string(void);

/* ==== Status codes ======================================================= */
/* Values are part of the ABI: new codes are appended, never renumbered. */
typedef enum hearth_status {
    HEARTH_OK = 0,
    HEARTH_ERR_INVALID_ARG = 1,      /* caller error: NULL where forbidden, value out of range */
    HEARTH_ERR_NOMEM = 2,            /* an allocation failed */
    HEARTH_ERR_IO = 3,               /* open, read, write or map of an existing file failed */
    HEARTH_ERR_FORMAT = 4,           /* not GGUF, truncated, or internally inconsistent */
    HEARTH_ERR_UNSUPPORTED = 5,      /* valid input not handled: version, type, arch, ISA */
    HEARTH_ERR_BUFFER_TOO_SMALL = 6, /* the needed count was written to *n_out */
    HEARTH_ERR_CONTEXT_FULL = 7,     /* the KV cache cannot take the tokens */
    HEARTH_ERR_INTERNAL = 8          /* a bug in hearth; please report it */
} hearth_status;

/* Static English text for a status ("unknown status" for other values).
 * Never NULL, never freed. Thread-safe. */
HEARTH_API const char *hearth_status_str(hearth_status status);

/* Detail of the most recent failed call made by the calling thread ("" if none).
 * Thread-local, like errno; valid until that thread's next failing call. */
HEARTH_API const char *hearth_last_error(void);

/* ==== Logging ============================================================ */
typedef enum hearth_log_level {
    HEARTH_LOG_DEBUG = 0,
    HEARTH_LOG_INFO = 1,
    HEARTH_LOG_WARN = 2,
    HEARTH_LOG_ERROR = 3
} hearth_log_level;

/* Receives warnings and notes from the object whose params carry it. `msg` is
 * valid only during the call. Called on the thread that made the API call. */
typedef void (*hearth_log_fn)(void *user, hearth_log_level level, const char *msg);

/* ==== CPU instruction-set tiers ========================================== */
typedef enum hearth_isa {
    HEARTH_ISA_AUTO = 0, /* the best tier this CPU supports */
    HEARTH_ISA_SCALAR = 1,
    HEARTH_ISA_AVX2 = 2,       /* AVX2 + FMA + F16C */
    HEARTH_ISA_AVX512 = 3,     /* AVX-512 F/BW/VL */
    HEARTH_ISA_AVX512VNNI = 4, /* AVX-512 with VNNI (vpdpbusd) */
    HEARTH_ISA_NEON = 5,
    HEARTH_ISA_NEON_DOTPROD = 6
} hearth_isa;

/* "scalar", "avx2", "avx512", "avx512vnni", "neon", "neon-dotprod" ("auto" for
 * AUTO, "unknown" otherwise). Never NULL. Thread-safe. */
HEARTH_API const char *hearth_isa_name(hearth_isa isa);
/* Parses a name as printed by hearth_isa_name() into *out.
 * HEARTH_ERR_INVALID_ARG for an unknown name. Thread-safe. */
HEARTH_API hearth_status hearth_isa_from_name(const char *name, hearth_isa *out);
/* True when this CPU (and OS) can run tier `isa`. AUTO is always supported. Thread-safe. */
HEARTH_API bool hearth_isa_supported(hearth_isa isa);
/* The tier HEARTH_ISA_AUTO resolves to on this CPU. Thread-safe. */
HEARTH_API hearth_isa hearth_isa_best(void);

/* ==== GGUF files ========================================================= */
/* GGUF metadata value types (the numbering of the format). */
typedef enum hearth_gguf_type {
    HEARTH_GGUF_UINT8 = 0,
    HEARTH_GGUF_INT8 = 1,
    HEARTH_GGUF_UINT16 = 2,
    HEARTH_GGUF_INT16 = 3,
    HEARTH_GGUF_UINT32 = 4,
    HEARTH_GGUF_INT32 = 5,
    HEARTH_GGUF_FLOAT32 = 6,
    HEARTH_GGUF_BOOL = 7,
    HEARTH_GGUF_STRING = 8,
    HEARTH_GGUF_ARRAY = 9,
    HEARTH_GGUF_UINT64 = 10,
    HEARTH_GGUF_INT64 = 11,
    HEARTH_GGUF_FLOAT64 = 12
} hearth_gguf_type;

/* A parsed, validated, read-only GGUF file. Immutable after open: any number
 * of threads may read it at once. */
typedef struct hearth_gguf hearth_gguf;

/* A metadata value as stored in the file. Strings are NOT NUL-terminated
 * (use str/len). For arrays, `arr` describes the elements; element i is read
 * with hearth_gguf_array_get(). Pointers are valid until the hearth_gguf is closed. */
typedef struct hearth_gguf_value {
    hearth_gguf_type type;
    union {
        uint64_t u64; /* UINT8/16/32/64 (zero-extended) and BOOL (0 or 1) */
        int64_t i64;  /* INT8/16/32/64 (sign-extended) */
        double f64;   /* FLOAT32 (widened) and FLOAT64 */
        struct {
            const char *str;
            uint64_t len;
        } s;
        struct {
            hearth_gguf_type elem_type;
            uint64_t count;
            const void *handle; /* opaque: pass the value to hearth_gguf_array_get() */
        } arr;
    } v;
} hearth_gguf_value;

/* Description of one tensor. `data` points into the mapping (never copied). */
typedef struct hearth_gguf_tensor {
    const char *name;   /* NUL-terminated copy owned by the hearth_gguf */
    uint32_t type;      /* GGUF tensor type id (0 = F32, 1 = F16, 2 = Q4_0, ...) */
    uint32_t n_dims;    /* 1..4 */
    int64_t ne[4];      /* shape in GGUF order (ne[0] is the row length); unused dims are 1 */
    uint64_t offset;    /* byte offset relative to the start of the data section */
    uint64_t n_bytes;   /* bytes of data */
    const void *data;   /* start of the data inside the mapped file */
} hearth_gguf_tensor;

typedef struct hearth_gguf_params {
    bool use_mmap; /* default true; false reads the whole file with read() */
} hearth_gguf_params;
HEARTH_API hearth_gguf_params hearth_gguf_default_params(void);

/* CONSTRUCTOR. Opens, maps and validates a GGUF v2/v3 file (CONVENTIONS §4):
 * HEARTH_ERR_FORMAT for a malformed or truncated file, HEARTH_ERR_UNSUPPORTED for
 * another version or a removed/unknown tensor type (named), HEARTH_ERR_IO when the
 * file cannot be opened or read. Tensor data is never copied. */
HEARTH_API hearth_status hearth_gguf_open(const char *path, const hearth_gguf_params *params,
                                          hearth_gguf **out);
/* CONSTRUCTOR. Parses a GGUF image in memory. Borrows `data`: it must stay
 * valid and unchanged until hearth_gguf_close(). Same statuses as hearth_gguf_open(). */
HEARTH_API hearth_status hearth_gguf_open_buffer_ref(const void *data, size_t size,
                                                     hearth_gguf **out);
/* DESTRUCTOR. NULL is a no-op. */
HEARTH_API void hearth_gguf_close(hearth_gguf *gguf);

/* METHODS (all thread-safe on a shared hearth_gguf). */
HEARTH_API uint32_t hearth_gguf_version(const hearth_gguf *gguf);
HEARTH_API uint32_t hearth_gguf_alignment(const hearth_gguf *gguf);
/* File offset of the data section, and its size in bytes. */
HEARTH_API uint64_t hearth_gguf_data_offset(const hearth_gguf *gguf);
HEARTH_API uint64_t hearth_gguf_data_size(const hearth_gguf *gguf);

HEARTH_API int64_t hearth_gguf_n_kv(const hearth_gguf *gguf);
/* Key of entry i (0 <= i < n_kv), NUL-terminated; NULL when i is out of range. */
HEARTH_API const char *hearth_gguf_key(const hearth_gguf *gguf, int64_t i);
/* Index of `key`, or -1. */
HEARTH_API int64_t hearth_gguf_find_key(const hearth_gguf *gguf, const char *key);
/* Value of entry i. HEARTH_ERR_INVALID_ARG when i is out of range. */
HEARTH_API hearth_status hearth_gguf_value_at(const hearth_gguf *gguf, int64_t i,
                                              hearth_gguf_value *out);
/* Element i of an array value (nested arrays included).
 * HEARTH_ERR_INVALID_ARG when `array` is not an array or i >= count. */
HEARTH_API hearth_status hearth_gguf_array_get(const hearth_gguf_value *array, uint64_t i,
                                               hearth_gguf_value *out);

/* Typed getters by key. HEARTH_ERR_INVALID_ARG (message names the key) when the
 * key is absent or has another type; integer getters accept any integer type
 * whose value fits. Strings are returned NUL-terminated, owned by the hearth_gguf. */
HEARTH_API hearth_status hearth_gguf_get_u32(const hearth_gguf *gguf, const char *key,
                                             uint32_t *out);
HEARTH_API hearth_status hearth_gguf_get_u64(const hearth_gguf *gguf, const char *key,
                                             uint64_t *out);
HEARTH_API hearth_status hearth_gguf_get_i64(const hearth_gguf *gguf, const char *key,
                                             int64_t *out);
HEARTH_API hearth_status hearth_gguf_get_f32(const hearth_gguf *gguf, const char *key,
                                             float *out);
HEARTH_API hearth_status hearth_gguf_get_bool(const hearth_gguf *gguf, const char *key,
                                              bool *out);
HEARTH_API hearth_status hearth_gguf_get_str(const hearth_gguf *gguf, const char *key,
                                             const char **out);
/* The array under `key` (any element type). */
HEARTH_API hearth_status hearth_gguf_get_array(const hearth_gguf *gguf, const char *key,
                                               hearth_gguf_value *out);

HEARTH_API int64_t hearth_gguf_n_tensors(const hearth_gguf *gguf);
/* Tensor i (0 <= i < n_tensors) in file order; NULL when out of range. */
HEARTH_API const hearth_gguf_tensor *hearth_gguf_tensor_at(const hearth_gguf *gguf, int64_t i);
/* Tensor by name, or NULL. */
HEARTH_API const hearth_gguf_tensor *hearth_gguf_find_tensor(const hearth_gguf *gguf,
                                                             const char *name);

/* Name of a GGUF tensor type id ("Q4_K"); removed ids give their old name, unknown
 * ids "unknown". Block geometry: values per block and bytes per block, both 0
 * for removed or unknown ids. Never NULL. Thread-safe. */
HEARTH_API const char *hearth_type_name(uint32_t type);
HEARTH_API uint32_t hearth_type_block_size(uint32_t type);
HEARTH_API uint32_t hearth_type_block_bytes(uint32_t type);
/* Parses a name as printed by hearth_type_name(); HEARTH_ERR_INVALID_ARG if unknown. */
HEARTH_API hearth_status hearth_type_from_name(const char *name, uint32_t *out);

/* ---- GGUF writer -------------------------------------------------------- */
/* Writes a GGUF v3 file in a streaming fashion: set metadata and declare every
 * tensor first, then write the tensor data in declaration order (in pieces of
 * any size). Memory use is independent of the tensor data size. One thread at
 * a time. On any failure the writer is left in a failed state and later calls
 * return the same status; hearth_gguf_writer_free() removes the partial file. */
typedef struct hearth_gguf_writer hearth_gguf_writer;

/* CONSTRUCTOR. Creates (truncates) `path`. HEARTH_ERR_IO if it cannot be created. */
HEARTH_API hearth_status hearth_gguf_writer_create(const char *path, hearth_gguf_writer **out);
/* DESTRUCTOR. Closes the file; if hearth_gguf_writer_finish() did not succeed,
 * the incomplete file is deleted. NULL is a no-op. */
HEARTH_API void hearth_gguf_writer_free(hearth_gguf_writer *w);

/* Metadata setters (keys must be unique: HEARTH_ERR_INVALID_ARG on a duplicate).
 * Only before the first data write. Values are copied. Setting
 * "general.alignment" (u32, power of two) changes the data alignment. */
HEARTH_API hearth_status hearth_gguf_writer_set_u8(hearth_gguf_writer *w, const char *key, uint8_t v);
HEARTH_API hearth_status hearth_gguf_writer_set_i8(hearth_gguf_writer *w, const char *key, int8_t v);
HEARTH_API hearth_status hearth_gguf_writer_set_u16(hearth_gguf_writer *w, const char *key, uint16_t v);
HEARTH_API hearth_status hearth_gguf_writer_set_i16(hearth_gguf_writer *w, const char *key, int16_t v);
HEARTH_API hearth_status hearth_gguf_writer_set_u32(hearth_gguf_writer *w, const char *key, uint32_t v);
HEARTH_API hearth_status hearth_gguf_writer_set_i32(hearth_gguf_writer *w, const char *key, int32_t v);
HEARTH_API hearth_status hearth_gguf_writer_set_u64(hearth_gguf_writer *w, const char *key, uint64_t v);
HEARTH_API hearth_status hearth_gguf_writer_set_i64(hearth_gguf_writer *w, const char *key, int64_t v);
HEARTH_API hearth_status hearth_gguf_writer_set_f32(hearth_gguf_writer *w, const char *key, float v);
HEARTH_API hearth_status hearth_gguf_writer_set_f64(hearth_gguf_writer *w, const char *key, double v);
HEARTH_API hearth_status hearth_gguf_writer_set_bool(hearth_gguf_writer *w, const char *key, bool v);
/* `len` bytes of `str` (need not be NUL-terminated). */
HEARTH_API hearth_status hearth_gguf_writer_set_str(hearth_gguf_writer *w, const char *key,
                                                    const char *str, uint64_t len);
/* An array of `count` fixed-size elements of `elem_type` (not STRING/ARRAY),
 * read from `data` in the file's little-endian layout. */
HEARTH_API hearth_status hearth_gguf_writer_set_array(hearth_gguf_writer *w, const char *key,
                                                      hearth_gguf_type elem_type,
                                                      const void *data, uint64_t count);
/* An array of strings; lens may be NULL when every string is NUL-terminated. */
HEARTH_API hearth_status hearth_gguf_writer_set_str_array(hearth_gguf_writer *w, const char *key,
                                                          const char *const *strs,
                                                          const uint64_t *lens, uint64_t count);
/* Copies one metadata value read from a hearth_gguf (any type, nested arrays
 * excepted: HEARTH_ERR_UNSUPPORTED). Used to carry metadata over to a new file. */
HEARTH_API hearth_status hearth_gguf_writer_set_value(hearth_gguf_writer *w, const char *key,
                                                      const hearth_gguf_value *value);

/* Declares a tensor (names unique; ne[0] a multiple of the type's block size). */
HEARTH_API hearth_status hearth_gguf_writer_add_tensor(hearth_gguf_writer *w, const char *name,
                                                       uint32_t type, uint32_t n_dims,
                                                       const int64_t *ne);
/* Appends `n_bytes` of tensor data; the first call writes the header. Data goes
 * to the tensors in declaration order; padding is inserted between tensors.
 * HEARTH_ERR_INVALID_ARG when more bytes are written than declared. */
HEARTH_API hearth_status hearth_gguf_writer_write(hearth_gguf_writer *w, const void *data,
                                                  size_t n_bytes);
/* Completes the file. HEARTH_ERR_INVALID_ARG if some declared data is missing. */
HEARTH_API hearth_status hearth_gguf_writer_finish(hearth_gguf_writer *w);

/* ==== Model ============================================================== */
typedef struct hearth_model hearth_model;     /* immutable after load; shareable across threads */
typedef struct hearth_ctx hearth_ctx;         /* one sequence; one thread at a time */
typedef struct hearth_sampler hearth_sampler; /* RNG state; one thread at a time */

typedef struct hearth_model_params {
    bool use_mmap;     /* default true; false reads the file with read() */
    bool vocab_only;   /* default false; true loads only tokenizer and chat template,
                          for any architecture */
    bool hugepage_weights; /* default true: a mapped model's weight matrices are copied
                              into transparent huge pages the first time a context
                              computes with them (the mapped pages are released, so
                              memory stays ~ the weights); false: always read in place */
    hearth_log_fn log_fn; /* default NULL (silent) */
    void *log_user;
} hearth_model_params;
HEARTH_API hearth_model_params hearth_model_default_params(void);

/* CONSTRUCTOR. Loads a GGUF model. `params` may be NULL (defaults).
 * Statuses: HEARTH_ERR_IO, HEARTH_ERR_FORMAT (bad file, missing or mis-shaped
 * tensor: named with the shape expected), HEARTH_ERR_UNSUPPORTED (architecture or
 * tensor type hearth does not run, named), HEARTH_ERR_NOMEM.
 * Thread safety: after it returns, the model is never written again and may be
 * used by any number of threads and contexts at once. */
HEARTH_API hearth_status hearth_model_load(const char *path, const hearth_model_params *params,
                                           hearth_model **out);
/* DESTRUCTOR. NULL is a no-op. Every context made from the model must be freed first. */
HEARTH_API void hearth_model_free(hearth_model *model);

typedef struct hearth_model_info {
    const char *arch; /* general.architecture; owned by the model */
    const char *name; /* general.name or ""; owned by the model */
    int32_t n_vocab;
    int32_t n_ctx_train;
    int32_t n_embd;
    int32_t n_layer;
    int32_t n_head;
    int32_t n_head_kv;
    int32_t n_ff;
    int64_t n_params;      /* weight values (0 when vocab_only) */
    uint64_t weight_bytes; /* bytes of all weight tensors */
    bool vocab_only;
} hearth_model_info;
/* METHOD. Fills *out. Thread-safe. */
HEARTH_API hearth_status hearth_model_info_get(const hearth_model *model, hearth_model_info *out);
/* The model's GGUF file, for metadata queries. Valid until hearth_model_free(). */
HEARTH_API const hearth_gguf *hearth_model_gguf(const hearth_model *model);

/* ==== Tokenizer (methods on a const hearth_model; all thread-safe) ========= */
/* Converts `len` bytes of UTF-8 text into token ids.
 * add_special: add BOS/EOS as the model's metadata says (tokenizer.ggml.add_bos_token...).
 * parse_special: recognise control-token text ("<|eot_id|>") as those tokens;
 * otherwise it is tokenized as plain text (user-defined tokens are always
 * recognised, as in the reference tokenizers). Invalid UTF-8 and NUL bytes are
 * tokenized byte for byte through byte-fallback tokens (SentencePiece) or the
 * byte alphabet (BPE), so detokenizing gives the bytes back (a byte the
 * vocabulary has no token for, e.g. 0xFF in some BPE vocabularies, is dropped);
 * WordPiece drops them like control characters. Nothing is read past `len`. Writes the count to
 * *n_out; if it exceeds `n_max`, returns HEARTH_ERR_BUFFER_TOO_SMALL with the
 * needed count in *n_out and writes no tokens (tokens may be NULL when n_max is 0). */
HEARTH_API hearth_status hearth_tokenize(const hearth_model *model, const char *text, size_t len,
                                         bool add_special, bool parse_special, int32_t *tokens,
                                         size_t n_max, size_t *n_out);
/* The bytes a token stands for when it is output (byte tokens give their byte,
 * the SentencePiece space marker becomes ' '; control tokens give "" unless
 * `special` is true). Not NUL-terminated; may be part of a UTF-8 character.
 * HEARTH_ERR_BUFFER_TOO_SMALL with *n_out = needed size when buf is too small. */
HEARTH_API hearth_status hearth_token_to_piece(const hearth_model *model, int32_t token,
                                               bool special, char *buf, size_t size,
                                               size_t *n_out);
/* Bytes of a whole token sequence (leading-space handling as the model's
 * tokenizer does when decoding from the start). Same buffer rule. */
HEARTH_API hearth_status hearth_detokenize(const hearth_model *model, const int32_t *tokens,
                                           size_t n_tokens, bool special, char *buf, size_t size,
                                           size_t *n_out);
HEARTH_API int32_t hearth_vocab_size(const hearth_model *model);
/* Special token ids from metadata; -1 when the model has none. */
HEARTH_API int32_t hearth_token_bos(const hearth_model *model);
HEARTH_API int32_t hearth_token_eos(const hearth_model *model);
HEARTH_API int32_t hearth_token_eot(const hearth_model *model);
/* True for tokens that end generation (EOS, EOT and other end-of-generation ids). */
HEARTH_API bool hearth_token_is_eog(const hearth_model *model, int32_t token);

/* Streaming helper: how many leading bytes of buf[0..n) form complete UTF-8
 * characters (an incomplete sequence at the end is held back; invalid bytes
 * count as complete so they are never held forever). Thread-safe. */
HEARTH_API size_t hearth_utf8_complete_len(const char *buf, size_t n);

/* ==== Chat templates ===================================================== */
typedef struct hearth_chat_message {
    const char *role;    /* "system", "user" or "assistant" */
    const char *content; /* UTF-8, NUL-terminated */
} hearth_chat_message;

/* Renders a conversation into prompt text with the chat template family of
 * `model` (recognised from tokenizer.chat_template), or with the family named by
 * `template_name` when non-NULL ("llama2", "llama3", "llama3.1", "chatml",
 * "qwen2.5", "qwen3", "phi3", "gemma", "mistral-v1", "mistral-v3", "mistral-v7",
 * "mistral-nemo", "deepseek-r1", "deepseek-r1-llama-cpp", "deepseek3", "command-r",
 * "zephyr", "vicuna"; aliases in the README; an unknown name is
 * HEARTH_ERR_INVALID_ARG). `model` may be NULL when template_name is given (BOS/EOS
 * text then follows the family's usual tokens). Roles must be "system", "user" or
 * "assistant" (HEARTH_ERR_INVALID_ARG otherwise).
 * add_generation_prompt appends the opening of the assistant turn.
 * The text includes the BOS text where the family's template has it.
 * An unknown template falls back to ChatML with a warning to the model's log.
 * HEARTH_ERR_BUFFER_TOO_SMALL with *n_out = bytes needed (without the NUL);
 * otherwise buf is NUL-terminated and *n_out is its length. buf may be NULL when
 * size is 0 (size query). Thread-safe. Same as hearth_chat_apply_ex() with
 * default params apart from template_name and add_generation_prompt. */
HEARTH_API hearth_status hearth_chat_apply(const hearth_model *model, const char *template_name,
                                           const hearth_chat_message *messages, size_t n_messages,
                                           bool add_generation_prompt, char *buf, size_t size,
                                           size_t *n_out);

/* Everything hearth_chat_apply_ex() can be told besides the messages. Every
 * pointer is borrowed for the duration of the call only. */
typedef struct hearth_chat_params {
    const char *template_name; /* family name; NULL = recognise the template (default) */
    const char *template_text; /* a Jinja chat template to recognise instead of the
                                  model's tokenizer.chat_template; NULL = the model's */
    bool add_generation_prompt; /* default true */
    const char *bos_text;      /* NULL = the model's BOS token text, else the family's usual */
    const char *eos_text;      /* NULL = the model's EOS token text, else the family's usual */
    const char *date;          /* "26 Jul 2024" form, printed by Llama 3.1+ templates;
                                  NULL = the template's own default (a fixed date written
                                  in it, or today in local time, as transformers does) */
    hearth_log_fn log_fn;      /* warnings; NULL = the model's log callback */
    void *log_user;
} hearth_chat_params;
HEARTH_API hearth_chat_params hearth_chat_default_params(void);

/* As hearth_chat_apply(), with params (NULL = defaults). Without a model, one of
 * template_name / template_text is required (HEARTH_ERR_INVALID_ARG otherwise).
 * Thread-safe. */
HEARTH_API hearth_status hearth_chat_apply_ex(const hearth_model *model,
                                              const hearth_chat_params *params,
                                              const hearth_chat_message *messages,
                                              size_t n_messages, char *buf, size_t size,
                                              size_t *n_out);

/* Name of the family (as accepted by template_name) that a Jinja chat template
 * implements, or NULL when hearth does not recognise it. Static string. Thread-safe. */
HEARTH_API const char *hearth_chat_detect(const char *template_text);

/* ==== Context ============================================================ */
typedef enum hearth_kv_type { HEARTH_KV_F16 = 0, HEARTH_KV_F32 = 1 } hearth_kv_type;

typedef struct hearth_ctx_params {
    int32_t n_ctx;       /* KV capacity in tokens; 0 = min(4096, trained length) */
    int32_t n_batch;     /* most tokens one decode call may take; 0 = n_ctx */
    int32_t n_threads;   /* 0 = physical cores (hwloc; fallback: online CPUs) */
    hearth_isa isa;      /* AUTO = best supported; a tier the CPU lacks fails */
    hearth_kv_type kv_type; /* default F16 */
    bool logits_all;     /* keep the logits of every token of a batch (default: last only) */
    bool ctx_shift;      /* when full, drop the oldest half after n_keep instead of failing */
    int32_t n_keep;      /* tokens kept at the start on a context shift */
    bool pin_threads;    /* pin workers to cores (default false) */
    hearth_log_fn log_fn; /* default NULL (silent) */
    void *log_user;
} hearth_ctx_params;
HEARTH_API hearth_ctx_params hearth_ctx_default_params(void);

/* CONSTRUCTOR. A context over `model` (which must outlive it): KV cache, scratch
 * memory and thread pool are allocated here, once. A forced `isa` this CPU lacks
 * fails with HEARTH_ERR_UNSUPPORTED; the library never runs an instruction the
 * CPU does not support. Any number of contexts may share one model. */
HEARTH_API hearth_status hearth_ctx_create(const hearth_model *model,
                                           const hearth_ctx_params *params, hearth_ctx **out);
/* DESTRUCTOR. NULL is a no-op. */
HEARTH_API void hearth_ctx_free(hearth_ctx *ctx);

/* METHOD. Appends n_tokens tokens at the next positions and runs the model.
 * HEARTH_ERR_CONTEXT_FULL (nothing changed) when they do not fit and ctx_shift is
 * off; HEARTH_ERR_INVALID_ARG for an id outside the vocabulary or n_tokens
 * outside 1..n_batch. One thread at a time per context. */
HEARTH_API hearth_status hearth_ctx_decode(hearth_ctx *ctx, const int32_t *tokens,
                                           int32_t n_tokens);
/* Logits (n_vocab floats) of token i of the last decoded batch; i = -1 means the
 * last token. Without logits_all only the last token's are kept (other i give
 * NULL). Owned by ctx; valid until the next call that changes ctx. */
HEARTH_API const float *hearth_ctx_logits(const hearth_ctx *ctx, int32_t i);
/* METHOD. Forgets every token from position n on (0 <= n <= n_past), so the next
 * decode continues from there. */
HEARTH_API hearth_status hearth_ctx_kv_truncate(hearth_ctx *ctx, int32_t n);
/* METHOD. Empties the KV cache (same as truncating to 0). */
HEARTH_API hearth_status hearth_ctx_reset(hearth_ctx *ctx);

typedef struct hearth_ctx_info {
    int32_t n_ctx;
    int32_t n_past;    /* tokens in the KV cache */
    uint64_t kv_bytes; /* bytes allocated for the KV cache */
    hearth_isa isa;    /* the tier actually selected */
    int32_t n_threads;
    int32_t n_shifts;  /* context shifts performed so far */
} hearth_ctx_info;
HEARTH_API hearth_status hearth_ctx_info_get(const hearth_ctx *ctx, hearth_ctx_info *out);

/* ==== Sampler ============================================================ */
typedef enum hearth_sampler_stage {
    HEARTH_SAMPLE_PENALTIES = 0, /* repetition / frequency / presence over the last N */
    HEARTH_SAMPLE_TOP_K = 1,
    HEARTH_SAMPLE_TOP_P = 2,
    HEARTH_SAMPLE_MIN_P = 3,
    HEARTH_SAMPLE_TEMPERATURE = 4
} hearth_sampler_stage;

#define HEARTH_SAMPLER_MAX_STAGES 8

typedef struct hearth_sampler_params {
    uint64_t seed;          /* RNG seed; same seed and inputs => same tokens */
    float temperature;      /* default 0.8; <= 0 means greedy (argmax) */
    int32_t top_k;          /* default 40; <= 0 disables */
    float top_p;            /* default 0.95; >= 1 disables */
    float min_p;            /* default 0.05; <= 0 disables */
    float repeat_penalty;   /* default 1.0 (off) */
    float frequency_penalty; /* default 0 (off) */
    float presence_penalty; /* default 0 (off) */
    int32_t penalty_last_n; /* default 64 */
    /* Stage order; default penalties, top-k, top-p, min-p, temperature (as llama.cpp). */
    hearth_sampler_stage stages[HEARTH_SAMPLER_MAX_STAGES];
    int32_t n_stages;
} hearth_sampler_params;
HEARTH_API hearth_sampler_params hearth_sampler_default_params(void);

/* CONSTRUCTOR. Copies params. HEARTH_ERR_INVALID_ARG for out-of-range values. */
HEARTH_API hearth_status hearth_sampler_create(const hearth_sampler_params *params,
                                               hearth_sampler **out);
/* DESTRUCTOR. NULL is a no-op. */
HEARTH_API void hearth_sampler_free(hearth_sampler *sampler);
/* METHOD. Draws one token from `logits` (n_vocab floats, never modified) and
 * records it in the penalty history. */
HEARTH_API hearth_status hearth_sampler_sample(hearth_sampler *sampler, const float *logits,
                                               int32_t n_vocab, int32_t *token);
/* METHOD. Records a token the sampler did not draw (prompt tokens) in the history. */
HEARTH_API void hearth_sampler_accept(hearth_sampler *sampler, int32_t token);
/* METHOD. Clears the history and reseeds the RNG with the original seed. */
HEARTH_API void hearth_sampler_reset(hearth_sampler *sampler);

/* ==== Quantization ======================================================= */
typedef struct hearth_quantize_params {
    /* Report each tensor through log_fn at INFO level once it is written, as
     * "[i/n] p% name SRC -> DST [ne0 x ne1 ...]" (i counts from 1, p is the share
     * of the source bytes done), so that a program can draw a progress bar;
     * tensors larger than one 8 MiB chunk also report at DEBUG level, in the
     * same format, after each chunk. */
    bool progress;
    hearth_log_fn log_fn; /* warnings (fallback types) and progress; default NULL */
    void *log_user;
    int32_t n_threads;    /* threads that quantize rows; 0 = physical cores */
} hearth_quantize_params;
HEARTH_API hearth_quantize_params hearth_quantize_default_params(void);

/* A quantization preset, as llama.cpp's llama-quantize names it. */
typedef struct hearth_quantize_preset {
    const char *name;        /* canonical name, e.g. "Q4_K_M"; static storage */
    uint32_t file_type;      /* value written to general.file_type (llama.cpp's LLAMA_FTYPE) */
    uint32_t default_type;   /* GGUF type id of the weight matrices no rule changes */
    const char *description; /* one line; static storage */
} hearth_quantize_preset;

/* Preset i (0-based, in llama-quantize's listing order) into *out; false, with
 * *out untouched, when i is past the last. Thread-safe. */
HEARTH_API bool hearth_quantize_preset_at(int32_t i, hearth_quantize_preset *out);
/* Looks a preset up by name: case-insensitive; "Q3_K", "Q4_K" and "Q5_K" mean
 * the _M presets; a bare number is a LLAMA_FTYPE value. HEARTH_ERR_INVALID_ARG
 * (naming the known presets) when there is no such preset. Thread-safe. */
HEARTH_API hearth_status hearth_quantize_preset_find(const char *name, hearth_quantize_preset *out);

/* Converts an F32/F16/BF16 GGUF file into `preset` ("Q4_0", "Q4_K_M", "IQ4_XS",
 * ... see hearth_quantize_preset_at()), giving each tensor the type llama.cpp's
 * llama-quantize gives it (per-role exceptions and row-length fallbacks
 * included). All metadata is copied; general.file_type and
 * general.quantization_version (2) are set. Tensors are written in
 * llama-quantize's order. Streams: tensor data is read with pread() in chunks
 * of about 8 MiB, so memory is two chunks plus one float row per thread,
 * whatever the model size. `params` may be NULL (defaults).
 * Statuses: HEARTH_ERR_INVALID_ARG (unknown preset, NULL path, output path is
 * the input file), HEARTH_ERR_IO, HEARTH_ERR_FORMAT (bad input file),
 * HEARTH_ERR_UNSUPPORTED (a tensor to convert is already quantized, or a target
 * type has no quantizer), HEARTH_ERR_NOMEM. On failure no output file is left.
 * Thread-safe (calls on different files may run at once). */
HEARTH_API hearth_status hearth_quantize_file(const char *in_path, const char *out_path,
                                              const char *preset,
                                              const hearth_quantize_params *params);

#ifdef __cplusplus
}
#endif
#endif /* HEARTH_H */
