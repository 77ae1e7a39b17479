#!/usr/bin/env bash
# Checks the #include lines of lib/ and cli/ against DESIGN.md's dependency picture:
#   cli → {experiment, bench};  experiment → {train, probes, model, data, stats};  bench → {train, model, data}
#   probes → {train, model, data};  train → {model, data};  model → layers;  layers → core;
#   data → core;  core → util;  stats → nothing (statistics over seeds: the standard library only);
#   util → nothing
# A folder may include its own headers and those of every folder it reaches along these arrows
# (so experiment may include core/errors.hpp), never one above it. Besides:
#   - only lib/core and lib/layers include oneDNN (<oneapi/dnnl/...>, <dnnl*.h>);
#   - cli/ and lib/experiment include no layers/ header and no header that includes oneDNN
#     (they get thread counts and versions from core/runtime.hpp);
#   - nothing under lib/layers includes model/ (layers take plain option structs).
# Prints one line per violation (file:line: rule: the include) and exits 1 if there is any.
#   scripts/check_deps.sh [ROOT]      ROOT defaults to this repository
set -euo pipefail
root=${1:-"$(dirname "$0")/.."}
cd "$root"

declare -A arrows=(
  [cli]="experiment bench" [experiment]="train probes model data stats" [bench]="train model data"
  [probes]="train model data" [train]="model data" [model]="layers" [layers]="core" [data]="core"
  [core]="util" [util]="" [stats]=""
)
# Every folder a folder reaches along the arrows, itself included.
reach() {
  local todo=("$1") seen=" $1 " f next
  while ((${#todo[@]})); do
    f=${todo[0]}
    todo=("${todo[@]:1}")
    for next in ${arrows[$f]}; do
      [[ $seen == *" $next "* ]] && continue
      seen+="$next "
      todo+=("$next")
    done
  done
  echo "$seen"
}

violations=0
report() {
  echo "$1: $2"
  violations=$((violations + 1))
}

# Headers under lib/ that include oneDNN directly.
dnnl_headers=" "
while IFS= read -r header; do
  dnnl_headers+="${header#lib/} "
done < <(grep -lE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<(oneapi/dnnl/|dnnl)' -r lib --include='*.hpp' || true)

declare -A allowed=()
for folder in "${!arrows[@]}"; do allowed[$folder]=$(reach "$folder"); done

# One grep over every source: lines "file:line:#include ...".
include_re='^([^:]+):([0-9]+):[[:space:]]*#[[:space:]]*include[[:space:]]*([<"])([^>"]*)[>"]'
declare -A unknown=()
while IFS= read -r match; do
  [[ $match =~ $include_re ]] || continue
  file=${BASH_REMATCH[1]} line=${BASH_REMATCH[2]} quote=${BASH_REMATCH[3]} target=${BASH_REMATCH[4]}
  if [[ $file == cli/* ]]; then folder=cli; else folder=${file#lib/}; folder=${folder%%/*}; fi
  if [[ -z ${arrows[$folder]+set} ]]; then
    [[ -n ${unknown[$folder]+set} ]] ||
      report "$file" "folder '$folder' is not in the dependency picture (add it to scripts/check_deps.sh and DESIGN.md)"
    unknown[$folder]=1
    continue
  fi
  if [[ $quote == "<" ]]; then
    if [[ $target == oneapi/dnnl/* || $target == dnnl* ]] && [[ $folder != core && $folder != layers ]]; then
      report "$file:$line" "only core/ and layers/ include oneDNN: <$target>"
    fi
    continue
  fi
  [[ $target == */* ]] || continue  # a header next to the file
  to=${target%%/*}
  [[ -n ${arrows[$to]+set} ]] || continue  # not a lib/ folder
  if [[ ${allowed[$folder]} != *" $to "* ]]; then
    report "$file:$line" "$folder/ may not include $to/ (not below it in the picture): \"$target\""
  elif [[ ($folder == experiment || $folder == cli) && ($to == layers || $dnnl_headers == *" $target "*) ]]; then
    report "$file:$line" "$folder/ includes no layers/ or oneDNN header: \"$target\""
  fi
done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include' lib cli --include='*.hpp' --include='*.cpp' --include='*.h' |
           LC_ALL=C sort -t: -k1,1 -k2,2n)

if ((violations)); then
  echo "check_deps: $violations include(s) break the folder dependencies (DESIGN.md, Layout)" >&2
  exit 1
fi
echo "check_deps: includes of lib/ and cli/ follow the dependency picture"
