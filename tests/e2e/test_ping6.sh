#!/usr/bin/env bash
# IPv6 ping: neighbour discovery for 2001:db8::2 and ICMPv6 echo replies.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_root
e2e_require_cmds ip ping
e2e_require_lwiptap
ns_create
lwip_start

ns_exec ping -6 -c 3 -i 0.2 -W 2 "$LWIP6" >"$E2E_WORK/ping6.txt" 2>&1 || true
assert_file_contains "$E2E_WORK/ping6.txt" '3 packets transmitted, 3 received' "ping -6 $LWIP6"
assert_file_contains "$E2E_WORK/ping6.txt" "bytes from $LWIP6: icmp_seq=1 " "ping6 reply source"
assert_lwip_alive
lwip_stop
assert_eq 0 "$LWIP_RC" "lwip-tap exit code after SIGTERM"
assert_log 'stats: icmp rx=[0-9]+ tx=[0-9]+; icmp6 rx=[1-9][0-9]* tx=[1-9]' "icmp6 counters in the stats summary"
e2e_pass
