#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole ctest suite twice: a
# normal build and an ASan+UBSan build. Exits non-zero on any failure.
# Run as root (sudo scripts/test.sh): the end-to-end tests create network
# namespaces and taps, and skip themselves without root.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: not root: end-to-end tests will be skipped (run: sudo scripts/test.sh)" >&2
fi

bash scripts/setup.sh

jobs=$(nproc)
run_suite() {
    local dir=$1
    shift
    echo "=== configure and build: $dir ($*)"
    cmake -S . -B "$dir" "$@" >/dev/null
    cmake --build "$dir" -j"$jobs"
    echo "=== ctest: $dir"
    (cd "$dir" && ctest --output-on-failure -j2 --timeout 300)
}

echo "=== static checks: clang-format and clang-tidy over our code only"
cmake -S . -B build >/dev/null
cmake --build build --target clang-format-check
cmake --build build --target clang-tidy

run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLWIPTAP_SANITIZE=OFF
ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DLWIPTAP_SANITIZE=ON
echo "=== all test suites passed"
