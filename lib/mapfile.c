/* mapfile.c - read-only file images for the GGUF reader (see mapfile.h).
 *
 * mmap keeps tensor data out of the heap: pages are loaded on first touch and
 * shared with the page cache. read() is the fallback for file systems that
 * cannot map and for callers that ask for it (use_mmap = false).
 */
#include "mapfile.h"

#include <errno.h>    /* errno, EINTR */
#include <fcntl.h>    /* open */
#include <stdlib.h>   /* malloc, free */
#include <string.h>   /* strerror, memset */
#include <sys/mman.h> /* mmap, munmap */
#include <sys/stat.h> /* fstat */
#include <unistd.h>   /* read, close */

/* How much of the start of a mapped file is prefaulted (see mapfile_open). */
#define MAPFILE_PREFAULT_BYTES ((size_t)16 << 20)

/* Reads exactly `size` bytes; a short read means the file shrank under us. */
static hearth_status read_all(int fd, uint8_t *buf, size_t size, const char *path,
                              hearth_errbuf *e) {
    size_t done = 0;
    while (done < size) {
        ssize_t got = read(fd, buf + done, size - done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return hearth_fail(e, HEARTH_ERR_IO, "%s: read failed at offset %zu: %s", path, done,
                               strerror(errno));
        if (got == 0)
            return hearth_fail(e, HEARTH_ERR_IO, "%s: file ended at offset %zu while %zu bytes "
                               "were expected (changed while reading?)", path, done, size);
        done += (size_t)got;
    }
    return HEARTH_OK;
}

hearth_status mapfile_open(mapfile *mf, const char *path, bool use_mmap, size_t min_size,
                           hearth_errbuf *e) {
    memset(mf, 0, sizeof *mf);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return hearth_fail(e, HEARTH_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        hearth_status st_err = hearth_fail(e, HEARTH_ERR_IO, "%s: cannot stat: %s", path,
                                           strerror(errno));
        close(fd);
        return st_err;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return hearth_fail(e, HEARTH_ERR_IO, "%s: not a regular file", path);
    }
    /* Checked before mapping: an empty file cannot be mapped at all. */
    if ((uint64_t)st.st_size < (uint64_t)min_size) {
        close(fd);
        return hearth_fail(e, HEARTH_ERR_FORMAT,
                           "%s: file is %lld bytes, shorter than the %zu-byte minimum", path,
                           (long long)st.st_size, min_size);
    }
    if ((uint64_t)st.st_size > (uint64_t)SIZE_MAX) {
        close(fd);
        return hearth_fail(e, HEARTH_ERR_IO, "%s: file too large to address", path);
    }
    size_t size = (size_t)st.st_size;

    if (use_mmap && size > 0) {
        void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p != MAP_FAILED) {
            close(fd);
#ifdef MADV_POPULATE_READ
            /* The parser walks the whole header (a 150k-token vocabulary is
             * megabytes of strings); faulting it in with one call is several
             * times cheaper than page by page. Tensor data past the prefix
             * stays lazy. Best effort: older kernels refuse, which is fine. */
            size_t prefix = size < MAPFILE_PREFAULT_BYTES ? size : MAPFILE_PREFAULT_BYTES;
            (void)madvise(p, prefix, MADV_POPULATE_READ);
#endif
            mf->data = p;
            mf->size = size;
            mf->mapped = true;
            return HEARTH_OK;
        }
        /* Fall through to read(): some file systems cannot map. */
    }
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) {
        close(fd);
        return hearth_fail(e, HEARTH_ERR_NOMEM, "%s: cannot allocate %zu bytes to read the file",
                           path, size);
    }
    hearth_status st_read = read_all(fd, buf, size, path, e);
    close(fd);
    if (st_read != HEARTH_OK) {
        free(buf);
        return st_read;
    }
    mf->data = buf;
    mf->size = size;
    mf->mapped = false;
    return HEARTH_OK;
}

void mapfile_close(mapfile *mf) {
    if (!mf || !mf->data)
        return;
    if (mf->mapped)
        munmap((void *)mf->data, mf->size);
    else
        free((void *)mf->data);
    memset(mf, 0, sizeof *mf);
}
