#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole ctest suite twice (a
# normal build and an ASan+UBSan build), then a clang build
# that replays the fuzz corpus. Exits non-zero on any failure.
# Run as root (sudo scripts/test.sh): the end-to-end tests create network
# namespaces and taps, and skip themselves without root.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: not root: end-to-end tests will be skipped (run: sudo scripts/test.sh)" >&2
fi

bash scripts/setup.sh --with-browser

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
# lwIP's pools and heap are on malloc(), so ASan sees overruns inside pool elements too.
ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DLWIPTAP_SANITIZE=ON

echo "=== clang: build everything with -Werror, the fuzzer included, and replay the corpus with it"
CC=clang cmake -S . -B build-clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLWIPTAP_FUZZ=ON -DLWIPTAP_SANITIZE=ON >/dev/null
cmake --build build-clang -j"$jobs"
(cd build-clang && ctest --output-on-failure -R '^fuzz\.')
"build-clang/bin/lwiptap_fuzz" -runs=0 tests/fuzz/corpus
echo "=== all test suites passed"
