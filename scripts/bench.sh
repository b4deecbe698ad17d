#!/usr/bin/env bash
# Benchmark: lwIP-over-TAP (lwip-tap's echo port 7) against a kernel TCP
# baseline (bench-echo-server over a veth pair), both measured in this run
# with the same load client (bench-client), so the server's stack is the only
# difference. Prints a table: median and spread (min-max) of R runs for each,
# and the ratio lwIP / kernel.
#
#   sudo scripts/bench.sh [--mib N] [--conns M] [--parallel K] [--kib X] [--runs R]
#
#   --mib N       echo throughput: one connection echoes N MiB (default 64)
#   --conns M     connection rate: M sequential connect/send/echo/close cycles (default 500)
#   --parallel K  concurrent: K connections at once (at most 200) ... (default 50)
#   --kib X       ... each echoing X KiB (default 1024)
#   --runs R      repeat every measurement R times, report median and min-max (default 3)
#   --tap-qlen Q  experiment: set tap0's txqueuelen to Q (default: the kernel's, 1000)
#
# Needs root: it creates three network namespaces (lt-bench-{tap,kc,ks}-PID),
# a tap in one and a veth pair between the other two, all on 192.0.2.0/24,
# and nothing outside them. Everything is removed on exit. Exit status: 0 done,
# 1 failure, 2 bad arguments, 77 not root (skipped).
#
# Builds first (Release, in build-bench/), unless LWIPTAP_BENCH_BUILD_DIR names
# a build tree to use as it is (the ctest smoke entry does that).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib/sandbox.sh
. "$root/scripts/lib/sandbox.sh"
me=bench.sh

MIB=64
CONNS=500
PARALLEL=50
KIB=1024
RUNS=3
TAP_QLEN=""
MSG_BYTES=32

usage() {
    sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'
}

die() {
    printf '%s: %s\n' "$me" "$*" >&2
    exit 1
}

# int_arg NAME VALUE MIN MAX: checks VALUE and sets INT to it, in base 10.
int_arg() {
    if [[ $2 =~ ^[0-9]{1,9}$ ]] && [ $((10#$2)) -ge "$3" ] && [ $((10#$2)) -le "$4" ]; then
        INT=$((10#$2))
    else
        printf '%s: %s wants a whole number from %s to %s, not "%s"\n' "$me" "$1" "$3" "$4" "$2" >&2
        exit 2
    fi
}

while [ $# -gt 0 ]; do
    case $1 in
    -h | --help)
        usage
        exit 0
        ;;
    --mib | --conns | --parallel | --kib | --runs | --tap-qlen)
        [ $# -ge 2 ] || {
            echo "$me: $1 needs a value" >&2
            exit 2
        }
        case $1 in
        --mib) int_arg "$1" "$2" 1 4096 && MIB=$INT ;;
        --conns) int_arg "$1" "$2" 1 20000 && CONNS=$INT ;;
        # lwipopts.h has MEMP_NUM_TCP_PCB 256: leave room for closing ones.
        --parallel) int_arg "$1" "$2" 1 200 && PARALLEL=$INT ;;
        --kib) int_arg "$1" "$2" 1 1048576 && KIB=$INT ;;
        --runs) int_arg "$1" "$2" 1 25 && RUNS=$INT ;;
        --tap-qlen) int_arg "$1" "$2" 1 1000000 && TAP_QLEN=$INT ;;
        esac
        shift 2
        ;;
    *)
        echo "$me: unknown argument '$1' (try --help)" >&2
        exit 2
        ;;
    esac
done

# Every cycle leaves its client port in TIME_WAIT for 60 s; a namespace has
# about 28000 ephemeral ports (32768-60999).
if [ $((CONNS * RUNS)) -gt 25000 ]; then
    echo "$me: --conns x --runs must stay within 25000 (client ports left in TIME_WAIT)" >&2
    exit 2
fi
# Per bench-client run: generous, assuming no worse than 2 MiB/s (sanitizer builds).
biggest_mib=$(((PARALLEL * KIB + 1023) / 1024))
[ "$biggest_mib" -gt "$MIB" ] || biggest_mib=$MIB
CLIENT_TIMEOUT=$((60 + biggest_mib / 2))
[ "$CLIENT_TIMEOUT" -le 3600 ] || CLIENT_TIMEOUT=3600

