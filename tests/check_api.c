/* check_api.c - the public API's fixed points: version macros vs functions,
 * pinned status values and strings, the thread-local last error.
 */
#include <check.h>
#include <pthread.h> /* last error is per thread */
#include <stdio.h>   /* snprintf */
#include <string.h>

#include "hearth.h"
#include "lib/internal.h"

START_TEST(test_api_version_matches_macros) {
    ck_assert_uint_eq(hearth_version_number(), HEARTH_VERSION_NUMBER);
    ck_assert_str_eq(hearth_version_string(), HEARTH_VERSION_STRING);
    char expect[32];
    snprintf(expect, sizeof expect, "%d.%d.%d", HEARTH_VERSION_MAJOR, HEARTH_VERSION_MINOR,
             HEARTH_VERSION_PATCH);
    ck_assert_str_eq(hearth_version_string(), expect);
}
END_TEST

/* The values are ABI (CONVENTIONS §2): renumbering one must fail this test. */
START_TEST(test_api_status_values_are_pinned) {
    ck_assert_int_eq(HEARTH_OK, 0);
    ck_assert_int_eq(HEARTH_ERR_INVALID_ARG, 1);
    ck_assert_int_eq(HEARTH_ERR_NOMEM, 2);
    ck_assert_int_eq(HEARTH_ERR_IO, 3);
    ck_assert_int_eq(HEARTH_ERR_FORMAT, 4);
    ck_assert_int_eq(HEARTH_ERR_UNSUPPORTED, 5);
    ck_assert_int_eq(HEARTH_ERR_BUFFER_TOO_SMALL, 6);
    ck_assert_int_eq(HEARTH_ERR_CONTEXT_FULL, 7);
    ck_assert_int_eq(HEARTH_ERR_INTERNAL, 8);
}
END_TEST

START_TEST(test_api_status_str_never_null) {
    for (int s = -3; s < 20; s++) {
        const char *text = hearth_status_str((hearth_status)s);
        ck_assert_ptr_nonnull(text);
        ck_assert_int_gt((int)strlen(text), 0);
    }
    ck_assert_str_eq(hearth_status_str(HEARTH_ERR_CONTEXT_FULL), "context full");
    ck_assert_str_eq(hearth_status_str((hearth_status)99), "unknown status");
}
END_TEST

static void *set_error_on_other_thread(void *arg) {
    hearth_set_error(HEARTH_ERR_IO, "other thread %d", 7);
    return (void *)(strcmp(hearth_last_error(), "other thread 7") == 0 ? arg : NULL);
}

START_TEST(test_api_last_error_is_thread_local) {
    hearth_set_error(HEARTH_ERR_FORMAT, "main thread");
    static int token;
    pthread_t t;
    void *ok = NULL;
    ck_assert_int_eq(pthread_create(&t, NULL, set_error_on_other_thread, &token), 0);
    pthread_join(t, &ok);
    ck_assert_ptr_eq(ok, &token);
    ck_assert_str_eq(hearth_last_error(), "main thread");
}
END_TEST

START_TEST(test_api_last_error_truncates_long_messages) {
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ck_assert_int_eq(hearth_set_last_error(HEARTH_ERR_FORMAT, big), HEARTH_ERR_FORMAT);
    size_t n = strlen(hearth_last_error());
    ck_assert(n > 100 && n < sizeof big);
}
END_TEST

Suite *api_suite(void) {
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("basics");
    tcase_add_test(tc, test_api_version_matches_macros);
    tcase_add_test(tc, test_api_status_values_are_pinned);
    tcase_add_test(tc, test_api_status_str_never_null);
    tcase_add_test(tc, test_api_last_error_is_thread_local);
    tcase_add_test(tc, test_api_last_error_truncates_long_messages);
    suite_add_tcase(s, tc);
    return s;
}
