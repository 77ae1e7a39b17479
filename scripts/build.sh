#!/usr/bin/env bash
# Configures and builds bnlab (Release) into build/ — or BUILD_DIR — with every core.
#   scripts/build.sh [extra cmake args]
#   BUILD_TARGET=bnlab scripts/build.sh   builds that target only (scripts/run.sh: the CLI, no tests)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
target=()
[[ -n "${BUILD_TARGET:-}" ]] && target=(--target "$BUILD_TARGET")
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-Release} "$@" >/dev/null
cmake --build "$build_dir" -j "$(nproc)" "${target[@]}"
