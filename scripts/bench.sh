#!/usr/bin/env bash
# Benchmark: lwip-tap (lwIP on a TAP, echo port 7) with the tap's offloads on
# (the default) and off (--no-offload), against kernel TCP over a veth pair
# (bench-echo-server), all three measured in this run with the same load
# client (bench-client), so the server's stack is the only difference. Prints
# medians and min-max of R runs, the ratios to the kernel and offload/no-offload,
# and next to each figure what limits it.
#
#   sudo scripts/bench.sh [--mib N] [--streams K] [--conns M] [--pings P]
#                         [--scale S] [--burst B] [--runs R] [--tap-qlen Q] [--no-steer] [--web]
#
#   --mib N      streaming: 1 connection and K connections each echo N MiB (default 64)
#   --streams K  ... K connections at once (default 8)
#   --conns M    connection rate: M sequential connect/send/echo/close cycles (default 500)
#   --pings P    latency: P round trips of one 64-byte message on one connection (default 2000)
#   --scale S    S connections at once, each echoing 64 KiB, measured once (default 10000; 0: skip)
#   --burst B    B connections opened at once (every connect issued before the
#                first completes, no ramp), each echoing 64 KiB within 20 s;
#                failures counted; measured once (default 10000; 0: skip)
#   --runs R     repeat every other measurement R times (default 3)
#   --tap-qlen Q the taps' txqueuelen (default 16384, what lwip-tap gives a tap it
#                creates, port/include/lwiptap/tap_queue.h; the kernel's default is 1000)
#   --no-steer   lwip-tap with --no-steer: the host's work for the frames it sends
#                stays on lwip-tap's CPU (default: on the other CPUs, lwip-tap
#                staying on one, port/link/include/lwiptap/tap_steer.h)
#   --web        also a fourth lwip-tap, offloads on and --web with no page open,
#                in the same rotation (not in the scale and burst runs), and a table
#                of its figures against the one without --web
#
# Needs root: it creates four network namespaces (lt-bench-{tap,tapn,kc,ks}-PID;
# a fifth, lt-bench-tapw-PID, with --web),
# a tap in each of the first two and a veth pair between the last two, all on
# 192.0.2.0/24, and nothing outside them. Everything is removed on exit. Exit
# status: 0 done, 1 failure, 2 bad arguments, 77 not root (skipped).
#
# Builds first (Release, in build-bench/), unless LWIPTAP_BENCH_BUILD_DIR names
# a build tree to use as it is (the ctest smoke entry does that).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib/sandbox.sh
. "$root/scripts/lib/sandbox.sh"
me=bench.sh

MIB=64
STREAMS=8
CONNS=500
PINGS=2000
SCALE=10000
BURST=10000
RUNS=3
TAP_QLEN=16384
STEER=
WEB=0
MSG_BYTES=32
PING_BYTES=64
SCALE_KIB=64

usage() {
    sed -n '2,/^# Needs root/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
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
    --web)
        WEB=1
        shift
        ;;
    --no-steer)
        STEER=--no-steer
        shift
        ;;
    --mib | --streams | --conns | --pings | --scale | --burst | --runs | --tap-qlen)
        [ $# -ge 2 ] || {
            echo "$me: $1 needs a value" >&2
            exit 2
        }
        case $1 in
        --mib) int_arg "$1" "$2" 1 4096 && MIB=$INT ;;
        --streams) int_arg "$1" "$2" 1 1000 && STREAMS=$INT ;;
        --conns) int_arg "$1" "$2" 1 20000 && CONNS=$INT ;;
        --pings) int_arg "$1" "$2" 1 1000000 && PINGS=$INT ;;
        # lwip-tap's --max-conns tops out at 16384.
        --scale) int_arg "$1" "$2" 0 15000 && SCALE=$INT ;;
        --burst) int_arg "$1" "$2" 0 15000 && BURST=$INT ;;
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

# Every cycle and every scale connection leaves a client port in TIME_WAIT for
# 60 s; a namespace has about 28000 ephemeral ports (32768-60999).
if [ $((CONNS * RUNS + SCALE + BURST)) -gt 25000 ]; then
    echo "$me: --conns x --runs + --scale + --burst must stay within 25000 (client ports left in TIME_WAIT)" >&2
    exit 2
