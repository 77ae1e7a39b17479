#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test:
#   1. the Catch2 suite (ctest) on a Release build in build/
#   2. the same suite under AddressSanitizer + UndefinedBehaviorSanitizer in build-asan/
#   3. the integration tests in tests/integration/ against the Release binary
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
jobs=$(nproc)

echo "== Release build and unit tests"
scripts/build.sh
(cd build && ctest --output-on-failure -j "$jobs")

echo "== ASan + UBSan build and unit tests"
BUILD_DIR=build-asan BUILD_TYPE=RelWithDebInfo scripts/build.sh -DBNLAB_SANITIZE=ON
# oneDNN's JIT and OpenMP runtime allocate per thread for the process lifetime: leaks are not checked.
(cd build-asan && ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure -j "$jobs")

echo "== Integration tests"
for t in tests/integration/*.sh; do
  [[ -e "$t" ]] || continue
  echo "-- $t"
  BNLAB=build/bnlab bash "$t"
done
echo "all tests passed"
