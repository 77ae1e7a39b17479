#!/usr/bin/env bash
# Regenerates the generated parts of the docs: the config reference in docs/config.md (`bnlab schema`)
# and README's verdict block (scripts/readme_verdicts.py, from the committed docs/figures/*.md).
#   scripts/update_docs.sh [path/to/bnlab]
set -euo pipefail
cd "$(dirname "$0")/.."
bnlab=${1:-${BNLAB:-build/bnlab}}
python3 - "$bnlab" <<'PY'
import subprocess, sys
ref = subprocess.run([sys.argv[1], "schema"], check=True, capture_output=True, text=True).stdout
begin, end = "<!-- config-reference:begin -->\n", "<!-- config-reference:end -->\n"
text = open("docs/config.md").read()
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
open("docs/config.md", "w").write(head + begin + ref + end + tail)
PY
python3 - <<'PY'
import subprocess
block = subprocess.run(["python3", "scripts/readme_verdicts.py"], check=True, capture_output=True, text=True).stdout
begin, end = "<!-- verdicts:begin -->\n", "<!-- verdicts:end -->\n"
text = open("README.md").read()
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
open("README.md", "w").write(head + begin + block + end + tail)
PY
