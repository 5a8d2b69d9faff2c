/* status.c - status strings, the thread-local last error, logging, versions.
 *
 * The last-error slot is the library's only process-wide state (CONVENTIONS §2);
 * being thread-local, contexts on different threads never see each other's
 * messages.
 */
#include <stdio.h>  /* vsnprintf */
#include <string.h> /* strlen, memcpy */

#include "internal.h"

static _Thread_local char last_error[512];

const char *hearth_status_str(hearth_status status) {
    switch (status) {
    case HEARTH_OK: return "ok";
    case HEARTH_ERR_INVALID_ARG: return "invalid argument";
    case HEARTH_ERR_NOMEM: return "out of memory";
    case HEARTH_ERR_IO: return "i/o error";
    case HEARTH_ERR_FORMAT: return "malformed input";
    case HEARTH_ERR_UNSUPPORTED: return "unsupported";
    case HEARTH_ERR_BUFFER_TOO_SMALL: return "buffer too small";
    case HEARTH_ERR_CONTEXT_FULL: return "context full";
    case HEARTH_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}

const char *hearth_last_error(void) { return last_error; }

hearth_status hearth_set_last_error(hearth_status code, const char *msg) {
    size_t n = strlen(msg);
    if (n >= sizeof last_error)
        n = sizeof last_error - 1;
    memcpy(last_error, msg, n);
    last_error[n] = '\0';
    return code;
}

hearth_status hearth_set_error(hearth_status code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return code;
}

hearth_status hearth_fail(hearth_errbuf *e, hearth_status code, const char *fmt, ...) {
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void hearth_log(hearth_log_fn fn, void *user, hearth_log_level level, const char *fmt, ...) {
    if (!fn)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fn(user, level, msg);
}

unsigned hearth_version_number(void) { return HEARTH_VERSION_NUMBER; }
const char *hearth_version_string(void) { return HEARTH_VERSION_STRING; }
