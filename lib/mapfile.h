/* mapfile.h - a whole file, read-only, in memory: mmap when possible, read() otherwise.
 *
 * Knows nothing about file formats. The caller says how many bytes the file
 * must at least hold; shorter files (an empty one included) are refused before
 * anything is mapped, because mmap of a zero-length file fails with a message
 * that would hide the real problem ("file is empty").
 */
#ifndef HEARTH_MAPFILE_H
#define HEARTH_MAPFILE_H

#include <stdbool.h> /* use_mmap */
#include <stddef.h>  /* size_t */
#include <stdint.h>  /* uint8_t */

#include "internal.h"

typedef struct mapfile {
    const uint8_t *data; /* (size) bytes of the file; read-only */
    size_t size;
    bool mapped;         /* true: munmap on close; false: free() */
} mapfile;

/* Opens `path` and makes its bytes available in mf->data. With use_mmap the
 * file is mapped read-only (falling back to read() when mmap fails); without,
 * it is read into a malloc'd buffer. Statuses: HEARTH_ERR_IO (open/stat/read
 * failure, not a regular file), HEARTH_ERR_FORMAT (fewer than min_size bytes),
 * HEARTH_ERR_NOMEM. On failure *mf is zeroed and e names the path. */
hearth_status mapfile_open(mapfile *mf, const char *path, bool use_mmap, size_t min_size,
                           hearth_errbuf *e);
/* Releases the bytes; a zeroed mapfile is a no-op. */
void mapfile_close(mapfile *mf);

#endif /* HEARTH_MAPFILE_H */
