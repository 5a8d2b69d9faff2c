/* check_main.c - the one Check runner: every tests/check_NAME.c contributes
 * `Suite *NAME_suite(void)`, listed in the generated suites.inc.
 * Run a subset with CK_RUN_SUITE=NAME or CK_RUN_CASE=NAME (Check's own variables).
 */
#include <check.h>
#include <stdlib.h> /* EXIT_SUCCESS */

#define HEARTH_SUITE(name) Suite *name##_suite(void);
#include "suites.inc"
#undef HEARTH_SUITE

int main(void) {
    SRunner *runner = srunner_create(NULL);
#define HEARTH_SUITE(name) srunner_add_suite(runner, name##_suite());
#include "suites.inc"
#undef HEARTH_SUITE
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
