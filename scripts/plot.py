#!/usr/bin/python3
"""Plots one bnlab experiment: scripts/plot.py RESULTS_DIR [--out DIR] [--figure NAME]
[--x KEY] [--lines KEY] [--facets KEY] [--metric COLUMN]

RESULTS_DIR is an experiment folder (results/<name>/ with runs.csv, metrics.csv and runs/). The
figure is the one the config names in plot.figure (the studies in configs/studies/ each name theirs);
an experiment that names none gets the generic figure: a final metric (--metric, default
final_test_acc) against a numeric swept key (--x), one line per value of another (--lines), one panel
per value of a third (--facets), mean and 95% Student-t interval over seeds. Keys left out are taken
from the swept keys in runs.csv's order (the seed is averaged over); giving any of these options draws the
generic figure for a study too. Writes <name>.png and a summary <name>.md (the numbers the docs
quote, then the claims' verdicts from verdict.md when there is one) into --out (default: RESULTS_DIR).

Uses Debian's python3 with matplotlib and pandas (scripts/setup.sh installs them) and the
bnlab binary ($BNLAB, else build/bnlab, else PATH) for its config schema and `bnlab summary`.
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bnlab_plot.common import experiment_name, fail, read_csv, run_configs  # noqa: E402
from bnlab_plot.figures import FIGURES, check_names, figure_of  # noqa: E402
from bnlab_plot.generic import plot_generic  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path, help="experiment folder (results/<name>/)")
    parser.add_argument("--out", type=Path, help="where to write <name>.png and <name>.md (default: RESULTS)")
    parser.add_argument("--figure", help="a study figure (overrides the config's plot.figure) or 'generic'")
    generic = parser.add_argument_group("generic figure (any of these selects it)")
    generic.add_argument("--x", help="numeric swept key on the x axis (log scale when its values span decades)")
    generic.add_argument("--lines", help="swept key: one line per value")
    generic.add_argument("--facets", help="swept key: one panel per value")
    generic.add_argument("--metric", help="runs.csv result column on the y axis (default final_test_acc)")
    args = parser.parse_args()
    results = args.results
    if not results.is_dir():
        fail(f"{results}: not a folder")
    out = args.out or results
    runs = read_csv(results / "runs.csv")
    metrics = read_csv(results / "metrics.csv")
    name = experiment_name(results)
    check_names()
    options = {"x": args.x, "lines": args.lines, "facets": args.facets, "metric": args.metric}
    figure = args.figure or figure_of(run_configs(results))
    if any(v is not None for v in options.values()):
        if args.figure not in (None, "generic"):
            fail(f"--figure {args.figure} takes no --x, --lines, --facets or --metric (they pick the generic figure)")
        figure = "generic"
    if figure not in (None, "generic") and figure not in FIGURES:
        fail(f"--figure {figure}: no such figure; figures: generic, {', '.join(FIGURES)}")
    out.mkdir(parents=True, exist_ok=True)
    if figure in FIGURES:
        summary = FIGURES[figure](results, runs, metrics, out)
    else:
        options["metric"] = options["metric"] or "final_test_acc"
        summary = plot_generic(name, results, runs, metrics, out, **options)
    # Every figure's summary ends with the claims' verdicts when the experiment has them (`bnlab run`
    # or `bnlab verdict` wrote verdict.md), so the numbers and the verdicts are read side by side.
    verdict = results / "verdict.md"
    if verdict.exists():
        summary += "\n## Verdicts (`bnlab verdict`)\n\n" + verdict.read_text()
    (out / f"{name}.md").write_text(summary)
    print(f"wrote {out / (name + '.png')} and {out / (name + '.md')}", file=sys.stderr)


if __name__ == "__main__":
    main()
