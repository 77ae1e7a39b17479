#!/usr/bin/env bash
# The bash completion script (scripts/completion/bnlab.bash): subcommands and options as the binary
# lists them in --help, --color values, and config paths for positional arguments.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/integration/common.bash
make_tmp
source scripts/completion/bnlab.bash

# complete WORD...: the completions of the last word of `WORD...` (COMP_WORDS[0] is the binary).
complete_words() {
  COMP_WORDS=("$BNLAB" "$@")
  COMP_CWORD=$#
  COMPREPLY=()
  _bnlab
  printf '%s\n' "${COMPREPLY[@]}" | sort
}

[[ $(complete_words st) == status ]] || fail "subcommand: 'st' gave: $(complete_words st)"
[[ $(complete_words "" | grep -c .) -ge 12 ]] || fail "not every subcommand is offered"
complete_words "" | grep -qx clean || fail "clean is not offered"
[[ $(complete_words run --ret) == --retry-failed ]] || fail "run option: $(complete_words run --ret)"
complete_words status --j | grep -qx -- --json || fail "status --json is not offered"
complete_words --color never run --no | grep -qx -- --note || fail "options after --color VALUE"
[[ $(complete_words --color a | tr '\n' ' ') == "always auto " ]] || fail "--color values"
[[ $(complete_words model --fo) == --format ]] || fail "model option: $(complete_words model --fo)"
[[ $(complete_words model --format c) == csv ]] || fail "--format values: $(complete_words model --format c)"
pass "subcommands, their options and --color values"

mkdir -p "$tmp/configs/sub"
touch "$tmp/configs/a.json" "$tmp/configs/b.txt"
got=$(complete_words run "$tmp/configs/")
grep -qx "$tmp/configs/a.json" <<<"$got" || fail "config file not offered: $got"
grep -qx "$tmp/configs/sub" <<<"$got" || fail "folder not offered: $got"
! grep -q "b.txt" <<<"$got" || fail "a non-JSON file offered: $got"
[[ -z $(complete_words run "$tmp/configs/a.json" --set "x") ]] || fail "completed a --set value"
pass "config paths: *.json files and folders"
echo "completion.sh: all passed"