fi
# Per bench-client run: generous, assuming no worse than 2 MiB/s (sanitizer builds).
biggest_mib=$((STREAMS * MIB))
CLIENT_TIMEOUT=$((60 + biggest_mib / 2))
[ "$CLIENT_TIMEOUT" -le 3600 ] || CLIENT_TIMEOUT=3600
SCALE_TIMEOUT=900

if [ "$(id -u)" -ne 0 ]; then
    echo "$me: needs root: it creates network namespaces, taps and a veth pair." >&2
    echo "$me: run: sudo scripts/bench.sh   (skipped, exit 77)" >&2
    exit 77
fi
for c in ip timeout awk sort; do
    command -v "$c" >/dev/null 2>&1 || die "needs '$c' (scripts/setup.sh installs what is missing)"
done

declare -A SERVER_PID # target -> pid
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

NS_TAP=lt-bench-tap-$$   # tap0: host side (kernel client) + lwip-tap, offloads on
NS_TAPN=lt-bench-tapn-$$ # tap0: host side (kernel client) + lwip-tap --no-offload
NS_KC=lt-bench-kc-$$     # kernel baseline: client end of the veth pair
NS_KS=lt-bench-ks-$$     # kernel baseline: bench-echo-server
HOST_TAP=192.0.2.1
LWIP_IP=192.0.2.2
KC_IP=192.0.2.11
KS_IP=192.0.2.12
PORT=7
TARGETS="lwip nooff kernel"

ns_add() {
    sandbox_ns_add "$1" || die "cannot create network namespace $1"
    ip -n "$1" link set lo up
}

# lwip-tap creates each tap0, as it does for a user who made none, and so
# gives it what it gives a tap it creates (queue, steering); then its host side
# gets its address.
tap_up() { # NS
    local i
    for i in $(seq 1 100); do
        ip -n "$1" link show tap0 >/dev/null 2>&1 && break
        [ "$i" -lt 100 ] || die "lwip-tap did not create tap0 in $1"
        sleep 0.05
    done
    ip -n "$1" addr add "$HOST_TAP/24" dev tap0
    ip -n "$1" link set tap0 txqueuelen "$TAP_QLEN"
    ip -n "$1" link set tap0 up
}
ns_add "$NS_TAP"
ns_add "$NS_TAPN"
NS_TAPW=lt-bench-tapw-$$ # tap0: host side (kernel client) + lwip-tap --web, no page open
if [ "$WEB" -eq 1 ]; then
    ns_add "$NS_TAPW"
    TARGETS="$TARGETS web"
fi

ns_add "$NS_KC"
ns_add "$NS_KS"
# Created inside the namespaces: neither end ever exists in the root namespace.
ip -n "$NS_KC" link add veth-kc type veth peer name veth-ks netns "$NS_KS"
ip -n "$NS_KC" addr add "$KC_IP/24" dev veth-kc
ip -n "$NS_KS" addr add "$KS_IP/24" dev veth-ks
ip -n "$NS_KC" link set veth-kc up
ip -n "$NS_KS" link set veth-ks up

# lwip-tap without its TCP state log and per-connection log lines: the
# benchmark measures the stack, not the logger. Room for the scale run.
max_conns=$(((SCALE > BURST ? SCALE : BURST) + 1000))
[ "$max_conns" -le 16384 ] || max_conns=16384
# shellcheck disable=SC2086 # $STEER: no word or one
sandbox_bg "$NS_TAP" "$bin/lwip-tap" --tap tap0 --ip "$LWIP_IP/24" --no-state-log --quiet $STEER \
    --max-conns "$max_conns" </dev/null >"$WORK/lwip-tap.log" 2>&1
SERVER_PID[lwip]=$BG_PID
tap_up "$NS_TAP"
# shellcheck disable=SC2086
sandbox_bg "$NS_TAPN" "$bin/lwip-tap" --tap tap0 --ip "$LWIP_IP/24" --no-state-log --quiet --no-offload $STEER \
    --max-conns "$max_conns" </dev/null >"$WORK/lwip-tap-nooff.log" 2>&1
