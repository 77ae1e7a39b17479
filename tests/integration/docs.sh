#!/usr/bin/env bash
# README's config reference must be exactly what the code says (`bnlab schema`), and every
# subcommand and run option the code has must appear in README.
set -euo pipefail
cd "$(dirname "$0")/../.."
bnlab=${BNLAB:-build/bnlab}
expected=$("$bnlab" schema)
actual=$(sed -n '/<!-- config-reference:begin -->/,/<!-- config-reference:end -->/p' README.md | sed '1d;$d')
if [[ "$expected" != "$actual" ]]; then
  echo "README.md config reference is out of date: run scripts/update_docs.sh" >&2
  diff <(echo "$expected") <(echo "$actual") >&2 || true
  exit 1
fi
for word in run plan validate collect bench info schema --out --set --jobs --threads --shard --force --retry-failed --dry-run; do
  grep -q -- "$word" README.md || { echo "README.md does not mention '$word'" >&2; exit 1; }
done
echo "docs: README matches the code"
