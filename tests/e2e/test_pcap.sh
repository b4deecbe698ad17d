#!/usr/bin/env bash
# --pcap FILE records every frame in and out: after a ping and an echo
# session, tcpdump -r shows the ICMP echo request/reply pairs, the TCP
# handshake with lwIP's SYN-ACK options, the data and the FINs; and the file
# holds as many frames as the stats summary counted on the link.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_root
e2e_require_cmds ip ping nc tcpdump
e2e_require_lwiptap
ns_create
pcap="$E2E_WORK/frames.pcap"
lwip_start --pcap "$pcap"

ns_exec ping -c 2 -i 0.2 -W 2 "$LWIP4" >"$E2E_WORK/ping.txt" 2>&1 || fail "ping failed"
echo_one_line recorded
lwip_stop
assert_eq 0 "$LWIP_RC" "lwip-tap exit code after SIGTERM"

[ -s "$pcap" ] || fail "no pcap file written"
rc=0
tcpdump -r "$pcap" -n -S -vv >"$E2E_WORK/pcap.txt" 2>"$E2E_WORK/tcpdump-r-stderr.log" || rc=$?
assert_eq 0 "$rc" "tcpdump -r exit code (a damaged pcap file?)"
assert_file_contains "$E2E_WORK/tcpdump-r-stderr.log" 'link-type EN10MB' "pcap link type"
tcpdump_join "$E2E_WORK/pcap.txt" >"$E2E_WORK/pcap.joined"
for seq in 1 2; do
    assert_file_contains "$E2E_WORK/pcap.joined" "$HOST4 > $LWIP4: ICMP echo request, id [0-9]+, seq $seq," "pcap: echo request $seq"
    assert_file_contains "$E2E_WORK/pcap.joined" "$LWIP4 > $HOST4: ICMP echo reply, id [0-9]+, seq $seq," "pcap: echo reply $seq"
done
assert_file_contains "$E2E_WORK/pcap.joined" "ARP, .*Reply $LWIP4 is-at 02:00:00:00:00:02" "pcap: lwIP's ARP reply"
assert_capture_handshake "$E2E_WORK/pcap.txt" "$PORT" 7
assert_capture_teardown "$E2E_WORK/pcap.txt" "$PORT" 7 client
frames=$(tcpdump -r "$pcap" -n 2>/dev/null | wc -l)
rx=$(sed -nE 's/.*stats: link rx=([0-9]+) tx=([0-9]+) .*/\1/p' "$LWIP_LOG")
tx=$(sed -nE 's/.*stats: link rx=([0-9]+) tx=([0-9]+) .*/\2/p' "$LWIP_LOG")
assert_eq "$((rx + tx))" "$frames" "frames in the pcap vs. link rx+tx in the stats"
e2e_pass