SERVER_PID[nooff]=$BG_PID
tap_up "$NS_TAPN"
if [ "$WEB" -eq 1 ]; then
    # shellcheck disable=SC2086
    sandbox_bg "$NS_TAPW" "$bin/lwip-tap" --tap tap0 --ip "$LWIP_IP/24" --no-state-log --quiet --web $STEER \
        --max-conns "$max_conns" </dev/null >"$WORK/lwip-tap-web.log" 2>&1
    SERVER_PID[web]=$BG_PID
    tap_up "$NS_TAPW"
fi
tap_qlen_now=$(ip -n "$NS_TAP" link show tap0 | sed -nE 's/.* qlen ([0-9]+).*/\1/p')
# Where lwip-tap put the host's work for its tap's frames (tap_steer.h).
STEERED="host work on CPUs $(ip netns exec "$NS_TAP" cat /sys/class/net/tap0/queues/rx-0/rps_cpus 2>/dev/null || echo '?') \
(rps_cpus mask; 0: where the kernel puts it), lwip-tap on CPUs $(taskset -pc "${SERVER_PID[lwip]}" 2>/dev/null | sed 's/.*: //')"
sandbox_bg "$NS_KS" "$bin/bench-echo-server" --bind "$KS_IP" --port "$PORT" \
    </dev/null >"$WORK/kernel-server.log" 2>&1
SERVER_PID[kernel]=$BG_PID

client_ns() { # TARGET: the namespace its client runs in
    case $1 in
    lwip) echo "$NS_TAP" ;;
    nooff) echo "$NS_TAPN" ;;
    web) echo "$NS_TAPW" ;;
    kernel) echo "$NS_KC" ;;
    esac
}

# client TARGET TIMEOUT ARGS...: runs bench-client against TARGET; prints its result line.
client() {
    local target=$1 timeout_s=$2 host=$LWIP_IP
    shift 2
    [ "$target" != kernel ] || host=$KS_IP
    timeout $((timeout_s + 10)) ip netns exec "$(client_ns "$target")" "$bin/bench-client" --host "$host" \
        --port "$PORT" --timeout "$timeout_s" "$@" 2>>"$WORK/client-$target.err"
}

# Waits until the target answers one echo cycle (also resolves ARP).
wait_ready() {
    local target=$1
    for _ in $(seq 1 50); do
        kill -0 "${SERVER_PID[$target]}" 2>/dev/null || die "the $target server exited at start-up"
        if client "$target" 1 rate --count 1 >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.2
    done
    die "the $target server did not answer an echo within 10 s"
}
for t in $TARGETS; do
    wait_ready "$t"
    : >"$WORK/client-$t.err"
