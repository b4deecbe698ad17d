#!/usr/bin/env bash
# IPv4 ping: the kernel on the host side of tap0 pings lwIP and gets replies
# (this also exercises ARP: lwIP must answer who-has 192.0.2.2).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_root
e2e_require_cmds ip ping
e2e_require_lwiptap
ns_create
lwip_start

ns_exec ping -c 3 -i 0.2 -W 2 "$LWIP4" >"$E2E_WORK/ping.txt" 2>&1 || true
assert_file_contains "$E2E_WORK/ping.txt" '3 packets transmitted, 3 received' "ping $LWIP4"
assert_file_contains "$E2E_WORK/ping.txt" "bytes from $LWIP4: icmp_seq=1 " "ping reply source"
assert_lwip_alive
lwip_stop
assert_eq 0 "$LWIP_RC" "lwip-tap exit code after SIGTERM"
assert_log 'stats: icmp rx=[1-9][0-9]* tx=[1-9]' "icmp counters in the stats summary"
e2e_pass
