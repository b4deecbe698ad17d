#!/usr/bin/env bash
# The arrows between the rooms, checked on every #include in port/ and
# app/: a file may include its own room's headers and those of the rooms its
# room sits on, never one above it or beside it. port/CMakeLists.txt links the
# libraries the same way; this check also catches what an include path let
# through, and a room's private header (one outside its include/) reached from
# another directory.
#
#   platform  port/ top, port/include   -> lwIP
#   link      port/link                 -> platform
#   guard     port/guard                -> link, platform, lwIP
#   timeline  port/timeline             -> link, platform
#   netif     port/netif_link.c + .h    -> guard, link, platform, lwIP
#   app       app/                      -> every room, lwIP
set -euo pipefail
root=$(cd "${1:?usage: check_include_direction.sh REPO_ROOT}" && pwd)

declare -A allowed=(
    [platform]="platform lwip"
    [link]="link platform"
    [guard]="guard link platform lwip"
    [timeline]="timeline link platform"
    [netif]="netif guard link platform lwip"
    [app]="app netif guard timeline link platform lwip"
)

# The room a file (a path relative to root) belongs to.
room_of() {
    case "$1" in
    port/netif_link.c | port/include/lwiptap/netif_link.h) echo netif ;;
    port/link/*) echo link ;;
    port/guard/*) echo guard ;;
    port/timeline/*) echo timeline ;;
    port/*) echo platform ;;
    lwip:*) echo lwip ;;
    app/*) echo app ;;
    *) echo unknown ;;
    esac
}

# Where an include resolves: beside the including file, else in one room's
# include/ (the public headers, reachable as "lwiptap/NAME.h"), else "lwip:"
# for lwIP's own headers; empty for anything else outside our tree.
resolve() {
    local dir=$1 name=$2 hit=
    if [ -f "$root/$dir/$name" ]; then
        realpath --relative-to="$root" "$root/$dir/$name"
        return
    fi
    for inc in port/include port/link/include port/guard/include port/timeline/include; do
        if [ -f "$root/$inc/$name" ]; then
            hit="$inc/$name"
        fi
    done
    case "$hit:$name" in
    :lwip/* | :netif/*) echo "lwip:$name" ;;
    *) echo "$hit" ;;
    esac
}

status=0
checked=0
while IFS= read -r file; do
    rel=${file#"$root"/}
    from=$(room_of "$rel")
    dir=$(dirname "$rel")
    while IFS= read -r line; do
        name=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*["<]([^">]+)[">].*/\1/' <<<"$line")
        target=$(resolve "$dir" "$name")
        [ -n "$target" ] || continue
        checked=$((checked + 1))
        to=$(room_of "$target")
        if [[ " ${allowed[$from]} " != *" $to "* ]]; then
            echo "FAIL: $rel ($from) includes $name, a header of $to: $from may use only ${allowed[$from]}"
            status=1
        elif [[ "$to" != lwip && "$target" != */include/* && "$(dirname "$target")" != "$dir" ]]; then
            echo "FAIL: $rel includes $target, a private header of another directory"
            status=1
        fi
    done < <(grep -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*["<]' "$file" || true)
done < <(find "$root/port" "$root/app" -name '*.[ch]' | sort)

[ "$checked" -gt 0 ] || { echo "FAIL: no includes found under $root/port and $root/app"; exit 1; }
[ "$status" -ne 0 ] || echo "PASS: $checked includes in port/ and app/, all along the arrows"
exit "$status"
