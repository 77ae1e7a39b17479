#!/usr/bin/env python3
"""Prints README's generated "Verdicts" block: for each study in README's study table (in its order),
the figure and the verdict table that `bnlab verdict` wrote for the committed results, read from the
"## Verdicts" section that scripts/plot.py appends to docs/figures/<study>.md. The claim sentences
stay in docs/studies.md; here each claim is its id, comparison, margin, estimate and verdict.
scripts/update_docs.sh writes the block into README.md; tests/integration/docs.sh checks it.
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def studies_in_readme(readme):
    """(name, write-up link, question) of each row of README's study table, in order."""
    rows = re.findall(r"^\| \[([a-z_]+)\]\((docs/studies\.md#[^)]*)\) \| ([^|]+) \|", readme, re.M)
    if not rows:
        sys.exit("readme_verdicts.py: README.md has no study table")
    return rows


def verdict_rows(study):
    """The rows of the study's verdict table (cells), or None when it has none."""
    md = ROOT / "docs" / "figures" / f"{study}.md"
    if not md.exists():
        return None
    text = md.read_text()
    if "## Verdicts" not in text:
        return None
    rows = []
    for line in text.split("## Verdicts", 1)[1].splitlines():
        if line.startswith("| ") and not line.startswith("| claim |"):
            rows.append([c.strip() for c in line.strip().strip("|").split(" | ")])
    return rows


def main():
    readme = (ROOT / "README.md").read_text()
    out = []
    for study, link, question in studies_in_readme(readme):
        out.append(f"**{study}**: {question.strip()} ([write-up]({link}), "
                   f"[numbers](docs/figures/{study}.md))\n")
        out.append(f'<img src="docs/figures/{study}.png" alt="{study} figure" width="640">\n')
        rows = verdict_rows(study)
        if not rows:
            out.append("No verdict table committed for this study.\n")
            continue
        out.append("| claim | metric: A - B (or A / B) | where | expected | n | estimate | 95% CI | verdict |")
        out.append("|---|---|---|---|---|---|---|---|")
        for cells in rows:
            claim, metric, where, expected, n, estimate, ci, _p, verdict = cells[:9]
            claim_id = claim.split(":", 1)[0]
            out.append(f"| {claim_id} | {metric} | {where} | {expected} | {n} | {estimate} | {ci} | {verdict} |")
        out.append("")
    print("\n".join(out).rstrip("\n"))


if __name__ == "__main__":
    main()
