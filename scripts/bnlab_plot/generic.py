"""The figure of any sweep: a final metric against a numeric swept key, one line per value of a
second key, one panel per value of a third; mean and 95% Student-t interval over the seeds, taken
from `bnlab summary` (diverged and failed runs are counted there, never averaged in). An experiment
that sweeps no numeric key gets the metric's learning curves instead (test_acc against step, mean and
min-max over seeds: an interval per evaluation would need a second copy of bnlab's t quantiles)."""
import matplotlib.pyplot as plt
import pandas as pd

from .bnlab_cli import bnlab, summary
from .common import fail, mean_band, norm_colour

SEED_KEY = "train.seed"  # the replicate: averaged over, never a line or a panel by default


def swept_keys(runs):
    """runs.csv's key columns: those between `status` and the first result column `steps`."""
    cols = list(runs.columns)
    return cols[cols.index("status") + 1:cols.index("steps")]


def is_numeric(series):
    values = series.dropna()
    return len(values) > 0 and pd.to_numeric(values, errors="coerce").notna().all()


def choose_keys(runs, x, lines, facets, metric):
    """The keys of the three roles: the given ones (checked), the rest from the swept keys in runs.csv's order."""
    keys = swept_keys(runs)
    results = [c for c in runs.columns[runs.columns.get_loc("steps"):] if is_numeric(runs[c])]
    for option, key in (("--x", x), ("--lines", lines), ("--facets", facets)):
        if key is not None and key not in keys:
            fail(f"{option} {key}: not a swept key of this experiment; swept keys: {', '.join(keys) or 'none'}")
    if metric not in runs.columns[runs.columns.get_loc("steps"):]:
        fail(f"--metric {metric}: not a result column of runs.csv; numeric ones: {', '.join(results)}")
    numeric = [k for k in keys if is_numeric(runs[k])]
    if x is not None and x not in numeric:
        fail(f"--x {x}: not numeric (values {', '.join(map(str, runs[x].unique()[:5]))}); "
             f"numeric swept keys: {', '.join(numeric) or 'none'}")
    chosen = [k for k in (x, lines, facets) if k is not None]
    if len(set(chosen)) < len(chosen):
        fail(f"--x, --lines and --facets must be different keys (got {', '.join(chosen)})")
    varied = [k for k in keys if k != SEED_KEY and k not in chosen and runs[k].nunique() > 1]
    if x is None:
        x = next((k for k in varied if k in numeric), None)
        varied = [k for k in varied if k != x]
    if lines is None and varied:
        lines = varied.pop(0)
    if facets is None and varied:
        facets = varied.pop(0)
    return x, lines, facets


def values_in_order(column):
    """A key's values: numerically sorted when numeric, else in plan order."""
    unique = list(dict.fromkeys(column.dropna()))
    return sorted(unique, key=float) if is_numeric(column) else unique


def line_colours(key, values):
    if key == "model.norm":
        return {v: norm_colour(v) for v in values}
    return {v: f"C{i % 10}" for i, v in enumerate(values)}


def plot_against_key(ax, table, x, lines, colours, metric):
    for value in (values_in_order(table[lines]) if lines else [None]):
        t = table[table[lines] == value] if lines else table
        t = t.assign(xv=pd.to_numeric(t[x])).sort_values("xv")
        ok = t[t["n"] > 0]
        label = f"{lines}={value}" if lines else metric
        colour = colours.get(value, "C0")
        ax.plot(ok["xv"], ok["mean"], "o-", color=colour, label=label, ms=4)
        band = ok[ok["n"] > 1]
        ax.fill_between(band["xv"], band["ci95_low"], band["ci95_high"], color=colour, alpha=0.2, linewidth=0)
        bad = t[t["n_diverged"] + t["n_failed"] > 0]
        if len(bad):  # drawn at the bottom of the panel: they have no value to plot
            ax.scatter(bad["xv"], [0.03] * len(bad), transform=ax.get_xaxis_transform(), marker="x", s=50,
                       color=colour, label=f"{label}: diverged or failed")
    values = pd.to_numeric(table[x])
    if (values > 0).all() and values.max() / values.min() >= 10:
        ax.set_xscale("log")
    ax.set(xlabel=x, ylabel=f"{metric} (mean, 95% t interval over seeds)")


def plot_curves(ax, metrics, lines, colours, metric):
    y = metric.replace("final_", "", 1)
    if y not in metrics.columns:
        fail(f"--metric {metric}: metrics.csv has no column {y} for the learning curves (no numeric swept key)")
    for value in (values_in_order(metrics[lines]) if lines else [None]):
        m = metrics[metrics[lines] == value] if lines else metrics
        mean_band(ax, m, "step", y, f"{lines}={value}" if lines else y, colours.get(value, "C0"))
    ax.set(xlabel="training step", ylabel=f"{y} (mean, min-max over seeds)")


def plot_generic(name, results, runs, metrics, out, x=None, lines=None, facets=None, metric="final_test_acc"):
    x, lines, facets = choose_keys(runs, x, lines, facets, metric)
    panels = values_in_order(runs[facets]) if facets else [None]
    colours = line_colours(lines, values_in_order(runs[lines])) if lines else {}
    keys = [k for k in (x, lines, facets) if k]
    if x:
        table = summary(results, keys, metric)
        table[keys] = table[keys].astype(runs[keys].dtypes.to_dict())  # compare as runs.csv reads them
    fig, axes = plt.subplots(1, len(panels), figsize=(max(8, 6.5 * len(panels)), 5), squeeze=False,
                             sharey=True)  # panels compare at a glance
    for ax, panel in zip(axes[0], panels):
        if x:
            plot_against_key(ax, table[table[facets] == panel] if facets else table, x, lines, colours, metric)
        else:
            plot_curves(ax, metrics[metrics[facets] == panel] if facets else metrics, lines, colours, metric)
        ax.set_title(f"{facets}={panel}" if facets else name)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    what = (f"{metric} vs {x}\nmean and 95% Student-t interval over seeds" if x
            else "learning curves\nmean and min-max over seeds")
    fig.suptitle(f"{name}: {what} (n per group: {name}.md)")
    fig.tight_layout()
    fig.savefig(out / f"{name}.png", dpi=110)
    by = ",".join(keys) if keys else ""
    return bnlab("summary", results, "--by", by, "--metric", metric, "--format", "md")
