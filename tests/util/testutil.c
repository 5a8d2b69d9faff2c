/* testutil.c - see testutil.h. */
#include "testutil.h"

#include <check.h>    /* ck_abort_msg when shared data is required */
#include <math.h>     /* sqrt, log, cos */
#include <stdio.h>    /* fopen, snprintf */
#include <stdlib.h>   /* getenv, malloc, mkdtemp */
#include <string.h>   /* strlen */
#include <sys/stat.h> /* stat */
#include <sys/wait.h> /* WIFEXITED */
#include <unistd.h>   /* access */

const char *test_shared_dir(void) {
    const char *dir = getenv("HEARTH_SHARED_DIR");
    if (!dir || !*dir)
        dir = "../shared";
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return NULL;
    return dir;
}

bool test_shared_path(const char *rel, char *buf, size_t size, const char *why) {
    const char *dir = getenv("HEARTH_SHARED_DIR");
    if (!dir || !*dir)
        dir = "../shared";
    snprintf(buf, size, "%s/%s", dir, rel);
    if (access(buf, R_OK) == 0)
        return true;
    if (getenv("HEARTH_REQUIRE_SHARED") && *getenv("HEARTH_REQUIRE_SHARED"))
        ck_abort_msg("%s: %s not found and HEARTH_REQUIRE_SHARED is set", why, buf);
    fprintf(stderr, "SKIP %s: %s not found (../shared is optional)\n", why, buf);
    return false;
}

static char tmpdir[256];

static void remove_tmpdir(void) {
    if (tmpdir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmpdir);
    }
}

const char *test_tmpdir(void) {
    if (!tmpdir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s/hearth-test-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(tmpdir))
            ck_abort_msg("mkdtemp failed");
        atexit(remove_tmpdir);
    }
    return tmpdir;
}

char *test_read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *bigger = realloc(buf, cap * 2 + 1);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf)
        return NULL;
    buf[n] = '\0';
    if (size)
        *size = n;
    return buf;
}

void test_rng_seed(test_rng *r, uint64_t seed) { r->s = seed ? seed : 0x9E3779B97F4A7C15ull; }

uint64_t test_rng_u64(test_rng *r) {
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}

float test_rng_uniform(test_rng *r) { return (float)(test_rng_u64(r) >> 40) / 16777216.0f; }

float test_rng_normal(test_rng *r) {
    double u1 = ((double)(test_rng_u64(r) >> 11) + 1.0) / 9007199254740993.0;
    double u2 = (double)(test_rng_u64(r) >> 11) / 9007199254740992.0;
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

double test_relrms(const float *a, const float *b, size_t n) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - (double)b[i];
        num += d * d;
        den += (double)b[i] * (double)b[i];
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

const char *test_bin(const char *program, char *buf, size_t size) {
    const char *dir = getenv("HEARTH_BIN_DIR");
    snprintf(buf, size, "%s/%s", dir && *dir ? dir : "build/bin", program);
    return buf;
}

int test_run_program(const char *program, const char *args, char **out, char **err) {
    char bin[512], cmd[4096], out_path[512], err_path[512];
    test_bin(program, bin, sizeof bin);
    snprintf(out_path, sizeof out_path, "%s/%s.out", test_tmpdir(), program);
    snprintf(err_path, sizeof err_path, "%s/%s.err", test_tmpdir(), program);
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s' 2>'%s'", bin, args, out_path, err_path);
    int rc = system(cmd);
    ck_assert_msg(rc != -1 && WIFEXITED(rc), "cannot run %s", cmd);
    *out = test_read_file(out_path, NULL);
    *err = test_read_file(err_path, NULL);
    ck_assert_ptr_nonnull(*out);
    ck_assert_ptr_nonnull(*err);
    return WEXITSTATUS(rc);
}