if [ "$(id -u)" -ne 0 ]; then
    echo "$me: needs root: it creates network namespaces, a tap and a veth pair." >&2
    echo "$me: run: sudo scripts/bench.sh   (skipped, exit 77)" >&2
    exit 77
fi
for c in ip timeout awk sort; do
    command -v "$c" >/dev/null 2>&1 || die "needs '$c' (scripts/setup.sh installs what is missing)"
done

LWIP_PID=""
KSERVER_PID=""
WORK=$(mktemp -d "${TMPDIR:-/tmp}/lt-bench.XXXXXX")
OK=0

cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    sandbox_teardown
    if [ "$OK" -eq 1 ]; then
        rm -rf "$WORK"
    else
        local f
        for f in "$WORK"/*.log "$WORK"/*.err; do
            [ -s "$f" ] || continue
            printf -- '----- %s (last 20 lines) -----\n' "$(basename "$f")" >&2
            tail -n 20 "$f" >&2
        done
        printf '%s: failed (exit %s); logs kept in %s\n' "$me" "$rc" "$WORK" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ build

if [ -n "${LWIPTAP_BENCH_BUILD_DIR:-}" ]; then
    build=$LWIPTAP_BENCH_BUILD_DIR
    [ -f "$build/CMakeCache.txt" ] || die "LWIPTAP_BENCH_BUILD_DIR=$build is not a CMake build tree"
else
    build=$root/build-bench
    if ! command -v cmake >/dev/null 2>&1 || { [ ! -f "$root/third_party/lwip/src/core/tcp.c" ] &&
        ! grep -qs '^LWIP_DIR:PATH=.' "$build/CMakeCache.txt"; }; then
        echo "$me: installing what is missing (scripts/setup.sh)" >&2
        bash "$root/scripts/setup.sh"
    fi
    echo "$me: building (Release) in $build" >&2
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLWIPTAP_SANITIZE=OFF >"$WORK/build.log" 2>&1 ||
        die "cmake configure failed"
    cmake --build "$build" -j"$(nproc)" --target lwip-tap >>"$WORK/build.log" 2>&1 ||
        die "building lwip-tap failed"
    cmake --build "$build" -j"$(nproc)" --target bench-client bench-echo-server >>"$WORK/build.log" 2>&1 ||
        die "cannot build the bench tools: does CMakeLists.txt have add_subdirectory(bench)?"
fi
bin=$build/bin
for t in lwip-tap bench-client bench-echo-server; do
    [ -x "$bin/$t" ] || die "$bin/$t is missing: build the tree first (it needs add_subdirectory(bench))"
done
cache_get() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt" | head -n1; }
build_type=$(cache_get CMAKE_BUILD_TYPE)
sanitize=$(cache_get LWIPTAP_SANITIZE)

# ------------------------------------------------------------------ network

NS_TAP=lt-bench-tap-$$ # host side of tap0 (kernel client) + lwip-tap
NS_KC=lt-bench-kc-$$   # kernel baseline: client end of the veth pair
NS_KS=lt-bench-ks-$$   # kernel baseline: bench-echo-server
HOST_TAP=192.0.2.1
LWIP_IP=192.0.2.2
KC_IP=192.0.2.11
KS_IP=192.0.2.12
PORT=7

ns_add() {
    sandbox_ns_add "$1" || die "cannot create network namespace $1"
    ip -n "$1" link set lo up
}

ns_add "$NS_TAP"
ip -n "$NS_TAP" tuntap add dev tap0 mode tap
ip -n "$NS_TAP" addr add "$HOST_TAP/24" dev tap0
[ -z "$TAP_QLEN" ] || ip -n "$NS_TAP" link set tap0 txqueuelen "$TAP_QLEN"
ip -n "$NS_TAP" link set tap0 up
tap_qlen_now=$(ip -n "$NS_TAP" link show tap0 | sed -nE 's/.* qlen ([0-9]+).*/\1/p')

ns_add "$NS_KC"
ns_add "$NS_KS"
# Created inside the namespaces: neither end ever exists in the root namespace.
ip -n "$NS_KC" link add veth-kc type veth peer name veth-ks netns "$NS_KS"
ip -n "$NS_KC" addr add "$KC_IP/24" dev veth-kc
ip -n "$NS_KS" addr add "$KS_IP/24" dev veth-ks
ip -n "$NS_KC" link set veth-kc up
ip -n "$NS_KS" link set veth-ks up

