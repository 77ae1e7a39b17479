#!/usr/bin/python3
"""Every relative link of README.md and docs/*.md resolves: the file exists and, for #anchor, a
heading of that file has the anchor (GitHub's rule: lower case, punctuation dropped, spaces to '-').
  scripts/check_links.py [FILE.md...]        (default: README.md docs/*.md; exit 1 on a broken link)"""
import re
import sys
from pathlib import Path

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def anchors(path):
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)  # a '#' in a code block is no heading
    slugs = set()
    for line in text.split("\n"):
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            slugs.add(re.sub(r"\s", "-", re.sub(r"[^\w\- ]", "", title)))
    return slugs


def broken_links(path):
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
            continue
        file, _, anchor = target.partition("#")
        dest = (path.parent / file) if file else path
        if not dest.exists():
            yield f"{path}: link to {target}: no such file"
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            yield f"{path}: link to {target}: {dest} has no heading with that anchor"


def main():
    root = Path(__file__).resolve().parent.parent
    files = [Path(f) for f in sys.argv[1:]] or [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    problems = [p for f in files for p in broken_links(f)]
    for p in problems:
        print(p, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