done

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
tap_dropped() { # NS: frames the kernel dropped on tap0 because lwip-tap had not read its queue
    ip -n "$1" -s link show tap0 | awk '/TX:/ { getline; print $4; exit }'
}
snmp_retrans() { # NS: TCP segments the namespace's kernel retransmitted
    # shellcheck disable=SC2016 # awk's $ fields, not the shell's
    ip netns exec "$1" awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 } else print $c["RetransSegs"] }' \
        /proc/net/snmp
}
peak_rss_kib() { # PID
    awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

declare -A SAMPLES # "metric target" -> space-separated values

add_sample() { # METRIC TARGET VALUE
    SAMPLES["$1 $2"]="${SAMPLES["$1 $2"]:-} $3"
}

# measure TARGET KIND: one bench-client run, recording its figures and the
# server process's and the machine's CPU use while it ran.
measure() {
    local target=$1 kind=$2 pid=${SERVER_PID[$1]} ns line p0 p1 c0 c1 r0 r1 d0=0 d1=0 bytes=0
    ns=$(client_ns "$target")
    r0=$(snmp_retrans "$ns")
    [ "$target" = kernel ] || d0=$(tap_dropped "$ns")
    p0=$(proc_cpu_ns "$pid")
    c0=$(cpu_ticks)
    case $kind in
    tput1) line=$(client "$target" "$CLIENT_TIMEOUT" stream --conns 1 --bytes $((MIB << 20))) ||
        die "1-connection stream against $target failed"
        bytes=$((MIB << 20)) ;;
    tputk) line=$(client "$target" "$CLIENT_TIMEOUT" stream --conns "$STREAMS" --bytes $((MIB << 20))) ||
        die "$STREAMS-connection stream against $target failed"
        bytes=$((STREAMS * (MIB << 20))) ;;
    rate) line=$(client "$target" "$CLIENT_TIMEOUT" rate --count "$CONNS" --size "$MSG_BYTES") ||
        die "connection rate against $target failed" ;;
    ping) line=$(client "$target" "$CLIENT_TIMEOUT" pingpong --count "$PINGS" --size "$PING_BYTES") ||
        die "ping-pong against $target failed" ;;
    scale) line=$(client "$target" "$SCALE_TIMEOUT" stream --conns "$SCALE" --bytes $((SCALE_KIB << 10))) ||
        line="bench mode=stream seconds=0 verified=no"
        bytes=$((SCALE * (SCALE_KIB << 10))) ;;
    # Failed connections make bench-client exit 1: counted, not fatal.
    burst) line=$(client "$target" "$SCALE_TIMEOUT" burst --conns "$BURST" --bytes $((SCALE_KIB << 10)) \
        --conn-timeout 20) || [ -n "$line" ] || line="bench mode=burst seconds=0 failed=$BURST verified=no"
        bytes=$((BURST * (SCALE_KIB << 10))) ;;
    esac
    p1=$(proc_cpu_ns "$pid")
    c1=$(cpu_ticks)
    r1=$(snmp_retrans "$ns")
    [ "$target" = kernel ] || d1=$(tap_dropped "$ns")
    kill -0 "$pid" 2>/dev/null || die "the $target server died during $kind"
    if [ "$kind" = scale ]; then
        add_sample scale_ok "$target" "$([ "$(field "$line" verified)" = yes ] && echo 1 || echo 0)"
        add_sample scale_s "$target" "$(field "$line" seconds)"
        add_sample scale_rss "$target" "$(awk -v k="$(peak_rss_kib "$pid")" 'BEGIN { printf "%.1f", k / 1024 }')"
    elif [ "$kind" = burst ]; then
        add_sample burst_s "$target" "$(field "$line" seconds)"
        add_sample burst_failed "$target" "$(field "$line" failed)"
        add_sample burst_p99 "$target" "$(field "$line" served_p99_s)"
        add_sample burst_rss "$target" "$(awk -v k="$(peak_rss_kib "$pid")" 'BEGIN { printf "%.1f", k / 1024 }')"
    else
        [ "$(field "$line" verified)" = yes ] || die "unexpected bench-client output: $line"
    fi
    local secs
    secs=$(field "$line" seconds)
    case $kind in
    tput1 | tputk) add_sample "$kind" "$target" "$(awk -v m="$(field "$line" mib_per_s)" \
        'BEGIN { printf "%.3f", m * 8 * 1048576 / 1e9 }')" ;;
    rate) add_sample rate "$target" "$(field "$line" conn_per_s)" ;;
    ping)
        add_sample ping_p50 "$target" "$(field "$line" p50_us)"
        add_sample ping_p99 "$target" "$(field "$line" p99_us)"
        ;;
    esac
    if [ "$bytes" -gt 0 ]; then
        add_sample "cpu_gib_$kind" "$target" "$(awk -v d=$((p1 - p0)) -v b="$bytes" \
            'BEGIN { printf "%.2f", d / 1e9 / (b / 1073741824) }')"
    fi
    if [ "$secs" != 0 ]; then
        add_sample "srvcpu_$kind" "$target" "$(awk -v d=$((p1 - p0)) -v s="$secs" \
            'BEGIN { printf "%.0f", 100 * d / 1e9 / s }')"
    fi
    add_sample "cores_$kind" "$target" "$(awk -v a="$c0" -v b="$c1" -v n="$NPROC" \
        'BEGIN { split(a, x, " "); split(b, y, " "); t = y[2] - x[2];
                 printf "%.2f", (t > 0 ? n * (y[1] - x[1]) / t : 0) }')"
    add_sample "retx_$kind" "$target" $((r1 - r0))
    [ "$target" = kernel ] || add_sample "drop_$kind" "$target" $((d1 - d0))
    printf '  %-5s %-6s %s\n' "$kind" "$target" "${line#bench }" >&2
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date +%s)
echo "$me: warming up, then $RUNS run(s) of each measurement" >&2
for t in $TARGETS; do
    client "$t" 60 stream --conns 1 --bytes 1048576 >/dev/null || die "warm-up against $t failed"
    client "$t" 60 rate --count 20 --size "$MSG_BYTES" >/dev/null || die "warm-up against $t failed"