# lwip-tap without its per-segment TCP state log and per-connection log lines:
# the benchmark measures the stack, not the logger.
sandbox_bg "$NS_TAP" "$bin/lwip-tap" --tap tap0 --ip "$LWIP_IP/24" --no-state-log --quiet \
    </dev/null >"$WORK/lwip-tap.log" 2>&1
LWIP_PID=$BG_PID

sandbox_bg "$NS_KS" "$bin/bench-echo-server" --bind "$KS_IP" --port "$PORT" \
    </dev/null >"$WORK/kernel-server.log" 2>&1
KSERVER_PID=$BG_PID

# client TARGET ARGS...: runs bench-client against lwip or kernel; prints its result line.
client() {
    local target=$1 ns host
    shift
    if [ "$target" = lwip ]; then
        ns=$NS_TAP host=$LWIP_IP
    else
        ns=$NS_KC host=$KS_IP
    fi
    timeout $((CLIENT_TIMEOUT + 10)) ip netns exec "$ns" "$bin/bench-client" --host "$host" --port "$PORT" \
        --timeout "$CLIENT_TIMEOUT" "$@" 2>>"$WORK/client-$target.err"
}

# Waits until the target answers one echo cycle (also resolves ARP).
wait_ready() {
    local target=$1 pid=$2
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || die "the $target server exited at start-up"
        if CLIENT_TIMEOUT=1 client "$target" rate --count 1 >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.2
    done
    die "the $target server did not answer an echo within 10 s"
}
wait_ready lwip "$LWIP_PID"
wait_ready kernel "$KSERVER_PID"
: >"$WORK/client-lwip.err"
: >"$WORK/client-kernel.err"

# ------------------------------------------------------------------ measuring

NPROC=$(nproc)

field() { # LINE KEY
    sed -nE "s/.* $2=([^ ]+).*/\1/p" <<<"$1"
}
proc_cpu_ns() { # PID: nanoseconds the process has run on a CPU (scheduler accounting)
    awk '{ print $1 }' "/proc/$1/schedstat"
}
cpu_ticks() { # all cores: busy and total jiffies
    awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat
}
tap_dropped() { # frames the kernel dropped on tap0 because lwip-tap had not read its queue
    ip -n "$NS_TAP" -s link show tap0 | awk '/TX:/ { getline; print $4; exit }'
}
snmp_retrans() { # NS: TCP segments the namespace's kernel retransmitted
    # shellcheck disable=SC2016 # awk's $ fields, not the shell's
    ip netns exec "$1" awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 } else print $c["RetransSegs"] }' \
        /proc/net/snmp
}

declare -A SAMPLES # "metric target" -> space-separated values

add_sample() { # METRIC TARGET VALUE
    SAMPLES["$1 $2"]="${SAMPLES["$1 $2"]:-} $3"
}

