#!/usr/bin/env bash
# A persistent tap that cannot work yet gets a warning with the fix at start:
# down, no host-side IPv4 address in lwIP's subnet (lwIP's own address does
# not count), no IPv6 address in its /64. A tap set up as the README says gets none of them.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_root
e2e_require_cmds ip
e2e_require_lwiptap
ns_create notap
ip -n "$NS" tuntap add dev "$TAP" mode tap

start_and_stop() { # log-name [options]
    LWIP_LOG=$E2E_WORK/$1.log
    shift
    ns_bg "$LWIPTAP" --tap "$TAP" --ip "$LWIP4/24" --ip6 "$LWIP6/64" "$@" </dev/null 2>"$LWIP_LOG"
    LWIP_PID=$BG_PID
    wait_for_line "$LWIP_LOG" 'lwip-tap: up on' 10 || fail "lwip-tap did not come up ($1)"
    lwip_stop
}

start_and_stop bare --trace
assert_log "WARN lwip-tap: $TAP is down: .* Fix: sudo ip link set $TAP up" "the down tap"
# The kernel refuses writes to a down tap: --trace must not call them sent.
assert_log "INFO link: tx [0-9]+B .* NOT SENT: tap write: " "a refused write shown as not sent"
shown_sent=$(grep "INFO link: tx " "$LWIP_LOG" | grep -vc "NOT SENT" || true)
assert_eq 0 "$shown_sent" "frames shown as sent on a down tap"
assert_log "WARN lwip-tap: the host side of $TAP has no IPv4 address in 192\\.0\\.2\\.0/24.*Fix: sudo ip addr add ADDR/24 dev $TAP" "no IPv4 address"
assert_log "WARN lwip-tap: the host side of $TAP has no IPv6 address in lwIP's /64.*nodad" "no IPv6 address"

ip -n "$NS" link set "$TAP" up
ip -n "$NS" addr add 198.51.100.1/24 dev "$TAP" # an address, but in another subnet
start_and_stop wrong_subnet
assert_file_lacks "$LWIP_LOG" "is down" "a warning about an up tap"
assert_log "no IPv4 address in 192\\.0\\.2\\.0/24" "an address outside the subnet does not count"

ip -n "$NS" addr add "$LWIP4/24" dev "$TAP" # lwIP's own address on the host side
start_and_stop own_address
assert_log "no IPv4 address in 192\\.0\\.2\\.0/24 \\(it has lwIP's own address $LWIP4, which the kernel then answers itself\\).*Fix: sudo ip addr add ADDR/24" "lwIP's own address counts as none"
ip -n "$NS" addr del "$LWIP4/24" dev "$TAP"

ip -n "$NS" addr add "$HOST4/24" dev "$TAP"
ip -n "$NS" addr add "$HOST6/64" dev "$TAP" nodad
start_and_stop ready
assert_file_lacks "$LWIP_LOG" "WARN" "warnings for a tap set up as the README says"
e2e_pass
