#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test:
#   0. the folder dependencies: scripts/check_deps.sh over the #include lines (DESIGN.md's picture)
#   1. the Catch2 suite (ctest) on a Release build in build/ (GCC)
#   2. the integration tests in tests/integration/*.sh against the Release binary, several at once,
#      while step 3's sanitized build compiles (they mostly wait, the build computes)
#      (scripts/run_integration.sh; cli.sh: exit statuses, kill -9 and resume, --jobs; slurm.sh: a
#      real single-node Slurm cluster;
#      studies.sh: every study config, shortened, through plot.py; docs.sh: README vs the code;
#      deps.sh: check_deps.sh catches each kind of forbidden include)
#   3. the same Catch2 suite under AddressSanitizer + UndefinedBehaviorSanitizer (clang, build-asan/)
#   4. the config fuzzer (tests/fuzz/), two processes for 30 s each, from a corpus of the repo's own configs and the
#      hostile seeds of tests/fuzz/make_corpus.py, from the same sanitized build (the library there
#      is also instrumented for libFuzzer's coverage); a crash, hang (30 s), 1.5 GB of memory, a
#      256 MB allocation, a leak or a sanitizer report fails
# One sanitized build serves both 3 and 4: on a 2-core machine each build takes minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
jobs=$(nproc)
stage() { echo "== [$((SECONDS / 60))m$((SECONDS % 60))s] $*"; }

stage "Folder dependencies (#include lines)"
scripts/check_deps.sh

stage "Release build and unit tests"
scripts/build.sh -DBNLAB_TESTS=ON  # ON explicitly: scripts/run.sh configures the same build/ without tests
(cd build && ctest --output-on-failure -j "$jobs")

stage "Integration tests (Release binary) while the ASan + UBSan build (clang) compiles"
# The integration scripts mostly wait (kill and resume, Slurm, process start-up) and the sanitized
# build mostly computes: overlapped, the two take little more than the build alone. The scripts'
# logs are printed after the build, whole.
integration_log=$(mktemp)
# In a session of its own, so that a failed build stops every script it started.
BNLAB=build/bnlab setsid scripts/run_integration.sh >"$integration_log" 2>&1 &  # several at once
integration_pid=$!
trap 'kill -- -$integration_pid 2>/dev/null || true; rm -f "$integration_log"' EXIT
# -O1 with line tables: sanitizer reports keep file:line, the build stays fast. BNLAB_SANITIZE adds
# -fno-sanitize-recover=undefined, so undefined behaviour aborts and fails the test.
CC=clang CXX=clang++ BUILD_DIR=build-asan BUILD_TYPE=RelWithDebInfo scripts/build.sh -DBNLAB_TESTS=ON \
  -DBNLAB_SANITIZE=ON -DBNLAB_FUZZ=ON -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only"
integration_status=0
wait $integration_pid || integration_status=$?
cat "$integration_log"
stage "Integration tests: $([[ $integration_status -eq 0 ]] && echo "all passed" || echo "FAILED (exit $integration_status)")"
[[ $integration_status -eq 0 ]] || exit 1

stage "ASan + UBSan unit tests"
# allocator_may_return_null: a request no process can hold returns null as in the plain build (ASan
# would abort instead), so the test that the library turns it into a MemoryError runs here too.
(cd build-asan && ASAN_OPTIONS=abort_on_error=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure -j "$jobs")

stage "Fuzzing config parsing (2 x 30 s)"
corpus=$(mktemp -d)
trap 'rm -rf "$corpus" "$integration_log"' EXIT
shopt -s nullglob
cp configs/*.json configs/studies/*.json "$corpus"/
shopt -u nullglob
tests/fuzz/make_corpus.py "$corpus"  # inputs at the limits: deep nesting, 256 KiB, big sweeps
mkdir -p build-asan/artifacts "$corpus/1" "$corpus/2"
find "$corpus" -maxdepth 1 -type f -exec cp -t "$corpus/1" {} + -exec cp -t "$corpus/2" {} +
# One libFuzzer process per core, 30 s each, with different seeds and corpus copies (each adds the
# inputs it finds to its own): 60 s of fuzzing in 30 s of wall time. Either failing fails the suite.
# -max_len: past the 256 KiB config limit (libFuzzer's default is 4 KB, or the largest seed);
# -timeout/-rss_limit_mb/-malloc_limit_mb: an input that is slow or memory-hungry is a bug too. The
# timeout is 30 s: the largest study config (batch_size_resnet, 400 runs, each expanded and checked)
# takes 0.2 s in the Release build but 7-19 s in this instrumented one, depending on the load, and
# tripped a 10 s limit on a shared machine; a hang still fails.
fuzz() {
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 build-asan/bnlab_fuzz_config -max_total_time=30 -timeout=30 \
    -max_len=270000 -rss_limit_mb=1536 -malloc_limit_mb=256 -seed="$1" \
    -artifact_prefix=build-asan/artifacts/ -print_final_stats=1 "$corpus/$1" >"$corpus/fuzz$1.log" 2>&1
}
fuzz 1 & fuzz_pid1=$!
fuzz 2 & fuzz_pid2=$!
fuzz_status=0
wait $fuzz_pid1 || fuzz_status=1
wait $fuzz_pid2 || fuzz_status=1
for n in 1 2; do echo "-- fuzzer $n:"; tail -n 25 "$corpus/fuzz$n.log"; done
[[ $fuzz_status -eq 0 ]] || { echo "fuzzing found a failure (inputs in build-asan/artifacts/); whole logs:"; cat "$corpus"/fuzz*.log; exit 1; }
stage "all tests passed"