# measure TARGET KIND: one bench-client run, recording its figures and the
# server process's and the machine's CPU use while it ran.
measure() {
    local target=$1 kind=$2 pid ns line p0 p1 c0 c1 r0 r1 d0 d1
    if [ "$target" = lwip ]; then
        pid=$LWIP_PID ns=$NS_TAP
    else
        pid=$KSERVER_PID ns=$NS_KC
    fi
    r0=$(snmp_retrans "$ns")
    d0=$(tap_dropped)
    p0=$(proc_cpu_ns "$pid")
    c0=$(cpu_ticks)
    case $kind in
    tput) line=$(client "$target" stream --conns 1 --bytes $((MIB * 1048576))) ||
        die "echo throughput against $target failed" ;;
    rate) line=$(client "$target" rate --count "$CONNS" --size "$MSG_BYTES") ||
        die "connection rate against $target failed" ;;
    conc) line=$(client "$target" stream --conns "$PARALLEL" --bytes $((KIB * 1024))) ||
        die "concurrent echo against $target failed" ;;
    esac
    p1=$(proc_cpu_ns "$pid")
    c1=$(cpu_ticks)
    r1=$(snmp_retrans "$ns")
    d1=$(tap_dropped)
    kill -0 "$pid" 2>/dev/null || die "the $target server died during $kind"
    [ "$(field "$line" verified)" = yes ] || die "unexpected bench-client output: $line"
    local secs
    secs=$(field "$line" seconds)
    case $kind in
    tput | conc) add_sample "$kind" "$target" "$(field "$line" mib_per_s)" ;;
    rate)
        add_sample rate "$target" "$(field "$line" conn_per_s)"
        add_sample lat_mean "$target" "$(field "$line" mean_us)"
        add_sample lat_p99 "$target" "$(field "$line" p99_us)"
        ;;
    esac
    add_sample "srvcpu_$kind" "$target" "$(awk -v d=$((p1 - p0)) -v s="$secs" \
        'BEGIN { printf "%.0f", 100 * d / 1e9 / s }')"
    add_sample "cores_$kind" "$target" "$(awk -v a="$c0" -v b="$c1" -v n="$NPROC" \
        'BEGIN { split(a, x, " "); split(b, y, " "); t = y[2] - x[2];
                 printf "%.2f", (t > 0 ? n * (y[1] - x[1]) / t : 0) }')"
    add_sample "retx_$kind" "$target" $((r1 - r0))
    [ "$target" = lwip ] && add_sample "drop_$kind" "$target" $((d1 - d0))
    printf '  %-4s %-6s %s\n' "$kind" "$target" "${line#bench }" >&2
}

started=$(date +%s)
echo "$me: warming up, then $RUNS run(s) of each measurement" >&2
for t in lwip kernel; do
    client "$t" stream --conns 1 --bytes 1048576 >/dev/null || die "warm-up against $t failed"
    client "$t" rate --count 20 --size "$MSG_BYTES" >/dev/null || die "warm-up against $t failed"
done
for r in $(seq 1 "$RUNS"); do
    echo "$me: run $r of $RUNS" >&2
    # Alternate which target goes first, so a drift in the machine hits both.
    if [ $((r % 2)) -eq 1 ]; then order="lwip kernel"; else order="kernel lwip"; fi
    for kind in tput rate conc; do
        for t in $order; do
            measure "$t" "$kind"
        done
    done
done
elapsed=$(($(date +%s) - started))

# A clean stop is part of the check: SIGTERM must close everything and exit 0.
kill -TERM "$LWIP_PID" 2>/dev/null || true
wait_pid "$LWIP_PID" 5
lwip_rc=$WAIT_RC
# 124 is also an exit status: only a process that is still there timed out.
if [ "$lwip_rc" -eq 124 ] && kill -0 "$LWIP_PID" 2>/dev/null; then
    lwip_rc=timeout
fi
lwip_warnings=$(grep -Ec ' (WARN|ERROR) ' "$WORK/lwip-tap.log" || true)

# ------------------------------------------------------------------ report

stats() { # VALUES... -> "median min max"
    printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 }
        END { m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; print m, a[1], a[NR] }'
}
cell() { # METRIC TARGET FORMAT -> "median [min-max]"
    local s
    # shellcheck disable=SC2086
    s=$(stats ${SAMPLES["$1 $2"]})
    awk -v s="$s" -v f="$3" 'BEGIN { split(s, v, " "); printf f " [" f "-" f "]", v[1], v[2], v[3] }'
}
median() { # METRIC TARGET
    # shellcheck disable=SC2086
    stats ${SAMPLES["$1 $2"]} | cut -d' ' -f1
}
ratio() { # METRIC
    awk -v a="$(median "$1" lwip)" -v b="$(median "$1" kernel)" \
        'BEGIN { if (b > 0) printf "%.3f", a / b; else printf "n/a" }'
}
row() { # LABEL UNIT METRIC FORMAT
    printf '%-36s %-6s %-26s %-26s %s\n' "$1" "$2" "$(cell "$3" lwip "$4")" "$(cell "$3" kernel "$4")" "$(ratio "$3")"
}
diag() { # LABEL METRIC FORMAT
    local k="-"
    [ -z "${SAMPLES["$2 kernel"]:-}" ] || k=$(cell "$2" kernel "$3")
    printf '%-44s %-26s %s\n' "$1" "$(cell "$2" lwip "$3")" "$k"
}
opt() { # NAME: a #define from lwipopts.h, as written
    sed -nE "s/^#define $1 (.*)$/\1/p" "$root/port/include/lwipopts.h" | head -n1
}

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
echo
echo "lwip-tap benchmark: lwIP-over-TAP against kernel TCP over veth, same run, same client"
echo "  machine:   nproc=$NPROC, kernel $(uname -r), ${cpu_model:-cpu model unknown}"
echo "  lwip-tap:  build type ${build_type:-unset}, sanitizers ${sanitize:-OFF}, build tree $build"
echo "             exit status $lwip_rc after SIGTERM, $lwip_warnings WARN/ERROR lines logged;" \
    "tap0 txqueuelen ${tap_qlen_now:-?}"
