/* testutil.h - helpers shared by the Check suites.
 *
 * ../shared (real vocabularies, chat templates, golden logits) is optional for
 * users: a test that needs it skips with a printed note when it is absent, but
 * fails when HEARTH_REQUIRE_SHARED is set (CI sets it, CONVENTIONS §1).
 */
#ifndef HEARTH_TESTUTIL_H
#define HEARTH_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Path of ../shared (HEARTH_SHARED_DIR from make, else "../shared"), or NULL
 * when the folder is absent. */
const char *test_shared_dir(void);

/* Writes "<shared>/<rel>" into buf; returns false when the file is absent.
 * When absent: prints "SKIP <why>: <path> not found" to stderr, and if
 * HEARTH_REQUIRE_SHARED is set, fails the current Check test instead. */
bool test_shared_path(const char *rel, char *buf, size_t size, const char *why);

/* A fresh temporary directory for this test (removed at exit); never NULL. */
const char *test_tmpdir(void);

/* Reads a whole file into a malloc'd buffer (NUL-terminated); NULL on failure. */
char *test_read_file(const char *path, size_t *size);

/* Seeded xorshift64* generator for reproducible test data. */
typedef struct test_rng { uint64_t s; } test_rng;
void test_rng_seed(test_rng *r, uint64_t seed);
uint64_t test_rng_u64(test_rng *r);
float test_rng_uniform(test_rng *r);          /* [0, 1) */
float test_rng_normal(test_rng *r);           /* N(0, 1), Box-Muller */

/* relrms(a, b) = sqrt(mean((a-b)^2) / mean(b^2)), accumulated in double. */
double test_relrms(const float *a, const float *b, size_t n);

/* Path of a program built into build/bin (HEARTH_BIN_DIR from make). */
const char *test_bin(const char *program, char *buf, size_t size);

/* Runs build/bin/PROGRAM with ARGS (shell words), stdout and stderr captured
 * into *out and *err (caller frees); fails the test if it cannot run or was
 * killed, else returns its exit code. */
int test_run_program(const char *program, const char *args, char **out, char **err);

#endif /* HEARTH_TESTUTIL_H */