done
for r in $(seq 1 "$RUNS"); do
    echo "$me: run $r of $RUNS" >&2
    # Rotate which target goes first, so a drift in the machine hits all of them.
    case $((r % 3)) in
    1) order="lwip nooff kernel" ;;
    2) order="kernel lwip nooff" ;;
    0) order="nooff kernel lwip" ;;
    esac
    # --web's lwip-tap in a different place each run, never beside the same one.
    if [ "$WEB" -eq 1 ]; then
        case $((r % 3)) in
        1) order="web $order" ;;
        2) order="${order% *} web ${order##* }" ;;
        0) order="${order%% *} web ${order#* }" ;;
        esac
    fi
    for kind in tput1 tputk rate ping; do
        for t in $order; do
            measure "$t" "$kind"
        done
    done
done
if [ "$SCALE" -gt 0 ]; then
    echo "$me: $SCALE connections at once, once per target" >&2
    for t in kernel lwip nooff; do
        measure "$t" scale
    done
fi
if [ "$BURST" -gt 0 ]; then
    echo "$me: $BURST connections opened at once (no ramp), once per target" >&2
    for t in kernel lwip nooff; do
        measure "$t" burst
    done
fi
elapsed=$(($(date +%s) - started))
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# A clean stop is part of the check: SIGTERM must close everything and exit 0.
declare -A STOP_RC WARNINGS
stopped="lwip nooff"
[ "$WEB" -eq 0 ] || stopped="$stopped web"
for t in $stopped; do
    kill -TERM "${SERVER_PID[$t]}" 2>/dev/null || true
    wait_pid "${SERVER_PID[$t]}" 5
    STOP_RC[$t]=$WAIT_RC
    # 124 is also an exit status: only a process that is still there timed out.
    if [ "$WAIT_RC" -eq 124 ] && kill -0 "${SERVER_PID[$t]}" 2>/dev/null; then
        STOP_RC[$t]=timeout
    fi
done
warnings() { # LOG: its WARN and ERROR lines, but the one that says it created tap0
    grep -E ' (WARN|ERROR) ' "$1" | grep -vc ' WARN lwip-tap: created tap0;' || true
}
WARNINGS[lwip]=$(warnings "$WORK/lwip-tap.log")
WARNINGS[nooff]=$(warnings "$WORK/lwip-tap-nooff.log")
[ "$WEB" -eq 0 ] || WARNINGS[web]=$(warnings "$WORK/lwip-tap-web.log")

# ------------------------------------------------------------------ report

