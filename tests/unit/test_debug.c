/* --debug: lwIP's own debug output for the categories asked for, including
 * the blocks lwIP compiles only "#if IP_DEBUG" (the IP header dump), switched
 * at run time, and shown even with -q. */
#include <check.h>
#include <string.h>

#include "fixture.h"
#include "lwiptap/debug_flags.h"
#include "lwiptap/diag.h"
#include "lwiptap/log.h"
#include "suites.h"
#include "wire.h"

static size_t count(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *at = text; (at = strstr(at, needle)) != NULL; at += strlen(needle)) {
        n++;
    }
    return n;
}

static void send_ping(uint16_t id)
{
    uint8_t icmp[16] = {8, 0, 0, 0, 0, 1, 0, 1, 'l', 'w', 'i', 'p', '-', 't', 'a', 'p'};
    icmp[4] = (uint8_t)(id >> 8);
    icmp[5] = (uint8_t)id;
    struct wire_ip4 h = {.src = PEER_IP, .dst = STACK_IP, .proto = 1, .id = id, .l4_checksum = 1};
    uint8_t frame[WIRE_MAX_FRAME];
    size_t len = wire_ip4(stack_mac, peer_mac, &h, icmp, sizeof icmp, frame, sizeof frame);
    ck_assert_uint_gt(len, 0);
    fixture_inject(frame, len);
}

START_TEST(debug_ip_prints_the_header_dump_even_when_quiet)
{
    log_set_level(LOG_WARN); /* -q */
    lwiptap_debug_mask = UINT32_C(1) << LWIPTAP_DBG_IP;
    send_ping(1);
    ck_assert_uint_ge(count(fixture_log(), "lwip: IP header:"), 2); /* the request, and our reply */
    ck_assert_ptr_nonnull(strstr(fixture_log(), "(v, hl, tos, len)"));
    ck_assert_ptr_nonnull(strstr(fixture_log(), "lwip: ip4_input: p->len"));
    ck_assert_ptr_null(strstr(fixture_log(), "lwip: icmp_input"));
}
END_TEST

START_TEST(debug_categories_change_at_run_time)
{
    lwiptap_debug_mask = UINT32_C(1) << LWIPTAP_DBG_IP;
    send_ping(1);
    size_t dumps = count(fixture_log(), "IP header:");
    ck_assert_uint_gt(dumps, 0);
    lwiptap_debug_mask = UINT32_C(1) << LWIPTAP_DBG_ICMP;
    send_ping(2);
    ck_assert_uint_eq(count(fixture_log(), "IP header:"), dumps);
    ck_assert_ptr_nonnull(strstr(fixture_log(), "lwip: icmp_input"));
    lwiptap_debug_mask = 0;
}
END_TEST

/* lwIP calls our interface "tp0" (or "tp"); the user knows it as the tap. */
START_TEST(debug_lines_name_the_tap)
{
    lwiptap_diag_set_interface_name("tap0");
    lwiptap_diag("netif: added interface %c%c IP addr 192.0.2.2\n", 't', 'p');
    lwiptap_diag("ip4_input: packet accepted on interface %c%c%u\n", 't', 'p', 0u);
    lwiptap_diag("http tpx stp0 tp01 stays\n");
    const char *log = fixture_log();
    ck_assert_ptr_nonnull(strstr(log, "lwip: netif: added interface tap0 IP addr 192.0.2.2"));
    ck_assert_ptr_nonnull(strstr(log, "lwip: ip4_input: packet accepted on interface tap0\n"));
    ck_assert_ptr_nonnull(strstr(log, "lwip: http tpx stp0 tp01 stays"));
    lwiptap_diag_set_interface_name(NULL);
}
END_TEST

Suite *debug_suite(void)
{
    Suite *s = suite_create("debug");
    fixture_add_test(s, debug_ip_prints_the_header_dump_even_when_quiet);
    fixture_add_test(s, debug_categories_change_at_run_time);
    fixture_add_test(s, debug_lines_name_the_tap);
    return s;
}
