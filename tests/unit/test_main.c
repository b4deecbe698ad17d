/* Runs every unit test, or with arguments SUITE TEST only that one (as ctest
 * does, one entry per test). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "suites.h"

int main(int argc, char **argv)
{
    if (argc != 1 && argc != 3) {
        fprintf(stderr, "usage: %s [SUITE TEST]\n", argv[0]);
        return 2;
    }
    Suite *(*const suites[])(void) = {
        cli_suite,           debug_suite,       diagram_suite,       echo_suite,       faults_suite,
        frames_suite,        timeline_suite,    guard_suite,         handshake_suite,  lifecycle_suite,
        link_wrappers_suite, offload_suite,     options_suite,       pools_suite,      serial_suite,
        statelog_suite,      scaling_suite,     window_suite,        syn_cookie_suite, web_suite,
        web_http_suite,      web_history_suite, window_budget_suite, tap_steer_suite};
    SRunner *runner = srunner_create(NULL);
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
        srunner_add_suite(runner, suites[i]());
    }
    srunner_run(runner, argc == 3 ? argv[1] : NULL, argc == 3 ? argv[2] : NULL, CK_NORMAL);
    int run = srunner_ntests_run(runner);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    /* A misspelt name runs nothing, which must not pass for success. */
    if (run == 0) {
        fprintf(stderr, "%s: no test matches '%s %s'\n", argv[0], argc == 3 ? argv[1] : "",
                argc == 3 ? argv[2] : "");
        return 1;
    }
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
