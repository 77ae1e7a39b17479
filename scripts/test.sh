#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test:
#   1. the Catch2 suite (ctest) on a Release build in build/
#   2. the same suite under AddressSanitizer + UndefinedBehaviorSanitizer in build-asan/
#   3. the integration tests in tests/integration/*.sh against the Release binary (cli.sh: exit
#      statuses, kill -9 and resume, --jobs; slurm.sh: a real single-node Slurm cluster)
#   4. the config fuzzer (tests/fuzz/) for 60 s, built with clang, ASan and UBSan, from a corpus of
#      the repo's own configs; a crash, hang (10 s), leak or sanitizer report fails
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
jobs=$(nproc)
stage() { echo "== [$((SECONDS / 60))m$((SECONDS % 60))s] $*"; }

stage "Release build and unit tests"
scripts/build.sh
(cd build && ctest --output-on-failure -j "$jobs")

stage "ASan + UBSan build and unit tests"
BUILD_DIR=build-asan BUILD_TYPE=RelWithDebInfo scripts/build.sh -DBNLAB_SANITIZE=ON
(cd build-asan && ASAN_OPTIONS=abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure -j "$jobs")

stage "Integration tests"
for t in tests/integration/*.sh; do
  [[ -e "$t" ]] || continue
  echo "-- $t"
  BNLAB=build/bnlab bash "$t"
done

stage "Fuzzing config parsing (60 s)"
# BNLAB_FUZZ instruments the whole library (the parser lives there); BNLAB_SANITIZE adds
# -fno-sanitize-recover=undefined, so undefined behaviour aborts and fails the run.
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DBNLAB_FUZZ=ON -DBNLAB_TESTS=OFF -DBNLAB_SANITIZE=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j "$jobs" --target bnlab_fuzz_config
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
shopt -s nullglob
cp configs/*.json configs/studies/*.json "$corpus"/
shopt -u nullglob
mkdir -p build-fuzz/artifacts
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 build-fuzz/bnlab_fuzz_config -max_total_time=60 -timeout=10 \
  -artifact_prefix=build-fuzz/artifacts/ -print_final_stats=1 "$corpus"
stage "all tests passed"