stats() { # VALUES... -> "median min max"
    printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 }
        END { m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; print m, a[1], a[NR] }'
}
cell() { # METRIC TARGET FORMAT -> "median [min-max]", or "-"
    local s
    [ -n "${SAMPLES["$1 $2"]:-}" ] || {
        printf -- '-'
        return
    }
    # shellcheck disable=SC2086
    s=$(stats ${SAMPLES["$1 $2"]})
    awk -v s="$s" -v f="$3" 'BEGIN { split(s, v, " ");
        if (v[2] == v[3]) printf f, v[1]; else printf f " [" f "-" f "]", v[1], v[2], v[3] }'
}
median() { # METRIC TARGET
    # shellcheck disable=SC2086
    stats ${SAMPLES["$1 $2"]} | cut -d' ' -f1
}
ratio() { # METRIC A B
    awk -v a="$(median "$1" "$2")" -v b="$(median "$1" "$3")" \
        'BEGIN { if (b > 0) printf "%.2fx", a / b; else printf "n/a" }'
}
row() { # LABEL UNIT METRIC FORMAT LIMIT
    printf '%-30s %-6s %-22s %-22s %-22s %-8s %-8s\n' "$1" "$2" "$(cell "$3" lwip "$4")" "$(cell "$3" nooff "$4")" \
        "$(cell "$3" kernel "$4")" "$(ratio "$3" lwip kernel)" "$(ratio "$3" lwip nooff)"
    [ -z "${5:-}" ] || printf '    limited by: %s\n' "$5"
}
diag() { # LABEL METRIC FORMAT
    printf '  %-42s %-22s %-22s %s\n' "$1" "$(cell "$2" lwip "$3")" "$(cell "$2" nooff "$3")" "$(cell "$2" kernel "$3")"
}
opt() { # NAME: a #define from lwipopts.h, as written
    sed -nE "s/^#define $1 (.*)$/\1/p" "$root/port/include/lwipopts.h" | head -n1
}

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
echo
echo "lwip-tap benchmark: lwIP on a TAP (offloads on, and --no-offload) against kernel TCP over veth;"
echo "same run, same client (bench-client), payload goodput one way"
echo "  machine:   nproc=$NPROC, kernel $(uname -r), ${cpu_model:-cpu model unknown}"
echo "  lwip-tap:  build type ${build_type:-unset}, sanitizers ${sanitize:-OFF}, build tree $build"
echo "             exit status after SIGTERM ${STOP_RC[lwip]} (offload) / ${STOP_RC[nooff]} (no offload);" \
    "WARN/ERROR lines ${WARNINGS[lwip]} / ${WARNINGS[nooff]}; tap0 txqueuelen ${tap_qlen_now:-?}"
echo "  lwipopts:  TCP_MSS=$(opt TCP_MSS) TCP_WND=$(opt TCP_WND) TCP_SND_BUF=$(opt TCP_SND_BUF)"
echo "  workload:  --mib $MIB --streams $STREAMS --conns $CONNS --pings $PINGS --scale $SCALE --burst $BURST --runs $RUNS" \
    "(rate message $MSG_BYTES B, ping message $PING_BYTES B, scale $SCALE_KIB KiB each); $elapsed s measuring"
echo "  load:      1/5/15-minute load average $load_before before, $load_after after measuring"
echo
printf '%-30s %-6s %-22s %-22s %-22s %-8s %-8s\n' "metric" "unit" "lwip-tap" "lwip-tap" "kernel (veth)" \
    "lwip-tap/" "offload/"
printf '%-30s %-6s %-22s %-22s %-22s %-8s %-8s\n' "" "" "offload" "--no-offload" "" "kernel" "no-offl."
row "stream, 1 conn x $MIB MiB" "Gbit/s" tput1 "%.2f" \
    "lwip-tap offload: its server CPU (below); no-offload: one core, a system call per 1514-byte frame"
row "stream, $STREAMS conns x $MIB MiB" "Gbit/s" tputk "%.2f" \
    "lwip-tap: one core (single-threaded event loop), shared with the client; the kernel uses both"
row "connection rate, $CONNS cycles" "conn/s" rate "%.0f" \
    "wake-ups: about six per cycle between client and server, scheduler-bound on every target"
row "ping-pong $PING_BYTES B, p50" "us" ping_p50 "%.0f" \
    "two wake-ups per round trip; lwip-tap adds a poll() wake-up and a tap read and write each way"
row "ping-pong $PING_BYTES B, p99" "us" ping_p99 "%.0f"
if [ "$SCALE" -gt 0 ]; then
    row "$SCALE conns x $SCALE_KIB KiB, time" "s" scale_s "%.1f" \
        "lwip-tap: data bursts overflow tap0's queue ($tap_qlen_now frames): the host retransmits (drops below)"
    row "  completed without error" "1=yes" scale_ok "%.0f"
    row "  server peak RSS" "MiB" scale_rss "%.1f" "lwip-tap: --mem-limit (48 MiB of lwIP memory by default)"
fi
if [ "$BURST" -gt 0 ]; then
    row "burst $BURST conns x $SCALE_KIB KiB" "s" burst_s "%.1f" \
        "every connect issued at once; lwip-tap: one core for $BURST handshakes and echoes"
    row "  failed connections" "conns" burst_failed "%.0f"
    row "  99% of the served done" "s" burst_p99 "%.1f" \
        "a run with failures lasts until their 20 s deadline: this is when the served ones were done"
    printf '  %-28s %-6s %-22s %-22s %-22s\n' "frames dropped on tap0" "frames" "$(cell drop_burst lwip "%.0f")" \
        "$(cell drop_burst nooff "%.0f")" "-"
