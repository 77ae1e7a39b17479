#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a first result: installs what is missing, builds
# the bnlab binary (not the tests), and runs the quickstart study (configs/quickstart.json) into
# results/quickstart/, two runs at once with one thread each (on a small machine, one OpenMP thread
# per run beats two threads sharing the cores with another process). Extra arguments go to
# `bnlab run`. Every command it calls comes from Debian 12's minimal install or from setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The tests need Catch2, which setup.sh installs only with --test: configure without them.
BUILD_TARGET=bnlab scripts/build.sh -DBNLAB_TESTS=OFF
build/bnlab run configs/quickstart.json --jobs 2 "$@"
echo
echo "results: results/quickstart/runs.csv (one row per run) and results/quickstart/metrics.csv (every evaluation)"
scripts/show_csv.py results/quickstart/runs.csv
