#!/usr/bin/env bash
# 50 echo clients at once, each with its own 64 KiB of random bytes: every one
# gets exactly its own data back.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_require_root
e2e_require_cmds ip nc
e2e_require_lwiptap
ns_create
lwip_start

N=50
pids=()
for i in $(seq 1 $N); do
    random_file "$E2E_WORK/in.$i" 65536
done
for i in $(seq 1 $N); do
    timeout 40 ip netns exec "$NS" nc -N "$LWIP4" 7 <"$E2E_WORK/in.$i" >"$E2E_WORK/out.$i" \
        2>"$E2E_WORK/nc.$i.err" &
    pids+=("$!")
    sandbox_track "$!"
done
bad=()
for i in $(seq 1 $N); do
    rc=0
    wait "${pids[$((i - 1))]}" || rc=$?
    if [ "$rc" -ne 0 ]; then
        bad+=("client $i: nc exit $rc $(head -c 200 "$E2E_WORK/nc.$i.err")")
    elif ! cmp -s "$E2E_WORK/in.$i" "$E2E_WORK/out.$i"; then
        bad+=("client $i: got $(stat -c %s "$E2E_WORK/out.$i") bytes, not its 65536")
    fi
done
[ ${#bad[@]} -eq 0 ] || fail "${#bad[@]} of $N clients failed:
$(printf '  %s\n' "${bad[@]}")"
n=$(grep -Ec "echo: $HOST4:[0-9]+ closed after 65536 bytes in, 65536 out" "$LWIP_LOG" || true)
assert_eq "$N" "$n" "connections the echo service logged as complete"
assert_lwip_alive
lwip_stop
assert_eq 0 "$LWIP_RC" "lwip-tap exit code after SIGTERM"
assert_log "stats: echo connections=$N bytes_in=$((N * 65536)) bytes_out=$((N * 65536))" "echo stats"
e2e_pass
