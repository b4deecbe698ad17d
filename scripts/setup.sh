#!/usr/bin/env bash
# Installs the Debian packages lwip-tap needs and fetches the source of lwIP
# 2.2.1, Debian 13 (trixie)'s lwip package with its security fixes, into
# third_party/ (git-ignored). On an older Debian it adds a source-only deb-src
# entry for trixie, on the mirror this machine already uses: no installed
# package changes. Idempotent: a second run does nothing new.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
lwip_parent="$here/third_party"
lwip_dir="$lwip_parent/lwip"
lwip_suite=trixie
lwip_want=2.2

log() { printf 'setup: %s\n' "$*" >&2; }

need_root() {
    if [ "$(id -u)" -ne 0 ]; then
        log "this step needs root ($1); run: sudo $0"
        exit 1
    fi
}

packages=(build-essential cmake pkg-config check iproute2 tcpdump netcat-openbsd curl
          iputils-ping dpkg-dev clang clang-format clang-tidy python3 python3-scapy iperf libpcap-dev)
# --with-browser (scripts/test.sh): chromium (with its driver and selenium, for
# e2e.web_browser), so that e2e.diagram renders the
# ladder diagram and e2e.web the live page in a real browser. The demo does
# not need it.
if [ "${1:-}" = --with-browser ]; then
    packages+=(chromium chromium-driver python3-selenium)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

lwip_version() {
    sed -n 's/^#define LWIP_VERSION_MAJOR[[:space:]]*\([0-9]*\).*/\1/p;s/^#define LWIP_VERSION_MINOR[[:space:]]*\([0-9]*\).*/\1/p;s/^#define LWIP_VERSION_REVISION[[:space:]]*\([0-9]*\).*/\1/p' \
        "$1/src/include/lwip/init.h" 2>/dev/null | paste -sd.
}

have_lwip() {
    [ -f "$lwip_dir/src/core/tcp.c" ] && case "$(lwip_version "$lwip_dir")" in "$lwip_want".*) true ;; *) false ;; esac
}

apt_source_lines() {
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | sed 's/#.*//'
}

# A deb-src entry for the suite, in one-line or deb822 form, from anyone.
has_suite_src() {
    apt_source_lines | grep -qE "^\s*deb-src\s.*\s$lwip_suite(\s|$)" && return 0
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk -v s="$lwip_suite" 'BEGIN{RS=""} /Types:[^\n]*deb-src/ && $0 ~ "Suites:[^\n]*(^|[ \t])" s "([ \t\n]|$)" {found=1} END{exit !found}' "$f" && return 0
    done
    return 1
}

# The Debian archive mirror this machine uses (not its security mirror).
machine_mirror() {
    {
        apt_source_lines | awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }'
        cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs:[[:space:]]*//p' | tr ' ' '\n'
    } | grep -E '^[a-z]+://' | grep -v -- '-security' | grep -v '/debian-security' | head -1
}

src_entry=/etc/apt/sources.list.d/lwip-tap-$lwip_suite-src.sources
stamp=/var/lib/apt/lists/lwip-tap-updated

if ! have_lwip && ! has_suite_src; then
    need_root "adding a deb-src entry for $lwip_suite"
    mirror=$(machine_mirror)
    if [ -z "$mirror" ]; then
        log "cannot find this machine's Debian mirror in /etc/apt/sources.list*; add a deb-src entry for $lwip_suite by hand"
        exit 1
    fi
    log "adding a source-only deb-src entry for $lwip_suite on $mirror"
    cat > "$src_entry" <<SRC
# Added by lwip-tap's scripts/setup.sh: the source of lwIP 2.2.1 only.
Types: deb-src
URIs: $mirror
Suites: $lwip_suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    rm -f "$stamp"
fi

if [ ${#missing[@]} -gt 0 ] || { ! have_lwip && [ ! -e "$stamp" ]; }; then
    need_root "installing packages: ${missing[*]:-none} / apt-get update"
    log "apt-get update"
    apt-get update -qq
    touch "$stamp"
fi

if [ ${#missing[@]} -gt 0 ]; then
    log "installing: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! have_lwip; then
    log "fetching lwIP source with apt-get source lwip/$lwip_suite"
    mkdir -p "$lwip_parent"
    tmp=$(mktemp -d "$lwip_parent/.fetch.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && apt-get source -qq --download-only "lwip/$lwip_suite" >/dev/null 2>&1 &&
        dpkg-source -x --no-check ./lwip_*.dsc src >/dev/null)
    version=$(lwip_version "$tmp/src")
    case "$version" in
        "$lwip_want".*) ;;
        *) log "Debian's lwip source for $lwip_suite is $version, not $lwip_want.x"; exit 1 ;;
    esac
    rm -rf "$lwip_dir"
    mv "$tmp/src" "$lwip_dir"
    log "lwIP $version source in $lwip_dir"
fi