fi
row "server CPU per GiB, 1 conn" "s/GiB" cpu_gib_tput1 "%.2f" "scheduler run time of the server process"
row "server CPU per GiB, $STREAMS conns" "s/GiB" cpu_gib_tputk "%.2f"
if [ "$WEB" -eq 1 ]; then
    echo
    echo "--web with no page open: lwip-tap (offloads on) with --web against the same without, same run"
    echo "  (exit status after SIGTERM ${STOP_RC[web]}, WARN/ERROR lines ${WARNINGS[web]})"
    printf '%-30s %-6s %-22s %-22s %-8s\n' "metric" "unit" "without --web" "with --web" "with/without"
    webrow() { # LABEL UNIT METRIC FORMAT
        printf '%-30s %-6s %-22s %-22s %-8s\n' "$1" "$2" "$(cell "$3" lwip "$4")" "$(cell "$3" web "$4")" \
            "$(ratio "$3" web lwip)"
    }
    webrow "stream, 1 conn x $MIB MiB" "Gbit/s" tput1 "%.2f"
    webrow "stream, $STREAMS conns x $MIB MiB" "Gbit/s" tputk "%.2f"
    webrow "connection rate, $CONNS cycles" "conn/s" rate "%.0f"
    webrow "ping-pong $PING_BYTES B, p50" "us" ping_p50 "%.0f"
    webrow "ping-pong $PING_BYTES B, p99" "us" ping_p99 "%.0f"
    webrow "server CPU per GiB, 1 conn" "s/GiB" cpu_gib_tput1 "%.2f"
    webrow "server CPU per GiB, $STREAMS conns" "s/GiB" cpu_gib_tputk "%.2f"
fi
echo
printf '  %-42s %-22s %-22s %s\n' "diagnostics, per measurement" "offload" "--no-offload" "kernel (veth)"
for kind in tput1 tputk rate ping scale burst; do
    [ "$kind" != scale ] || [ "$SCALE" -gt 0 ] || continue
    [ "$kind" != burst ] || [ "$BURST" -gt 0 ] || continue
    case $kind in
    tput1) what="stream 1" ;;
    tputk) what="stream $STREAMS" ;;
    rate) what="conn rate" ;;
    ping) what="ping-pong" ;;
    scale) what="$SCALE conns" ;;
    burst) what="burst $BURST" ;;
    esac
    diag "$what: server process CPU" "srvcpu_$kind" "%.0f%%"
    diag "$what: cores busy, whole machine" "cores_$kind" "%.2f"
    diag "$what: client TCP retransmissions" "retx_$kind" "%.0f"
    diag "$what: frames dropped on tap0" "drop_$kind" "%.0f"
done
echo
cat <<'NOTES'
notes:
  - Ratios are of medians: above 1 is better for Gbit/s and conn/s, worse for us,
    s/GiB and MiB.
  - Gbit/s is payload goodput one way (each byte is also echoed back).
  - The kernel baseline is an upper bound: client and bench-echo-server are in two
    namespaces joined by a veth pair, kernel TCP at both ends, no user-space hop.
  - lwip-tap with offloads reads and writes TCP super-frames of up to 64 KiB
    (IFF_VNET_HDR, TSO both ways); with --no-offload one frame of at most 1514
    bytes per system call. Its client side is the same kernel TCP as the baseline's.
  - lwip-tap ran with --no-state-log --quiet (no TCP state log, no per-connection lines).
  - "server process CPU" (100% = one core) is the scheduler's run time of lwip-tap
    or bench-echo-server per wall second; kernel work done in the process's context
    (the tap write that runs the client's TCP receive) is charged to it. "cores
    busy" is from /proc/stat (10 ms ticks): coarse. The connection rate swings by
    2-3x between invocations with where the scheduler puts client and server.
  - "frames dropped on tap0": frames the kernel discarded because tap0's queue
    (txqueuelen) was full: lwip-tap had not read them yet. Each costs the client a
    retransmission.
NOTES
echo "  - lwip-tap ${STEER:-(default steering)}: $STEERED."
echo "$me: done"
OK=1
