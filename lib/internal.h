/* internal.h - what every lib/ module shares: error plumbing and logging.
 *
 * Internal modules report failure through an hearth_errbuf passed by their
 * caller (never a global); the public entry points copy that message into the
 * calling thread's last-error slot. See STYLE §3.
 */
#ifndef HEARTH_INTERNAL_H
#define HEARTH_INTERNAL_H

#include <assert.h> /* HEARTH_ASSERT */
#include <stdarg.h> /* va_list for hearth_fail */

#include "hearth.h"
#include "../kernels/kernels.h"
#include "../kernels/quant.h"

/* Hidden visibility is the default (-fvisibility=hidden); this marks intent. */
#define HEARTH_INTERNAL __attribute__((visibility("hidden")))

typedef struct hearth_errbuf {
    char msg[512];
} hearth_errbuf;

/* Formats the message into e (when e is non-NULL) and returns `code`, so that
 * callers write `return hearth_fail(e, HEARTH_ERR_FORMAT, "tensor %s: ...", name);` */
hearth_status hearth_fail(hearth_errbuf *e, hearth_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Stores the message as the calling thread's hearth_last_error() and returns code. */
hearth_status hearth_set_last_error(hearth_status code, const char *msg);
/* printf-style convenience: formats straight into the thread's last error. */
hearth_status hearth_set_error(hearth_status code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Sends a formatted message to log_fn when it is set (the library never prints). */
void hearth_log(hearth_log_fn fn, void *user, hearth_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define HEARTH_TRY(expr)                                                                   \
    do {                                                                                   \
        hearth_status hearth_try_st_ = (expr);                                             \
        if (hearth_try_st_ != HEARTH_OK)                                                   \
            return hearth_try_st_;                                                         \
    } while (0)

/* Broken internal invariants only (never input errors): off in release builds. */
#define HEARTH_ASSERT(cond) assert(cond)

/* Overflow-checked size arithmetic: return true on overflow. */
static inline int hearth_mul_overflow_u64(uint64_t a, uint64_t b, uint64_t *out) {
    return __builtin_mul_overflow(a, b, out);
}
static inline int hearth_add_overflow_u64(uint64_t a, uint64_t b, uint64_t *out) {
    return __builtin_add_overflow(a, b, out);
}

#endif /* HEARTH_INTERNAL_H */
