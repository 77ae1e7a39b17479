#!/usr/bin/env bash
# The config reference in docs/config.md must be exactly what the code says (`bnlab schema`), and
# README's verdict block what scripts/readme_verdicts.py makes of docs/figures/*.md; every
# subcommand and run option the code has must appear in README.md or docs/; every relative link of
# README.md and docs/*.md must resolve (scripts/check_links.py, which must also catch a broken one).
set -euo pipefail
cd "$(dirname "$0")/../.."
bnlab=${BNLAB:-build/bnlab}
expected=$("$bnlab" schema)
actual=$(sed -n '/<!-- config-reference:begin -->/,/<!-- config-reference:end -->/p' docs/config.md | sed '1d;$d')
if [[ "$expected" != "$actual" ]]; then
  echo "docs/config.md config reference is out of date: run scripts/update_docs.sh" >&2
  diff <(echo "$expected") <(echo "$actual") >&2 || true
  exit 1
fi
# README's verdict block is what scripts/readme_verdicts.py makes of the committed docs/figures/*.md
expected=$(python3 scripts/readme_verdicts.py)
actual=$(sed -n '/<!-- verdicts:begin -->/,/<!-- verdicts:end -->/p' README.md | sed '1d;$d')
if [[ "$expected" != "$actual" ]]; then
  echo "README.md verdict block is out of date: run scripts/update_docs.sh" >&2
  diff <(echo "$expected") <(echo "$actual") >&2 || true
  exit 1
fi
docs=$(cat README.md docs/*.md)
for word in run plan validate collect status clean summary compare verdict bench info schema model --out --set --jobs --threads --shard --force --retry-failed --dry-run; do
  grep -q -- "$word" <<<"$docs" || { echo "README.md and docs/ do not mention '$word'" >&2; exit 1; }
done
# every option of every subcommand's --help is in README or docs/ (by its long name, or its short one)
for sub in run plan validate collect status clean summary compare verdict info schema bench model; do
  while read -r opt; do
    long=$(grep -oE -- '--[a-z-]+' <<<"$opt")
    short=$(grep -oE '^-[a-zA-Z]' <<<"$opt" || true)
    [[ $long == --help ]] && continue
    grep -q -- "$long" <<<"$docs" || { [[ -n $short ]] && grep -q -- "\`$short" <<<"$docs"; } ||
      { echo "README.md and docs/ do not mention bnlab $sub $long" >&2; exit 1; }
  done < <("$bnlab" "$sub" --help 2>&1 | grep -oE '^ +(-[a-zA-Z],)?--[a-z-]+' | sed 's/^ *//')
done
/usr/bin/python3 scripts/check_links.py || { echo "README.md or docs/: broken links (above)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '# Page\n\n[ok](#page) [gone](missing.md) [anchor](#no-such-heading)\n' >"$tmp/page.md"
if /usr/bin/python3 scripts/check_links.py "$tmp/page.md" 2>"$tmp/err"; then
  echo "check_links.py passed a page with broken links" >&2
  exit 1
fi
grep -q "missing.md: no such file" "$tmp/err" && grep -q "#no-such-heading: .* has no heading with that anchor" "$tmp/err" ||
  { echo "check_links.py: unexpected report: $(cat "$tmp/err")" >&2; exit 1; }
echo "docs: README.md and docs/ match the code, links resolve"
