#!/usr/bin/env bash
# Installs the Debian packages lwip-tap needs and fetches lwIP 2.1.3 source
# into third_party/ (git-ignored). Idempotent: a second run does nothing new.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
lwip_parent="$here/third_party"
lwip_dir="$lwip_parent/lwip"

log() { printf 'setup: %s\n' "$*" >&2; }

need_root() {
    if [ "$(id -u)" -ne 0 ]; then
        log "this step needs root ($1); run: sudo $0"
        exit 1
    fi
}

packages=(build-essential cmake pkg-config check iproute2 tcpdump netcat-openbsd
          iputils-ping dpkg-dev clang-format clang-tidy)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

has_deb_src() {
    grep -rhsE '^\s*(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/ >/dev/null
}

if [ ! -f "$lwip_dir/src/core/tcp.c" ] && ! has_deb_src; then
    need_root "adding a deb-src entry"
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
    log "adding deb-src entry for $codename"
    cat > /etc/apt/sources.list.d/lwip-tap-deb-src.sources <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $codename
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    rm -f /var/lib/apt/lists/lock.updated-by-lwip-tap
fi

if [ ${#missing[@]} -gt 0 ] || { [ ! -f "$lwip_dir/src/core/tcp.c" ] && [ ! -e /var/lib/apt/lists/lock.updated-by-lwip-tap ]; }; then
    need_root "installing packages: ${missing[*]:-none} / apt-get update"
    log "apt-get update"
    apt-get update -qq
    touch /var/lib/apt/lists/lock.updated-by-lwip-tap
fi

if [ ${#missing[@]} -gt 0 ]; then
    log "installing: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -f "$lwip_dir/src/core/tcp.c" ]; then
    log "fetching lwIP source with apt-get source lwip"
    mkdir -p "$lwip_parent"
    tmp=$(mktemp -d "$lwip_parent/.fetch.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && apt-get source -qq --download-only lwip >/dev/null && dpkg-source -x --no-check ./lwip_*.dsc src >/dev/null)
    version=$(sed -n 's/^#define LWIP_VERSION_MAJOR[[:space:]]*\([0-9]*\).*/\1/p;s/^#define LWIP_VERSION_MINOR[[:space:]]*\([0-9]*\).*/\1/p;s/^#define LWIP_VERSION_REVISION[[:space:]]*\([0-9]*\).*/\1/p' \
        "$tmp/src/src/include/lwip/init.h" | paste -sd.)
    if [ "$version" != "2.1.3" ]; then
        log "warning: Debian's lwip source is $version, not 2.1.3; building it anyway"
    fi
    rm -rf "$lwip_dir"
    mv "$tmp/src" "$lwip_dir"
    log "lwIP $version source in $lwip_dir"
fi
