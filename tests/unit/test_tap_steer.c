/* The CPU mask lwip-tap writes to its tap's rps_cpus (tap_steer.h): every
 * CPU it may use but its own, in the kernel's format. */
#include <check.h>
#include <sched.h>

#include "fixture.h"
#include "lwiptap/tap_steer.h"
#include "suites.h"

static int mask_of(const int *cpus, int count, int own, char *mask, size_t masklen)
{
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    for (int i = 0; i < count; i++) {
        CPU_SET(cpus[i], &allowed);
    }
    return tap_steer_mask(&allowed, own, mask, masklen);
}

START_TEST(two_cpus_steer_to_the_other_one)
{
    char mask[64];
    const int cpus[] = {0, 1};
    ck_assert_int_eq(mask_of(cpus, 2, 0, mask, sizeof mask), 1);
    ck_assert_str_eq(mask, "2");
    ck_assert_int_eq(mask_of(cpus, 2, 1, mask, sizeof mask), 1);
    ck_assert_str_eq(mask, "1");
}
END_TEST

START_TEST(only_allowed_cpus_are_named)
{
    char mask[64];
    const int cpus[] = {2, 5, 7};
    ck_assert_int_eq(mask_of(cpus, 3, 5, mask, sizeof mask), 2);
    ck_assert_str_eq(mask, "84");
}
END_TEST

START_TEST(past_32_cpus_the_mask_has_comma_separated_groups)
{
    char mask[64];
    const int cpus[] = {0, 1, 33, 64};
    ck_assert_int_eq(mask_of(cpus, 4, 1, mask, sizeof mask), 3);
    ck_assert_str_eq(mask, "1,00000002,00000001");
}
END_TEST

START_TEST(one_cpu_leaves_nothing_to_steer_to)
{
    char mask[64] = "x";
    const int cpus[] = {3};
    ck_assert_int_eq(mask_of(cpus, 1, 3, mask, sizeof mask), 0);
    ck_assert_str_eq(mask, "");
}
END_TEST

START_TEST(a_mask_too_short_is_an_error)
{
    char mask[8];
    const int cpus[] = {0, 1, 40};
    ck_assert_int_eq(mask_of(cpus, 3, 0, mask, sizeof mask), -1);
}
END_TEST

Suite *tap_steer_suite(void)
{
    Suite *s = suite_create("tap_steer");
    fixture_add_test(s, two_cpus_steer_to_the_other_one);
    fixture_add_test(s, only_allowed_cpus_are_named);
    fixture_add_test(s, past_32_cpus_the_mask_has_comma_separated_groups);
    fixture_add_test(s, one_cpu_leaves_nothing_to_steer_to);
    fixture_add_test(s, a_mask_too_short_is_an_error);
    return s;
}
