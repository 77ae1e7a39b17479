#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a first result: installs what is missing, builds,
# and runs the quickstart study (configs/quickstart.json) into results/quickstart/, two runs at
# once with one thread each (on a small machine, one OpenMP thread per run beats two threads
# sharing the cores with another process). Extra arguments go to `bnlab run`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
build/bnlab run configs/quickstart.json --jobs 2 "$@"
echo
echo "results: results/quickstart/runs.csv (one row per run) and results/quickstart/metrics.csv (every evaluation)"
column -s, -t < results/quickstart/runs.csv | cut -c1-160 || true
