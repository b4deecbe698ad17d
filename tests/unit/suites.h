/* One Check suite per test_<name>.c, named <name>: tests/unit/CMakeLists.txt
 * derives the ctest names unit.<name>.<test> from the file names. */
#ifndef UNIT_SUITES_H
#define UNIT_SUITES_H

#include <check.h>

Suite *cli_suite(void);
Suite *debug_suite(void);
Suite *diagram_suite(void);
Suite *echo_suite(void);
Suite *faults_suite(void);
Suite *timeline_suite(void);
Suite *frames_suite(void);
Suite *guard_suite(void);
Suite *handshake_suite(void);
Suite *lifecycle_suite(void);
Suite *link_wrappers_suite(void);
Suite *offload_suite(void);
Suite *options_suite(void);
Suite *pools_suite(void);
Suite *serial_suite(void);
Suite *scaling_suite(void);
Suite *statelog_suite(void);
Suite *web_suite(void);
Suite *web_http_suite(void);
Suite *web_history_suite(void);
Suite *syn_cookie_suite(void);
Suite *tap_steer_suite(void);
Suite *window_budget_suite(void);
Suite *window_suite(void);

#endif
