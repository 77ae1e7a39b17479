#!/usr/bin/env bash
# Reproduces the studies and their figures:
#   scripts/reproduce.sh [STUDY...]      (default: every configs/studies/*.json; STUDY is a name)
# Installs what is missing, builds, then for each study runs `bnlab run` into results/<name>/
# (JOBS runs at once, default 2, one thread each; overhead, a timing study, one run at a time; finished runs are kept, so an interrupted
# reproduction resumes), plots it with scripts/plot.py and copies <name>.png and <name>.md (the
# numbers README quotes) to docs/figures/. Prints each study's wall time.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
jobs=${JOBS:-2}
if [[ $# -eq 0 ]]; then
  set -- $(for f in configs/studies/*.json; do basename "$f" .json; done)
fi
for study in "$@"; do
  [[ -f configs/studies/$study.json ]] || { echo "reproduce.sh: no configs/studies/$study.json" >&2; exit 2; }
done
mkdir -p docs/figures
for study in "$@"; do
  start=$SECONDS
  if [[ $study == overhead ]]; then
    # a timing study: one run at a time on one thread, so runs do not share the cores
    build/bnlab run "configs/studies/$study.json" --jobs 1 --threads 1
  else
    build/bnlab run "configs/studies/$study.json" --jobs "$jobs"
  fi
  # the figure the config names now: runs kept from before plot.figure existed do not name it
  figure=$(build/bnlab plan "configs/studies/$study.json" --resolved |
    /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin).get("plot", {}).get("figure") or "generic")')
  /usr/bin/python3 scripts/plot.py "results/$study" --out "results/$study" --figure "$figure"
  cp "results/$study/$study.png" "results/$study/$study.md" docs/figures/
  elapsed=$((SECONDS - start))
  echo "== $study: $((elapsed / 60)) min $((elapsed % 60)) s (runs skipped as already done count as 0) -> docs/figures/$study.png"
done
