# shellcheck shell=bash
# Which ladder diagram draws which connection, for the demo and the lessons.
# Sourced, never executed.

# diagram_files LOG...: the diagrams lwip-tap wrote, one "PATH<TAB>PEER ->
# LOCAL" per line, in the order of their files. lwip-tap logs "diagram: wrote
# PATH: PEER -> LOCAL" (builds before issue 14's views change: "diagram:
# LOCAL PEER: N events drawn in PATH").
diagram_files() {
    sed -nE -e 's/.* INFO diagram: wrote (.+): ([^ ]+) -> ([^ ]+)$/\1\t\2 -> \3/p' \
        -e 's/.* INFO diagram: ([^ ]+) ([^ ]+): [0-9]+ events? drawn in (.+)$/\3\t\2 -> \1/p' "$@" |
        sort -t "$(printf '\t')" -k1,1V
}

# show_diagrams LOG...: each diagram file, and under it the connection it draws.
show_diagrams() {
    local path conn
    diagram_files "$@" | while IFS="$(printf '\t')" read -r path conn; do
        [ ! -s "$path" ] || printf '    file://%s\n        %s\n' "$path" "$conn"
    done
}
