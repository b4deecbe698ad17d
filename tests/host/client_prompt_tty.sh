#!/usr/bin/env bash
# On a terminal the client prompts; piped it does not (see the other tests,
# whose outputs hold replies only).
source "$(dirname "$0")/lib.sh"

command -v script >/dev/null || skip "needs script(1) for a pseudo-terminal"
start_server
printf -v command '%q 127.0.0.1 %q' "$CLIENT" "$SERVER_PORT"
run timeout 20 script -qec "$command" /dev/null < <(printf 'hello\nbye\n')
expect_status 0 "client on a terminal"
expect_grep '^> ' "$WORK/out" "prompt"
expect_grep '0hello' "$WORK/out" "reply"
