#!/usr/bin/env bash
# scripts/check_deps.sh catches what it is for: on a copy of lib/ and cli/ that follows the
# dependency picture it passes, and each kind of forbidden #include added to that copy makes it
# fail naming the file and line. (scripts/test.sh runs the check on the repository itself.)
# Needs no bnlab binary.
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# A clean copy: the repository's own sources, which follow the picture.
cp -r lib cli "$tmp"/
scripts/check_deps.sh "$tmp" >"$tmp/out" 2>&1 || { cat "$tmp/out" >&2; fail "check_deps fails on the clean copy"; }
echo "ok: clean copy passes"

# inject FILE LINE WHAT: adds LINE at the top of FILE in a fresh copy and expects a violation.
inject() {
  local file=$1 line=$2 what=$3 copy=$tmp/copy
  rm -rf "$copy"
  mkdir -p "$copy"
  cp -r "$tmp/lib" "$tmp/cli" "$copy"/
  sed -i "1i $line" "$copy/$file"
  if scripts/check_deps.sh "$copy" >"$tmp/out" 2>&1; then fail "check_deps misses $what ($file: $line)"; fi
  grep -q "^$file:1: " "$tmp/out" || { cat "$tmp/out" >&2; fail "check_deps does not name $file:1 for $what"; }
  echo "ok: fails on $what"
}
inject lib/core/tensor.cpp '#include "model/network.hpp"' "core including a folder above it"
inject lib/layers/linear.hpp '#include "model/model_config.hpp"' "layers including model/"
inject lib/util/csv.cpp '#include "core/errors.hpp"' "util including core/"
inject lib/model/network.cpp '#include "train/sgd.hpp"' "model including train/"
inject lib/bench/bench.cpp '#include "experiment/config.hpp"' "bench including experiment/"
inject lib/probes/ics.cpp '#include "bench/bench.hpp"' "probes including bench/"
inject lib/experiment/run.cpp '#include "layers/layer.hpp"' "experiment including layers/"
inject lib/experiment/run.cpp '#include "core/context.hpp"' "experiment including a header that includes oneDNN"
inject lib/train/sgd.cpp '#include <oneapi/dnnl/dnnl.hpp>' "train including oneDNN directly"
inject cli/info.cpp '#include "core/tensor.hpp"' "cli including a header that includes oneDNN"
echo "deps.sh: all passed"
