# Shared by the host tool tests, each run as: bash TEST.sh TCP_CLIENT TCP_SERVER
# Everything stays on loopback; every process started is killed by PID on exit.
set -Eeuo pipefail
trap 'echo "FAIL: line $LINENO: \"$BASH_COMMAND\" exited $?" >&2' ERR

# shellcheck disable=SC2034 # used by the scripts that source this file
CLIENT=$1
SERVER=$2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/lwiptap-host-test.XXXXXX")
PIDS=()

cleanup() {
    local status=$? pid file
    for pid in "${PIDS[@]}"; do
        # A stopped process would hold a SIGTERM pending forever.
        kill -CONT "$pid" 2>/dev/null || true
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if ((status != 0 && status != 77)); then
        for file in "$WORK"/*.log "$WORK"/err*; do
            [[ -s $file ]] && printf -- '--- %s:\n%s\n' "${file##*/}" "$(head -c 4000 "$file")" >&2
        done
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

skip() {
    echo "SKIP: $*" >&2
    exit 77
}

# wait_for WHAT COMMAND...: polls COMMAND for up to 10 s.
wait_for() {
    local what=$1 i
    shift
    for ((i = 0; i < 200; i++)); do
        "$@" && return 0
        sleep 0.05
    done
    fail "timed out waiting for $what"
}

server_listening() {
    grep -q 'listening on' "$SERVER_LOG" && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || fail "tcp-server exited: $(cat "$SERVER_LOG")"
    return 1
}

# start_server [OPTIONS...]: tcp-server on a port of its choosing; sets
# SERVER_PID, SERVER_PORT and SERVER_LOG once it listens.
SERVERS_STARTED=0
start_server() {
    # A log of its own, created before the server starts: a reused one
    # could show an earlier server's "listening" line.
    SERVER_LOG=$WORK/server$((++SERVERS_STARTED)).log
    : >"$SERVER_LOG"
    "$SERVER" "$@" 0 2>"$SERVER_LOG" &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    wait_for "tcp-server to listen" server_listening
    SERVER_PORT=$(sed -n 's/^tcp-server: listening on .* port \([0-9]\+\)$/\1/p' "$SERVER_LOG")
    [[ $SERVER_PORT =~ ^[1-9][0-9]*$ ]] || fail "no port in: $(cat "$SERVER_LOG")"
}

# run COMMAND...: captures stdout/stderr in $WORK/out and $WORK/err and the
# exit status in STATUS instead of letting set -e end the test.
run() {
    STATUS=0
    "$@" >"$WORK/out" 2>"$WORK/err" || STATUS=$?
}

# expect_status N WHAT: checks the STATUS of the last run.
expect_status() {
    ((STATUS == $1)) || fail "$2: exit status $STATUS, expected $1; stderr: $(cat "$WORK/err")"
}

# expect_file FILE EXPECTED WHAT: the file holds exactly EXPECTED.
expect_file() {
    local actual
    actual=$(cat "$1"; echo .)
    [[ ${actual%.} == "$2" ]] || fail "$3: got $(printf %q "${actual%.}"), expected $(printf %q "$2")"
}

# expect_grep PATTERN FILE WHAT: some line of FILE matches (grep -E).
expect_grep() {
    grep -qE -- "$1" "$2" || fail "$3: no match for /$1/ in: $(head -c 2000 "$2")"
}

# letters BYTES: varied text without digits, so that every digit in a reply
# belongs to a serial prefix and lost or reordered data shows.
letters() {
    # head stops reading early on purpose; that is no failure of seq.
    (
        set +o pipefail
        seq 1 $(($1 / 4)) | tr 0-9 a-j | head -c "$1"
    )
}
