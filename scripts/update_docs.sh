#!/usr/bin/env bash
# Regenerates the generated parts of docs/ from the code: the config reference (`bnlab schema`).
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