echo "  lwipopts:  TCP_MSS=$(opt TCP_MSS) TCP_WND=$(opt TCP_WND) TCP_SND_BUF=$(opt TCP_SND_BUF)" \
    "TCP_SND_QUEUELEN=$(opt TCP_SND_QUEUELEN)"
echo "  workload:  --mib $MIB --conns $CONNS --parallel $PARALLEL --kib $KIB --runs $RUNS" \
    "(message $MSG_BYTES bytes); $elapsed s measuring"
echo
printf '%-36s %-6s %-26s %-26s %s\n' "metric" "unit" "lwIP-over-TAP" "kernel (veth)" "ratio"
printf '%-36s %-6s %-26s %-26s %s\n' "" "" "median [min-max]" "median [min-max]" "lwIP/kernel"
row "echo throughput, 1 conn x $MIB MiB" "MiB/s" tput "%.1f"
row "connection rate, $CONNS cycles" "conn/s" rate "%.0f"
row "  cycle latency, mean" "us" lat_mean "%.0f"
row "  cycle latency, p99" "us" lat_p99 "%.0f"
row "concurrent, $PARALLEL conns x $KIB KiB" "MiB/s" conc "%.1f"
echo
printf '%-44s %-26s %s\n' "diagnostics, per measurement" "lwIP-over-TAP" "kernel (veth)"
for kind in tput rate conc; do
    case $kind in
    tput) what=throughput ;;
    rate) what="conn rate" ;;
    conc) what=concurrent ;;
    esac
    diag "$what: server process CPU" "srvcpu_$kind" "%.0f%%"
    diag "$what: cores busy, whole machine" "cores_$kind" "%.2f"
    diag "$what: client TCP retransmissions" "retx_$kind" "%.0f"
    diag "$what: frames dropped on tap0" "drop_$kind" "%.0f"
done
echo
cat <<'NOTES'
notes:
  - ratio = lwIP / kernel: above 1 is better for MiB/s and conn/s, worse for latency.
  - A cycle = connect, send one message, read its echo, half-close, wait for the
    server's FIN, close: three round trips, both stacks' open and close paths.
  - The kernel baseline is an upper bound: client and bench-echo-server are in two
    namespaces joined by a veth pair, kernel TCP at both ends, no user-space hop,
    and veth passes GSO/GRO super-segments (up to 64 KiB) instead of 1500-byte frames.
  - lwIP-over-TAP pays, per direction, two tap copies (kernel -> lwip-tap read(),
    lwip-tap -> kernel write(), one frame per system call) and one user-space
    stack: lwIP in a single-threaded poll() loop, which also copies each payload
    into and out of pbufs. Its client side is the same kernel TCP as the baseline's.
  - lwip-tap ran with --no-state-log --quiet (no TCP state log, no per-connection lines).
  - Connection rate swings between runs with where the scheduler puts the client
    and the server: on one CPU a wake-up is a context switch, across CPUs it is an
    inter-processor wake-up of an idle core, about six per cycle: the median can
    move by a factor of 2-3 between invocations. Use more --runs to see it.
  - "server process CPU" (100% = one core) is the scheduler's run time of lwip-tap
    or bench-echo-server per wall second; the kernel's softirq work may be charged
    to any process. "cores busy" is from /proc/stat (10 ms ticks): coarse.
  - "frames dropped on tap0": frames the kernel discarded because tap0's queue
    (txqueuelen frames) was full: lwip-tap had not read them yet.
    Each one costs the client a retransmission.
NOTES
echo "$me: done"
OK=1
